#include "actors/frame_pacer.hpp"

#include <algorithm>

namespace actors {

const char* frame_pacer_state::name = "frame_pacer";

namespace {

using self_ptr = frame_pacer_actor::stateful_pointer<frame_pacer_state>;

// Drains the modeled client buffer up to now (playback runs in real time
// unless paused).
void advance(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (!st.paused) {
    auto played =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - st.ref)
            .count();
    st.estimate_ns = std::max<int64_t>(0, st.estimate_ns - played);
  }
  st.ref = now;
}

// Releases what is due and arms the timer for the next due frame.
void step(self_ptr self) {
  auto& st = self->state;
  if (st.paused)
    return;
  advance(self);
  auto interval = st.cfg.frame_interval.count();
  auto target = int64_t{st.cfg.buffer_target_ms} * 1000000;
  while (st.in_flight() < st.cfg.max_in_flight && st.estimate_ns < target) {
    ++st.released;
    st.estimate_ns += interval;
    self->send(st.sink, next_atom::value);
  }
  ++st.generation; // any armed timer is stale now
  if (st.in_flight() >= st.cfg.max_in_flight)
    return; // the next ack re-enters step
  // The buffer is at or above target: wake when it has drained one frame
  // below it, i.e. at the native interval in steady state.
  auto delay = caf::timespan{st.estimate_ns - target + interval};
  self->delayed_send(self, delay, caf::tick_atom::value, st.generation);
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
      },
      [=](resume_atom) {
        auto& st = self->state;
        if (!st.paused)
          return;
        st.paused = false;
        st.ref = self->clock().now();
        step(self);
      },
      [=](caf::reset_atom) {
        auto& st = self->state;
        st.released = 0;
        st.received = 0;
        st.estimate_ns = 0;
        st.ref = self->clock().now();
        ++st.generation;
        step(self);
      },
      [=](caf::tick_atom, uint64_t generation) {
        if (generation == self->state.generation)
          step(self);
      },
  };
}

} // namespace actors
