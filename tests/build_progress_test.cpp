#define CAF_SUITE build_progress
#include <caf/test/unit_test.hpp>

#include "videos/build_progress.hpp"

using namespace std::chrono_literals;
using video::build_progress;

namespace {

video::rendition rendition(uint16_t height, uint32_t width, uint32_t frames) {
  video::rendition r;
  r.height = height;
  r.decoded_height = height;
  r.width = width;
  r.frames = frames;
  return r;
}

// 100 frames at 240p and 100 at 1080p: a 1080p frame costs 20.3 times a
// 240p one (pixels decoded plus pixels encoded).
video::video_entry two_renditions() {
  video::video_entry e;
  e.id = "video_3";
  e.renditions = {rendition(240, 426, 100), rendition(1080, 1920, 100)};
  return e;
}

} // namespace

CAF_TEST(progress counts pixels not frames) {
  auto t0 = build_progress::clock::time_point{} + 1h;
  build_progress p{two_renditions()};
  p.begin(t0);
  CAF_CHECK_EQUAL(p.done_permille(), 0u);
  CAF_CHECK(!p.remaining(t0 + 10s)); // nothing done: no estimate
  p.advance(0, 100); // all of 240p: 1 / 21.3 of the work
  CAF_CHECK_EQUAL(p.done_permille(), 46u);
  p.advance(1, 50);
  CAF_CHECK_EQUAL(p.done_permille(), 523u);
  p.advance(1, 100);
  CAF_CHECK_EQUAL(p.done_permille(), 1000u);
  CAF_CHECK_EQUAL(p.remaining(t0 + 5s)->count(), 0);
}

CAF_TEST(the estimate is the speed so far applied to what is left) {
  auto t0 = build_progress::clock::time_point{} + 1h;
  build_progress p{two_renditions()};
  p.begin(t0);
  p.advance(0, 100);
  p.advance(1, 25);
  // 28.5 % of the work in 10 s: 25.1 s left
  auto left = p.remaining(t0 + 10s);
  CAF_REQUIRE(left);
  CAF_CHECK_GREATER_OR_EQUAL(left->count(), 25000);
  CAF_CHECK_LESS_OR_EQUAL(left->count(), 25100);
}

CAF_TEST(no estimate before one percent or one second) {
  auto t0 = build_progress::clock::time_point{} + 1h;
  build_progress p{two_renditions()};
  p.begin(t0);
  p.advance(0, 10); // 0.46 %
  CAF_CHECK(!p.remaining(t0 + 500ms));
  CAF_CHECK(p.remaining(t0 + 1s));
  p.advance(0, 30); // 1.4 %
  CAF_CHECK(p.remaining(t0 + 100ms));
}

CAF_TEST(renditions cached already count as done but not as speed) {
  auto t0 = build_progress::clock::time_point{} + 1h;
  build_progress p{two_renditions()};
  p.begin(t0);
  p.skip(1); // 1080p was on disk
  CAF_CHECK_EQUAL(p.done_permille(), 953u);
  CAF_CHECK(!p.remaining(t0 + 10s)); // no frame built yet
  p.advance(0, 50); // half of 240p in 2 s: 2 s left
  auto left = p.remaining(t0 + 2s);
  CAF_REQUIRE(left);
  CAF_CHECK_EQUAL(left->count(), 2000);
}

CAF_TEST(the clock starts when the build begins not when it is queued) {
  auto t0 = build_progress::clock::time_point{} + 1h;
  build_progress p{two_renditions()};
  p.advance(0, 100);
  CAF_CHECK(!p.remaining(t0)); // queued behind another build: no estimate
  p.begin(t0 + 60s);
  // 4.7 % in the 10 s since it began, not in 70 s
  auto left = p.remaining(t0 + 70s);
  CAF_REQUIRE(left);
  CAF_CHECK_GREATER_OR_EQUAL(left->count(), 202000);
  CAF_CHECK_LESS_OR_EQUAL(left->count(), 203000);
}

CAF_TEST(more frames than the probe counted do not pass 100 percent) {
  auto t0 = build_progress::clock::time_point{} + 1h;
  build_progress p{two_renditions()};
  p.begin(t0);
  p.advance(0, 500);
  p.advance(1, 500);
  CAF_CHECK_EQUAL(p.done_permille(), 1000u);
  p.advance(7, 1); // no such rendition: ignored
}
