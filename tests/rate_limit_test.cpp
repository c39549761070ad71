#define CAF_SUITE rate_limit
#include <caf/test/unit_test.hpp>

#include <chrono>

#include "net/rate_limit.hpp"

using namespace std::chrono_literals;
using verdict = net::rate_limit::verdict;

namespace {

const net::rate_limit::time_point t0{};

} // namespace

CAF_TEST(a burst passes then requests are refused) {
  net::rate_limit lim{10, 5, 3, t0};
  for (int i = 0; i < 5; ++i)
    CAF_CHECK(lim.charge(1, t0) == verdict::pass);
  CAF_CHECK(lim.charge(1, t0) == verdict::refuse);
  CAF_CHECK_EQUAL(lim.strikes(), 1u);
  CAF_CHECK(lim.charge(1, t0) == verdict::refuse);
  CAF_CHECK(lim.charge(1, t0) == verdict::refuse);
  // the fourth refusal in a row exceeds a patience of 3
  CAF_CHECK(lim.charge(1, t0) == verdict::cut_off);
}

CAF_TEST(tokens accrue with time and a free request always passes) {
  net::rate_limit lim{10, 5, 100, t0};
  for (int i = 0; i < 5; ++i)
    CAF_CHECK(lim.charge(1, t0) == verdict::pass);
  CAF_CHECK(lim.charge(1, t0) == verdict::refuse);
  CAF_CHECK(lim.charge(0, t0) == verdict::pass);
  CAF_CHECK(lim.charge(1, t0 + 100ms) == verdict::pass); // one token back
  CAF_CHECK(lim.charge(1, t0 + 100ms) == verdict::refuse);
}

CAF_TEST(refusals are forgiven only once the sender slowed down) {
  net::rate_limit lim{10, 10, 1000, t0};
  auto t = t0;
  for (int i = 0; i < 10; ++i)
    CAF_CHECK(lim.charge(1, t) == verdict::pass);
  // A flooder: one request trickles through per token; the others fail.
  for (int i = 0; i < 20; ++i) {
    t += 100ms;
    CAF_CHECK(lim.charge(1, t) == verdict::pass);
    CAF_CHECK(lim.charge(1, t) == verdict::refuse);
  }
  CAF_CHECK_EQUAL(lim.strikes(), 20u); // not reset by what got through
  // Slowing down until half the burst is back forgives the count.
  t += 600ms;
  CAF_CHECK(lim.charge(1, t) == verdict::pass);
  CAF_CHECK_EQUAL(lim.strikes(), 0u);
}

CAF_TEST(a refusal for another budget counts like any other) {
  net::rate_limit lim{10, 10, 1, t0};
  CAF_CHECK(lim.affords(10, t0));
  CAF_CHECK(!lim.affords(11, t0));
  CAF_CHECK(lim.refuse() == verdict::refuse);
  CAF_CHECK(lim.refuse() == verdict::cut_off);
}
