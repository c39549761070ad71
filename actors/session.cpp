#include "actors/session.hpp"

#include <algorithm>
#include <cstdio>

#include <caf/all.hpp>

#include "net/crypto.hpp"
#include "net/error.hpp"
#include "net/log.hpp"
#include "net/messages.hpp"
#include "net/video_messages.hpp"
#include "videos/abr.hpp"

namespace actors {

namespace {

using phase = session_state::phase;

std::string hex_prefix(const std::vector<char>& xs, size_t n) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < std::min(n, xs.size()); ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<uint8_t>(xs[i]));
    out += buf;
  }
  return out;
}

/// Ends the session: TLS close_notify, then the connection flushes and
/// closes the socket, and this actor quits.
void close(session_actor* self, const std::string& why) {
  auto& st = self->state;
  if (st.current == phase::closing)
    return;
  CHAT_LOG(info, "closing " << st.peer
                            << (st.name.empty() ? "" : " (" + st.name + ")")
                            << ": " << why);
  st.current = phase::closing;
  if (st.tls) {
    st.tls->close();
    std::vector<char> out;
    st.tls->take_output(out);
    if (!out.empty())
      self->send(st.connection, write_atom::value, std::move(out));
  }
  self->send(st.connection, caf::close_atom::value);
  // Done: the connection flushes what we sent and closes the socket; the
  // registry sees our down_msg if QUIT did not already remove us.
  self->quit();
}

void emit_error(session_actor* self, net::errc code, std::string text,
                bool fatal, uint32_t ref = 0);

/// Tells the server-wide budget about the backlog when it moved by a
/// granule or drained: a reader that keeps up costs no message.
void report_backlog(session_actor* self) {
  auto& st = self->state;
  if (!st.settings->budget)
    return;
  auto now = st.backlog();
  auto before = st.reported_backlog;
  auto moved = now > before ? now - before : before - now;
  if (moved >= backlog_report_granule || (now == 0 && before != 0)) {
    st.reported_backlog = now;
    self->send(st.settings->budget, backlog_atom::value, caf::actor{self}, now);
  }
}

/// Encrypts (unless in plain test mode) and hands bytes to the connection.
void emit_bytes(session_actor* self, const char* data, size_t size) {
  auto& st = self->state;
  if (st.current == phase::closing)
    return;
  std::vector<char> out;
  if (st.tls) {
    st.tls->write(data, size);
    st.tls->take_output(out);
  } else {
    out.assign(data, data + size);
  }
  if (out.empty())
    return;
  if (st.backlog() == 0) // the stall clock starts with the first queued byte
    st.last_progress = self->clock().now();
  st.bytes_queued += out.size();
  self->send(st.connection, write_atom::value, std::move(out));
  report_backlog(self);
  // Others' chat stops at max_outgoing_bytes (senders hear recipient_busy)
  // and video at half of it, so only what this client causes itself (its
  // replies) or the directory can pass twice the bound.
  if (st.backlog() > 2 * st.settings->max_outgoing_bytes && !st.overflowed) {
    // The reason goes last in the queue: a client that resumes reading
    // learns why it was dropped.
    st.overflowed = true;
    emit_error(self, net::errc::overloaded,
               "disconnected: you stopped reading (" +
                   std::to_string(st.backlog()) + " bytes unsent)",
               true);
  }
}

template <class T>
void emit(session_actor* self, const T& msg) {
  auto buf = net::encode_frame(msg);
  emit_bytes(self, buf.data(), buf.size());
}

void emit_error(session_actor* self, net::errc code, std::string text,
                bool fatal, uint32_t ref) {
  emit(self, net::error_frame{static_cast<uint8_t>(code), ref, fatal, text});
  if (fatal)
    close(self, text);
}

/// Takes one message and `size` bytes from the session's two chat
/// buckets; false (taking nothing) when either is short.
bool take_tokens(session_actor* self, size_t size) {
  auto& st = self->state;
  auto now = self->clock().now();
  st.messages.refill(now);
  st.bytes.refill(now);
  auto n = static_cast<double>(size);
  if (!st.messages.has(1) || !st.bytes.has(n))
    return false;
  st.messages.take(1);
  st.bytes.take(n);
  return true;
}

/// What a frame of `type` costs in frame-budget units: roughly the work
/// and output it causes. SEND is paid by the chat buckets instead (its
/// refusals name the message id); QUIT is free.
double frame_cost(uint8_t type) {
  switch (type) {
  case net::send_message::wire_type:
  case net::quit::wire_type:
    return 0;
  case net::ping::wire_type:
  case net::video_ack::wire_type:
    return 1;
  case net::video_control::wire_type:
    return 4;
  case net::video_list_request::wire_type:
    return 16;
  case net::hello::wire_type: // a signature check
    return 16;
  case net::play_request::wire_type: // a stream actor
    return 32;
  default:
    return 1;
  }
}

/// Charges `f` to the frame budget. Over budget the frame is dropped: the
/// first drop in a row says so, later ones are silent, and a client that
/// keeps flooding past the burst is disconnected with the reason.
bool charge_frame(session_actor* self, const net::frame& f) {
  auto& st = self->state;
  auto cost = frame_cost(f.type);
  if (cost == 0 || st.frames.try_take(cost, self->clock().now())) {
    // Drops are forgiven only once the client has slowed down (half the
    // burst is back): a flooder whose frames trickle through as tokens
    // accrue must not reset its count with each one.
    if (st.frames.has(st.settings->frame_burst / 2))
      st.frame_strikes = 0;
    return true;
  }
  auto& cfg = *st.settings;
  if (++st.frame_strikes > cfg.frame_burst) {
    emit_error(self, net::errc::rate_limited,
               "disconnected: flooding (limit " +
                   std::to_string(static_cast<uint64_t>(cfg.frame_rate)) +
                   " frame units/s)",
               true);
  } else if (st.frame_strikes == 1) {
    emit_error(self, net::errc::rate_limited,
               "too many frames: dropping them until you slow down", false);
  }
  return false;
}

/// How often the idle and write-stall deadlines are checked. CAF's clock
/// holds a strong reference to the receiver of a pending timer, so one long
/// timer would keep a closed session in memory until it fires; short checks
/// bound that to 10 s. The check period bounds how late a deadline is seen.
caf::timespan check_period(const session_settings& cfg) {
  caf::timespan period = std::chrono::seconds{10};
  if (cfg.idle_timeout.count() > 0)
    period = std::min(period, caf::timespan{cfg.idle_timeout});
  if (cfg.write_stall_timeout.count() > 0)
    period = std::min(period, caf::timespan{cfg.write_stall_timeout} / 2);
  return period;
}

void handle_hello(session_actor* self, const net::frame& f) {
  auto& st = self->state;
  auto msg = net::decode_payload<net::hello>(f);
  if (!msg)
    return emit_error(self, net::errc::protocol, net::describe(msg.error()),
                      true);
  if (msg->version != net::protocol_version)
    return emit_error(self, net::errc::bad_version,
                      "unsupported protocol version " +
                          std::to_string(msg->version) + " (server speaks " +
                          std::to_string(net::protocol_version) + ")",
                      true);
  if (!net::is_valid_ed25519_public(msg->ed25519_key) ||
      msg->proof.size() != 64 || !net::is_valid_x25519_public(msg->x25519_key))
    return emit_error(self, net::errc::bad_key,
                      "invalid public key (need 32-byte X25519 and Ed25519 "
                      "keys, not of small order)",
                      true);
  net::bytes binding;
  if (st.tls) {
    auto b = st.tls->export_keying_material(net::channel_binding_label, 32);
    if (!b)
      return emit_error(self, net::errc::tls, "no channel binding", true);
    binding = std::move(*b);
  }
  auto transcript = net::hello_transcript(
      msg->version, msg->name, msg->x25519_key, msg->ed25519_key, binding);
  if (!net::ed25519_verify(msg->ed25519_key, transcript.data(),
                           transcript.size(), msg->proof))
    return emit_error(self, net::errc::bad_proof,
                      "proof of key possession failed (bad signature)", true);
  st.current = phase::joining;
  auto name = msg->name;
  self->request(st.registry, caf::infinite, caf::join_atom::value,
                net::peer_info{msg->name, msg->x25519_key, msg->ed25519_key},
                caf::actor{self})
      .then(
          [=](caf::ok_atom) {
            auto& st = self->state;
            if (st.current != phase::joining)
              return;
            st.current = phase::joined;
            st.name = name;
            st.decoder.max_frame_size(st.settings->max_frame_size);
            self->send(st.connection, joined_atom::value);
            emit(self, net::welcome{net::protocol_version, name,
                                    st.settings->max_frame_size});
          },
          [=](caf::error& err) {
            auto& st = self->state;
            if (st.current != phase::joining)
              return;
            auto code = net::code_of(err);
            // A taken or invalid name may be retried on the same connection.
            bool fatal =
                code != net::errc::name_taken && code != net::errc::bad_name;
            st.current = phase::handshake;
            // The handshake deadline still runs: retries never extend it.
            emit_error(self, code, net::describe(err), fatal);
          });
}

void handle_send(session_actor* self, const net::frame& f) {
  auto& st = self->state;
  auto msg = net::decode_payload<net::send_message>(f);
  if (!msg)
    return emit_error(self, net::errc::protocol, net::describe(msg.error()),
                      true);
  if (!take_tokens(self, msg->envelope.size())) {
    if (++st.strikes > st.settings->message_burst)
      return emit_error(
          self, net::errc::rate_limited,
          "disconnected: sending too much (limits " +
              std::to_string(st.settings->message_rate) + " messages/s, " +
              std::to_string(st.settings->byte_rate) + " bytes/s)",
          true);
    return emit_error(self, net::errc::rate_limited,
                      "message to '" + msg->to +
                          "' dropped: sending too fast, slow down",
                      false, msg->id);
  }
  // As for the frame budget: refusals are forgiven only once the client has
  // slowed down, not by each message that trickles through.
  if (st.messages.has(st.settings->message_burst / 2))
    st.strikes = 0;
  self->send(st.registry, route_atom::value, st.name, std::move(msg->to),
             msg->id, std::move(msg->envelope));
}

/// Decodes `f` as T or ends the session with a protocol error.
template <class T>
std::optional<T> decode_or_close(session_actor* self, const net::frame& f) {
  auto msg = net::decode_payload<T>(f);
  if (!msg) {
    emit_error(self, net::errc::protocol, net::describe(msg.error()), true);
    return std::nullopt;
  }
  return std::move(*msg);
}

void handle_video_list(session_actor* self) {
  auto& st = self->state;
  if (!st.catalog)
    return emit(self, net::video_list{});
  self->request(st.catalog, caf::infinite, net::video_list_request{})
      .then([=](net::video_list& list) { emit(self, list); },
            [=](caf::error& err) {
              emit_error(self, net::code_of(err), net::describe(err), false);
            });
}

void handle_play(session_actor* self, net::play_request req) {
  auto& st = self->state;
  if (!st.catalog)
    return emit_error(self, net::errc::not_found, "no videos on this server",
                      false);
  if (st.streams.size() >= st.settings->max_streams)
    return emit_error(self, net::errc::rate_limited,
                      "at most " + std::to_string(st.settings->max_streams) +
                          " playbacks at once; stop one first",
                      false);
  auto policy = video::parse_policy(
      req.policy.empty() ? st.settings->default_policy : req.policy);
  if (!policy)
    return emit_error(self, net::errc::protocol, net::describe(policy.error()),
                      false);
  auto settings = st.settings->stream;
  if (req.buffer_target_ms != 0)
    settings.buffer_target_ms = std::clamp(req.buffer_target_ms, 200u, 10000u);
  // The slot is taken now, not when the catalog answers: PLAYs in one
  // read must not all pass the check above.
  auto id = st.next_stream_id++;
  st.streams.emplace(id, video_stream_actor{});
  self->request(st.catalog, caf::infinite, req)
      .then(
          [=](video::video_source_ptr& source) {
            auto& st = self->state;
            auto i = st.streams.find(id);
            if (st.current == phase::closing || i == st.streams.end())
              return;
            i->second =
                self->spawn(video_stream, caf::actor_cast<video_sink>(self), id,
                            std::move(source), *policy, settings);
          },
          [=](caf::error& err) {
            self->state.streams.erase(id);
            emit_error(self, net::code_of(err), net::describe(err), false);
          });
}

/// Hands an ack or control to the stream it names.
template <class T>
void forward_to_stream(session_actor* self, const T& msg) {
  auto& st = self->state;
  auto i = st.streams.find(msg.stream_id);
  if (i == st.streams.end() || !i->second) // unknown, or not started yet
    return emit_error(self, net::errc::not_found,
                      "no playback with id " + std::to_string(msg.stream_id),
                      false);
  self->send(i->second, msg);
}

void handle_frame(session_actor* self, const net::frame& f) {
  auto& st = self->state;
  if (st.settings->log_frames)
    CHAT_LOG(info, "frame from " << st.peer << ": type 0x" << std::hex
                                 << int{f.type} << std::dec << ", "
                                 << f.payload.size()
                                 << " bytes: " << hex_prefix(f.payload, 4096));
  st.last_activity = self->clock().now();
  if (!charge_frame(self, f))
    return;
  if (f.type == net::quit::wire_type) {
    if (!decode_or_close<net::quit>(self, f))
      return;
    if (!st.name.empty())
      self->send(st.registry, caf::leave_atom::value, st.name);
    return close(self, "quit");
  }
  switch (st.current) {
  case phase::handshake:
    if (f.type != net::hello::wire_type)
      return emit_error(self, net::errc::protocol,
                        "expected HELLO as the first frame", true);
    return handle_hello(self, f);
  case phase::joining:
    return emit_error(self, net::errc::protocol,
                      "wait for WELCOME before sending", true);
  case phase::joined:
    break;
  case phase::closing:
    return;
  }
  switch (f.type) {
  case net::send_message::wire_type:
    return handle_send(self, f);
  case net::ping::wire_type: {
    auto p = net::decode_payload<net::ping>(f);
    if (!p)
      return emit_error(self, net::errc::protocol, net::describe(p.error()),
                        true);
    return emit(self, net::pong{p->nonce});
  }
  case net::hello::wire_type:
    return emit_error(self, net::errc::protocol, "already joined", false);
  case net::video_list_request::wire_type:
    if (decode_or_close<net::video_list_request>(self, f))
      handle_video_list(self);
    return;
  case net::play_request::wire_type:
    if (auto req = decode_or_close<net::play_request>(self, f))
      handle_play(self, std::move(*req));
    return;
  case net::video_ack::wire_type:
    if (auto ack = decode_or_close<net::video_ack>(self, f))
      forward_to_stream(self, *ack);
    return;
  case net::video_control::wire_type:
    if (auto ctl = decode_or_close<net::video_control>(self, f))
      forward_to_stream(self, *ctl);
    return;
  default: {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "0x%02x", f.type);
    return emit_error(self, net::errc::protocol,
                      std::string{"unknown frame type "} + buf, true);
  }
  }
}

void handle_bytes(session_actor* self, const std::vector<char>& bytes) {
  auto& st = self->state;
  if (st.current == phase::closing)
    return;
  std::vector<char> plain;
  if (st.tls) {
    bool ok = st.tls->feed(bytes.data(), bytes.size());
    st.tls->read_plaintext(plain);
    std::vector<char> out; // handshake records, alerts
    st.tls->take_output(out);
    if (!out.empty()) {
      st.bytes_queued += out.size();
      self->send(st.connection, write_atom::value, std::move(out));
    }
    if (!ok || st.tls->failed())
      return close(self, "TLS failure: " + net::describe(st.tls->error()));
  } else {
    plain = bytes;
  }
  // Frames first: a QUIT often arrives in the same read as close_notify.
  auto peer_closed = [&] {
    if (st.tls && st.tls->peer_closed() && st.current != phase::closing)
      close(self, "peer closed TLS");
  };
  if (plain.empty())
    return peer_closed();
  if (!st.decoder.feed(plain.data(), plain.size())) {
    // Still deliver frames that were complete before the bad one.
    while (auto f = st.decoder.next())
      handle_frame(self, *f);
    return emit_error(self, net::errc::protocol,
                      "malformed stream: " + st.decoder.error(), true);
  }
  while (auto f = st.decoder.next()) {
    handle_frame(self, *f);
    if (st.current == phase::closing)
      return;
  }
  peer_closed();
}

} // namespace

caf::behavior session(session_actor* self, caf::actor connection,
                      caf::actor registry, catalog_actor catalog,
                      std::shared_ptr<const session_settings> settings,
                      std::optional<net::tls_context> tls, std::string peer) {
  auto& st = self->state;
  st.settings = settings;
  st.connection = std::move(connection);
  st.registry = std::move(registry);
  st.catalog = std::move(catalog);
  st.decoder = net::frame_decoder{settings->max_prejoin_frame_size};
  st.peer = std::move(peer);
  auto now = self->clock().now();
  st.messages = {settings->message_rate, settings->message_burst, now};
  st.bytes = {settings->byte_rate, settings->byte_burst, now};
  st.frames = {settings->frame_rate, settings->frame_burst, now};
  st.last_activity = now;
  st.last_progress = now;
  if (tls)
    st.tls = net::tls_channel::server(*tls);
  // One deadline from accept to WELCOME; nothing re-arms it.
  self->delayed_send(self, settings->handshake_timeout, handshake_atom::value);
  if (settings->idle_timeout.count() > 0 ||
      settings->write_stall_timeout.count() > 0)
    self->delayed_send(self, check_period(*settings), idle_atom_t::value);
  return {
      [=](recv_atom, const std::vector<char>& bytes) {
        handle_bytes(self, bytes);
        // Back-pressure: the connection reads on only as we catch up. Reports
        // go in quarters of the bound, so one is always due before it stalls.
        auto& st = self->state;
        st.unreported_input += bytes.size();
        if (st.unreported_input >= st.settings->max_unprocessed_input / 4) {
          self->send(st.connection, consumed_atom::value, st.unreported_input);
          st.unreported_input = 0;
        }
      },
      [=](sent_atom, uint64_t n) {
        auto& st = self->state;
        st.bytes_sent += n;
        st.last_progress = self->clock().now();
        report_backlog(self);
      },
      [=](shed_atom) {
        emit_error(self, net::errc::overloaded,
                   "disconnected: the server is over its budget for queued "
                   "bytes and yours was the largest backlog (" +
                       std::to_string(self->state.backlog()) + " bytes)",
                   true);
      },
      [=](closed_atom) {
        CHAT_LOG(debug, "connection of " << self->state.peer << " closed");
        self->quit();
      },
      [=](const shared_frame& f) {
        auto& st = self->state;
        if (st.current == phase::joined || st.current == phase::joining)
          emit_bytes(self, f.bytes->data(), f.bytes->size());
      },
      [=](const net::deliver& d, const caf::actor& sender, uint32_t id) {
        auto& st = self->state;
        // Fair outbound: what others may queue for this reader is bounded;
        // beyond it the sender is told, and this reader is not evicted.
        auto size = d.envelope.size() + d.from.size() + 16;
        if (st.backlog() + size > st.settings->max_outgoing_bytes) {
          self->send(sender,
                     net::error_frame{
                         static_cast<uint8_t>(net::errc::recipient_busy), id,
                         false,
                         "'" + st.name +
                             "' is not keeping up: message not delivered; "
                             "try again later"});
          return;
        }
        emit(self, d);
      },
      [=](const net::error_frame& e) {
        emit(self, e);
        if (e.fatal)
          close(self, e.text);
      },
      [=](const net::play_started& msg) { emit(self, msg); },
      [=](const outgoing_video_frame& f) {
        auto& st = self->state;
        // A slow reader loses video frames (the player counts them as
        // dropped), never chat: half of the backlog bound is for video.
        if (st.backlog() > st.settings->max_outgoing_bytes / 2) {
          ++st.frames_skipped;
          return;
        }
        std::vector<char> buf;
        net::append_video_frame(buf, f.stream_id, f.index, f.height, f.pts_us,
                                f.jpeg->data(), f.jpeg->size());
        emit_bytes(self, buf.data(), buf.size());
      },
      [=](const net::video_end& msg) {
        emit(self, msg);
        self->state.streams.erase(msg.stream_id);
      },
      [=](handshake_atom) {
        auto& st = self->state;
        if (st.current == phase::handshake || st.current == phase::joining) {
          if (st.tls && !st.tls->handshake_done())
            return close(self, "TLS handshake timeout");
          emit_error(self, net::errc::protocol, "handshake timeout", true);
        }
      },
      [=](idle_atom_t) {
        auto& st = self->state;
        auto& cfg = *st.settings;
        auto now = self->clock().now();
        if (cfg.write_stall_timeout.count() > 0 && st.backlog() > 0 &&
            now - st.last_progress >= cfg.write_stall_timeout)
          return emit_error(self, net::errc::overloaded,
                            "disconnected: you stopped reading (nothing of " +
                                std::to_string(st.backlog()) +
                                " queued bytes taken for " +
                                std::to_string(cfg.write_stall_timeout.count()) +
                                " s)",
                            true);
        if (cfg.idle_timeout.count() > 0 &&
            now - st.last_activity >= cfg.idle_timeout)
          return emit_error(self, net::errc::protocol,
                            "idle for too long; send PING to stay connected",
                            true);
        // Next check: the period, or sooner if a deadline falls before it.
        caf::timespan next = check_period(cfg);
        if (cfg.idle_timeout.count() > 0)
          next = std::min(next, caf::timespan{cfg.idle_timeout -
                                              (now - st.last_activity)});
        if (cfg.write_stall_timeout.count() > 0 && st.backlog() > 0)
          next = std::min(next, caf::timespan{cfg.write_stall_timeout -
                                              (now - st.last_progress)});
        self->delayed_send(self, next, idle_atom_t::value);
      },
  };
}

} // namespace actors
