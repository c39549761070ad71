#pragma once

// A user's long-term identity: an X25519 key (others encrypt to it) and an
// Ed25519 key (it signs what the user sends), kept in one owner-only file,
// plus the short strings people compare to verify each other's keys.

#include <string>

#include "net/error.hpp"
#include "net/messages.hpp"
#include "net/wire.hpp"

namespace net {

/// A user's long-term key pairs (private parts are raw 32-byte keys).
struct identity {
  bytes x25519_priv;
  bytes x25519_pub;
  bytes ed25519_priv;
  bytes ed25519_pub;

  /// Fresh random keys.
  static identity generate();
};

/// What others know about a user: its two public keys.
struct public_identity {
  bytes x25519_pub;
  bytes ed25519_pub;
};

/// Loads the identity at `path`, or creates it (0600, parent dirs 0700) when
/// missing; `*created` tells which. Refuses files that group or others can
/// access, and reports corrupt files as errors.
[[nodiscard]] result<identity> load_or_create_identity(const std::string& path,
                                                       bool* created = nullptr);

/// The two private keys as concatenated PKCS#8 PEM blocks (X25519 first).
[[nodiscard]] result<std::string> identity_to_pem(const identity& id);

/// Parses what `identity_to_pem` writes; errc::bad_key on anything else.
[[nodiscard]] result<identity> identity_from_pem(const std::string& pem);

/// HELLO for `id` joining as `name`, its proof signed over this
/// connection's `channel_binding` (the TLS exporter with
/// channel_binding_label, 32 bytes), so it cannot be replayed elsewhere.
[[nodiscard]] result<hello> signed_hello(const identity& id,
                                         const std::string& name,
                                         const bytes& channel_binding);

/// First 16 bytes of SHA-256(ed25519 || x25519) as "abcd 0123 ..." (8 groups).
std::string key_fingerprint(const bytes& x25519_pub, const bytes& ed25519_pub);

/// One party's half of a safety number: 30 digits (no spaces) from 5200
/// iterations of SHA-512 over its keys and name, as Signal's
/// NumericFingerprintGenerator (docs/security.md has the construction).
std::string numeric_fingerprint(const std::string& name,
                                const public_identity& p);

/// 60 digits in 12 groups of 5 that both users compute identically (argument
/// order does not matter) and compare out of band, e.g. read aloud: the two
/// parties' numeric fingerprints, the smaller first.
std::string safety_number(const std::string& name_a, const public_identity& a,
                          const std::string& name_b, const public_identity& b);

} // namespace net
