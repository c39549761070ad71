#include "net/identity.hpp"

#include <algorithm>
#include <memory>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "net/crypto.hpp"
#include "net/secure_file.hpp"

namespace net {

namespace {

struct bio_deleter {
  void operator()(BIO* p) const {
    BIO_free(p);
  }
};
struct pkey_deleter {
  void operator()(EVP_PKEY* p) const {
    EVP_PKEY_free(p);
  }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

// An identity file holds two short PEM blocks; anything bigger is not ours.
constexpr size_t max_identity_file = 16 * 1024;

// Wipes a string that held private key material.
struct wipe_guard {
  std::string& s;
  ~wipe_guard() {
    if (!s.empty())
      OPENSSL_cleanse(&s[0], s.size());
  }
};

// Never prompt for a pass phrase: our files are not encrypted.
int no_password(char*, int, int, void*) {
  return 0;
}

bool append_pem(BIO* out, int type, const bytes& priv) {
  pkey_ptr key{
      EVP_PKEY_new_raw_private_key(type, nullptr, priv.data(), priv.size())};
  return key && PEM_write_bio_PrivateKey(out, key.get(), nullptr, nullptr, 0,
                                         nullptr, nullptr) == 1;
}

bool raw_private(EVP_PKEY* key, bytes& out) {
  size_t len = 32;
  out.assign(len, 0);
  return EVP_PKEY_get_raw_private_key(key, out.data(), &len) == 1 && len == 32;
}

} // namespace

identity identity::generate() {
  auto x = x25519_generate();
  auto e = ed25519_generate();
  return {std::move(x.priv), std::move(x.pub), std::move(e.priv),
          std::move(e.pub)};
}

result<std::string> identity_to_pem(const identity& id) {
  bio_ptr out{BIO_new(BIO_s_mem())};
  if (!out || !append_pem(out.get(), EVP_PKEY_X25519, id.x25519_priv) ||
      !append_pem(out.get(), EVP_PKEY_ED25519, id.ed25519_priv)) {
    ERR_clear_error();
    return make_error(errc::crypto, "cannot encode identity keys as PEM");
  }
  char* data = nullptr;
  auto len = BIO_get_mem_data(out.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

result<identity> identity_from_pem(const std::string& pem) {
  bio_ptr in{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!in)
    return make_error(errc::crypto, "BIO_new_mem_buf failed");
  identity id;
  for (int i = 0; i < 3; ++i) {
    pkey_ptr key{
        PEM_read_bio_PrivateKey(in.get(), nullptr, no_password, nullptr)};
    ERR_clear_error();
    if (!key) {
      if (i < 2)
        return make_error(errc::bad_key, "expected an X25519 and an Ed25519 "
                                         "private key in PEM");
      break;
    }
    if (i == 2)
      return make_error(errc::bad_key, "more than two keys in PEM");
    auto type = EVP_PKEY_get_id(key.get());
    bytes* slot = nullptr;
    if (type == EVP_PKEY_X25519)
      slot = &id.x25519_priv;
    else if (type == EVP_PKEY_ED25519)
      slot = &id.ed25519_priv;
    if (slot == nullptr || !slot->empty())
      return make_error(errc::bad_key, "expected one X25519 and one Ed25519 "
                                       "private key in PEM");
    if (!raw_private(key.get(), *slot))
      return make_error(errc::bad_key, "cannot extract a raw private key");
  }
  auto x = x25519_public(id.x25519_priv);
  auto e = ed25519_public(id.ed25519_priv);
  if (!x || !e)
    return make_error(errc::bad_key, "invalid private key in PEM");
  id.x25519_pub = std::move(*x);
  id.ed25519_pub = std::move(*e);
  return id;
}

result<identity> load_or_create_identity(const std::string& path,
                                         bool* created) {
  if (created != nullptr)
    *created = false;
  // Two rounds: if another process creates the file between our failed read
  // and our create, we load theirs.
  for (int round = 0; round < 2; ++round) {
    auto text = read_private_file(path, max_identity_file, 077);
    if (text) {
      wipe_guard wipe{*text};
      auto id = identity_from_pem(*text);
      if (!id)
        return make_error(errc::bad_key,
                          "identity file " + path +
                              " is corrupt: " + describe(id.error()));
      return id;
    }
    if (code_of(text.error()) != errc::not_found)
      return std::move(text.error());
    auto id = identity::generate();
    auto pem = identity_to_pem(id);
    if (!pem)
      return std::move(pem.error());
    wipe_guard wipe{*pem};
    bool existed = false;
    auto err = write_private_file(path, *pem, false, &existed);
    if (!err) {
      if (created != nullptr)
        *created = true;
      return id;
    }
    if (!existed)
      return err;
  }
  return make_error(errc::io, "cannot load or create " + path);
}

result<hello> signed_hello(const identity& id, const std::string& name,
                           const bytes& channel_binding) {
  auto transcript = hello_transcript(protocol_version, name, id.x25519_pub,
                                     id.ed25519_pub, channel_binding);
  auto proof =
      ed25519_sign(id.ed25519_priv, transcript.data(), transcript.size());
  if (!proof)
    return std::move(proof.error());
  return hello{protocol_version, name, id.x25519_pub, id.ed25519_pub,
               std::move(*proof)};
}

std::string key_fingerprint(const bytes& x25519_pub, const bytes& ed25519_pub) {
  bytes in = ed25519_pub;
  in.insert(in.end(), x25519_pub.begin(), x25519_pub.end());
  auto digest = sha256(in.data(), in.size());
  auto hex = to_hex(bytes(digest.begin(), digest.begin() + 16));
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 4) {
    if (i > 0)
      out += ' ';
    out.append(hex, i, 4);
  }
  return out;
}

std::string numeric_fingerprint(const std::string& name,
                                const public_identity& p) {
  // Signal's NumericFingerprintGenerator (version 0, 5200 iterations), with
  // both of our public keys, each length-prefixed, as its "public key".
  constexpr int iterations = 5200;
  std::vector<char> key;
  wire_writer w{key};
  w(p.ed25519_pub, p.x25519_pub);
  std::vector<unsigned char> hash{0, 0}; // u16 version 0
  hash.insert(hash.end(), key.begin(), key.end());
  hash.insert(hash.end(), name.begin(), name.end());
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md{
      EVP_MD_fetch(nullptr, "SHA512", nullptr), &EVP_MD_free};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free};
  if (!md || !ctx)
    return {}; // out of memory or no default provider: nothing to show
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (int i = 0; i < iterations; ++i) {
    if (EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), hash.data(), hash.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), key.data(), key.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1 || len != 64)
      return {};
    hash.assign(digest, digest + len);
  }
  std::string out;
  for (size_t chunk = 0; chunk < 6; ++chunk) {
    uint64_t v = 0;
    for (size_t i = 0; i < 5; ++i)
      v = (v << 8) | hash[chunk * 5 + i];
    auto digits = std::to_string(v % 100000);
    out.append(5 - digits.size(), '0');
    out += digits;
  }
  return out;
}

std::string safety_number(const std::string& name_a, const public_identity& a,
                          const std::string& name_b, const public_identity& b) {
  auto fa = numeric_fingerprint(name_a, a);
  auto fb = numeric_fingerprint(name_b, b);
  if (fa.empty() || fb.empty())
    return {};
  // Sorting makes the result the same on both sides.
  auto digits = fa <= fb ? fa + fb : fb + fa;
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 5) {
    if (i > 0)
      out += ' ';
    out.append(digits, i, 5);
  }
  return out;
}

} // namespace net
