#pragma once

// One session per connection: the protocol state machine
//   handshake (TLS, then HELLO) -> joining -> joined -> closing
// over typed messages. Bytes go through one net::frame_channel (TLS and
// framing); limits and back-pressure are value types (net::rate_limit,
// net::input_credit, net::output_backlog); video streams are child actors.
// A session is a (typed) broker without sockets: CAF runs it on the
// multiplexer thread beside its connection broker, so a relayed message
// crosses no thread (docs/decisions.md, 25). Nothing in it blocks: TLS is
// in memory, files and decoding are the catalog's. The connection broker
// only moves bytes:
//   session -> connection: (write_atom, bytes) | (consumed_atom, n) |
//                          close_atom
//   consumed_atom reports input processed; the connection stops reading
//   while more than max_unprocessed_input are not (back-pressure). A
//   session handles at most max_frames_per_turn frames per turn, so the
//   sessions sharing the thread take turns; the rest waits, unreported.
// session -> registry: see actors/registry.hpp
// session -> session: deliver, once the registry handed out the route
// session <-> catalog: video_list_request, play_request (docs/video.md)
// session -> video_stream: video_ack | video_control (by stream id)
// session -> outbound budget: (backlog_atom, self, bytes)
// session <-> deadline wheel: (wake_atom, self, delay) -> idle_atom_t when
//   due; (delete_atom, self) when the session ends

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/typed_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/catalog_actor.hpp"
#include "actors/deadline_wheel.hpp"
#include "actors/messages.hpp"
#include "actors/outbound_budget.hpp"
#include "actors/registry.hpp"
#include "actors/socketless_broker.hpp"
#include "actors/video_stream.hpp"
#include "net/flow_control.hpp"
#include "net/frame_channel.hpp"
#include "net/rate_limit.hpp"

namespace actors {

/// What the dearest frame, a PLAY (a stream actor), costs in frame-budget
/// units: a frame burst must hold one.
constexpr uint32_t play_frame_cost = 32;

/// Limits and timers of every session (named config options).
struct session_settings {
  uint32_t max_frame_size = 131072;
  uint64_t max_outgoing_bytes = 8 << 20;
  double message_rate = 200;
  double message_burst = 400;
  double byte_rate = 1 << 20;  ///< envelope bytes per second
  double byte_burst = 8 << 20; ///< envelope bytes in a burst
  /// Every inbound frame costs budget units (see frame_cost in
  /// session_limits.cpp): a flood of cheap frames (acks, pings, controls) is
  /// bounded like chat.
  double frame_rate = 1000;
  double frame_burst = 2000;
  /// Input read from the socket but not yet processed by the session; the
  /// connection stops reading above this (no mailbox grows without bound).
  uint32_t max_unprocessed_input = 256 << 10;
  /// Frames one session handles before it lets the other sessions on its
  /// thread run (the rest of its input waits for its next turn).
  uint32_t max_frames_per_turn = 64;
  /// Largest frame accepted before WELCOME (HELLO needs a few hundred bytes).
  uint32_t max_prejoin_frame_size = 4096;
  /// A hard deadline from accept to WELCOME; nothing extends it.
  std::chrono::milliseconds handshake_timeout{30000};
  /// After closing, the connection reads and drops input this long so the
  /// reason reaches the client (no reset with unread input).
  std::chrono::milliseconds close_linger{1000};
  /// A reader with queued bytes that drains nothing for this long is closed.
  std::chrono::seconds write_stall_timeout{30};
  /// Where backlogs are reported (server-wide bound); invalid: nowhere.
  outbound_budget_actor budget;
  /// What wakes the session at its deadlines; invalid: the session's own
  /// delayed_send, which keeps a closed session alive until it fires.
  deadline_wheel_actor deadlines;
  std::chrono::seconds idle_timeout{300};
  bool log_frames = false;
  // video
  std::string default_policy = "adaptive";
  stream_settings stream;
  uint32_t max_streams = 2; ///< concurrent playbacks per session
  /// How often a PLAY that waits for a cache build hears how far it is.
  std::chrono::milliseconds wait_notice_interval{5000};
  /// Recipients whose session this one keeps a handle to (monitored), so
  /// messages to them skip the registry; others go through it every time.
  uint32_t max_cached_routes = 64;
  /// Names one KEYS request may ask for.
  uint32_t max_keys_per_request = 256;
};

/// A session's interface: what the registry, the video streams, the
/// outbound budget and the deadline wheel send it (registry_member,
/// video_sink, shed_sink, deadline_sink), plus:
/// - `(recv_atom, bytes)`: connection -> session, bytes read from the socket.
/// - `(sent_atom, n)`: connection -> session, n bytes reached the socket.
/// - `closed_atom`: connection -> session, the peer closed the socket.
/// - `resume_atom`: the session to itself, through the multiplexer's queue:
///   its next turn (input left over from a turn that used up
///   max_frames_per_turn).
/// - `(waiting_atom, stream_id, video)`: the session to itself, every
///   `wait_notice_interval` while that PLAY waits for a cache build.
using session_actor =
    registry_member::extend_with<video_sink, shed_sink, deadline_sink>::extend<
        caf::reacts_to<recv_atom, std::vector<char>>,
        caf::reacts_to<sent_atom, uint64_t>, caf::reacts_to<closed_atom>,
        caf::reacts_to<resume_atom>,
        caf::reacts_to<waiting_atom, uint32_t, std::string>>;

struct session_state {
  enum class phase { handshake, joining, joined, closing };

  explicit session_state(caf::local_actor*) {
    // nop
  }

  std::shared_ptr<const session_settings> settings;
  /// The broker that owns the socket (untyped, as CAF 0.17 forks brokers;
  /// the session reaches it with anon_send).
  caf::actor connection;
  registry_actor registry;
  catalog_actor catalog; ///< may be invalid: no videos served
  std::optional<net::frame_channel> channel; ///< set by the factory
  phase current = phase::handshake;
  std::string user; ///< the joined user's name
  std::string peer; ///< address:port, for log lines
  net::rate_limit messages; ///< SEND frames
  net::token_bucket bytes;  ///< envelope bytes (refusals count as messages')
  net::rate_limit frames;   ///< every frame, weighted by type
  net::input_credit input;
  /// Reads not fed to the channel yet: they wait for a later turn.
  std::deque<std::vector<char>> unread;
  /// Bytes fed to the channel whose frames are not all handled yet (not
  /// reported consumed: they still count against max_unprocessed_input).
  uint64_t unhandled = 0;
  bool turn_posted = false; ///< a resume_atom is on its way
  net::output_backlog output;
  bool overflowed = false; ///< backlog bound hit: closing
  caf::actor_clock::time_point last_activity;
  caf::actor_clock::time_point handshake_deadline; ///< accept + timeout
  /// name -> that user's session, learned from the registry (see
  /// session_routes.cpp); an entry goes when its session is down.
  std::unordered_map<std::string, recipient> routes;
  /// name -> ROUTEs to it that asked the registry for the route and are
  /// not answered yet; while any is out, later ones go the same way.
  std::unordered_map<std::string, uint32_t> route_waits;
  /// When the session is to be woken next (max: not armed).
  caf::actor_clock::time_point wake_at = caf::actor_clock::time_point::max();
  std::map<uint32_t, video_stream_actor> streams; ///< invalid: starting
  uint32_t next_stream_id = 1;
  uint64_t frames_skipped = 0; ///< video frames dropped for a slow reader

  static inline const char* name = "session";
};

/// The implementation type of a session (tests reach its state): a typed
/// broker with the session's interface.
using session_impl =
    caf::stateful_actor<session_state, typed_broker_of<session_actor>>;

/// What a session's handlers get as `self`.
using session_ptr = session_impl*;

/// The session's behavior; spawn it with spawn_session.
session_actor::behavior_type
session(session_ptr self, caf::actor connection, registry_actor registry,
        catalog_actor catalog, std::shared_ptr<const session_settings> settings,
        net::frame_channel channel, std::string peer);

/// Spawns the session of one connection on the multiplexer thread of
/// `sys`'s middleman, speaking through `channel`: a server TLS channel in
/// the server, a plain one in actor-level tests.
session_actor spawn_session(caf::actor_system& sys, caf::actor connection,
                            registry_actor registry, catalog_actor catalog,
                            std::shared_ptr<const session_settings> settings,
                            net::frame_channel channel, std::string peer);

} // namespace actors
