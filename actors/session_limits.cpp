// What a client may send: the frame budget (every frame costs), the chat
// budgets of SEND (messages and envelope bytes), and the handshake, idle
// and write-stall deadlines.

#include <algorithm>

#include <caf/all.hpp>

#include "actors/session_detail.hpp"

namespace actors {

namespace {

/// What a frame of `type` costs in frame-budget units: roughly the work
/// and output it causes. SEND is paid by the chat budgets instead (its
/// refusals name the message id); QUIT is free.
double frame_cost(uint8_t type) {
  switch (type) {
  case net::send_message::wire_type:
  case net::quit::wire_type:
    return 0;
  case net::video_control::wire_type:
    return 4;
  case net::video_list_request::wire_type:
  case net::keys_request::wire_type: // registry lookups
  case net::hello::wire_type:        // a signature check
    return 16;
  case net::play_request::wire_type:
    return play_frame_cost;
  default: // ping, ack, anything else
    return 1;
  }
}

using time_point = caf::actor_clock::time_point;

/// The earliest deadline that applies now (max: none).
time_point next_deadline(session_ptr self) {
  auto& st = self->state;
  auto& cfg = *st.settings;
  auto next = time_point::max();
  if (st.current == session_state::phase::handshake ||
      st.current == session_state::phase::joining)
    next = st.handshake_deadline;
  if (cfg.idle_timeout.count() > 0)
    next = std::min(next, st.last_activity + cfg.idle_timeout);
  if (cfg.write_stall_timeout.count() > 0 && st.output.size() > 0)
    next = std::min(next, st.output.last_progress() + cfg.write_stall_timeout);
  return next;
}

} // namespace

// Over budget a frame is dropped: the first drop in a row says so, later
// ones are silent, and a client that keeps flooding past the burst is
// disconnected with the reason.
bool charge_frame(session_ptr self, uint8_t type) {
  auto& st = self->state;
  switch (st.frames.charge(frame_cost(type), self->clock().now())) {
  case net::rate_limit::verdict::pass:
    return true;
  case net::rate_limit::verdict::refuse:
    if (st.frames.strikes() == 1)
      emit_error(self, net::errc::rate_limited,
                 "too many frames: dropping them until you slow down", false);
    return false;
  case net::rate_limit::verdict::cut_off:
    emit_error(self, net::errc::rate_limited,
               "disconnected: flooding (limit " +
                   std::to_string(static_cast<uint64_t>(st.frames.rate())) +
                   " frame units/s)",
               true);
    return false;
  }
  return false;
}

bool charge_send(session_ptr self, const net::send_message& msg) {
  auto& st = self->state;
  auto& cfg = *st.settings;
  auto now = self->clock().now();
  auto size = static_cast<double>(msg.envelope.size());
  st.bytes.refill(now);
  auto verdict = st.bytes.has(size) ? st.messages.charge(1, now)
                                    : st.messages.refuse();
  switch (verdict) {
  case net::rate_limit::verdict::pass:
    st.bytes.take(size);
    return true;
  case net::rate_limit::verdict::refuse:
    emit_error(self, net::errc::rate_limited,
               "message to '" + msg.to +
                   "' dropped: sending too fast, slow down",
               false, msg.id);
    return false;
  case net::rate_limit::verdict::cut_off:
    emit_error(self, net::errc::rate_limited,
               "disconnected: sending too much (limits " +
                   std::to_string(cfg.message_rate) + " messages/s, " +
                   std::to_string(cfg.byte_rate) + " bytes/s)",
               true);
    return false;
  }
  return false;
}

void start_deadlines(session_ptr self) {
  auto& st = self->state;
  // One deadline from accept to WELCOME; nothing extends it.
  st.handshake_deadline = self->clock().now() + st.settings->handshake_timeout;
  if (auto& wheel = st.settings->deadlines)
    self->attach_functor([wheel, addr = self->address()] {
      caf::anon_send(wheel, caf::delete_atom::value, addr);
    });
  schedule_deadlines(self);
}

// Only an earlier deadline is armed: one that moved later (every write
// moves the write-stall deadline) is found when the armed one is due, and
// check_deadlines arms the next. So a busy session asks for a wake-up about
// once per write-stall timeout, not once per frame.
void schedule_deadlines(session_ptr self) {
  auto& st = self->state;
  auto next = next_deadline(self);
  if (next >= st.wake_at || st.current == session_state::phase::closing)
    return;
  st.wake_at = next;
  auto delay = std::max(caf::timespan{0}, next - self->clock().now());
  if (auto& wheel = st.settings->deadlines)
    self->send(wheel, wake_atom::value, deadline_sink{self}, delay);
  else
    self->delayed_send(self, delay, idle_atom_t::value);
}

void rearm_deadlines(session_ptr self) {
  self->state.wake_at = time_point::max();
  schedule_deadlines(self);
}

void check_deadlines(session_ptr self) {
  auto& st = self->state;
  auto& cfg = *st.settings;
  auto now = self->clock().now();
  // Woken before the armed time: an own timer that a later one replaced
  // (the wheel replaces instead, and wakes nobody early).
  if (now < st.wake_at)
    return;
  st.wake_at = time_point::max();
  bool joining = st.current == session_state::phase::handshake ||
                 st.current == session_state::phase::joining;
  if (joining && now >= st.handshake_deadline) {
    if (!st.channel->established())
      return close(self, "TLS handshake timeout");
    return emit_error(self, net::errc::protocol, "handshake timeout", true);
  }
  if (cfg.write_stall_timeout.count() > 0 &&
      st.output.stalled(now, cfg.write_stall_timeout))
    return emit_error(self, net::errc::overloaded,
                      "disconnected: you stopped reading (nothing of " +
                          std::to_string(st.output.size()) +
                          " queued bytes taken for " +
                          std::to_string(cfg.write_stall_timeout.count()) +
                          " s)",
                      true);
  if (cfg.idle_timeout.count() > 0 &&
      now - st.last_activity >= cfg.idle_timeout)
    return emit_error(self, net::errc::protocol,
                      "idle for too long; send PING to stay connected", true);
  schedule_deadlines(self);
}

} // namespace actors
