#define CAF_SUITE synthetic
#include <caf/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "net/error.hpp"
#include "tests/temp_dir.hpp"
#include "videos/frame_code.hpp"
#include "videos/synthetic.hpp"

// videos/synthetic.hpp: the test videos must be what they claim, as read by
// the same decoder the catalog uses: the frame count, size and rate, and
// each frame's index in its pixels.

using namespace video;

namespace {

using test_support::temp_dir;

/// The codes of every frame of `path`, in order; fails on a frame whose
/// size is not `w` x `h`.
std::vector<std::optional<uint32_t>> codes_of(const std::string& path, int w,
                                              int h, double& fps) {
  cv::VideoCapture cap{path, cv::CAP_FFMPEG};
  CAF_REQUIRE(cap.isOpened());
  fps = cap.get(cv::CAP_PROP_FPS);
  std::vector<std::optional<uint32_t>> out;
  cv::Mat img;
  while (cap.read(img)) {
    CAF_CHECK_EQUAL(img.cols, w);
    CAF_CHECK_EQUAL(img.rows, h);
    out.push_back(decode_index(img));
  }
  return out;
}

} // namespace

CAF_TEST(every frame carries its index and the file its rate) {
  temp_dir dir;
  auto path = dir / "clip.avi";
  auto n = write_synthetic_video(path, 64, 48, 12, 25.0);
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(*n, 12u);
  double fps = 0;
  auto codes = codes_of(path, 64, 48, fps);
  CAF_CHECK_LESS(std::abs(fps - 25.0), 0.01);
  CAF_REQUIRE_EQUAL(codes.size(), 12u);
  for (uint32_t i = 0; i < 12; ++i)
    CAF_CHECK_EQUAL(codes[i], std::optional<uint32_t>{i});
}

CAF_TEST(first_index offsets the codes) {
  temp_dir dir;
  auto path = dir / "offset.avi";
  CAF_REQUIRE(write_synthetic_video(path, 96, 72, 5, 10.0, 1000));
  double fps = 0;
  auto codes = codes_of(path, 96, 72, fps);
  CAF_CHECK_LESS(std::abs(fps - 10.0), 0.01);
  CAF_REQUIRE_EQUAL(codes.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i)
    CAF_CHECK_EQUAL(codes[i], std::optional<uint32_t>{1000 + i});
}

CAF_TEST(consecutive frames differ below the code) {
  // like real video, so that an encoder cannot pass frames off as repeats
  temp_dir dir;
  auto path = dir / "moving.avi";
  CAF_REQUIRE(write_synthetic_video(path, 64, 48, 3, 25.0));
  cv::VideoCapture cap{path, cv::CAP_FFMPEG};
  CAF_REQUIRE(cap.isOpened());
  cv::Mat a;
  cv::Mat b;
  CAF_REQUIRE(cap.read(a));
  CAF_REQUIRE(cap.read(b));
  cv::Rect bottom{0, 24, 64, 24};
  CAF_CHECK_GREATER(cv::norm(a(bottom), b(bottom), cv::NORM_L1), 0.0);
}

CAF_TEST(more frames than the code holds are refused) {
  temp_dir dir;
  auto path = dir / "long.avi";
  auto res = write_synthetic_video(path, 64, 48, 2, 25.0, max_frame_code);
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(net::code_of(res.error()), net::errc::config);
  std::ifstream probe{path};
  CAF_CHECK(!probe); // refused before a file was made
  // the last code still fits
  CAF_CHECK(write_synthetic_video(path, 64, 48, 1, 25.0, max_frame_code));
}

CAF_TEST(an unwritable path is an io error) {
  temp_dir dir;
  auto res = write_synthetic_video(dir / "missing/clip.avi", 64, 48, 2, 25.0);
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(net::code_of(res.error()), net::errc::io);
  CAF_MESSAGE(net::describe(res.error()));
}
