#include "net/crypto.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace net {

namespace {

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const {
    EVP_PKEY_free(p);
  }
};
struct pkey_ctx_deleter {
  void operator()(EVP_PKEY_CTX* p) const {
    EVP_PKEY_CTX_free(p);
  }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* p) const {
    EVP_MD_CTX_free(p);
  }
};
struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* p) const {
    EVP_CIPHER_CTX_free(p);
  }
};
struct kdf_deleter {
  void operator()(EVP_KDF* p) const {
    EVP_KDF_free(p);
  }
};
struct kdf_ctx_deleter {
  void operator()(EVP_KDF_CTX* p) const {
    EVP_KDF_CTX_free(p);
  }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_deleter>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;
using kdf_ptr = std::unique_ptr<EVP_KDF, kdf_deleter>;
using kdf_ctx_ptr = std::unique_ptr<EVP_KDF_CTX, kdf_ctx_deleter>;

// OpenSSL rejects NULL buffers in places even when the length is 0.
const unsigned char* nonnull(const void* p) {
  static const unsigned char dummy = 0;
  return p != nullptr ? static_cast<const unsigned char*>(p) : &dummy;
}

// The queued OpenSSL errors as text (then cleared), for error contexts.
std::string openssl_reason(const char* what) {
  std::string text = what;
  unsigned long e = 0;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof(buf));
    text += ": ";
    text += buf;
  }
  return text;
}

bytes raw_public(EVP_PKEY* key) {
  size_t len = 32;
  bytes out(len);
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 || len != 32)
    return {};
  return out;
}

// A fresh key pair of `type` (EVP_PKEY_X25519 or EVP_PKEY_ED25519).
std::pair<bytes, bytes> generate(int type) {
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_id(type, nullptr)};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    // Only an OpenSSL malfunction gets here; keys must never be weak.
    std::fprintf(stderr, "fatal: %s\n",
                 openssl_reason("key generation failed").c_str());
    std::abort();
  }
  pkey_ptr key{raw};
  size_t len = 32;
  bytes priv(len);
  if (EVP_PKEY_get_raw_private_key(key.get(), priv.data(), &len) != 1 ||
      len != 32)
    std::abort();
  auto pub = raw_public(key.get());
  if (pub.empty())
    std::abort();
  return {std::move(priv), std::move(pub)};
}

result<pkey_ptr> private_key(int type, const bytes& priv, const char* name) {
  if (priv.size() != 32)
    return make_error(errc::bad_key,
                      std::string{name} + " private key must be 32 bytes");
  pkey_ptr key{
      EVP_PKEY_new_raw_private_key(type, nullptr, priv.data(), priv.size())};
  if (!key)
    return make_error(errc::bad_key, openssl_reason(name));
  return key;
}

const EVP_CIPHER* cipher_of(aead cipher) {
  switch (cipher) {
  case aead::aes256gcm:
    return EVP_aes_256_gcm();
  case aead::chacha20poly1305:
    return EVP_chacha20_poly1305();
  }
  return nullptr;
}

caf::error check_aead_params(aead cipher, const bytes& key, const bytes& nonce,
                             size_t n) {
  if (cipher_of(cipher) == nullptr)
    return make_error(errc::crypto, "unknown AEAD cipher");
  if (key.size() != aead_key_size)
    return make_error(errc::crypto, "AEAD key must be 32 bytes");
  if (nonce.size() != aead_nonce_size)
    return make_error(errc::crypto, "AEAD nonce must be 12 bytes");
  if (n > static_cast<size_t>(INT_MAX) - aead_tag_size)
    return make_error(errc::crypto, "AEAD input too large");
  return caf::none;
}

// Sets up `ctx` for encryption (enc = 1) or decryption (enc = 0) and feeds
// the associated data.
bool aead_init(EVP_CIPHER_CTX* ctx, aead cipher, int enc, const bytes& key,
               const bytes& nonce, const bytes& aad) {
  int len = 0;
  return EVP_CipherInit_ex(ctx, cipher_of(cipher), nullptr, nullptr, nullptr,
                           enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
                             static_cast<int>(nonce.size()), nullptr) == 1 &&
         EVP_CipherInit_ex(ctx, nullptr, nullptr, key.data(), nonce.data(),
                           enc) == 1 &&
         (aad.empty() || EVP_CipherUpdate(ctx, nullptr, &len, aad.data(),
                                          static_cast<int>(aad.size())) == 1);
}

} // namespace

bytes random_bytes(size_t n) {
  bytes out(n);
  // RAND_bytes takes an int length: fill large buffers in chunks.
  for (size_t pos = 0; pos < n;) {
    auto chunk = std::min(n - pos, size_t{1} << 30);
    if (RAND_bytes(out.data() + pos, static_cast<int>(chunk)) != 1) {
      // Without a working CSPRNG no key or nonce is safe: fail closed.
      std::fprintf(stderr, "fatal: %s\n",
                   openssl_reason("RAND_bytes failed").c_str());
      std::abort();
    }
    pos += chunk;
  }
  return out;
}

bool ct_equal(const bytes& x, const bytes& y) {
  return x.size() == y.size() &&
         CRYPTO_memcmp(nonnull(x.data()), nonnull(y.data()), x.size()) == 0;
}

namespace {

bytes digest(const EVP_MD* md, const void* data, size_t n) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(nonnull(data), n, out.data(), &len, md, nullptr) != 1)
    std::abort(); // hashing memory cannot fail short of a broken OpenSSL
  out.resize(len);
  return out;
}

} // namespace

bytes sha256(const void* data, size_t n) {
  return digest(EVP_sha256(), data, n);
}

bytes sha512(const void* data, size_t n) {
  return digest(EVP_sha512(), data, n);
}

std::string to_hex(const bytes& x) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(x.size() * 2);
  for (auto b : x) {
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

result<bytes> from_hex(const std::string& x) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  if (x.size() % 2 != 0)
    return make_error(errc::protocol, "hex string of odd length");
  bytes out;
  out.reserve(x.size() / 2);
  for (size_t i = 0; i < x.size(); i += 2) {
    auto hi = nibble(x[i]);
    auto lo = nibble(x[i + 1]);
    if (hi < 0 || lo < 0)
      return make_error(errc::protocol, "invalid hex digit");
    out.push_back(static_cast<uint8_t>((hi << 4) | lo));
  }
  return out;
}

result<bytes> hkdf_sha256(const bytes& salt, const bytes& ikm,
                          const bytes& info, size_t len) {
  if (len == 0 || len > 255 * 32)
    return make_error(errc::crypto, "HKDF-SHA256 output must be 1..8160 "
                                    "bytes");
  kdf_ptr kdf{EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr)};
  if (!kdf)
    return make_error(errc::crypto, openssl_reason("EVP_KDF_fetch(HKDF)"));
  kdf_ctx_ptr ctx{EVP_KDF_CTX_new(kdf.get())};
  if (!ctx)
    return make_error(errc::crypto, openssl_reason("EVP_KDF_CTX_new"));
  auto octets = [](const char* key, const bytes& x) {
    // OSSL_PARAM takes non-const pointers but only reads through them here.
    return OSSL_PARAM_construct_octet_string(
        key, const_cast<unsigned char*>(nonnull(x.data())), x.size());
  };
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      octets(OSSL_KDF_PARAM_KEY, ikm),
      octets(OSSL_KDF_PARAM_SALT, salt),
      octets(OSSL_KDF_PARAM_INFO, info),
      OSSL_PARAM_construct_end(),
  };
  bytes out(len);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1)
    return make_error(errc::crypto, openssl_reason("HKDF-SHA256 failed"));
  return out;
}

// -- X25519 -------------------------------------------------------------------

x25519_keypair x25519_generate() {
  auto [priv, pub] = generate(EVP_PKEY_X25519);
  return {std::move(priv), std::move(pub)};
}

result<bytes> x25519_public(const bytes& priv) {
  auto key = private_key(EVP_PKEY_X25519, priv, "X25519");
  if (!key)
    return std::move(key.error());
  auto pub = raw_public(key->get());
  if (pub.empty())
    return make_error(errc::crypto, openssl_reason("X25519 public key"));
  return pub;
}

result<bytes> x25519_shared(const bytes& priv, const bytes& peer_pub) {
  if (peer_pub.size() != x25519_key_size)
    return make_error(errc::bad_key, "X25519 public key must be 32 bytes");
  auto key = private_key(EVP_PKEY_X25519, priv, "X25519");
  if (!key)
    return std::move(key.error());
  pkey_ptr peer{EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr,
                                            peer_pub.data(), peer_pub.size())};
  if (!peer)
    return make_error(errc::bad_key, openssl_reason("X25519 public key"));
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new(key->get(), nullptr)};
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1)
    return make_error(errc::crypto, openssl_reason("X25519 setup"));
  size_t len = x25519_key_size;
  bytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) {
    // OpenSSL itself refuses an all-zero result; map that to bad_key.
    ERR_clear_error();
    return make_error(errc::bad_key, "X25519 peer key is a low-order point");
  }
  if (len != x25519_key_size || ct_equal(out, bytes(x25519_key_size, 0)))
    return make_error(errc::bad_key, "X25519 peer key is a low-order point");
  return out;
}

bool is_valid_x25519_public(const bytes& pub) {
  // Every clamped scalar is a multiple of the cofactor 8, so any low-order
  // point (canonical or not) maps to zero under any private key.
  static const auto probe = x25519_generate().priv;
  return pub.size() == x25519_key_size &&
         static_cast<bool>(x25519_shared(probe, pub));
}

// -- Ed25519 ------------------------------------------------------------------

ed25519_keypair ed25519_generate() {
  auto [priv, pub] = generate(EVP_PKEY_ED25519);
  return {std::move(priv), std::move(pub)};
}

result<bytes> ed25519_public(const bytes& priv) {
  auto key = private_key(EVP_PKEY_ED25519, priv, "Ed25519");
  if (!key)
    return std::move(key.error());
  auto pub = raw_public(key->get());
  if (pub.empty())
    return make_error(errc::crypto, openssl_reason("Ed25519 public key"));
  return pub;
}

result<bytes> ed25519_sign(const bytes& priv, const void* msg, size_t n) {
  auto key = private_key(EVP_PKEY_ED25519, priv, "Ed25519");
  if (!key)
    return std::move(key.error());
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  size_t len = ed25519_signature_size;
  bytes sig(len);
  // Ed25519 hashes internally: the digest argument must be NULL.
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) !=
          1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, nonnull(msg), n) != 1 ||
      len != ed25519_signature_size)
    return make_error(errc::crypto, openssl_reason("Ed25519 sign"));
  return sig;
}

bool is_valid_ed25519_public(const bytes& pub) {
  // The y-coordinates of the 8-torsion points (0, 1, the two of order 8,
  // p-1) and the non-canonical encodings p and p+1; the x sign bit (top bit
  // of the last byte) is ignored. Same list as libsodium's; derived from
  // the curve equation (docs/security.md).
  static constexpr uint8_t small_order[7][32] = {
      {0x00},
      {0x01},
      {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
       0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
       0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
      {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
       0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
       0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
      {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
      {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
      {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
  };
  if (pub.size() != ed25519_key_size)
    return false;
  for (auto& bad : small_order) {
    uint8_t diff = (pub[31] & 0x7f) ^ bad[31];
    for (size_t i = 0; i < 31; ++i)
      diff |= pub[i] ^ bad[i];
    if (diff == 0)
      return false;
  }
  return true;
}

bool ed25519_verify(const bytes& pub, const void* msg, size_t n,
                    const bytes& sig) {
  if (!is_valid_ed25519_public(pub) || sig.size() != ed25519_signature_size)
    return false;
  pkey_ptr key{EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           pub.data(), pub.size())};
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  auto ok =
      key && ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) ==
          1 &&
      EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), nonnull(msg), n) == 1;
  ERR_clear_error(); // a bad signature is an answer, not an error to keep
  return ok;
}

// -- AEAD ---------------------------------------------------------------------

bool is_valid_aead(uint8_t x) {
  return x == static_cast<uint8_t>(aead::aes256gcm) ||
         x == static_cast<uint8_t>(aead::chacha20poly1305);
}

result<bytes> aead_seal(aead cipher, const bytes& key, const bytes& nonce,
                        const bytes& aad, const void* pt, size_t n) {
  if (auto err = check_aead_params(cipher, key, nonce, n))
    return err;
  if (aad.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::crypto, "AEAD associated data too large");
  cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  bytes out(n + aead_tag_size);
  int len = 0;
  int fin = 0;
  if (!ctx || !aead_init(ctx.get(), cipher, 1, key, nonce, aad) ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, nonnull(pt),
                        static_cast<int>(n)) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1 ||
      static_cast<size_t>(len) + static_cast<size_t>(fin) != n ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG,
                          static_cast<int>(aead_tag_size), out.data() + n) != 1)
    return make_error(errc::crypto, openssl_reason("AEAD seal"));
  return out;
}

result<bytes> aead_open(aead cipher, const bytes& key, const bytes& nonce,
                        const bytes& aad, const bytes& ct_and_tag) {
  if (ct_and_tag.size() < aead_tag_size)
    return make_error(errc::decrypt, "ciphertext shorter than its tag");
  auto n = ct_and_tag.size() - aead_tag_size;
  if (auto err = check_aead_params(cipher, key, nonce, n))
    return err;
  if (aad.size() > static_cast<size_t>(INT_MAX))
    return make_error(errc::crypto, "AEAD associated data too large");
  cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  if (!ctx || !aead_init(ctx.get(), cipher, 0, key, nonce, aad))
    return make_error(errc::crypto, openssl_reason("AEAD open setup"));
  // One spare byte keeps data() valid when the plaintext is empty.
  bytes out(n + 1);
  int len = 0;
  int fin = 0;
  bytes tag(ct_and_tag.end() - aead_tag_size, ct_and_tag.end());
  auto ok =
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, nonnull(ct_and_tag.data()),
                        static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG,
                          static_cast<int>(aead_tag_size), tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) == 1;
  ERR_clear_error();
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return make_error(errc::decrypt, "authenticated decryption failed");
  }
  out.resize(n);
  return out;
}

} // namespace net
