#pragma once

// One video_stream actor per playback: picks the rendition of every frame
// (ABR policy), takes the frame's JPEG bytes from the shared frame store
// and hands them to the client's session, when its frame_pacer says so.
//
// Sink (the session) receives, in this order:
//   net::play_started                 once, first
//   outgoing_video_frame              per frame, indices in timeline order
//   net::video_end                    once, last; then the stream quits
// The session forwards the client's net::video_ack and net::video_control
// to the stream. The stream monitors its sink: a dying session ends it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/detail/stringification_inspector.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/frame_pacer.hpp"
#include "actors/messages.hpp"
#include "net/video_messages.hpp"
#include "videos/abr.hpp"
#include "videos/delivery_meter.hpp"
#include "videos/video_source.hpp"

namespace actors {

/// A frame for the session to write as a net::video_frame, e.g. with
/// net::append_video_frame: the JPEG is shared, never copied or re-encoded.
struct outgoing_video_frame {
  uint32_t stream_id = 0;
  uint32_t segment = 0;
  uint32_t index = 0;
  uint16_t height = 0;
  uint64_t pts_us = 0;
  video::jpeg_ptr jpeg;

  friend bool operator==(const outgoing_video_frame& x,
                         const outgoing_video_frame& y) {
    auto same_bytes =
        x.jpeg == y.jpeg || (x.jpeg && y.jpeg && *x.jpeg == *y.jpeg);
    return x.stream_id == y.stream_id && x.segment == y.segment &&
           x.index == y.index &&
           x.height == y.height && x.pts_us == y.pts_us && same_bytes;
  }
};

/// Serializes the JPEG bytes; prints only their size.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, outgoing_video_frame& x) {
  auto name = caf::meta::type_name("outgoing_video_frame");
  if constexpr (std::is_same<Inspector,
                             caf::detail::stringification_inspector>::value) {
    auto size = std::to_string(x.jpeg ? x.jpeg->size() : 0) + " bytes";
    return f(name, x.stream_id, x.segment, x.index, x.height, x.pts_us, size);
  } else if constexpr (Inspector::reads_state) {
    auto bytes = x.jpeg ? *x.jpeg : std::vector<char>{};
    return f(name, x.stream_id, x.segment, x.index, x.height, x.pts_us, bytes);
  } else {
    auto bytes = std::make_shared<std::vector<char>>();
    auto done = caf::meta::load_callback([&]() -> caf::error {
      x.jpeg = bytes;
      return caf::none;
    });
    return f(name, x.stream_id, x.segment, x.index, x.height, x.pts_us, *bytes, done);
  }
}

/// What a video_stream talks to: the client's session.
using video_sink = caf::typed_actor<caf::reacts_to<net::play_started>,
                                    caf::reacts_to<outgoing_video_frame>,
                                    caf::reacts_to<net::video_end>>;

/// The stream's interface: `next_atom` from its pacer; acks and controls
/// forwarded by the session (other stream ids are ignored).
using video_stream_actor =
    caf::typed_actor<caf::reacts_to<next_atom>, caf::reacts_to<net::video_ack>,
                     caf::reacts_to<net::video_control>>;

/// Tuning of one playback.
struct stream_settings {
  /// Client buffer to fill before pacing at the native rate.
  uint32_t buffer_target_ms = 1500;
  /// Un-acked frames allowed; 0 = twice the target's frames (>= 8).
  uint32_t max_in_flight = 60;
  /// Hard upper bound of `max_in_flight` (untrusted requests).
  uint32_t max_in_flight_cap = 500;
  /// A PLAY's non-zero `buffer_target_ms` replaces the target, clamped to
  /// these bounds (untrusted requests).
  uint32_t min_requested_buffer_ms = 200;
  uint32_t max_requested_buffer_ms = 10000;
  /// ABR tuning; its buffer marks are derived from the target (low =
  /// target / 4, high = 3 / 4 target): the pacer holds the buffer there.
  video::abr_settings abr;
};

/// State of a video_stream.
struct video_stream_state {
  static const char* name;

  video_sink sink;
  uint32_t id = 0;
  video::video_source_ptr source;
  std::optional<video::abr_policy> abr;
  frame_pacer_actor pacer;
  uint32_t next = 0;          ///< timeline index of the next frame
  uint32_t frames_sent = 0;   ///< in total
  /// 0 from PLAY, then the client's number of the last seek (they only
  /// grow; frames carry it, acks and seeks must match or exceed it).
  uint32_t segment = 0;
  uint32_t segment_start = 0; ///< first index since the last seek
  uint32_t segment_sent = 0;  ///< frames sent since the last seek
  bool have_ack = false;      ///< since the last seek
  net::video_ack last_ack;
  /// The link's capacity from this segment's acks, for the policy.
  video::delivery_meter meter;
  uint32_t capacity_kbps = 0; ///< the meter's last sample
  caf::actor_clock::time_point capacity_at;
  uint32_t window = 0; ///< the pacer's window as last sent (0 = its own)
  bool done = false;
};

/// Spawns a playback; typically `self->spawn(video_stream, ...)` by the
/// session after the catalog resolved `source`. A policy the source cannot
/// serve (e.g. fixed:480 without a 480p rendition) ends the stream at once
/// with a video_end of reason error.
video_stream_actor::behavior_type
video_stream(video_stream_actor::stateful_pointer<video_stream_state> self,
             video_sink sink, uint32_t stream_id,
             video::video_source_ptr source, video::policy_spec policy,
             stream_settings settings);

/// The pacing of a playback at `fps_milli` frames per 1000 s under `s`:
/// the native interval, the buffer target (at least 1 ms) and the window
/// (`max_in_flight`, or twice the target's frames and at least 8 for 0;
/// at most `max_in_flight_cap`).
pacer_settings make_pacer_settings(const stream_settings& s,
                                   uint32_t fps_milli);

/// The ABR policy of `source` for `policy`, or why there is none (for a
/// session that wants to refuse a play request before spawning).
[[nodiscard]] net::result<video::abr_policy>
make_abr(const video::video_source& source, const video::policy_spec& policy,
         const video::abr_settings& s = {});

} // namespace actors
