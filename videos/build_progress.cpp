#include "videos/build_progress.hpp"

#include <algorithm>

namespace video {

build_progress::build_progress(const video_entry& e)
    : parts_(std::make_unique<part[]>(e.renditions.size())),
      count_(e.renditions.size()) {
  for (size_t i = 0; i < count_; ++i) {
    auto& r = e.renditions[i];
    auto src = uint64_t{r.width} * r.decoded_height;
    auto out = r.decoded_height > 0
                   ? uint64_t{r.width} * r.height * r.height / r.decoded_height
                   : src;
    parts_[i].frames = std::max<uint64_t>(r.frames, 1);
    parts_[i].weight = std::max<uint64_t>(src + out, 1);
    total_ += parts_[i].frames * parts_[i].weight;
  }
}

void build_progress::begin(clock::time_point now) {
  // 0 means "not begun": a clock at its epoch counts as one tick later.
  start_.store(std::max<clock::rep>(now.time_since_epoch().count(), 1),
               std::memory_order_relaxed);
}

void build_progress::advance(size_t r, uint32_t frames) {
  if (r < count_)
    parts_[r].done.store(frames, std::memory_order_relaxed);
}

void build_progress::skip(size_t r) {
  if (r < count_)
    parts_[r].skipped.store(true, std::memory_order_relaxed);
}

uint64_t build_progress::done_units(bool built_only) const {
  uint64_t sum = 0;
  for (size_t i = 0; i < count_; ++i) {
    auto& p = parts_[i];
    if (p.skipped.load(std::memory_order_relaxed)) {
      if (!built_only)
        sum += p.frames * p.weight;
      continue;
    }
    // A rendition may decode more frames than its probe counted.
    auto n = std::min<uint64_t>(p.done.load(std::memory_order_relaxed),
                                p.frames);
    sum += n * p.weight;
  }
  return sum;
}

uint16_t build_progress::done_permille() const {
  if (total_ == 0)
    return 1000;
  return static_cast<uint16_t>(
      std::min<uint64_t>(1000, done_units(false) * 1000 / total_));
}

std::optional<std::chrono::milliseconds>
build_progress::remaining(clock::time_point now) const {
  using namespace std::chrono;
  auto built = done_units(true);
  auto left = total_ - std::min(total_, done_units(false));
  if (left == 0)
    return milliseconds{0};
  auto start = start_.load(std::memory_order_relaxed);
  if (start == 0)
    return std::nullopt;
  auto elapsed = duration_cast<milliseconds>(
      now - clock::time_point{clock::duration{start}});
  if (built == 0 || (built * 100 < total_ && elapsed < seconds{1}))
    return std::nullopt;
  // Speed so far, in units per ms: the renditions that had a cache on disk
  // took no time and do not count.
  auto ms = static_cast<double>(std::max<int64_t>(elapsed.count(), 1)) *
            static_cast<double>(left) / static_cast<double>(built);
  return milliseconds{static_cast<int64_t>(ms + 0.5)};
}

} // namespace video
