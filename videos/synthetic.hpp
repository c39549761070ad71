#pragma once

// Synthetic test videos whose frames carry their index (videos/frame_code),
// so a receiver can check order and loss. Used by make-sample-videos and by
// the tests.

#include <cstdint>
#include <string>

#include "net/error.hpp"

namespace video {

/// Writes an MJPG .avi of `frames` frames at `fps`, each carrying its index.
/// `first_index` offsets the codes (to tell renditions apart in tests).
[[nodiscard]] net::result<uint32_t>
write_synthetic_video(const std::string& path, int width, int height,
                      uint32_t frames, double fps, uint32_t first_index = 0);

} // namespace video
