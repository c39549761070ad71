#include "client/console.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_core.hpp"
#include "client/known_servers.hpp"
#include "client/playback.hpp"
#include "client/safe_text.hpp"
#include "client/tcp_socket.hpp"
#include "client/trust_store.hpp"
#include "net/identity.hpp"
#include "net/utf8.hpp"

namespace client {

namespace {

constexpr size_t max_message_bytes = 65536;

/// Prints asynchronous events without garbling the prompt: on a terminal,
/// the prompt line is cleared and drawn again below the event.
class printer {
public:
  printer() : tty_(::isatty(STDOUT_FILENO) && ::isatty(STDIN_FILENO)) {
    // nop
  }

  void prompt(std::string p) {
    prompt_ = std::move(p);
    std::cout << prompt_ << std::flush;
    at_prompt_ = true;
  }

  void event(const std::string& line) {
    // A terminal gets the prompt redrawn below the event; a pipe gets each
    // prompt once, so scripted output stays readable.
    if (at_prompt_)
      std::cout << (tty_ ? "\r\033[K" : "\n");
    std::cout << line << '\n';
    if (at_prompt_ && tty_)
      std::cout << prompt_;
    else
      at_prompt_ = false;
    std::cout << std::flush;
  }

  /// The user finished a line: the prompt is gone.
  void answered() {
    at_prompt_ = false;
  }

  void line(const std::string& text) {
    std::cout << text << '\n' << std::flush;
  }

private:
  bool tty_;
  bool at_prompt_ = false;
  std::string prompt_;
};

/// Errors a refused PLAY comes back with (docs/protocol.md, section 9):
/// unknown video, no cache possible, too many playbacks (or the PLAY frame
/// itself dropped by the frame budget), a bad policy.
bool concerns_playback(net::errc code) {
  switch (code) {
  case net::errc::not_found:
  case net::errc::io:
  case net::errc::rate_limited:
  case net::errc::protocol:
    return true;
  default:
    return false;
  }
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty())
        out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(std::move(cur));
  return out;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

/// Reads stdin in chunks and yields whole lines (no blocking on partial).
class line_reader {
public:
  /// False at EOF (after the last line was taken).
  bool fill() {
    char buf[65536];
    auto n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      return true;
    if (n <= 0) {
      eof_ = true;
      if (!pending_.empty()) {
        lines_.push_back(std::move(pending_));
        pending_.clear();
      }
      return false;
    }
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        lines_.push_back(std::move(pending_));
        pending_.clear();
      } else {
        pending_ += buf[i];
      }
    }
    return true;
  }

  std::optional<std::string> next() {
    if (lines_.empty())
      return std::nullopt;
    auto l = std::move(lines_.front());
    lines_.erase(lines_.begin());
    return l;
  }

  bool eof() const {
    return eof_ && lines_.empty();
  }

  /// True when some waiting line equals `text` (after trimming).
  bool peek_is(const std::string& text) const;

private:
  std::string pending_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

bool line_reader::peek_is(const std::string& text) const {
  for (auto& l : lines_)
    if (trim(l) == text)
      return true;
  return false;
}

class console {
public:
  explicit console(const config::client_options& opts) : opts_(opts) {
    // nop
  }

  int run();

private:
  enum class state {
    naming,
    connecting,
    menu,
    recipients,
    text,
    video_wait, ///< listing requested
    video_pick,
    quitting
  };

  void show_menu() {
    out_.prompt("\n1) list clients  2) send message  3) video playback  "
                "4) quit\n> ");
  }

  void handle_line(const std::string& raw);
  void on_menu(const std::string& choice);
  void list_clients();
  void flush_socket();
  int finish(int code);
  /// One connection: connect, join, serve the menu. The exit code, or -1
  /// when the connection was lost and a reconnect makes sense.
  int serve(const std::string& name, bool first);
  /// Sleeps `delay` while watching stdin; true when the user quit.
  bool wait_or_quit(std::chrono::seconds delay);

  const config::client_options& opts_;
  printer out_;
  line_reader in_;
  std::optional<tcp_socket> sock_;
  std::unique_ptr<client_core> core_;
  std::unique_ptr<playback> video_;
  std::optional<trust_store> trust_;
  std::optional<replay_store> replay_;
  std::optional<net::known_servers> known_;
  state state_ = state::naming;
  std::vector<std::string> recipients_;
  bool pin_on_connect_ = false;
  bool lost_ = false;     ///< the connection dropped (not a refusal)
  std::string server_id_; ///< host:port
  net::identity identity_;
  std::optional<net::tls_context> tls_;
  int exit_code_ = -1;
};

void console::flush_socket() {
  if (!core_ || !sock_)
    return;
  std::vector<char> out;
  core_->take_output(out);
  if (!out.empty() && !sock_->write_all(out.data(), out.size()) &&
      exit_code_ < 0) {
    out_.event("! connection lost while sending");
    exit_code_ = 2;
  }
}

void console::list_clients() {
  auto& dir = core_->directory();
  out_.line("online (" + std::to_string(dir.size()) + "):");
  for (auto& [name, info] : dir) {
    std::string line = "  " + safe_text(name);
    if (name == core_->name())
      line += " (you)";
    if (core_->blocked().count(name) > 0)
      line +=
          "  [KEY CHANGED - type 'accept " + safe_text(name) + "' to trust]";
    out_.line(line);
  }
  out_.line("(type 'f NAME' for a fingerprint and safety number)");
}

void console::on_menu(const std::string& choice) {
  if (choice == "1") {
    list_clients();
  } else if (choice == "2") {
    if (core_->directory().size() <= 1) {
      out_.line("nobody else is online");
    } else {
      state_ = state::recipients;
      out_.prompt("to (one or more names, or 'all'): ");
      return;
    }
  } else if (choice == "3") {
    if (video_->playing()) {
      out_.line("a video is playing; type s to stop it first");
    } else {
      state_ = state::video_wait;
      video_->request_list(*core_);
      return;
    }
  } else if (choice == "4") {
    state_ = state::quitting;
    return;
  } else if (choice.rfind("f ", 0) == 0) {
    auto peer = trim(choice.substr(2));
    auto fp = core_->fingerprint_of(peer);
    if (fp.empty()) {
      out_.line("unknown name '" + safe_text(peer) + "'");
    } else {
      out_.line("key fingerprint of " + safe_text(peer) + ": " + fp);
      if (peer != core_->name())
        out_.line("safety number with " + safe_text(peer) + ": " +
                  core_->safety_number_with(peer) + "  (compare it with " +
                  safe_text(peer) + " out of band)");
    }
  } else if (choice.rfind("accept ", 0) == 0) {
    auto peer = trim(choice.substr(7));
    if (core_->blocked().count(peer) == 0)
      out_.line("nothing to accept for '" + safe_text(peer) + "'");
    else if (core_->accept_key(peer))
      out_.line("accepted the new key of " + safe_text(peer));
  } else if (!choice.empty()) {
    out_.line("unknown choice '" + safe_text(choice) + "': type 1, 2, 3 or 4");
  }
  show_menu();
}

void console::handle_line(const std::string& raw) {
  out_.answered();
  auto line = trim(raw);
  switch (state_) {
  case state::naming:
    if (line.empty()) {
      out_.prompt("your name: ");
      return;
    }
    state_ = state::connecting;
    core_->choose_name(line);
    return;
  case state::connecting:
    return; // typed before WELCOME: ignore
  case state::menu:
    if (video_->command(*core_, line))
      return show_menu();
    return on_menu(line);
  case state::video_wait:
    return;
  case state::video_pick:
    if (line.empty() || video_->play(*core_, line)) {
      state_ = state::menu;
      return show_menu();
    }
    out_.prompt("video (number or id, empty to cancel): ");
    return;
  case state::recipients: {
    auto names = split_names(line);
    if (names.empty()) {
      state_ = state::menu;
      return show_menu();
    }
    std::vector<std::string> unknown;
    if (!(names.size() == 1 && names[0] == "all"))
      for (auto& n : names)
        if (core_->directory().count(n) == 0 || n == core_->name())
          unknown.push_back(n);
    if (!unknown.empty()) {
      std::string online;
      for (auto& kvp : core_->directory())
        if (kvp.first != core_->name())
          online += (online.empty() ? "" : ", ") + safe_text(kvp.first);
      out_.line("unknown name '" + safe_text(unknown[0]) +
                "'; online: " + (online.empty() ? "nobody" : online));
      out_.prompt("to (one or more names, or 'all'): ");
      return;
    }
    recipients_ = std::move(names);
    state_ = state::text;
    out_.prompt("message: ");
    return;
  }
  case state::text: {
    state_ = state::menu;
    if (raw.size() > max_message_bytes) {
      out_.line("message too long (" + std::to_string(raw.size()) +
                " bytes, at most " + std::to_string(max_message_bytes) + ")");
    } else if (!net::is_valid_utf8(raw)) {
      out_.line("message is not valid UTF-8; not sent");
    } else {
      auto report = core_->send_text(recipients_, raw);
      if (!report.sent.empty()) {
        std::string to;
        for (auto& s : report.sent)
          to += (to.empty() ? "" : ", ") + safe_text(s);
        out_.line("sent to " + to);
      }
      for (auto& [peer, why] : report.refused)
        out_.line("NOT sent to " + safe_text(peer) + ": " + safe_text(why));
      flush_socket();
    }
    return show_menu();
  }
  case state::quitting:
    return;
  }
}

int console::finish(int code) {
  if (core_ && !core_->finished()) {
    core_->quit();
    flush_socket();
  }
  if (sock_)
    ::shutdown(sock_->fd(), SHUT_WR);
  return code;
}

int console::run() {
  auto ts = trust_store::open(opts_.trust_file);
  if (!ts) {
    std::cerr << "chat-client: " << net::describe(ts.error()) << std::endl;
    return 1;
  }
  trust_.emplace(std::move(*ts));
  auto rs = replay_store::open(opts_.replay_file, opts_.replay_window);
  if (!rs) {
    std::cerr << "chat-client: " << net::describe(rs.error()) << std::endl;
    return 1;
  }
  replay_.emplace(std::move(*rs));
  auto ks = net::known_servers::open(opts_.known_servers);
  if (!ks) {
    std::cerr << "chat-client: " << net::describe(ks.error()) << std::endl;
    return 1;
  }
  known_.emplace(std::move(*ks));
  bool created = false;
  auto id = net::load_or_create_identity(opts_.key_file, &created);
  if (!id) {
    std::cerr << "chat-client: --key-file: " << net::describe(id.error())
              << std::endl;
    return 1;
  }
  if (created)
    out_.line("created a new identity in " + opts_.key_file);
  identity_ = std::move(*id);
  auto ctx = net::tls_context::client();
  if (!ctx) {
    std::cerr << "chat-client: " << net::describe(ctx.error()) << std::endl;
    return 1;
  }
  tls_ = std::move(*ctx);
  // Reconnect with backoff when the server goes away; identity and name
  // are kept. 4 or end of input while waiting quits.
  std::string name = opts_.name;
  auto backoff = std::chrono::seconds{1};
  for (bool first = true;; first = false) {
    auto code = serve(name, first);
    if (code >= 0)
      return code;
    if (core_ && core_->joined()) {
      name = core_->name();
      backoff = std::chrono::seconds{1};
    }
    if (video_)
      video_->cancel();
    out_.event("! connection to the server lost; reconnecting in " +
               std::to_string(backoff.count()) +
               " s (4 or end of input quits)");
    if (wait_or_quit(backoff))
      return 0;
    backoff = std::min(backoff * 2, std::chrono::seconds{30});
  }
}

bool console::wait_or_quit(std::chrono::seconds delay) {
  auto until = std::chrono::steady_clock::now() + delay;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    if (!in_.eof() && ::poll(&fd, 1, static_cast<int>(left.count())) > 0)
      in_.fill();
    if (in_.peek_is("4") || in_.eof())
      return true;
  }
}

int console::serve(const std::string& name, bool first) {
  exit_code_ = -1;
  lost_ = false;
  sock_.reset();
  server_id_ = opts_.host + ":" + std::to_string(opts_.port);
  std::string pin = opts_.server_fingerprint;
  std::string pinned;
  if (pin.empty() && !opts_.accept_new_fingerprint) {
    // Use the fingerprint pinned on first use, if any.
    if (known_->check(server_id_, "", &pinned) !=
        net::known_servers::verdict::unknown)
      pin = pinned;
  }
  pin_on_connect_ = pin.empty() || opts_.accept_new_fingerprint;
  auto s = tcp_socket::connect(opts_.host, opts_.port);
  if (!s) {
    if (first) {
      std::cerr << "chat-client: " << net::describe(s.error()) << std::endl;
      return 2;
    }
    out_.event("! " + net::describe(s.error()));
    return -1;
  }
  sock_.emplace(std::move(*s));
  client_events ev;
  ev.on_connected = [&](const std::string& fp) {
    out_.line("connected to " + server_id_ + ", server fingerprint " + fp);
    if (pin_on_connect_) {
      if (auto err = known_->pin(server_id_, fp))
        out_.event("! could not pin the fingerprint: " + net::describe(err));
      else
        out_.line("pinned this fingerprint for " + server_id_ +
                  " (trust on first use)");
    }
  };
  ev.on_welcome = [&](const std::string& name) {
    out_.event("joined as " + safe_text(name));
    state_ = state::menu;
    show_menu();
  };
  ev.on_name_refused = [&](const std::string& why) {
    out_.event("! " + safe_text(why));
    state_ = state::naming;
    out_.prompt("your name: ");
  };
  ev.on_error = [&](net::errc code, const std::string& raw_text, bool fatal) {
    auto text = safe_text(raw_text); // the server's words
    if (!fatal) {
      out_.event("! " + text);
      // Only a refused PLAY ends a playback that has not started; an
      // unknown chat recipient or a busy one does not.
      if (video_ && concerns_playback(code))
        video_->on_server_error();
      return;
    }
    if (code == net::errc::pin_mismatch)
      out_.event("! " + text +
                 "\n! The server's certificate is not the one "
                 "pinned for " +
                 server_id_ +
                 ". If you trust the change, run "
                 "again with --accept-new-fingerprint.");
    else
      out_.event("! " + text);
    if (exit_code_ < 0)
      exit_code_ = 2;
  };
  ev.on_warning = [&](const std::string& text) {
    out_.event("!! " + safe_text(text));
  };
  ev.on_directory = [&](const std::vector<std::string>& joined,
                        const std::vector<std::string>& left, bool snapshot) {
    if (snapshot) {
      std::string names;
      for (auto& kvp : core_->directory())
        names += (names.empty() ? "" : ", ") + safe_text(kvp.first);
      return out_.event("* online: " + names);
    }
    for (auto& n : joined)
      out_.event("* " + safe_text(n) + " joined");
    for (auto& n : left)
      out_.event("* " + safe_text(n) + " left");
  };
  ev.on_message = [&](const std::string& from, const std::string& text,
                      bool verified) {
    // One header per message; its other lines are indented under it.
    out_.event(safe_lines("[" + safe_text(from) +
                              (verified ? "" : " (UNVERIFIED KEY)") + "] ",
                          text));
  };
  ev.on_other_frame = [&](const net::frame& f) { video_->on_frame(*core_, f); };
  core_ = std::make_unique<client_core>(*tls_, pin, identity_, &*trust_,
                                        std::move(ev));
  core_->set_replay_store(&*replay_);
  player_settings video_cfg;
  video_cfg.headless = opts_.headless;
  video_cfg.check_frame_codes = opts_.check_frame_codes;
  video_ = std::make_unique<playback>(
      video_cfg, opts_.abr_policy,
      // Video ids, titles and end texts come from the server.
      [this](const std::string& line) { out_.event(safe_lines("", line)); });
  video_->on_list = [this] {
    if (state_ != state::video_wait)
      return;
    if (video_->videos().empty()) {
      state_ = state::menu;
      return show_menu();
    }
    state_ = state::video_pick;
    out_.prompt("video (number or id, empty to cancel): ");
  };
  core_->start();
  if (name.empty()) {
    state_ = state::naming;
    out_.prompt("your name: ");
  } else {
    state_ = state::connecting;
    core_->choose_name(name);
  }
  flush_socket();
  auto ready_for_input = [&] {
    return state_ == state::naming || state_ == state::menu ||
           state_ == state::recipients || state_ == state::text ||
           state_ == state::video_pick;
  };
  // --max-kbps: a token bucket over socket reads (lets one machine show
  // adaptation); 0 = unlimited.
  using clock = std::chrono::steady_clock;
  double read_budget = 0;
  auto last_refill = clock::now();
  const double bytes_per_sec = opts_.max_kbps * 1000.0 / 8.0;
  auto refill = [&] {
    auto now = clock::now();
    std::chrono::duration<double> dt = now - last_refill;
    last_refill = now;
    // A bucket of 50 ms, like a real link's queue: deeper buckets let
    // whole frames through at memory speed and fool throughput estimates.
    read_budget = std::min(std::max(bytes_per_sec / 20, 16384.0),
                           read_budget + dt.count() * bytes_per_sec);
  };
  std::vector<char> buf(65536);
  bool stdin_open = true;
  auto last_ping = std::chrono::steady_clock::now();
  const auto keepalive = std::chrono::seconds{opts_.keepalive_s};
  uint64_t ping_nonce = 0;
  while (exit_code_ < 0) {
    bool throttled = false;
    size_t read_max = buf.size();
    if (bytes_per_sec > 0) {
      refill();
      throttled = read_budget < 1024;
      read_max =
          std::min(buf.size(), static_cast<size_t>(std::max(read_budget, 0.0)));
    }
    auto wake = video_->next_wakeup();
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                       wake - clock::now())
                       .count();
    timeout = std::clamp<long>(timeout, 0, throttled ? 10 : 1000);
    // Socket first in the array; a throttled socket is not polled.
    pollfd fds[2] = {{throttled ? -1 : sock_->fd(), POLLIN, 0},
                     {STDIN_FILENO, POLLIN, 0}};
    int nfds = stdin_open ? 2 : 1;
    if (::poll(fds, nfds, static_cast<int>(timeout)) < 0 && errno != EINTR)
      break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto n = ::read(sock_->fd(), buf.data(), read_max);
      if (n > 0 && bytes_per_sec > 0)
        read_budget -= n;
      if (n <= 0) {
        if (exit_code_ < 0) {
          out_.event("! the server closed the connection");
          lost_ = true;
        }
        break;
      }
      core_->on_bytes(buf.data(), static_cast<size_t>(n));
      flush_socket();
    }
    video_->tick(*core_);
    // Keep-alive: the server drops sessions silent for --idle-timeout-s.
    if (core_->joined() && clock::now() - last_ping > keepalive) {
      last_ping = clock::now();
      core_->send_frame(net::ping{++ping_nonce});
    }
    flush_socket();
    if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
      stdin_open = in_.fill();
    // Lines typed (or piped) before WELCOME wait in the reader.
    while (exit_code_ < 0 && ready_for_input()) {
      auto line = in_.next();
      if (!line)
        break;
      handle_line(*line);
      flush_socket();
      if (state_ == state::quitting)
        return finish(0);
    }
    // EOF on stdin is a clean quit (after a playing video finished).
    if (in_.eof() && ready_for_input() && !video_->playing())
      return finish(0);
  }
  // A dropped connection or a server shutdown is worth another try; a
  // refusal (pin, proof, full) is not.
  if (lost_ || core_->last_error_code() == net::errc::shutdown)
    return -1;
  return finish(exit_code_ < 0 ? 0 : exit_code_);
}

} // namespace

int run_console(const config::client_options& opts) {
  console c{opts};
  return c.run();
}

} // namespace client
