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
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "client/client_core.hpp"
#include "net/frame_channel.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"

namespace bench {

/// Every name the bench's clients have seen, numbered once for all of them.
class name_table {
public:
  uint32_t id(const std::string& name);

private:
  std::unordered_map<std::string, uint32_t> ids_;
};

/// Who is online as one client sees it: a bit per name of the bench's
/// name_table. 10,000 clients' directories are 10,000² bits (12.5 MB)
/// instead of 10⁸ strings in maps (what made the bench, not the server,
/// the limit of a large join storm).
class roster {
public:
  explicit roster(std::shared_ptr<name_table> names);

  /// False when `name` was there already (insert) or not there (erase).
  bool insert(const std::string& name);
  bool erase(const std::string& name);
  void clear();

  size_t size() const {
    return count_;
  }

private:
  std::shared_ptr<name_table> names_;
  std::vector<uint64_t> bits_;
  size_t count_ = 0;
};

class frame_client {
public:
  /// Reports through the callbacks of `ev` that the connect phase sets
  /// (on_connected, on_welcome, on_error, on_directory); every ERROR goes
  /// to on_error, a refused name too.
  /// `names` numbers the names of its directory (shared by the bench's
  /// clients).
  frame_client(const net::tls_context& ctx, std::string expected_fingerprint,
               net::identity id, client::client_events ev,
               std::shared_ptr<name_table> names);

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
  const roster& directory() const {
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
  roster directory_;
  std::map<std::string, net::peer_info> keys_;
  uint32_t next_id_ = 1;
  bool hello_pending_ = false;
  bool welcomed_ = false;      ///< WELCOME arrived
  bool have_snapshot_ = false; ///< the first directory snapshot arrived
  bool joined_ = false;
  bool finished_ = false;
};

} // namespace bench
