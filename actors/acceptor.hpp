#pragma once

// The acceptor broker listens and forks one connection broker per client.
// A connection broker lives on CAF's multiplexer thread and only moves bytes:
//   socket -> (recv_atom, bytes) -> session
//   session -> (write_atom, bytes) | close_atom -> socket
// and reports (sent_atom, n) as writes complete, so the session can bound
// its backlog. The session, a broker without sockets on the same thread,
// does TLS, framing and protocol (docs/decisions.md, 25).
//
// acceptor requests
//   (open_atom, host, port) -> uint16_t actual port | error   (listen)
//   get_atom -> uint32_t live connections
//   (close_atom, reason)   stop: no new connections; every connection is
//       closed with ERROR shutdown (joined or not); quits when none is left
//   exit_msg (not kill)    stop at once: every connection is killed, then
//       the acceptor quits (what is left of an overrun stop)
// connection -> acceptor
//   joined_atom   the session joined: no longer counts as unjoined
//
// Admission (before any TLS byte): at most max_connections in all, at most
// max_unjoined not yet joined, per source address at most
// max_unjoined_per_address unjoined and a token bucket of connects.
// Refused connections are closed at once and summed up in one log line per
// refusal_log_interval. The sweep timer runs only while there is something
// to sweep or report: an idle server has no timer.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include <caf/io/broker.hpp>

#include "actors/session.hpp"
#include "net/tls_channel.hpp"

namespace actors {

/// Admission limits (options of the same names).
struct acceptor_settings {
  /// Connections not yet joined, in all and per source address.
  uint32_t max_unjoined = 1024;
  uint32_t max_unjoined_per_address = 64;
  /// New connections per source address: rate per second and burst.
  double connect_rate_per_address = 50;
  double connect_burst_per_address = 200;
  /// Refused connections are summed up in one log line per interval.
  std::chrono::seconds refusal_log_interval{10};
};

/// Connections one server holds at most: every joined client and every
/// one still joining (the server sizes its file descriptor limit for it).
inline uint64_t max_connections_for(const registry_settings& r,
                                    const acceptor_settings& a) {
  return uint64_t{r.max_clients} + a.max_unjoined;
}

/// What every connection of one server shares (immutable after start).
struct server_context {
  registry_actor registry;
  catalog_actor catalog;
  std::shared_ptr<const session_settings> settings;
  net::tls_context tls;
  /// Connections beyond this are closed at once (joined clients are bounded
  /// separately by the registry, with a clear error).
  uint32_t max_connections = static_cast<uint32_t>(max_connections_for({}, {}));
  acceptor_settings limits;
};

struct acceptor_state {
  struct source {
    uint32_t unjoined = 0;
    net::token_bucket connects;
  };
  struct conn_info {
    std::string address;
    bool joined = false;
  };

  uint32_t live = 0;
  uint32_t unjoined = 0;
  uint64_t refused = 0;
  bool stopping = false;    ///< closing every connection, then quitting
  bool sweep_armed = false; ///< a sweep timer is pending
  std::unordered_map<std::string, source> sources;
  /// By connection (weak: a connection and its acceptor must not keep each
  /// other alive).
  std::unordered_map<caf::actor_addr, conn_info> conns;
  std::map<std::string, uint64_t> refusals; ///< reason -> count, this interval
  std::map<std::string, uint64_t> refused_by_address; ///< this interval
  static inline const char* name = "acceptor";
};

/// The acceptor's implementation type (an untyped broker, as CAF 0.17
/// spawns brokers; tests reach its state).
using acceptor_impl = caf::stateful_actor<acceptor_state, caf::io::broker>;

/// Spawn with `sys.middleman().spawn_broker(acceptor, ctx)`.
caf::behavior acceptor(acceptor_impl* self,
                       std::shared_ptr<const server_context> ctx);

/// The broker of one client connection (forked by the acceptor).
caf::behavior connection(caf::io::broker* self, caf::io::connection_handle hdl,
                         std::shared_ptr<const server_context> ctx,
                         caf::actor_addr acceptor);

} // namespace actors
