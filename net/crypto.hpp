#pragma once

// Thin wrappers over OpenSSL 3 EVP: every primitive the end-to-end layer
// needs, with length checks up front so that untrusted input yields an error
// rather than undefined behaviour. No primitive is implemented here.

#include <cstddef>
#include <cstdint>
#include <string>

#include "net/error.hpp"
#include "net/wire.hpp"

namespace net {

/// Sizes of the keys, nonces and tags used throughout.
constexpr size_t x25519_key_size = 32;
constexpr size_t ed25519_key_size = 32;
constexpr size_t ed25519_signature_size = 64;
constexpr size_t aead_key_size = 32;
constexpr size_t aead_nonce_size = 12;
constexpr size_t aead_tag_size = 16;

/// `n` bytes from the OpenSSL CSPRNG; aborts if the CSPRNG is unavailable.
bytes random_bytes(size_t n);

/// Constant-time equality of two byte strings (lengths are not secret).
[[nodiscard]] bool ct_equal(const bytes& x, const bytes& y);

/// SHA-256 digest of `n` bytes at `data`.
bytes sha256(const void* data, size_t n);

/// SHA-512 digest of `n` bytes at `data`.
bytes sha512(const void* data, size_t n);

/// Lowercase hex encoding.
std::string to_hex(const bytes& x);

/// Decodes hex (either case); errc::protocol on odd length or a non-hex digit.
[[nodiscard]] result<bytes> from_hex(const std::string& x);

/// HKDF-SHA256 (RFC 5869); `len` must be in 1 .. 255 * 32.
[[nodiscard]] result<bytes> hkdf_sha256(const bytes& salt, const bytes& ikm,
                                        const bytes& info, size_t len);

// -- X25519 -------------------------------------------------------------------

/// An X25519 key pair: 32-byte private scalar and 32-byte public u-coordinate.
struct x25519_keypair {
  bytes priv;
  bytes pub;
};

/// A fresh random X25519 key pair.
x25519_keypair x25519_generate();

/// The public key of a 32-byte X25519 private key.
[[nodiscard]] result<bytes> x25519_public(const bytes& priv);

/// X25519(priv, peer_pub); errc::bad_key on wrong lengths or when the shared
/// secret is all zero (the peer sent a low-order point, RFC 7748 §6.1).
[[nodiscard]] result<bytes> x25519_shared(const bytes& priv,
                                          const bytes& peer_pub);

/// True if `pub` has 32 bytes and is not a low-order point.
[[nodiscard]] bool is_valid_x25519_public(const bytes& pub);

/// True for a 32-byte Ed25519 public key that is not a point of small
/// order (in any encoding). OpenSSL 3 verifies signatures under such keys,
/// e.g. key 01 00..00 accepts a fixed signature for every message, so a
/// "proof of possession" with one proves nothing.
[[nodiscard]] bool is_valid_ed25519_public(const bytes& pub);

// -- Ed25519 ------------------------------------------------------------------

/// An Ed25519 key pair: `priv` is the 32-byte seed of RFC 8032.
struct ed25519_keypair {
  bytes priv;
  bytes pub;
};

/// A fresh random Ed25519 key pair.
ed25519_keypair ed25519_generate();

/// The public key of a 32-byte Ed25519 seed.
[[nodiscard]] result<bytes> ed25519_public(const bytes& priv);

/// The 64-byte Ed25519 signature of `n` bytes at `msg`.
[[nodiscard]] result<bytes> ed25519_sign(const bytes& priv, const void* msg,
                                         size_t n);

/// True only for a valid signature; false on any malformed input.
[[nodiscard]] bool ed25519_verify(const bytes& pub, const void* msg, size_t n,
                                  const bytes& sig);

// -- AEAD ---------------------------------------------------------------------

/// The AEAD ciphers an envelope may use; the value is on the wire.
enum class aead : uint8_t {
  aes256gcm = 1,
  chacha20poly1305 = 2,
};

/// True if `x` names a supported cipher.
[[nodiscard]] bool is_valid_aead(uint8_t x);

/// Encrypts `n` bytes at `pt`; returns ciphertext || 16-byte tag.
[[nodiscard]] result<bytes> aead_seal(aead cipher, const bytes& key,
                                      const bytes& nonce, const bytes& aad,
                                      const void* pt, size_t n);

/// Authenticates and decrypts ciphertext || tag; errc::decrypt on failure.
[[nodiscard]] result<bytes> aead_open(aead cipher, const bytes& key,
                                      const bytes& nonce, const bytes& aad,
                                      const bytes& ct_and_tag);

} // namespace net
