#include "actors/deadline_wheel.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

namespace actors {

namespace {

using self_ptr = deadline_wheel_impl*;

void forget(self_ptr self, const caf::actor_addr& sink) {
  auto& st = self->state;
  auto i = st.by_sink.find(sink);
  if (i == st.by_sink.end())
    return;
  st.due.erase(i->second);
  st.by_sink.erase(i);
}

/// Arms the tick for the earliest deadline unless one fires by then.
void arm(self_ptr self) {
  auto& st = self->state;
  if (st.due.empty() || st.due.begin()->first >= st.armed)
    return;
  st.armed = st.due.begin()->first;
  ++st.generation; // a later tick still pending is stale now
  auto delay = std::max(caf::timespan{0}, st.armed - self->clock().now());
  self->delayed_send(self, delay, caf::tick_atom::value, st.generation);
}

/// Wakes every sink whose deadline is due; one that is gone is skipped.
void fire(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  while (!st.due.empty() && st.due.begin()->first <= now) {
    auto sink = caf::actor_cast<deadline_sink>(st.due.begin()->second);
    st.by_sink.erase(st.due.begin()->second);
    st.due.erase(st.due.begin());
    if (sink) {
      ++st.wakes;
      caf::anon_send(sink, idle_atom_t::value);
    }
  }
}

/// `t` rounded up to a multiple of `step` (0: `t`).
deadline_wheel_state::time_point round_up(deadline_wheel_state::time_point t,
                                          caf::timespan step) {
  if (step.count() <= 0)
    return t;
  auto since = t.time_since_epoch();
  auto rest = since % step;
  return rest.count() == 0 ? t : t + (step - rest);
}

} // namespace

deadline_wheel_actor::behavior_type deadline_wheel(self_ptr self,
                                                   caf::timespan granularity) {
  close_mailbox_at_exit(self);
  return {
      [=](wake_atom, const deadline_sink& sink, caf::timespan delay) {
        auto& st = self->state;
        ++st.requests;
        auto addr = sink.address();
        forget(self, addr);
        auto at = round_up(
            self->clock().now() + std::max(caf::timespan{0}, delay),
            granularity);
        st.by_sink.emplace(addr, st.due.emplace(at, addr));
        arm(self);
      },
      [=](caf::delete_atom, const caf::actor_addr& sink) {
        forget(self, sink);
      },
      [=](caf::tick_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.generation)
          return;
        st.armed = deadline_wheel_state::time_point::max();
        fire(self);
        arm(self);
      },
  };
}

deadline_wheel_actor spawn_deadline_wheel(caf::actor_system& sys,
                                          caf::timespan granularity) {
  return sys.middleman().spawn_broker(deadline_wheel, granularity);
}

} // namespace actors
