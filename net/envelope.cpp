#include "net/envelope.hpp"

#include <openssl/crypto.h>

namespace net {

namespace {

constexpr char kdf_info[] = "chatroom/envelope/v1";
constexpr char sig_context[] = "chatroom/envelope-sig/v1";

template <class T>
bytes wire_bytes(const T& x) {
  auto buf = to_wire(x);
  return bytes(buf.begin(), buf.end());
}

// Zeroes a buffer of secret bytes when it goes out of scope.
struct wipe_guard {
  bytes& b;
  ~wipe_guard() {
    if (!b.empty())
      OPENSSL_cleanse(b.data(), b.size());
  }
};

// The per-message AEAD key from the ephemeral/static X25519 exchange.
result<bytes> message_key(const bytes& shared, const bytes& eph_pub,
                          const bytes& recipient_pub) {
  bytes salt = eph_pub;
  salt.insert(salt.end(), recipient_pub.begin(), recipient_pub.end());
  bytes info(kdf_info, kdf_info + sizeof(kdf_info) - 1);
  return hkdf_sha256(salt, shared, info, aead_key_size);
}

} // namespace

bytes envelope_signed_bytes(const envelope_header& header,
                            const bytes& ciphertext) {
  bytes out(sig_context, sig_context + sizeof(sig_context) - 1);
  auto h = to_wire(header);
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), ciphertext.begin(), ciphertext.end());
  return out;
}

result<bytes> seal_envelope(const identity& me, const std::string& my_name,
                            const std::string& to_name,
                            const bytes& to_x25519_pub, uint64_t counter,
                            uint64_t timestamp_ms, const std::string& plaintext,
                            aead cipher) {
  if (!is_valid_aead(static_cast<uint8_t>(cipher)))
    return make_error(errc::crypto, "unknown AEAD cipher");
  auto eph = x25519_generate();
  wipe_guard wipe_eph{eph.priv};
  auto shared = x25519_shared(eph.priv, to_x25519_pub);
  if (!shared)
    return make_error(errc::bad_key, "invalid recipient key for " + to_name +
                                         ": " + describe(shared.error()));
  wipe_guard wipe_shared{*shared};
  auto key = message_key(*shared, eph.pub, to_x25519_pub);
  if (!key)
    return std::move(key.error());
  wipe_guard wipe_key{*key};
  envelope env;
  auto& h = env.header;
  h.version = envelope_version;
  h.cipher = static_cast<uint8_t>(cipher);
  h.sender = my_name;
  h.recipient = to_name;
  h.counter = counter;
  h.timestamp_ms = timestamp_ms;
  h.sender_ed25519 = me.ed25519_pub;
  h.recipient_x25519 = to_x25519_pub;
  h.ephemeral_x25519 = eph.pub;
  h.nonce = random_bytes(aead_nonce_size);
  auto ct = aead_seal(cipher, *key, h.nonce, wire_bytes(h), plaintext.data(),
                      plaintext.size());
  if (!ct)
    return std::move(ct.error());
  env.ciphertext = std::move(*ct);
  auto signed_bytes = envelope_signed_bytes(h, env.ciphertext);
  auto sig =
      ed25519_sign(me.ed25519_priv, signed_bytes.data(), signed_bytes.size());
  if (!sig)
    return std::move(sig.error());
  env.signature = std::move(*sig);
  return wire_bytes(env);
}

bool replay_guard::seen(const std::string& sender, uint64_t counter) const {
  auto i = highest_.find(sender);
  return i != highest_.end() && counter <= i->second;
}

void replay_guard::record(const std::string& sender, uint64_t counter) {
  auto [i, added] = highest_.emplace(sender, counter);
  if (!added && counter > i->second)
    i->second = counter;
}

result<opened_message>
open_envelope(const identity& me, const std::string& my_name, const bytes& raw,
              const std::string& claimed_sender,
              const bytes& sender_ed25519_pub, replay_guard& guard) {
  envelope env;
  if (!from_wire(reinterpret_cast<const char*>(raw.data()), raw.size(), env))
    return make_error(errc::protocol, "malformed envelope");
  auto& h = env.header;
  if (h.version != envelope_version)
    return make_error(errc::bad_version,
                      "unsupported envelope version " +
                          std::to_string(static_cast<int>(h.version)));
  if (!is_valid_aead(h.cipher))
    return make_error(errc::protocol, "unknown envelope cipher");
  // Authenticate the sender before looking at anything else.
  if (h.sender != claimed_sender)
    return make_error(errc::bad_key, "envelope sender '" + h.sender +
                                         "' differs from '" + claimed_sender +
                                         "'");
  if (!ct_equal(h.sender_ed25519, sender_ed25519_pub))
    return make_error(errc::bad_key, "key changed: envelope from " +
                                         claimed_sender +
                                         " is signed by another key than the "
                                         "directory lists");
  auto signed_bytes = envelope_signed_bytes(h, env.ciphertext);
  if (!ed25519_verify(sender_ed25519_pub, signed_bytes.data(),
                      signed_bytes.size(), env.signature))
    return make_error(errc::bad_signature, "envelope signature from " +
                                               claimed_sender +
                                               " does not verify");
  if (h.recipient != my_name || !ct_equal(h.recipient_x25519, me.x25519_pub))
    return make_error(errc::decrypt, "not addressed to me");
  if (guard.seen(h.sender, h.counter))
    return make_error(errc::replay, "replayed or reordered envelope from " +
                                        h.sender + " (counter " +
                                        std::to_string(h.counter) + ")");
  auto shared = x25519_shared(me.x25519_priv, h.ephemeral_x25519);
  if (!shared)
    return make_error(errc::decrypt,
                      "invalid ephemeral key: " + describe(shared.error()));
  wipe_guard wipe_shared{*shared};
  auto key = message_key(*shared, h.ephemeral_x25519, me.x25519_pub);
  if (!key)
    return make_error(errc::decrypt, describe(key.error()));
  wipe_guard wipe_key{*key};
  auto pt = aead_open(static_cast<aead>(h.cipher), *key, h.nonce, wire_bytes(h),
                      env.ciphertext);
  if (!pt)
    return make_error(errc::decrypt, "cannot decrypt envelope from " +
                                         h.sender + ": " +
                                         describe(pt.error()));
  guard.record(h.sender, h.counter);
  opened_message msg;
  msg.sender = std::move(h.sender);
  msg.counter = h.counter;
  msg.timestamp_ms = h.timestamp_ms;
  msg.text.assign(pt->begin(), pt->end());
  wipe_guard wipe_pt{*pt};
  return msg;
}

} // namespace net
