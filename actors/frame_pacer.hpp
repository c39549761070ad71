#pragma once

// The frame pacer decides *when* a playback sends its next frame. It models
// the client's playout buffer (media time released minus time played,
// corrected by every ack) and releases frames
//   - as fast as credits allow while the buffer is well below its target
//     (start, seek, a client that fell behind): filling it to the target,
//   - otherwise one frame per slot of a fixed schedule at the native frame
//     interval (slot k at anchor + k * interval, never re-based on acks),
//     skipping a slot only while the client is well above the target,
//   - never with more than `max_in_flight` frames un-acked.
// "Well" is `band` either side of the target: acks are noisy (a client's
// buffer counts whole frames, the one on screen not at all), and a pacer
// that answered each low ack with a frame sent frames in pairs. Time comes
// from the actor clock (delayed_send), so the test coordinator's virtual
// time drives it.

#include <cstdint>

#include <caf/actor_clock.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/messages.hpp"

namespace actors {

/// Who receives the pacer's releases: one `next_atom` per frame to send.
using pacer_sink = caf::typed_actor<caf::reacts_to<next_atom>>;

/// The pacer's interface.
/// - `(ack_atom, received, buffer_ms)`: the client holds `received` of the
///   frames released since the last reset, and `buffer_ms` of media.
/// - `pause_atom` / `resume_atom`: stop / restart releasing.
/// - `reset_atom`: after a seek: the client starts from an empty buffer.
/// - `(window_atom, frames)`: at most `frames` un-acked from now on (the
///   link's measured capacity in frames of the current rendition), never
///   more than `max_in_flight`; 0 = `max_in_flight` again.
/// - `(tick_atom, generation)`: its own timer.
using frame_pacer_actor =
    caf::typed_actor<caf::reacts_to<ack_atom, uint32_t, uint32_t>,
                     caf::reacts_to<pause_atom>, caf::reacts_to<resume_atom>,
                     caf::reacts_to<caf::reset_atom>,
                     caf::reacts_to<window_atom, uint32_t>,
                     caf::reacts_to<caf::tick_atom, uint64_t>>;

/// Pacing parameters of one playback. No defaults of their own: a
/// video_stream derives them from its stream_settings and the video's
/// frame rate (make_pacer_settings in actors/video_stream.hpp).
struct pacer_settings {
  caf::timespan frame_interval{0}; ///< the native one (at least 1 ns)
  uint32_t buffer_target_ms = 0;
  /// Bound on frames released but not acknowledged (at least 1).
  uint32_t max_in_flight = 0;
  /// How far the modeled buffer may stray from the target before the pacer
  /// leaves the schedule (fills below target - band, skips slots above
  /// target + band).
  caf::timespan band{0};
};

/// The band for a frame interval and buffer target: three frames or an
/// eighth of the target, whichever is more, but at most half the target
/// (so a fill still happens from an empty buffer).
caf::timespan default_pacer_band(caf::timespan frame_interval,
                                 uint32_t buffer_target_ms);

/// State of a frame_pacer.
struct frame_pacer_state {
  static const char* name;

  pacer_sink sink;
  pacer_settings cfg;
  uint64_t released = 0;   ///< since the last reset
  uint64_t received = 0;   ///< of those, confirmed by the client
  int64_t estimate_ns = 0; ///< client buffer at `ref`
  caf::actor_clock::time_point ref;
  /// The schedule's next slot.
  caf::actor_clock::time_point next_slot;
  /// The slot the armed timer is for (max: none armed).
  caf::actor_clock::time_point armed_for = caf::actor_clock::time_point::max();
  bool paused = false;
  uint32_t window = 0; ///< narrowed by the stream; 0 = max_in_flight
  uint64_t generation = 0; ///< of the armed timer; older ticks are stale

  /// Frames released but not yet confirmed.
  uint64_t in_flight() const {
    return released > received ? released - received : 0;
  }
};

/// Spawns as `spawn<linked>(frame_pacer, sink, settings)` from the
/// video_stream it paces; starts releasing at once.
frame_pacer_actor::behavior_type
frame_pacer(frame_pacer_actor::stateful_pointer<frame_pacer_state> self,
            pacer_sink sink, pacer_settings cfg);

} // namespace actors
