#pragma once

// A hand-driven protocol peer for hostile-input tests: raw TCP, optional
// TLS, arbitrary bytes or frames, no politeness. Past the handshake it
// speaks through a client net::frame_channel like the real client.

#include <cerrno>
#include <chrono>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <optional>
#include <poll.h>
#include <string>
#include <vector>

#include <caf/test/unit_test.hpp>

#include "client/tcp_socket.hpp"
#include "net/frame.hpp"
#include "net/frame_channel.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"

namespace test_support {

class raw_client {
public:
  explicit raw_client(uint16_t port) {
    auto s = client::tcp_socket::connect("127.0.0.1", port);
    CAF_REQUIRE(s);
    sock_ = std::move(*s);
  }

  /// Connects from the loopback address `source` (e.g. "127.0.0.2"), to
  /// stand for another host.
  raw_client(uint16_t port, const std::string& source) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    CAF_REQUIRE(fd >= 0);
    sock_ = client::tcp_socket{fd};
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    CAF_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) ==
                0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    CAF_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
                0);
  }

  /// Plain bytes on the socket (no TLS).
  void send_raw(const std::string& bytes) {
    // The server may have closed on us already (that is what hostile tests
    // provoke): what counts is what comes back, which read() checks.
    static_cast<void>(sock_.write_all(bytes.data(), bytes.size()));
  }

  /// Completes a TLS 1.3 handshake; false if the server refused.
  bool handshake() {
    auto ctx = net::tls_context::client();
    CAF_REQUIRE(ctx);
    ch_.emplace(net::frame_channel::client(*ctx, "", 16 << 20));
    ch_->start();
    flush();
    auto deadline = clock::now() + std::chrono::seconds{5};
    while (!ch_->established() && !ch_->failed() && clock::now() < deadline)
      if (!pump(std::chrono::milliseconds{100}))
        break;
    return ch_->established();
  }

  /// Bytes inside TLS, as they are (may be a broken frame): send_encoded
  /// does not look at them, which is what a hostile test needs.
  void send_plain(const std::vector<char>& bytes) {
    ch_->send_encoded(bytes.data(), bytes.size());
    flush();
  }

  /// Like send_plain, but gives up after `timeout`: false if the server
  /// did not take every byte by then (it stopped reading us).
  bool send_plain_within(const std::vector<char>& bytes,
                         std::chrono::milliseconds timeout) {
    ch_->send_encoded(bytes.data(), bytes.size());
    std::vector<char> out;
    ch_->take_output(out);
    auto deadline = clock::now() + timeout;
    size_t pos = 0;
    while (pos < out.size() && clock::now() < deadline) {
      pollfd fd{sock_.fd(), POLLOUT, 0};
      if (::poll(&fd, 1, 10) <= 0)
        continue;
      auto n = ::send(sock_.fd(), out.data() + pos, out.size() - pos,
                      MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0)
        pos += static_cast<size_t>(n);
      else if (n < 0 && errno != EAGAIN)
        return false;
    }
    return pos == out.size();
  }

  template <class T>
  void send(const T& msg) {
    ch_->send(msg);
    flush();
  }

  /// HELLO with a fresh identity, signed over the channel binding.
  net::hello make_hello(const std::string& name) {
    auto binding = ch_->channel_binding(net::channel_binding_label, 32);
    CAF_REQUIRE(binding);
    auto h = net::signed_hello(id_, name, *binding);
    CAF_REQUIRE(h);
    return std::move(*h);
  }

  /// TLS + HELLO; waits for WELCOME.
  void join(const std::string& name) {
    CAF_REQUIRE(handshake());
    send(make_hello(name));
    CAF_REQUIRE(wait_for<net::welcome>());
  }

  /// Reads until a frame of type T arrives (earlier frames are kept).
  template <class T>
  std::optional<T>
  wait_for(std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    auto deadline = clock::now() + timeout;
    for (;;) {
      for (auto i = frames_.begin(); i != frames_.end(); ++i)
        if (i->type == T::wire_type) {
          auto x = net::decode_payload<T>(*i);
          frames_.erase(i);
          if (x)
            return std::move(*x);
          return std::nullopt;
        }
      auto left = deadline - clock::now();
      if (left <= clock::duration::zero() || closed_)
        return std::nullopt;
      pump(std::chrono::duration_cast<std::chrono::milliseconds>(left));
    }
  }

  /// True once the server closed the socket (waits up to `timeout`).
  bool closed(std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
    auto deadline = clock::now() + timeout;
    while (!closed_ && clock::now() < deadline)
      pump(std::chrono::milliseconds{50});
    return closed_;
  }

  const net::identity& identity() const {
    return id_;
  }

  /// What `flood` saw.
  struct flood_result {
    uint64_t plain_bytes = 0;              ///< frames' bytes written
    std::optional<net::error_frame> fatal; ///< the server's reason, if any
    bool closed = false;                   ///< the server closed the socket
  };

  /// Writes `chunk` (whole frames) over and over, as fast as the socket
  /// takes it, for `duration` or until the server closes. Reads and drops
  /// whatever comes back but error frames, so the flooder never looks like
  /// a stalled reader.
  flood_result flood(const std::vector<char>& chunk,
                     std::chrono::milliseconds duration) {
    flood_result res;
    auto flags = ::fcntl(sock_.fd(), F_GETFL);
    ::fcntl(sock_.fd(), F_SETFL, flags | O_NONBLOCK);
    std::vector<char> out;
    size_t out_pos = 0;
    auto deadline = clock::now() + duration;
    while (!closed_ && clock::now() < deadline) {
      pollfd fd{sock_.fd(), POLLIN | POLLOUT, 0};
      if (::poll(&fd, 1, 10) <= 0)
        continue;
      if (fd.revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[65536];
        auto n = ::read(sock_.fd(), buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
          closed_ = true;
          break;
        }
        if (n > 0) {
          ch_->feed(buf, static_cast<size_t>(n));
          while (auto f = ch_->next())
            if (f->type == net::error_frame::wire_type) {
              auto e = net::decode_payload<net::error_frame>(*f);
              if (e && e->fatal)
                res.fatal = std::move(*e);
            }
        }
      }
      if (fd.revents & POLLOUT) {
        if (out_pos == out.size()) {
          ch_->send_encoded(chunk.data(), chunk.size());
          out.clear();
          out_pos = 0;
          ch_->take_output(out);
          res.plain_bytes += chunk.size();
        }
        auto n = ::write(sock_.fd(), out.data() + out_pos, out.size() - out_pos);
        if (n > 0)
          out_pos += static_cast<size_t>(n);
        else if (n < 0 && errno != EAGAIN) {
          closed_ = true;
          break;
        }
      }
    }
    ::fcntl(sock_.fd(), F_SETFL, flags);
    res.closed = closed_;
    return res;
  }

private:
  using clock = std::chrono::steady_clock;

  void flush() {
    std::vector<char> out;
    ch_->take_output(out);
    if (!out.empty()) // a closed socket shows up in pump(), as in send_raw
      static_cast<void>(sock_.write_all(out.data(), out.size()));
  }

  /// Reads once; false when the socket closed.
  bool pump(std::chrono::milliseconds wait) {
    pollfd fd{sock_.fd(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(wait.count())) <= 0)
      return !closed_;
    char buf[65536];
    auto n = ::read(sock_.fd(), buf, sizeof(buf));
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    if (!ch_)
      return true;
    ch_->feed(buf, static_cast<size_t>(n));
    flush();
    while (auto f = ch_->next())
      frames_.push_back(std::move(*f));
    return true;
  }

  client::tcp_socket sock_;
  std::optional<net::frame_channel> ch_; ///< from the handshake on
  net::identity id_ = net::identity::generate();
  std::vector<net::frame> frames_;
  bool closed_ = false;
};

} // namespace test_support
