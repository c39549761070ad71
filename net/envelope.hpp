#pragma once

// The end-to-end envelope: what one client encrypts and signs for another.
// The server routes it as opaque bytes and never parses it.
//
// Seal: a fresh ephemeral X25519 key per message; the AEAD key is
//   HKDF-SHA256(salt = eph_pub || recipient_pub, ikm = X25519(eph, recipient),
//               info = "chatroom/envelope/v1", 32 bytes),
// the AEAD's associated data is to_wire(header), and the sender signs
//   "chatroom/envelope-sig/v1" || to_wire(header) || ciphertext
// with its long-term Ed25519 key. The header is self-delimiting, so the
// signed concatenation is unambiguous.

#include <cstdint>
#include <string>
#include <tuple>
#include <unordered_map>

#include <caf/meta/type_name.hpp>

#include "net/crypto.hpp"
#include "net/error.hpp"
#include "net/identity.hpp"
#include "net/wire.hpp"

namespace net {

/// The envelope format version this code writes and accepts.
constexpr uint8_t envelope_version = 1;

/// The authenticated, unencrypted part of an envelope.
struct envelope_header {
  uint8_t version = envelope_version;
  uint8_t cipher = static_cast<uint8_t>(aead::aes256gcm); ///< net::aead
  std::string sender;
  std::string recipient;
  uint64_t counter = 0;      ///< strictly increasing per sender
  uint64_t timestamp_ms = 0; ///< sender's clock, informational
  bytes sender_ed25519;      ///< the key that signed this envelope
  bytes recipient_x25519;    ///< the key it is encrypted to
  bytes ephemeral_x25519;    ///< fresh per message
  bytes nonce;               ///< 12 bytes
  auto tie() const {
    return std::tie(version, cipher, sender, recipient, counter, timestamp_ms,
                    sender_ed25519, recipient_x25519, ephemeral_x25519, nonce);
  }
  friend bool operator==(const envelope_header& x, const envelope_header& y) {
    return x.tie() == y.tie();
  }
  friend bool operator!=(const envelope_header& x, const envelope_header& y) {
    return !(x == y);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope_header& x) {
  return f(caf::meta::type_name("envelope_header"), x.version, x.cipher,
           x.sender, x.recipient, x.counter, x.timestamp_ms, x.sender_ed25519,
           x.recipient_x25519, x.ephemeral_x25519, x.nonce);
}

/// A sealed message: header, ciphertext || tag, Ed25519 signature.
struct envelope {
  envelope_header header;
  bytes ciphertext;
  bytes signature;
  auto tie() const {
    return std::tie(header, ciphertext, signature);
  }
  friend bool operator==(const envelope& x, const envelope& y) {
    return x.tie() == y.tie();
  }
  friend bool operator!=(const envelope& x, const envelope& y) {
    return !(x == y);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope& x) {
  return f(caf::meta::type_name("envelope"), x.header, x.ciphertext,
           x.signature);
}

/// The bytes an envelope's signature covers.
bytes envelope_signed_bytes(const envelope_header& header,
                            const bytes& ciphertext);

/// Encrypts `plaintext` to `to_x25519_pub` and signs it as `me`; returns the
/// wire encoding of the envelope. errc::bad_key for an invalid recipient key.
[[nodiscard]] result<bytes>
seal_envelope(const identity& me, const std::string& my_name,
              const std::string& to_name, const bytes& to_x25519_pub,
              uint64_t counter, uint64_t timestamp_ms,
              const std::string& plaintext, aead cipher = aead::aes256gcm);

/// A verified and decrypted message.
struct opened_message {
  std::string sender;
  uint64_t counter = 0;
  uint64_t timestamp_ms = 0;
  std::string text;
};

/// Remembers the highest counter accepted per sender; only higher ones pass.
class replay_guard {
public:
  /// True if `counter` is not above the highest accepted from `sender`.
  [[nodiscard]] bool seen(const std::string& sender, uint64_t counter) const;

  /// Records `counter` as accepted from `sender` (never lowers the mark).
  void record(const std::string& sender, uint64_t counter);

private:
  std::unordered_map<std::string, uint64_t> highest_;
};

/// Verifies and decrypts an envelope addressed to `me` / `my_name`, which the
/// server says came from `claimed_sender`, whose Ed25519 key the directory
/// lists as `sender_ed25519_pub`. Errors: protocol (malformed), bad_version,
/// bad_key (sender name or key mismatch), bad_signature, decrypt (not for
/// me, or authentication failed), replay. The guard records the counter only
/// after success.
[[nodiscard]] result<opened_message>
open_envelope(const identity& me, const std::string& my_name, const bytes& raw,
              const std::string& claimed_sender,
              const bytes& sender_ed25519_pub, replay_guard& guard);

} // namespace net
