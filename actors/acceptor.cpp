#include "actors/acceptor.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "net/error.hpp"
#include "net/log.hpp"

namespace actors {

caf::behavior connection(caf::io::broker* self, caf::io::connection_handle hdl,
                         std::shared_ptr<const server_context> ctx,
                         caf::actor_addr acceptor) {
  auto peer =
      self->remote_addr(hdl) + ":" + std::to_string(self->remote_port(hdl));
  auto sess = self->spawn<caf::linked>(
      session, caf::actor{self}, ctx->registry, ctx->catalog, ctx->settings,
      net::frame_channel::server(ctx->tls,
                                 ctx->settings->max_prejoin_frame_size),
      peer);
  // Small reads before the join (a TLS handshake and a HELLO are a few KiB):
  // an unjoined connection then holds 2 KiB of read buffer, not 16.
  self->configure_read(hdl, caf::io::receive_policy::at_most(2048));
  self->ack_writes(hdl, true);
  // Input handed to the session and not yet reported processed. Above the
  // bound the socket is not read (the kernel's window then slows the
  // sender), so the session's mailbox never holds more than that.
  struct inbound {
    uint64_t unprocessed = 0;
    bool halted = false;
    bool closing = false; ///< lingering before the close
  };
  auto in = std::make_shared<inbound>();
  uint64_t bound = ctx->settings->max_unprocessed_input;
  // Closing a socket with unread input makes the kernel reset it at once
  // and drop what we still had to send: the reason a client is closed
  // would be lost. So the connection stops reading, flushes, and closes
  // after close_linger, when the reason has long reached the peer.
  auto linger = [=] {
    if (in->closing)
      return;
    in->closing = true;
    self->flush(hdl);
    if (ctx->settings->close_linger.count() == 0) {
      self->close(hdl);
      self->quit();
      return;
    }
    self->halt(hdl);
    self->delayed_send(self, ctx->settings->close_linger, linger_atom::value);
  };
  // A session that ends for any reason (even a normal exit, which a link
  // would ignore) ends its connection.
  self->monitor(sess);
  self->set_down_handler([=](const caf::down_msg&) { linger(); });
  return {
      [=](caf::io::new_data_msg& msg) {
        if (in->closing)
          return;
        in->unprocessed += msg.buf.size();
        self->send(sess, recv_atom::value, std::move(msg.buf));
        if (in->unprocessed >= bound && !in->halted) {
          in->halted = true;
          self->halt(hdl);
        }
      },
      [=](consumed_atom, uint64_t n) {
        in->unprocessed -= std::min(n, in->unprocessed);
        if (in->halted && !in->closing && in->unprocessed < bound) {
          in->halted = false;
          self->trigger(hdl);
          // Seen under load (ASan, two cores busy): a resume right after a
          // halt was sometimes lost inside CAF's multiplexer and the socket
          // stayed unread with the session idle. Re-asserting it once, in a
          // later loop iteration, costs one timer per resume.
          caf::delayed_anon_send(caf::actor{self},
                                 std::chrono::milliseconds{50},
                                 resume_atom::value);
        }
      },
      [=](resume_atom) {
        if (!in->halted && !in->closing)
          self->trigger(hdl);
      },
      [=](caf::io::data_transferred_msg& msg) {
        self->send(sess, sent_atom::value, static_cast<uint64_t>(msg.written));
      },
      [=](const caf::io::connection_closed_msg&) {
        if (!in->closing)
          self->send(sess, closed_atom::value);
        self->quit();
      },
      [=](joined_atom) {
        self->configure_read(hdl, caf::io::receive_policy::at_most(16384));
        if (auto acc = caf::actor_cast<caf::actor>(acceptor))
          self->send(acc, joined_atom::value);
      },
      [=](caf::close_atom, const std::string& reason) {
        // server shutdown: the session says why and closes (joined or not)
        self->send(sess,
                   net::error_frame{static_cast<uint8_t>(net::errc::shutdown),
                                    0, true, reason});
      },
      [=](linger_atom) {
        self->close(hdl);
        self->quit();
      },
      [=](write_atom, const std::vector<char>& bytes) {
        self->write(hdl, bytes.size(), bytes.data());
        self->flush(hdl);
      },
      [=](caf::close_atom) { linger(); },
  };
}

namespace {

/// Arms the sweep timer unless it is pending already.
void arm_sweep(acceptor_impl* self, std::chrono::seconds interval) {
  if (self->state.sweep_armed)
    return;
  self->state.sweep_armed = true;
  // Anonymous: a timer message that names its own receiver as sender kept
  // a terminated acceptor from being freed (LeakSanitizer, broker suite).
  caf::delayed_anon_send(caf::actor{self}, interval, sweep_atom::value);
}

/// Closes a connection refused before any byte was read; counted for the
/// next summary line instead of a line each.
void refuse(acceptor_impl* self, caf::io::connection_handle hdl,
            const std::string& address, const char* reason) {
  auto& st = self->state;
  ++st.refused;
  ++st.refusals[reason];
  ++st.refused_by_address[address];
  self->close(hdl);
}

/// One line for the refusals of the interval: counts by reason, and the
/// address refused most.
void log_refusals(acceptor_impl* self, std::chrono::seconds interval) {
  auto& st = self->state;
  if (st.refusals.empty())
    return;
  uint64_t total = 0;
  std::string reasons;
  for (auto& [reason, n] : st.refusals) {
    total += n;
    reasons += (reasons.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
  }
  auto top = std::max_element(
      st.refused_by_address.begin(), st.refused_by_address.end(),
      [](auto& a, auto& b) { return a.second < b.second; });
  CHAT_LOG(warning, "refused " << total << " connections in the last "
                               << interval.count() << " s (" << reasons
                               << "); most from " << top->first << " ("
                               << top->second << ")");
  st.refusals.clear();
  st.refused_by_address.clear();
}

} // namespace

caf::behavior acceptor(acceptor_impl* self,
                       std::shared_ptr<const server_context> ctx) {
  // Forked connections are not linked to the acceptor (each lives as long
  // as its socket), so an exit sent to the acceptor ends them explicitly:
  // the last resort of a stop that overran its bound must leave no actor
  // for the actor system to wait for.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& kvp : self->state.conns)
      if (auto conn = caf::actor_cast<caf::actor>(kvp.first))
        anon_send_exit(conn, caf::exit_reason::kill);
    self->quit(std::move(msg.reason));
  });
  self->set_down_handler([=](const caf::down_msg& msg) {
    auto& st = self->state;
    --st.live;
    auto i = st.conns.find(msg.source);
    if (i == st.conns.end())
      return;
    if (!i->second.joined) {
      --st.unjoined;
      --st.sources[i->second.address].unjoined;
    }
    st.conns.erase(i);
    if (st.stopping && st.live == 0)
      self->quit();
  });
  return {
      [=](caf::open_atom, const std::string& host,
          uint16_t port) -> caf::result<uint16_t> {
        auto res = self->add_tcp_doorman(port, host.c_str(), true);
        if (!res)
          return net::make_error(net::errc::config,
                                 "--port: cannot listen on " + host + ":" +
                                     std::to_string(port) + ": " +
                                     caf::to_string(res.error()));
        return res->second;
      },
      [=](const caf::io::new_connection_msg& msg) {
        auto& st = self->state;
        auto address = self->remote_addr(msg.handle);
        arm_sweep(self,
                  ctx->limits.refusal_log_interval); // a refusal or a source
        if (st.live >= ctx->max_connections)
          return refuse(self, msg.handle, address, "server full");
        if (st.unjoined >= ctx->limits.max_unjoined)
          return refuse(self, msg.handle, address, "too many unjoined");
        auto now = self->clock().now();
        auto [src, fresh] = st.sources.try_emplace(address);
        if (fresh)
          src->second.connects = {ctx->limits.connect_rate_per_address,
                                  ctx->limits.connect_burst_per_address, now};
        if (src->second.unjoined >= ctx->limits.max_unjoined_per_address)
          return refuse(self, msg.handle, address,
                        "too many unjoined from one address");
        if (!src->second.connects.try_take(1, now))
          return refuse(self, msg.handle, address,
                        "connecting too fast from one address");
        auto conn = self->fork(connection, msg.handle, ctx, self->address());
        self->monitor(conn);
        st.conns.emplace(conn.address(),
                         acceptor_state::conn_info{address, false});
        ++src->second.unjoined;
        ++st.unjoined;
        ++st.live;
      },
      [=](joined_atom) {
        auto& st = self->state;
        auto i = st.conns.find(
            caf::actor_cast<caf::actor_addr>(self->current_sender()));
        if (i == st.conns.end() || i->second.joined)
          return;
        i->second.joined = true;
        --st.unjoined;
        --st.sources[i->second.address].unjoined;
      },
      [=](sweep_atom) {
        auto& st = self->state;
        log_refusals(self, ctx->limits.refusal_log_interval);
        // Forget addresses with nothing pending and a full bucket: the map
        // holds only sources seen recently.
        auto now = self->clock().now();
        for (auto i = st.sources.begin(); i != st.sources.end();)
          if (i->second.unjoined == 0 && i->second.connects.full(now))
            i = st.sources.erase(i);
          else
            ++i;
        st.sweep_armed = false;
        if (!st.sources.empty())
          arm_sweep(self, ctx->limits.refusal_log_interval);
      },
      [=](caf::get_atom) { return self->state.live; },
      [=](caf::close_atom, const std::string& reason) {
        auto& st = self->state;
        if (st.stopping)
          return;
        st.stopping = true;
        self->close_all(); // the doorman: no new connections
        CHAT_LOG(info, "closing " << st.live << " connections");
        for (auto& kvp : st.conns)
          if (auto conn = caf::actor_cast<caf::actor>(kvp.first))
            self->send(conn, caf::close_atom::value, reason);
        if (st.live == 0)
          self->quit();
      },
  };
}

} // namespace actors
