#include "client/journal_file.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/secure_file.hpp"
#include "net/secure_path.hpp"

namespace client {

journal_file::journal_file(journal_file&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      needs_rewrite_(other.needs_rewrite_) {
  // nop
}

journal_file& journal_file::operator=(journal_file&& other) noexcept {
  if (this != &other) {
    close_fd();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    needs_rewrite_ = other.needs_rewrite_;
  }
  return *this;
}

journal_file::~journal_file() {
  close_fd();
}

void journal_file::close_fd() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

net::result<journal_file> journal_file::open(const std::string& path,
                                             size_t max_size,
                                             std::vector<std::string>& lines,
                                             bool* tail) {
  lines.clear();
  *tail = false;
  if (auto err = net::check_secure_path(path))
    return err;
  journal_file out;
  out.path_ = path;
  auto text = net::read_private_file(path, max_size, 022);
  if (!text) {
    if (net::code_of(text.error()) == net::errc::not_found)
      return out;
    return std::move(text.error());
  }
  size_t pos = 0;
  while (pos < text->size()) {
    auto eol = text->find('\n', pos);
    if (eol == std::string::npos) {
      // Maybe an interrupted append (never confirmed to anyone), maybe a
      // hand edit without final newline: the owner decides by parsing.
      lines.emplace_back(text->substr(pos));
      *tail = true;
      out.needs_rewrite_ = true;
      break;
    }
    lines.emplace_back(text->substr(pos, eol - pos));
    pos = eol + 1;
  }
  return out;
}

caf::error journal_file::append(const std::string& text) {
  struct stat st;
  // Appending to a file someone deleted or renamed away would save nothing.
  if (fd_ >= 0 && (::fstat(fd_, &st) != 0 || st.st_nlink == 0))
    close_fd();
  if (fd_ < 0) {
    // A new file: create it whole, with its directory entry synced too.
    if (::stat(path_.c_str(), &st) != 0 && errno == ENOENT)
      return rewrite(text);
    fd_ = ::open(path_.c_str(),
                 O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0)
      return net::make_error(net::errc::io, "cannot open " + path_ + ": " +
                                                std::strerror(errno));
  }
  const char* p = text.data();
  size_t n = text.size();
  while (n > 0) {
    auto w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      needs_rewrite_ = true;
      return net::make_error(net::errc::io, "cannot write " + path_ + ": " +
                                                std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (::fdatasync(fd_) != 0) {
    needs_rewrite_ = true;
    return net::make_error(net::errc::io, "cannot sync " + path_ + ": " +
                                              std::strerror(errno));
  }
  return caf::none;
}

caf::error journal_file::rewrite(const std::string& content) {
  if (auto err = net::write_private_file(path_, content, true))
    return err;
  // The old descriptor points at the replaced inode.
  close_fd();
  needs_rewrite_ = false;
  return caf::none;
}

} // namespace client
