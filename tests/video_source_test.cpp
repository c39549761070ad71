#define CAF_SUITE video_source
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "net/error.hpp"
#include "tests/video_test_util.hpp"
#include "videos/catalog.hpp"
#include "videos/frame_store.hpp"
#include "videos/video_source.hpp"

// videos/video_source.hpp: what a playback reads is built from the ready
// stores alone (their real frame counts and rates), whatever order and
// gaps the catalog hands them over in.

using namespace video;

namespace {

struct fixture {
  test_util::temp_dir dir;

  /// A ready store of rendition `height` of "clip".
  frame_store_ptr store(uint16_t height, uint32_t frames, double fps) {
    CAF_REQUIRE(test_util::make_renditions(dir, "clip", {height}, frames, fps));
    auto path = dir / ("clip_" + std::to_string(height) + "p.avi");
    auto r = probe_rendition(path, height);
    CAF_REQUIRE(r);
    auto s = frame_store::open("clip", *r, dir / "cache");
    CAF_REQUIRE(s);
    return *s;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(video_source_tests, fixture)

CAF_TEST(renditions come sorted by height with their stores numbers) {
  auto high = store(96, 10, 25.0);
  auto low = store(48, 10, 25.0);
  auto src = make_video_source("clip", {high, nullptr, low});
  CAF_REQUIRE(src);
  auto& s = **src;
  CAF_CHECK_EQUAL(s.id, "clip");
  CAF_REQUIRE_EQUAL(s.renditions.size(), 2u);
  CAF_CHECK(s.renditions[0].store == low);
  CAF_CHECK(s.renditions[1].store == high);
  for (auto& r : s.renditions) {
    CAF_CHECK_EQUAL(r.height, r.store->height());
    CAF_CHECK_EQUAL(r.frames, r.store->size());
    CAF_CHECK_EQUAL(r.fps_milli, r.store->fps_milli());
    CAF_CHECK_EQUAL(r.bitrate_kbps, r.store->bitrate_kbps());
    CAF_CHECK_GREATER(r.bitrate_kbps, 0u);
  }
  CAF_CHECK_EQUAL(s.info().heights, (std::vector<uint16_t>{48, 96}));
}

CAF_TEST(the timeline runs at the fastest rate and covers the longest) {
  // 10 frames at 25 fps (0.4 s) and 6 at 10 fps (0.6 s): the timeline is
  // 25 fps for 0.6 s, so the slow rendition's tail is not cut
  auto src =
      make_video_source("clip", {store(48, 10, 25.0), store(96, 6, 10.0)});
  CAF_REQUIRE(src);
  auto& s = **src;
  CAF_CHECK_EQUAL(s.time.fps_milli, 25000u);
  CAF_CHECK_EQUAL(s.time.frames, 15u);
  auto info = s.info();
  CAF_CHECK_EQUAL(info.id, "clip");
  CAF_CHECK_EQUAL(info.fps_milli, 25000u);
  CAF_CHECK_EQUAL(info.frames, 15u);
  CAF_CHECK_EQUAL(info.duration_ms, 600u);
  // the fast rendition shows frame i, then holds its last one
  CAF_CHECK_EQUAL(s.rendition_frame(0, 0), 0u);
  CAF_CHECK_EQUAL(s.rendition_frame(0, 9), 9u);
  CAF_CHECK_EQUAL(s.rendition_frame(0, 14), 9u);
  // the slow one advances every 2.5 timeline frames
  CAF_CHECK_EQUAL(s.rendition_frame(1, 0), 0u);
  CAF_CHECK_EQUAL(s.rendition_frame(1, 2), 0u);
  CAF_CHECK_EQUAL(s.rendition_frame(1, 3), 1u);
  CAF_CHECK_EQUAL(s.rendition_frame(1, 5), 2u);
  CAF_CHECK_EQUAL(s.rendition_frame(1, 14), 5u);
  CAF_CHECK_EQUAL(s.rendition_frame(1, 1000), 5u); // clamped
}

CAF_TEST(a video without a ready store is not found) {
  for (auto stores : {std::vector<frame_store_ptr>{},
                      std::vector<frame_store_ptr>{nullptr, nullptr}}) {
    auto src = make_video_source("clip", stores);
    CAF_REQUIRE(!src);
    CAF_CHECK_EQUAL(net::code_of(src.error()), net::errc::not_found);
    CAF_CHECK(net::describe(src.error()).find("clip") != std::string::npos);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
