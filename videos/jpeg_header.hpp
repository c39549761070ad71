#pragma once

// What a JPEG says about itself before anything is decoded: its width and
// height, read by libjpeg from the frame header alone. A decoder allocates
// width x height pixels up front, so a few hundred bytes that claim
// 30000 x 30000 would cost 2.7 GB and seconds of CPU; players check the
// header against their limit first.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace video {

struct jpeg_size {
  uint32_t width = 0;
  uint32_t height = 0;
};

/// The dimensions in the JPEG's frame header; nullopt when `data` is not a
/// JPEG whose header libjpeg can read.
[[nodiscard]] std::optional<jpeg_size> read_jpeg_size(const uint8_t* data,
                                                      size_t n);

} // namespace video
