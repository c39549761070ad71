#define CAF_SUITE catalog
#include <caf/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "tests/video_test_util.hpp"
#include "videos/catalog.hpp"
#include "videos/frame_code.hpp"
#include "videos/frame_store.hpp"
#include "videos/video_source.hpp"

namespace fs = std::filesystem;
using namespace video;
using test_util::temp_dir;

namespace {

const char* bugy_clip = "/usr/share/doc/opencv-doc/examples/data/"
                        "Megamind_bugy.avi";

bool has_problem(const catalog& c, const std::string& file_part) {
  for (auto& p : c.problems)
    if (p.file.find(file_part) != std::string::npos && !p.reason.empty())
      return true;
  return false;
}

} // namespace

namespace {

/// The one 48p rendition of `frames` frames of "video_1", written to `dir`
/// and scanned.
rendition one_rendition(const temp_dir& dir, uint32_t frames) {
  CAF_REQUIRE(test_util::make_renditions(dir, "video_1", {48}, frames));
  auto c = scan_catalog(dir.path());
  CAF_REQUIRE_EQUAL(c.videos.size(), 1u);
  return c.videos[0].renditions[0];
}

} // namespace

CAF_TEST(rendition names parse) {
  auto n = parse_rendition_name("video_1_720p.avi");
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(n->id, "video_1");
  CAF_CHECK_EQUAL(n->height, 720u);
  CAF_CHECK_EQUAL(n->ext, "avi");
  CAF_CHECK(parse_rendition_name("my_clip_240p.mp4"));
  CAF_CHECK(!parse_rendition_name("video_1.avi"));
  CAF_CHECK(!parse_rendition_name("video_1_p.avi"));
  CAF_CHECK(!parse_rendition_name("_240p.avi"));
  CAF_CHECK(!parse_rendition_name("video_1_0p.avi"));
  CAF_CHECK(!parse_rendition_name("video_1_72xp.avi"));
  CAF_CHECK(!parse_rendition_name("video_1_720p"));
  CAF_CHECK(!parse_rendition_name("notes.txt"));
}

CAF_TEST(renditions group by id with real frame counts) {
  temp_dir dir;
  CAF_REQUIRE(test_util::make_renditions(dir, "video_1", {96, 48}, 30));
  CAF_REQUIRE(test_util::make_renditions(dir, "video_2", {48}, 20));
  std::ofstream{dir / "README.txt"} << "not a video";
  auto c = scan_catalog(dir.path());
  CAF_CHECK(c.problems.empty());
  CAF_REQUIRE_EQUAL(c.videos.size(), 2u);
  auto& v1 = c.videos[0];
  CAF_CHECK_EQUAL(v1.id, "video_1");
  CAF_REQUIRE_EQUAL(v1.renditions.size(), 2u);
  CAF_CHECK_EQUAL(v1.renditions[0].height, 48u);
  CAF_CHECK_EQUAL(v1.renditions[1].height, 96u);
  CAF_CHECK_EQUAL(v1.renditions[0].frames, 30u);
  CAF_CHECK_EQUAL(v1.renditions[1].decoded_height, 96u);
  CAF_CHECK_EQUAL(v1.renditions[1].width, 128u);
  CAF_CHECK_EQUAL(v1.time.fps_milli, 25000u);
  CAF_CHECK_EQUAL(v1.time.frames, 30u);
  auto info = v1.info();
  CAF_CHECK_EQUAL(info.duration_ms, 1200u);
  CAF_CHECK_EQUAL(info.heights, (std::vector<uint16_t>{48, 96}));
  CAF_CHECK_EQUAL(c.videos[1].time.frames, 20u);
  CAF_CHECK_EQUAL(c.list().videos.size(), 2u);
  // lookup by id or by number; unknown ids find nothing
  CAF_CHECK_EQUAL(c.find("video_2"), &c.videos[1]);
  CAF_CHECK_EQUAL(c.find("1"), &c.videos[0]);
  CAF_CHECK_EQUAL(c.find("01"), &c.videos[0]);
  CAF_CHECK(c.find("7") == nullptr);
  CAF_CHECK(c.find("video_9") == nullptr);
  CAF_CHECK(c.find("") == nullptr);
}

CAF_TEST(broken files are reported and skipped while others work) {
  temp_dir dir;
  CAF_REQUIRE(test_util::make_renditions(dir, "video_1", {48}, 25));
  // truncated: the header promises 40 frames, the file ends early
  CAF_REQUIRE(test_util::make_renditions(dir, "video_3", {48}, 40));
  auto trunc = dir / "video_3_48p.avi";
  fs::resize_file(trunc, fs::file_size(trunc) / 2);
  // garbage under a rendition name
  std::ofstream{dir / "video_4_48p.avi"} << std::string(5000, 'x');
  // an empty file
  std::ofstream{dir / "video_4_96p.avi"};
  // a real but corrupt clip, when the sample is installed
  bool have_bugy = fs::exists(bugy_clip);
  if (have_bugy)
    fs::copy_file(bugy_clip, dir / "video_5_240p.avi");
  // a header that lies about the frame rate
  CAF_REQUIRE(video::write_synthetic_video(dir / "video_6_48p.avi", 64, 48, 10,
                                           1000.0));
  std::vector<std::string> log_lines;
  auto c = scan_catalog(dir.path(), {},
                        [&](const std::string& s) { log_lines.push_back(s); });
  for (auto& p : c.problems)
    CAF_MESSAGE("problem: " << p.file << ": " << p.reason);
  CAF_CHECK(has_problem(c, "video_4_48p.avi"));
  CAF_CHECK(has_problem(c, "video_4_96p.avi"));
  CAF_CHECK(c.find("video_4") == nullptr);
  auto v1 = c.find("video_1");
  CAF_REQUIRE(v1 != nullptr);
  CAF_CHECK_EQUAL(v1->time.frames, 25u);
  // the truncated file either plays its decodable prefix or is skipped
  if (auto v3 = c.find("video_3")) {
    auto& r = v3->renditions.at(0);
    CAF_MESSAGE("truncated: header " << r.header_frames << ", real "
                                     << r.frames);
    CAF_CHECK_LESS(r.frames, 40u);
    CAF_CHECK_GREATER(r.frames, 0u);
  } else {
    CAF_CHECK(has_problem(c, "video_3_48p.avi"));
  }
  if (have_bugy) {
    auto v5 = c.find("video_5");
    CAF_CHECK(v5 != nullptr || has_problem(c, "video_5_240p.avi"));
    if (v5)
      CAF_MESSAGE("bugy clip: " << v5->renditions[0].frames
                                << " decodable frames of "
                                << v5->renditions[0].header_frames);
  }
  auto v6 = c.find("video_6");
  CAF_REQUIRE(v6 != nullptr);
  CAF_CHECK_EQUAL(v6->time.fps_milli, 25000u);
  CAF_CHECK_EQUAL(v6->time.frames, 10u);
  bool warned = false;
  for (auto& l : log_lines)
    warned |= l.find("implausible frame rate") != std::string::npos;
  CAF_CHECK(warned);
  // a missing directory is a problem, not a crash
  auto none = scan_catalog(dir / "missing");
  CAF_CHECK(none.videos.empty());
  CAF_CHECK_EQUAL(none.problems.size(), 1u);
}

CAF_TEST(a rendition higher than its name is scaled to it in the cache) {
  // A "48p" file whose frames are 192 high would save nothing when the
  // player switches down: the cache holds it at 48p, and the log says so.
  temp_dir dir;
  CAF_REQUIRE(video::write_synthetic_video(dir / "clip_48p.avi", 256, 192, 10,
                                           25.0));
  std::vector<std::string> log;
  auto c = scan_catalog(dir.path(), {},
                        [&](const std::string& s) { log.push_back(s); });
  CAF_REQUIRE_EQUAL(c.videos.size(), 1u);
  auto& r = c.videos[0].renditions.at(0);
  CAF_CHECK_EQUAL(r.decoded_height, 192u);
  auto noted = [&](const std::string& what) {
    for (auto& l : log)
      if (l.find(what) != std::string::npos)
        return true;
    return false;
  };
  CAF_CHECK(noted("frames are 256x192, not 48p"));
  auto store = frame_store::open("clip", r, dir / "cache",
                                 [&](const std::string& s) { log.push_back(s); });
  CAF_REQUIRE(store);
  CAF_CHECK(noted("scaling 256x192 frames to 64x48"));
  for (size_t i = 0; i < (*store)->size(); ++i) {
    auto jpeg = (*store)->frame(i);
    CAF_REQUIRE(jpeg);
    auto img = cv::imdecode(std::vector<uchar>(jpeg->begin(), jpeg->end()),
                            cv::IMREAD_COLOR);
    CAF_CHECK_EQUAL(img.rows, 48);
    CAF_CHECK_EQUAL(img.cols, 64);
  }
}

CAF_TEST(renditions that disagree on duration or rate are not merged) {
  temp_dir dir;
  // 2 s and 4 s of the "same" video
  CAF_REQUIRE(test_util::make_renditions(dir, "long", {48}, 50));
  CAF_REQUIRE(test_util::make_renditions(dir, "long", {96}, 100));
  // 25 and 15 fps, both 2 s
  CAF_REQUIRE(test_util::make_renditions(dir, "rate", {48}, 50, 25.0));
  CAF_REQUIRE(test_util::make_renditions(dir, "rate", {96}, 30, 15.0));
  // 2.0 s and 2.2 s: within the 500 ms tolerance, merged as before
  CAF_REQUIRE(test_util::make_renditions(dir, "near", {48}, 50));
  CAF_REQUIRE(test_util::make_renditions(dir, "near", {96}, 55));
  std::vector<std::string> log;
  auto c = scan_catalog(dir.path(), {},
                        [&](const std::string& s) { log.push_back(s); });
  CAF_REQUIRE_EQUAL(c.videos.size(), 1u);
  CAF_CHECK_EQUAL(c.videos[0].id, "near");
  CAF_CHECK_EQUAL(c.videos[0].time.frames, 55u);
  CAF_REQUIRE_EQUAL(c.unavailable.size(), 2u);
  CAF_CHECK_EQUAL(c.unavailable[0].id, "long");
  CAF_CHECK_EQUAL(c.unavailable[0].reason,
                  "renditions disagree on duration: 48p 2.0 s, 96p 4.0 s "
                  "(tolerance 0.5 s)");
  CAF_CHECK_EQUAL(c.unavailable[1].id, "rate");
  CAF_CHECK_EQUAL(c.unavailable[1].reason,
                  "renditions disagree on frame rate: 48p 25 fps, 96p 15 fps");
  CAF_CHECK(c.find("long") == nullptr);
  CAF_REQUIRE(c.find_unavailable("long") != nullptr);
  // listed for clients, by id, with the reason
  auto l = c.list();
  CAF_REQUIRE_EQUAL(l.videos.size(), 3u);
  CAF_CHECK_EQUAL(l.videos[0].id, "long");
  CAF_CHECK_EQUAL(l.videos[0].problem, c.unavailable[0].reason);
  CAF_CHECK(l.videos[1].problem.empty());
  bool warned = false;
  for (auto& x : log)
    warned |= x.find("video long is not playable: renditions disagree") !=
              std::string::npos;
  CAF_CHECK(warned);
  // a looser tolerance merges the long one
  probe_options loose;
  loose.duration_tolerance = std::chrono::milliseconds{3000};
  CAF_CHECK(scan_catalog(dir.path(), loose).find("long") != nullptr);
}

CAF_TEST(renditions of different length map by timestamp) {
  // 25 fps timeline; a 12.5 fps rendition shows each frame twice, a short
  // rendition holds its last frame.
  auto t = make_timeline({{25000, 100}, {12500, 50}, {25000, 80}});
  CAF_CHECK_EQUAL(t.fps_milli, 25000u);
  CAF_CHECK_EQUAL(t.frames, 100u);
  CAF_CHECK_EQUAL(t.duration_ms(), 4000u);
  CAF_CHECK_EQUAL(map_frame(t, 25000, 100, 0), 0u);
  CAF_CHECK_EQUAL(map_frame(t, 25000, 100, 99), 99u);
  CAF_CHECK_EQUAL(map_frame(t, 12500, 50, 0), 0u);
  CAF_CHECK_EQUAL(map_frame(t, 12500, 50, 1), 0u);
  CAF_CHECK_EQUAL(map_frame(t, 12500, 50, 2), 1u);
  CAF_CHECK_EQUAL(map_frame(t, 12500, 50, 99), 49u);
  CAF_CHECK_EQUAL(map_frame(t, 25000, 80, 79), 79u);
  CAF_CHECK_EQUAL(map_frame(t, 25000, 80, 95), 79u);
  // the longest rendition defines the timeline: no tail is dropped
  auto t2 = make_timeline({{25000, 10}, {25000, 12}});
  CAF_CHECK_EQUAL(t2.frames, 12u);
}

CAF_TEST(frame store encodes each frame once and reuses its cache) {
  temp_dir dir;
  auto r = one_rendition(dir, 20);
  auto cache = dir / "cache";
  std::vector<std::string> log;
  auto before = frame_store::encoded_frames();
  auto s1 = frame_store::open("video_1", r, cache,
                              [&](const std::string& x) { log.push_back(x); });
  CAF_REQUIRE(s1);
  CAF_CHECK((*s1)->built());
  CAF_CHECK_EQUAL((*s1)->size(), 20u);
  CAF_CHECK_EQUAL(frame_store::encoded_frames() - before, 20u);
  CAF_CHECK_GREATER_OR_EQUAL(log.size(), 5u); // start, progress, done
  CAF_CHECK(fs::exists(cache + "/video_1_48p.mjpeg"));
  CAF_CHECK(fs::exists(cache + "/video_1_48p.idx"));
  for (auto& e : fs::directory_iterator{cache})
    CAF_CHECK(e.path().string().find(".tmp.") == std::string::npos);
  // two viewers read every frame: no further encode, same bytes
  auto source = make_video_source("video_1", {*s1});
  CAF_REQUIRE(source);
  std::set<uint32_t> seen;
  for (int viewer = 0; viewer < 2; ++viewer)
    for (uint32_t i = 0; i < 20; ++i) {
      auto jpeg = (*source)->renditions[0].store->frame(i);
      CAF_REQUIRE(jpeg != nullptr);
      auto img = cv::imdecode(cv::Mat{1, static_cast<int>(jpeg->size()),
                                      CV_8UC1, const_cast<char*>(jpeg->data())},
                              cv::IMREAD_COLOR);
      auto code = decode_index(img);
      CAF_CHECK_EQUAL(code, std::optional<uint32_t>{i});
    }
  CAF_CHECK_EQUAL(frame_store::encoded_frames() - before, 20u);
  CAF_CHECK((*s1)->frame(20) == nullptr);
  CAF_CHECK_GREATER((*s1)->bitrate_kbps(), 0u);
  // a second open uses the cache
  auto s2 = frame_store::open("video_1", r, cache);
  CAF_REQUIRE(s2);
  CAF_CHECK(!(*s2)->built());
  CAF_CHECK_EQUAL((*s2)->size(), 20u);
  CAF_CHECK_EQUAL(frame_store::encoded_frames() - before, 20u);
  // an inconsistent index is rebuilt
  fs::resize_file(cache + "/video_1_48p.mjpeg", 100);
  auto s3 = frame_store::open("video_1", r, cache);
  CAF_REQUIRE(s3);
  CAF_CHECK((*s3)->built());
  CAF_CHECK_EQUAL((*s3)->size(), 20u);
  // a newer source is rebuilt
  fs::last_write_time(r.path,
                      fs::last_write_time(r.path) + std::chrono::seconds(5));
  auto s4 = frame_store::open("video_1", r, cache);
  CAF_REQUIRE(s4);
  CAF_CHECK((*s4)->built());
  CAF_CHECK_EQUAL(frame_store::encoded_frames() - before, 60u);
  // an old reader keeps working on its open file after a rebuild
  CAF_CHECK((*s3)->frame(3) != nullptr);
}

CAF_TEST(a stop flag ends a cache build at the next frame) {
  temp_dir dir;
  auto r = one_rendition(dir, 40);
  auto cache = dir / "cache";
  auto stop = std::make_shared<std::atomic<bool>>(false);
  frame_store::options opts;
  opts.stop = stop;
  auto before = frame_store::encoded_frames();
  // The server's stop arrives while the build is half way.
  auto s = frame_store::open(
      "video_1", r, cache,
      [&](const std::string& line) {
        if (line.find(": 50%") != std::string::npos)
          stop->store(true);
      },
      opts);
  CAF_REQUIRE(!s);
  CAF_CHECK_EQUAL(net::code_of(s.error()), net::errc::shutdown);
  auto encoded = frame_store::encoded_frames() - before;
  CAF_CHECK_GREATER_OR_EQUAL(encoded, 20u);
  CAF_CHECK_LESS(encoded, 22u);
  // nothing half-built is left for the next start
  for (auto& e : fs::directory_iterator{cache})
    CAF_FAIL("left behind: " << e.path());
  auto again = frame_store::open("video_1", r, cache);
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL((*again)->size(), 40u);
  // a scan stops too: the file is reported, not counted to its end
  probe_options probe;
  probe.stop = stop;
  auto stopped = scan_catalog(dir.path(), probe);
  CAF_CHECK(stopped.videos.empty());
  CAF_CHECK(has_problem(stopped, "video_1_48p"));
}
