#define CAF_SUITE known_servers
#include <caf/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include <sys/stat.h>

#include "client/known_servers.hpp"
#include "tests/store_fixture.hpp"

using namespace net;

namespace {

std::string fp(char c) {
  std::string out = "SHA256:";
  for (int i = 0; i < 32; ++i) {
    if (i > 0)
      out += ':';
    out += c;
    out += c;
  }
  return out;
}

struct fixture : test_support::store_fixture<known_servers> {
  fixture() : store_fixture("config/chatroom/known_servers") {}
};

using verdict = known_servers::verdict;

} // namespace

CAF_TEST_FIXTURE_SCOPE(known_servers_tests, fixture)

CAF_TEST(a missing file is an empty list) {
  auto ks = open();
  CAF_CHECK(ks.check("example.org:4433", fp('A')) == verdict::unknown);
  CAF_CHECK(!std::filesystem::exists(path));
}

CAF_TEST(unknown then pin then match) {
  auto ks = open();
  CAF_CHECK(ks.check("example.org:4433", fp('A')) == verdict::unknown);
  CAF_REQUIRE(!ks.pin("example.org:4433", fp('A')));
  CAF_CHECK(ks.check("example.org:4433", fp('A')) == verdict::match);
  auto lower = fp('a');
  lower.replace(0, 7, "SHA256:");
  CAF_CHECK(ks.check("example.org:4433", lower) == verdict::match);
  // Pins are per host and port.
  CAF_CHECK(ks.check("example.org:4434", fp('A')) == verdict::unknown);
  CAF_CHECK(ks.check("other.org:4433", fp('A')) == verdict::unknown);
}

CAF_TEST(a different fingerprint is a mismatch that reports the pin) {
  auto ks = open();
  CAF_REQUIRE(!ks.pin("10.0.0.1:4433", fp('A')));
  std::string pinned;
  CAF_CHECK(ks.check("10.0.0.1:4433", fp('B'), &pinned) == verdict::mismatch);
  CAF_CHECK_EQUAL(pinned, fp('A'));
  CAF_CHECK(ks.check("10.0.0.1:4433", "", &pinned) == verdict::mismatch);
  // Re-pinning replaces the entry.
  CAF_REQUIRE(!ks.pin("10.0.0.1:4433", fp('B')));
  CAF_CHECK(ks.check("10.0.0.1:4433", fp('B')) == verdict::match);
  CAF_CHECK(ks.check("10.0.0.1:4433", fp('A')) == verdict::mismatch);
}

CAF_TEST(pins persist across reopen with private modes) {
  {
    auto ks = open();
    CAF_REQUIRE(!ks.pin("a.example:1", fp('1')));
    CAF_REQUIRE(!ks.pin("[::1]:4433", fp('2')));
  }
  struct stat st;
  CAF_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  CAF_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  CAF_REQUIRE_EQUAL(::stat((dir + "/config").c_str(), &st), 0);
  CAF_CHECK_EQUAL(st.st_mode & 0777, 0700u);
  CAF_CHECK_EQUAL(contents(),
                  "a.example:1 " + fp('1') + "\n[::1]:4433 " + fp('2') + "\n");
  auto ks = open();
  CAF_CHECK(ks.check("a.example:1", fp('1')) == verdict::match);
  CAF_CHECK(ks.check("[::1]:4433", fp('2')) == verdict::match);
  CAF_CHECK(ks.check("[::1]:4433", fp('1')) == verdict::mismatch);
  // No temporary files are left behind.
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/config/chatroom"))
    files += e.is_regular_file() ? 1 : 0;
  CAF_CHECK_EQUAL(files, 1u);
}

CAF_TEST(comments and blank lines survive a rewrite) {
  write("# my servers\n\nhome:4433 " + fp('C') + "\n");
  auto ks = open();
  CAF_CHECK(ks.check("home:4433", fp('C')) == verdict::match);
  CAF_REQUIRE(!ks.pin("work:4433", fp('D')));
  CAF_CHECK_EQUAL(contents(), "# my servers\n\nhome:4433 " + fp('C') +
                                  "\nwork:4433 " + fp('D') + "\n");
}

CAF_TEST(malformed lines are reported with path and line) {
  write("good:1 " + fp('A') + "\nbad line here\n");
  auto ks = known_servers::open(path);
  CAF_REQUIRE(!ks);
  auto text = describe(ks.error());
  CAF_MESSAGE(text);
  CAF_CHECK_EQUAL(code_of(ks.error()), errc::config);
  CAF_CHECK_NOT_EQUAL(text.find(path + ":2:"), std::string::npos);
  for (auto bad :
       {std::string{"noport " + fp('A')}, std::string{"host:1 SHA256:zz"},
        std::string{"host:1"}, std::string{"host:1 " + fp('A') + " extra"},
        std::string{"host:x " + fp('A')}}) {
    write(bad + "\n");
    auto res = known_servers::open(path);
    CAF_CHECK(!res);
    if (!res)
      CAF_CHECK_NOT_EQUAL(describe(res.error()).find(path + ":1:"),
                          std::string::npos);
  }
  write("h:1 " + fp('A') + "\nh:1 " + fp('B') + "\n");
  CAF_CHECK(!known_servers::open(path));
}

CAF_TEST(invalid pins are refused and leave the file alone) {
  auto ks = open();
  CAF_CHECK(ks.pin("host:1", "SHA256:nope"));
  CAF_CHECK(ks.pin("no port", fp('A')));
  CAF_CHECK(ks.pin("", fp('A')));
  CAF_CHECK(!std::filesystem::exists(path));
  CAF_CHECK(ks.check("host:1", fp('A')) == verdict::unknown);
}

CAF_TEST(an unwritable location is an error) {
  auto ks = known_servers::open("/proc/chatroom-known/servers");
  CAF_REQUIRE(ks);
  auto err = ks->pin("host:1", fp('A'));
  CAF_CHECK(err);
  CAF_MESSAGE(describe(err));
  CAF_CHECK(ks->check("host:1", fp('A')) == verdict::unknown);
}

CAF_TEST(a file or directory others can write is refused) {
  write("host:1 " + fp('A') + "\n");
  CAF_REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CAF_REQUIRE(known_servers::open(path));
  CAF_REQUIRE(::chmod(path.c_str(), 0620) == 0);
  auto r = known_servers::open(path);
  CAF_REQUIRE(!r);
  CAF_CHECK(describe(r.error()).find(path) != std::string::npos);
  CAF_REQUIRE(::chmod(path.c_str(), 0600) == 0);
  // A world-writable home: anyone could swap the file for their own.
  CAF_REQUIRE(::chmod((dir + "/config").c_str(), 0777) == 0);
  r = known_servers::open(path);
  CAF_REQUIRE(!r);
  CAF_MESSAGE(describe(r.error()));
  CAF_CHECK(describe(r.error()).find(path) != std::string::npos);
  CAF_REQUIRE(::chmod((dir + "/config").c_str(), 0755) == 0);
  CAF_CHECK(known_servers::open(path));
}

CAF_TEST_FIXTURE_SCOPE_END()
