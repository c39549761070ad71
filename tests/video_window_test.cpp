#define CAF_SUITE video_window
#include <caf/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <regex>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "client/video_player.hpp"
#include "client/video_window.hpp"
#include "tests/integration.hpp"

// The player's window on a real X server: CTest runs this suite under
// xvfb-run when it is installed (scripts/deps.sh installs it). Without a
// display each test says so and checks nothing else.

using namespace client;
using namespace std::chrono;
using namespace std::chrono_literals;
using namespace test_support;

namespace {

bool have_display() {
  if (std::getenv("DISPLAY") != nullptr)
    return true;
  CAF_MESSAGE("skipped: no X display (CTest runs this suite under xvfb-run "
              "when it is installed; scripts/deps.sh installs it)");
  return false;
}

/// Lets the window system settle: a few event-loop turns.
void settle(video_window& w) {
  for (int i = 0; i < 20; ++i)
    w.poll();
}

cv::Mat frame_of(int width, int height) {
  return cv::Mat(height, width, CV_8UC3, cv::Scalar(0, 128, 255));
}

} // namespace

CAF_TEST(the window keeps its size across frame sizes and goes fullscreen) {
  if (!have_display())
    return;
  video_window w{"chatroom test", {640, 360}};
  CAF_CHECK(w.image_rect().empty()); // opens with the first frame
  for (auto [width, height] :
       {std::pair{426, 240}, {1280, 720}, {1920, 1080}, {426, 240}}) {
    w.show(frame_of(width, height));
    settle(w);
    auto r = w.image_rect();
    CAF_MESSAGE(width << "x" << height << " shown in " << r.width << "x"
                      << r.height);
    CAF_CHECK_EQUAL(r.width, 640);
    CAF_CHECK_EQUAL(r.height, 360);
  }
  CAF_CHECK(!w.fullscreen());
  w.toggle_fullscreen();
  settle(w);
  CAF_CHECK(w.fullscreen());
  w.toggle_fullscreen();
  settle(w);
  CAF_CHECK(!w.fullscreen());
}

CAF_TEST(the player opens its window at the video height and keeps it) {
  if (!have_display())
    return;
  player_settings cfg;
  cfg.headless = false;
  cfg.startup_ms = 80;
  cfg.window_height = 360; // below the video's 1080: the option wins
  auto t0 = steady_clock::now();
  video_player p{cfg, t0};
  net::video_info info{"clip", {240, 1080}, 400, 25000, 10, ""};
  p.on_started({7, info, "thirds"}, t0);
  // five 240p frames, then five 1080p ones (16:9), as the server sends them
  for (uint32_t i = 0; i < 10; ++i) {
    auto h = i < 5 ? 240 : 1080;
    std::vector<uchar> jpeg;
    CAF_REQUIRE(cv::imencode(".jpg", frame_of(h * 16 / 9, h), jpeg));
    p.on_frame({7, 0, i, static_cast<uint16_t>(h), i * 40000u,
                net::bytes(jpeg.begin(), jpeg.end())},
               t0);
  }
  for (int k = 0; k <= 12; ++k)
    p.tick(t0 + k * 40ms);
  CAF_REQUIRE(p.window() != nullptr);
  auto r = p.window()->image_rect();
  CAF_CHECK_EQUAL(r.width, 640);
  CAF_CHECK_EQUAL(r.height, 360);
  CAF_CHECK_EQUAL(p.summary().frames_shown, 10u);
  CAF_CHECK_EQUAL(p.summary().switches, 1u);
  // f toggles fullscreen (local: nothing goes to the server)
  CAF_CHECK(p.on_key(player_key::toggle_fullscreen, t0 + 500ms).empty());
  CAF_CHECK(p.window()->fullscreen());
  CAF_CHECK(p.on_key(player_key::toggle_overlay, t0 + 510ms).empty());
  CAF_CHECK(key_from_code('f') == player_key::toggle_fullscreen);
  CAF_CHECK(key_from_code('o') == player_key::toggle_overlay);
}

CAF_TEST(a real client in window mode shows every frame across switches) {
  // thirds switches 240p -> 720p -> 1080p on an unthrottled loopback: the
  // window once resized at each switch, and three frames were dropped
  if (!have_display())
    return;
  temp_dir dir;
  process gen{{binary("make-sample-videos"), "--out", dir / "videos",
               "--source", "/nonexistent", "--seconds", "3"}};
  auto made = gen.wait_exit(seconds{120});
  CAF_REQUIRE(made && *made == 0);
  live_server srv{{"--videos", dir / "videos"}};
  auto out = play_video_2(srv, "viewer",
                          {"--abr-policy", "thirds", "--check-frame-codes"});
  std::smatch m;
  CAF_REQUIRE(std::regex_search(
      out, m,
      std::regex{"([0-9]+) frames shown of ([0-9]+) received \\(late "
                 "([0-9]+), dropped ([0-9]+)"}));
  CAF_MESSAGE(m[0]);
  auto summary = out.find("frames shown of");
  CAF_MESSAGE(out.substr(summary > 300 ? summary - 300 : 0, 900));
  CAF_CHECK_EQUAL(std::stoi(m[2]), 75);
  CAF_CHECK_EQUAL(std::stoi(m[1]), 75);
  CAF_CHECK_EQUAL(std::stoi(m[3]), 0);
  CAF_CHECK_EQUAL(std::stoi(m[4]), 0);
  CAF_CHECK(out.find("rendition switches 2") != out.npos);
  CAF_CHECK(out.find("frame codes: 75 checked, 0 mismatched") != out.npos);
}
