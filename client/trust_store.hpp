#pragma once

// Trust on first use: the client remembers each peer's key fingerprint the
// first time it sees the peer and flags any later change, which is either a
// reinstalled client or a man in the middle (the server itself included).
//
// File format, one peer per line, sorted by name:
//   <name> <64 lowercase hex digits: SHA-256(ed25519 || x25519)>
// Written atomically (temp file + rename) with mode 0600.

#include <cstddef>
#include <map>
#include <string>

#include <caf/error.hpp>

#include "net/error.hpp"
#include "net/wire.hpp"

namespace client {

/// True for a non-empty, well-formed UTF-8 name of at most 256 bytes without
/// control characters or whitespace.
bool is_valid_peer_name(const std::string& name);

/// The keys seen for each peer, persisted in one file.
class trust_store {
public:
  /// How a peer's current keys compare with what we remembered.
  enum class verdict {
    new_peer, ///< never seen: ask or trust on first use
    same,     ///< matches what we remembered
    changed,  ///< differs: warn loudly, do not send silently
  };

  /// Loads the store at `path`; a missing file is an empty store. Refuses a
  /// file that group or others can write, and reports malformed lines.
  static net::result<trust_store> open(const std::string& path);

  /// Compares `name`'s keys with the remembered ones.
  verdict check(const std::string& name, const net::bytes& x25519,
                const net::bytes& ed25519) const;

  /// Remembers (or replaces) `name`'s keys and rewrites the file; on error
  /// the store is unchanged.
  caf::error remember(const std::string& name, const net::bytes& x25519,
                      const net::bytes& ed25519);

  /// Number of remembered peers.
  size_t size() const {
    return peers_.size();
  }

  /// The file this store persists to.
  const std::string& path() const {
    return path_;
  }

private:
  explicit trust_store(std::string path) : path_(std::move(path)) {
    // nop
  }

  std::string path_;
  std::map<std::string, std::string> peers_; // name -> fingerprint hex
};

/// Readable name of a verdict ("new_peer", "same", "changed").
const char* to_string(trust_store::verdict x);

} // namespace client
