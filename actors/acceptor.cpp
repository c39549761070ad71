#include "actors/acceptor.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "net/error.hpp"
#include "net/log.hpp"

namespace actors {

namespace {

// Reads: small while the connection is quiet or not joined, 16 KiB while a
// joined client sends in bulk. CAF allocates (and zero-fills) the read
// buffer anew after every read, and an idle connection holds one.
constexpr size_t small_read = 1024;
constexpr size_t large_read = 16384;

/// What the connection writes, and how CAF's write buffers stay small at
/// rest. CAF 0.17 has two per socket: it sends from one while writes fill
/// the other (`wr_buf`), swaps them when the first is out, and both keep
/// the capacity of the largest burst they carried (a directory snapshot:
/// ~80 bytes per user). So the one to be filled is released whenever all
/// is written, and when more than `whole_write` bytes wait in it, their
/// last `tail_write` bytes are held back until the rest is out: the buffer
/// CAF sends from last, and keeps while the connection is idle, is then
/// that small tail, and the large one goes at the tail's drain.
class outbound {
public:
  static constexpr size_t whole_write = 2048;
  static constexpr size_t tail_write = 256;

  /// Bytes from the session, after what is held back.
  void write(caf::io::broker* self, caf::io::connection_handle hdl,
             std::vector<char>& bytes) {
    auto& buf = self->wr_buf(hdl);
    append(buf, held_);
    append(buf, bytes);
    // Without reports (CAF's test multiplexer) nothing would release a
    // held tail: then nothing is held.
    if (reports_ && buf.size() > whole_write) {
      held_.assign(buf.end() - tail_write, buf.end());
      buf.resize(buf.size() - tail_write);
    }
    self->flush(hdl);
  }

  /// CAF wrote some; `remaining` are still in its two buffers.
  void transferred(caf::io::broker* self, caf::io::connection_handle hdl,
                   size_t remaining) {
    reports_ = true;
    if (remaining > 0) // CAF still sends from one of them
      return;
    auto& buf = self->wr_buf(hdl);
    std::vector<char>{}.swap(buf);
    append(buf, held_); // CAF sends it next (swaps it in after this report)
  }

  /// Before a close: everything to CAF, which sends it before the FIN.
  void hand_over_all(caf::io::broker* self, caf::io::connection_handle hdl) {
    append(self->wr_buf(hdl), held_);
    self->flush(hdl);
  }

private:
  /// Moves `from` to the end of `to` (no copy when `to` is empty) and
  /// leaves `from` empty without capacity.
  static void append(std::vector<char>& to, std::vector<char>& from) {
    if (from.empty())
      return;
    if (to.empty())
      to.swap(from);
    else
      to.insert(to.end(), from.begin(), from.end());
    std::vector<char>{}.swap(from);
  }

  std::vector<char> held_; ///< the last bytes written, not yet in CAF's
  bool reports_ = false;   ///< CAF reports writes (data_transferred)
};

} // namespace

caf::behavior connection(caf::io::broker* self, caf::io::connection_handle hdl,
                         std::shared_ptr<const server_context> ctx,
                         caf::actor_addr acceptor) {
  close_mailbox_at_exit(self);
  auto peer =
      self->remote_addr(hdl) + ":" + std::to_string(self->remote_port(hdl));
  auto sess = spawn_session(
      self->system(), caf::actor{self}, ctx->registry, ctx->catalog,
      ctx->settings,
      net::frame_channel::server(ctx->tls,
                                 ctx->settings->max_prejoin_frame_size),
      peer);
  self->link_to(sess);
  // Small reads before the join (a TLS handshake and a HELLO are a few KiB):
  // an unjoined connection then holds 1 KiB of read buffer, not 16.
  self->configure_read(hdl, caf::io::receive_policy::at_most(small_read));
  self->ack_writes(hdl, true);
  // Input handed to the session and not yet reported processed. Above the
  // bound the socket is not read (the kernel's window then slows the
  // sender), so the session's mailbox never holds more than that.
  struct inbound {
    uint64_t unprocessed = 0;
    bool halted = false;
    bool closing = false; ///< lingering before the close
    bool joined = false;
    size_t read_size = small_read;
  };
  auto in = std::make_shared<inbound>();
  auto out = std::make_shared<outbound>();
  uint64_t bound = ctx->settings->max_unprocessed_input;
  // Closing a socket with unread input makes the kernel reset it at once
  // and drop what we still had to send: the reason a client is closed
  // would be lost. So the connection stops reading, flushes, and closes
  // after close_linger, when the reason has long reached the peer.
  auto linger = [=] {
    if (in->closing)
      return;
    in->closing = true;
    out->hand_over_all(self, hdl);
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
        auto n = msg.buf.size();
        in->unprocessed += n;
        self->send(sess, recv_atom::value, std::move(msg.buf));
        // A full read asks for larger ones, a short one for small ones
        // again; configure_read applies to the very next read.
        auto want = n >= in->read_size ? large_read
                    : n < small_read   ? small_read
                                       : in->read_size;
        if (in->joined && want != in->read_size) {
          in->read_size = want;
          self->configure_read(hdl, caf::io::receive_policy::at_most(want));
        }
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
        out->transferred(self, hdl, msg.remaining);
        self->send(sess, sent_atom::value, static_cast<uint64_t>(msg.written));
      },
      [=](const caf::io::connection_closed_msg&) {
        if (!in->closing)
          self->send(sess, closed_atom::value);
        self->quit();
      },
      [=](joined_atom) {
        in->joined = true;
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
      [=](write_atom, std::vector<char>& bytes) {
        out->write(self, hdl, bytes);
        if (in->closing) // no tail waits once the close is under way
          out->hand_over_all(self, hdl);
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
  close_mailbox_at_exit(self);
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
