#define CAF_SUITE token_bucket
#include <caf/test/unit_test.hpp>

#include <chrono>

#include "net/token_bucket.hpp"

using namespace std::chrono_literals;

namespace {

const net::token_bucket::time_point t0{};

} // namespace

CAF_TEST(a bucket starts full and never holds more than its burst) {
  net::token_bucket b{100, 10, t0};
  CAF_CHECK(b.full(t0));
  CAF_CHECK(b.has(10));
  CAF_CHECK(!b.has(10.5));
  b.refill(t0 + 1h);
  CAF_CHECK(!b.has(10.5));
}

CAF_TEST(tokens accrue at the rate) {
  net::token_bucket b{100, 10, t0};
  CAF_CHECK(b.try_take(10, t0));
  CAF_CHECK(!b.try_take(1, t0));
  CAF_CHECK(!b.try_take(1, t0 + 5ms)); // half a token
  CAF_CHECK(b.try_take(1, t0 + 10ms));
  CAF_CHECK(!b.full(t0 + 50ms));
  CAF_CHECK(b.full(t0 + 110ms)); // 10 ms + 10 tokens at 100/s
}

CAF_TEST(a clock that goes back adds nothing) {
  net::token_bucket b{100, 10, t0 + 1s};
  CAF_CHECK(b.try_take(10, t0 + 1s));
  CAF_CHECK(!b.try_take(1, t0)); // earlier than the last refill
  CAF_CHECK(b.try_take(1, t0 + 1s + 10ms));
}

CAF_TEST(a refused take takes nothing) {
  net::token_bucket b{1, 5, t0};
  CAF_CHECK(!b.try_take(6, t0));
  CAF_CHECK(b.try_take(5, t0));
}
