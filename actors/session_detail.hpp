#pragma once

// The parts of a session, one concept per source file, over the state in
// actors/session.hpp:
// - session_output.cpp: what a session writes to its client and how much it
//   may: every frame goes through the frame channel to the connection,
//   counted in the output backlog; others' messages and video yield to a
//   slow reader (fair outbound); a reader that stops reading is closed.
// - session_limits.cpp: what a client may send: the frame and chat budgets,
//   the idle and write-stall deadlines.
// - session_video.cpp: the session's playbacks.
// - session_routes.cpp: where a SEND goes: through the registry until it
//   hands out the recipient's session, then straight to that session.
// - session_keys.cpp: the keys of named users, from the registry.
// session.cpp is the protocol state machine that uses them.

#include <string>
#include <type_traits>
#include <vector>

#include "actors/session.hpp"
#include "net/error.hpp"

namespace actors {

/// Hands what the channel has to send to the connection, counting it.
void flush_output(session_ptr self);

/// Queues pre-encoded frames (encode once, fan out) and flushes.
void emit_bytes(session_ptr self, const char* data, size_t size);

/// Queues one frame and flushes.
template <class T>
void emit(session_ptr self, const T& msg) {
  if (self->state.current == session_state::phase::closing)
    return;
  self->state.channel->send(msg);
  flush_output(self);
}

/// Sends an ERROR frame; a fatal one closes the session.
void emit_error(session_ptr self, net::errc code, std::string text, bool fatal,
                uint32_t ref = 0);

/// Ends the session: TLS close_notify, then the connection flushes and
/// closes the socket, and this actor quits.
void close(session_ptr self, const std::string& why);

/// Tells the server-wide budget about the backlog when it moved by a
/// granule or drained: a reader that keeps up costs no message.
void report_backlog(session_ptr self);

/// Writes another user's message unless this reader's backlog is full; then
/// the sender hears recipient_busy (ref = id) and this reader stays.
void relay(session_ptr self, const net::deliver& msg, const error_sink& sender,
           uint32_t id);

/// Writes a video frame unless the reader is behind (then it is skipped:
/// video yields to chat).
void emit_video_frame(session_ptr self, const outgoing_video_frame& f);

/// The first `n` bytes of `xs` in hex (frame logging).
std::string hex_prefix(const std::vector<char>& xs, size_t n);

// -- what a client may send (actors/session_limits.cpp) -----------------------

/// Charges a frame of `type` to the frame budget; false: drop it (the
/// client is told once, and cut off when it keeps flooding).
[[nodiscard]] bool charge_frame(session_ptr self, uint8_t type);

/// Charges a SEND to the chat budgets (one message, its envelope bytes);
/// false: refused (the client is told, with the message id).
[[nodiscard]] bool charge_send(session_ptr self, const net::send_message& msg);

/// Starts the handshake deadline and arms the first wake.
void start_deadlines(session_ptr self);

/// Arms the wake at the earliest deadline that applies now (handshake,
/// idle, write stall) unless a wake is armed for then or earlier. Call when a
/// deadline moved earlier or one ended; a deadline that moved later (new
/// activity, progress) is found when the wake comes.
void schedule_deadlines(session_ptr self);

/// The armed deadline is over without being due (the handshake deadline at
/// the join): arms the next one now instead of waking for nothing.
void rearm_deadlines(session_ptr self);

/// On a wake: closes the session past a deadline, else arms the next wake.
void check_deadlines(session_ptr self);

// -- where messages go (actors/session_routes.cpp) ----------------------------

/// Sends an admitted SEND on: straight to the recipient's session when its
/// route is known, else through the registry (asking for the route while
/// there is room to keep it).
void route_send(session_ptr self, net::send_message& msg);

/// The registry's answer to a ROUTE that asked for the route.
void learn_route(session_ptr self, const std::string& name,
                 const recipient& route);

/// A session this one routes to is down: its route goes.
void forget_route(session_ptr self, const caf::actor_addr& who);

// -- keys of other users (actors/session_keys.cpp) ----------------------------

/// Answers KEYS_REQUEST from the registry (at most max_keys_per_request
/// names; more is refused, non-fatal).
void request_keys(session_ptr self, net::keys_request& msg);

// -- the session's playbacks (actors/session_video.cpp) -----------------------

/// Answers VIDEO_LIST from the catalog.
void list_videos(session_ptr self);

/// Starts a stream for PLAY, within the per-session limit.
void start_playback(session_ptr self, net::play_request req);

/// While the PLAY of `stream_id` waits for a cache build, asks the catalog
/// how far it is, writes PLAY_WAITING and asks again after
/// `wait_notice_interval`.
void poll_waiting(session_ptr self, uint32_t stream_id,
                  const std::string& video);

/// Ends a PLAY that waits for the catalog: VIDEO_END stopped.
void cancel_waiting(session_ptr self, uint32_t stream_id);

/// Hands an ack or control to the stream it names (not_found otherwise).
template <class T>
void forward_to_stream(session_ptr self, uint32_t stream_id, const T& msg) {
  auto& streams = self->state.streams;
  auto i = streams.find(stream_id);
  // Ids are handed out in order from 1: one below the next that is not in
  // the table has ended, and acks and controls that crossed its VIDEO_END
  // on the wire are ignored, silently.
  if (i == streams.end() && stream_id != 0 &&
      stream_id < self->state.next_stream_id)
    return;
  if (i == streams.end()) // never handed out
    return emit_error(self, net::errc::not_found,
                      "no playback with id " + std::to_string(stream_id),
                      false);
  if (!i->second) {
    // Its PLAY waits for the catalog (PLAY_WAITING named the id): a stop
    // cancels it; anything else has nothing to act on yet.
    if constexpr (std::is_same_v<T, net::video_control>)
      if (msg.op == static_cast<uint8_t>(net::video_op::stop))
        cancel_waiting(self, stream_id);
    return;
  }
  self->send(i->second, msg);
}

} // namespace actors
