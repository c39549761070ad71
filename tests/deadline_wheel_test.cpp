#define CAF_SUITE deadline_wheel
#include <caf/test/io_dsl.hpp>

#include "actors/deadline_wheel.hpp"

// The wheel on virtual time: sinks are counters of their wakes. The wheel
// is a broker: it runs on the test multiplexer (run_all() runs both).

using namespace actors;
using namespace std::chrono_literals;

namespace {

struct sink_state {
  int wakes = 0;
  static inline const char* name = "sink";
};

using sink_impl = deadline_sink::stateful_base<sink_state>;

deadline_sink::behavior_type
counting_sink(deadline_sink::stateful_pointer<sink_state> self) {
  return {
      [=](idle_atom_t) { ++self->state.wakes; },
  };
}

struct fixture : test_node_fixture<> {
  deadline_wheel_actor wheel = spawn_deadline_wheel(sys, caf::timespan{0});

  ~fixture() override {
    anon_send_exit(wheel, caf::exit_reason::user_shutdown);
    run_all();
  }

  /// Delivers messages without firing timers.
  void run_all() {
    while (sched.try_run_once() || mpx.try_exec_runnable())
      ; // repeat
  }

  deadline_sink make_sink() {
    return sys.spawn(counting_sink);
  }

  void wake(const deadline_sink& sink, caf::timespan delay) {
    self->send(wheel, wake_atom::value, sink, delay);
    run_all();
  }

  int wakes(const deadline_sink& sink) {
    return deref<sink_impl>(sink).state.wakes;
  }

  /// Advances virtual time, delivers what fell due; the timers that fired.
  size_t advance(caf::timespan d) {
    auto n = advance_time(d);
    run_all();
    return n;
  }

  deadline_wheel_state& state() {
    return deref<deadline_wheel_impl>(wheel).state;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(deadline_wheel_tests, fixture)

CAF_TEST(a sink is woken at its deadline and not before) {
  auto a = make_sink();
  wake(a, 300s);
  CAF_CHECK_EQUAL(advance(299s), 0u);
  CAF_CHECK_EQUAL(wakes(a), 0);
  CAF_CHECK_EQUAL(advance(1s), 1u);
  CAF_CHECK_EQUAL(wakes(a), 1);
  CAF_CHECK(state().due.empty()); // once: a sink asks again if it must
  CAF_CHECK_EQUAL(advance(600s), 0u);
  CAF_CHECK_EQUAL(wakes(a), 1);
}

CAF_TEST(a new request replaces the one before) {
  auto a = make_sink();
  wake(a, 300s);
  wake(a, 30s); // earlier
  advance(30s);
  CAF_CHECK_EQUAL(wakes(a), 1);
  wake(a, 10s);
  wake(a, 60s); // later: the 10 s tick finds nothing due
  advance(10s);
  CAF_CHECK_EQUAL(wakes(a), 1);
  advance(50s);
  CAF_CHECK_EQUAL(wakes(a), 2);
  advance(300s);
  CAF_CHECK_EQUAL(wakes(a), 2);
}

CAF_TEST(sinks due together share one timer) {
  std::vector<deadline_sink> sinks;
  for (int i = 0; i < 100; ++i) {
    sinks.push_back(make_sink());
    wake(sinks.back(), 5s);
  }
  CAF_CHECK_EQUAL(advance(5s), 1u);
  for (auto& s : sinks)
    CAF_CHECK_EQUAL(wakes(s), 1);
  CAF_CHECK_EQUAL(state().wakes, 100u);
}

CAF_TEST(with a granularity deadlines in one step share one timer) {
  // Was: one timer per distinct deadline. 5,000 clients that joined in a
  // storm over 25 s had 5,000 write-stall deadlines 30 s later, each its
  // own timer and wake-up round: 0.25 s of server CPU in the next 30 s
  // (chat-bench connect -n 5000 --idle 30), 0.0 s without write stalls.
  auto coarse = spawn_deadline_wheel(sys, caf::timespan{1s});
  auto& coarse_state = deref<deadline_wheel_impl>(coarse).state;
  std::vector<deadline_sink> sinks;
  for (int i = 0; i < 100; ++i) {
    sinks.push_back(make_sink());
    self->send(coarse, wake_atom::value, sinks.back(),
               caf::timespan{30s + i * 5ms}); // spread over half a second
  }
  run_all();
  auto step = std::chrono::duration_cast<caf::timespan>(1s);
  auto armed = coarse_state.armed.time_since_epoch();
  CAF_CHECK_EQUAL(armed % step, caf::timespan{0}); // on a step
  // Not woken before any deadline, all woken by one timer within a step of
  // the latest one.
  advance(30s - 1ms);
  for (auto& s : sinks)
    CAF_CHECK_EQUAL(wakes(s), 0);
  CAF_CHECK_LESS_OR_EQUAL(advance(1500ms), 1u);
  for (auto& s : sinks)
    CAF_CHECK_EQUAL(wakes(s), 1);
  CAF_CHECK_EQUAL(coarse_state.wakes, 100u);
  anon_send_exit(coarse, caf::exit_reason::user_shutdown);
  run_all();
}

CAF_TEST(the wheel holds its sinks weakly and forgets them on request) {
  auto a = make_sink();
  auto b = make_sink();
  wake(a, 5s);
  wake(b, 5s);
  auto a_addr = a.address();
  // a ends and nobody else holds it: the wheel does not keep it alive
  anon_send_exit(a, caf::exit_reason::user_shutdown);
  a = nullptr;
  run_all();
  CAF_CHECK(!caf::actor_cast<caf::strong_actor_ptr>(a_addr));
  // b is forgotten (as a session says when it ends)
  self->send(wheel, caf::delete_atom::value, b.address());
  run_all();
  CAF_CHECK_EQUAL(state().by_sink.size(), 1u); // a's entry, until due
  advance(5s);
  CAF_CHECK_EQUAL(wakes(b), 0);
  CAF_CHECK_EQUAL(state().wakes, 0u);
  CAF_CHECK(state().by_sink.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
