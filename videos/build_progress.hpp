#pragma once

// How far the frame-cache build of one video is, and how long the rest will
// take: written by the worker thread that builds, read by the catalog actor
// (which tells waiting viewers) without a lock.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "videos/catalog.hpp"

namespace video {

class build_progress {
public:
  using clock = std::chrono::steady_clock;

  /// The build of `e`'s renditions. A frame's cost is taken as the pixels
  /// decoded plus the pixels encoded: a 1080p frame counts about 20 times a
  /// 240p one.
  explicit build_progress(const video_entry& e);

  /// The worker: the build starts now (it may have queued behind another).
  void begin(clock::time_point now = clock::now());

  /// The worker: rendition `r` has `frames` frames encoded so far.
  void advance(size_t r, uint32_t frames);

  /// The worker: rendition `r` is ready without work (a valid cache was
  /// on disk) or failed; it counts as done but says nothing about speed.
  void skip(size_t r);

  /// Done, in thousandths (0-1000).
  uint16_t done_permille() const;

  /// Time left at `now`, from the speed so far; nullopt until the build
  /// has begun and done 1 % of its work or run for 1 s (with some done).
  std::optional<std::chrono::milliseconds>
  remaining(clock::time_point now = clock::now()) const;

private:
  struct part {
    uint64_t frames = 0; ///< expected (the probe's count)
    uint64_t weight = 0; ///< cost of one frame
    std::atomic<uint32_t> done{0};
    std::atomic<bool> skipped{false};
  };

  uint64_t done_units(bool built_only) const;

  std::unique_ptr<part[]> parts_;
  size_t count_ = 0;
  uint64_t total_ = 0;
  /// When the build began, in clock ticks since the epoch; 0 = not yet.
  std::atomic<clock::rep> start_{0};
};

} // namespace video
