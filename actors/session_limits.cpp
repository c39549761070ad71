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

/// How often the deadlines (handshake, idle, write stall) are checked. CAF's
/// clock holds a strong reference to the receiver of a pending timer, so one
/// long timer would keep a closed session in memory until it fires (the
/// 30 s handshake deadline did); short checks bound that to 10 s. Each check
/// arms the next one no later than the nearest deadline.
caf::timespan check_period(const session_settings& cfg) {
  caf::timespan period = std::chrono::seconds{10};
  if (cfg.idle_timeout.count() > 0)
    period = std::min(period, caf::timespan{cfg.idle_timeout});
  if (cfg.write_stall_timeout.count() > 0)
    period = std::min(period, caf::timespan{cfg.write_stall_timeout} / 2);
  return period;
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
  auto& cfg = *st.settings;
  // One deadline from accept to WELCOME; nothing extends it.
  st.handshake_deadline = self->clock().now() + cfg.handshake_timeout;
  self->delayed_send(self,
                     std::min(check_period(cfg),
                              caf::timespan{cfg.handshake_timeout}),
                     idle_atom_t::value);
}

void check_deadlines(session_ptr self) {
  auto& st = self->state;
  auto& cfg = *st.settings;
  auto now = self->clock().now();
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
  // Next check: the period, or sooner if a deadline falls before it.
  caf::timespan next = check_period(cfg);
  if (joining)
    next = std::min(next, caf::timespan{st.handshake_deadline - now});
  if (cfg.idle_timeout.count() > 0)
    next = std::min(next, caf::timespan{cfg.idle_timeout -
                                        (now - st.last_activity)});
  if (cfg.write_stall_timeout.count() > 0 && st.output.size() > 0)
    next = std::min(next, caf::timespan{cfg.write_stall_timeout -
                                        (now - st.output.last_progress())});
  self->delayed_send(self, next, idle_atom_t::value);
}


} // namespace actors
