#include "videos/delivery_meter.hpp"

#include <algorithm>

namespace video {

delivery_meter::delivery_meter(std::chrono::nanoseconds min_window)
    : min_window_(min_window) {
  // nop
}

void delivery_meter::reset() {
  *this = delivery_meter{min_window_};
}

void delivery_meter::on_sent(uint64_t bytes) {
  sent_bytes_ += bytes;
  ++sent_frames_;
  unacked_.push_back(sent_bytes_);
}

std::optional<uint32_t> delivery_meter::on_ack(uint32_t received,
                                               time_point now) {
  received = std::min(received, sent_frames_);
  while (delivered_frames_ < received && !unacked_.empty()) {
    delivered_bytes_ = unacked_.front();
    unacked_.pop_front();
    ++delivered_frames_;
  }
  auto start_window = [&] {
    open_ = true;
    window_start_ = now;
    window_delivered_ = delivered_bytes_;
    window_backlog_ = sent_bytes_ - delivered_bytes_;
  };
  if (!open_) {
    start_window();
    return std::nullopt;
  }
  auto span = now - window_start_;
  if (span < min_window_)
    return std::nullopt;
  auto delivered = delivered_bytes_ - window_delivered_;
  std::optional<uint32_t> sample;
  // Saturated: what arrived was queued before the window began, so the
  // link was busy throughout and the rate is its capacity. Otherwise it
  // only says how fast the server fed it.
  if (delivered > 0 && window_backlog_ >= delivered) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(span);
    sample = static_cast<uint32_t>(std::min<uint64_t>(
        delivered * 8 * 1000 / static_cast<uint64_t>(us.count()), 100000000));
  }
  start_window();
  return sample;
}

} // namespace video
