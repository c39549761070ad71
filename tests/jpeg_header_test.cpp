#define CAF_SUITE jpeg_header
#include <caf/test/unit_test.hpp>

#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "videos/jpeg_header.hpp"

using namespace video;

namespace {

std::vector<uint8_t> jpeg_of(int width, int height) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(10, 20, 30));
  std::vector<uchar> buf;
  CAF_REQUIRE(cv::imencode(".jpg", img, buf));
  return {buf.begin(), buf.end()};
}

/// `jpeg` with its frame header (SOF0) claiming `width` x `height`.
std::vector<uint8_t> claiming(std::vector<uint8_t> jpeg, uint16_t width,
                              uint16_t height) {
  for (size_t i = 0; i + 9 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = static_cast<uint8_t>(height >> 8);
      jpeg[i + 6] = static_cast<uint8_t>(height);
      jpeg[i + 7] = static_cast<uint8_t>(width >> 8);
      jpeg[i + 8] = static_cast<uint8_t>(width);
      return jpeg;
    }
  CAF_FAIL("no SOF0 marker");
  return jpeg;
}

} // namespace

CAF_TEST(the size comes from the header) {
  auto j = jpeg_of(64, 48);
  auto s = read_jpeg_size(j.data(), j.size());
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->width, 64u);
  CAF_CHECK_EQUAL(s->height, 48u);
}

CAF_TEST(a header claiming 30000 x 30000 is read without decoding) {
  // what cv::imdecode would allocate 2.7 GB for, over seconds
  auto j = claiming(jpeg_of(16, 16), 30000, 30000);
  auto s = read_jpeg_size(j.data(), j.size());
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(s->width, 30000u);
  CAF_CHECK_EQUAL(s->height, 30000u);
}

CAF_TEST(what is not a readable jpeg header has no size) {
  std::vector<uint8_t> garbage(1000, 0xAB);
  CAF_CHECK(!read_jpeg_size(garbage.data(), garbage.size()));
  std::vector<uint8_t> soi_eoi{0xFF, 0xD8, 0xFF, 0xD9};
  CAF_CHECK(!read_jpeg_size(soi_eoi.data(), soi_eoi.size()));
  auto j = jpeg_of(64, 48);
  CAF_CHECK(!read_jpeg_size(j.data(), 20)); // cut before the frame header
  CAF_CHECK(!read_jpeg_size(nullptr, 0));
  CAF_CHECK(!read_jpeg_size(j.data(), 0));
}
