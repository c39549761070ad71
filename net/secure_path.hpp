#pragma once

// The ownership and permission checks ssh applies to its user files
// (OpenSSH misc.c: safe_path): a trust file is only as safe as the
// directories that lead to it, since whoever can write a directory can
// replace the file in it.

#include <string>

#include <caf/error.hpp>

namespace net {

/// Checks `path` (which need not exist yet) the way ssh does: the file must
/// be a regular file owned by us (or root) and not writable by group or
/// others; every directory from its parent up to the home directory (or /)
/// must be owned by us or root and not group/world writable unless sticky.
/// errc::config with a message naming the offending path otherwise.
[[nodiscard]] caf::error check_secure_path(const std::string& path);

} // namespace net
