#define CAF_SUITE connection_loop
#include <caf/test/unit_test.hpp>

#include <chrono>

#include "client/connection_loop.hpp"

// The value types of the console's loop, on an explicit clock: the
// --max-kbps read throttle and the reconnect backoff. The poll loop itself
// is covered by the integration suites, which drive the real chat-client.

using namespace client;
using namespace std::chrono_literals;

namespace {

using time_point = read_throttle::time_point;

} // namespace

CAF_TEST(no limit reads whatever fits) {
  time_point t0{};
  read_throttle t{0, t0};
  CAF_CHECK_EQUAL(t.allowance(65536, t0), 65536u);
  t.took(65536);
  CAF_CHECK_EQUAL(t.allowance(65536, t0), 65536u);
}

CAF_TEST(the read budget starts empty and refills at the rate) {
  time_point t0{};
  // 8000 kbps = 1,000,000 bytes/s; a 50 ms bucket = 50,000 bytes.
  read_throttle t{8000, t0};
  CAF_CHECK_EQUAL(t.allowance(65536, t0), 0u);
  // Below the minimum read (1024 bytes, 1.024 ms) the socket waits.
  CAF_CHECK_EQUAL(t.allowance(65536, t0 + 1ms), 0u);
  CAF_CHECK_EQUAL(t.allowance(65536, t0 + 2ms), 2000u);
  t.took(2000);
  CAF_CHECK_EQUAL(t.allowance(65536, t0 + 2ms), 0u);
  // Never more than the bucket, however long the pause.
  CAF_CHECK_EQUAL(t.allowance(65536, t0 + 10s), 50000u);
  CAF_CHECK_EQUAL(t.allowance(4096, t0 + 10s), 4096u);
  t.took(4096);
  CAF_CHECK_EQUAL(t.allowance(65536, t0 + 10s), 45904u);
}

CAF_TEST(a slow link still gets a 16 KiB bucket) {
  time_point t0{};
  read_throttle t{80, t0}; // 10,000 bytes/s
  CAF_CHECK_EQUAL(t.allowance(65536, t0 + 1h), 16384u);
}

CAF_TEST(the backoff doubles up to 30 s and starts over after a join) {
  reconnect_backoff b;
  CAF_CHECK_EQUAL(b.delay().count(), 1);
  int expected[] = {2, 4, 8, 16, 30, 30};
  for (auto x : expected) {
    b.grow();
    CAF_CHECK_EQUAL(b.delay().count(), x);
  }
  b.reset();
  CAF_CHECK_EQUAL(b.delay().count(), 1);
}
