#define CAF_SUITE video_stream
#include <caf/test/dsl.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "actors/video_stream.hpp"
#include "tests/video_test_util.hpp"
#include "videos/catalog.hpp"
#include "videos/frame_code.hpp"

using namespace actors;
using namespace std::chrono_literals;

namespace {

using time_point = caf::actor_clock::time_point;

// Three renditions (48p, 72p, 96p) of a 30-frame, 25 fps synthetic video,
// built once per process.
struct shared_video {
  test_util::temp_dir dir;
  video::video_source_ptr source;

  shared_video() {
    CAF_REQUIRE(test_util::make_renditions(dir, "video_2", {48, 72, 96}, 30));
    auto cat = video::scan_catalog(dir.path());
    CAF_REQUIRE_EQUAL(cat.videos.size(), 1u);
    std::vector<video::frame_store_ptr> stores;
    for (auto& r : cat.videos[0].renditions) {
      auto s = video::frame_store::open("video_2", r, dir / "cache");
      CAF_REQUIRE(s);
      stores.push_back(*s);
    }
    auto src = video::make_video_source("video_2", stores);
    CAF_REQUIRE(src);
    source = *src;
  }
};

const video::video_source_ptr& source() {
  static shared_video v;
  return v.source;
}

struct sink_state {
  static inline const char* name = "test_sink";
  std::optional<net::play_started> started;
  std::vector<outgoing_video_frame> frames;
  std::vector<time_point> at;
  std::optional<net::video_end> end;
  bool end_after_frames = true; // nothing arrives after video_end
};

using sink_impl = video_sink::stateful_base<sink_state>;

video_sink::behavior_type test_sink(sink_impl* self) {
  return {
      [=](net::play_started& x) {
        self->state.started = x;
        self->state.end_after_frames &= !self->state.end;
      },
      [=](outgoing_video_frame& f) {
        self->state.frames.push_back(f);
        self->state.at.push_back(self->clock().now());
        self->state.end_after_frames &= !self->state.end;
      },
      [=](net::video_end& e) { self->state.end = e; },
  };
}

struct watch_state {
  bool down = false;
};

caf::behavior watcher(caf::stateful_actor<watch_state>* self,
                      caf::actor_addr target) {
  self->monitor(target);
  self->set_down_handler([=](caf::down_msg&) { self->state.down = true; });
  return {[](int) {}};
}

struct fixture : test_coordinator_fixture<> {
  video_sink sink;
  video_stream_actor stream;
  caf::actor watch;
  time_point t0;

  fixture() {
    sink = sys.spawn(test_sink);
    t0 = sched.clock().now();
  }

  ~fixture() {
    if (stream)
      anon_send_exit(stream, caf::exit_reason::user_shutdown);
    anon_send_exit(sink, caf::exit_reason::user_shutdown);
    if (watch)
      anon_send_exit(watch, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start(const std::string& policy, uint32_t target_ms,
             uint32_t max_in_flight, uint32_t decision_frames = 0) {
    auto spec = video::parse_policy(policy);
    CAF_REQUIRE(spec);
    stream_settings cfg;
    cfg.buffer_target_ms = target_ms;
    cfg.max_in_flight = max_in_flight;
    cfg.abr.decision_frames = decision_frames;
    stream = sys.spawn(video_stream, sink, uint32_t{7}, source(), *spec, cfg);
    watch = sys.spawn(watcher, stream.address());
    sched.run();
  }

  size_t after(caf::timespan dt) {
    advance_time(dt);
    sched.run();
    return st().frames.size();
  }

  sink_state& st() {
    return deref<sink_impl>(sink).state;
  }

  std::vector<uint32_t> indices() {
    std::vector<uint32_t> xs;
    for (auto& f : st().frames)
      xs.push_back(f.index);
    return xs;
  }

  bool stream_down() {
    return deref<caf::stateful_actor<watch_state>>(watch).state.down;
  }

  /// The client's segment: each seek below starts the next one.
  uint32_t segment = 0;

  void control(net::video_op op, int64_t arg = 0) {
    if (op == net::video_op::seek_absolute || op == net::video_op::seek_relative)
      ++segment;
    anon_send(stream,
              net::video_control{7, segment, static_cast<uint8_t>(op), arg});
    sched.run();
  }

  void ack(uint32_t index, uint32_t buffer_ms, uint32_t kbps = 0) {
    anon_send(stream, net::video_ack{7, segment, index, buffer_ms, kbps});
    sched.run();
  }
};

std::vector<uint32_t> iota(uint32_t from, uint32_t to) {
  std::vector<uint32_t> xs;
  for (auto i = from; i < to; ++i)
    xs.push_back(i);
  return xs;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(video_stream_tests, fixture)

CAF_TEST(thirds sends every index once in order with exact switch points) {
  start("thirds", 100000, 100);
  auto& s = st();
  CAF_REQUIRE(s.started);
  CAF_CHECK_EQUAL(s.started->stream_id, 7u);
  CAF_CHECK_EQUAL(s.started->policy, "thirds");
  CAF_CHECK_EQUAL(s.started->info.frames, 30u);
  CAF_CHECK_EQUAL(s.started->info.heights, (std::vector<uint16_t>{48, 72, 96}));
  CAF_CHECK_EQUAL(indices(), iota(0, 30));
  for (auto& f : s.frames) {
    uint16_t want = f.index < 10 ? 48 : (f.index < 20 ? 72 : 96);
    CAF_CHECK_EQUAL(f.height, want);
    CAF_CHECK_EQUAL(f.pts_us, f.index * 40000u);
    CAF_REQUIRE(f.jpeg != nullptr);
    // the bytes are the frame the index names, straight from the store
    auto img = cv::imdecode(std::vector<uchar>(f.jpeg->begin(), f.jpeg->end()),
                            cv::IMREAD_COLOR);
    CAF_CHECK_EQUAL(img.rows, int{f.height});
    CAF_CHECK_EQUAL(video::decode_index(img), std::optional<uint32_t>{f.index});
  }
  CAF_REQUIRE(s.end);
  CAF_CHECK_EQUAL(s.end->reason, uint8_t{0});
  CAF_CHECK_EQUAL(s.end->frames_sent, 30u);
  CAF_CHECK(s.end_after_frames);
  CAF_CHECK(stream_down());
}

CAF_TEST(frames leave at the native rate once the buffer target is full) {
  start("fixed:72", 400, 100); // 400 ms = 10 frames at 25 fps
  CAF_CHECK_EQUAL(st().frames.size(), 10u);
  for (uint32_t k = 1; k <= 20; ++k) {
    CAF_CHECK_EQUAL(after(39ms), 9u + k);
    CAF_CHECK_EQUAL(after(1ms), 10u + k);
    CAF_CHECK(st().at.back() == t0 + k * 40ms);
  }
  CAF_CHECK_EQUAL(indices(), iota(0, 30));
  CAF_REQUIRE(st().end);
  CAF_CHECK_EQUAL(st().end->frames_sent, 30u);
  for (auto& f : st().frames)
    CAF_CHECK_EQUAL(f.height, 72u);
  CAF_CHECK(stream_down());
}

CAF_TEST(credits bound frames in flight for a client that does not ack) {
  start("thirds", 100000, 4);
  CAF_CHECK_EQUAL(st().frames.size(), 4u);
  CAF_CHECK_EQUAL(after(10s), 4u);
  ack(1, 80);
  CAF_CHECK_EQUAL(st().frames.size(), 6u);
  // an ack for a frame never sent is ignored
  ack(25, 80);
  CAF_CHECK_EQUAL(after(10s), 6u);
  CAF_CHECK_EQUAL(indices(), iota(0, 6));
  CAF_CHECK(!stream_down());
}

CAF_TEST(pause resume and stop) {
  start("thirds", 200, 100); // 5 frames
  CAF_CHECK_EQUAL(st().frames.size(), 5u);
  control(net::video_op::pause);
  CAF_CHECK_EQUAL(after(5s), 5u);
  control(net::video_op::resume);
  CAF_CHECK_EQUAL(after(40ms), 6u);
  CAF_CHECK_EQUAL(after(40ms), 7u);
  // controls for another stream id change nothing
  anon_send(stream, net::video_control{8, 0, 5, 0});
  sched.run();
  CAF_CHECK(!st().end);
  control(net::video_op::stop);
  CAF_REQUIRE(st().end);
  CAF_CHECK_EQUAL(st().end->reason, uint8_t{1});
  CAF_CHECK_EQUAL(st().end->frames_sent, 7u);
  CAF_CHECK_EQUAL(after(1s), 7u);
  CAF_CHECK(stream_down());
}

CAF_TEST(seeks jump to the right index and past the end finishes) {
  start("thirds", 200, 100);
  CAF_CHECK_EQUAL(indices(), iota(0, 5));
  control(net::video_op::seek_absolute, 800); // index 20
  auto xs = indices();
  CAF_CHECK_EQUAL(xs,
                  (std::vector<uint32_t>{0, 1, 2, 3, 4, 20, 21, 22, 23, 24}));
  CAF_CHECK_EQUAL(st().frames.back().height, 96u);
  // relative: the client got up to 24 and buffers 200 ms -> it shows 20;
  // -10 s clamps to the start
  ack(24, 200);
  control(net::video_op::seek_relative, -10000);
  CAF_CHECK_EQUAL(st().frames.back().index, 4u);
  CAF_CHECK_EQUAL(st().frames[10].index, 0u);
  // +400 ms from position 0 + 5 received - 200 buffered = 0 ms -> 10
  ack(4, 200);
  control(net::video_op::seek_relative, 400);
  CAF_CHECK_EQUAL(st().frames[15].index, 10u);
  control(net::video_op::seek_absolute, 99000);
  CAF_REQUIRE(st().end);
  CAF_CHECK_EQUAL(st().end->reason, uint8_t{0});
  CAF_CHECK_EQUAL(st().end->text, "seek to 99000 ms is past the end (1200 ms)");
  CAF_CHECK(stream_down());
}

CAF_TEST(a relative seek of int64 max saturates and finishes) {
  // position + INT64_MAX used to overflow (undefined) and restart at 0
  start("thirds", 200, 100);
  ack(4, 0);
  auto before = st().frames.size();
  control(net::video_op::seek_relative, INT64_MAX);
  CAF_REQUIRE(st().end);
  CAF_CHECK_EQUAL(st().end->reason, uint8_t{0});
  CAF_CHECK_EQUAL(st().frames.size(), before); // no restart at frame 0
}

CAF_TEST(a relative seek of int64 min clamps to the start) {
  start("thirds", 200, 100);
  ack(4, 0);
  auto before = st().frames.size();
  control(net::video_op::seek_relative, INT64_MIN);
  CAF_CHECK(!st().end);
  CAF_REQUIRE_GREATER(st().frames.size(), before);
  CAF_CHECK_EQUAL(st().frames[before].index, 0u);
}

CAF_TEST(frames carry the segment of the seek that started them) {
  start("thirds", 200, 100);
  for (auto& f : st().frames)
    CAF_CHECK_EQUAL(f.segment, 0u);
  control(net::video_op::seek_absolute, 800); // segment 1, index 20
  CAF_REQUIRE_EQUAL(st().frames.size(), 10u);
  for (size_t i = 5; i < 10; ++i)
    CAF_CHECK_EQUAL(st().frames[i].segment, 1u);
}

CAF_TEST(an ack from before a seek is ignored) {
  start("thirds", 100000, 4); // credits: 4 frames, then acks only
  control(net::video_op::seek_absolute, 0); // segment 1, from index 0
  CAF_CHECK_EQUAL(st().frames.size(), 8u);
  // index 1 lies within what segment 1 sent, but the ack is of segment 0:
  // it crossed the seek and confirms nothing (no credit, no frame)
  anon_send(stream, net::video_ack{7, 0, 1, 80, 0});
  sched.run();
  CAF_CHECK_EQUAL(after(10s), 8u);
  ack(1, 80); // the same ack of segment 1 does
  CAF_CHECK_EQUAL(st().frames.size(), 10u);
}

CAF_TEST(a seek that does not start a newer segment is ignored) {
  start("thirds", 200, 100);
  control(net::video_op::seek_absolute, 800); // segment 1, index 20
  CAF_CHECK_EQUAL(st().frames.back().index, 24u);
  // a repeated or late seek (segment 1 again, or 0) changes nothing
  anon_send(stream, net::video_control{7, 1, 4, 0});
  anon_send(stream, net::video_control{7, 0, 4, 0});
  sched.run();
  CAF_CHECK_EQUAL(after(40ms), 11u);
  CAF_CHECK_EQUAL(st().frames.back().index, 25u);
  CAF_CHECK_EQUAL(st().frames.back().segment, 1u);
  // a newer one applies, whatever it skips (the client numbers its seeks)
  anon_send(stream, net::video_control{7, 5, 4, 0});
  sched.run();
  CAF_CHECK_EQUAL(st().frames.back().segment, 5u);
  CAF_CHECK_EQUAL(st().frames[11].index, 0u);
}

CAF_TEST(a finished stream ends its pacer) {
  // Linked, but a normal exit does not end linked actors: the pacer of
  // every finished playback once lived on, ticking at the frame rate.
  start("fixed:72", 400, 100);
  using stream_impl = video_stream_actor::stateful_base<video_stream_state>;
  auto pacer = deref<stream_impl>(stream).state.pacer;
  CAF_REQUIRE(pacer);
  auto pacer_watch = sys.spawn(watcher, pacer.address());
  after(2s); // 30 frames at 25 fps
  CAF_REQUIRE(st().end);
  CAF_CHECK(deref<caf::stateful_actor<watch_state>>(pacer_watch).state.down);
  anon_send_exit(pacer_watch, caf::exit_reason::user_shutdown);
}

CAF_TEST(a seek near the end plays the tail and finishes) {
  start("thirds", 200, 100);
  control(net::video_op::seek_absolute, 1120); // index 28
  while (!st().end && after(40ms) < 100) {
  }
  auto xs = indices();
  CAF_CHECK_EQUAL(xs, (std::vector<uint32_t>{0, 1, 2, 3, 4, 28, 29}));
  CAF_REQUIRE(st().end);
  CAF_CHECK_EQUAL(st().end->reason, uint8_t{0});
  CAF_CHECK_EQUAL(st().end->frames_sent, 7u);
}

CAF_TEST(a dying session ends its stream) {
  start("thirds", 200, 100);
  anon_send_exit(sink, caf::exit_reason::user_shutdown);
  sched.run();
  CAF_CHECK(stream_down());
  stream = nullptr;
  run(); // no pacer timer survives the stream
}

CAF_TEST(a policy the video cannot serve ends the stream with an error) {
  start("fixed:480", 200, 100);
  CAF_CHECK(!st().started);
  CAF_CHECK(st().frames.empty());
  CAF_REQUIRE(st().end);
  CAF_CHECK_EQUAL(st().end->reason, uint8_t{2});
  CAF_CHECK_EQUAL(st().end->text,
                  "no 480p rendition (available: 48p, 72p, 96p)");
  CAF_CHECK(stream_down());
}

CAF_TEST(adaptive climbs after good acks with hysteresis) {
  // decide every 5 frames so the 30-frame clip sees several decisions
  start("adaptive", 400, 100, 5);
  CAF_CHECK_EQUAL(st().frames.size(), 10u);
  // a fat link and a full buffer from now on
  for (int k = 0; k < 20; ++k) {
    ack(st().frames.back().index, 400, 100000);
    after(40ms);
  }
  CAF_REQUIRE(st().end);
  CAF_CHECK_EQUAL(indices(), iota(0, 30));
  // decisions at 10 (first vote), 15 (second: up), 20 (vote), 25 (up)
  for (auto& f : st().frames) {
    uint16_t want = f.index < 15 ? 48 : (f.index < 25 ? 72 : 96);
    CAF_CHECK_EQUAL(f.height, want);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST(the pacing comes from the stream settings) {
  // The server's defaults at 25 fps reach the pacer unchanged.
  stream_settings s;
  auto pc = make_pacer_settings(s, 25000);
  CAF_CHECK(pc.frame_interval == 40ms);
  CAF_CHECK_EQUAL(pc.buffer_target_ms, s.buffer_target_ms);
  CAF_CHECK_EQUAL(pc.max_in_flight, s.max_in_flight);
  // A window of 0: twice the target's frames (1500 ms = 37), at least 8,
  // at most the cap.
  s.max_in_flight = 0;
  CAF_CHECK_EQUAL(make_pacer_settings(s, 25000).max_in_flight, 74u);
  s.buffer_target_ms = 100;
  CAF_CHECK_EQUAL(make_pacer_settings(s, 25000).max_in_flight, 8u);
  s.buffer_target_ms = 60000;
  CAF_CHECK_EQUAL(make_pacer_settings(s, 25000).max_in_flight,
                  s.max_in_flight_cap);
}
