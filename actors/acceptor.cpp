#include "actors/acceptor.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "net/error.hpp"
#include "net/log.hpp"

namespace actors {

caf::behavior connection(caf::io::broker* self, caf::io::connection_handle hdl,
                         std::shared_ptr<const server_context> ctx) {
  auto peer =
      self->remote_addr(hdl) + ":" + std::to_string(self->remote_port(hdl));
  auto sess =
      self->spawn<caf::linked>(session, caf::actor{self}, ctx->registry,
                               ctx->catalog, ctx->settings, ctx->tls, peer);
  self->configure_read(hdl, caf::io::receive_policy::at_most(16384));
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
        }
      },
      [=](caf::io::data_transferred_msg& msg) {
        self->send(sess, sent_atom::value, static_cast<uint64_t>(msg.written));
      },
      [=](const caf::io::connection_closed_msg&) {
        if (!in->closing)
          self->send(sess, closed_atom::value);
        self->quit();
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

caf::behavior acceptor(acceptor_actor* self,
                       std::shared_ptr<const server_context> ctx) {
  self->set_down_handler([=](const caf::down_msg&) { --self->state.live; });
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
        if (st.live >= ctx->max_connections) {
          ++st.refused;
          CHAT_LOG(warning,
                   "refusing connection: " << st.live << " connections open");
          self->close(msg.handle);
          return;
        }
        auto conn = self->fork(connection, msg.handle, ctx);
        self->monitor(conn);
        ++st.live;
      },
      [=](caf::get_atom) { return self->state.live; },
  };
}

} // namespace actors
