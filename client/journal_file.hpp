#pragma once

// An append-only line journal for trust state (pinned keys, replay
// windows): adding entries costs one write and one fsync, however many
// entries the file already holds; the owner compacts it now and then into
// an atomic rewrite (temp file + fsync + rename, net::write_private_file).
// A crash mid-append leaves at most a torn last line, which open() drops.

#include <cstddef>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "net/error.hpp"

namespace client {

class journal_file {
public:
  journal_file() = default;
  journal_file(journal_file&& other) noexcept;
  journal_file& operator=(journal_file&& other) noexcept;
  journal_file(const journal_file&) = delete;
  journal_file& operator=(const journal_file&) = delete;
  ~journal_file();

  /// Checks `path` like ssh (net::check_secure_path), reads it and returns
  /// its lines in `lines`. A missing file is empty. A last line without its
  /// newline may be torn: it is returned too, with `*tail` set, for the
  /// owner to keep if it parses and drop if not; needs_rewrite() is then
  /// true so that nothing is appended after it.
  [[nodiscard]] static net::result<journal_file>
  open(const std::string& path, size_t max_size,
       std::vector<std::string>& lines, bool* tail);

  /// Appends `text` (whole lines, each ending in '\n') with one write and
  /// syncs it. After a failure the next append rewrites nothing by itself:
  /// the owner must call rewrite() (needs_rewrite() tells).
  [[nodiscard]] caf::error append(const std::string& text);

  /// Replaces the whole file atomically with `content`.
  [[nodiscard]] caf::error rewrite(const std::string& content);

  /// True when open() found a last line without newline, or an append
  /// failed: the
  /// file must be rewritten before appending again.
  bool needs_rewrite() const {
    return needs_rewrite_;
  }

  const std::string& path() const {
    return path_;
  }

private:
  void close_fd();

  std::string path_;
  int fd_ = -1; ///< opened for appending on first use
  bool needs_rewrite_ = false;
};

} // namespace client
