#include "net/secure_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/crypto.hpp"

namespace net {

namespace {

std::string sys_error(const std::string& what, const std::string& path,
                      int err) {
  return what + " " + path + ": " + std::strerror(err);
}

std::string octal_mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

// Closes a descriptor on scope exit.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

[[nodiscard]] bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    auto w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

} // namespace

std::string parent_dir(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos)
    return ".";
  if (pos == 0)
    return "/";
  return path.substr(0, pos);
}

caf::error make_private_dirs(const std::string& dir) {
  if (dir.empty() || dir == "." || dir == "/")
    return caf::none;
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return make_error(errc::io, dir + " exists but is not a directory");
    return caf::none;
  }
  if (errno != ENOENT)
    return make_error(errc::io, sys_error("cannot stat", dir, errno));
  if (auto err = make_private_dirs(parent_dir(dir)))
    return err;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(errc::io,
                      sys_error("cannot create directory", dir, errno));
  return caf::none;
}

result<std::string> read_private_file(const std::string& path, size_t max_size,
                                      unsigned forbidden_bits) {
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) {
    auto code = errno == ENOENT ? errc::not_found : errc::io;
    return make_error(code, sys_error("cannot open", path, errno));
  }
  // Check the opened file, not the path, so a swap in between cannot fool us.
  struct stat st;
  if (::fstat(f.fd, &st) != 0)
    return make_error(errc::io, sys_error("cannot stat", path, errno));
  if (!S_ISREG(st.st_mode))
    return make_error(errc::io, path + " is not a regular file");
  if ((st.st_mode & forbidden_bits) != 0)
    return make_error(errc::config, path + " has mode " +
                                        octal_mode(st.st_mode) +
                                        " and is accessible by other users; "
                                        "refusing to use it. Run: chmod 600 " +
                                        path);
  if (static_cast<unsigned long long>(st.st_size) > max_size)
    return make_error(errc::io, path + " is too large (" +
                                    std::to_string(st.st_size) + " bytes)");
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::read(f.fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_error(errc::io, sys_error("cannot read", path, errno));
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_size) // the file grew after fstat
      return make_error(errc::io, path + " is too large");
  }
  return out;
}

caf::error write_private_file(const std::string& path,
                              const std::string& content, bool replace,
                              bool* existed, mode_t mode) {
  if (existed != nullptr)
    *existed = false;
  auto dir = parent_dir(path);
  if (auto err = make_private_dirs(dir))
    return err;
  auto tmp = path + ".tmp." + to_hex(random_bytes(6));
  fd_guard f{::open(
      tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0)
    return make_error(errc::io, sys_error("cannot create", tmp, errno));
  auto fail = [&](const std::string& what) {
    auto err = make_error(errc::io, sys_error(what, tmp, errno));
    ::unlink(tmp.c_str());
    return err;
  };
  if (!write_all(f.fd, content.data(), content.size()))
    return fail("cannot write");
  // fchmod ignores the umask, so the file ends up with exactly `mode`.
  if (::fchmod(f.fd, mode & 07777) != 0)
    return fail("cannot set the mode of");
  if (::fsync(f.fd) != 0)
    return fail("cannot sync");
  if (replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      auto err = make_error(errc::io, sys_error("cannot replace", path, errno));
      ::unlink(tmp.c_str());
      return err;
    }
  } else {
    // link() never overwrites: the complete file appears under `path` at
    // once, or not at all when someone else created it first.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      auto err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST && existed != nullptr)
        *existed = true;
      return make_error(errc::io, sys_error("cannot create", path, err));
    }
    ::unlink(tmp.c_str());
  }
  // Make the new directory entry durable too.
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0)
    ::fsync(d.fd);
  return caf::none;
}

} // namespace net
