#include "videos/frame_code.hpp"

#include <string>

#include <opencv2/imgproc.hpp>

namespace video {

namespace {

constexpr int rows = 2;
constexpr int cols = 9;

cv::Rect block(const cv::Mat& img, int r, int c) {
  int band = img.rows / 2;
  int x0 = img.cols * c / cols;
  int x1 = img.cols * (c + 1) / cols;
  int y0 = band * r / rows;
  int y1 = band * (r + 1) / rows;
  return {x0, y0, x1 - x0, y1 - y0};
}

// Is block (r, c) set? Samples its inner half, away from JPEG ringing.
std::optional<bool> read_block(const cv::Mat& gray, int r, int c) {
  auto b = block(gray, r, c);
  cv::Rect inner{b.x + b.width / 4, b.y + b.height / 4,
                 std::max(1, b.width / 2), std::max(1, b.height / 2)};
  auto m = cv::mean(gray(inner))[0];
  if (m > 170)
    return true;
  if (m < 85)
    return false;
  return std::nullopt;
}

} // namespace

void encode_index(cv::Mat& img, uint32_t index) {
  CV_Assert(index <= max_frame_code && img.cols >= 36 && img.rows >= 16);
  auto white = cv::Scalar::all(255);
  auto black = cv::Scalar::all(0);
  for (int r = 0; r < rows; ++r) {
    cv::rectangle(img, block(img, r, 0), r == 0 ? white : black, cv::FILLED);
    for (int c = 1; c < cols; ++c) {
      int bit = (rows - 1 - r) * 8 + (cols - 1 - c);
      bool set = (index >> bit) & 1;
      cv::rectangle(img, block(img, r, c), set ? white : black, cv::FILLED);
    }
  }
  // The number for humans goes below the grid, where it fits: in a frame
  // under 24 rows the smallest text would reach into the grid's blocks.
  if (img.rows < 24)
    return;
  auto text = std::to_string(index);
  double scale = std::max(0.3, img.rows / 240.0);
  int thick = std::max(1, img.rows / 120);
  cv::Point org{4, img.rows * 3 / 4};
  cv::putText(img, text, org, cv::FONT_HERSHEY_SIMPLEX, scale, black,
              thick + 2);
  cv::putText(img, text, org, cv::FONT_HERSHEY_SIMPLEX, scale, white, thick);
}

std::optional<uint32_t> decode_index(const cv::Mat& img) {
  if (img.empty() || img.cols < 36 || img.rows < 16)
    return std::nullopt;
  cv::Mat gray;
  if (img.channels() == 3)
    cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
  else if (img.channels() == 1)
    gray = img;
  else
    return std::nullopt;
  auto g0 = read_block(gray, 0, 0);
  auto g1 = read_block(gray, 1, 0);
  if (!g0 || !g1 || !*g0 || *g1)
    return std::nullopt;
  uint32_t x = 0;
  for (int r = 0; r < rows; ++r)
    for (int c = 1; c < cols; ++c) {
      auto b = read_block(gray, r, c);
      if (!b)
        return std::nullopt;
      x = (x << 1) | (*b ? 1u : 0u);
    }
  return x;
}

} // namespace video
