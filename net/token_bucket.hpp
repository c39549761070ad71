#pragma once

// A token bucket: `rate` tokens per second, at most `burst` held. A value
// type on an explicit clock, so actors (virtual time in tests) and the
// console can both use it.

#include <algorithm>
#include <chrono>

namespace net {

class token_bucket {
public:
  using time_point = std::chrono::steady_clock::time_point;

  token_bucket() = default;

  /// Starts full.
  token_bucket(double rate, double burst, time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {
    // nop
  }

  /// Adds what accrued since the last call (never above the burst).
  void refill(time_point now) {
    if (now <= last_)
      return;
    std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
  }

  /// True if `n` tokens are there now (after `refill`).
  bool has(double n) const {
    return tokens_ >= n;
  }

  /// Tokens held now (after `refill`): how much one may take at once.
  double tokens() const {
    return tokens_;
  }

  /// Takes `n` tokens unconditionally (after `has`).
  void take(double n) {
    tokens_ -= n;
  }

  /// Refills, then takes `n` tokens if there are that many.
  [[nodiscard]] bool try_take(double n, time_point now) {
    refill(now);
    if (!has(n))
      return false;
    take(n);
    return true;
  }

  /// True when the bucket holds its whole burst again (at `now`).
  bool full(time_point now) {
    refill(now);
    return tokens_ >= burst_;
  }

  double rate() const {
    return rate_;
  }

private:
  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  time_point last_;
};

} // namespace net
