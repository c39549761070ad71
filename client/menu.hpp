#pragma once

// The console's menu as a state machine over client_core, sans I/O: typed
// lines and the core's events in, text out through a callback, and the
// outcome (quit, exit code) as state. The numbered menu is 1 list clients,
// 2 send message, 3 video playback, 4 quit; also 'f NAME' (fingerprint and
// safety number) and 'accept NAME' (trust a changed key). The terminal, the
// socket and the clock belong to the console (client/connection_loop.hpp).

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "client/client_core.hpp"
#include "client/known_servers.hpp"
#include "client/playback.hpp"
#include "net/error.hpp"

namespace client {

/// Longest chat message the console sends, in bytes.
constexpr size_t max_message_bytes = 65536;

/// Which server certificate a connection requires, and whether to pin the
/// one it shows (trust on first use, as ssh's known_hosts).
struct server_pin {
  std::string expected;        ///< fingerprint to require; empty: any
  bool pin_on_connect = false; ///< pin what the server shows
};

/// An explicit `fingerprint` wins; else the one pinned for `server_id`
/// unless `accept_new`; with nothing pinned the first connection pins.
server_pin choose_server_pin(const net::known_servers& known,
                             const std::string& server_id,
                             const std::string& fingerprint, bool accept_new);

/// True for the codes a refused PLAY comes back with: only those end a
/// playback that has not started (docs/protocol.md, section 9).
bool concerns_playback(net::errc code);

class menu {
public:
  enum class state {
    naming,     ///< asking for a name
    connecting, ///< name sent, waiting for WELCOME
    main,       ///< the numbered menu
    recipients,
    keys_wait, ///< recipients chosen, their keys on the way
    text,
    video_wait, ///< listing requested
    video_pick,
    quitting,
  };

  /// How a piece of text is shown (client/terminal.hpp): an answer to the
  /// user, an event that came meanwhile, or a prompt.
  enum class out_kind { line, event, prompt };

  using show_fn = std::function<void(out_kind, const std::string&)>;

  /// `known` gets the pin when `pin.pin_on_connect`; `server_id` is the
  /// host:port it is pinned for.
  menu(show_fn show, std::string server_id, server_pin pin,
       net::known_servers* known);

  /// The callbacks for this connection's client_core. They call into this
  /// menu, which must be attached before the core reports anything.
  client_events events();

  /// The engine and the player of this connection.
  void attach(client_core& core, playback& video);

  /// Asks for a name, or joins as `name` when one was given.
  void start(const std::string& name);

  /// One line the user typed (only while ready_for_input()).
  void on_line(const std::string& raw);

  /// True when a typed line is expected now; lines typed before WELCOME or
  /// while a listing is on its way wait.
  bool ready_for_input() const;

  state current() const {
    return state_;
  }

  bool quitting() const {
    return state_ == state::quitting;
  }

  /// -1 while nothing ended the connection; 2 after a fatal error.
  int exit_code() const {
    return exit_code_;
  }

  /// True for the quit choice, also typed while waiting to reconnect.
  static bool is_quit(const std::string& raw);

private:
  void line(const std::string& text) {
    show_(out_kind::line, text);
  }
  void event(const std::string& text) {
    show_(out_kind::event, text);
  }
  void prompt(const std::string& text) {
    show_(out_kind::prompt, text);
  }
  void show_menu();

  void on_connected(const std::string& fingerprint);
  void on_welcome(const std::string& name);
  void on_name_refused(const std::string& why);
  void on_error(net::errc code, const std::string& text, bool fatal);
  void on_directory(const std::vector<std::string>& joined,
                    const std::vector<std::string>& left, bool snapshot);
  void on_video_list();
  void on_keys(const std::string& name, bool online);
  /// Asks for the message once every recipient's keys are in (or its
  /// answer said it left: send_text then refuses it with the reason).
  void ask_text_when_keys_are_in();
  void show_fingerprint(const std::string& peer);

  void on_choice(const std::string& choice);
  void on_recipients(const std::string& line);
  void on_text(const std::string& raw);
  void list_clients();

  show_fn show_;
  std::string server_id_;
  server_pin pin_;
  net::known_servers* known_;
  client_core* core_ = nullptr;
  playback* video_ = nullptr;
  state state_ = state::naming;
  std::vector<std::string> recipients_;
  std::set<std::string> fingerprints_wanted_; ///< `f NAME` awaiting keys
  std::set<std::string> keys_wanted_; ///< recipients awaiting keys
  int exit_code_ = -1;
};

} // namespace client
