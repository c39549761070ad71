#pragma once

// The only place that touches OpenCV's highgui (a Qt5 window here). The
// player calls it in window mode only; headless code never includes it.

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace client {

/// Keys the player understands, from the window or from a console.
enum class player_key : uint8_t { none, toggle_pause, back, forward, stop };

/// Maps a cv::waitKeyEx code to a player key (space, arrows / a d, q Esc).
player_key key_from_code(int code);

/// Number of highgui calls made by this process (headless must stay at 0).
uint64_t highgui_calls();

/// One playback window.
class video_window {
public:
  explicit video_window(std::string title);
  ~video_window();

  video_window(const video_window&) = delete;
  video_window& operator=(const video_window&) = delete;

  /// Shows `img` and polls the keyboard for up to 1 ms.
  player_key show(const cv::Mat& img);

  /// Polls the keyboard without drawing (e.g. while paused).
  player_key poll();

private:
  std::string title_;
  bool open_ = false;
};

} // namespace client
