#define CAF_SUITE flow_control
#include <caf/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

#include "net/flow_control.hpp"

using namespace std::chrono_literals;

namespace {

const net::output_backlog::time_point t0{};

/// The reported value, or -1 when nothing is due (CAF's CHECK macros keep
/// a reference to their operands, so no temporaries go in).
int64_t due(std::optional<uint64_t> x) {
  return x ? static_cast<int64_t>(*x) : -1;
}

} // namespace

CAF_TEST(input is reported once a step has been processed) {
  net::input_credit credit{1000};
  CAF_CHECK(!credit.consumed(400));
  CAF_CHECK(!credit.consumed(500));
  auto n = credit.consumed(300);
  CAF_REQUIRE(n);
  CAF_CHECK_EQUAL(*n, 1200u); // everything unreported, not just the step
  CAF_CHECK(!credit.consumed(999));
  auto m = due(credit.consumed(1));
  CAF_CHECK_EQUAL(m, 1000);
}

CAF_TEST(the backlog counts queued minus sent bytes) {
  net::output_backlog out{t0};
  CAF_CHECK_EQUAL(out.size(), 0u);
  out.queued(500, t0);
  out.queued(300, t0);
  out.sent(200, t0 + 1s);
  CAF_CHECK_EQUAL(out.size(), 600u);
}

CAF_TEST(a reader stalls only when bytes wait and none were taken) {
  net::output_backlog out{t0};
  CAF_CHECK(!out.stalled(t0 + 1h, 30s)); // nothing queued: never stalled
  out.queued(100, t0 + 1h); // the stall clock starts with the first byte
  CAF_CHECK(!out.stalled(t0 + 1h + 29s, 30s));
  CAF_CHECK(out.stalled(t0 + 1h + 30s, 30s));
  out.sent(1, t0 + 1h + 30s); // progress resets it
  CAF_CHECK(!out.stalled(t0 + 1h + 59s, 30s));
  CAF_CHECK(out.stalled(t0 + 1h + 60s, 30s));
  out.sent(99, t0 + 1h + 61s);
  CAF_CHECK(!out.stalled(t0 + 5h, 30s));
}

CAF_TEST(reports are due per granule and when drained) {
  net::output_backlog out{t0};
  CAF_CHECK(!out.report_due(1000)); // zero, reported zero
  out.queued(999, t0);
  CAF_CHECK(!out.report_due(1000));
  out.queued(1, t0);
  auto first = due(out.report_due(1000));
  CAF_CHECK_EQUAL(first, 1000);
  out.queued(500, t0);
  CAF_CHECK(!out.report_due(1000));
  out.sent(1500, t0);
  auto drained = due(out.report_due(1000)); // always reported
  CAF_CHECK_EQUAL(drained, 0);
  CAF_CHECK(!out.report_due(1000));
}
