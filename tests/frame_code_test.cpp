#define CAF_SUITE frame_code
#include <caf/test/unit_test.hpp>

#include <optional>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "videos/frame_code.hpp"

// videos/frame_code.hpp: the index drawn into a synthetic frame must come
// back from the pixels after JPEG, and a frame without a clear code must
// say so rather than yield a wrong number.

using namespace video;

namespace {

using code = std::optional<uint32_t>;

cv::Mat coded(cv::Size size, uint32_t index, int type = CV_8UC3) {
  cv::Mat img{size, type, cv::Scalar::all(100)};
  encode_index(img, index);
  return img;
}

cv::Mat through_jpeg(const cv::Mat& img, int quality) {
  std::vector<uchar> buf;
  CAF_REQUIRE(
      cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, quality}));
  return cv::imdecode(buf, cv::IMREAD_UNCHANGED);
}

} // namespace

CAF_TEST(every bit of the code round trips) {
  auto size = cv::Size{64, 48};
  CAF_CHECK_EQUAL(decode_index(coded(size, 0)), code{0});
  for (uint32_t bit = 0; bit < 16; ++bit) {
    uint32_t i = 1u << bit;
    CAF_CHECK_EQUAL(decode_index(coded(size, i)), code{i});
  }
  CAF_CHECK_EQUAL(max_frame_code, 0xFFFFu);
  CAF_CHECK_EQUAL(decode_index(coded(size, max_frame_code)),
                  code{max_frame_code});
  // the smallest frames the header allows: at 16 rows the number drawn for
  // humans would reach into the grid (27 of 676 indices decoded wrong)
  CAF_CHECK_EQUAL(decode_index(coded({36, 24}, 0xA5C3)), code{0xA5C3});
  for (uint32_t i = 0; i < 676; ++i)
    CAF_CHECK_EQUAL(decode_index(coded({36, 16}, i * 97)), code{i * 97});
}

CAF_TEST(frame codes survive a JPEG round trip) {
  for (auto size : {cv::Size{64, 48}, cv::Size{426, 240}}) {
    for (uint32_t i : {0u, 1u, 77u, 255u, 256u, 4242u, max_frame_code}) {
      cv::Mat img{size, CV_8UC3, cv::Scalar(30, 120, 200)};
      encode_index(img, i);
      CAF_CHECK_EQUAL(decode_index(through_jpeg(img, 80)), code{i});
    }
  }
  // a low quality still reads at a usual size
  CAF_CHECK_EQUAL(decode_index(through_jpeg(coded({426, 240}, 4242), 30)),
                  code{4242});
}

CAF_TEST(gray frames carry the code too) {
  auto img = coded({64, 48}, 1234, CV_8UC1);
  CAF_CHECK_EQUAL(decode_index(img), code{1234});
  CAF_CHECK_EQUAL(decode_index(through_jpeg(img, 80)), code{1234});
}

CAF_TEST(the bottom half is free for the picture) {
  // what a synthetic video draws below the grid does not disturb the code
  auto img = coded({64, 48}, 321);
  cv::Rect bottom{0, img.rows / 2, img.cols, img.rows - img.rows / 2};
  img(bottom).setTo(cv::Scalar(255, 255, 255));
  CAF_CHECK_EQUAL(decode_index(img), code{321});
  img(bottom).setTo(cv::Scalar(0, 0, 0));
  CAF_CHECK_EQUAL(decode_index(img), code{321});
}

CAF_TEST(a frame without a clear code yields nothing) {
  CAF_CHECK_EQUAL(decode_index(cv::Mat{}), code{});
  CAF_CHECK_EQUAL(decode_index(cv::Mat{48, 64, CV_8UC3, cv::Scalar::all(128)}),
                  code{});
  CAF_CHECK_EQUAL(decode_index(cv::Mat{48, 64, CV_8UC3, cv::Scalar::all(255)}),
                  code{});
  // too small for the grid, even if it was coded at a larger size
  cv::Mat small;
  cv::resize(coded({64, 48}, 5), small, {32, 16});
  CAF_CHECK_EQUAL(decode_index(small), code{});
  // four channels are not a format the reader knows
  cv::Mat bgra;
  cv::cvtColor(coded({64, 48}, 5), bgra, cv::COLOR_BGR2BGRA);
  CAF_CHECK_EQUAL(decode_index(bgra), code{});
  // inverted, the guard blocks are wrong: no number is made up
  cv::Mat inverted;
  cv::bitwise_not(coded({64, 48}, 5), inverted);
  CAF_CHECK_EQUAL(decode_index(inverted), code{});
  // one block neither white nor black makes the whole code unclear
  auto img = coded({90, 40}, 0xFF);
  img(cv::Rect{30, 0, 10, 10}).setTo(cv::Scalar::all(128));
  CAF_CHECK_EQUAL(decode_index(img), code{});
}

CAF_TEST(an index beyond the code is refused) {
  cv::Mat img{48, 64, CV_8UC3, cv::Scalar::all(100)};
  bool refused = false;
  try {
    encode_index(img, max_frame_code + 1);
  } catch (const cv::Exception&) {
    refused = true;
  }
  CAF_CHECK(refused);
}
