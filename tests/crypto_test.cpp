#define CAF_SUITE crypto
#include <caf/test/unit_test.hpp>

#include <string>

#include "net/crypto.hpp"

using namespace net;

namespace {

bytes hex(const std::string& x) {
  auto r = from_hex(x);
  CAF_REQUIRE(r);
  return *r;
}

bytes str(const std::string& x) {
  return bytes(x.begin(), x.end());
}

// Fills `n` bytes counting up from `first`, as RFC 5869 writes its inputs.
bytes seq(uint8_t first, size_t n) {
  bytes out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<uint8_t>(first + i);
  return out;
}

std::string shared_hex(const std::string& priv, const std::string& pub) {
  auto r = x25519_shared(hex(priv), hex(pub));
  return r ? to_hex(*r) : "error: " + describe(r.error());
}

// Low-order points of Curve25519 and their non-canonical encodings.
const char* low_order_points[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

} // namespace

CAF_TEST(hex and basic helpers) {
  CAF_CHECK_EQUAL(to_hex(bytes{0x00, 0x0f, 0xa0, 0xff}), "000fa0ff");
  CAF_CHECK_EQUAL(to_hex(hex("DEADbeef")), "deadbeef");
  CAF_CHECK(!from_hex("abc"));
  CAF_CHECK(!from_hex("zz"));
  CAF_CHECK_EQUAL(random_bytes(17).size(), 17u);
  CAF_CHECK(random_bytes(32) != random_bytes(32));
  CAF_CHECK(ct_equal(bytes{1, 2, 3}, bytes{1, 2, 3}));
  CAF_CHECK(!ct_equal(bytes{1, 2, 3}, bytes{1, 2, 4}));
  CAF_CHECK(!ct_equal(bytes{1, 2, 3}, bytes{1, 2}));
  CAF_CHECK(ct_equal(bytes{}, bytes{}));
  CAF_CHECK_EQUAL(to_hex(sha256("abc", 3)), "ba7816bf8f01cfea414140de5dae2223"
                                            "b00361a396177a9cb410ff61f20015ad");
  CAF_CHECK_EQUAL(to_hex(sha256(nullptr, 0)),
                  "e3b0c44298fc1c149afbf4c8996fb924"
                  "27ae41e4649b934ca495991b7852b855");
  CAF_CHECK_EQUAL(sha512("abc", 3).size(), 64u);
}

CAF_TEST(x25519 RFC 7748 section 5.2 known answers) {
  CAF_CHECK_EQUAL(
      shared_hex(
          "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
          "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
      "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  CAF_CHECK_EQUAL(
      shared_hex(
          "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
          "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
      "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
  // The iterated test: k, u <- X25519(k, u), k.
  auto k =
      hex("0900000000000000000000000000000000000000000000000000000000000000");
  auto u = k;
  for (int i = 1; i <= 1000; ++i) {
    auto r = x25519_shared(k, u);
    CAF_REQUIRE(r);
    u = std::move(k);
    k = std::move(*r);
    if (i == 1)
      CAF_CHECK_EQUAL(to_hex(k), "422c8e7a6227d7bca1350b3e2bb7279f"
                                 "7897b87bb6854b783c60e80311ae3079");
  }
  CAF_CHECK_EQUAL(to_hex(k), "684cf59ba83309552800ef566f2f4d3c"
                             "1c3887c49360e3875f2eb94d99532c51");
}

CAF_TEST(x25519 RFC 7748 section 6.1 Diffie - Hellman) {
  auto alice_priv =
      hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  auto bob_priv =
      hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  auto alice_pub = x25519_public(alice_priv);
  auto bob_pub = x25519_public(bob_priv);
  CAF_REQUIRE(alice_pub && bob_pub);
  CAF_CHECK_EQUAL(to_hex(*alice_pub), "8520f0098930a754748b7ddcb43ef75a"
                                      "0dbf3a0d26381af4eba4a98eaa9b4e6a");
  CAF_CHECK_EQUAL(to_hex(*bob_pub), "de9edb7d7b7dc1b4d35b61c2ece43537"
                                    "3f8343c85b78674dadfc7e146f882b4f");
  auto k1 = x25519_shared(alice_priv, *bob_pub);
  auto k2 = x25519_shared(bob_priv, *alice_pub);
  CAF_REQUIRE(k1 && k2);
  CAF_CHECK_EQUAL(to_hex(*k1), "4a5d9d5ba4ce2de1728e3bf480350f25"
                               "e07e21c947d19e3376f09b3c1e161742");
  CAF_CHECK_EQUAL(to_hex(*k2), to_hex(*k1));
}

CAF_TEST(x25519 generated keys agree and bad inputs are rejected) {
  auto a = x25519_generate();
  auto b = x25519_generate();
  CAF_CHECK_EQUAL(a.priv.size(), 32u);
  CAF_CHECK_EQUAL(a.pub.size(), 32u);
  CAF_CHECK_EQUAL(to_hex(*x25519_public(a.priv)), to_hex(a.pub));
  auto k1 = x25519_shared(a.priv, b.pub);
  auto k2 = x25519_shared(b.priv, a.pub);
  CAF_REQUIRE(k1 && k2);
  CAF_CHECK(ct_equal(*k1, *k2));
  CAF_CHECK(is_valid_x25519_public(a.pub));
  auto short_key = x25519_shared(a.priv, bytes(31, 9));
  CAF_REQUIRE(!short_key);
  CAF_CHECK_EQUAL(code_of(short_key.error()), errc::bad_key);
  auto long_priv = x25519_shared(bytes(33, 1), b.pub);
  CAF_REQUIRE(!long_priv);
  CAF_CHECK_EQUAL(code_of(long_priv.error()), errc::bad_key);
  CAF_CHECK(!x25519_public(bytes{}));
  CAF_CHECK(!is_valid_x25519_public(bytes(33, 9)));
  CAF_CHECK(!is_valid_x25519_public(bytes{}));
}

CAF_TEST(x25519 low order points are rejected) {
  auto a = x25519_generate();
  for (auto p : low_order_points) {
    CAF_MESSAGE("low-order point " << p);
    auto r = x25519_shared(a.priv, hex(p));
    CAF_REQUIRE(!r);
    CAF_CHECK_EQUAL(code_of(r.error()), errc::bad_key);
    CAF_CHECK(!is_valid_x25519_public(hex(p)));
  }
}

CAF_TEST(ed25519 RFC 8032 section 7.1 tests 1 to 3) {
  struct vec {
    const char* sk;
    const char* pk;
    const char* msg;
    const char* sig;
  };
  vec vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
       "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
       "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (auto& v : vectors) {
    auto sk = hex(v.sk);
    auto pk = hex(v.pk);
    auto msg = hex(v.msg);
    auto pub = ed25519_public(sk);
    CAF_REQUIRE(pub);
    CAF_CHECK_EQUAL(to_hex(*pub), v.pk);
    auto sig = ed25519_sign(sk, msg.data(), msg.size());
    CAF_REQUIRE(sig);
    CAF_CHECK_EQUAL(to_hex(*sig), v.sig);
    CAF_CHECK(ed25519_verify(pk, msg.data(), msg.size(), *sig));
    // A changed (or extended) message fails.
    auto msg2 = msg;
    if (msg2.empty())
      msg2.push_back(0);
    else
      msg2[0] ^= 0x01;
    CAF_CHECK(!ed25519_verify(pk, msg2.data(), msg2.size(), *sig));
    // A flipped bit anywhere in R or S fails.
    for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
      auto bad = *sig;
      bad[i] ^= 0x01;
      CAF_CHECK(!ed25519_verify(pk, msg.data(), msg.size(), bad));
    }
    // Malformed lengths and another key fail without crashing.
    auto cut = *sig;
    cut.pop_back();
    CAF_CHECK(!ed25519_verify(pk, msg.data(), msg.size(), cut));
    CAF_CHECK(!ed25519_verify(bytes(31, 1), msg.data(), msg.size(), *sig));
    CAF_CHECK(
        !ed25519_verify(ed25519_generate().pub, msg.data(), msg.size(), *sig));
  }
}

CAF_TEST(ed25519 generated keys and malformed inputs) {
  auto kp = ed25519_generate();
  CAF_CHECK_EQUAL(kp.priv.size(), 32u);
  CAF_CHECK_EQUAL(to_hex(*ed25519_public(kp.priv)), to_hex(kp.pub));
  auto sig = ed25519_sign(kp.priv, "hi", 2);
  CAF_REQUIRE(sig);
  CAF_CHECK(ed25519_verify(kp.pub, "hi", 2, *sig));
  CAF_CHECK(!ed25519_verify(kp.pub, "ho", 2, *sig));
  CAF_CHECK(!ed25519_verify(bytes{}, "hi", 2, *sig));
  CAF_CHECK(!ed25519_verify(kp.pub, "hi", 2, bytes{}));
  CAF_CHECK(!ed25519_verify(kp.pub, "hi", 2, bytes(64, 0)));
  CAF_CHECK(!ed25519_verify(bytes(32, 0xff), "hi", 2, *sig));
  auto bad = ed25519_sign(bytes(31, 1), "hi", 2);
  CAF_REQUIRE(!bad);
  CAF_CHECK_EQUAL(code_of(bad.error()), errc::bad_key);
}

CAF_TEST(hkdf RFC 5869 test cases 1 to 3) {
  auto t1 = hkdf_sha256(seq(0x00, 13), bytes(22, 0x0b), seq(0xf0, 10), 42);
  CAF_REQUIRE(t1);
  CAF_CHECK_EQUAL(to_hex(*t1), "3cb25f25faacd57a90434f64d0362f2a"
                               "2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                               "34007208d5b887185865");
  auto t2 = hkdf_sha256(seq(0x60, 80), seq(0x00, 80), seq(0xb0, 80), 82);
  CAF_REQUIRE(t2);
  CAF_CHECK_EQUAL(to_hex(*t2), "b11e398dc80327a1c8e7f78c596a4934"
                               "4f012eda2d4efad8a050cc4c19afa97c"
                               "59045a99cac7827271cb41c65e590e09"
                               "da3275600c2f09b8367793a9aca3db71"
                               "cc30c58179ec3e87c14c01d5c1f3434f"
                               "1d87");
  auto t3 = hkdf_sha256(bytes{}, bytes(22, 0x0b), bytes{}, 42);
  CAF_REQUIRE(t3);
  CAF_CHECK_EQUAL(to_hex(*t3), "8da4e775a563c18f715f802a063c5a31"
                               "b8a11f5c5ee1879ec3454e5f3c738d2d"
                               "9d201395faa4b61a96c8");
  CAF_CHECK(!hkdf_sha256(bytes{}, bytes(22, 0x0b), bytes{}, 0));
  CAF_CHECK(!hkdf_sha256(bytes{}, bytes(22, 0x0b), bytes{}, 255 * 32 + 1));
  CAF_CHECK(hkdf_sha256(bytes{}, bytes(22, 0x0b), bytes{}, 255 * 32));
}

CAF_TEST(aead round trip and tampering for both ciphers) {
  for (auto cipher : {aead::aes256gcm, aead::chacha20poly1305}) {
    CAF_MESSAGE("cipher " << static_cast<int>(cipher));
    auto key = random_bytes(32);
    auto nonce = random_bytes(12);
    auto aad = str("header");
    for (auto& text :
         {std::string{}, std::string{"hello"}, std::string(100000, 'x')}) {
      auto ct = aead_seal(cipher, key, nonce, aad, text.data(), text.size());
      CAF_REQUIRE(ct);
      CAF_CHECK_EQUAL(ct->size(), text.size() + 16);
      auto pt = aead_open(cipher, key, nonce, aad, *ct);
      CAF_REQUIRE(pt);
      CAF_CHECK(std::string(pt->begin(), pt->end()) == text);
      auto expect_decrypt_error = [](const result<bytes>& r) {
        CAF_REQUIRE(!r);
        CAF_CHECK_EQUAL(code_of(r.error()), errc::decrypt);
      };
      auto bad_ct = *ct;
      bad_ct[0] ^= 0x80;
      expect_decrypt_error(aead_open(cipher, key, nonce, aad, bad_ct));
      auto bad_tag = *ct;
      bad_tag.back() ^= 0x01;
      expect_decrypt_error(aead_open(cipher, key, nonce, aad, bad_tag));
      expect_decrypt_error(aead_open(cipher, key, nonce, str("headex"), *ct));
      auto bad_nonce = nonce;
      bad_nonce[11] ^= 1;
      expect_decrypt_error(aead_open(cipher, key, bad_nonce, aad, *ct));
      auto bad_key = key;
      bad_key[0] ^= 1;
      expect_decrypt_error(aead_open(cipher, bad_key, nonce, aad, *ct));
      expect_decrypt_error(aead_open(cipher, key, nonce, aad,
                                     bytes(ct->begin(), ct->end() - 1)));
      expect_decrypt_error(aead_open(cipher, key, nonce, aad, bytes(15, 0)));
    }
    // The two ciphers are not interchangeable.
    auto ct = aead_seal(cipher, key, nonce, {}, "x", 1);
    CAF_REQUIRE(ct);
    auto other =
        cipher == aead::aes256gcm ? aead::chacha20poly1305 : aead::aes256gcm;
    CAF_CHECK(!aead_open(other, key, nonce, {}, *ct));
    // Wrong key or nonce lengths are errors, not crashes.
    CAF_CHECK(!aead_seal(cipher, bytes(16, 1), nonce, {}, "x", 1));
    CAF_CHECK(!aead_seal(cipher, key, bytes(8, 1), {}, "x", 1));
    CAF_CHECK(!aead_open(cipher, bytes(31, 1), nonce, {}, *ct));
    CAF_CHECK(!aead_open(cipher, key, bytes(13, 1), {}, *ct));
  }
  CAF_CHECK(!aead_seal(static_cast<aead>(7), random_bytes(32), random_bytes(12),
                       {}, "x", 1));
  CAF_CHECK(is_valid_aead(1) && is_valid_aead(2));
  CAF_CHECK(!is_valid_aead(0) && !is_valid_aead(3));
}

CAF_TEST(small order ed25519 keys never verify) {
  // Regression: OpenSSL 3 accepts signature (R = identity, S = 0) under the
  // identity key 01 00..00 for every message, which let a HELLO "prove"
  // possession of a key nobody holds.
  net::bytes identity_key(32, 0);
  identity_key[0] = 1;
  net::bytes forged(64, 0);
  forged[0] = 1;
  std::string msg = "any message at all";
  CAF_CHECK(!net::is_valid_ed25519_public(identity_key));
  CAF_CHECK(!net::ed25519_verify(identity_key, msg.data(), msg.size(), forged));
  // every small-order encoding, with either sign bit
  for (auto hex :
       {"0000000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"}) {
    auto key = net::from_hex(hex);
    CAF_REQUIRE(key);
    CAF_CHECK(!net::is_valid_ed25519_public(*key));
    (*key)[31] |= 0x80;
    CAF_CHECK(!net::is_valid_ed25519_public(*key));
  }
  // ordinary keys stay valid
  for (int i = 0; i < 16; ++i)
    CAF_CHECK(net::is_valid_ed25519_public(net::ed25519_generate().pub));
}
