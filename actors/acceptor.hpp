#pragma once

// The acceptor broker listens and forks one connection broker per client.
// A connection broker lives on CAF's multiplexer thread and only moves bytes:
//   socket -> (recv_atom, bytes) -> session
//   session -> (write_atom, bytes) | close_atom -> socket
// and reports (sent_atom, n) as writes complete, so the session can bound
// its backlog. The session does TLS, framing and protocol on a worker.
//
// acceptor requests
//   (open_atom, host, port) -> uint16_t actual port | error   (listen)
//   get_atom -> uint32_t live connections

#include <cstdint>
#include <memory>
#include <string>

#include <caf/io/broker.hpp>

#include "actors/session.hpp"
#include "net/tls_channel.hpp"

namespace actors {

/// What every connection of one server shares (immutable after start).
struct server_context {
  caf::actor registry;
  catalog_actor catalog;
  std::shared_ptr<const session_settings> settings;
  net::tls_context tls;
  /// Connections beyond this are closed at once (joined clients are bounded
  /// separately by the registry, with a clear error).
  uint32_t max_connections = 10240;
};

struct acceptor_state {
  uint32_t live = 0;
  uint64_t refused = 0;
  static inline const char* name = "acceptor";
};

using acceptor_actor = caf::stateful_actor<acceptor_state, caf::io::broker>;

/// Spawn with `sys.middleman().spawn_broker(acceptor, ctx)`.
caf::behavior acceptor(acceptor_actor* self,
                       std::shared_ptr<const server_context> ctx);

/// The broker of one client connection (forked by the acceptor).
caf::behavior connection(caf::io::broker* self, caf::io::connection_handle hdl,
                         std::shared_ptr<const server_context> ctx);

} // namespace actors
