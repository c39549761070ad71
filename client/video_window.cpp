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
  case 'f':
  case 'F':
    return player_key::toggle_fullscreen;
  case 'o':
  case 'O':
    return player_key::toggle_overlay;
  default:
    return player_key::none;
  }
}

uint64_t highgui_calls() {
  return calls.load();
}

video_window::video_window(std::string title, cv::Size size)
    : title_(std::move(title)), size_(size) {
  // nop: the window opens with the first frame
}

video_window::~video_window() {
  if (open_) {
    ++calls;
    cv::destroyWindow(title_);
  }
}

void video_window::open(const cv::Mat& poster) {
  if (!open_)
    show(poster);
}

player_key video_window::show(const cv::Mat& img) {
  if (!open_) {
    // GUI_NORMAL: no Qt toolbar, whose "Save current image" button would
    // let a frame reach the disk; the client never stores video.
    // NORMAL, not AUTOSIZE: the window keeps its size and scales each
    // frame into it (KEEPRATIO), so a rendition switch does not jump from
    // 426x240 to 1920x1080; the user may resize it.
    calls += 2;
    cv::namedWindow(title_, cv::WINDOW_NORMAL | cv::WINDOW_KEEPRATIO |
                                cv::WINDOW_GUI_NORMAL);
    cv::resizeWindow(title_, size_);
  }
  calls += 2;
  open_ = true;
  cv::imshow(title_, img);
  return key_from_code(cv::waitKeyEx(1));
}

void video_window::toggle_fullscreen() {
  if (!open_)
    return;
  calls += 1;
  cv::setWindowProperty(title_, cv::WND_PROP_FULLSCREEN,
                        fullscreen() ? cv::WINDOW_NORMAL
                                     : cv::WINDOW_FULLSCREEN);
}

bool video_window::fullscreen() const {
  if (!open_)
    return false;
  ++calls;
  return cv::getWindowProperty(title_, cv::WND_PROP_FULLSCREEN) ==
         cv::WINDOW_FULLSCREEN;
}

cv::Rect video_window::image_rect() const {
  if (!open_)
    return {};
  ++calls;
  return cv::getWindowImageRect(title_);
}

player_key video_window::poll() {
  if (!open_)
    return player_key::none;
  ++calls;
  return key_from_code(cv::waitKeyEx(1));
}

} // namespace client
