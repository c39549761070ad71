#define CAF_SUITE outbound_budget
#include <caf/test/dsl.hpp>

#include "actors/outbound_budget.hpp"

// The server-wide budget on CAF's deterministic coordinator: stand-in
// sessions report backlogs; over the bound, the largest is told to shed.

using namespace actors;

namespace {

struct fake_session_state {
  int sheds = 0;
  static inline const char* name = "fake_session";
};

using fake_session_impl = shed_sink::stateful_base<fake_session_state>;

shed_sink::behavior_type fake_session(fake_session_impl* self) {
  return {
      [=](shed_atom) { ++self->state.sheds; },
  };
}

struct fixture : test_coordinator_fixture<> {
  outbound_budget_actor budget;
  std::vector<shed_sink> sessions;

  fixture() {
    budget = sys.spawn(outbound_budget, uint64_t{1000});
    for (int i = 0; i < 3; ++i)
      sessions.push_back(sys.spawn(fake_session));
    run();
  }

  ~fixture() override {
    for (auto& s : sessions)
      anon_send_exit(s, caf::exit_reason::user_shutdown);
    anon_send_exit(budget, caf::exit_reason::user_shutdown);
    run();
  }

  void report(size_t i, uint64_t bytes) {
    anon_send(budget, backlog_atom::value, sessions[i], bytes);
    run();
  }

  int sheds(size_t i) {
    return deref<fake_session_impl>(sessions[i])
        .state.sheds;
  }

  outbound_budget_state& st() {
    return deref<outbound_budget_actor::stateful_base<outbound_budget_state>>(
               budget)
        .state;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(outbound_budget_tests, fixture)

CAF_TEST(under the bound nobody is shed) {
  report(0, 400);
  report(1, 300);
  report(2, 300);
  CAF_CHECK_EQUAL(st().total, 1000u);
  CAF_CHECK_EQUAL(sheds(0) + sheds(1) + sheds(2), 0);
}

CAF_TEST(over the bound the largest backlog is shed once) {
  report(0, 400);
  report(1, 300);
  report(2, 350);
  CAF_CHECK_EQUAL(sheds(0), 1);
  CAF_CHECK_EQUAL(sheds(1), 0);
  CAF_CHECK_EQUAL(sheds(2), 0);
  // it grows further while it closes: not told twice, nobody else shed
  report(0, 500);
  CAF_CHECK_EQUAL(sheds(0), 1);
  CAF_CHECK_EQUAL(sheds(1) + sheds(2), 0);
}

CAF_TEST(as many as needed are shed largest first) {
  report(0, 900);
  CAF_CHECK_EQUAL(sheds(0), 0);
  report(1, 800); // 1700: shedding 0 leaves 800
  CAF_CHECK_EQUAL(sheds(0), 1);
  CAF_CHECK_EQUAL(sheds(1), 0);
  report(2, 700); // 800 + 700 over again: 1 goes next
  CAF_CHECK_EQUAL(sheds(1), 1);
  CAF_CHECK_EQUAL(sheds(2), 0);
}

CAF_TEST(a drained or dead session is forgotten) {
  report(0, 600);
  report(1, 300);
  report(0, 0);
  CAF_CHECK_EQUAL(st().total, 300u);
  CAF_CHECK_EQUAL(st().sessions.size(), 1u);
  anon_send_exit(sessions[1], caf::exit_reason::user_shutdown);
  run();
  CAF_CHECK_EQUAL(st().total, 0u);
  CAF_CHECK(st().sessions.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
