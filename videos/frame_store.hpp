#pragma once

// The frame store: every frame of one rendition JPEG-encoded once, kept in a
// cache file (`<cache_dir>/<id>_<height>p.mjpeg` + `.idx`) and served from
// there to any number of viewers. Building is blocking work (decode +
// encode); run it on a worker thread, never on CAF's multiplexer.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "videos/catalog.hpp"

namespace video {

/// Immutable JPEG bytes shared by every viewer of a frame.
using jpeg_ptr = std::shared_ptr<const std::vector<char>>;

/// Encoded frames of one rendition, read from its cache file. Thread-safe:
/// every member is const after `open` returns.
class frame_store {
public:
  /// Tuning of the cache build.
  struct options {
    int jpeg_quality = 80;
    /// Extra frames decoded beyond 4x the probed count (never loop forever).
    uint32_t slack_frames = 1000;
    /// Once true, a build stops at the next frame: errc::shutdown, no
    /// cache left behind (the server's stop must not wait for an encode).
    std::shared_ptr<const std::atomic<bool>> stop;
    /// Called after each frame a build encodes, with the frames so far
    /// (progress for whoever waits); on the building thread.
    std::function<void(uint32_t)> on_frame;
  };

  /// Opens the cache of rendition `r` of video `id` in `cache_dir`, building
  /// it first when it is missing, older than the source or inconsistent.
  [[nodiscard]] static net::result<std::shared_ptr<const frame_store>>
  open(const std::string& id, const rendition& r, const std::string& cache_dir,
       const log_fn& log = {});

  [[nodiscard]] static net::result<std::shared_ptr<const frame_store>>
  open(const std::string& id, const rendition& r, const std::string& cache_dir,
       const log_fn& log, const options& opts);

  frame_store(const frame_store&) = delete;
  frame_store& operator=(const frame_store&) = delete;
  ~frame_store();

  /// Number of frames in the cache.
  size_t size() const {
    return offsets_.empty() ? 0 : offsets_.size() - 1;
  }

  /// JPEG bytes of frame `i`, read from the cache; nullptr when out of range
  /// or on an I/O error.
  [[nodiscard]] jpeg_ptr frame(size_t i) const;

  uint16_t height() const {
    return height_;
  }

  uint32_t fps_milli() const {
    return fps_milli_;
  }

  /// Total bytes of all frames.
  uint64_t total_bytes() const {
    return offsets_.empty() ? 0 : offsets_.back();
  }

  /// Average bitrate at the native rate, in kbit/s.
  uint32_t bitrate_kbps() const;

  /// True when this `open` built the cache (false: an existing one was used).
  bool built() const {
    return built_;
  }

  const std::string& cache_path() const {
    return path_;
  }

  /// Frames JPEG-encoded by every store of this process (to prove that
  /// viewers share encodes).
  static uint64_t encoded_frames();

  /// The cache file names of rendition (`id`, `height`) in `cache_dir`.
  static std::string cache_file(const std::string& cache_dir,
                                const std::string& id, uint16_t height);

private:
  frame_store() = default;

  int fd_ = -1;
  std::string path_;
  std::vector<uint64_t> offsets_;
  uint16_t height_ = 0;
  uint32_t fps_milli_ = 0;
  bool built_ = false;
};

/// Shared handle of a ready store.
using frame_store_ptr = std::shared_ptr<const frame_store>;

} // namespace video
