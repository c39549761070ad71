#pragma once

// The link's capacity as the server sees it: bytes the client acknowledged
// over a window in which data was waiting the whole time (sent before the
// window began and not yet received). Pure logic, fed by the video_stream
// actor; the adaptive policy uses the samples.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace video {

/// Measures delivery rate over windows of at least `min_window` between
/// acks; a window yields a sample only when it was saturated.
class delivery_meter {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit delivery_meter(
      std::chrono::nanoseconds min_window = std::chrono::milliseconds{200});

  /// Forgets everything (a new segment starts counting frames at 0).
  void reset();

  /// The next frame of the segment left with `bytes`.
  void on_sent(uint64_t bytes);

  /// The client has the first `received` frames of the segment (clamped to
  /// what was sent: untrusted). A capacity sample in kbit/s when a window
  /// closed in which the bytes delivered had all been queued at its start
  /// (the link never waited for the server), else nullopt.
  std::optional<uint32_t> on_ack(uint32_t received, time_point now);

private:
  std::chrono::nanoseconds min_window_;
  std::deque<uint64_t> unacked_; ///< cumulative bytes after each frame
  uint64_t sent_bytes_ = 0;
  uint32_t sent_frames_ = 0;
  uint64_t delivered_bytes_ = 0;
  uint32_t delivered_frames_ = 0;
  bool open_ = false;
  time_point window_start_;
  uint64_t window_delivered_ = 0; ///< delivered_bytes_ at the start
  uint64_t window_backlog_ = 0;   ///< bytes queued at the start
};

} // namespace video
