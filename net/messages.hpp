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
constexpr uint16_t protocol_version = 1;

#define CHATROOM_EQ(T)                                                         \
  friend bool operator==(const T& x, const T& y) {                             \
    return x.tie() == y.tie();                                                 \
  }                                                                            \
  friend bool operator!=(const T& x, const T& y) {                             \
    return !(x == y);                                                          \
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
  auto tie() const {
    return std::tie(version, name, x25519_key, ed25519_key, proof);
  }
  CHATROOM_EQ(hello)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello& x) {
  return f(caf::meta::type_name("hello"), x.version, x.name, x.x25519_key,
           x.ed25519_key, x.proof);
}

/// S->C: the join succeeded; limits the client must respect.
struct welcome {
  static constexpr uint8_t wire_type = 0x81;
  uint16_t version = protocol_version;
  std::string name;
  uint32_t max_frame_size = 0;
  auto tie() const {
    return std::tie(version, name, max_frame_size);
  }
  CHATROOM_EQ(welcome)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, welcome& x) {
  return f(caf::meta::type_name("welcome"), x.version, x.name,
           x.max_frame_size);
}

/// S->C: something went wrong. `ref` names the request it answers (the id of
/// a send_message, 0 otherwise); `fatal` means the server closes afterwards.
struct error_frame {
  static constexpr uint8_t wire_type = 0x82;
  uint8_t code = 0; ///< net::errc
  uint32_t ref = 0;
  bool fatal = false;
  std::string text;
  auto tie() const {
    return std::tie(code, ref, fatal, text);
  }
  CHATROOM_EQ(error_frame)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, error_frame& x) {
  return f(caf::meta::type_name("error_frame"), x.code, x.ref, x.fatal, x.text);
}

/// One online user and the public keys the registry holds for it.
struct peer_info {
  std::string name;
  bytes x25519_key;
  bytes ed25519_key;
  auto tie() const {
    return std::tie(name, x25519_key, ed25519_key);
  }
  CHATROOM_EQ(peer_info)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_info& x) {
  return f(caf::meta::type_name("peer_info"), x.name, x.x25519_key,
           x.ed25519_key);
}

/// S->C: the directory. A snapshot replaces the client's view; a delta first
/// removes `left`, then adds (or replaces) `joined`.
struct directory {
  static constexpr uint8_t wire_type = 0x83;
  bool snapshot = false;
  std::vector<std::string> left;
  std::vector<peer_info> joined;
  auto tie() const {
    return std::tie(snapshot, left, joined);
  }
  CHATROOM_EQ(directory)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, directory& x) {
  return f(caf::meta::type_name("directory"), x.snapshot, x.left, x.joined);
}

/// C->S: route an end-to-end envelope to one online user.
struct send_message {
  static constexpr uint8_t wire_type = 0x02;
  uint32_t id = 0; ///< chosen by the client; echoed in an error_frame
  std::string to;
  bytes envelope;
  auto tie() const {
    return std::tie(id, to, envelope);
  }
  CHATROOM_EQ(send_message)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, send_message& x) {
  return f(caf::meta::type_name("send_message"), x.id, x.to, x.envelope);
}

/// S->C: an envelope from `from` (the sender's joined name, set by the server).
struct deliver {
  static constexpr uint8_t wire_type = 0x84;
  std::string from;
  bytes envelope;
  auto tie() const {
    return std::tie(from, envelope);
  }
  CHATROOM_EQ(deliver)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deliver& x) {
  return f(caf::meta::type_name("deliver"), x.from, x.envelope);
}

/// C->S: leaving; the server removes the user and closes the connection.
struct quit {
  static constexpr uint8_t wire_type = 0x03;
  auto tie() const {
    return std::tie();
  }
  CHATROOM_EQ(quit)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quit&) {
  return f(caf::meta::type_name("quit"));
}

/// C->S keep-alive; answered by pong with the same nonce.
struct ping {
  static constexpr uint8_t wire_type = 0x04;
  uint64_t nonce = 0;
  auto tie() const {
    return std::tie(nonce);
  }
  CHATROOM_EQ(ping)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping& x) {
  return f(caf::meta::type_name("ping"), x.nonce);
}

struct pong {
  static constexpr uint8_t wire_type = 0x85;
  uint64_t nonce = 0;
  auto tie() const {
    return std::tie(nonce);
  }
  CHATROOM_EQ(pong)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pong& x) {
  return f(caf::meta::type_name("pong"), x.nonce);
}

/// The bytes a client signs in HELLO: binds version, name and keys to this
/// TLS connection (via the TLS exporter), so a proof cannot be replayed.
std::vector<char> hello_transcript(uint16_t version, const std::string& name,
                                   const bytes& x25519_key,
                                   const bytes& ed25519_key,
                                   const bytes& channel_binding);

/// The TLS exporter label used for `channel_binding`.
constexpr const char* channel_binding_label = "EXPORTER-chatroom-hello";

} // namespace net
