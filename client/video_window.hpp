#pragma once

// The only place that touches OpenCV's highgui (a Qt5 window here). The
// player calls it in window mode only; headless code never includes it.

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace client {

/// Keys the player understands, from the window or from a console.
enum class player_key : uint8_t {
  none,
  toggle_pause,
  back,
  forward,
  stop,
  toggle_fullscreen,
  toggle_overlay,
};

/// Maps a cv::waitKeyEx code to a player key (space, arrows / a d, q Esc,
/// f fullscreen, o overlay).
player_key key_from_code(int code);

/// Number of highgui calls made by this process (headless must stay at 0).
uint64_t highgui_calls();

/// One playback window. It opens at `size` and keeps it whatever the size
/// of the frames (each is scaled to the window, aspect kept, so switching
/// renditions does not resize it); the user may resize it or make it
/// fullscreen.
class video_window {
public:
  video_window(std::string title, cv::Size size);
  ~video_window();

  video_window(const video_window&) = delete;
  video_window& operator=(const video_window&) = delete;

  /// Opens the window now (it would open with the first `show`): the
  /// window system's start-up then falls in the player's buffering, not
  /// between its first two frames. Shows `poster` meanwhile.
  void open(const cv::Mat& poster);

  /// Shows `img` and polls the keyboard for up to 1 ms.
  player_key show(const cv::Mat& img);

  /// Polls the keyboard without drawing (e.g. while paused).
  player_key poll();

  /// Switches between fullscreen and the normal window.
  void toggle_fullscreen();

  bool fullscreen() const;

  /// The area frames are drawn in (empty before the first frame).
  cv::Rect image_rect() const;

private:
  std::string title_;
  cv::Size size_;
  bool open_ = false;
};

} // namespace client
