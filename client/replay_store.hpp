#pragma once

// Replay protection that survives reconnects and restarts: per sender, the
// highest envelope counter accepted and a sliding window bitmap of the
// `window` counters below it. A counter above the mark is new; one inside
// the window is new once (bounded reordering); one below is too old.
//
// Persisted in a journal (client/journal_file.hpp), one accepted counter a
// line, "<sender> <counter>"; compacted to the live windows when the journal
// grows to twice their size. An empty path keeps the state in memory only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "client/journal_file.hpp"
#include "net/error.hpp"

namespace client {

/// Default replay window (counters per sender), client option replay-window.
constexpr size_t default_replay_window = 1024;

class replay_store {
public:
  enum class verdict {
    fresh,     ///< never accepted: show it
    duplicate, ///< accepted before (maybe in an earlier session): a replay
    too_old,   ///< below the window: cannot tell, so refuse
  };

  /// In-memory only.
  explicit replay_store(size_t window = default_replay_window);

  /// Loads (or starts) the journal at `path`; checks its permissions like
  /// ssh. `window` is clamped to at least 64.
  [[nodiscard]] static net::result<replay_store>
  open(const std::string& path, size_t window = default_replay_window);

  /// How `counter` from `sender` relates to what was accepted.
  [[nodiscard]] verdict check(const std::string& sender,
                              uint64_t counter) const;

  /// Records `counter` as accepted (check() first) and persists it: one
  /// append and one sync. errc::bad_name (nothing recorded) for a sender
  /// that is not a valid peer name (client/trust_store.hpp). The memory
  /// state is updated even when persisting fails, so this session still
  /// rejects the replay; the error says that a restart would not.
  [[nodiscard]] caf::error accept(const std::string& sender, uint64_t counter);

  size_t window() const {
    return window_;
  }

  /// Lines in the journal (for tests of compaction).
  size_t journal_lines() const {
    return journal_lines_;
  }

  const std::string& path() const {
    return journal_.path();
  }

private:
  struct sender_window {
    uint64_t highest = 0;
    std::vector<uint64_t>
        bits; ///< ring of `window_` bits, by counter % window_
  };

  void apply(const std::string& sender, uint64_t counter);
  bool test(const sender_window& w, uint64_t counter) const;
  void set(sender_window& w, uint64_t counter, bool on);
  size_t live_entries() const;
  std::string snapshot() const;
  [[nodiscard]] caf::error compact();

  size_t window_;
  bool persistent_ = false;
  journal_file journal_;
  size_t journal_lines_ = 0;
  size_t compacted_lines_ = 0;
  std::unordered_map<std::string, sender_window> senders_;
};

const char* to_string(replay_store::verdict x);

} // namespace client
