#include "client/video_player.hpp"

#include "videos/frame_code.hpp"
#include "videos/jpeg_header.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace client {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

const char* reason_text(uint8_t reason) {
  switch (static_cast<net::end_reason>(reason)) {
  case net::end_reason::finished:
    return "finished";
  case net::end_reason::stopped:
    return "stopped";
  case net::end_reason::error:
    return "error";
  }
  return "unknown";
}

} // namespace

double player_summary::mean_height() const {
  uint64_t frames = 0;
  uint64_t sum = 0;
  for (auto& [h, n] : shown_by_height) {
    frames += n;
    sum += uint64_t{h} * n;
  }
  return frames == 0 ? 0.0 : static_cast<double>(sum) / frames;
}

std::string player_summary::to_text() const {
  std::string s = "video " + video + " (stream " + std::to_string(stream_id) +
                  ", policy " + policy +
                  "): " + (ended ? reason_text(end_reason) : "not ended");
  if (!end_text.empty())
    s += " - " + end_text;
  s += "\nstartup " +
       (startup ? std::to_string(startup->count()) + " ms" : "n/a") + ", " +
       std::to_string(frames_shown) + " frames shown of " +
       std::to_string(frames_received) + " received (late " +
       std::to_string(late) + ", dropped " + std::to_string(dropped) +
       ", duplicates " + std::to_string(duplicates) + ", discarded " +
       std::to_string(discarded) + ")" +
       (rejected > 0 ? ", " + std::to_string(rejected) + " rejected" : "") +
       "\nrebuffers " + std::to_string(rebuffers) +
       " (" + std::to_string(rebuffer_time.count()) +
       " ms), rendition switches " + std::to_string(switches);
  if (!switch_points.empty()) {
    s += " (";
    for (size_t i = 0; i < switch_points.size(); ++i)
      s += (i ? ", " : "") + std::string{"at "} +
           std::to_string(switch_points[i].first) + " -> " +
           std::to_string(switch_points[i].second) + "p";
    s += ")";
  }
  s += ", " + std::to_string(bytes_received / 1024) + " KiB received";
  if (!shown_by_height.empty()) {
    s += "\nshown by rendition:";
    for (auto& [h, n] : shown_by_height)
      s += " " + std::to_string(h) + "p " + std::to_string(n);
    char mean[32];
    std::snprintf(mean, sizeof(mean), " (mean %.0fp)", mean_height());
    s += mean;
  }
  // The order check the prototype failed: each index once, ascending.
  bool ascending = true;
  for (size_t i = 1; i < received_indices.size(); ++i)
    ascending &= received_indices[i] > received_indices[i - 1];
  s += "\narrival order: " +
       std::string{ascending ? "ascending, no repeats" : "NOT ascending"};
  if (codes_checked > 0)
    s += "\nframe codes: " + std::to_string(codes_checked) + " checked, " +
         std::to_string(codes_mismatched) + " mismatched";
  return s;
}

video_player::video_player(player_settings settings, player_time requested_at)
    : cfg_(std::move(settings)),
      requested_at_(requested_at),
      last_ack_(requested_at),
      last_stats_(requested_at),
      overlay_(cfg_.overlay) {
  // nop
}

video_player::~video_player() = default;

void video_player::on_started(const net::play_started& msg, player_time) {
  info_ = msg.info;
  summary_.video = msg.info.id;
  summary_.policy = msg.policy;
  summary_.stream_id = msg.stream_id;
  if (info_.fps_milli > 0)
    interval_ = nanoseconds{int64_t{1000000000000} / info_.fps_milli};
  started_ = true;
}

void video_player::on_frame(net::video_frame&& msg, player_time now) {
  if (!started_ || msg.stream_id != summary_.stream_id || state_ == state::done)
    return;
  auto size = msg.jpeg.size();
  ++summary_.frames_received;
  summary_.bytes_received += size;
  summary_.received_indices.push_back(msg.index);
  // Throughput: frames that arrive back to back were sent in a burst, so
  // their rate is the link's; the 2 s average is a lower bound.
  // Frames that came in the run's first read took no measurable time, so
  // only bytes of later reads count against the span (microseconds: a
  // loopback burst takes well under a millisecond).
  if (!arrivals_.empty() && now - arrivals_.back().first < interval_ / 2) {
    auto span =
        duration_cast<std::chrono::microseconds>(now - run_start_).count();
    if (span > 0) {
      run_bytes_ += size;
      if (++run_frames_ >= 3) {
        burst_kbps_ = static_cast<uint32_t>(
            std::min<uint64_t>(run_bytes_ * 8 * 1000 / span, 10000000));
        burst_at_ = now;
      }
    }
  } else {
    run_start_ = now;
    run_bytes_ = 0;
    run_frames_ = 0;
  }
  arrivals_.emplace_back(now, size);
  while (now - arrivals_.front().first > std::chrono::seconds(2))
    arrivals_.pop_front();
  if (msg.segment != segment_) {
    ++summary_.discarded; // sent before the server saw our seek
    return;
  }
  // Untrusted bytes: when the player will decode them (a window, frame
  // codes), the header must fit the limit first.
  auto decodes = !cfg_.headless || cfg_.check_frame_codes;
  auto dims = decodes ? video::read_jpeg_size(msg.jpeg.data(), msg.jpeg.size())
                      : std::optional<video::jpeg_size>{};
  if (decodes &&
      (!dims || uint64_t{dims->width} * dims->height > cfg_.max_frame_pixels)) {
    if (summary_.rejected++ == 0 && cfg_.print)
      cfg_.print("[video " + summary_.video + "] frame " +
                 std::to_string(msg.index) + " rejected: " +
                 (dims ? "a JPEG of " + std::to_string(dims->width) + "x" +
                             std::to_string(dims->height) +
                             " exceeds the limit of " +
                             std::to_string(cfg_.max_frame_pixels) + " pixels"
                       : std::string{"not a JPEG"}));
    return;
  }
  last_received_ = msg.index;
  ++unacked_;
  if (msg.index < next_index_) {
    ++summary_.late;
    return;
  }
  if (buffer_.count(msg.index) != 0) {
    ++summary_.duplicates;
    return;
  }
  if (buffer_.size() >= cfg_.max_buffer_frames) {
    ++summary_.dropped;
    return;
  }
  // Window mode: the window opens with the first frame that arrives, while
  // the buffer fills, so opening it delays no frame that is due.
  if (!cfg_.headless && !window_)
    open_window(cv::imdecode(msg.jpeg, cv::IMREAD_COLOR));
  buffer_.emplace(msg.index, entry{msg.height, std::move(msg.jpeg)});
}

void video_player::on_end(const net::video_end& msg, player_time) {
  if (!started_ || msg.stream_id != summary_.stream_id || summary_.ended)
    return;
  summary_.ended = true;
  summary_.end_reason = msg.reason;
  summary_.end_text = msg.text;
  if (msg.reason != static_cast<uint8_t>(net::end_reason::finished)) {
    buffer_.clear();
    state_ = state::done;
  }
}

uint32_t video_player::buffer_ms() const {
  return static_cast<uint32_t>(
      duration_cast<milliseconds>(interval_ * buffer_.size()).count());
}

uint32_t video_player::throughput_kbps(player_time now) const {
  uint64_t bytes = 0;
  for (auto& [t, n] : arrivals_)
    if (now - t <= std::chrono::seconds(2))
      bytes += n;
  uint32_t avg = 0;
  if (!arrivals_.empty()) {
    auto span = duration_cast<milliseconds>(now - arrivals_.front().first);
    if (span >= milliseconds(100))
      avg = static_cast<uint32_t>(bytes * 8 / span.count());
  }
  // A burst says what the link could do recently. Paced frames cannot
  // show spare capacity, so the estimate must outlive the ABR's two
  // hysteresis decisions; after 10 s it is dropped (a link that degrades
  // drains the buffer, and the ABR steps down on the buffer alone).
  if (now - burst_at_ > std::chrono::seconds(10))
    return avg;
  return std::max(avg, burst_kbps_);
}

player_time video_player::due_time(uint32_t index) const {
  return anchor_time_ +
         interval_ * (static_cast<int64_t>(index) - anchor_index_);
}

void video_player::start_playing(player_time now) {
  anchor_index_ = buffer_.begin()->first;
  next_index_ = anchor_index_;
  anchor_time_ = now;
  state_ = state::playing;
}

void video_player::show(uint32_t index, entry& e, player_time now) {
  ++summary_.frames_shown;
  summary_.shown_indices.push_back(index);
  if (!summary_.startup)
    summary_.startup = duration_cast<milliseconds>(now - requested_at_);
  if (shown_height_ != 0 && e.height != shown_height_) {
    ++summary_.switches;
    summary_.switch_points.emplace_back(index, e.height);
  }
  shown_height_ = e.height;
  ++summary_.shown_by_height[e.height];
  if (cfg_.headless && !cfg_.check_frame_codes)
    return;
  auto img = cv::imdecode(e.jpeg, cv::IMREAD_COLOR);
  if (cfg_.check_frame_codes) {
    ++summary_.codes_checked;
    auto code = img.empty() ? std::nullopt : video::decode_index(img);
    if (!code || *code != index)
      ++summary_.codes_mismatched;
  }
  if (cfg_.headless || img.empty())
    return;
  if (overlay_) {
    // Drawn at the frame's scale: the same size on screen for every
    // rendition, whatever the window's.
    auto scale = img.rows / 360.0;
    auto text = stats_line(now);
    cv::Point at{static_cast<int>(8 * scale), static_cast<int>(20 * scale)};
    cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.5 * scale,
                cv::Scalar::all(0), std::max(1, static_cast<int>(3 * scale)));
    cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.5 * scale,
                cv::Scalar(255, 255, 255),
                std::max(1, static_cast<int>(scale)));
  }
  open_window(img);
  auto key = window_->show(img);
  if (key != player_key::none) {
    auto out = on_key(key, now);
    pending_.insert(pending_.end(), out.begin(), out.end());
  }
}

void video_player::open_window(const cv::Mat& first) {
  if (window_ || first.empty())
    return;
  window_ = std::make_unique<video_window>("chatroom - " + summary_.video,
                                           window_size(first));
  window_->open(first);
}

cv::Size video_player::window_size(const cv::Mat& first) const {
  uint32_t h = first.rows;
  if (!info_.heights.empty())
    h = *std::max_element(info_.heights.begin(), info_.heights.end());
  h = std::clamp<uint32_t>(h, 1, std::max(1u, cfg_.window_height));
  // even, as video widths are (426x240 frames make a 640x360 window)
  auto w = 2 * static_cast<int>(std::lround(static_cast<double>(h) *
                                            first.cols / first.rows / 2));
  return {std::max(2, w), static_cast<int>(h)};
}

const video_window* video_player::window() const {
  return window_.get();
}

std::string video_player::stats_line(player_time now) const {
  char fps[16];
  std::snprintf(fps, sizeof(fps), "%.2f", info_.fps_milli / 1000.0);
  std::string s = std::to_string(shown_height_) + "p " + fps +
                  " fps | buffer " + std::to_string(buffer_ms()) + " ms | " +
                  std::to_string(throughput_kbps(now)) + " kbps | shown " +
                  std::to_string(summary_.frames_shown) + " late " +
                  std::to_string(summary_.late) + " dropped " +
                  std::to_string(summary_.dropped) + " | rebuffers " +
                  std::to_string(summary_.rebuffers);
  if (state_ == state::paused)
    s += " | paused";
  return s;
}

void video_player::print_stats(player_time now) {
  if (now - last_stats_ < cfg_.stats_interval)
    return;
  last_stats_ = now;
  if (cfg_.headless && cfg_.print)
    cfg_.print("[video " + summary_.video + "] " + stats_line(now));
}

std::optional<net::video_ack> video_player::make_ack(player_time now,
                                                     bool force) {
  if (!last_received_ || summary_.ended || state_ == state::done)
    return std::nullopt;
  if (!force && unacked_ < cfg_.ack_every_frames &&
      now - last_ack_ < cfg_.ack_interval)
    return std::nullopt;
  last_ack_ = now;
  unacked_ = 0;
  return net::video_ack{summary_.stream_id, segment_, *last_received_,
                        buffer_ms(), throughput_kbps(now)};
}

std::vector<player_output> video_player::tick(player_time now) {
  std::vector<player_output> out;
  out.swap(pending_);
  if (!started_)
    return out;
  if (state_ == state::waiting || state_ == state::stalled) {
    auto need = state_ == state::waiting ? cfg_.startup_ms : cfg_.rebuffer_ms;
    if (!buffer_.empty() && (buffer_ms() >= need || summary_.ended)) {
      if (state_ == state::stalled)
        summary_.rebuffer_time +=
            duration_cast<milliseconds>(now - stall_start_);
      start_playing(now);
    } else if (summary_.ended && buffer_.empty()) {
      state_ = state::done;
    }
  }
  if (state_ == state::playing) {
    auto due =
        anchor_index_ + static_cast<uint32_t>((now - anchor_time_) / interval_);
    std::optional<std::pair<uint32_t, entry>> last;
    while (!buffer_.empty() && buffer_.begin()->first <= due) {
      if (last)
        ++summary_.dropped;
      last.emplace(buffer_.begin()->first, std::move(buffer_.begin()->second));
      buffer_.erase(buffer_.begin());
    }
    if (last) {
      next_index_ = last->first + 1;
      show(last->first, last->second, now);
    } else if (next_index_ <= due && buffer_.empty()) {
      // The frame due now is missing: the end, or a stall.
      if (summary_.ended) {
        state_ = state::done;
      } else {
        ++summary_.rebuffers;
        stall_start_ = now;
        state_ = state::stalled;
      }
    }
  } else if (state_ == state::paused && window_) {
    auto key = window_->poll();
    if (key != player_key::none) {
      auto more = on_key(key, now);
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  if (auto ack = make_ack(now, false))
    out.emplace_back(*ack);
  print_stats(now);
  out.insert(out.end(), pending_.begin(), pending_.end());
  pending_.clear();
  return out;
}

std::vector<player_output> video_player::on_key(player_key key,
                                                player_time now) {
  std::vector<player_output> out;
  if (!started_ || state_ == state::done)
    return out;
  auto ctl = [&](net::video_op op, int64_t arg) {
    out.emplace_back(
        net::video_control{summary_.stream_id, segment_,
                           static_cast<uint8_t>(op), arg});
  };
  switch (key) {
  case player_key::none:
    break;
  case player_key::toggle_pause:
    if (state_ == state::paused) {
      auto paused_for = now - pause_start_;
      anchor_time_ += paused_for;
      stall_start_ += paused_for;
      state_ = resume_to_;
      ctl(net::video_op::resume, 0);
    } else {
      pause_start_ = now;
      resume_to_ = state_;
      state_ = state::paused;
      ctl(net::video_op::pause, 0);
    }
    break;
  case player_key::back:
  case player_key::forward: {
    auto pos =
        static_cast<int64_t>(net::pts_of(info_.fps_milli, next_index_) / 1000);
    auto step =
        key == player_key::back ? -cfg_.seek_step_ms : cfg_.seek_step_ms;
    seek(std::max<int64_t>(0, pos + step), out);
    break;
  }
  case player_key::toggle_fullscreen:
    if (window_)
      window_->toggle_fullscreen();
    break;
  case player_key::toggle_overlay:
    overlay_ = !overlay_;
    break;
  case player_key::stop:
    ctl(net::video_op::stop, 0);
    buffer_.clear();
    state_ = state::done;
    break;
  }
  return out;
}

std::vector<player_output> video_player::seek_to(int64_t ms, player_time) {
  std::vector<player_output> out;
  if (started_ && state_ != state::done)
    seek(std::max<int64_t>(0, ms), out);
  return out;
}

void video_player::seek(int64_t ms, std::vector<player_output>& out) {
  // A new segment: frames already in flight belong to the old one and are
  // dropped as they arrive; the server starts the new one at the target
  // (same rounding as here).
  ++segment_;
  out.emplace_back(net::video_control{
      summary_.stream_id, segment_,
      static_cast<uint8_t>(net::video_op::seek_absolute), ms});
  buffer_.clear();
  next_index_ = net::frame_at_ms(info_.fps_milli, ms);
  last_received_.reset();
  unacked_ = 0;
  if (state_ == state::paused)
    resume_to_ = state::waiting;
  else
    state_ = state::waiting;
}

player_time video_player::next_wakeup(player_time now) const {
  auto t = std::min(last_ack_ + cfg_.ack_interval,
                    last_stats_ + cfg_.stats_interval);
  if (state_ == state::playing)
    t = std::min(t, due_time(next_index_));
  else if (state_ != state::done)
    t = std::min(t, now + milliseconds(20));
  return std::max(t, now);
}

bool video_player::finished() const {
  return state_ == state::done && summary_.ended;
}

} // namespace client
