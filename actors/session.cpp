#include "actors/session.hpp"

#include <algorithm>
#include <limits>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actors/session_detail.hpp"
#include "net/crypto.hpp"
#include "net/error.hpp"
#include "net/frame_dispatch.hpp"
#include "net/log.hpp"
#include "videos/abr.hpp"

namespace actors {

namespace {

using phase = session_state::phase;

/// The handshake: checks HELLO's version, keys and proof (bound to this TLS
/// connection), then asks the registry for the name.
void handle_hello(session_ptr self, const net::hello& msg) {
  auto& st = self->state;
  if (msg.version != net::protocol_version)
    return emit_error(self, net::errc::bad_version,
                      "unsupported protocol version " +
                          std::to_string(msg.version) + " (server speaks " +
                          std::to_string(net::protocol_version) + ")",
                      true);
  if (!net::is_valid_ed25519_public(msg.ed25519_key) ||
      msg.proof.size() != 64 || !net::is_valid_x25519_public(msg.x25519_key))
    return emit_error(self, net::errc::bad_key,
                      "invalid public key (need 32-byte X25519 and Ed25519 "
                      "keys, not of small order)",
                      true);
  auto binding = st.channel->channel_binding(net::channel_binding_label, 32);
  if (!binding)
    return emit_error(self, net::errc::tls, "no channel binding", true);
  auto transcript = net::hello_transcript(msg.version, msg.name, msg.x25519_key,
                                          msg.ed25519_key, *binding);
  if (!net::ed25519_verify(msg.ed25519_key, transcript.data(),
                           transcript.size(), msg.proof))
    return emit_error(self, net::errc::bad_proof,
                      "proof of key possession failed (bad signature)", true);
  st.current = phase::joining;
  auto name = msg.name;
  self->request(st.registry, caf::infinite, caf::join_atom::value,
                net::peer_info{msg.name, msg.x25519_key, msg.ed25519_key},
                registry_member{self})
      .then(
          [=](caf::ok_atom) {
            auto& st = self->state;
            if (st.current != phase::joining)
              return;
            st.current = phase::joined;
            st.user = name;
            st.channel->max_frame_size(st.settings->max_frame_size);
            rearm_deadlines(self); // the handshake deadline is over
            caf::anon_send(st.connection, joined_atom::value);
            emit(self, net::welcome{net::protocol_version, name,
                                    st.settings->max_frame_size});
          },
          [=](caf::error& err) {
            auto& st = self->state;
            if (st.current != phase::joining)
              return;
            auto code = net::code_of(err);
            // A taken or invalid name may be retried on the same connection;
            // the handshake deadline still runs (retries never extend it).
            bool fatal =
                code != net::errc::name_taken && code != net::errc::bad_name;
            st.current = phase::handshake;
            emit_error(self, code, net::describe(err), fatal);
          });
}

/// Handles each client frame type once decoded (net::client_frames).
struct frame_handler {
  session_ptr self;

  void operator()(const net::hello& msg) {
    if (self->state.current == phase::joined)
      return emit_error(self, net::errc::protocol, "already joined", false);
    handle_hello(self, msg);
  }

  void operator()(net::send_message& msg) {
    if (charge_send(self, msg))
      route_send(self, msg);
  }

  void operator()(const net::quit&) {
    auto& st = self->state;
    if (!st.user.empty())
      self->send(st.registry, caf::leave_atom::value, st.user);
    close(self, "quit");
  }

  void operator()(net::keys_request& msg) {
    request_keys(self, msg);
  }

  void operator()(const net::ping& msg) {
    emit(self, net::pong{msg.nonce});
  }

  void operator()(const net::video_list_request&) {
    list_videos(self);
  }

  void operator()(net::play_request& msg) {
    start_playback(self, std::move(msg));
  }

  void operator()(const net::video_ack& msg) {
    forward_to_stream(self, msg.stream_id, msg);
  }

  void operator()(const net::video_control& msg) {
    forward_to_stream(self, msg.stream_id, msg);
  }
};

void handle_frame(session_ptr self, const net::frame& f) {
  auto& st = self->state;
  if (st.settings->log_frames)
    CHAT_LOG(info, "frame from " << st.peer << ": type 0x" << std::hex
                                 << int{f.type} << std::dec << ", "
                                 << f.payload.size() << " bytes: "
                                 << hex_prefix(f.payload, 4096));
  st.last_activity = self->clock().now();
  if (!charge_frame(self, f.type))
    return;
  bool quit = f.type == net::quit::wire_type;
  if (st.current == phase::handshake && !quit && f.type != net::hello::wire_type)
    return emit_error(self, net::errc::protocol,
                      "expected HELLO as the first frame", true);
  if (st.current == phase::joining && !quit)
    return emit_error(self, net::errc::protocol,
                      "wait for WELCOME before sending", true);
  if (auto err = net::dispatch(net::client_frames{}, f, frame_handler{self}))
    emit_error(self, net::errc::protocol, net::describe(err), true);
}

/// Reports the input fed to the channel as processed: its frames are all
/// handled (the connection reads on only as we catch up).
void report_handled(session_ptr self) {
  auto& st = self->state;
  if (st.unhandled == 0)
    return;
  if (auto n = st.input.consumed(st.unhandled))
    caf::anon_send(st.connection, consumed_atom::value, *n);
  st.unhandled = 0;
}

/// Asks for a next turn through the multiplexer's own queue, which runs it
/// after the sessions and sockets that are ready now.
void post_turn(session_ptr self) {
  auto& st = self->state;
  if (st.turn_posted)
    return;
  st.turn_posted = true;
  self->backend().post([hdl = caf::actor_cast<caf::actor>(self)] {
    caf::anon_send(hdl, resume_atom::value);
  });
}

/// One turn: frames from the channel, feeding it the next unread read
/// whenever it has no complete frame left, until `budget` frames are
/// handled. What is left waits for the next turn, so the sessions sharing
/// the multiplexer thread take turns (max_frames_per_turn). The replies of
/// a turn leave in one write.
void run_turn(session_ptr self, size_t budget) {
  auto& st = self->state;
  auto& ch = *st.channel;
  ch.cork();
  while (st.current != phase::closing) {
    if (budget == 0) {
      post_turn(self); // frames may be left
      break;
    }
    if (auto f = ch.next()) {
      handle_frame(self, *f);
      --budget;
      continue;
    }
    // Every complete frame fed so far is handled. Frames complete before
    // a malformed one counted; a QUIT often arrives in the same read as
    // close_notify.
    if (ch.failed())
      return emit_error(self, net::errc::protocol, net::describe(ch.error()),
                        true);
    if (ch.peer_closed())
      return close(self, "peer closed TLS");
    report_handled(self);
    if (st.unread.empty())
      break;
    auto bytes = std::move(st.unread.front());
    st.unread.pop_front();
    ch.feed(bytes.data(), bytes.size());
    st.unhandled += bytes.size();
    flush_output(self); // handshake records, alerts
    if (ch.transport_failed())
      return close(self, "TLS failure: " + net::describe(ch.error()));
  }
  if (st.current == phase::closing)
    return; // close() sent everything (uncorked) and close_notify
  ch.uncork();
  flush_output(self);
}

} // namespace

session_actor::behavior_type
session(session_ptr self, caf::actor connection, registry_actor registry,
        catalog_actor catalog, std::shared_ptr<const session_settings> settings,
        net::frame_channel channel, std::string peer) {
  close_mailbox_at_exit(self);
  auto& st = self->state;
  auto& cfg = *settings;
  auto now = self->clock().now();
  st.settings = settings;
  st.connection = std::move(connection);
  st.registry = std::move(registry);
  st.catalog = std::move(catalog);
  st.channel.emplace(std::move(channel));
  st.channel->max_frame_size(cfg.max_prejoin_frame_size);
  st.channel->start();
  st.peer = std::move(peer);
  st.messages = {cfg.message_rate, cfg.message_burst, cfg.message_burst, now};
  st.bytes = {cfg.byte_rate, cfg.byte_burst, now};
  st.frames = {cfg.frame_rate, cfg.frame_burst, cfg.frame_burst, now};
  st.input = net::input_credit{cfg.max_unprocessed_input / 4};
  st.output = net::output_backlog{now};
  st.last_activity = now;
  start_deadlines(self);
  // What a session monitors: the sessions it routes to.
  self->set_down_handler(
      [=](const caf::down_msg& dm) { forget_route(self, dm.source); });
  return {
      // -- from the connection ------------------------------------------------
      [=](recv_atom, std::vector<char>& bytes) {
        auto& st = self->state;
        if (st.current == phase::closing) {
          st.unhandled += bytes.size(); // dropped: as good as handled
          return report_handled(self);
        }
        st.unread.push_back(std::move(bytes));
        if (!st.turn_posted)
          run_turn(self, st.settings->max_frames_per_turn);
      },
      [=](resume_atom) {
        auto& st = self->state;
        st.turn_posted = false;
        if (st.current != phase::closing)
          run_turn(self, st.settings->max_frames_per_turn);
      },
      [=](sent_atom, uint64_t n) {
        self->state.output.sent(n, self->clock().now());
        report_backlog(self);
      },
      [=](closed_atom) {
        CHAT_LOG(debug, "connection of " << self->state.peer << " closed");
        // What the client sent before it went is handled all the same.
        if (self->state.current != phase::closing)
          run_turn(self, std::numeric_limits<size_t>::max());
        self->quit();
      },
      // -- from the registry --------------------------------------------------
      [=](const net::encoded<net::directory>& d) {
        auto& st = self->state;
        if (st.current == phase::joined || st.current == phase::joining)
          emit_bytes(self, d.frame().data(), d.frame().size());
      },
      [=](const net::deliver& d, const error_sink& sender, uint32_t id) {
        relay(self, d, sender, id);
      },
      [=](route_atom, const std::string& name, const recipient& route) {
        learn_route(self, name, route);
      },
      [=](const net::error_frame& e) {
        emit(self, e);
        if (e.fatal)
          close(self, e.text);
      },
      // -- from the streams and the budget -----------------------------------
      [=](const net::play_started& msg) { emit(self, msg); },
      [=](const outgoing_video_frame& f) { emit_video_frame(self, f); },
      [=](const net::video_end& msg) {
        emit(self, msg);
        self->state.streams.erase(msg.stream_id);
      },
      [=](shed_atom) {
        emit_error(self, net::errc::overloaded,
                   "disconnected: the server is over its budget for queued "
                   "bytes and yours was the largest backlog (" +
                       std::to_string(self->state.output.size()) + " bytes)",
                   true);
      },
      // -- timers -------------------------------------------------------------
      [=](idle_atom_t) { check_deadlines(self); },
      [=](waiting_atom, uint32_t stream_id, const std::string& video) {
        poll_waiting(self, stream_id, video);
      },
  };
}

session_actor spawn_session(caf::actor_system& sys, caf::actor connection,
                            registry_actor registry, catalog_actor catalog,
                            std::shared_ptr<const session_settings> settings,
                            net::frame_channel channel, std::string peer) {
  return sys.middleman().spawn_broker(
      session, std::move(connection), std::move(registry), std::move(catalog),
      std::move(settings), std::move(channel), std::move(peer));
}

} // namespace actors
