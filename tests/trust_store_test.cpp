#define CAF_SUITE trust_store
#include <caf/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "client/trust_store.hpp"
#include "net/crypto.hpp"
#include "net/identity.hpp"

using namespace client;
using net::bytes;
using verdict = trust_store::verdict;

namespace {

struct fixture {
  std::string dir;
  std::string path;
  net::identity bob = net::identity::generate();
  net::identity eve = net::identity::generate();

  fixture() {
    char tmpl[] = "/tmp/chatroom-trust-XXXXXX";
    CAF_REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/trust/peers.txt";
  }

  ~fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  trust_store open() {
    auto r = trust_store::open(path);
    CAF_REQUIRE(r);
    return std::move(*r);
  }

  static std::string read(const std::string& p) {
    std::ifstream in{p, std::ios::binary};
    return {std::istreambuf_iterator<char>{in},
            std::istreambuf_iterator<char>{}};
  }

  void write(const std::string& content, unsigned mode = 0600) {
    std::filesystem::create_directories(dir + "/trust");
    {
      std::ofstream out{path, std::ios::binary | std::ios::trunc};
      out << content;
    }
    CAF_REQUIRE(::chmod(path.c_str(), mode) == 0);
  }
};

std::string code_name(const caf::error& err) {
  return net::to_string(net::code_of(err));
}

std::string str(verdict v) {
  return to_string(v);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(trust_store_tests, fixture)

CAF_TEST(a missing file is an empty store) {
  auto ts = open();
  CAF_CHECK_EQUAL(ts.size(), 0u);
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.x25519_pub, bob.ed25519_pub)),
                  "new_peer");
  CAF_CHECK(!std::filesystem::exists(path));
}

CAF_TEST(new then same then changed) {
  auto ts = open();
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.x25519_pub, bob.ed25519_pub)),
                  "new_peer");
  CAF_REQUIRE(!ts.remember("bob", bob.x25519_pub, bob.ed25519_pub));
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.x25519_pub, bob.ed25519_pub)),
                  "same");
  CAF_CHECK_EQUAL(str(ts.check("bob", eve.x25519_pub, bob.ed25519_pub)),
                  "changed");
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.x25519_pub, eve.ed25519_pub)),
                  "changed");
  CAF_CHECK_EQUAL(str(ts.check("bob", eve.x25519_pub, eve.ed25519_pub)),
                  "changed");
  // Swapping which key is which is a change too.
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.ed25519_pub, bob.x25519_pub)),
                  "changed");
  CAF_CHECK_EQUAL(str(ts.check("eve", eve.x25519_pub, eve.ed25519_pub)),
                  "new_peer");
  // Accepting the new keys replaces the old ones.
  CAF_REQUIRE(!ts.remember("bob", eve.x25519_pub, eve.ed25519_pub));
  CAF_CHECK_EQUAL(str(ts.check("bob", eve.x25519_pub, eve.ed25519_pub)),
                  "same");
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.x25519_pub, bob.ed25519_pub)),
                  "changed");
  CAF_CHECK_EQUAL(ts.size(), 1u);
}

CAF_TEST(persistence across reopen with mode 0600) {
  {
    auto ts = open();
    CAF_REQUIRE(!ts.remember("bob", bob.x25519_pub, bob.ed25519_pub));
    CAF_REQUIRE(!ts.remember("émile", eve.x25519_pub, eve.ed25519_pub));
  }
  struct stat st;
  CAF_REQUIRE(::stat(path.c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 07777, 0600u);
  CAF_REQUIRE(::stat((dir + "/trust").c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 07777, 0700u);
  auto ts = open();
  CAF_CHECK_EQUAL(ts.size(), 2u);
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.x25519_pub, bob.ed25519_pub)),
                  "same");
  CAF_CHECK_EQUAL(str(ts.check("émile", eve.x25519_pub, eve.ed25519_pub)),
                  "same");
  CAF_CHECK_EQUAL(str(ts.check("émile", bob.x25519_pub, bob.ed25519_pub)),
                  "changed");
  // The file is one "name fingerprint" line per peer, sorted.
  auto fp = [](const net::identity& id) {
    auto in = id.ed25519_pub;
    in.insert(in.end(), id.x25519_pub.begin(), id.x25519_pub.end());
    return net::to_hex(net::sha256(in.data(), in.size()));
  };
  CAF_CHECK_EQUAL(read(path),
                  "bob " + fp(bob) + "\n" + "émile " + fp(eve) + "\n");
  // The displayed fingerprint is a prefix of the stored one.
  auto shown = net::key_fingerprint(bob.x25519_pub, bob.ed25519_pub);
  CAF_CHECK_EQUAL(shown.substr(0, 4), fp(bob).substr(0, 4));
  // Rewrites leave no temp files behind.
  CAF_REQUIRE(!ts.remember("carol", bob.x25519_pub, bob.ed25519_pub));
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/trust")) {
    static_cast<void>(e);
    ++files;
  }
  CAF_CHECK_EQUAL(files, 1u);
  CAF_REQUIRE(::stat(path.c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 07777, 0600u);
}

CAF_TEST(invalid names and keys are refused) {
  auto ts = open();
  for (auto name : {std::string{}, std::string{"has space"},
                    std::string{"tab\there"}, std::string{"new\nline"},
                    std::string{"nul\0x", 5}, std::string{"bad\xff"},
                    std::string{"\xc3"}, std::string{"nbsp\xc2\xa0x"},
                    std::string(max_peer_name_size + 1, 'a')}) {
    auto err = ts.remember(name, bob.x25519_pub, bob.ed25519_pub);
    CAF_CHECK_EQUAL(code_name(err), "bad_name");
  }
  auto err = ts.remember("bob", bytes(31, 1), bob.ed25519_pub);
  CAF_CHECK_EQUAL(code_name(err), "bad_key");
  CAF_CHECK_EQUAL(ts.size(), 0u);
  CAF_CHECK(is_valid_peer_name("Zoë_#1"));
  CAF_CHECK(is_valid_peer_name("\xF0\x9F\x90\xB1"));
}

CAF_TEST(malformed files are errors) {
  auto fp = std::string(64, 'a');
  for (auto content : {std::string{"bob\n"}, "bob " + fp.substr(1) + "\n",
                       "bob " + std::string(64, 'A') + "\n",
                       "bo\xff " + fp + "\n", "bob  " + fp + "\n"}) {
    write(content);
    auto r = trust_store::open(path);
    CAF_REQUIRE(!r);
    CAF_MESSAGE(net::describe(r.error()));
    CAF_CHECK(net::describe(r.error()).find(path) != std::string::npos);
  }
  // Empty lines and a missing final newline are fine.
  write("\nbob " + fp + "\n\ncarol " + fp);
  auto r = trust_store::open(path);
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(r->size(), 2u);
}

CAF_TEST(a file others can write is refused) {
  write("bob " + std::string(64, 'a') + "\n", 0666);
  auto r = trust_store::open(path);
  CAF_REQUIRE(!r);
  CAF_CHECK(net::describe(r.error()).find("chmod 600") != std::string::npos);
  CAF_REQUIRE(::chmod(path.c_str(), 0620) == 0);
  CAF_CHECK(!trust_store::open(path));
  CAF_REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CAF_CHECK(trust_store::open(path));
}

CAF_TEST(a failed write leaves the store unchanged) {
  auto ts = open();
  CAF_REQUIRE(!ts.remember("bob", bob.x25519_pub, bob.ed25519_pub));
  // Replace the directory by a file so the next write must fail.
  std::filesystem::remove_all(dir + "/trust");
  { std::ofstream{dir + "/trust"} << "x"; }
  auto err = ts.remember("eve", eve.x25519_pub, eve.ed25519_pub);
  CAF_CHECK(err);
  CAF_CHECK_EQUAL(ts.size(), 1u);
  CAF_CHECK_EQUAL(str(ts.check("eve", eve.x25519_pub, eve.ed25519_pub)),
                  "new_peer");
}

CAF_TEST(a later line for a name replaces the earlier one) {
  auto fp = std::string(64, 'a');
  auto fp2 = std::string(64, 'b');
  write("bob " + fp + "\nbob " + fp2 + "\n");
  auto ts = open();
  CAF_CHECK_EQUAL(ts.size(), 1u);
}

CAF_TEST(eight thousand pins take one append) {
  std::vector<trust_store::pin> pins;
  for (int i = 0; i < 8000; ++i) {
    const auto& id = i % 2 == 0 ? bob : eve;
    pins.push_back(
        {"peer-" + std::to_string(i), id.x25519_pub, id.ed25519_pub});
  }
  auto ts = open();
  auto t0 = std::chrono::steady_clock::now();
  CAF_REQUIRE(!ts.remember_all(pins));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  CAF_MESSAGE("8000 pins in one batch: " << ms << " ms");
  CAF_CHECK_LESS(ms, 5000); // sanity only; figures in benchmarks/RESULTS.md
  CAF_CHECK_EQUAL(ts.size(), 8000u);
  // One peer joining later is one more line, not a rewrite.
  CAF_REQUIRE(!ts.remember("late", bob.x25519_pub, bob.ed25519_pub));
  CAF_CHECK_EQUAL(ts.journal_lines(), 8001u);
  auto again = open();
  CAF_CHECK_EQUAL(again.size(), 8001u);
  CAF_CHECK_EQUAL(
      str(again.check("peer-7999", eve.x25519_pub, eve.ed25519_pub)), "same");
  CAF_CHECK_EQUAL(str(again.check("peer-0", eve.x25519_pub, eve.ed25519_pub)),
                  "changed");
}

CAF_TEST(the journal is compacted when half of it is stale) {
  auto ts = open();
  for (int i = 0; i < 500; ++i) {
    auto& id = i % 2 == 0 ? bob : eve;
    CAF_REQUIRE(!ts.remember("bob", id.x25519_pub, id.ed25519_pub));
  }
  CAF_MESSAGE("journal lines: " << ts.journal_lines());
  CAF_CHECK_LESS_OR_EQUAL(ts.journal_lines(), 2u * 1u + 64u);
  auto again = open();
  CAF_CHECK_EQUAL(again.size(), 1u);
  CAF_CHECK_EQUAL(str(again.check("bob", eve.x25519_pub, eve.ed25519_pub)),
                  "same");
}

CAF_TEST(a torn last line is dropped and appends continue cleanly) {
  {
    auto ts = open();
    CAF_REQUIRE(!ts.remember("bob", bob.x25519_pub, bob.ed25519_pub));
  }
  {
    std::ofstream out{path, std::ios::binary | std::ios::app};
    out << "eve 0123abc"; // crash in the middle of an append
  }
  {
    auto ts = open();
    CAF_CHECK_EQUAL(ts.size(), 1u);
    CAF_CHECK_EQUAL(str(ts.check("eve", eve.x25519_pub, eve.ed25519_pub)),
                    "new_peer");
    CAF_REQUIRE(!ts.remember("eve", eve.x25519_pub, eve.ed25519_pub));
  }
  auto ts = open();
  CAF_CHECK_EQUAL(ts.size(), 2u);
  CAF_CHECK_EQUAL(str(ts.check("eve", eve.x25519_pub, eve.ed25519_pub)),
                  "same");
}

CAF_TEST(a key change of a maximum length name is detected) {
  // U+00E9 is two bytes: a name of exactly max_peer_name_size bytes.
  std::string name;
  while (name.size() < max_peer_name_size)
    name += "\xc3\xa9";
  CAF_REQUIRE_EQUAL(name.size(), max_peer_name_size);
  {
    auto ts = open();
    CAF_REQUIRE(!ts.remember(name, bob.x25519_pub, bob.ed25519_pub));
  }
  auto ts = open();
  CAF_CHECK_EQUAL(str(ts.check(name, bob.x25519_pub, bob.ed25519_pub)), "same");
  CAF_CHECK_EQUAL(str(ts.check(name, eve.x25519_pub, eve.ed25519_pub)),
                  "changed");
}

CAF_TEST(a directory others can write is refused) {
  {
    auto ts = open();
    CAF_REQUIRE(!ts.remember("bob", bob.x25519_pub, bob.ed25519_pub));
  }
  for (unsigned mode : {0770u, 0707u, 0777u}) {
    CAF_REQUIRE(::chmod((dir + "/trust").c_str(), mode) == 0);
    auto r = trust_store::open(path);
    CAF_REQUIRE(!r);
    CAF_MESSAGE(net::describe(r.error()));
    CAF_CHECK(net::describe(r.error()).find(path) != std::string::npos);
  }
  // Like /tmp: world writable but sticky, nobody can replace our file.
  CAF_REQUIRE(::chmod((dir + "/trust").c_str(), 01777) == 0);
  CAF_CHECK(trust_store::open(path));
  // A writable directory further up is as bad.
  CAF_REQUIRE(::chmod((dir + "/trust").c_str(), 0700) == 0);
  CAF_REQUIRE(::chmod(dir.c_str(), 0777) == 0);
  CAF_CHECK(!trust_store::open(path));
  CAF_REQUIRE(::chmod(dir.c_str(), 0700) == 0);
  CAF_CHECK(trust_store::open(path));
}

CAF_TEST_FIXTURE_SCOPE_END()
