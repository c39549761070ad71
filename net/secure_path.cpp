#include "net/secure_path.hpp"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/error.hpp"
#include "net/secure_file.hpp"

namespace net {

namespace {

std::string octal_mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

std::string real_path(const std::string& p) {
  std::unique_ptr<char, decltype(&std::free)> rp{::realpath(p.c_str(), nullptr),
                                                 &std::free};
  return rp ? std::string{rp.get()} : std::string{};
}

std::string home_dir() {
  if (auto h = std::getenv("HOME"); h != nullptr && *h != '\0')
    return real_path(h);
  if (auto pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir)
    return real_path(pw->pw_dir);
  return {};
}

bool owner_ok(const struct stat& st) {
  return st.st_uid == ::getuid() || st.st_uid == 0;
}

} // namespace

caf::error check_secure_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      return make_error(errc::config, path + " is not a regular file");
    if (!owner_ok(st))
      return make_error(errc::config, path + " is owned by uid " +
                                          std::to_string(st.st_uid) +
                                          ", not by you; refusing to use it");
    if ((st.st_mode & 022) != 0)
      return make_error(errc::config,
                        path + " has mode " + octal_mode(st.st_mode) +
                            " and other users can write it; refusing to use "
                            "it. Run: chmod 600 " +
                            path);
  } else if (errno != ENOENT) {
    return make_error(errc::io,
                      "cannot stat " + path + ": " + std::strerror(errno));
  }
  // The nearest existing directory: missing ones are created 0700 later.
  auto dir = parent_dir(path);
  std::string real;
  for (;;) {
    real = real_path(dir);
    if (!real.empty() || dir == "/" || dir == ".")
      break;
    dir = parent_dir(dir);
  }
  if (real.empty())
    return make_error(errc::io, "cannot resolve the directory of " + path);
  auto home = home_dir();
  for (;;) {
    if (::stat(real.c_str(), &st) != 0)
      return make_error(errc::io,
                        "cannot stat " + real + ": " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode))
      return make_error(errc::config, real + " is not a directory");
    if (!owner_ok(st))
      return make_error(errc::config,
                        "directory " + real + " (holding " + path +
                            ") is owned by uid " + std::to_string(st.st_uid) +
                            ", not by you; refusing to use " + path);
    if ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)
      return make_error(errc::config,
                        "directory " + real + " (holding " + path +
                            ") has mode " + octal_mode(st.st_mode) +
                            " and other users can write it; refusing to use " +
                            path + ". Run: chmod go-w " + real);
    // Like ssh: stop once the home directory itself has been checked.
    if (real == home || real == "/")
      break;
    real = parent_dir(real);
  }
  return caf::none;
}

} // namespace net
