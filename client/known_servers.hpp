#pragma once

// Trust on first use, like SSH's known_hosts: the first connection to a
// server pins its certificate fingerprint, later connections must match.
// File format, one entry a line ('#' starts a comment line):
//   host:port SHA256:AB:CD:...

#include <map>
#include <string>
#include <vector>

#include "net/error.hpp"

namespace net {

/// The pinned server fingerprints of one user, kept in a text file.
class known_servers {
public:
  /// How a presented fingerprint relates to what is pinned.
  enum class verdict { unknown, match, mismatch };

  /// Loads `path`; a missing file is an empty list. Refuses a file or a
  /// directory chain other users could write, as ssh does.
  [[nodiscard]] static result<known_servers> open(const std::string& path);

  /// Compares `fingerprint` with the one pinned for `host_port`; on
  /// mismatch `*pinned` receives the pinned value.
  [[nodiscard]] verdict check(const std::string& host_port,
                              const std::string& fingerprint,
                              std::string* pinned = nullptr) const;

  /// Pins (or re-pins) `host_port` and rewrites the file atomically.
  [[nodiscard]] caf::error pin(const std::string& host_port,
                               const std::string& fingerprint);

  /// The file this list lives in.
  const std::string& path() const {
    return path_;
  }

private:
  explicit known_servers(std::string path);

  struct line {
    std::string text;      // verbatim for comments and blank lines
    std::string host_port; // empty for comments and blank lines
    std::string fingerprint;
  };

  std::string path_;
  std::vector<line> lines_;             // in file order
  std::map<std::string, size_t> index_; // host:port -> position in lines_
};

} // namespace net
