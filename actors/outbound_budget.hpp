#pragma once

// The outbound budget bounds the bytes queued for clients across the whole
// server (as Envoy's overload manager does for its buffers). Sessions
// report their unsent backlog when it moves by a granule; when the sum
// passes `max_total`, the session with the largest backlog is told to shed
// (it closes with `overloaded`), then the next largest, until the sum is
// back under the bound. A reader that keeps up never has a backlog to
// report, so the relay fast path sends it nothing.

#include <cstdint>
#include <unordered_map>

#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/messages.hpp"

namespace actors {

/// What the budget tells a session that must shed: `shed_atom` (close with
/// `overloaded`).
using shed_sink = caf::typed_actor<caf::reacts_to<shed_atom>>;

/// The budget's interface.
/// - `(backlog_atom, session, bytes)`: this session now has `bytes` unsent
///   (0 when drained or closing). The first report monitors the session.
using outbound_budget_actor = caf::typed_actor<
    caf::reacts_to<backlog_atom, shed_sink, uint64_t>>;

struct outbound_budget_state {
  static inline const char* name = "outbound_budget";

  struct entry {
    shed_sink session;
    uint64_t backlog = 0;
    bool shed = false; ///< told already; its bytes go when it closes
  };

  uint64_t max_total = 0;
  uint64_t total = 0;
  uint64_t sheds = 0; ///< sessions told to shed so far
  std::unordered_map<caf::actor_addr, entry> sessions;
};

/// Spawn with `sys.spawn(outbound_budget, max_total_bytes)`.
outbound_budget_actor::behavior_type outbound_budget(
    outbound_budget_actor::stateful_pointer<outbound_budget_state> self,
    uint64_t max_total);

/// Sessions report when their backlog has moved by this much since the
/// last report (or reached zero).
constexpr uint64_t backlog_report_granule = 64 << 10;

} // namespace actors
