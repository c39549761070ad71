#include "config/client_options.hpp"

#include <cstdlib>

#include "config/option_parser.hpp"

namespace config {

net::result<client_options> parse_client_options(int argc,
                                                 const char* const* argv,
                                                 std::ostream& help_out,
                                                 bool& help_shown) {
  client_options o;
  uint32_t port = o.port;
  po::options_description desc{"chat-client options"};
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("config,c", po::value<std::string>(), "config file")
    ("host", po::value(&o.host)->default_value(o.host), "server address")
    ("port,p", po::value(&port)->default_value(port), "server port")
    ("name,n", po::value(&o.name), "user name (asked for when missing)")
    ("home", po::value(&o.home_dir),
     "directory for identity and trust files (default: ~/.chatroom)")
    ("key-file", po::value(&o.key_file),
     "identity key file, created 0600 on first use "
     "(default: <home>/identity.pem)")
    ("known-servers", po::value(&o.known_servers),
     "pinned server fingerprints (default: <home>/known_servers)")
    ("known-peers", po::value(&o.trust_file),
     "pinned peer keys (default: <home>/known_peers)")
    ("replay-state", po::value(&o.replay_file),
     "envelope counters already shown, kept across restarts "
     "(default: <home>/replay_state)")
    ("replay-window",
     po::value(&o.replay_window)->default_value(o.replay_window),
     "how many counters below a sender's newest one may still arrive "
     "late (64-1048576)")
    ("server-fingerprint", po::value(&o.server_fingerprint),
     "expected server certificate fingerprint (SHA256:..)")
    ("accept-new-fingerprint", po::bool_switch(&o.accept_new_fingerprint),
     "accept and pin a changed server fingerprint")
    ("headless", po::bool_switch(&o.headless),
     "play video without a window, print statistics instead")
    ("window-height",
     po::value(&o.window_height)->default_value(o.window_height),
     "the video window opens this high (at most the video's height); it "
     "keeps its size across renditions and can be resized")
    ("no-overlay", po::bool_switch(&o.no_overlay),
     "start playback without the statistics overlay (o toggles it)")
    ("max-video-pixels",
     po::value(&o.max_video_pixels)->default_value(o.max_video_pixels),
     "video frames whose JPEG header claims more pixels are dropped "
     "undecoded (a hostile server's huge header would cost gigabytes)")
    ("max-kbps", po::value(&o.max_kbps)->default_value(o.max_kbps),
     "cap the receive bandwidth (kbit/s, 0 = no cap)")
    ("abr-policy", po::value(&o.abr_policy),
     "video policy to ask for: adaptive | bba | thirds | fixed:<height>")
    ("keepalive-s", po::value(&o.keepalive_s)->default_value(o.keepalive_s),
     "send a PING after this many seconds (keep below the server's "
     "--idle-timeout-s)")
    ("check-frame-codes", po::bool_switch(&o.check_frame_codes),
     "decode each frame and verify the index stamped in the synthetic "
     "sample video (diagnostics)");
  // clang-format on
  auto parsed = parse_options(desc, argc, argv, "", help_out);
  if (!parsed)
    return std::move(parsed.error());
  help_shown = parsed->help_shown;
  if (help_shown)
    return o;
  if (port == 0 || port > 65535)
    return option_error("port",
                        std::to_string(port) + " is out of range (1-65535)");
  o.port = static_cast<uint16_t>(port);
  if (o.keepalive_s == 0)
    return option_error("keepalive-s", "must be at least 1");
  if (o.replay_window < 64 || o.replay_window > 1048576)
    return option_error("replay-window", "must be 64-1048576");
  if (o.home_dir.empty()) {
    auto home = std::getenv("HOME");
    o.home_dir = std::string{home ? home : "."} + "/.chatroom";
  }
  if (o.key_file.empty())
    o.key_file = o.home_dir + "/identity.pem";
  if (o.known_servers.empty())
    o.known_servers = o.home_dir + "/known_servers";
  if (o.trust_file.empty())
    o.trust_file = o.home_dir + "/known_peers";
  if (o.replay_file.empty())
    o.replay_file = o.home_dir + "/replay_state";
  return o;
}

} // namespace config
