#pragma once

// One timer for the deadlines of every session (handshake, idle, write
// stall). CAF's clock holds a strong reference to the receiver of a pending
// delayed_send, so a session that armed its own timer minutes ahead stayed
// in memory that long after it closed; re-checking every 10 s instead cost
// 500 timer messages a second for 5,000 idle clients (docs/decisions.md).
// The wheel keeps each session's next deadline with a weak handle and arms
// one timer of its own at the earliest: a session wakes once its deadline
// is due, and one that closed is forgotten at once.

#include <cstdint>
#include <map>
#include <unordered_map>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "actors/socketless_broker.hpp"

namespace actors {

/// Who the wheel wakes: `idle_atom_t` when its deadline is due.
using deadline_sink = caf::typed_actor<caf::reacts_to<idle_atom_t>>;

/// The wheel's interface.
/// - `(wake_atom, sink, delay)`: wake `sink` after `delay`; replaces what
///   `sink` asked for before. The wheel holds `sink` weakly.
/// - `(caf::delete_atom, addr)`: forget the sink at `addr` (it is gone).
/// - `(caf::tick_atom, generation)`: its own timer.
using deadline_wheel_actor =
    caf::typed_actor<caf::reacts_to<wake_atom, deadline_sink, caf::timespan>,
                     caf::reacts_to<caf::delete_atom, caf::actor_addr>,
                     caf::reacts_to<caf::tick_atom, uint64_t>>;

struct deadline_wheel_state {
  using time_point = caf::actor_clock::time_point;
  using schedule = std::multimap<time_point, caf::actor_addr>;

  schedule due; ///< every sink's next deadline, earliest first
  std::unordered_map<caf::actor_addr, schedule::iterator> by_sink;
  time_point armed = time_point::max(); ///< when the pending tick fires
  uint64_t generation = 0; ///< of the pending tick; older ticks are stale
  uint64_t wakes = 0;      ///< sinks woken so far
  uint64_t requests = 0;   ///< wake requests received so far

  static inline const char* name = "deadline_wheel";
};

/// The implementation type of the wheel (tests reach its state): a typed
/// broker without sockets, so that it runs on the multiplexer thread with
/// the sessions it wakes (docs/decisions.md, 25).
using deadline_wheel_impl =
    caf::stateful_actor<deadline_wheel_state,
                        typed_broker_of<deadline_wheel_actor>>;

/// The wheel's behavior; spawn it with spawn_deadline_wheel.
deadline_wheel_actor::behavior_type deadline_wheel(deadline_wheel_impl* self,
                                                   caf::timespan granularity);

/// Spawns the wheel on `sys`'s multiplexer thread; one per server. It
/// rounds every deadline up to a multiple of `granularity` (0: exact), so
/// sessions due within one step share one timer and one wake-up round.
deadline_wheel_actor spawn_deadline_wheel(caf::actor_system& sys,
                                          caf::timespan granularity);

} // namespace actors
