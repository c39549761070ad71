#include "client/playback.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace client {

namespace {

std::string describe(size_t number, const net::video_info& v) {
  if (!v.problem.empty())
    return std::to_string(number) + ") " + v.id + "  unavailable: " + v.problem;
  std::string heights;
  for (auto h : v.heights)
    heights += (heights.empty() ? "" : "/") + std::to_string(h) + "p";
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%zu) %s  %s  %.1f s  %.2f fps", number,
                v.id.c_str(), heights.c_str(), v.duration_ms / 1000.0,
                v.fps_milli / 1000.0);
  return buf;
}

// "preparing video_3 for streaming: 37% done, about 1 min 15 s left"
std::string describe(const net::play_waiting& w) {
  auto text = "preparing " + w.video + " for streaming: " +
              std::to_string(std::min<uint16_t>(w.done_permille, 1000) / 10) +
              "% done, ";
  auto secs = (uint64_t{w.remaining_ms} + 999) / 1000;
  if (w.remaining_ms == 0)
    text += "time left not known yet";
  else if (secs < 60)
    text += "about " + std::to_string(secs) + " s left";
  else
    text += "about " + std::to_string(secs / 60) + " min " +
            std::to_string(secs % 60) + " s left";
  return text + " (s cancels)";
}

} // namespace

playback::playback(player_settings defaults, std::string policy, print_fn print)
    : defaults_(std::move(defaults)),
      policy_(std::move(policy)),
      print_(std::move(print)) {
  // nop
}

void playback::request_list(client_core& core) {
  core.send_frame(net::video_list_request{});
}

bool playback::play(client_core& core, const std::string& choice) {
  const net::video_info* chosen = nullptr;
  for (size_t i = 0; i < videos_.size(); ++i)
    if (choice == std::to_string(i + 1) || choice == videos_[i].id)
      chosen = &videos_[i];
  if (chosen == nullptr) {
    print_("unknown video '" + choice + "'");
    return false;
  }
  if (!chosen->problem.empty()) {
    print_("video '" + chosen->id + "' is unavailable: " + chosen->problem);
    return false;
  }
  auto id = chosen->id;
  auto cfg = defaults_;
  cfg.print = print_;
  player_ = std::make_unique<video_player>(cfg, player_clock::now());
  stream_id_ = 0;
  waiting_id_ = 0;
  core.send_frame(net::play_request{id, policy_, 0});
  print_("playing " + id + (cfg.headless ? " (headless)" : "") +
         " - commands: p pause/resume, + / - seek 10 s, g SECONDS, s stop, "
         "f fullscreen, o overlay; the menu keeps working");
  return true;
}

bool playback::on_frame(client_core& core, const net::frame& f) {
  auto now = player_clock::now();
  switch (f.type) {
  case net::video_list::wire_type: {
    auto list = net::decode_payload<net::video_list>(f);
    if (!list)
      return true;
    videos_ = std::move(list->videos);
    if (videos_.empty())
      print_("the server has no videos");
    for (size_t i = 0; i < videos_.size(); ++i)
      print_(describe(i + 1, videos_[i]));
    if (on_list)
      on_list();
    return true;
  }
  case net::play_started::wire_type: {
    auto msg = net::decode_payload<net::play_started>(f);
    if (msg && player_) {
      stream_id_ = msg->stream_id;
      player_->on_started(*msg, now);
    }
    return true;
  }
  case net::play_waiting::wire_type: {
    auto msg = net::decode_payload<net::play_waiting>(f);
    if (msg && player_ && stream_id_ == 0) {
      waiting_id_ = msg->stream_id;
      print_(describe(*msg));
    }
    return true;
  }
  case net::video_frame::wire_type: {
    auto msg = net::decode_payload<net::video_frame>(f);
    if (msg && player_ && msg->stream_id == stream_id_)
      player_->on_frame(std::move(*msg), now);
    return true;
  }
  case net::video_end::wire_type: {
    auto msg = net::decode_payload<net::video_end>(f);
    if (msg && player_ && stream_id_ == 0) {
      // Ended before it started (e.g. a policy the video cannot serve, or
      // stopped while the server prepared it).
      auto stopped =
          msg->reason == static_cast<uint8_t>(net::end_reason::stopped);
      print_((stopped ? "playback stopped: " : "playback failed: ") +
             msg->text);
      return cancel(), true;
    }
    if (msg && player_ && msg->stream_id == stream_id_)
      player_->on_end(*msg, now);
    tick(core);
    return true;
  }
  default:
    return false;
  }
}

bool playback::command(client_core& core, const std::string& line) {
  if (!player_)
    return false;
  auto now = player_clock::now();
  if (stream_id_ == 0 && waiting_id_ != 0 && line == "s") {
    // The server is still preparing the video: its PLAY can be cancelled.
    core.send_frame(net::video_control{
        waiting_id_, 0, static_cast<uint8_t>(net::video_op::stop), 0});
    return true;
  }
  if (line == "p")
    send(core, player_->on_key(player_key::toggle_pause, now));
  else if (line == "+")
    send(core, player_->on_key(player_key::forward, now));
  else if (line == "-")
    send(core, player_->on_key(player_key::back, now));
  else if (line == "s")
    send(core, player_->on_key(player_key::stop, now));
  else if (line == "f")
    send(core, player_->on_key(player_key::toggle_fullscreen, now));
  else if (line == "o")
    send(core, player_->on_key(player_key::toggle_overlay, now));
  else if (line.rfind("g ", 0) == 0) {
    try {
      auto secs = std::stod(line.substr(2));
      // within a century: the cast below must not overflow
      if (!(std::abs(secs) < 3.2e9))
        throw std::out_of_range{"seek"};
      send(core, player_->seek_to(static_cast<int64_t>(secs * 1000), now));
    } catch (const std::exception&) {
      print_("usage: g SECONDS");
    }
  } else
    return false;
  return true;
}

void playback::tick(client_core& core) {
  if (!player_)
    return;
  send(core, player_->tick(player_clock::now()));
  if (player_->finished()) {
    print_(player_->summary().to_text());
    player_.reset();
    if (on_finished)
      on_finished();
  }
}

void playback::cancel() {
  if (!player_)
    return;
  player_.reset();
  stream_id_ = 0;
  waiting_id_ = 0;
  if (on_finished)
    on_finished();
}

void playback::on_server_error() {
  // A refused play request (unknown video, too many playbacks) arrives as a
  // non-fatal error before any PLAY_STARTED.
  if (player_ && stream_id_ == 0)
    cancel();
}

player_time playback::next_wakeup() const {
  auto now = player_clock::now();
  return player_ ? player_->next_wakeup(now) : now + std::chrono::seconds{1};
}

void playback::send(client_core& core, std::vector<player_output> out) {
  for (auto& msg : out)
    std::visit([&](auto& m) { core.send_frame(m); }, msg);
}

} // namespace client
