#pragma once

// The registry: the only owner of name -> (session, X25519 key, Ed25519 key).
//
// session -> registry
//   (join_atom, peer_info, actor session) -> ok_atom | error(bad_name,
//       name_taken, server_full). The registry monitors the session. A
//       name is taken when an online name has the same uniqueness_key
//       (case, width and confusable variants: "ALICE" vs "alice").
//   (leave_atom, name)                 remove the sender's entry (QUIT)
//   (route_atom, from, to, id, bytes)  forward `deliver{from, envelope}` to
//       the session of `to`; an `error_frame` (unknown_peer) goes back to
//       the sender when `to` is not online.
// registry -> session
//   shared_frame   an encoded directory frame: the snapshot for a joiner,
//                  or a coalesced delta (left, joined) for everyone else
//   deliver        an envelope for this session's user
//   error_frame    a routing error (ref = the send_message id)
// Sessions that die without QUIT are removed via down_msg. Join/leave events
// are batched for `coalesce` and each batch is encoded once for everyone.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/messages.hpp"
#include "net/messages.hpp"

namespace actors {

struct registry_settings {
  uint32_t max_clients = 10000;
  uint32_t max_name_length = 32;
  /// 0 = push every change at once (tests); otherwise the batching window.
  std::chrono::milliseconds coalesce{50};
};

struct registry_state {
  struct entry {
    caf::actor session;
    net::peer_info info;
    bool announced = false; ///< has received its snapshot
    std::string key;        ///< uniqueness_key(name)
  };
  struct pending_change {
    bool left = false;
    bool joined = false;
  };

  registry_settings settings;
  std::unordered_map<std::string, entry> entries;
  std::unordered_map<caf::actor_addr, std::string> names_by_session;
  /// uniqueness_key -> online name: look-alikes cannot be online at once.
  std::unordered_map<std::string, std::string> names_by_key;
  std::unordered_map<std::string, pending_change> pending;
  std::vector<std::string> joiners; ///< waiting for their snapshot
  bool flush_scheduled = false;
  uint64_t deltas_sent = 0;    ///< directory delta frames encoded
  uint64_t snapshots_sent = 0; ///< snapshot frames encoded

  static inline const char* name = "registry";
};

using registry_actor = caf::stateful_actor<registry_state>;

/// Spawn with `sys.spawn(registry, settings)`.
caf::behavior registry(registry_actor* self, registry_settings settings);

} // namespace actors
