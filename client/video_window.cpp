#include "client/video_window.hpp"

#include <atomic>

#include <opencv2/highgui.hpp>

namespace client {

namespace {

std::atomic<uint64_t> calls{0};

} // namespace

player_key key_from_code(int code) {
  switch (code) {
  case ' ':
    return player_key::toggle_pause;
  case 'q':
  case 'Q':
  case 27: // Esc
    return player_key::stop;
  case 'a':
  case 65361:   // left arrow (GTK/Qt key code)
  case 2424832: // left arrow (other backends)
    return player_key::back;
  case 'd':
  case 65363:
  case 2555904:
    return player_key::forward;
  default:
    return player_key::none;
  }
}

uint64_t highgui_calls() {
  return calls.load();
}

video_window::video_window(std::string title) : title_(std::move(title)) {
  // nop: the window opens with the first frame
}

video_window::~video_window() {
  if (open_) {
    ++calls;
    cv::destroyWindow(title_);
  }
}

player_key video_window::show(const cv::Mat& img) {
  if (!open_) {
    // GUI_NORMAL: no Qt toolbar, whose "Save current image" button would
    // let a frame reach the disk; the client never stores video.
    ++calls;
    cv::namedWindow(title_, cv::WINDOW_AUTOSIZE | cv::WINDOW_KEEPRATIO |
                                cv::WINDOW_GUI_NORMAL);
  }
  calls += 2;
  open_ = true;
  cv::imshow(title_, img);
  return key_from_code(cv::waitKeyEx(1));
}

player_key video_window::poll() {
  if (!open_)
    return player_key::none;
  ++calls;
  return key_from_code(cv::waitKeyEx(1));
}

} // namespace client
