#pragma once

// The registry: the only owner of name -> (session, X25519 key, Ed25519 key).
// Sessions join, leave and route envelopes through it; it pushes the
// directory to its members. Sessions that die without QUIT are removed via
// down_msg. Join/leave events are batched for `coalesce` and each batch is
// encoded once for everyone (encode once, fan out). Every message is a
// value registered with CAF (actors/type_ids.hpp), so members could live on
// another node.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/messages.hpp"
#include "net/encoded.hpp"
#include "net/messages.hpp"

namespace actors {

/// Whoever may be told that a request of theirs failed (a session).
/// - `net::error_frame`: e.g. unknown_peer or recipient_busy, ref = the id
///   of the SEND it answers.
using error_sink = caf::typed_actor<caf::reacts_to<net::error_frame>>;

/// Whoever takes envelopes for one user (a session).
/// - `(deliver, sender, id)`: an envelope for this user; a recipient that
///   cannot take it (busy, or no longer joined) tells `sender`
///   (recipient_busy or unknown_peer, ref = id).
using recipient = caf::typed_actor<
    caf::reacts_to<net::deliver, error_sink, uint32_t>>;

/// What the registry sends to a member (a session).
/// - `encoded<directory>`: the snapshot for a joiner, or a coalesced delta
///   (left, joined) for everyone else; one encoding shared by all.
/// - `(deliver, sender, id)`: see `recipient`.
/// - `(route_atom, name, recipient)`: the answer to a ROUTE that asked for
///   the route: `name`'s session (invalid: `name` is not online). Sent after
///   that envelope went on, so once every such answer is in, the member may
///   send to `name` directly without overtaking its own earlier messages.
using registry_member = error_sink::extend_with<recipient>::extend<
    caf::reacts_to<net::encoded<net::directory>>,
    caf::reacts_to<route_atom, std::string, recipient>>;

/// The registry's interface.
/// - `(join_atom, info, member)` -> `ok_atom`, or an error: bad_name,
///   name_taken (an online name has the same uniqueness_key: case, width
///   and confusable variants), server_full. The registry monitors the member.
/// - `(leave_atom, name)`: the sender's own entry goes (QUIT).
/// - `(route_atom, to, id, envelope, want_route)`: `deliver{from, envelope}`
///   to the member `to`, where `from` is the sender's joined name;
///   unknown_peer back to the sender when `to` is not online; with
///   `want_route`, then `(route_atom, to, recipient)` back to the sender.
///   Ignored from non-members.
/// - `(get_atom, names)` -> `peer_keys`: the keys of those of `names` who
///   are online, and the others (members only: empty for anyone else).
/// - `get_atom` -> the online names, sorted.
/// - `flush_atom`: the registry's own batching timer.
using registry_actor = caf::typed_actor<
    caf::replies_to<caf::join_atom, net::peer_info,
                    registry_member>::with<caf::ok_atom>,
    caf::reacts_to<caf::leave_atom, std::string>,
    caf::reacts_to<route_atom, std::string, uint32_t, net::bytes, bool>,
    caf::replies_to<caf::get_atom, std::vector<std::string>>::with<
        net::peer_keys>,
    caf::replies_to<caf::get_atom>::with<std::vector<std::string>>,
    caf::reacts_to<caf::flush_atom>>;

struct registry_settings {
  uint32_t max_clients = 10000;
  uint32_t max_name_length = 32;
  /// 0 = push every change at once (tests); otherwise the shortest
  /// batching window.
  std::chrono::milliseconds coalesce{50};
  /// Each window ends in one delta to every member, so a room of N costs N
  /// writes per window: the window is at least N / directory_writes_per_s
  /// (50 ms per 1,000 online at the default) ...
  double directory_writes_per_s = 20000;
  /// ... and at most this (the longest a join waits to be announced).
  std::chrono::milliseconds coalesce_max{1000};
};

struct registry_state {
  struct entry {
    registry_member session;
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
  std::map<std::string, pending_change> pending; ///< sorted: name_list order
  std::vector<std::string> joiners; ///< waiting for their snapshot
  /// When the pending delta goes to every member (max: none scheduled) ...
  caf::actor_clock::time_point delta_due = caf::actor_clock::time_point::max();
  /// ... and when the waiting joiners get their snapshot: after the
  /// shortest window, however long the room's delta window is.
  caf::actor_clock::time_point snapshot_due =
      caf::actor_clock::time_point::max();
  uint64_t deltas_sent = 0;    ///< directory delta frames encoded
  uint64_t snapshots_sent = 0; ///< snapshot frames encoded

  static inline const char* name = "registry";
};

/// The implementation type of the registry (tests reach its state).
using registry_impl = registry_actor::stateful_base<registry_state>;

/// Spawn with `sys.spawn(registry, settings)`.
registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self,
         registry_settings settings);

} // namespace actors
