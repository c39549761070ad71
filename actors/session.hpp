#pragma once

// One session per connection: the protocol state machine
//   handshake (TLS, then HELLO) -> joined -> closing
// It owns the connection's TLS channel and frame decoder, so the broker
// (on CAF's single multiplexer thread) only moves bytes.
//
// connection -> session: (recv_atom, bytes) | (sent_atom, n) | closed_atom
// session -> connection: (write_atom, bytes) | (consumed_atom, n) | close_atom
//   consumed_atom reports input bytes processed; the connection stops
//   reading while more than max_unprocessed_input are not (back-pressure).
// session <-> registry:  see actors/registry.hpp
// registry -> session:   shared_frame | deliver | error_frame
// session <-> catalog:    video_list_request, play_request (docs/video.md)
// video_stream -> session: play_started | outgoing_video_frame | video_end
// session <-> outbound budget: (backlog_atom, self, bytes) | shed_atom
// session -> video_stream: video_ack | video_control (by stream id)

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/catalog_actor.hpp"
#include "actors/messages.hpp"
#include "actors/outbound_budget.hpp"
#include "actors/video_stream.hpp"
#include "net/frame.hpp"
#include "net/tls_channel.hpp"
#include "net/token_bucket.hpp"

namespace actors {

/// Limits and timers of every session (named config options).
struct session_settings {
  uint32_t max_frame_size = 131072;
  uint64_t max_outgoing_bytes = 8 << 20;
  double message_rate = 200;
  double message_burst = 400;
  double byte_rate = 1 << 20;  ///< envelope bytes per second
  double byte_burst = 8 << 20; ///< envelope bytes in a burst
  /// Every inbound frame costs budget units (see frame_cost in session.cpp):
  /// a flood of cheap frames (acks, pings, controls) is bounded like chat.
  double frame_rate = 1000;
  double frame_burst = 2000;
  /// Input read from the socket but not yet processed by the session; the
  /// connection stops reading above this (no mailbox grows without bound).
  uint32_t max_unprocessed_input = 256 << 10;
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
  std::chrono::seconds idle_timeout{300};
  bool log_frames = false;
  // video
  std::string default_policy = "adaptive";
  stream_settings stream;
  uint32_t max_streams = 2; ///< concurrent playbacks per session
};

struct session_state {
  enum class phase { handshake, joining, joined, closing };

  explicit session_state(caf::local_actor*) : decoder(0) {
    // nop
  }

  std::shared_ptr<const session_settings> settings;
  caf::actor connection;
  caf::actor registry;
  catalog_actor catalog; ///< may be invalid: no videos served
  std::map<uint32_t, video_stream_actor> streams;
  uint32_t next_stream_id = 1;
  uint64_t frames_skipped = 0; ///< video frames dropped for a slow reader
  std::optional<net::tls_channel> tls; ///< empty only in plain test mode
  net::frame_decoder decoder;
  phase current = phase::handshake;
  std::string name;
  std::string peer;          ///< for log lines
  uint64_t bytes_queued = 0; ///< handed to the connection
  uint64_t bytes_sent = 0;   ///< confirmed written to the socket
  net::token_bucket messages;  ///< SEND frames
  net::token_bucket bytes;     ///< envelope bytes
  net::token_bucket frames;    ///< every frame, weighted by type
  uint32_t strikes = 0;        ///< messages refused by the rate limit in a row
  uint32_t frame_strikes = 0;  ///< frames dropped over budget in a row
  uint64_t unreported_input = 0; ///< processed, not yet told the connection
  uint64_t reported_backlog = 0; ///< last told the outbound budget
  bool overflowed = false; ///< backlog bound hit: closing
  caf::actor_clock::time_point last_activity;
  caf::actor_clock::time_point last_progress; ///< the socket took bytes

  uint64_t backlog() const {
    return bytes_queued - bytes_sent;
  }

  static inline const char* name_ = "session";
};

using session_actor = caf::stateful_actor<session_state>;

/// Spawns the session of one connection. Without `tls` the session speaks
/// plain frames (actor-level tests only; the server always passes TLS).
caf::behavior session(session_actor* self, caf::actor connection,
                      caf::actor registry, catalog_actor catalog,
                      std::shared_ptr<const session_settings> settings,
                      std::optional<net::tls_context> tls, std::string peer);

} // namespace actors
