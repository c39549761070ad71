#include "net/files.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace net {

namespace {

caf::error io_error(const std::string& what, const std::string& path, int err) {
  return make_error(errc::io, what + " " + path + ": " + std::strerror(err));
}

/// Writes all of `data` to `fd`, retrying on EINTR and short writes.
bool write_all(int fd, const std::string& data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    auto n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

} // namespace

result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return make_error(errc::not_found, "no such file: " + path);
    return io_error("cannot open", path, errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto err = errno;
      ::close(fd);
      return io_error("cannot read", path, err);
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

caf::error make_private_dirs(const std::string& path) {
  if (path.empty())
    return caf::none;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return make_error(errc::io, "not a directory: " + path);
    return caf::none;
  }
  auto parent = parent_dir(path);
  if (parent != path && parent != "." && parent != "/")
    if (auto err = make_private_dirs(parent))
      return err;
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return io_error("cannot create directory", path, errno);
  return caf::none;
}

caf::error write_new_file(const std::string& path, const std::string& data,
                          mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return io_error("cannot create", path, errno);
  if (!write_all(fd, data) || ::fsync(fd) != 0) {
    auto err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return io_error("cannot write", path, err);
  }
  ::close(fd);
  return caf::none;
}

caf::error write_file_atomic(const std::string& path, const std::string& data,
                             mode_t mode) {
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  // mkstemp creates the file with mode 0600, so nothing is ever readable by
  // others, not even for a moment.
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    return io_error("cannot create a temporary file for", path, errno);
  auto fail = [&](const char* what) {
    auto err = errno;
    ::close(fd);
    ::unlink(name.data());
    return io_error(what, path, err);
  };
  if (::fchmod(fd, mode) != 0)
    return fail("cannot set the mode of");
  if (!write_all(fd, data) || ::fsync(fd) != 0)
    return fail("cannot write");
  if (::close(fd) != 0) {
    auto err = errno;
    ::unlink(name.data());
    return io_error("cannot write", path, err);
  }
  if (::rename(name.data(), path.c_str()) != 0) {
    auto err = errno;
    ::unlink(name.data());
    return io_error("cannot replace", path, err);
  }
  // Make the rename itself durable.
  int dfd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return caf::none;
}

std::string parent_dir(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos)
    return ".";
  if (pos == 0)
    return "/";
  return path.substr(0, pos);
}

} // namespace net
