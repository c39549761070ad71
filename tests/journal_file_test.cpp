#define CAF_SUITE journal_file
#include <caf/test/unit_test.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "client/journal_file.hpp"
#include "net/error.hpp"
#include "tests/temp_dir.hpp"

// client/journal_file.hpp: the append-only file under the trust stores.
// What matters is what a later open() reads back: every confirmed append,
// a torn last line flagged, and nothing from a file others could change.

using client::journal_file;

namespace {

using lines = std::vector<std::string>;

struct fixture {
  test_support::temp_dir dir;
  std::string path = dir / "journal";

  /// Opens `path`, which must succeed; `tail` tells about a torn last line.
  journal_file open(lines& out, bool& tail, size_t max_size = 4096) {
    auto j = journal_file::open(path, max_size, out, &tail);
    CAF_REQUIRE(j);
    return std::move(*j);
  }

  /// What a fresh open() reads.
  lines reread() {
    lines out;
    bool tail = true;
    open(out, tail);
    CAF_CHECK(!tail);
    return out;
  }

  std::string content() const {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
  }

  void write_raw(const std::string& text, mode_t mode = 0600) {
    {
      std::ofstream out{path, std::ios::binary | std::ios::trunc};
      out << text;
    }
    CAF_REQUIRE_EQUAL(::chmod(path.c_str(), mode), 0);
  }

  mode_t mode() const {
    struct stat st;
    CAF_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(journal_file_tests, fixture)

CAF_TEST(a missing file opens empty and the first append creates it private) {
  lines got{"stale"};
  bool tail = true;
  auto j = open(got, tail);
  CAF_CHECK(got.empty());
  CAF_CHECK(!tail);
  CAF_CHECK(!j.needs_rewrite());
  CAF_CHECK_EQUAL(j.path(), path);
  std::ifstream probe{path};
  CAF_CHECK(!probe); // opening does not create the file
  CAF_CHECK_EQUAL(j.append("a 1\n"), caf::none);
  CAF_CHECK_EQUAL(mode(), 0600u);
  CAF_CHECK_EQUAL(content(), "a 1\n");
}

CAF_TEST(appends accumulate and a later open reads every line) {
  lines got;
  bool tail = false;
  auto j = open(got, tail);
  CAF_CHECK_EQUAL(j.append("a 1\n"), caf::none);
  CAF_CHECK_EQUAL(j.append("b 2\nc 3\n"), caf::none);
  CAF_CHECK_EQUAL(content(), "a 1\nb 2\nc 3\n");
  CAF_CHECK_EQUAL(reread(), (lines{"a 1", "b 2", "c 3"}));
  // a reopened journal appends after what is there
  auto k = open(got, tail);
  CAF_CHECK_EQUAL(k.append("d 4\n"), caf::none);
  CAF_CHECK_EQUAL(reread(), (lines{"a 1", "b 2", "c 3", "d 4"}));
}

CAF_TEST(a torn last line is returned flagged and asks for a rewrite) {
  write_raw("a 1\nb 2\nc");
  lines got;
  bool tail = false;
  auto j = open(got, tail);
  CAF_CHECK_EQUAL(got, (lines{"a 1", "b 2", "c"}));
  CAF_CHECK(tail);
  CAF_CHECK(j.needs_rewrite());
  // the owner drops the torn line by rewriting; appends then follow it
  CAF_CHECK_EQUAL(j.rewrite("a 1\nb 2\n"), caf::none);
  CAF_CHECK(!j.needs_rewrite());
  CAF_CHECK_EQUAL(j.append("c 3\n"), caf::none);
  CAF_CHECK_EQUAL(content(), "a 1\nb 2\nc 3\n");
  CAF_CHECK_EQUAL(mode(), 0600u);
}

CAF_TEST(empty lines are kept in place) {
  write_raw("a\n\nb\n");
  CAF_CHECK_EQUAL(reread(), (lines{"a", "", "b"}));
}

CAF_TEST(appends after a rewrite go to the new file) {
  lines got;
  bool tail = false;
  auto j = open(got, tail);
  CAF_CHECK_EQUAL(j.append("old\n"), caf::none); // holds the old inode open
  CAF_CHECK_EQUAL(j.rewrite("compacted\n"), caf::none);
  CAF_CHECK_EQUAL(j.append("new\n"), caf::none);
  CAF_CHECK_EQUAL(reread(), (lines{"compacted", "new"}));
}

CAF_TEST(a journal deleted under it is created again) {
  lines got;
  bool tail = false;
  auto j = open(got, tail);
  CAF_CHECK_EQUAL(j.append("a 1\n"), caf::none);
  CAF_REQUIRE_EQUAL(std::remove(path.c_str()), 0);
  CAF_CHECK_EQUAL(j.append("b 2\n"), caf::none);
  CAF_CHECK_EQUAL(content(), "b 2\n");
  CAF_CHECK_EQUAL(mode(), 0600u);
}

CAF_TEST(a moved journal survives a move back and forth) {
  auto j = journal_file{};
  {
    lines got;
    bool tail = false;
    j = open(got, tail);
  }
  CAF_CHECK_EQUAL(j.path(), path);
  journal_file k{std::move(j)};
  CAF_CHECK_EQUAL(k.path(), path);
  CAF_CHECK_EQUAL(k.append("x\n"), caf::none);
  CAF_CHECK_EQUAL(reread(), (lines{"x"}));
}

CAF_TEST(a file others can write is refused) {
  write_raw("a 1\n", 0620);
  lines got;
  bool tail = false;
  auto j = journal_file::open(path, 4096, got, &tail);
  CAF_REQUIRE(!j);
  CAF_CHECK_EQUAL(net::code_of(j.error()), net::errc::config);
  auto text = net::describe(j.error());
  CAF_MESSAGE(text);
  CAF_CHECK(text.find("chmod 600 " + path) != std::string::npos);
  CAF_CHECK(got.empty());
}

CAF_TEST(a file over the size limit is refused) {
  write_raw(std::string(100, 'x') + "\n");
  lines got;
  bool tail = false;
  auto j = journal_file::open(path, 64, got, &tail);
  CAF_REQUIRE(!j);
  CAF_CHECK_EQUAL(net::code_of(j.error()), net::errc::io);
  CAF_CHECK(net::describe(j.error()).find("too large") != std::string::npos);
  CAF_CHECK(got.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
