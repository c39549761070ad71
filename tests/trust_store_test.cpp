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
#include "tests/store_fixture.hpp"

using namespace client;
using net::bytes;
using verdict = trust_store::verdict;

namespace {

struct fixture : test_support::store_fixture<trust_store> {
  net::identity bob = net::identity::generate();
  net::identity eve = net::identity::generate();

  fixture() : store_fixture("trust/peers.txt") {}

  void write(const std::string& content, unsigned mode = 0600) {
    store_fixture::write(content);
    CAF_REQUIRE(::chmod(path.c_str(), mode) == 0);
  }
};

std::string code_name(const caf::error& err) {
  return net::to_string(net::code_of(err));
}

std::string str(verdict v) {
  return to_string(v);
}

/// What `ts` says of `name` with the X25519 key of `x` and the Ed25519 key
/// of `ed`.
std::string verdict_for(trust_store& ts, const std::string& name,
                        const net::identity& x, const net::identity& ed) {
  return str(ts.check(name, x.x25519_pub, ed.ed25519_pub));
}

std::string verdict_for(trust_store& ts, const std::string& name,
                        const net::identity& id) {
  return verdict_for(ts, name, id, id);
}

/// Pins the keys of `id` for `name`; that must succeed.
void pin(trust_store& ts, const std::string& name, const net::identity& id) {
  CAF_REQUIRE(!ts.remember(name, id.x25519_pub, id.ed25519_pub));
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(trust_store_tests, fixture)

CAF_TEST(a missing file is an empty store) {
  auto ts = open();
  CAF_CHECK_EQUAL(ts.size(), 0u);
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", bob), "new_peer");
  CAF_CHECK(!std::filesystem::exists(path));
}

CAF_TEST(new then same then changed) {
  auto ts = open();
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", bob), "new_peer");
  pin(ts, "bob", bob);
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", bob), "same");
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", eve, bob), "changed");
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", bob, eve), "changed");
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", eve), "changed");
  // Swapping which key is which is a change too.
  CAF_CHECK_EQUAL(str(ts.check("bob", bob.ed25519_pub, bob.x25519_pub)),
                  "changed");
  CAF_CHECK_EQUAL(verdict_for(ts, "eve", eve), "new_peer");
  // Accepting the new keys replaces the old ones.
  pin(ts, "bob", eve);
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", eve), "same");
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", bob), "changed");
  CAF_CHECK_EQUAL(ts.size(), 1u);
}

CAF_TEST(persistence across reopen with mode 0600) {
  {
    auto ts = open();
    pin(ts, "bob", bob);
    pin(ts, "émile", eve);
  }
  struct stat st;
  CAF_REQUIRE(::stat(path.c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 07777, 0600u);
  CAF_REQUIRE(::stat((dir + "/trust").c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 07777, 0700u);
  auto ts = open();
  CAF_CHECK_EQUAL(ts.size(), 2u);
  CAF_CHECK_EQUAL(verdict_for(ts, "bob", bob), "same");
  CAF_CHECK_EQUAL(verdict_for(ts, "émile", eve), "same");
  CAF_CHECK_EQUAL(verdict_for(ts, "émile", bob), "changed");
  // The file is one "name fingerprint" line per peer, sorted.
  auto fp = [](const net::identity& id) {
    auto in = id.ed25519_pub;
    in.insert(in.end(), id.x25519_pub.begin(), id.x25519_pub.end());
    return net::to_hex(net::sha256(in.data(), in.size()));
  };
  CAF_CHECK_EQUAL(contents(),
                  "bob " + fp(bob) + "\n" + "émile " + fp(eve) + "\n");
  // The displayed fingerprint is a prefix of the stored one.
  auto shown = net::key_fingerprint(bob.x25519_pub, bob.ed25519_pub);
  CAF_CHECK_EQUAL(shown.substr(0, 4), fp(bob).substr(0, 4));
  // Rewrites leave no temp files behind.
  pin(ts, "carol", bob);
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
  pin(ts, "bob", bob);
  // Replace the directory by a file so the next write must fail.
  std::filesystem::remove_all(dir + "/trust");
  { std::ofstream{dir + "/trust"} << "x"; }
  auto err = ts.remember("eve", eve.x25519_pub, eve.ed25519_pub);
  CAF_CHECK(err);
  CAF_CHECK_EQUAL(ts.size(), 1u);
  CAF_CHECK_EQUAL(verdict_for(ts, "eve", eve), "new_peer");
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
  pin(ts, "late", bob);
  CAF_CHECK_EQUAL(ts.journal_lines(), 8001u);
  auto again = open();
  CAF_CHECK_EQUAL(again.size(), 8001u);
  CAF_CHECK_EQUAL(verdict_for(again, "peer-7999", eve), "same");
  CAF_CHECK_EQUAL(verdict_for(again, "peer-0", eve), "changed");
}

CAF_TEST(the journal is compacted when half of it is stale) {
  auto ts = open();
  for (int i = 0; i < 500; ++i) {
    auto& id = i % 2 == 0 ? bob : eve;
    pin(ts, "bob", id);
  }
  CAF_MESSAGE("journal lines: " << ts.journal_lines());
  CAF_CHECK_LESS_OR_EQUAL(ts.journal_lines(), 2u * 1u + 64u);
  auto again = open();
  CAF_CHECK_EQUAL(again.size(), 1u);
  CAF_CHECK_EQUAL(verdict_for(again, "bob", eve), "same");
}

CAF_TEST(a torn last line is dropped and appends continue cleanly) {
  {
    auto ts = open();
    pin(ts, "bob", bob);
  }
  {
    std::ofstream out{path, std::ios::binary | std::ios::app};
    out << "eve 0123abc"; // crash in the middle of an append
  }
  {
    auto ts = open();
    CAF_CHECK_EQUAL(ts.size(), 1u);
    CAF_CHECK_EQUAL(verdict_for(ts, "eve", eve), "new_peer");
    pin(ts, "eve", eve);
  }
  auto ts = open();
  CAF_CHECK_EQUAL(ts.size(), 2u);
  CAF_CHECK_EQUAL(verdict_for(ts, "eve", eve), "same");
}

CAF_TEST(a key change of a maximum length name is detected) {
  // U+00E9 is two bytes: a name of exactly max_peer_name_size bytes.
  std::string name;
  while (name.size() < max_peer_name_size)
    name += "\xc3\xa9";
  CAF_REQUIRE_EQUAL(name.size(), max_peer_name_size);
  {
    auto ts = open();
    pin(ts, name, bob);
  }
  auto ts = open();
  CAF_CHECK_EQUAL(verdict_for(ts, name, bob), "same");
  CAF_CHECK_EQUAL(verdict_for(ts, name, eve), "changed");
}

CAF_TEST(a directory others can write is refused) {
  {
    auto ts = open();
    pin(ts, "bob", bob);
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
