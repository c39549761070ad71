#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "net/error.hpp"

namespace config {

/// Every knob of chat-client.
struct client_options {
  std::string host = "127.0.0.1";
  uint16_t port = 5000;
  std::string name;               ///< asked for interactively when empty
  std::string home_dir;           ///< default: $HOME/.chatroom
  std::string key_file;           ///< default: <home>/identity.pem
  std::string known_servers;      ///< default: <home>/known_servers
  std::string trust_file;         ///< default: <home>/known_peers
  std::string replay_file;        ///< default: <home>/replay_state
  uint32_t replay_window = 1024;  ///< counters per sender accepted reordered
  std::string server_fingerprint; ///< pin up front (SHA256:..)
  bool accept_new_fingerprint = false;
  bool headless = false;
  uint32_t max_kbps = 0;          ///< receive bandwidth cap, 0 = none
  std::string abr_policy;         ///< "" = server default
  bool check_frame_codes = false; ///< verify stamped frame indices
  uint32_t window_height = 720;   ///< the video window's initial height
  bool no_overlay = false;        ///< start without the stats overlay
  uint64_t max_video_pixels = 7680 * 4320; ///< larger frames: not decoded
  uint32_t keepalive_s = 60;      ///< PING when idle this long
};

/// Parses argv (+ config file, default none). See server_options.
net::result<client_options> parse_client_options(int argc,
                                                 const char* const* argv,
                                                 std::ostream& help_out,
                                                 bool& help_shown);

} // namespace config
