#pragma once

// The console client's waiting: one connection's poll loop over the socket
// and stdin (the --max-kbps read throttle, the keep-alive PING, the
// player's timers, typed lines handed to the menu), and the backoff between
// connections when the server goes away.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "client/client_core.hpp"
#include "client/menu.hpp"
#include "client/playback.hpp"
#include "client/tcp_socket.hpp"
#include "client/terminal.hpp"
#include "net/token_bucket.hpp"

namespace client {

/// --max-kbps: a token bucket over socket reads, so that one machine can
/// show the player adapting to a slow link. A rate of 0 is unlimited.
class read_throttle {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Reads smaller than this wait for more budget (no trickle of tiny reads).
  static constexpr double min_read = 1024;

  read_throttle(uint32_t max_kbps, time_point now);

  /// How many bytes one read may take now, at most `max`; 0 while
  /// throttled (then the socket is not polled).
  size_t allowance(size_t max, time_point now);

  /// `n` bytes were read.
  void took(size_t n);

private:
  bool limited_;
  net::token_bucket bucket_;
};

/// The wait before reconnecting: 1 s, doubling up to 30 s; back to 1 s once
/// a connection got as far as joining.
class reconnect_backoff {
public:
  std::chrono::seconds delay() const {
    return delay_;
  }

  /// A connection joined: the server is back, start over.
  void reset() {
    delay_ = std::chrono::seconds{1};
  }

  /// Waited once more in vain.
  void grow();

private:
  std::chrono::seconds delay_{1};
};

/// Sleeps `delay` while watching stdin; true when the user quit (typed the
/// quit choice, or ended the input).
bool wait_or_quit(line_reader& in, std::chrono::seconds delay);

/// Timers of one connection.
struct loop_settings {
  uint32_t max_kbps = 0; ///< read throttle, 0 = none
  /// PING when this long since the last one (the server drops sessions
  /// silent for its --idle-timeout-s).
  std::chrono::seconds keepalive{60};
};

/// Serves one connection: reads the socket into the core, writes what the
/// core has, ticks the player, hands typed lines to the menu.
class connection_loop {
public:
  connection_loop(tcp_socket& sock, client_core& core, playback& video,
                  menu& ui, terminal& out, line_reader& in, loop_settings cfg);

  /// Until the user quits (0), the connection fails (its exit code), or it
  /// was lost or the server shut down (-1: reconnecting makes sense).
  int run();

private:
  /// Writes what the core has; the first failure is reported and ends the
  /// connection.
  void flush();
  /// Quits politely (QUIT, TLS close, our half of the socket) with `code`.
  int finish(int code);
  /// -1 while the connection goes on.
  int exit_code() const;

  tcp_socket& sock_;
  client_core& core_;
  playback& video_;
  menu& ui_;
  terminal& out_;
  line_reader& in_;
  loop_settings cfg_;
  bool send_failed_ = false;
};

} // namespace client
