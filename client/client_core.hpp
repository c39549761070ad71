#pragma once

// The client protocol engine, sans I/O: feed it bytes from the socket, take
// bytes to write. The bytes go through a net::frame_channel (TLS with the
// server's pin, framing); above it the core runs HELLO, the directory
// cache, key pinning and end-to-end envelopes, and reports what happened
// through `client_events`. The console client and chat-bench drive it with
// their own sockets.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "client/replay_store.hpp"
#include "client/trust_store.hpp"
#include "net/envelope.hpp"
#include "net/frame.hpp"
#include "net/frame_channel.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"

namespace client {

/// The on_error callback: the error's code (an errc from the server's ERROR
/// frame, or the client's own: errc::pin_mismatch when the certificate is
/// not the pinned one, errc::tls, errc::protocol for malformed frames), the
/// server's or the core's words, and whether the connection is over. Decide
/// by the code; the text is for people.
using error_handler =
    std::function<void(net::errc code, const std::string& text, bool fatal)>;

/// Callbacks for everything a user interface shows. Any may be empty.
struct client_events {
  std::function<void(const std::string& fingerprint)> on_connected;
  /// Joined, and the directory snapshot is in.
  std::function<void(const std::string& name)> on_welcome;
  std::function<void(const std::string& why)> on_name_refused;
  error_handler on_error;
  std::function<void(const std::string& text)> on_warning;
  std::function<void(const std::vector<std::string>& joined,
                     const std::vector<std::string>& left, bool snapshot)>
      on_directory;
  std::function<void(const std::string& from, const std::string& text,
                     bool verified_key)>
      on_message;
  /// Frames the core does not handle itself (video).
  std::function<void(const net::frame&)> on_other_frame;
  /// The server answered for `name`'s keys: `online` with the keys now in
  /// directory() (pinned, or blocked if they changed), else not online.
  std::function<void(const std::string& name, bool online)> on_keys;
};

/// Outcome of send_text: who got an envelope, who will once the server
/// has sent their keys (a warning follows if it then cannot be sent), and
/// who did not, and why.
struct send_report {
  std::vector<std::string> sent;
  std::vector<std::string> waiting;
  std::vector<std::pair<std::string, std::string>> refused;
};

/// Messages (to send, or received) that may wait for their peer's keys at
/// once; beyond it a message is refused or dropped with a warning.
constexpr size_t max_waiting_for_keys = 1024;

/// Names per KEYS_REQUEST (the server's max-keys-per-request defaults to
/// 256).
constexpr size_t keys_request_batch = 64;

/// KEYS_REQUESTs awaiting their answer at once; more names wait their turn,
/// so the keys of a whole room never exceed the server's frame budget
/// (each request costs 16 units of frame-burst 2000).
constexpr size_t max_key_requests_in_flight = 8;

/// Default for client_core::set_timestamp_window: 5 minutes, as Kerberos.
constexpr uint64_t default_timestamp_window_ms = 5 * 60 * 1000;

/// Default limit for one frame from the server (type + payload). The
/// server's `max-frame-size` bounds what it accepts, not what it sends: a
/// directory snapshot grows with the room (76 bytes plus the name per
/// member: 1.1 MB for 10,000 members with 32-byte names, 11 MB with
/// 1024-byte names) and a video frame with its JPEG (a few hundred KiB at
/// 1080p). Repeating the server's 131072 would drop a client out of a room
/// of some 1,200; 16 MiB holds all of that and still bounds what a hostile
/// server can make us buffer.
constexpr uint32_t max_server_frame_size = 16 << 20;

class client_core {
public:
  /// A frame from the server larger than `max_frame_size` ends the
  /// connection (errc::protocol).
  client_core(net::tls_context ctx, std::string expected_fingerprint,
              net::identity id, trust_store* trust, client_events events,
              uint32_t max_frame_size = max_server_frame_size);

  /// Starts the TLS handshake.
  void start();

  /// Joins as `name` (sent in NFC): HELLO goes out as soon as TLS is up.
  /// Also the answer to on_name_refused.
  void choose_name(const std::string& name);

  /// Bytes from the socket. False once the connection is finished.
  bool on_bytes(const char* data, size_t size);

  /// Appends bytes to write to the socket.
  void take_output(std::vector<char>& out);

  bool has_output() const;

  /// Seals one envelope per recipient; `{"all"}` means everyone else online.
  /// A recipient whose keys the core does not hold yet gets the message
  /// once the server sent them (KEYS).
  [[nodiscard]] send_report send_text(const std::vector<std::string>& to,
                                      const std::string& text);

  /// Asks the server for the keys of those of `names` who are online and
  /// whose keys the core does not hold or await yet (on_keys tells).
  void request_keys(const std::vector<std::string>& names);

  /// Whether the keys of `peer` are in directory().
  bool has_keys(const std::string& peer) const;

  /// Sends QUIT and closes TLS.
  void quit();

  /// Encodes any frame (video requests) to the server.
  template <class T>
  void send_frame(const T& msg) {
    channel_.send(msg);
  }

  /// The user accepted the changed key of `peer`: pin it and unblock. False
  /// when `peer` is unknown or the pin could not be saved (reported through
  /// on_warning).
  [[nodiscard]] bool accept_key(const std::string& peer);

  /// Persistent replay state (survives reconnects and restarts); without
  /// one the core keeps an in-memory window. Not owned; may be null.
  void set_replay_store(replay_store* store) {
    replay_ = store != nullptr ? store : &memory_replay_;
  }

  /// Messages whose signed timestamp is further than this from our clock
  /// are shown with a warning (a delayed replay, or a wrong clock).
  void set_timestamp_window(uint64_t ms) {
    timestamp_window_ms_ = ms;
  }

  bool joined() const {
    return joined_;
  }
  bool finished() const {
    return finished_;
  }
  const std::string& name() const {
    return name_;
  }
  const std::string& server_fingerprint() const {
    return server_fp_;
  }
  /// Who is online; an entry's keys are empty until the server sent them
  /// (request_keys, or on first use).
  const std::map<std::string, net::peer_info>& directory() const {
    return directory_;
  }
  const net::identity& identity() const {
    return id_;
  }
  /// Code of the last error frame from the server (errc::ok if none).
  net::errc last_error_code() const {
    return last_error_;
  }

  /// Peers whose key changed and is not yet accepted.
  const std::set<std::string>& blocked() const {
    return blocked_;
  }

  /// Key fingerprint of an online peer (empty if unknown or its keys have
  /// not arrived).
  std::string fingerprint_of(const std::string& peer) const;

  /// Safety number of this user and `peer` (empty if unknown).
  std::string safety_number_with(const std::string& peer) const;

private:
  void send_hello();
  void maybe_welcome();
  struct frame_handler;
  void handle_frame(const net::frame& f);
  void open_delivery(const net::deliver& d);
  void apply_directory(const net::directory& d);
  void apply_keys(const net::peer_keys& k);
  /// Seals and sends `text` to `peer`, whose keys are known.
  bool seal_to(const std::string& peer, const std::string& text,
               std::string& why);
  /// What waited for `peer`'s keys: sent or opened now, or (`gone`: it is
  /// not online) dropped with a warning.
  void release_waiting(const std::string& peer, bool gone);
  void fail(const std::string& text, net::errc code = net::errc::protocol);

  net::frame_channel channel_;
  net::identity id_;
  trust_store* trust_;
  client_events ev_;
  replay_store memory_replay_;
  replay_store* replay_ = &memory_replay_;
  uint64_t timestamp_window_ms_ = default_timestamp_window_ms;
  std::string name_;
  std::string server_fp_;
  std::map<std::string, net::peer_info> directory_;
  std::set<std::string> keys_asked_; ///< a KEYS answer is due (or queued)
  std::deque<std::string> keys_queue_; ///< asked, not yet requested
  size_t key_requests_in_flight_ = 0;
  /// Sends KEYS_REQUESTs for queued names while fewer than the bound are
  /// awaiting their answer.
  void send_key_requests();
  std::map<std::string, std::vector<std::string>> waiting_texts_;
  std::map<std::string, std::vector<net::deliver>> waiting_delivers_;
  size_t waiting_ = 0; ///< entries of both maps
  std::set<std::string> blocked_;
  uint64_t counter_;
  uint32_t next_id_ = 1;
  bool hello_pending_ = false;
  net::errc last_error_ = net::errc::ok;
  bool joined_ = false;
  bool welcomed_ = false;      ///< WELCOME arrived
  bool have_snapshot_ = false; ///< the first directory snapshot arrived
  bool finished_ = false;
};

} // namespace client
