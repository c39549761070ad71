#include "actors/frame_pacer.hpp"

#include <algorithm>

namespace actors {

const char* frame_pacer_state::name = "frame_pacer";

caf::timespan default_pacer_band(caf::timespan frame_interval,
                                 uint32_t buffer_target_ms) {
  auto target = caf::timespan{std::chrono::milliseconds{buffer_target_ms}};
  return std::min(target / 2, std::max(3 * frame_interval, target / 8));
}

namespace {

using self_ptr = frame_pacer_actor::stateful_pointer<frame_pacer_state>;

// Drains the modeled client buffer up to `t` (playback runs in real time
// unless paused).
void advance_to(self_ptr self, caf::actor_clock::time_point t) {
  auto& st = self->state;
  if (t <= st.ref)
    return;
  if (!st.paused) {
    auto played =
        std::chrono::duration_cast<std::chrono::nanoseconds>(t - st.ref)
            .count();
    st.estimate_ns = std::max<int64_t>(0, st.estimate_ns - played);
  }
  st.ref = t;
}

void advance(self_ptr self) {
  advance_to(self, self->clock().now());
}

void release(self_ptr self) {
  auto& st = self->state;
  ++st.released;
  st.estimate_ns += st.cfg.frame_interval.count();
  self->send(st.sink, next_atom::value);
}

bool has_credit(self_ptr self) {
  auto& st = self->state;
  auto window = st.window == 0 ? st.cfg.max_in_flight
                               : std::min(st.window, st.cfg.max_in_flight);
  return st.in_flight() < window;
}

// Releases what is due (a fill, or the slots of the schedule up to now) and
// arms the timer for the next slot.
void step(self_ptr self) {
  auto& st = self->state;
  if (st.paused)
    return;
  auto now = self->clock().now();
  auto interval = st.cfg.frame_interval;
  auto target = int64_t{st.cfg.buffer_target_ms} * 1000000;
  auto band = st.cfg.band.count();
  // The slots that are due (several only if the timer was late), each
  // judged by the buffer as it was at its slot.
  while (st.next_slot <= now && has_credit(self)) {
    advance_to(self, st.next_slot);
    if (st.estimate_ns < target - band)
      break; // a fill, below
    if (st.estimate_ns <= target + band)
      release(self);
    st.next_slot += interval;
  }
  advance(self);
  if (st.estimate_ns < target - band) {
    // Well below the target: fill it now; the schedule starts afresh.
    while (has_credit(self) && st.estimate_ns < target)
      release(self);
    st.next_slot = now + interval;
  }
  if (!has_credit(self))
    return; // waiting for an ack, not for time: no timer
  if (st.armed_for == st.next_slot)
    return; // already armed for it
  ++st.generation; // any other armed timer is stale now
  st.armed_for = st.next_slot;
  self->delayed_send(self, st.next_slot - now, caf::tick_atom::value,
                     st.generation);
}

} // namespace

frame_pacer_actor::behavior_type
frame_pacer(frame_pacer_actor::stateful_pointer<frame_pacer_state> self,
            pacer_sink sink, pacer_settings cfg) {
  auto& st = self->state;
  st.sink = std::move(sink);
  cfg.max_in_flight = std::max<uint32_t>(1, cfg.max_in_flight);
  cfg.frame_interval = std::max(cfg.frame_interval, caf::timespan{1});
  st.cfg = cfg;
  st.ref = self->clock().now();
  st.next_slot = st.ref + cfg.frame_interval;
  step(self);
  return {
      [=](ack_atom, uint32_t received, uint32_t buffer_ms) {
        auto& st = self->state;
        // Acks for frames before a reset cannot confirm more than was sent.
        st.received = std::max<uint64_t>(
            st.received, std::min<uint64_t>(received, st.released));
        st.estimate_ns = int64_t{buffer_ms} * 1000000 +
                         static_cast<int64_t>(st.in_flight()) *
                             st.cfg.frame_interval.count();
        st.ref = self->clock().now();
        step(self);
      },
      [=](pause_atom) {
        if (self->state.paused)
          return;
        advance(self);
        self->state.paused = true;
        ++self->state.generation;
        self->state.armed_for = caf::actor_clock::time_point::max();
      },
      [=](resume_atom) {
        auto& st = self->state;
        if (!st.paused)
          return;
        st.paused = false;
        st.ref = self->clock().now();
        // The schedule resumes from now: a slot every interval again.
        st.next_slot = st.ref + st.cfg.frame_interval;
        step(self);
      },
      [=](caf::reset_atom) {
        auto& st = self->state;
        st.released = 0;
        st.received = 0;
        st.estimate_ns = 0;
        st.ref = self->clock().now();
        step(self); // a fill: the schedule starts afresh
      },
      [=](window_atom, uint32_t frames) {
        self->state.window = frames;
        step(self); // a wider window may release at once
      },
      [=](caf::tick_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.generation)
          return;
        st.armed_for = caf::actor_clock::time_point::max();
        step(self);
      },
  };
}

} // namespace actors
