#pragma once

#include <cstdint>
#include <string>

#include "net/error.hpp"

namespace client {

/// A connected TCP socket (closed on destruction).
class tcp_socket {
public:
  tcp_socket() = default;
  explicit tcp_socket(int fd) : fd_(fd) {
    // nop
  }
  tcp_socket(tcp_socket&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
  }
  tcp_socket& operator=(tcp_socket&& other) noexcept;
  tcp_socket(const tcp_socket&) = delete;
  tcp_socket& operator=(const tcp_socket&) = delete;
  ~tcp_socket();

  /// Resolves and connects (blocking).
  [[nodiscard]] static net::result<tcp_socket>
  connect(const std::string& host, uint16_t port);

  int fd() const {
    return fd_;
  }

  /// Writes everything (blocking). False when the peer is gone.
  [[nodiscard]] bool write_all(const char* data, size_t size);

private:
  int fd_ = -1;
};

} // namespace client
