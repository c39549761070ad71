#define CAF_SUITE secure_file
#include <caf/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "net/error.hpp"
#include "net/secure_file.hpp"
#include "tests/temp_dir.hpp"

// net/secure_file.hpp: owner-only files and directories, atomic writes,
// and refusal of files other users could read or write.

using namespace net;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st;
  CAF_REQUIRE_EQUAL(::lstat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::string slurp(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

void put(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream{path, std::ios::binary} << text;
  CAF_REQUIRE_EQUAL(::chmod(path.c_str(), mode), 0);
}

/// Entries in `dir` other than "." and "..".
size_t entries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator{dir})
    ++n;
  return n;
}

/// Sets a umask for one scope.
struct umask_guard {
  mode_t old;
  explicit umask_guard(mode_t m) : old(::umask(m)) {
    // nop
  }
  ~umask_guard() {
    ::umask(old);
  }
};

} // namespace

CAF_TEST(parent dir is the part before the last slash) {
  CAF_CHECK_EQUAL(parent_dir("a/b/c"), "a/b");
  CAF_CHECK_EQUAL(parent_dir("/etc/x"), "/etc");
  CAF_CHECK_EQUAL(parent_dir("/x"), "/");
  CAF_CHECK_EQUAL(parent_dir("x"), ".");
}

CAF_TEST(missing directories are created 0700 and existing ones kept) {
  test_support::temp_dir d;
  umask_guard open_umask{0}; // the mode must not depend on the umask
  CAF_CHECK(!make_private_dirs(d / "a/b/c"));
  CAF_CHECK_EQUAL(mode_of(d / "a"), 0700u);
  CAF_CHECK_EQUAL(mode_of(d / "a/b"), 0700u);
  CAF_CHECK_EQUAL(mode_of(d / "a/b/c"), 0700u);
  CAF_REQUIRE_EQUAL(::chmod((d / "a").c_str(), 0755), 0);
  CAF_CHECK(!make_private_dirs(d / "a/b/c"));
  CAF_CHECK_EQUAL(mode_of(d / "a"), 0755u); // not ours to change
  put(d / "file", "x", 0600);
  auto err = make_private_dirs(d / "file");
  CAF_CHECK_EQUAL(code_of(err), errc::io); // exists, not a directory
}

CAF_TEST(a written file is 0600 whatever the umask and holds the content) {
  test_support::temp_dir d;
  umask_guard open_umask{0};
  auto path = d / "keys/secret";
  CAF_REQUIRE(!write_private_file(path, "s3cret\n", true));
  CAF_CHECK_EQUAL(slurp(path), "s3cret\n");
  CAF_CHECK_EQUAL(mode_of(path), 0600u);
  CAF_CHECK_EQUAL(mode_of(d / "keys"), 0700u);
  // A wider mode is set exactly, for public data such as certificates.
  CAF_REQUIRE(!write_private_file(d / "cert", "pem", true, nullptr, 0644));
  CAF_CHECK_EQUAL(mode_of(d / "cert"), 0644u);
  umask_guard strict_umask{077};
  CAF_REQUIRE(!write_private_file(d / "cert2", "pem", true, nullptr, 0644));
  CAF_CHECK_EQUAL(mode_of(d / "cert2"), 0644u);
}

CAF_TEST(replacing swaps the whole file and leaves no temp file) {
  test_support::temp_dir d;
  auto path = d / "known";
  put(path, "old content that is longer", 0644);
  struct stat before;
  CAF_REQUIRE_EQUAL(::stat(path.c_str(), &before), 0);
  CAF_REQUIRE(!write_private_file(path, "new", true));
  CAF_CHECK_EQUAL(slurp(path), "new");
  CAF_CHECK_EQUAL(mode_of(path), 0600u); // the new file's mode, not the old
  struct stat after;
  CAF_REQUIRE_EQUAL(::stat(path.c_str(), &after), 0);
  // A rename, not a rewrite in place: a reader holding the old file keeps
  // reading the old content.
  CAF_CHECK_NOT_EQUAL(before.st_ino, after.st_ino);
  CAF_CHECK_EQUAL(entries(d.path()), 1u);
}

CAF_TEST(without replace an existing file is kept and reported) {
  test_support::temp_dir d;
  auto path = d / "key";
  put(path, "first", 0600);
  bool existed = false;
  auto err = write_private_file(path, "second", false, &existed);
  CAF_CHECK_EQUAL(code_of(err), errc::io);
  CAF_CHECK(existed);
  CAF_CHECK_EQUAL(slurp(path), "first");
  CAF_CHECK_EQUAL(entries(d.path()), 1u); // the temp file is gone
  // A fresh path is created, complete, and `existed` says no.
  CAF_REQUIRE(!write_private_file(d / "new", "data", false, &existed));
  CAF_CHECK(!existed);
  CAF_CHECK_EQUAL(slurp(d / "new"), "data");
  CAF_CHECK_EQUAL(mode_of(d / "new"), 0600u);
}

CAF_TEST(replacing a symlink replaces the link and never writes through it) {
  test_support::temp_dir d;
  put(d / "target", "precious", 0644);
  CAF_REQUIRE_EQUAL(::symlink((d / "target").c_str(), (d / "link").c_str()), 0);
  CAF_REQUIRE(!write_private_file(d / "link", "mine", true));
  CAF_CHECK_EQUAL(slurp(d / "target"), "precious");
  CAF_CHECK_EQUAL(mode_of(d / "target"), 0644u);
  struct stat st;
  CAF_REQUIRE_EQUAL(::lstat((d / "link").c_str(), &st), 0);
  CAF_CHECK(S_ISREG(st.st_mode));
  CAF_CHECK_EQUAL(slurp(d / "link"), "mine");
}

CAF_TEST(reading returns the content of a private file) {
  test_support::temp_dir d;
  put(d / "f", std::string{"a\0b", 3}, 0600);
  auto text = read_private_file(d / "f", 100, 077);
  CAF_REQUIRE(text);
  CAF_CHECK_EQUAL(*text, std::string("a\0b", 3));
  put(d / "empty", "", 0600);
  auto empty = read_private_file(d / "empty", 100, 077);
  CAF_REQUIRE(empty);
  CAF_CHECK(empty->empty());
}

CAF_TEST(reading refuses forbidden modes with the chmod to run) {
  test_support::temp_dir d;
  put(d / "f", "x", 0644);
  auto text = read_private_file(d / "f", 100, 077);
  CAF_REQUIRE(!text);
  CAF_CHECK_EQUAL(code_of(text.error()), errc::config);
  auto why = describe(text.error());
  CAF_CHECK_NOT_EQUAL(why.find("0644"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(why.find("chmod 600 " + (d / "f")), std::string::npos);
  // Only the bits asked about count: group-readable passes 022.
  CAF_CHECK(read_private_file(d / "f", 100, 022));
  put(d / "g", "x", 0620);
  CAF_CHECK_EQUAL(code_of(read_private_file(d / "g", 100, 022).error()),
                  errc::config);
}

CAF_TEST(reading tells a missing file from other failures) {
  test_support::temp_dir d;
  auto missing = read_private_file(d / "nope", 100, 077);
  CAF_REQUIRE(!missing);
  CAF_CHECK_EQUAL(code_of(missing.error()), errc::not_found);
  // a directory is not a regular file
  CAF_REQUIRE_EQUAL(::mkdir((d / "dir").c_str(), 0700), 0);
  auto dir = read_private_file(d / "dir", 100, 077);
  CAF_REQUIRE(!dir);
  CAF_CHECK_EQUAL(code_of(dir.error()), errc::io);
  // larger than the caller's bound
  put(d / "big", std::string(101, 'x'), 0600);
  auto big = read_private_file(d / "big", 100, 077);
  CAF_REQUIRE(!big);
  CAF_CHECK_EQUAL(code_of(big.error()), errc::io);
  CAF_CHECK(read_private_file(d / "big", 101, 077));
}

CAF_TEST(reading through a symlink checks the file it names) {
  test_support::temp_dir d;
  put(d / "open", "x", 0666);
  CAF_REQUIRE_EQUAL(::symlink((d / "open").c_str(), (d / "link").c_str()), 0);
  // The link's own mode (0777) does not matter, the target's does.
  auto text = read_private_file(d / "link", 100, 022);
  CAF_REQUIRE(!text);
  CAF_CHECK_EQUAL(code_of(text.error()), errc::config);
  CAF_REQUIRE_EQUAL(::chmod((d / "open").c_str(), 0600), 0);
  CAF_CHECK(read_private_file(d / "link", 100, 022));
}
