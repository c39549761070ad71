#pragma once

// Small POSIX file helpers for secrets and trust stores: private
// directories, exclusive creation and atomic replacement. Every error names
// the path it is about.

#include <string>

#include <sys/types.h>

#include "net/error.hpp"

namespace net {

/// Reads a whole file; `errc::not_found` if it does not exist, else
/// `errc::io` naming the path.
result<std::string> read_file(const std::string& path);

/// Creates `path` and missing parents with mode 0700 (existing ones are
/// left alone).
caf::error make_private_dirs(const std::string& path);

/// Creates a new file with `mode`; fails if it already exists.
caf::error write_new_file(const std::string& path, const std::string& data,
                          mode_t mode);

/// Replaces `path` atomically (temporary file + fsync + rename) with `mode`.
caf::error write_file_atomic(const std::string& path, const std::string& data,
                             mode_t mode);

/// The directory part of `path` ("." if it has none).
std::string parent_dir(const std::string& path);

} // namespace net
