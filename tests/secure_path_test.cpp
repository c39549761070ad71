#define CAF_SUITE secure_path
#include <caf/test/unit_test.hpp>

#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "net/error.hpp"
#include "net/secure_path.hpp"
#include "tests/temp_dir.hpp"

using test_support::temp_dir;

namespace {

void write_file(const std::string& path, mode_t mode) {
  std::ofstream{path} << "x";
  CAF_REQUIRE_EQUAL(::chmod(path.c_str(), mode), 0);
}

bool mentions(const caf::error& err, const std::string& what) {
  return net::describe(err).find(what) != std::string::npos;
}

} // namespace

CAF_TEST(a private file in a private directory passes) {
  temp_dir dir;
  ::chmod(dir.path().c_str(), 0700);
  auto file = (dir / "trust");
  CAF_CHECK(!net::check_secure_path(file)); // need not exist yet
  write_file(file, 0600);
  CAF_CHECK(!net::check_secure_path(file));
  write_file(file, 0644); // readable by others is fine, as for ssh
  CAF_CHECK(!net::check_secure_path(file));
}

CAF_TEST(a file others can write is refused with the fix) {
  temp_dir dir;
  ::chmod(dir.path().c_str(), 0700);
  auto file = (dir / "trust");
  write_file(file, 0622);
  auto err = net::check_secure_path(file);
  CAF_REQUIRE(err);
  CAF_CHECK_EQUAL(net::code_of(err), net::errc::config);
  CAF_CHECK(mentions(err, "chmod 600 " + file));
}

CAF_TEST(a directory others can write is refused unless sticky) {
  temp_dir dir;
  auto sub = (dir / "shared");
  CAF_REQUIRE_EQUAL(::mkdir(sub.c_str(), 0700), 0);
  CAF_REQUIRE_EQUAL(::chmod(sub.c_str(), 0777), 0);
  auto file = sub + "/trust";
  auto err = net::check_secure_path(file);
  CAF_REQUIRE(err);
  CAF_CHECK(mentions(err, "chmod go-w"));
  // sticky, like /tmp: others cannot replace our file in it
  CAF_REQUIRE_EQUAL(::chmod(sub.c_str(), 01777), 0);
  CAF_CHECK(!net::check_secure_path(file));
}

CAF_TEST(something that is not a regular file is refused) {
  temp_dir dir;
  auto sub = (dir / "a_directory");
  CAF_REQUIRE_EQUAL(::mkdir(sub.c_str(), 0700), 0);
  auto err = net::check_secure_path(sub);
  CAF_REQUIRE(err);
  CAF_CHECK(mentions(err, "not a regular file"));
}

CAF_TEST(a missing directory is judged by its nearest existing parent) {
  temp_dir dir;
  ::chmod(dir.path().c_str(), 0700);
  CAF_CHECK(!net::check_secure_path((dir / "new/deeper/trust")));
  ::chmod(dir.path().c_str(), 0777);
  CAF_CHECK(net::check_secure_path((dir / "new/deeper/trust")));
}
