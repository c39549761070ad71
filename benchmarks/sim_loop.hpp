#pragma once

// Many simulated clients in one thread, each on a non-blocking socket, all
// driven by epoll. A client runs the client library (client::client_core:
// TLS, framing, protocol, envelopes) or, where a scenario measures routing
// alone, the bench's frame-level client (benchmarks/frame_client.hpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <vector>

#include "benchmarks/frame_client.hpp"
#include "client/client_core.hpp"
#include "net/tls_channel.hpp"

namespace bench {

/// Which protocol engine a simulated client runs.
enum class engine {
  library, ///< client::client_core: seals, verifies and opens envelopes
  frames,  ///< bench::frame_client: prebuilt envelopes, DELIVERs counted
};

/// One simulated client: socket, protocol engine, unsent bytes.
struct sim_client {
  size_t idx = 0;
  std::string name;
  int fd = -1;
  bool connected = false; ///< TCP connect completed
  bool closed = false;    ///< socket closed (by us or the server)
  bool leaving = false;   ///< QUIT sent; waiting for the server's EOF
  bool joined = false;
  bool converged = false;
  double t_start = 0;   ///< connect() called
  double t_welcome = 0; ///< on_welcome
  engine kind = engine::library;             ///< which engine open() starts
  std::unique_ptr<client::client_core> core; ///< engine::library
  std::unique_ptr<frame_client> frames;      ///< engine::frames
  std::vector<char> out;
  size_t out_off = 0;
  bool out_armed = false; ///< EPOLLOUT registered

  bool has_engine() const {
    return core || frames;
  }

  /// `f(engine)` with the engine this client runs (has_engine() first).
  template <class F>
  decltype(auto) with_engine(F&& f) {
    return core ? f(*core) : f(*frames);
  }
};

class sim_loop {
public:
  sim_loop(const std::string& host, uint16_t port, std::string fingerprint);
  ~sim_loop();

  /// Opens the connection of `c` (non-blocking connect, TLS start, HELLO
  /// queued as `c.name`) with a fresh engine of `c.kind`; false when no
  /// socket could be made.
  bool open(sim_client& c, client::client_events ev, net::identity id);

  /// Moves the core's pending output to the socket.
  void flush(sim_client& c);

  /// Sends QUIT, half-closes after flushing; the server's EOF closes `c`.
  void leave(sim_client& c);

  /// Closes the socket without QUIT (an abrupt drop).
  void drop(sim_client& c);

  /// Handles ready sockets, waiting at most `timeout_ms`; events handled.
  int poll(int timeout_ms);

  /// Called when a socket closes without us asking (EOF, reset, fatal).
  std::function<void(sim_client&, const std::string& why)> on_lost;

  size_t open_sockets() const {
    return open_;
  }

  /// Bytes read from every socket so far (TLS records: what the server
  /// sent, handshakes included).
  uint64_t bytes_in() const {
    return bytes_in_;
  }

private:
  void update_interest(sim_client& c);
  void handle(sim_client& c, uint32_t events);
  void finish(sim_client& c, const std::string& why, bool expected);

  int ep_ = -1;
  sockaddr_in addr_{};
  net::tls_context tls_;
  std::string fingerprint_;
  std::vector<char> buf_;
  /// The names the frame clients' directories number (one table for all).
  std::shared_ptr<name_table> names_ = std::make_shared<name_table>();
  size_t open_ = 0;
  uint64_t bytes_in_ = 0;
};

} // namespace bench
