#define CAF_SUITE video_player
#include <caf/test/unit_test.hpp>

#include <cmath>

#include <opencv2/imgcodecs.hpp>

#include "client/video_player.hpp"
#include "client/video_window.hpp"

using namespace client;
using namespace std::chrono_literals;

namespace {

const player_time t0 = player_time{} + 1000s;

net::play_started started(uint32_t frames) {
  net::video_info info{
      "video_2", {240, 720, 1080}, frames * 40u, 25000, frames, ""};
  return {7, info, "thirds"};
}

net::video_frame frame(uint32_t index, uint16_t height = 240,
                       size_t bytes = 1000, uint32_t segment = 0) {
  return {7, segment, index, height, index * 40000u, net::bytes(bytes, 0xAB)};
}

std::vector<net::video_ack> acks_of(const std::vector<player_output>& out) {
  std::vector<net::video_ack> xs;
  for (auto& o : out)
    if (auto a = std::get_if<net::video_ack>(&o))
      xs.push_back(*a);
  return xs;
}

std::vector<net::video_control>
controls_of(const std::vector<player_output>& out) {
  std::vector<net::video_control> xs;
  for (auto& o : out)
    if (auto c = std::get_if<net::video_control>(&o))
      xs.push_back(*c);
  return xs;
}

std::vector<uint32_t> iota(uint32_t from, uint32_t to) {
  std::vector<uint32_t> xs;
  for (auto i = from; i < to; ++i)
    xs.push_back(i);
  return xs;
}

struct fixture {
  std::vector<std::string> lines;
  std::vector<player_output> out;

  player_settings settings() {
    player_settings s;
    s.headless = true;
    s.startup_ms = 200;
    s.rebuffer_ms = 200;
    s.print = [this](const std::string& x) { lines.push_back(x); };
    return s;
  }

  void tick(video_player& p, player_time now) {
    auto xs = p.tick(now);
    out.insert(out.end(), xs.begin(), xs.end());
  }

  /// Frames [from, to) of stream 7 (240p, 1000 bytes) arrive at `at`.
  void arrive(video_player& p, uint32_t from, uint32_t to, player_time at,
              uint32_t segment = 0) {
    for (auto i = from; i < to; ++i)
      p.on_frame(frame(i, 240, 1000, segment), at);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(video_player_tests, fixture)

CAF_TEST(plays a paced stream without loss and reports it) {
  video_player p{settings(), t0};
  p.on_started(started(50), t0 + 10ms);
  // the pacer's burst: 10 frames at once, then one per 40 ms; thirds
  // switch points at 17 and 34
  auto height = [](uint32_t i) -> uint16_t {
    return i * 3 < 50 ? 240 : (i * 3 < 100 ? 720 : 1080);
  };
  for (uint32_t i = 0; i < 10; ++i)
    p.on_frame(frame(i, height(i)), t0 + 20ms);
  tick(p, t0 + 20ms);
  CAF_CHECK_EQUAL(p.summary().frames_shown, 1u);
  CAF_CHECK_EQUAL(p.buffer_ms(), 360u);
  for (uint32_t k = 1; k <= 60; ++k) {
    auto now = t0 + 20ms + k * 40ms;
    if (10 + k - 1 < 50)
      p.on_frame(frame(10 + k - 1, height(10 + k - 1)), now);
    if (10 + k - 1 == 49)
      p.on_end({7, 0, 50, ""}, now);
    tick(p, now);
  }
  CAF_CHECK(p.finished());
  auto& s = p.summary();
  CAF_CHECK_EQUAL(s.frames_received, 50u);
  CAF_CHECK_EQUAL(s.frames_shown, 50u);
  CAF_CHECK_EQUAL(s.shown_indices, iota(0, 50));
  CAF_CHECK_EQUAL(s.received_indices, iota(0, 50));
  CAF_CHECK_EQUAL(s.late, 0u);
  CAF_CHECK_EQUAL(s.dropped, 0u);
  CAF_CHECK_EQUAL(s.rebuffers, 0u);
  CAF_REQUIRE(s.startup);
  CAF_CHECK_EQUAL(s.startup->count(), 20);
  CAF_CHECK_EQUAL(s.switches, 2u);
  CAF_CHECK_EQUAL(s.switch_points, (std::vector<std::pair<uint32_t, uint16_t>>{
                                       {17, 720}, {34, 1080}}));
  CAF_CHECK_EQUAL(s.bytes_received, 50000u);
  // 17 frames of 240p, 17 of 720p, 16 of 1080p
  CAF_CHECK_EQUAL(s.shown_by_height,
                  (std::map<uint16_t, uint32_t>{{240, 17}, {720, 17},
                                                {1080, 16}}));
  CAF_CHECK_LESS(std::abs(s.mean_height() - (17 * 240 + 17 * 720 + 16 * 1080) /
                                                50.0),
                 1e-9);
  CAF_CHECK(s.ended);
  // acks: the highest index so far, the buffer, non-decreasing, and often
  // enough for the server's credits (every 5 frames or 200 ms)
  auto acks = acks_of(out);
  CAF_REQUIRE_GREATER_OR_EQUAL(acks.size(), 8u);
  CAF_CHECK_EQUAL(acks.front().stream_id, 7u);
  CAF_CHECK_EQUAL(acks.front().index, 9u);
  CAF_CHECK_EQUAL(acks.front().buffer_ms, 360u);
  for (size_t i = 1; i < acks.size(); ++i)
    CAF_CHECK_GREATER_OR_EQUAL(acks[i].index, acks[i - 1].index);
  CAF_CHECK(controls_of(out).empty());
  // headless stats lines, once per second
  CAF_CHECK_GREATER_OR_EQUAL(lines.size(), 2u);
  CAF_CHECK(lines.front().find("[video video_2] ") == 0);
  CAF_CHECK(lines.front().find("buffer") != std::string::npos);
  auto text = s.to_text();
  CAF_MESSAGE(text);
  CAF_CHECK(text.find("50 frames shown of 50 received") != std::string::npos);
  CAF_CHECK(text.find("at 17 -> 720p") != std::string::npos);
  CAF_CHECK(text.find("shown by rendition: 240p 17 720p 17 1080p 16 "
                      "(mean 672p)") != std::string::npos);
}

CAF_TEST(nothing shown has no mean height) {
  player_summary s;
  CAF_CHECK_EQUAL(s.mean_height(), 0.0);
  CAF_CHECK(s.to_text().find("shown by rendition") == std::string::npos);
}

CAF_TEST(a starving stream rebuffers and resumes) {
  video_player p{settings(), t0};
  p.on_started(started(20), t0);
  arrive(p, 0, 5, t0);
  for (int k = 0; k <= 5; ++k)
    tick(p, t0 + k * 40ms);
  CAF_CHECK_EQUAL(p.summary().frames_shown, 5u);
  CAF_CHECK_EQUAL(p.summary().rebuffers, 1u);
  // frames come back a second later
  arrive(p, 5, 20, t0 + 1200ms);
  p.on_end({7, 0, 20, ""}, t0 + 1200ms);
  for (int k = 0; k <= 20; ++k)
    tick(p, t0 + 1200ms + k * 40ms);
  auto& s = p.summary();
  CAF_CHECK(p.finished());
  CAF_CHECK_EQUAL(s.shown_indices, iota(0, 20));
  CAF_CHECK_EQUAL(s.rebuffers, 1u);
  CAF_CHECK_EQUAL(s.rebuffer_time.count(), 1000);
}

CAF_TEST(late duplicate and foreign frames are counted not shown) {
  video_player p{settings(), t0};
  p.on_started(started(20), t0);
  arrive(p, 0, 6, t0);
  tick(p, t0);
  // the player was not ticked for 160 ms: 1..3 are skipped, 4 is shown
  tick(p, t0 + 160ms);
  CAF_CHECK_EQUAL(p.summary().shown_indices, (std::vector<uint32_t>{0, 4}));
  CAF_CHECK_EQUAL(p.summary().dropped, 3u);
  p.on_frame(frame(2), t0 + 170ms); // after its time
  p.on_frame(frame(5), t0 + 170ms); // again
  auto foreign = frame(6);
  foreign.stream_id = 99;
  p.on_frame(std::move(foreign), t0 + 170ms);
  auto& s = p.summary();
  CAF_CHECK_EQUAL(s.late, 1u);
  CAF_CHECK_EQUAL(s.duplicates, 1u);
  CAF_CHECK_EQUAL(s.frames_received, 8u);
}

CAF_TEST(keys produce controls and a seek discards frames in flight) {
  video_player p{settings(), t0};
  p.on_started(started(1000), t0);
  arrive(p, 0, 10, t0);
  tick(p, t0);
  tick(p, t0 + 40ms);
  auto c = p.on_key(player_key::toggle_pause, t0 + 50ms);
  CAF_REQUIRE_EQUAL(c.size(), 1u);
  CAF_CHECK_EQUAL(std::get<net::video_control>(c[0]).op, 1);
  CAF_CHECK(p.paused());
  tick(p, t0 + 5s);
  CAF_CHECK_EQUAL(p.summary().frames_shown, 2u);
  c = p.on_key(player_key::toggle_pause, t0 + 5s);
  CAF_CHECK_EQUAL(std::get<net::video_control>(c.at(0)).op, 2);
  tick(p, t0 + 5s + 40ms); // 50 ms of play before the pause + 40 ms
  CAF_CHECK_EQUAL(p.summary().shown_indices, (std::vector<uint32_t>{0, 1, 2}));
  // forward 10 s from index 3 (120 ms): seek to 10120 ms = index 253
  c = p.on_key(player_key::forward, t0 + 5s + 50ms);
  auto seek = std::get<net::video_control>(c.at(0));
  CAF_CHECK_EQUAL(seek.op, 4);
  CAF_CHECK_EQUAL(seek.arg_ms, 10120);
  CAF_CHECK_EQUAL(seek.segment, 1u); // the first seek starts segment 1
  arrive(p, 10, 14, t0 + 5s + 60ms); // still in flight from before
  arrive(p, 253, 263, t0 + 5s + 70ms, 1);
  tick(p, t0 + 5s + 70ms);
  CAF_CHECK_EQUAL(p.summary().discarded, 4u);
  CAF_CHECK_EQUAL(p.summary().shown_indices.back(), 253u);
  // back 10 s from index 254 (10160 ms), then again: clamps at 0
  c = p.on_key(player_key::back, t0 + 5s + 80ms);
  CAF_CHECK_EQUAL(std::get<net::video_control>(c.at(0)).arg_ms, 160);
  c = p.on_key(player_key::back, t0 + 5s + 85ms);
  CAF_CHECK_EQUAL(std::get<net::video_control>(c.at(0)).arg_ms, 0);
  CAF_CHECK_EQUAL(std::get<net::video_control>(c.at(0)).segment, 3u);
  c = p.on_key(player_key::stop, t0 + 5s + 90ms);
  CAF_CHECK_EQUAL(std::get<net::video_control>(c.at(0)).op, 5);
  CAF_CHECK(!p.finished()); // until the server confirms
  p.on_end({7, 1, 30, "stopped by the client"}, t0 + 5s + 100ms);
  CAF_CHECK(p.finished());
  CAF_CHECK_EQUAL(p.summary().end_reason, 1u);
}

CAF_TEST(a frame in flight from before a seek is dropped even at the target) {
  // Seeking back to an index the old segment is about to send: only the
  // segment tells the two frames apart (the player once took the old one).
  video_player p{settings(), t0};
  p.on_started(started(1000), t0);
  arrive(p, 0, 5, t0);
  auto c = p.seek_to(200, t0 + 10ms); // index 5
  CAF_REQUIRE_EQUAL(c.size(), 1u);
  auto seek = std::get<net::video_control>(c[0]);
  CAF_CHECK_EQUAL(seek.op, 4);
  CAF_CHECK_EQUAL(seek.segment, 1u);
  CAF_CHECK_EQUAL(seek.arg_ms, 200);
  arrive(p, 5, 8, t0 + 20ms);     // segment 0: in flight before the seek
  arrive(p, 5, 15, t0 + 30ms, 1); // the new segment
  CAF_CHECK_EQUAL(p.summary().discarded, 3u);
  auto acks = acks_of(p.tick(t0 + 300ms));
  CAF_REQUIRE(!acks.empty());
  CAF_CHECK_EQUAL(acks.back().segment, 1u);
  CAF_CHECK_EQUAL(acks.back().index, 14u);
}

CAF_TEST(a frame whose jpeg header claims a huge size is never decoded) {
  // A hostile server's 30000 x 30000 header costs cv::imdecode 2.7 GB and
  // seconds: the player checks the header against max_frame_pixels first.
  auto cfg = settings();
  cfg.check_frame_codes = true; // the player decodes what it shows
  video_player p{cfg, t0};
  p.on_started(started(1000), t0);
  cv::Mat img(16, 16, CV_8UC3, cv::Scalar(1, 2, 3));
  std::vector<uchar> jpeg;
  CAF_REQUIRE(cv::imencode(".jpg", img, jpeg));
  for (size_t i = 0; i + 9 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = 0x75; // height 30000
      jpeg[i + 6] = 0x30;
      jpeg[i + 7] = 0x75; // width 30000
      jpeg[i + 8] = 0x30;
      break;
    }
  p.on_frame({7, 0, 0, 240, 0, net::bytes(jpeg.begin(), jpeg.end())}, t0);
  p.on_frame({7, 0, 1, 240, 40000, net::bytes(100, 0xAB)}, t0); // not a JPEG
  CAF_CHECK_EQUAL(p.summary().rejected, 2u);
  CAF_CHECK_EQUAL(p.summary().frames_received, 2u);
  bool said = false;
  for (auto& l : lines)
    said |= l.find("frame 0 rejected: a JPEG of 30000x30000 exceeds the "
                   "limit of 33177600 pixels") != std::string::npos;
  CAF_CHECK(said);
  tick(p, t0 + 2s);
  CAF_CHECK_EQUAL(p.summary().frames_shown, 0u);
  CAF_CHECK(p.summary().to_text().find("2 rejected") != std::string::npos);
}

CAF_TEST(throughput comes from bursts) {
  video_player p{settings(), t0};
  p.on_started(started(100), t0);
  // 10 frames of 10000 bytes, 1 ms apart: 80 kbit per ms...
  for (uint32_t i = 0; i < 10; ++i)
    p.on_frame(frame(i, 240, 10000), t0 + i * 1ms);
  // 9 frames after the first in 9 ms = 90000 bytes * 8 / 9 ms
  CAF_CHECK_EQUAL(p.throughput_kbps(t0 + 9ms), 80000u);
  auto acks = acks_of(p.tick(t0 + 9ms));
  CAF_REQUIRE_EQUAL(acks.size(), 1u);
  CAF_CHECK_EQUAL(acks[0].throughput_kbps, 80000u);
}

CAF_TEST(headless mode never touches highgui) {
  CAF_CHECK_EQUAL(highgui_calls(), 0u);
  CAF_CHECK(key_from_code(' ') == player_key::toggle_pause);
  CAF_CHECK(key_from_code(65361) == player_key::back);
  CAF_CHECK(key_from_code(65363) == player_key::forward);
  CAF_CHECK(key_from_code('q') == player_key::stop);
  CAF_CHECK(key_from_code('x') == player_key::none);
}

CAF_TEST_FIXTURE_SCOPE_END()
