#define CAF_SUITE replay_store
#include <caf/test/unit_test.hpp>

#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

#include "client/replay_store.hpp"
#include "net/error.hpp"
#include "temp_dir.hpp"

using namespace client;
using verdict = replay_store::verdict;

namespace {

struct fixture {
  test_support::temp_dir dir;
  std::string path = dir / "home/replay_state";

  replay_store open(size_t window = 128) {
    auto r = replay_store::open(path, window);
    CAF_REQUIRE(r);
    return std::move(*r);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(replay_store_tests, fixture)

CAF_TEST(a counter is accepted once and rejected after a reopen) {
  {
    auto s = open();
    CAF_CHECK_EQUAL(s.check("bob", 1000), verdict::fresh);
    CAF_CHECK(!s.accept("bob", 1000));
    CAF_CHECK_EQUAL(s.check("bob", 1000), verdict::duplicate);
  }
  struct stat st;
  CAF_REQUIRE(::stat(path.c_str(), &st) == 0);
  CAF_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  auto s = open();
  CAF_CHECK_EQUAL(s.check("bob", 1000), verdict::duplicate);
  CAF_CHECK_EQUAL(s.check("alice", 1000), verdict::fresh);
}

CAF_TEST(reordering within the window is accepted once) {
  auto s = open(128);
  CAF_CHECK(!s.accept("bob", 500));
  CAF_CHECK(!s.accept("bob", 510));
  CAF_CHECK_EQUAL(s.check("bob", 505), verdict::fresh);
  CAF_CHECK(!s.accept("bob", 505));
  CAF_CHECK_EQUAL(s.check("bob", 505), verdict::duplicate);
  CAF_CHECK_EQUAL(s.check("bob", 509), verdict::fresh);
  // Below the window nothing can be told apart: refused.
  CAF_CHECK_EQUAL(s.check("bob", 510 - 128), verdict::too_old);
  CAF_CHECK_EQUAL(s.check("bob", 510 - 127), verdict::fresh);
  auto again = open(128);
  CAF_CHECK_EQUAL(again.check("bob", 505), verdict::duplicate);
  CAF_CHECK_EQUAL(again.check("bob", 509), verdict::fresh);
  CAF_CHECK_EQUAL(again.check("bob", 510), verdict::duplicate);
}

CAF_TEST(a jump beyond the window clears it) {
  auto s = open(64);
  CAF_CHECK(!s.accept("bob", 10));
  CAF_CHECK(!s.accept("bob", 10 + 64 + 5));
  CAF_CHECK_EQUAL(s.check("bob", 10), verdict::too_old);
  CAF_CHECK_EQUAL(s.check("bob", 10 + 64), verdict::fresh);
}

CAF_TEST(the journal is compacted and keeps the window) {
  auto s = open(64);
  for (uint64_t c = 1; c <= 1000; ++c)
    CAF_REQUIRE(!s.accept("bob", c));
  CAF_MESSAGE("journal lines after 1000 accepts: " << s.journal_lines());
  CAF_CHECK_LESS_OR_EQUAL(s.journal_lines(), 2u * 64u);
  auto again = open(64);
  for (uint64_t c = 1000 - 63; c <= 1000; ++c)
    CAF_CHECK_EQUAL(again.check("bob", c), verdict::duplicate);
  CAF_CHECK_EQUAL(again.check("bob", 1001), verdict::fresh);
  CAF_CHECK_EQUAL(again.check("bob", 900), verdict::too_old);
}

CAF_TEST(a torn last line is dropped and later appends stay readable) {
  {
    auto s = open();
    CAF_CHECK(!s.accept("bob", 7));
  }
  {
    std::ofstream out{path, std::ios::app};
    out << "alice"; // crash mid-append, before the counter
  }
  {
    auto s = open();
    CAF_CHECK_EQUAL(s.check("bob", 7), verdict::duplicate);
    CAF_CHECK_EQUAL(s.check("alice", 12), verdict::fresh);
    CAF_CHECK(!s.accept("bob", 9));
  }
  auto s = open();
  CAF_CHECK_EQUAL(s.check("bob", 9), verdict::duplicate);
  CAF_CHECK_EQUAL(s.check("bob", 7), verdict::duplicate);
}

CAF_TEST(a failure to persist is reported) {
  auto s = open();
  CAF_CHECK(!s.accept("bob", 1));
  // Replace the file by a directory: appends and rewrites fail.
  auto other = replay_store::open(dir / "gone/replay_state");
  CAF_REQUIRE(other);
  CAF_REQUIRE(::mkdir((dir / "gone").c_str(), 0500) == 0);
  CAF_REQUIRE(::mkdir((dir / "gone/replay_state").c_str(), 0700) == 0);
  auto err = other->accept("bob", 1);
  CAF_CHECK(err);
  CAF_MESSAGE("reported: " << net::describe(err));
  // The session still refuses the replay.
  CAF_CHECK_EQUAL(other->check("bob", 1), verdict::duplicate);
}

CAF_TEST(a malformed line is refused with its position) {
  { std::ofstream out{(dir / "x")}; }
  ::mkdir((dir / "home").c_str(), 0700);
  {
    std::ofstream out{path};
    out << "bob 1\nbob x\n";
  }
  ::chmod(path.c_str(), 0600);
  auto r = replay_store::open(path);
  CAF_REQUIRE(!r);
  CAF_CHECK(net::describe(r.error()).find(":2:") != std::string::npos);
}

CAF_TEST(a group writable journal is refused) {
  ::mkdir((dir / "home").c_str(), 0700);
  { std::ofstream out{path}; }
  ::chmod(path.c_str(), 0620);
  auto r = replay_store::open(path);
  CAF_REQUIRE(!r);
  CAF_CHECK(net::describe(r.error()).find(path) != std::string::npos);
}

CAF_TEST(a sender name cannot forge journal lines) {
  {
    auto s = open();
    auto err = s.accept("x 99\nbob", 5);
    CAF_REQUIRE(err);
    CAF_CHECK(net::code_of(err) == net::errc::bad_name);
    CAF_CHECK(!s.accept("bob", 3));
  }
  auto s = open();
  CAF_CHECK_EQUAL(s.check("x", 99), verdict::fresh);
  CAF_CHECK_EQUAL(s.check("bob", 5), verdict::fresh);
  CAF_CHECK_EQUAL(s.check("bob", 3), verdict::duplicate);
}

CAF_TEST_FIXTURE_SCOPE_END()
