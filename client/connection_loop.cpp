#include "client/connection_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace client {

using clock = std::chrono::steady_clock;

read_throttle::read_throttle(uint32_t max_kbps, time_point now)
    : limited_(max_kbps > 0) {
  double bytes_per_sec = max_kbps * 1000.0 / 8.0;
  // A bucket of 50 ms, like a real link's queue: deeper buckets let whole
  // frames through at memory speed and fool throughput estimates.
  double burst = std::max(bytes_per_sec / 20, 16384.0);
  bucket_ = net::token_bucket{bytes_per_sec, burst, now};
  // Empty at the start, as a link with nothing queued yet.
  bucket_.take(burst);
}

size_t read_throttle::allowance(size_t max, time_point now) {
  if (!limited_)
    return max;
  bucket_.refill(now);
  if (!bucket_.has(min_read))
    return 0;
  return std::min(max, static_cast<size_t>(bucket_.tokens()));
}

void read_throttle::took(size_t n) {
  if (limited_)
    bucket_.take(static_cast<double>(n));
}

void reconnect_backoff::grow() {
  delay_ = std::min(delay_ * 2, std::chrono::seconds{30});
}

bool wait_or_quit(line_reader& in, std::chrono::seconds delay) {
  auto until = clock::now() + delay;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - clock::now());
    if (left.count() <= 0)
      return false;
    pollfd fd{in.fd(), POLLIN, 0};
    if (!in.eof() && ::poll(&fd, 1, static_cast<int>(left.count())) > 0)
      in.fill();
    if (in.any_waiting(menu::is_quit) || in.eof())
      return true;
  }
}

connection_loop::connection_loop(tcp_socket& sock, client_core& core,
                                 playback& video, menu& ui, terminal& out,
                                 line_reader& in, loop_settings cfg)
    : sock_(sock),
      core_(core),
      video_(video),
      ui_(ui),
      out_(out),
      in_(in),
      cfg_(cfg) {
  // nop
}

int connection_loop::exit_code() const {
  if (ui_.exit_code() >= 0)
    return ui_.exit_code();
  return send_failed_ ? 2 : -1;
}

void connection_loop::flush() {
  std::vector<char> out;
  core_.take_output(out);
  if (!out.empty() && !sock_.write_all(out.data(), out.size()) &&
      exit_code() < 0) {
    out_.event("! connection lost while sending");
    send_failed_ = true;
  }
}

int connection_loop::finish(int code) {
  if (!core_.finished()) {
    core_.quit();
    flush();
  }
  ::shutdown(sock_.fd(), SHUT_WR);
  return code;
}

int connection_loop::run() {
  flush(); // the TLS ClientHello
  read_throttle throttle{cfg_.max_kbps, clock::now()};
  std::vector<char> buf(65536);
  bool stdin_open = true;
  bool lost = false; // the connection dropped (not a refusal)
  auto last_ping = clock::now();
  uint64_t ping_nonce = 0;
  while (exit_code() < 0) {
    auto read_max = throttle.allowance(buf.size(), clock::now());
    bool throttled = read_max == 0;
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                       video_.next_wakeup() - clock::now())
                       .count();
    timeout = std::clamp<long>(timeout, 0, throttled ? 10 : 1000);
    // Socket first in the array; a throttled socket is not polled.
    pollfd fds[2] = {{throttled ? -1 : sock_.fd(), POLLIN, 0},
                     {in_.fd(), POLLIN, 0}};
    int nfds = stdin_open ? 2 : 1;
    if (::poll(fds, nfds, static_cast<int>(timeout)) < 0 && errno != EINTR)
      break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto n = ::read(sock_.fd(), buf.data(), read_max);
      if (n <= 0) {
        if (exit_code() < 0) {
          out_.event("! the server closed the connection");
          lost = true;
        }
        break;
      }
      throttle.took(static_cast<size_t>(n));
      core_.on_bytes(buf.data(), static_cast<size_t>(n));
      flush();
    }
    video_.tick(core_);
    if (core_.joined() && clock::now() - last_ping > cfg_.keepalive) {
      last_ping = clock::now();
      core_.send_frame(net::ping{++ping_nonce});
    }
    flush();
    if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
      stdin_open = in_.fill();
    // Lines typed (or piped) before WELCOME wait in the reader.
    while (exit_code() < 0 && ui_.ready_for_input()) {
      auto line = in_.next();
      if (!line)
        break;
      out_.answered();
      ui_.on_line(*line);
      flush();
      if (ui_.quitting())
        return finish(0);
    }
    // EOF on stdin is a clean quit (after a playing video finished).
    if (in_.eof() && ui_.ready_for_input() && !video_.playing())
      return finish(0);
  }
  // A dropped connection or a server shutdown is worth another try; a
  // refusal (pin, proof, full) is not.
  if (lost || core_.last_error_code() == net::errc::shutdown)
    return -1;
  return finish(std::max(exit_code(), 0));
}

} // namespace client
