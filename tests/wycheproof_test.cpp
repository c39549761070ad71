#define CAF_SUITE wycheproof
#include <caf/test/unit_test.hpp>

// Runs net/crypto.hpp against Project Wycheproof's vectors, read from the
// directory in CHATROOM_WYCHEPROOF_DIR. Unset (or empty): every test says
// SKIPPED. Set: a missing or unreadable file fails.
//
// Our choices for vectors that Wycheproof leaves open ("acceptable"):
// - X25519: a result that is all zero (low-order public key) must be rejected
//   with errc::bad_key (RFC 7748 §6.1); every other vector, twist points and
//   non-canonical encodings included, must give exactly the listed secret.
// - AES-GCM: our API takes only 256-bit keys, 12-byte nonces and 16-byte
//   tags; groups with other sizes are skipped and counted as such.
// - ChaCha20-Poly1305: vectors with other nonce sizes are all "invalid", and
//   our API must reject them.

#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "net/crypto.hpp"

using namespace net;
using json = nlohmann::json;

namespace {

struct counts {
  size_t valid = 0;
  size_t acceptable = 0;
  size_t invalid = 0;
  size_t skipped = 0;
  size_t failed = 0;

  void add(const std::string& result) {
    if (result == "valid")
      ++valid;
    else if (result == "acceptable")
      ++acceptable;
    else
      ++invalid;
  }

  void report(const std::string& file) const {
    CAF_MESSAGE("wycheproof: " << file << ": " << (valid + acceptable + invalid)
                               << " vectors checked (valid " << valid
                               << ", acceptable " << acceptable << ", invalid "
                               << invalid << "), " << skipped << " skipped, "
                               << failed << " failed");
  }
};

std::string vector_dir() {
  auto dir = std::getenv("CHATROOM_WYCHEPROOF_DIR");
  return dir != nullptr ? dir : "";
}

// Loads `file` into `doc`. False means skip (no directory configured); a
// configured directory without a readable file fails the test.
bool load(const std::string& file, json& doc) {
  auto dir = vector_dir();
  if (dir.empty()) {
    CAF_MESSAGE("wycheproof: SKIPPED (set CHATROOM_WYCHEPROOF_DIR)");
    CAF_CHECK(vector_dir().empty()); // the skip is intentional, not a failure
    return false;
  }
  auto path = dir + "/" + file;
  std::ifstream in{path};
  // CAF_ERROR fails this test but lets the other files still run (CAF_FAIL
  // would abort the whole binary).
  if (!in) {
    CAF_ERROR("wycheproof: cannot open "
              << path << " (CHATROOM_WYCHEPROOF_DIR is set)");
    return false;
  }
  try {
    doc = json::parse(in);
  } catch (const std::exception& e) {
    CAF_ERROR("wycheproof: cannot parse " << path << ": " << e.what());
    return false;
  }
  if (!doc.contains("testGroups") || !doc["testGroups"].is_array()) {
    CAF_ERROR("wycheproof: " << path << " has no testGroups array");
    return false;
  }
  return true;
}

bytes hex(const json& x) {
  auto r = from_hex(x.get<std::string>());
  CAF_REQUIRE(r);
  return *r;
}

// One CAF check per vector; failures name the vector.
void expect(counts& c, bool ok, const json& t, const std::string& what) {
  if (!ok) {
    ++c.failed;
    CAF_MESSAGE("tcId " << t["tcId"].get<int>() << " ("
                        << t["comment"].get<std::string>() << ", "
                        << t["result"].get<std::string>() << "): " << what);
  }
  CAF_CHECK(ok);
}

bool all_zero(const bytes& x) {
  for (auto b : x)
    if (b != 0)
      return false;
  return true;
}

// Shared by AES-GCM and ChaCha20-Poly1305: seal must reproduce ct || tag for
// valid vectors, open must recover the message, and open must fail for
// invalid ones.
void check_aead(aead cipher, const json& t, counts& c) {
  auto key = hex(t["key"]);
  auto iv = hex(t["iv"]);
  auto aad = hex(t["aad"]);
  auto msg = hex(t["msg"]);
  auto ct_tag = hex(t["ct"]);
  auto tag = hex(t["tag"]);
  ct_tag.insert(ct_tag.end(), tag.begin(), tag.end());
  auto result = t["result"].get<std::string>();
  c.add(result);
  auto opened = aead_open(cipher, key, iv, aad, ct_tag);
  if (result == "valid") {
    auto sealed = aead_seal(cipher, key, iv, aad, msg.data(), msg.size());
    expect(c, sealed && *sealed == ct_tag, t, "seal mismatch");
    expect(c, opened && *opened == msg, t, "open failed");
  } else {
    expect(c, !opened, t, "forged ciphertext accepted");
  }
}

// The loop every file shares: loads `file` (or skips, see load), calls
// `accept(group)` on each group, then `check(group, test, counts)` on each
// vector of the groups it takes (the tests of the others count as skipped),
// reports the counts and checks that the file held valid vectors and, if
// `want_invalid`, invalid ones too.
template <class Accept, class Check>
void run_vectors(const std::string& file, Accept accept, Check check,
                 bool want_invalid) {
  json doc;
  if (!load(file, doc))
    return;
  counts c;
  for (auto& g : doc["testGroups"]) {
    if (!accept(g)) {
      c.skipped += g["tests"].size();
      continue;
    }
    for (auto& t : g["tests"])
      check(g, t, c);
  }
  c.report(file);
  CAF_CHECK_GREATER(c.valid, 0u);
  if (want_invalid)
    CAF_CHECK_GREATER(c.invalid, 0u);
}

bool every_group(const json&) {
  return true;
}

constexpr bool with_invalid = true;
constexpr bool valid_only = false;

} // namespace

CAF_TEST(x25519) {
  auto curve25519 = [](json& g) {
    return g.value("curve", "") == "curve25519";
  };
  auto check = [](json&, json& t, counts& c) {
    auto priv = hex(t["private"]);
    auto pub = hex(t["public"]);
    auto shared = hex(t["shared"]);
    auto result = t["result"].get<std::string>();
    c.add(result);
    auto r = x25519_shared(priv, pub);
    if (result == "invalid") {
      expect(c, !r, t, "invalid key agreement accepted");
    } else if (all_zero(shared)) {
      expect(c, !r && code_of(r.error()) == errc::bad_key, t,
             "all-zero shared secret not rejected");
      expect(c, !is_valid_x25519_public(pub), t,
             "low-order public key passes is_valid_x25519_public");
    } else {
      expect(c, r && to_hex(*r) == to_hex(shared), t,
             r ? "wrong shared secret " + to_hex(*r)
               : "rejected: " + describe(r.error()));
      expect(c, is_valid_x25519_public(pub), t,
             "is_valid_x25519_public rejects a usable key");
    }
  };
  run_vectors("x25519_test.json", curve25519, check, valid_only);
}

CAF_TEST(ed25519) {
  bytes pk; // of the group at hand
  auto take_key = [&pk](json& g) {
    pk = hex(g["publicKey"]["pk"]);
    return true;
  };
  auto check = [&pk](json&, json& t, counts& c) {
    auto msg = hex(t["msg"]);
    auto sig = hex(t["sig"]);
    auto result = t["result"].get<std::string>();
    c.add(result);
    auto ok = ed25519_verify(pk, msg.data(), msg.size(), sig);
    if (result == "valid")
      expect(c, ok, t, "valid signature rejected");
    else if (result == "invalid")
      expect(c, !ok, t, "invalid signature accepted");
    else
      ++c.skipped; // Wycheproof has no "acceptable" Ed25519 vectors today
  };
  run_vectors("ed25519_test.json", take_key, check, with_invalid);
}

CAF_TEST(aes_gcm) {
  auto sizes_we_offer = [](json& g) {
    return g["keySize"] == 256 && g["ivSize"] == 96 && g["tagSize"] == 128;
  };
  auto check = [](json&, json& t, counts& c) {
    check_aead(aead::aes256gcm, t, c);
  };
  run_vectors("aes_gcm_test.json", sizes_we_offer, check, with_invalid);
}

CAF_TEST(chacha20_poly1305) {
  auto sizes_we_offer = [](json& g) {
    return g["keySize"] == 256 && g["tagSize"] == 128;
  };
  auto check = [](json& g, json& t, counts& c) {
    if (g["ivSize"] != 96 && t["result"] == "valid") {
      ++c.skipped; // a nonce size our API does not offer
      return;
    }
    check_aead(aead::chacha20poly1305, t, c);
  };
  run_vectors("chacha20_poly1305_test.json", sizes_we_offer, check,
              with_invalid);
}

CAF_TEST(hkdf_sha256) {
  auto check = [](json&, json& t, counts& c) {
    auto result = t["result"].get<std::string>();
    c.add(result);
    auto r = hkdf_sha256(hex(t["salt"]), hex(t["ikm"]), hex(t["info"]),
                         t["size"].get<size_t>());
    if (result == "valid")
      expect(c, r && to_hex(*r) == t["okm"].get<std::string>(), t,
             r ? "wrong output" : "rejected: " + describe(r.error()));
    else
      expect(c, !r, t, "invalid parameters accepted");
  };
  run_vectors("hkdf_sha256_test.json", every_group, check, valid_only);
}
