#define CAF_SUITE identity
#include <caf/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

#include "net/crypto.hpp"
#include "net/identity.hpp"

using namespace net;

namespace {

struct fixture {
  std::string dir;

  fixture() {
    char tmpl[] = "/tmp/chatroom-identity-XXXXXX";
    CAF_REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }

  ~fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  static unsigned mode_of(const std::string& path) {
    struct stat st;
    CAF_REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
  }

  static void write(const std::string& path, const std::string& content,
                    unsigned mode) {
    {
      std::ofstream out{path, std::ios::binary | std::ios::trunc};
      out << content;
    }
    CAF_REQUIRE(::chmod(path.c_str(), mode) == 0);
  }

  static std::string read(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in},
            std::istreambuf_iterator<char>{}};
  }
};

bool same_keys(const identity& x, const identity& y) {
  return ct_equal(x.x25519_priv, y.x25519_priv) &&
         ct_equal(x.x25519_pub, y.x25519_pub) &&
         ct_equal(x.ed25519_priv, y.ed25519_priv) &&
         ct_equal(x.ed25519_pub, y.ed25519_pub);
}

bool is_safety_number(const std::string& s) {
  if (s.size() != 71)
    return false;
  for (size_t i = 0; i < s.size(); ++i)
    if ((i % 6 == 5) ? s[i] != ' ' : !std::isdigit((unsigned char)s[i]))
      return false;
  return true;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(identity_tests, fixture)

CAF_TEST(create then reload gives the same keys) {
  auto path = dir + "/sub/dir/alice.pem";
  bool created = false;
  auto id = load_or_create_identity(path, &created);
  CAF_REQUIRE(id);
  CAF_CHECK(created);
  CAF_CHECK_EQUAL(mode_of(path), 0600u);
  CAF_CHECK_EQUAL(mode_of(dir + "/sub/dir"), 0700u);
  CAF_CHECK_EQUAL(mode_of(dir + "/sub"), 0700u);
  CAF_CHECK_EQUAL(id->x25519_priv.size(), 32u);
  CAF_CHECK_EQUAL(id->ed25519_priv.size(), 32u);
  CAF_CHECK_EQUAL(to_hex(*x25519_public(id->x25519_priv)),
                  to_hex(id->x25519_pub));
  CAF_CHECK_EQUAL(to_hex(*ed25519_public(id->ed25519_priv)),
                  to_hex(id->ed25519_pub));
  auto text = read(path);
  CAF_CHECK_EQUAL(text.find("-----BEGIN PRIVATE KEY-----"), 0u);
  CAF_CHECK(text.rfind("-----BEGIN PRIVATE KEY-----") != 0);
  bool created_again = true;
  auto again = load_or_create_identity(path, &created_again);
  CAF_REQUIRE(again);
  CAF_CHECK(!created_again);
  CAF_CHECK(same_keys(*id, *again));
  // No temp files are left behind.
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/sub/dir")) {
    static_cast<void>(e);
    ++files;
  }
  CAF_CHECK_EQUAL(files, 1u);
}

CAF_TEST(pem round trip) {
  auto id = identity::generate();
  auto pem = identity_to_pem(id);
  CAF_REQUIRE(pem);
  auto back = identity_from_pem(*pem);
  CAF_REQUIRE(back);
  CAF_CHECK(same_keys(id, *back));
}

CAF_TEST(group or world accessible files are refused) {
  auto path = dir + "/id.pem";
  CAF_REQUIRE(load_or_create_identity(path));
  for (unsigned mode : {0640u, 0604u, 0620u, 0602u, 0644u, 0660u}) {
    CAF_REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto r = load_or_create_identity(path);
    CAF_REQUIRE(!r);
    auto text = describe(r.error());
    CAF_MESSAGE(text);
    CAF_CHECK(text.find(path) != std::string::npos);
    CAF_CHECK(text.find("chmod 600") != std::string::npos);
  }
  CAF_REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CAF_CHECK(load_or_create_identity(path));
  CAF_REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CAF_CHECK(load_or_create_identity(path));
}

CAF_TEST(corrupt files are errors and are not overwritten) {
  auto path = dir + "/id.pem";
  auto id = identity::generate();
  auto pem = identity_to_pem(id);
  CAF_REQUIRE(pem);
  auto half = pem->substr(0, pem->size() / 2);
  auto only_first = pem->substr(0, pem->find("-----BEGIN", 10));
  std::string junk = "-----BEGIN PRIVATE KEY-----\nnot base64 !!\n"
                     "-----END PRIVATE KEY-----\n";
  std::string binary(300, '\0');
  for (size_t i = 0; i < binary.size(); ++i)
    binary[i] = static_cast<char>(i * 7);
  auto twice_x = only_first + only_first;
  auto three = *pem + only_first;
  for (auto& content : {std::string{}, half, only_first, junk, binary, twice_x,
                        three, std::string(100000, 'A')}) {
    write(path, content, 0600);
    bool created = true;
    auto r = load_or_create_identity(path, &created);
    CAF_REQUIRE(!r);
    CAF_CHECK(!created);
    CAF_MESSAGE(describe(r.error()));
    CAF_CHECK(describe(r.error()).find(path) != std::string::npos);
    CAF_CHECK(read(path) == content);
  }
  // An Ed25519-only file of another tool is not an identity either.
  auto ed_only = pem->substr(pem->find("-----BEGIN", 10));
  CAF_CHECK(!identity_from_pem(ed_only));
  // Keys in either order are fine.
  auto swapped = identity_from_pem(ed_only + only_first);
  CAF_REQUIRE(swapped);
  CAF_CHECK(same_keys(id, *swapped));
}

CAF_TEST(a directory in place of the file is an error) {
  auto path = dir + "/id.pem";
  CAF_REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  CAF_CHECK(!load_or_create_identity(path));
}

CAF_TEST(fingerprint format) {
  auto id = identity::generate();
  auto fp = key_fingerprint(id.x25519_pub, id.ed25519_pub);
  CAF_CHECK_EQUAL(fp.size(), 39u);
  for (size_t i = 0; i < fp.size(); ++i) {
    if (i % 5 == 4)
      CAF_CHECK_EQUAL(fp[i], ' ');
    else
      CAF_CHECK(std::isxdigit((unsigned char)fp[i]) &&
                !std::isupper((unsigned char)fp[i]));
  }
  // SHA-256 over ed25519 || x25519, first 16 bytes.
  auto in = id.ed25519_pub;
  in.insert(in.end(), id.x25519_pub.begin(), id.x25519_pub.end());
  auto expected = to_hex(sha256(in.data(), in.size())).substr(0, 32);
  auto compact = fp;
  compact.erase(std::remove(compact.begin(), compact.end(), ' '),
                compact.end());
  CAF_CHECK_EQUAL(compact, expected);
  auto other = identity::generate();
  CAF_CHECK_NOT_EQUAL(fp, key_fingerprint(other.x25519_pub, id.ed25519_pub));
  CAF_CHECK_NOT_EQUAL(fp, key_fingerprint(id.x25519_pub, other.ed25519_pub));
  // Fixed input, fixed output: the format is stable.
  CAF_CHECK_EQUAL(key_fingerprint(bytes(32, 0), bytes(32, 0)),
                  "f5a5 fd42 d16a 2030 2798 ef6e d309 979b");
}

CAF_TEST(safety number is symmetric and readable) {
  auto a = identity::generate();
  auto b = identity::generate();
  public_identity pa{a.x25519_pub, a.ed25519_pub};
  public_identity pb{b.x25519_pub, b.ed25519_pub};
  auto ab = safety_number("alice", pa, "bob", pb);
  auto ba = safety_number("bob", pb, "alice", pa);
  CAF_MESSAGE("safety number: " << ab);
  CAF_CHECK_EQUAL(ab, ba);
  CAF_CHECK(is_safety_number(ab));
  // Any change of a key or a name changes the number.
  auto c = identity::generate();
  CAF_CHECK_NOT_EQUAL(
      ab, safety_number("alice", {c.x25519_pub, a.ed25519_pub}, "bob", pb));
  CAF_CHECK_NOT_EQUAL(
      ab, safety_number("alice", {a.x25519_pub, c.ed25519_pub}, "bob", pb));
  CAF_CHECK_NOT_EQUAL(
      ab, safety_number("alice", pa, "bob", {c.x25519_pub, c.ed25519_pub}));
  CAF_CHECK_NOT_EQUAL(ab, safety_number("alicf", pa, "bob", pb));
  // Swapping which name goes with which keys is a different pairing.
  CAF_CHECK_NOT_EQUAL(ab, safety_number("alice", pb, "bob", pa));
  // Deterministic.
  CAF_CHECK_EQUAL(ab, safety_number("alice", pa, "bob", pb));
}

namespace {

bytes counting(uint8_t from) {
  bytes out(32);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(from + i);
  return out;
}

} // namespace

CAF_TEST(numeric fingerprints match an independent computation) {
  // Expected digits from python3 hashlib, following docs/security.md:
  //   key = u32(32) ed25519 || u32(32) x25519; h = u16(0) || key || name;
  //   5200 times h = SHA512(h || key); six 5-byte chunks mod 100000.
  public_identity alice{counting(32), counting(0)}; // x25519, ed25519
  public_identity bob{counting(96), counting(64)};
  CAF_CHECK_EQUAL(numeric_fingerprint("alice", alice),
                  "282005176845776442233245744584");
  CAF_CHECK_EQUAL(numeric_fingerprint("bob", bob),
                  "182789314095948935011091738407");
  CAF_CHECK_EQUAL(safety_number("alice", alice, "bob", bob),
                  "18278 93140 95948 93501 10917 38407 "
                  "28200 51768 45776 44223 32457 44584");
  CAF_CHECK_EQUAL(safety_number("bob", bob, "alice", alice),
                  safety_number("alice", alice, "bob", bob));
}

CAF_TEST(changing one party changes only the half of that party) {
  auto a = identity::generate();
  auto b = identity::generate();
  auto c = identity::generate();
  public_identity pa{a.x25519_pub, a.ed25519_pub};
  public_identity pb{b.x25519_pub, b.ed25519_pub};
  auto digits = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
  };
  auto halves = [&](const std::string& sn) {
    auto d = digits(sn);
    return std::make_pair(d.substr(0, 30), d.substr(30));
  };
  auto fa = numeric_fingerprint("alice", pa);
  auto fb = numeric_fingerprint("bob", pb);
  CAF_CHECK_EQUAL(fa.size(), 30u);
  auto [lo, hi] = halves(safety_number("alice", pa, "bob", pb));
  CAF_CHECK_EQUAL(lo, std::min(fa, fb));
  CAF_CHECK_EQUAL(hi, std::max(fa, fb));
  // a new X25519 key for alice: bob's half stays, alice's half changes
  public_identity pa2{c.x25519_pub, a.ed25519_pub};
  auto fa2 = numeric_fingerprint("alice", pa2);
  CAF_CHECK_NOT_EQUAL(fa2, fa);
  auto d2 = digits(safety_number("alice", pa2, "bob", pb));
  CAF_CHECK(d2.find(fb) != std::string::npos);
  CAF_CHECK(d2.find(fa) == std::string::npos);
  CAF_CHECK(d2.find(fa2) != std::string::npos);
  // a new Ed25519 key and a new name each change alice's half too
  public_identity pa3{a.x25519_pub, c.ed25519_pub};
  CAF_CHECK_NOT_EQUAL(numeric_fingerprint("alice", pa3), fa);
  CAF_CHECK_NOT_EQUAL(numeric_fingerprint("alicf", pa), fa);
  CAF_CHECK_EQUAL(numeric_fingerprint("bob", pb), fb);
}

CAF_TEST_FIXTURE_SCOPE_END()
