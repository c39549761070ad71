#pragma once

// What a playback needs from the catalog: the video's metadata and a ready
// frame store per rendition. Immutable once made; shared by every viewer.

#include <memory>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "net/video_messages.hpp"
#include "videos/catalog.hpp"
#include "videos/frame_store.hpp"

namespace video {

/// One rendition with its encoded frames.
struct rendition_source {
  uint16_t height = 0;
  uint32_t fps_milli = 0;
  uint32_t frames = 0;       ///< frames in the store (authoritative)
  uint32_t bitrate_kbps = 0; ///< average at the native rate
  frame_store_ptr store;
};

/// A playable video: timeline + renditions (ascending height).
struct video_source {
  std::string id;
  timeline time;
  std::vector<rendition_source> renditions;

  /// Wire metadata of the timeline.
  net::video_info info() const;

  /// Frame of rendition `r` shown at timeline index `i` (clamped).
  uint32_t rendition_frame(size_t r, uint32_t i) const;
};

using video_source_ptr = std::shared_ptr<const video_source>;

/// Builds a source from ready stores; the timeline is recomputed from the
/// stores' real frame counts. Error when `stores` is empty.
[[nodiscard]] net::result<video_source_ptr>
make_video_source(const std::string& id, std::vector<frame_store_ptr> stores);

} // namespace video
