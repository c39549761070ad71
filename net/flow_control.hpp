#pragma once

// Back-pressure bookkeeping of one connection, as value types on an
// explicit clock: how much input was processed but not yet reported to the
// reader (which stops reading above a bound), and how much output is queued
// but not yet taken by the socket (bounded per reader, reported to a
// server-wide budget, and watched for a reader that stopped reading).

#include <chrono>
#include <cstdint>
#include <optional>

namespace net {

/// Input processed, reported to the reader in steps of `step` bytes so one
/// report is always due before the reader's bound stops it.
class input_credit {
public:
  explicit input_credit(uint64_t step = 1) : step_(step > 0 ? step : 1) {
    // nop
  }

  /// Records `n` processed bytes; returns what to report, when due.
  [[nodiscard]] std::optional<uint64_t> consumed(uint64_t n) {
    unreported_ += n;
    if (unreported_ < step_)
      return std::nullopt;
    auto out = unreported_;
    unreported_ = 0;
    return out;
  }

private:
  uint64_t step_;
  uint64_t unreported_ = 0;
};

/// Bytes handed to the socket writer and bytes it confirmed written.
class output_backlog {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit output_backlog(time_point now = {}) : last_progress_(now) {
    // nop
  }

  /// `n` more bytes queued; the stall clock starts with the first one.
  void queued(uint64_t n, time_point now) {
    if (size() == 0)
      last_progress_ = now;
    queued_ += n;
  }

  /// The socket took `n` bytes: progress.
  void sent(uint64_t n, time_point now) {
    sent_ += n;
    last_progress_ = now;
  }

  /// Queued, not yet written.
  uint64_t size() const {
    return queued_ - sent_;
  }

  /// Whether bytes wait and none were taken for `timeout`.
  template <class Duration>
  bool stalled(time_point now, Duration timeout) const {
    return size() > 0 && now - last_progress_ >= timeout;
  }

  /// When the stall deadline falls (meaningful while size() > 0).
  time_point last_progress() const {
    return last_progress_;
  }

  /// The size to report to a budget when it moved by `granule` since the
  /// last report or drained; nothing otherwise (a reader that keeps up costs
  /// no message).
  [[nodiscard]] std::optional<uint64_t> report_due(uint64_t granule) {
    auto now = size();
    auto moved = now > reported_ ? now - reported_ : reported_ - now;
    if (moved < granule && !(now == 0 && reported_ != 0))
      return std::nullopt;
    reported_ = now;
    return now;
  }

private:
  uint64_t queued_ = 0;
  uint64_t sent_ = 0;
  uint64_t reported_ = 0;
  time_point last_progress_;
};

} // namespace net
