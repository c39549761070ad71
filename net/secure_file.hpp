#pragma once

// Files that hold keys or trust decisions: created owner-only (0600, in 0700
// directories), written atomically (a reader sees the old or the new content,
// never a torn file) and refused when other users could tamper with them.

#include <cstddef>
#include <string>

#include <sys/types.h>

#include <caf/error.hpp>

#include "net/error.hpp"

namespace net {

/// Creates `dir` and any missing parents with mode 0700; existing ones stay.
[[nodiscard]] caf::error make_private_dirs(const std::string& dir);

/// The directory part of `path` ("." when it has none).
std::string parent_dir(const std::string& path);

/// Reads a regular file of at most `max_size` bytes. errc::not_found when it
/// does not exist; errc::config when its mode has any of `forbidden_bits`
/// (e.g. 077), with a message naming the path and the `chmod` to run.
[[nodiscard]] result<std::string>
read_private_file(const std::string& path, size_t max_size,
                  unsigned forbidden_bits);

/// Writes `content` to a fresh temp file next to `path` (in a 0700 directory
/// created as needed), syncs it and moves it into place. The file gets
/// exactly `mode` (not subject to the umask); it is created 0600 and only
/// widened once complete, so secrets are never readable by others. Use a
/// wider mode only for public data such as certificates. With
/// `replace == false` an existing `path` is kept and errc::io is returned
/// with `*existed` set.
[[nodiscard]] caf::error
write_private_file(const std::string& path, const std::string& content,
                   bool replace, bool* existed = nullptr, mode_t mode = 0600);

} // namespace net
