#define CAF_SUITE envelope
#include <caf/test/unit_test.hpp>

#include <string>

#include "net/crypto.hpp"
#include "net/envelope.hpp"
#include "net/identity.hpp"

using namespace net;

namespace {

std::string code_name(const caf::error& err) {
  return to_string(code_of(err));
}

struct fixture {
  identity alice = identity::generate();
  identity bob = identity::generate();
  identity carol = identity::generate();
  replay_guard bob_guard;

  bytes seal(const std::string& text, uint64_t counter = 1,
             aead cipher = aead::aes256gcm) {
    auto r = seal_envelope(alice, "alice", "bob", bob.x25519_pub, counter,
                           1700000000000, text, cipher);
    CAF_REQUIRE(r);
    return *r;
  }

  result<opened_message> open(const bytes& raw) {
    return open_envelope(bob, "bob", raw, "alice", alice.ed25519_pub,
                         bob_guard);
  }

  static envelope decode(const bytes& raw) {
    envelope env;
    CAF_REQUIRE(
        from_wire(reinterpret_cast<const char*>(raw.data()), raw.size(), env));
    return env;
  }

  static bytes encode(const envelope& env) {
    auto buf = to_wire(env);
    return bytes(buf.begin(), buf.end());
  }

  // Re-signs `env` with Alice's key, as a buggy or hostile sender would.
  void resign(envelope& env) {
    auto msg = envelope_signed_bytes(env.header, env.ciphertext);
    auto sig = ed25519_sign(alice.ed25519_priv, msg.data(), msg.size());
    CAF_REQUIRE(sig);
    env.signature = *sig;
  }

  void expect_error(const result<opened_message>& r, errc code) {
    CAF_REQUIRE(!r);
    CAF_CHECK_EQUAL(code_name(r.error()), std::string{to_string(code)});
    CAF_MESSAGE(describe(r.error()));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(envelope_tests, fixture)

CAF_TEST(round trip with both ciphers and various texts) {
  std::string big(64 * 1024, 'z');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  uint64_t counter = 0;
  for (auto cipher : {aead::aes256gcm, aead::chacha20poly1305}) {
    for (auto& text : {std::string{}, std::string{"hi bob"}, big,
                       std::string{"Grüße, 你好, \xF0\x9F\x94\x90 ok"}}) {
      auto raw = seal(text, ++counter, cipher);
      auto env = decode(raw);
      CAF_CHECK_EQUAL(env.header.cipher, static_cast<uint8_t>(cipher));
      CAF_CHECK_EQUAL(env.header.sender, "alice");
      CAF_CHECK_EQUAL(env.header.recipient, "bob");
      CAF_CHECK_EQUAL(env.header.nonce.size(), 12u);
      CAF_CHECK_EQUAL(env.signature.size(), 64u);
      CAF_CHECK_EQUAL(env.ciphertext.size(), text.size() + 16);
      auto msg = open(raw);
      CAF_REQUIRE(msg);
      CAF_CHECK(msg->text == text);
      CAF_CHECK_EQUAL(msg->sender, "alice");
      CAF_CHECK_EQUAL(msg->counter, counter);
      CAF_CHECK_EQUAL(msg->timestamp_ms, 1700000000000u);
    }
  }
}

CAF_TEST(every message uses a fresh ephemeral key and nonce) {
  auto e1 = decode(seal("same", 1));
  auto e2 = decode(seal("same", 2));
  CAF_CHECK(e1.header.ephemeral_x25519 != e2.header.ephemeral_x25519);
  CAF_CHECK(e1.header.nonce != e2.header.nonce);
  CAF_CHECK(e1.ciphertext != e2.ciphertext);
  // The plaintext does not appear in the envelope.
  auto raw = seal("very secret words", 3);
  std::string s(raw.begin(), raw.end());
  CAF_CHECK_EQUAL(s.find("very secret"), std::string::npos);
}

CAF_TEST(tampered ciphertext is rejected) {
  auto env = decode(seal("attack at dawn"));
  env.ciphertext[0] ^= 0x01;
  expect_error(open(encode(env)), errc::bad_signature);
  // Even with a valid signature over the tampered bytes, the AEAD catches it.
  resign(env);
  expect_error(open(encode(env)), errc::decrypt);
  // A truncated tag likewise.
  auto env2 = decode(seal("attack at dawn"));
  env2.ciphertext.resize(10);
  resign(env2);
  expect_error(open(encode(env2)), errc::decrypt);
}

CAF_TEST(tampered header fields are rejected) {
  auto raw = seal("hello");
  auto base = decode(raw);
  auto check = [&](auto mutate, errc code) {
    auto env = base;
    mutate(env.header);
    expect_error(open(encode(env)), code);
  };
  check([](envelope_header& h) { h.counter += 1; }, errc::bad_signature);
  check([](envelope_header& h) { h.timestamp_ms ^= 1; }, errc::bad_signature);
  check([](envelope_header& h) { h.nonce[0] ^= 1; }, errc::bad_signature);
  check([](envelope_header& h) { h.ephemeral_x25519[5] ^= 1; },
        errc::bad_signature);
  check(
      [](envelope_header& h) {
        h.cipher = static_cast<uint8_t>(aead::chacha20poly1305);
      },
      errc::bad_signature);
  check([](envelope_header& h) { h.cipher = 9; }, errc::protocol);
  check([](envelope_header& h) { h.version = 2; }, errc::bad_version);
  // Header changes that a sender re-signs still fail the AEAD (it binds the
  // header as associated data).
  auto env = base;
  env.header.timestamp_ms += 1000;
  resign(env);
  expect_error(open(encode(env)), errc::decrypt);
  // Every single flipped byte of the encoding fails somewhere, no crash.
  size_t failures = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    auto bad = raw;
    bad[i] ^= 0x40;
    replay_guard g;
    if (!open_envelope(bob, "bob", bad, "alice", alice.ed25519_pub, g))
      ++failures;
  }
  CAF_CHECK_EQUAL(failures, raw.size());
}

CAF_TEST(tampered signature is rejected) {
  auto env = decode(seal("hello"));
  for (size_t i : {size_t{0}, size_t{32}, size_t{63}}) {
    auto bad = env;
    bad.signature[i] ^= 0x01;
    expect_error(open(encode(bad)), errc::bad_signature);
  }
  auto empty = env;
  empty.signature.clear();
  expect_error(open(encode(empty)), errc::bad_signature);
  // A signature by someone else, even over the right bytes, fails.
  auto msg = envelope_signed_bytes(env.header, env.ciphertext);
  env.signature = *ed25519_sign(carol.ed25519_priv, msg.data(), msg.size());
  expect_error(open(encode(env)), errc::bad_signature);
}

CAF_TEST(replays and old counters are rejected) {
  auto m5 = seal("five", 5);
  auto m3 = seal("three", 3);
  auto m6 = seal("six", 6);
  CAF_REQUIRE(open(m5));
  expect_error(open(m5), errc::replay);
  expect_error(open(m3), errc::replay);
  CAF_REQUIRE(open(m6));
  expect_error(open(m6), errc::replay);
  CAF_CHECK(bob_guard.seen("alice", 6));
  CAF_CHECK(!bob_guard.seen("alice", 7));
  CAF_CHECK(!bob_guard.seen("carol", 0));
}

CAF_TEST(failed opens do not advance the counter) {
  auto good = seal("good", 10);
  auto env = decode(seal("bad", 20));
  env.ciphertext[0] ^= 1;
  resign(env);
  expect_error(open(encode(env)), errc::decrypt);
  CAF_CHECK(!bob_guard.seen("alice", 10));
  CAF_REQUIRE(open(good));
}

CAF_TEST(envelopes for someone else are rejected) {
  // Addressed to carol by name and key: bob cannot use it.
  auto to_carol = seal_envelope(alice, "alice", "carol", carol.x25519_pub, 1, 0,
                                "for carol");
  CAF_REQUIRE(to_carol);
  expect_error(open(*to_carol), errc::decrypt);
  // Bob's name but carol's key.
  auto wrong_key =
      seal_envelope(alice, "alice", "bob", carol.x25519_pub, 2, 0, "x");
  CAF_REQUIRE(wrong_key);
  expect_error(open(*wrong_key), errc::decrypt);
  // Bob's key but carol's name.
  auto wrong_name =
      seal_envelope(alice, "alice", "carol", bob.x25519_pub, 3, 0, "x");
  CAF_REQUIRE(wrong_name);
  expect_error(open(*wrong_name), errc::decrypt);
  // Carol herself can open hers.
  replay_guard carol_guard;
  auto msg = open_envelope(carol, "carol", *to_carol, "alice",
                           alice.ed25519_pub, carol_guard);
  CAF_REQUIRE(msg);
  CAF_CHECK_EQUAL(msg->text, "for carol");
  // Nothing counted as accepted for bob.
  CAF_CHECK(!bob_guard.seen("alice", 1));
}

CAF_TEST(sender name or key changes are rejected) {
  auto raw = seal("hello");
  // The directory lists another key for alice.
  expect_error(
      open_envelope(bob, "bob", raw, "alice", carol.ed25519_pub, bob_guard),
      errc::bad_key);
  expect_error(open_envelope(bob, "bob", raw, "alice", bytes{}, bob_guard),
               errc::bad_key);
  // The server says it came from carol.
  expect_error(
      open_envelope(bob, "bob", raw, "carol", alice.ed25519_pub, bob_guard),
      errc::bad_key);
  // Carol signs with her own key but claims to be alice.
  auto forged =
      seal_envelope(carol, "alice", "bob", bob.x25519_pub, 1, 0, "i am alice");
  CAF_REQUIRE(forged);
  expect_error(open(*forged), errc::bad_key);
  CAF_REQUIRE(open(raw));
}

CAF_TEST(truncated and garbage envelopes are errors) {
  auto raw = seal("hello there");
  for (size_t n = 0; n < raw.size(); ++n) {
    bytes cut(raw.begin(), raw.begin() + n);
    auto r = open(cut);
    CAF_REQUIRE(!r);
    CAF_CHECK_EQUAL(code_name(r.error()), "protocol");
  }
  auto longer = raw;
  longer.push_back(0);
  expect_error(open(longer), errc::protocol);
  for (int i = 0; i < 200; ++i) {
    auto junk = random_bytes(static_cast<size_t>(i * 3));
    CAF_CHECK(!open(junk));
  }
  // Huge length prefixes cost nothing.
  expect_error(open(bytes{1, 1, 0xff, 0xff, 0xff, 0xff}), errc::protocol);
}

CAF_TEST(invalid fields inside a well - formed envelope are errors) {
  // A low-order ephemeral key, properly signed by alice.
  auto env = decode(seal("x"));
  env.header.ephemeral_x25519 = bytes(32, 0);
  resign(env);
  expect_error(open(encode(env)), errc::decrypt);
  // A wrong-sized nonce, properly signed.
  env = decode(seal("x", 2));
  env.header.nonce.resize(8);
  resign(env);
  expect_error(open(encode(env)), errc::decrypt);
}

CAF_TEST(sealing to an invalid recipient key fails) {
  for (auto key : {bytes{}, bytes(31, 7), bytes(33, 7), bytes(32, 0),
                   *from_hex("0100000000000000000000000000000000000000000000"
                             "000000000000000000")}) {
    auto r = seal_envelope(alice, "alice", "bob", key, 1, 0, "x");
    CAF_REQUIRE(!r);
    CAF_CHECK_EQUAL(code_name(r.error()), "bad_key");
  }
  auto bad_cipher = seal_envelope(alice, "alice", "bob", bob.x25519_pub, 1, 0,
                                  "x", static_cast<aead>(0));
  CAF_CHECK(!bad_cipher);
}

CAF_TEST(replay guard semantics) {
  replay_guard g;
  CAF_CHECK(!g.seen("a", 0));
  g.record("a", 0);
  CAF_CHECK(g.seen("a", 0));
  CAF_CHECK(!g.seen("a", 1));
  g.record("a", 10);
  g.record("a", 4); // never lowers the mark
  CAF_CHECK(g.seen("a", 10));
  CAF_CHECK(g.seen("a", 5));
  CAF_CHECK(!g.seen("a", 11));
  CAF_CHECK(!g.seen("b", 10));
}

CAF_TEST_FIXTURE_SCOPE_END()
