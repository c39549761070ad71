#pragma once

// The catalog: which videos exist in a directory of renditions named
// `<id>_<height>p.<ext>`, with metadata read from the files themselves
// (real frame counts, sane frame rates). Plain C++, no actors; scanning is
// blocking work for a worker thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "net/video_messages.hpp"

namespace video {

/// Receives progress and warning lines; may be called from a worker thread.
using log_fn = std::function<void(const std::string&)>;

/// A file name split into its parts, e.g. "video_1_720p.avi".
struct rendition_name {
  std::string id;
  uint16_t height = 0;
  std::string ext;
};

/// Parses `<id>_<height>p.<ext>`; nullopt for any other name.
[[nodiscard]] std::optional<rendition_name>
parse_rendition_name(const std::string& file);

/// One probed file.
struct rendition {
  std::string path;
  uint16_t height = 0; ///< from the file name
  uint32_t width = 0;  ///< decoded dimensions
  uint32_t decoded_height = 0;
  uint32_t fps_milli = 0;     ///< sane rate (1..120 fps, else 25)
  /// Frames in the file: its video packets, counted without decoding (the
  /// cache build decodes them; its count is what a playback serves).
  uint32_t frames = 0;
  uint32_t header_frames = 0; ///< what the container claims
};

/// Limits of probing a file.
struct probe_options {
  /// Give up counting after this long (the count so far is kept).
  std::chrono::milliseconds time_cap{60000};
  /// Extra frames allowed beyond 4x the header estimate.
  uint32_t slack_frames = 1000;
  /// Once true, counting stops at once with errc::shutdown.
  std::shared_ptr<const std::atomic<bool>> stop;
  /// Renditions of one video whose durations differ by more than this are
  /// not merged: the video is listed as unavailable, with the reason.
  std::chrono::milliseconds duration_tolerance{500};
  /// The same for frame rates, in frames per second.
  double fps_tolerance = 0.05;
};

/// Opens `path`, decodes its first frame (dimensions) and counts its
/// frames (real count, not the header's), with a sane fps.
/// Errors: unopenable file, no decodable frame.
[[nodiscard]] net::result<rendition>
probe_rendition(const std::string& path, uint16_t height,
                const probe_options& opts = {}, const log_fn& log = {});

/// A common timeline over renditions that may differ in rate and length.
struct timeline {
  uint32_t fps_milli = 0;
  uint32_t frames = 0;
  uint64_t duration_ms() const;
};

/// The timeline of renditions given as (fps_milli, frames): the highest
/// rate, long enough to cover the longest rendition.
timeline make_timeline(const std::vector<std::pair<uint32_t, uint32_t>>& rs);

/// Frame of a rendition (rate `fps_milli`, `frames` long) shown at timeline
/// index `i`: floor(t * fps_r) for t = i / fps_t, clamped to the last frame.
uint32_t map_frame(const timeline& t, uint32_t fps_milli, uint32_t frames,
                   uint32_t i);

/// One video: its renditions (ascending height) and timeline.
/// The listing of a video whose renditions have `height`, `fps_milli` and
/// `frames` (catalog entries and ready sources alike).
template <class Renditions>
net::video_info make_video_info(const std::string& id, const Renditions& rs,
                                const timeline& t) {
  net::video_info x;
  x.id = id;
  for (auto& r : rs)
    x.heights.push_back(r.height);
  x.duration_ms = t.duration_ms();
  x.fps_milli = t.fps_milli;
  x.frames = t.frames;
  return x;
}

/// Frame of rendition `r` shown at timeline index `i`.
template <class Renditions>
uint32_t rendition_frame_of(const Renditions& rs, const timeline& t, size_t r,
                            uint32_t i) {
  auto& x = rs.at(r);
  return map_frame(t, x.fps_milli, x.frames, i);
}

struct video_entry {
  std::string id;
  std::vector<rendition> renditions;
  timeline time;

  /// Wire metadata.
  net::video_info info() const;

  /// Frame of rendition `r` shown at timeline index `i`.
  uint32_t rendition_frame(size_t r, uint32_t i) const;
};

/// A file that was skipped, and why.
struct catalog_problem {
  std::string file;
  std::string reason;
};

/// A video found in the directory that will not be played, and why.
struct unavailable_video {
  std::string id;
  std::string reason;
};

/// The result of a scan.
struct catalog {
  std::vector<video_entry> videos; ///< playable, sorted by id
  std::vector<catalog_problem> problems; ///< files skipped
  std::vector<unavailable_video> unavailable; ///< sorted by id

  /// Why the video named by `request` will not be played, if it is one of
  /// the unavailable ones.
  const unavailable_video* find_unavailable(const std::string& request) const;

  /// The video named by `request`: an id, or a number n meaning "video_n".
  const video_entry* find(const std::string& request) const;

  /// Metadata of every video, for a video_list: the playable ones and the
  /// unavailable ones (with their `problem`), by id.
  net::video_list list() const;
};

/// Scans `dir`; broken files land in `problems`, the rest keep working.
/// Non-rendition names are ignored silently. A video whose renditions
/// disagree on duration or frame rate (beyond the tolerances of `opts`), or
/// that has none left, is `unavailable`. A rendition whose frames are not as
/// high as its name says is kept (and logged): its cache scales them.

catalog scan_catalog(const std::string& dir, const probe_options& opts = {},
                     const log_fn& log = {});

} // namespace video
