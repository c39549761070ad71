#pragma once

// chat-bench's frame-level client, for `relay --envelopes prebuilt` and the
// churn anchor: TLS, HELLO, WELCOME and the directory as the client library
// speaks them (over the same net::frame_channel), but a SEND carries an
// envelope sealed once in advance and a DELIVER is counted, not opened.
// Pre-sealed envelopes are replays by design, which the client library
// rightly refuses, and opening thousands per second would measure the
// bench instead of the server.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "client/client_core.hpp"
#include "net/frame_channel.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"

namespace bench {

class frame_client {
public:
  /// Reports through the callbacks of `ev` that the connect phase sets
  /// (on_connected, on_welcome, on_error, on_directory); every ERROR goes
  /// to on_error, a refused name too.
  frame_client(const net::tls_context& ctx, std::string expected_fingerprint,
               net::identity id, client::client_events ev);

  /// Starts the TLS handshake.
  void start();

  /// Joins as `name`: HELLO goes out as soon as TLS is up.
  void choose_name(const std::string& name);

  /// Bytes from the socket. False once the connection is finished.
  bool on_bytes(const char* data, size_t size);

  /// Appends bytes to write to the socket.
  void take_output(std::vector<char>& out);

  /// Sends QUIT and closes TLS.
  void quit();

  /// Sends SEND to `to` with an envelope sealed beforehand.
  void send_envelope(const std::string& to, const net::bytes& envelope);

  /// Asks for the keys of `names` (KEYS_REQUEST); they land in keys().
  void request_keys(const std::vector<std::string>& names);

  /// Each DELIVER as it arrives, not opened.
  std::function<void(const net::deliver&)> on_deliver;

  const std::string& name() const {
    return name_;
  }
  const net::identity& identity() const {
    return id_;
  }
  /// Who is online (names only, as the directory says).
  const std::set<std::string>& directory() const {
    return directory_;
  }
  /// The keys the server sent on request, by name.
  const std::map<std::string, net::peer_info>& keys() const {
    return keys_;
  }

private:
  struct frame_handler;
  void send_hello();
  void apply_directory(const net::directory& d);
  void fail(net::errc code, const std::string& text);

  net::frame_channel channel_;
  net::identity id_;
  client::client_events ev_;
  std::string name_;
  std::set<std::string> directory_;
  std::map<std::string, net::peer_info> keys_;
  uint32_t next_id_ = 1;
  bool hello_pending_ = false;
  bool welcomed_ = false;      ///< WELCOME arrived
  bool have_snapshot_ = false; ///< the first directory snapshot arrived
  bool joined_ = false;
  bool finished_ = false;
};

} // namespace bench
