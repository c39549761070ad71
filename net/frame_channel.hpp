#pragma once

// The one byte pipeline of a connection, sans I/O: ciphertext from the
// network -> TLS (optional) -> plaintext -> frame decoder -> frames, and
// frames -> TLS -> ciphertext to send. The server's session, the client
// core, the tests and the bench all use it; nothing else touches TLS records
// or frame headers.
//
// Typical use after each read from the socket:
//   ch.feed(data, n);
//   while (auto f = ch.next()) handle(*f);
//   if (ch.failed()) ... ch.error();
//   ch.take_output(out); send(out);
//
// A plain channel (no TLS) exists for tests that speak frames directly.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "net/frame.hpp"
#include "net/tls_channel.hpp"

namespace net {

class frame_channel {
public:
  /// The server side of an accepted connection.
  static frame_channel server(const tls_context& ctx, uint32_t max_frame_size);

  /// The client side; a non-empty `expected_fingerprint` pins the server.
  static frame_channel client(const tls_context& ctx,
                              std::string expected_fingerprint,
                              uint32_t max_frame_size);

  /// Frames without TLS (test doubles of a peer; never on a real socket).
  static frame_channel plain(uint32_t max_frame_size);

  /// Begins the TLS handshake (client: queues its ClientHello).
  void start();

  /// Consumes bytes from the network. Complete frames are then pulled with
  /// `next()`, also after a failure: frames that were complete before a
  /// malformed one are still handed out. False once the channel failed.
  bool feed(const char* data, size_t n);

  /// The next complete frame, if any.
  std::optional<frame> next() {
    return decoder_.next();
  }

  /// Queues a frame for `msg`.
  template <class T>
  void send(const T& msg) {
    // One encoding buffer per thread, not per channel: an idle connection
    // holds no buffer of its own.
    thread_local std::vector<char> scratch;
    scratch.clear();
    append_frame(scratch, msg);
    send_encoded(scratch.data(), scratch.size());
  }

  /// Queues already encoded frames (encode once, send to many).
  void send_encoded(const char* data, size_t n);

  /// Until `uncork`, frames sent are collected and not yet encrypted, so
  /// the replies to a batch of requests become one TLS write of full
  /// records instead of a record each (like TCP_CORK). `close` uncorks.
  void cork() {
    corked_ = true;
  }

  /// Encrypts what was collected since `cork` (also when nothing was).
  void uncork();

  /// Whether bytes are waiting to be sent.
  bool has_output() const;

  /// Appends the bytes to send to `out` and forgets them.
  void take_output(std::vector<char>& out);

  /// Queues TLS close_notify; later sends are dropped.
  void close();

  /// Whether the channel failed: a TLS error or a malformed frame stream.
  bool failed() const;

  /// What failed: errc::tls or errc::pin_mismatch (the secure layer; the
  /// peer cannot be told) or errc::protocol (a malformed frame stream).
  [[nodiscard]] caf::error error() const;

  /// Whether the failure is in the secure layer (no frame can reach the
  /// peer any more).
  bool transport_failed() const;

  /// Whether the peer closed (TLS close_notify).
  bool peer_closed() const;

  /// Whether frames can flow: the TLS handshake is done (plain: always).
  bool established() const;

  /// Fingerprint of the peer certificate (client side, once established).
  std::string peer_fingerprint() const;

  /// RFC 8446 exporter output bound to this connection; a plain channel has
  /// no secure layer and yields an empty binding.
  [[nodiscard]] result<bytes> channel_binding(const std::string& label,
                                              size_t len) const;

  /// Changes the limit for frames whose header has not arrived yet.
  void max_frame_size(uint32_t n) {
    decoder_.max_frame_size(n);
  }

  /// Bytes held outside OpenSSL (partial frame, pending output).
  size_t buffered() const;

private:
  frame_channel(std::optional<tls_channel> tls, uint32_t max_frame_size);

  std::optional<tls_channel> tls_;
  frame_decoder decoder_;
  std::vector<char> out_;        ///< plain mode: bytes to send
  std::vector<char> corked_out_; ///< frames sent while corked
  bool corked_ = false;
  bool closed_ = false;
};

} // namespace net
