#pragma once

// Sans-IO TLS 1.3: the channel never touches a socket. The owner feeds it
// ciphertext from the network and sends what `take_output` hands back, so
// the same code runs inside a CAF broker (server) and a poll loop (client).
//
// Typical use after each read from the socket:
//   ch.feed(data, n); ch.read_plaintext(in); ch.take_output(out); send(out);

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <openssl/types.h>

#include "net/certificate.hpp"
#include "net/error.hpp"
#include "net/wire.hpp"

namespace net {

/// Shared TLS 1.3 configuration (an SSL_CTX); cheap to copy.
class tls_context {
public:
  /// A server context presenting `creds`.
  [[nodiscard]] static result<tls_context>
  server(const server_credentials& creds);

  /// A client context; trust comes from pinning, not from CAs.
  [[nodiscard]] static result<tls_context> client();

  /// The underlying SSL_CTX (owned by this context).
  SSL_CTX* native_handle() const {
    return ctx_.get();
  }

  /// Whether channels made from this context accept connections.
  bool is_server() const {
    return is_server_;
  }

private:
  tls_context(std::shared_ptr<SSL_CTX> ctx, bool is_server);

  std::shared_ptr<SSL_CTX> ctx_;
  bool is_server_;
};

/// One TLS connection over memory buffers; movable, not copyable (a
/// moved-from channel may only be assigned to or destroyed).
class tls_channel {
public:
  /// The server side of a new connection.
  static tls_channel server(const tls_context& ctx);

  /// The client side; a non-empty `expected_fingerprint` pins the server
  /// certificate, an empty one accepts any (check `peer_fingerprint()`).
  static tls_channel client(const tls_context& ctx,
                            std::string expected_fingerprint);

  tls_channel(tls_channel&&) noexcept;
  tls_channel& operator=(tls_channel&&) noexcept;
  tls_channel(const tls_channel&) = delete;
  tls_channel& operator=(const tls_channel&) = delete;
  ~tls_channel();

  /// Begins the handshake (the client queues its ClientHello).
  void start();

  /// Consumes ciphertext from the network; false on a fatal error.
  bool feed(const char* data, size_t n);

  /// Appends all plaintext decrypted so far to `out`.
  void read_plaintext(std::vector<char>& out);

  /// Queues plaintext; before the handshake completes it is held back.
  bool write(const char* data, size_t n);

  /// Whether ciphertext is waiting to be sent.
  bool has_output() const;

  /// Appends the ciphertext to send to `out` and forgets it.
  void take_output(std::vector<char>& out);

  /// Whether the handshake has completed successfully.
  bool handshake_done() const;

  /// Whether the connection hit a fatal error (see `error()`).
  bool failed() const;

  /// What went wrong: `errc::tls` or `errc::pin_mismatch`.
  [[nodiscard]] caf::error error() const;

  /// Fingerprint of the peer certificate (client side, after handshake).
  std::string peer_fingerprint() const;

  /// RFC 8446 exporter output, e.g. for channel binding.
  [[nodiscard]] result<bytes> export_keying_material(const std::string& label,
                                                     size_t len) const;

  /// Queues close_notify; later writes are refused.
  void close();

  /// Whether the peer sent close_notify.
  bool peer_closed() const;

  /// Bytes buffered in this channel outside OpenSSL (plaintext in and
  /// out, ciphertext out), for memory accounting.
  size_t buffered() const;

private:
  struct impl;

  explicit tls_channel(std::unique_ptr<impl> ptr);

  std::unique_ptr<impl> impl_;
};

} // namespace net
