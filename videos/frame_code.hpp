#pragma once

// A frame index drawn into the pixels of a synthetic video, robust to JPEG:
// the top half of the frame is a 2 x 9 grid of big blocks; each row starts
// with a guard block (white, then black) followed by 8 bits of the index
// (white = 1), most significant first. The number is also drawn as text
// below the grid for humans (in frames of 24 rows or more).

#include <cstdint>
#include <optional>

#include <opencv2/core.hpp>

namespace video {

/// Largest index that fits the code.
constexpr uint32_t max_frame_code = 0xFFFF;

/// Draws `index` (<= max_frame_code) into `img` (BGR or gray, >= 36x16).
void encode_index(cv::Mat& img, uint32_t index);

/// Reads the index back; nullopt when the frame carries no clear code.
[[nodiscard]] std::optional<uint32_t> decode_index(const cv::Mat& img);

} // namespace video
