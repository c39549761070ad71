#define CAF_SUITE frame_pacer
#include <caf/test/dsl.hpp>

#include <vector>

#include "actors/frame_pacer.hpp"

using namespace actors;
using namespace std::chrono_literals;

namespace {

using time_point = caf::actor_clock::time_point;

struct recorder_state {
  static inline const char* name = "recorder";
  std::vector<time_point> at;
};

using recorder_impl = pacer_sink::stateful_base<recorder_state>;

pacer_sink::behavior_type recorder(recorder_impl* self) {
  return {
      [=](next_atom) { self->state.at.push_back(self->clock().now()); },
  };
}

using pacer_impl = frame_pacer_actor::stateful_base<frame_pacer_state>;

struct fixture : test_coordinator_fixture<> {
  pacer_sink sink;
  frame_pacer_actor pacer;
  time_point t0;

  fixture() {
    sink = sys.spawn(recorder);
    t0 = sched.clock().now();
  }

  ~fixture() {
    if (pacer)
      anon_send_exit(pacer, caf::exit_reason::user_shutdown);
    anon_send_exit(sink, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void start(uint32_t target_ms, uint32_t max_in_flight) {
    pacer_settings cfg;
    cfg.frame_interval = 40ms;
    cfg.buffer_target_ms = target_ms;
    cfg.max_in_flight = max_in_flight;
    cfg.band = default_pacer_band(cfg.frame_interval, target_ms);
    pacer = sys.spawn(frame_pacer, sink, cfg);
    sched.run();
  }

  // Advances virtual time, runs everything due, returns the frame count.
  size_t after(caf::timespan dt) {
    advance_time(dt);
    sched.run();
    return count();
  }

  size_t count() {
    return deref<recorder_impl>(sink).state.at.size();
  }

  const std::vector<time_point>& times() {
    return deref<recorder_impl>(sink).state.at;
  }

  pacer_impl& st() {
    return deref<pacer_impl>(pacer);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(frame_pacer_tests, fixture)

CAF_TEST(bursts to the buffer target then releases at the native rate) {
  start(1000, 100);
  // 1000 ms of 40 ms frames at once
  CAF_CHECK_EQUAL(count(), 25u);
  for (auto& t : times())
    CAF_CHECK(t == t0);
  CAF_CHECK_EQUAL(after(39ms), 25u);
  CAF_CHECK_EQUAL(after(1ms), 26u);
  for (int k = 2; k <= 20; ++k)
    CAF_CHECK_EQUAL(after(40ms), 25u + k);
  auto& at = times();
  for (size_t i = 25; i < at.size(); ++i)
    CAF_CHECK(at[i] == t0 + (i - 24) * 40ms);
}

CAF_TEST(acks that under report the buffer leave the schedule alone) {
  // A client's buffer counts whole frames and not the one on screen, so its
  // acks report up to a frame less than the model: answering each with a
  // frame (as the pacer once did) sent frames in pairs.
  start(1000, 100);
  CAF_CHECK_EQUAL(count(), 25u);
  for (int k = 1; k <= 100; ++k) {
    CAF_CHECK_EQUAL(after(20ms), 24u + k); // between two slots:
    auto& st = this->st().state;
    anon_send(pacer, ack_atom::value, static_cast<uint32_t>(st.released),
              uint32_t{1000 - 35}); // nearly a frame short
    sched.run();
    CAF_CHECK_EQUAL(count(), 24u + k); // nothing released by the ack
    CAF_CHECK_EQUAL(after(20ms), 25u + k);
  }
  auto& at = times();
  for (size_t i = 25; i < at.size(); ++i)
    CAF_CHECK(at[i] == t0 + (i - 24) * 40ms);
}

CAF_TEST(a late timer releases the slots it missed and keeps the schedule) {
  start(1000, 100);
  CAF_CHECK_EQUAL(count(), 25u);
  CAF_CHECK_EQUAL(after(100ms), 27u); // slots at 40 and 80 ms
  CAF_CHECK_EQUAL(after(19ms), 27u);
  CAF_CHECK_EQUAL(after(1ms), 28u); // the slot at 120 ms
  CAF_CHECK(times().back() == t0 + 120ms);
}

CAF_TEST(a client well below the target is refilled at once) {
  start(1000, 100);
  CAF_CHECK_EQUAL(after(40ms), 26u);
  // it stalled: 500 ms left, far below 1000 - 125 ms
  anon_send(pacer, ack_atom::value, uint32_t{26}, uint32_t{500});
  sched.run();
  CAF_CHECK_EQUAL(count(), 26u + 13u); // 500 + 13 * 40 >= 1000
  // and the schedule starts afresh from the fill
  CAF_CHECK_EQUAL(after(39ms), 39u);
  CAF_CHECK_EQUAL(after(1ms), 40u);
}

CAF_TEST(credits bound the frames in flight when no ack arrives) {
  start(10000, 8);
  CAF_CHECK_EQUAL(count(), 8u);
  // waiting for an ack, not for time: no timer keeps the pacer busy (or
  // alive, once its stream is gone)
  CAF_CHECK(sched.clock().schedule().empty());
  CAF_CHECK_EQUAL(after(30s), 8u);
  CAF_CHECK_EQUAL(st().state.in_flight(), 8u);
  // the client confirms 3 frames and has 100 ms buffered: 3 credits back
  anon_send(pacer, ack_atom::value, uint32_t{3}, uint32_t{100});
  sched.run();
  CAF_CHECK_EQUAL(count(), 11u);
  CAF_CHECK_EQUAL(after(30s), 11u);
  // all confirmed: refill up to the window again
  anon_send(pacer, ack_atom::value, uint32_t{11}, uint32_t{400});
  sched.run();
  CAF_CHECK_EQUAL(count(), 19u);
  // an ack claiming more than was sent grants nothing extra
  anon_send(pacer, ack_atom::value, uint32_t{1000}, uint32_t{0});
  sched.run();
  CAF_CHECK_EQUAL(count(), 27u);
  CAF_CHECK_EQUAL(st().state.in_flight(), 8u);
}

CAF_TEST(a narrowed window bounds the frames in flight until widened) {
  start(10000, 8);
  CAF_CHECK_EQUAL(count(), 8u);
  anon_send(pacer, window_atom::value, uint32_t{3});
  sched.run();
  // all 8 confirmed: only 3 may be in flight now
  anon_send(pacer, ack_atom::value, uint32_t{8}, uint32_t{320});
  sched.run();
  CAF_CHECK_EQUAL(count(), 11u);
  CAF_CHECK_EQUAL(after(30s), 11u);
  // the window never exceeds max_in_flight
  anon_send(pacer, window_atom::value, uint32_t{50});
  sched.run();
  CAF_CHECK_EQUAL(count(), 16u);
  // 0: the pacer's own bound again
  anon_send(pacer, window_atom::value, uint32_t{0});
  sched.run();
  CAF_CHECK_EQUAL(st().state.in_flight(), 8u);
}

CAF_TEST(acks reporting a full client buffer hold releases back) {
  start(1000, 100);
  CAF_CHECK_EQUAL(count(), 25u);
  // the client has 3 s buffered (e.g. it paused locally): nothing until it
  // drains to within the band (125 ms) above the target, at a slot
  anon_send(pacer, ack_atom::value, uint32_t{25}, uint32_t{3000});
  sched.run();
  CAF_CHECK_EQUAL(after(1879ms), 25u);
  CAF_CHECK_EQUAL(after(1ms), 26u);
  CAF_CHECK(times().back() == t0 + 1880ms);
  CAF_CHECK_EQUAL(after(40ms), 27u);
  // an ack showing a drained buffer triggers a burst back to the target
  anon_send(pacer, ack_atom::value, uint32_t{27}, uint32_t{200});
  sched.run();
  CAF_CHECK_EQUAL(count(), 27u + 20u);
}

CAF_TEST(pause holds releases and resume continues at the native rate) {
  start(200, 100);
  CAF_CHECK_EQUAL(count(), 5u);
  CAF_CHECK_EQUAL(after(40ms), 6u);
  anon_send(pacer, pause_atom::value);
  sched.run();
  CAF_CHECK_EQUAL(after(5s), 6u);
  anon_send(pacer, resume_atom::value);
  sched.run();
  CAF_CHECK_EQUAL(count(), 6u);
  CAF_CHECK_EQUAL(after(39ms), 6u);
  CAF_CHECK_EQUAL(after(1ms), 7u);
  CAF_CHECK(times().back() == t0 + 40ms + 5s + 40ms);
  CAF_CHECK_EQUAL(after(40ms), 8u);
}

CAF_TEST(reset after a seek refills the buffer at once) {
  start(200, 100);
  for (int k = 1; k <= 10; ++k)
    CAF_CHECK_EQUAL(after(40ms), 5u + k);
  anon_send(pacer, caf::reset_atom::value);
  sched.run();
  CAF_CHECK_EQUAL(count(), 20u);
  CAF_CHECK_EQUAL(st().state.released, 5u);
  CAF_CHECK_EQUAL(after(40ms), 21u);
}

CAF_TEST(a stopped pacer releases nothing more) {
  start(200, 100);
  CAF_CHECK_EQUAL(count(), 5u);
  anon_send_exit(pacer, caf::exit_reason::user_shutdown);
  sched.run();
  CAF_CHECK_EQUAL(after(10s), 5u);
  pacer = nullptr;
  // run() terminates: no self re-arming timer is left behind
  run();
  CAF_CHECK_EQUAL(count(), 5u);
}

CAF_TEST_FIXTURE_SCOPE_END()
