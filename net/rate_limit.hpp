#pragma once

// A rate limit with a memory: a token bucket plus a count of refusals in a
// row. A sender that keeps being refused past its patience is cut off;
// refusals are forgiven only once it has slowed down (half the burst is
// back), so a flooder whose requests trickle through as tokens accrue
// cannot reset the count with each one. A value type on an explicit clock
// (actors on virtual time, the console on the steady clock).

#include <cstdint>

#include "net/token_bucket.hpp"

namespace net {

class rate_limit {
public:
  using time_point = token_bucket::time_point;

  enum class verdict {
    pass,    ///< charged
    refuse,  ///< over budget: drop this one (see `strikes()`)
    cut_off, ///< refused more than `patience` times in a row
  };

  rate_limit() = default;

  /// `rate` tokens per second, `burst` held at most (starts full); cut off
  /// after more than `patience` refusals in a row.
  rate_limit(double rate, double burst, double patience, time_point now)
      : bucket_(rate, burst, now), burst_(burst), patience_(patience) {
    // nop
  }

  /// Takes `cost` tokens, or refuses.
  [[nodiscard]] verdict charge(double cost, time_point now) {
    if (cost > 0 && !bucket_.try_take(cost, now))
      return refuse();
    if (bucket_.has(burst_ / 2))
      strikes_ = 0;
    return verdict::pass;
  }

  /// Whether `cost` tokens are there now (to check a second budget before
  /// charging this one).
  [[nodiscard]] bool affords(double cost, time_point now) {
    bucket_.refill(now);
    return bucket_.has(cost);
  }

  /// Counts a refusal for a reason outside this bucket (e.g. a second
  /// budget that came up short).
  [[nodiscard]] verdict refuse() {
    return ++strikes_ > patience_ ? verdict::cut_off : verdict::refuse;
  }

  /// Refusals in a row so far (1 = the first one: say so once).
  uint32_t strikes() const {
    return strikes_;
  }

  double rate() const {
    return bucket_.rate();
  }

private:
  token_bucket bucket_;
  double burst_ = 0;
  double patience_ = 0;
  uint32_t strikes_ = 0;
};

} // namespace net
