#pragma once

// One session per connection: the protocol state machine
//   handshake (TLS, then HELLO) -> joined -> closing
// It owns the connection's TLS channel and frame decoder, so the broker
// (on CAF's single multiplexer thread) only moves bytes.
//
// connection -> session: (recv_atom, bytes) | (sent_atom, n) | closed_atom
// session -> connection: (write_atom, bytes) | close_atom
// session <-> registry:  see actors/registry.hpp
// registry -> session:   shared_frame | deliver | error_frame
// session <-> catalog:    video_list_request, play_request (docs/video.md)
// video_stream -> session: play_started | outgoing_video_frame | video_end
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
#include "actors/video_stream.hpp"
#include "net/frame.hpp"
#include "net/tls_channel.hpp"

namespace actors {

/// Limits and timers of every session (named config options).
struct session_settings {
  uint32_t max_frame_size = 131072;
  uint64_t max_outgoing_bytes = 8 << 20;
  double message_rate = 200;
  double message_burst = 400;
  double byte_rate = 1 << 20;  ///< envelope bytes per second
  double byte_burst = 8 << 20; ///< envelope bytes in a burst
  std::chrono::milliseconds handshake_timeout{10000};
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
  double tokens = 0;         ///< messages the session may send now
  double byte_tokens = 0;    ///< envelope bytes the session may send now
  caf::actor_clock::time_point last_refill;
  uint32_t strikes = 0; ///< messages refused by the rate limit in a row
  uint32_t handshake_generation = 0;
  bool overflowed = false; ///< backlog bound hit: closing
  caf::actor_clock::time_point last_activity;

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
