#pragma once

// Trust on first use: the client remembers each peer's key fingerprint the
// first time it sees the peer and flags any later change, which is either a
// reinstalled client or a man in the middle (the server itself included).
//
// File format, one peer per line:
//   <name> <64 lowercase hex digits: SHA-256(ed25519 || x25519)>
// The file is a journal (client/journal_file.hpp): new pins are appended
// (one write and one fsync per batch, however many peers are known), a later
// line for a name replaces an earlier one, and the file is rewritten
// atomically, sorted, when it holds twice as many lines as live peers.
// Mode 0600; refused when its owner or directories are unsafe (as ssh).

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "client/journal_file.hpp"
#include "net/error.hpp"
#include "net/wire.hpp"

namespace client {

/// Longest name the protocol allows (the ceiling of the server's
/// max-name-length option, docs/protocol.md): every name a server may
/// accept can be pinned.
constexpr size_t max_peer_name_size = 1024;

/// True for a non-empty, well-formed UTF-8 name of at most
/// max_peer_name_size bytes without control characters or whitespace.
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
  [[nodiscard]] static net::result<trust_store> open(const std::string& path);

  /// Compares `name`'s keys with the remembered ones.
  [[nodiscard]] verdict check(const std::string& name, const net::bytes& x25519,
                              const net::bytes& ed25519) const;

  /// One peer's keys to pin.
  struct pin {
    std::string name;
    net::bytes x25519;
    net::bytes ed25519;
  };

  /// Remembers (or replaces) `name`'s keys and appends them to the file
  /// (synced); on error the store is unchanged.
  [[nodiscard]] caf::error remember(const std::string& name,
                                    const net::bytes& x25519,
                                    const net::bytes& ed25519);

  /// Remembers a batch with one append and one sync (a directory frame's
  /// new peers); all or nothing: if the append fails the store is
  /// unchanged. (A failed compaction after a saved append is an error too,
  /// though the pins are kept: the disk is in trouble either way.)
  [[nodiscard]] caf::error remember_all(const std::vector<pin>& pins);

  /// Lines in the file (for tests of compaction).
  size_t journal_lines() const {
    return journal_lines_;
  }

  /// Whether `name` has pinned keys.
  bool knows(const std::string& name) const {
    return peers_.count(name) > 0;
  }

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

  [[nodiscard]] caf::error compact();

  std::string path_;
  journal_file journal_;
  size_t journal_lines_ = 0;
  std::map<std::string, std::string> peers_; // name -> fingerprint hex
};

/// Readable name of a verdict ("new_peer", "same", "changed").
const char* to_string(trust_store::verdict x);

} // namespace client
