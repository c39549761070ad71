#pragma once

// The client's video player, sans-IO: the caller feeds it the server's
// video messages and the current time, and sends what it returns (acks and
// controls). It keeps a playout buffer, shows each frame at its time
// (window mode: cv::imshow with an overlay; headless: stats lines only, no
// highgui call at all) and never writes a frame to disk.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "client/video_window.hpp"
#include "net/video_messages.hpp"

namespace client {

using player_clock = std::chrono::steady_clock;
using player_time = player_clock::time_point;

/// A message for the caller to send to the server.
using player_output = std::variant<net::video_ack, net::video_control>;

/// Tuning of the player.
struct player_settings {
  bool headless = true;
  uint32_t startup_ms = 500;  ///< media buffered before playback starts
  uint32_t rebuffer_ms = 500; ///< media buffered before resuming a stall
  std::chrono::milliseconds ack_interval{200};
  uint32_t ack_every_frames = 5; ///< ack sooner when this many arrived
  std::chrono::milliseconds stats_interval{1000};
  int64_t seek_step_ms = 10000;
  uint32_t max_buffer_frames = 3000; ///< memory bound against a bad server
  /// Decode every shown frame and compare the index stamped in its pixels
  /// (synthetic sample videos) with the timeline index (diagnostics, tests).
  bool check_frame_codes = false;
  /// Window mode: the window opens this high (or as high as the video's
  /// highest rendition, if lower), as wide as the frames' aspect asks, and
  /// keeps that size across rendition switches.
  uint32_t window_height = 720;
  /// Window mode: the stats line drawn over the frame ('o' toggles it).
  bool overlay = true;
  /// Frames whose JPEG header claims more pixels than this are dropped
  /// undecoded (a hostile server's 30000x30000 header would cost 2.7 GB).
  uint64_t max_frame_pixels = 7680 * 4320;
  /// Receives stats lines (headless) and the summary; may be empty.
  std::function<void(const std::string&)> print;
};

/// What happened during one playback.
struct player_summary {
  std::string video;
  std::string policy;
  uint32_t stream_id = 0;
  std::optional<std::chrono::milliseconds> startup; ///< request -> 1st frame
  uint32_t frames_received = 0;
  uint32_t frames_shown = 0;
  uint32_t late = 0;       ///< arrived after their time; discarded
  uint32_t dropped = 0;    ///< due together with a later frame; skipped
  uint32_t duplicates = 0; ///< received twice
  uint32_t discarded = 0;  ///< in flight across a seek
  uint32_t rejected = 0;   ///< not a JPEG, or over max_frame_pixels
  uint32_t rebuffers = 0;
  std::chrono::milliseconds rebuffer_time{0};
  uint32_t switches = 0; ///< rendition changes among shown frames
  std::vector<std::pair<uint32_t, uint16_t>> switch_points; ///< index, height
  std::map<uint16_t, uint32_t> shown_by_height; ///< frames shown per height
  uint64_t bytes_received = 0;
  std::vector<uint32_t> received_indices; ///< in arrival order
  std::vector<uint32_t> shown_indices;    ///< in display order
  uint32_t codes_checked = 0;             ///< with check_frame_codes
  uint32_t codes_mismatched = 0;          ///< stamped index != timeline index
  bool ended = false;
  uint8_t end_reason = 0; ///< net::end_reason
  std::string end_text;

  /// Height averaged over the frames shown (0 when none was).
  double mean_height() const;

  /// A few human-readable lines.
  std::string to_text() const;
};

/// Plays one stream.
class video_player {
public:
  /// `requested_at`: when the play request left (startup time base).
  video_player(player_settings settings, player_time requested_at);
  ~video_player();

  void on_started(const net::play_started& msg, player_time now);

  /// Takes the frame's JPEG bytes into the buffer.
  void on_frame(net::video_frame&& msg, player_time now);

  void on_end(const net::video_end& msg, player_time now);

  /// Shows what is due, polls the window's keys, emits acks and stats.
  std::vector<player_output> tick(player_time now);

  /// A key from the window or the console.
  std::vector<player_output> on_key(player_key key, player_time now);

  /// Seeks to `ms` of media time (the console's "g SECONDS"): a new
  /// segment; frames of older ones still in flight are discarded.
  std::vector<player_output> seek_to(int64_t ms, player_time now);

  /// The window (window mode, once the first frame was shown), else null.
  const video_window* window() const;

  /// When `tick` has something to do next.
  player_time next_wakeup(player_time now) const;

  /// True once the stream ended and everything playable was shown.
  bool finished() const;

  /// Media buffered ahead of the playout position, in ms.
  uint32_t buffer_ms() const;

  /// Measured receive throughput, in kbit/s (0 = unknown).
  uint32_t throughput_kbps(player_time now) const;

  bool paused() const {
    return state_ == state::paused;
  }

  const player_summary& summary() const {
    return summary_;
  }

private:
  enum class state { waiting, playing, stalled, paused, done };

  struct entry {
    uint16_t height = 0;
    std::vector<uint8_t> jpeg;
  };

  player_time due_time(uint32_t index) const;
  void show(uint32_t index, entry& e, player_time now);
  void print_stats(player_time now);
  std::string stats_line(player_time now) const;
  void start_playing(player_time now);
  std::optional<net::video_ack> make_ack(player_time now, bool force);
  cv::Size window_size(const cv::Mat& first) const;
  void open_window(const cv::Mat& first);
  void seek(int64_t ms, std::vector<player_output>& out);

  player_settings cfg_;
  player_time requested_at_;
  player_summary summary_;
  net::video_info info_;
  bool started_ = false;
  std::chrono::nanoseconds interval_{40000000};
  state state_ = state::waiting;
  state resume_to_ = state::playing;
  std::map<uint32_t, entry> buffer_;
  uint32_t next_index_ = 0; ///< the first index not shown yet
  uint32_t anchor_index_ = 0;
  player_time anchor_time_;
  player_time stall_start_;
  player_time pause_start_;
  bool have_frame_ = false;
  /// The segment of the last seek (0: none yet); frames of others were
  /// sent before the server saw it, and acks carry it.
  uint32_t segment_ = 0;
  uint16_t shown_height_ = 0;
  std::optional<uint32_t> last_received_;
  uint32_t unacked_ = 0;
  player_time last_ack_;
  player_time last_stats_;
  std::deque<std::pair<player_time, size_t>> arrivals_; ///< last 2 s
  uint32_t burst_kbps_ = 0;
  player_time burst_at_;  ///< when burst_kbps_ was measured
  player_time run_start_; ///< first arrival of the current burst
  uint64_t run_bytes_ = 0;
  uint32_t run_frames_ = 0;
  std::unique_ptr<video_window> window_;
  bool overlay_ = true;
  std::vector<player_output> pending_; ///< produced by window keys
};

} // namespace client
