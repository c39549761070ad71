#pragma once

// Every frame type of the protocol: one plain struct per type, shared by the
// wire codec (net/wire.hpp), the actors and the tests. docs/protocol.md
// documents the byte layout that these definitions produce.

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "net/wire.hpp"

namespace net {

/// The protocol version carried in HELLO and WELCOME.
/// 2: the directory lists names only (front-coded); keys come with KEYS.
/// 3: video frames, acks and controls carry the seek segment.
/// 4: PLAY_WAITING tells a client how long its PLAY waits for a cache build.
constexpr uint16_t protocol_version = 4;

/// Names the fields of a message struct once, in wire order: `fields()`
/// (a tuple of references), equality, and the `inspect` overload that CAF's
/// serializers, its test DSL and the wire codec (net/wire.hpp) all use.
#define CHATROOM_FIELDS(T, ...)                                                \
  auto fields() {                                                              \
    return std::tie(__VA_ARGS__);                                              \
  }                                                                            \
  auto fields() const {                                                        \
    return std::tie(__VA_ARGS__);                                              \
  }                                                                            \
  friend bool operator==(const T& x, const T& y) {                             \
    return x.fields() == y.fields();                                           \
  }                                                                            \
  friend bool operator!=(const T& x, const T& y) {                             \
    return !(x == y);                                                          \
  }                                                                            \
  template <class Inspector>                                                   \
  friend typename Inspector::result_type inspect(Inspector& f, T& x) {         \
    return std::apply(                                                         \
        [&f](auto&... xs) { return f(caf::meta::type_name(#T), xs...); },     \
        x.fields());                                                           \
  }

/// CHATROOM_FIELDS for a message without fields.
#define CHATROOM_NO_FIELDS(T)                                                  \
  friend bool operator==(const T&, const T&) {                                 \
    return true;                                                               \
  }                                                                            \
  friend bool operator!=(const T&, const T&) {                                 \
    return false;                                                              \
  }                                                                            \
  template <class Inspector>                                                   \
  friend typename Inspector::result_type inspect(Inspector& f, T&) {           \
    return f(caf::meta::type_name(#T));                                        \
  }

// -- handshake and chat -------------------------------------------------------

/// C->S, first frame: who I am and proof that I hold my private keys.
struct hello {
  static constexpr uint8_t wire_type = 0x01;
  uint16_t version = protocol_version;
  std::string name;
  bytes x25519_key;  ///< 32 bytes
  bytes ed25519_key; ///< 32 bytes
  bytes proof;       ///< Ed25519 signature over hello_transcript(...)
  CHATROOM_FIELDS(hello, version, name, x25519_key, ed25519_key, proof)
};

/// S->C: the join succeeded; limits the client must respect.
struct welcome {
  static constexpr uint8_t wire_type = 0x81;
  uint16_t version = protocol_version;
  std::string name;
  uint32_t max_frame_size = 0;
  CHATROOM_FIELDS(welcome, version, name, max_frame_size)
};

/// S->C: something went wrong. `ref` names the request it answers (the id of
/// a send_message, 0 otherwise); `fatal` means the server closes afterwards.
struct error_frame {
  static constexpr uint8_t wire_type = 0x82;
  uint8_t code = 0; ///< net::errc
  uint32_t ref = 0;
  bool fatal = false;
  std::string text;
  CHATROOM_FIELDS(error_frame, code, ref, fatal, text)
};

/// One online user and the public keys the registry holds for it.
struct peer_info {
  std::string name;
  bytes x25519_key;
  bytes ed25519_key;
  CHATROOM_FIELDS(peer_info, name, x25519_key, ed25519_key)
};

/// S->C: the directory: who is online, by name (keys come with KEYS, on
/// request). A snapshot replaces the client's view; a delta first removes
/// `left`, then adds `joined`.
struct directory {
  static constexpr uint8_t wire_type = 0x83;
  bool snapshot = false;
  name_list left;
  name_list joined;
  CHATROOM_FIELDS(directory, snapshot, left, joined)
};

/// C->S: the public keys of these online users, please.
struct keys_request {
  static constexpr uint8_t wire_type = 0x05;
  std::vector<std::string> names;
  CHATROOM_FIELDS(keys_request, names)
};

/// S->C: the answer to one keys_request: the keys of those online, and the
/// requested names that are not.
struct peer_keys {
  static constexpr uint8_t wire_type = 0x86;
  std::vector<peer_info> peers;
  std::vector<std::string> unknown;
  CHATROOM_FIELDS(peer_keys, peers, unknown)
};

/// C->S: route an end-to-end envelope to one online user.
struct send_message {
  static constexpr uint8_t wire_type = 0x02;
  uint32_t id = 0; ///< chosen by the client; echoed in an error_frame
  std::string to;
  bytes envelope;
  CHATROOM_FIELDS(send_message, id, to, envelope)
};

/// S->C: an envelope from `from` (the sender's joined name, set by the server).
struct deliver {
  static constexpr uint8_t wire_type = 0x84;
  std::string from;
  bytes envelope;
  CHATROOM_FIELDS(deliver, from, envelope)
};

/// C->S: leaving; the server removes the user and closes the connection.
struct quit {
  static constexpr uint8_t wire_type = 0x03;
  CHATROOM_NO_FIELDS(quit)
};

/// C->S keep-alive; answered by pong with the same nonce.
struct ping {
  static constexpr uint8_t wire_type = 0x04;
  uint64_t nonce = 0;
  CHATROOM_FIELDS(ping, nonce)
};

struct pong {
  static constexpr uint8_t wire_type = 0x85;
  uint64_t nonce = 0;
  CHATROOM_FIELDS(pong, nonce)
};

/// The bytes a client signs in HELLO: binds version, name and keys to this
/// TLS connection (via the TLS exporter), so a proof cannot be replayed.
std::vector<char> hello_transcript(uint16_t version, const std::string& name,
                                   const bytes& x25519_key,
                                   const bytes& ed25519_key,
                                   const bytes& channel_binding);

/// The TLS exporter label used for `channel_binding`.
constexpr const char* channel_binding_label = "EXPORTER-chatroom-hello";

} // namespace net
