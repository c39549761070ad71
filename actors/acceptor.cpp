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
  // A session that ends for any reason (even a normal exit, which a link
  // would ignore) ends its connection.
  self->monitor(sess);
  self->set_down_handler([=](const caf::down_msg&) {
    self->flush(hdl);
    self->close(hdl);
    self->quit();
  });
  self->configure_read(hdl, caf::io::receive_policy::at_most(16384));
  self->ack_writes(hdl, true);
  return {
      [=](caf::io::new_data_msg& msg) {
        self->send(sess, recv_atom::value, std::move(msg.buf));
      },
      [=](caf::io::data_transferred_msg& msg) {
        self->send(sess, sent_atom::value, static_cast<uint64_t>(msg.written));
      },
      [=](const caf::io::connection_closed_msg&) {
        self->send(sess, closed_atom::value);
        self->quit();
      },
      [=](write_atom, const std::vector<char>& bytes) {
        self->write(hdl, bytes.size(), bytes.data());
        self->flush(hdl);
      },
      [=](caf::close_atom) {
        self->flush(hdl);
        self->close(hdl); // graceful: pending writes go out first
        self->quit();
      },
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
