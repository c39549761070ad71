#include "config/server_options.hpp"

#include <sys/stat.h>

#include "config/option_parser.hpp"

namespace config {

namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

net::result<server_options> parse_server_options(int argc,
                                                 const char* const* argv,
                                                 std::ostream& help_out,
                                                 bool& help_shown) {
  server_options o;
  uint32_t port = o.port;
  std::string log_level = "info";
  po::options_description desc{"chat-server options"};
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("config,c", po::value<std::string>(),
     "config file (default: config/server.ini if it exists)")
    ("host", po::value(&o.host)->default_value(o.host),
     "listen address")
    ("port,p", po::value(&port)->default_value(port),
     "listen port, 0 = any free port")
    ("data-dir", po::value(&o.data_dir)->default_value(o.data_dir),
     "certificate, key and caches")
    ("videos", po::value(&o.videos_dir)->default_value(o.videos_dir),
     "directory of <id>_<height>p.<ext> renditions")
    ("max-clients", po::value(&o.max_clients)->default_value(o.max_clients),
     "clients joined at once")
    ("max-frame-size",
     po::value(&o.max_frame_size)->default_value(o.max_frame_size),
     "largest frame in bytes (type + payload)")
    ("max-name-length",
     po::value(&o.max_name_length)->default_value(o.max_name_length),
     "longest user name in bytes")
    ("message-rate", po::value(&o.message_rate)->default_value(o.message_rate),
     "messages per second per session (token-bucket rate)")
    ("message-burst",
     po::value(&o.message_burst)->default_value(o.message_burst),
     "messages a session may send in a burst (bucket depth)")
    ("byte-rate", po::value(&o.byte_rate)->default_value(o.byte_rate),
     "envelope bytes per second per session (token-bucket rate)")
    ("byte-burst", po::value(&o.byte_burst)->default_value(o.byte_burst),
     "envelope bytes a session may send in a burst (bucket depth)")
    ("max-outgoing-bytes",
     po::value(&o.max_outgoing_bytes)->default_value(o.max_outgoing_bytes),
     "unsent bytes per session: others' messages to it are refused "
     "(recipient_busy) beyond this, video skips beyond half; its own "
     "replies beyond twice this close it")
    ("max-total-outgoing-bytes",
     po::value(&o.max_total_outgoing_bytes)
       ->default_value(o.max_total_outgoing_bytes),
     "unsent bytes of all sessions together; beyond it the largest backlog "
     "is closed (overloaded), then the next")
    ("frame-rate", po::value(&o.frame_rate)->default_value(o.frame_rate),
     "frame-budget units per second per session (every frame type costs: "
     "ping/ack 1, control 4, list/hello 16, play 32)")
    ("frame-burst", po::value(&o.frame_burst)->default_value(o.frame_burst),
     "frame-budget bucket depth; this many frames dropped in a row "
     "disconnect")
    ("max-unprocessed-input",
     po::value(&o.max_unprocessed_input)
       ->default_value(o.max_unprocessed_input),
     "bytes read but not yet processed per connection; reading pauses above")
    ("max-prejoin-frame-size",
     po::value(&o.max_prejoin_frame_size)
       ->default_value(o.max_prejoin_frame_size),
     "largest frame accepted before WELCOME (HELLO)")
    ("write-stall-timeout-s",
     po::value(&o.write_stall_timeout_s)
       ->default_value(o.write_stall_timeout_s),
     "close a client with queued bytes that takes none for this long "
     "(0 = never)")
    ("close-linger-ms",
     po::value(&o.close_linger_ms)->default_value(o.close_linger_ms),
     "a closed client's socket stays open this long, unread, so the reason "
     "reaches it before the kernel resets the connection")
    ("max-unjoined",
     po::value(&o.max_unjoined)->default_value(o.max_unjoined),
     "connections not yet joined (TLS or HELLO pending), in all")
    ("max-unjoined-per-address",
     po::value(&o.max_unjoined_per_address)
       ->default_value(o.max_unjoined_per_address),
     "connections not yet joined from one source address")
    ("connect-rate-per-address",
     po::value(&o.connect_rate_per_address)
       ->default_value(o.connect_rate_per_address),
     "new connections per second from one source address (token bucket)")
    ("connect-burst-per-address",
     po::value(&o.connect_burst_per_address)
       ->default_value(o.connect_burst_per_address),
     "new connections from one source address in a burst")
    ("refusal-log-interval-s",
     po::value(&o.refusal_log_interval_s)
       ->default_value(o.refusal_log_interval_s),
     "refused connections are summed up in one log line per interval")
    ("shutdown-timeout-s",
     po::value(&o.shutdown_timeout_s)->default_value(o.shutdown_timeout_s),
     "on SIGINT/SIGTERM every client is closed with a reason; exit non-zero "
     "if that takes longer")
    ("handshake-timeout-ms",
     po::value(&o.handshake_timeout_ms)->default_value(o.handshake_timeout_ms),
     "hard deadline from accept to WELCOME (TLS, HELLO, name retries)")
    ("idle-timeout-s",
     po::value(&o.idle_timeout_s)->default_value(o.idle_timeout_s),
     "drop a joined session silent for this long (0 = never)")
    ("directory-coalesce-ms",
     po::value(&o.directory_coalesce_ms)
       ->default_value(o.directory_coalesce_ms),
     "join/leave events are batched for this long")
    ("abr-policy", po::value(&o.abr_policy)->default_value(o.abr_policy),
     "default video policy: adaptive | thirds | fixed:<height>")
    ("buffer-target-ms",
     po::value(&o.buffer_target_ms)->default_value(o.buffer_target_ms),
     "client video buffer to fill before pacing at the native rate")
    ("max-inflight-frames",
     po::value(&o.max_inflight_frames)->default_value(o.max_inflight_frames),
     "video frames sent but not acknowledged")
    ("max-streams", po::value(&o.max_streams)->default_value(o.max_streams),
     "concurrent video playbacks per session")
    ("warm-cache", po::value(&o.warm_cache)->default_value(o.warm_cache),
     "encode every video's frame cache at start-up (else on first play)")
    ("scheduler-threads",
     po::value(&o.scheduler_threads)->default_value(o.scheduler_threads),
     "CAF worker threads, 0 = number of cores")
    ("scheduler-policy",
     po::value(&o.scheduler_policy)->default_value(o.scheduler_policy),
     "CAF scheduler: sharing | stealing")
    ("log-level", po::value(&log_level)->default_value(log_level),
     "error | warning | info | debug")
    ("log-frames", po::bool_switch(&o.log_frames),
     "log every received frame (debugging; never logs plaintext, there is "
     "none)");
  // clang-format on
  auto parsed = parse_options(desc, argc, argv, "config/server.ini", help_out);
  if (!parsed)
    return std::move(parsed.error());
  help_shown = parsed->help_shown;
  if (help_shown)
    return o;
  if (port > 65535)
    return option_error("port",
                        std::to_string(port) + " is out of range (0-65535)");
  o.port = static_cast<uint16_t>(port);
  if (!net::parse_log_level(log_level, o.log_level))
    return option_error("log-level", "'" + log_level +
                                         "' is not one of error, warning, "
                                         "info, debug");
  if (o.scheduler_policy != "sharing" && o.scheduler_policy != "stealing")
    return option_error("scheduler-policy",
                        "'" + o.scheduler_policy +
                            "' is not one of sharing, stealing");
  if (o.max_frame_size < 1024 || o.max_frame_size > (64u << 20))
    return option_error("max-frame-size",
                        std::to_string(o.max_frame_size) +
                            " is out of range (1024-67108864)");
  if (o.max_name_length < 1 || o.max_name_length > 1024)
    return option_error("max-name-length", "must be 1-1024");
  if (o.max_clients < 1)
    return option_error("max-clients", "must be at least 1");
  if (!(o.message_rate > 0) || !(o.message_burst >= 1))
    return option_error("message-rate",
                        "rate must be > 0 and burst at least 1");
  if (!(o.byte_rate > 0) || o.byte_burst < o.max_frame_size)
    return option_error("byte-rate", "rate must be > 0 and byte-burst at least "
                                     "max-frame-size");
  if (!(o.frame_rate > 0) || !(o.frame_burst >= 32))
    return option_error("frame-rate",
                        "rate must be > 0 and frame-burst at least 32 (the "
                        "cost of a PLAY)");
  if (o.max_unjoined < 1 || o.max_unjoined_per_address < 1)
    return option_error("max-unjoined",
                        "max-unjoined and max-unjoined-per-address must be at "
                        "least 1");
  if (!(o.connect_rate_per_address > 0) || !(o.connect_burst_per_address >= 1))
    return option_error("connect-rate-per-address",
                        "rate must be > 0 and connect-burst-per-address at "
                        "least 1");
  if (o.refusal_log_interval_s < 1)
    return option_error("refusal-log-interval-s", "must be at least 1");
  if (o.shutdown_timeout_s < 1)
    return option_error("shutdown-timeout-s", "must be at least 1");
  if (o.max_total_outgoing_bytes < o.max_outgoing_bytes)
    return option_error("max-total-outgoing-bytes",
                        "must be at least max-outgoing-bytes");
  if (o.max_unprocessed_input < 16384)
    return option_error("max-unprocessed-input", "must be at least 16384");
  if (o.max_prejoin_frame_size < o.max_name_length + 256)
    return option_error("max-prejoin-frame-size",
                        "must hold a HELLO (at least max-name-length + 256)");
  if (o.buffer_target_ms < 100 || o.buffer_target_ms > 60000)
    return option_error("buffer-target-ms", "must be 100-60000");
  if (o.max_inflight_frames < 1)
    return option_error("max-inflight-frames", "must be at least 1");
  if (!is_directory(o.videos_dir))
    return option_error("videos",
                        "'" + o.videos_dir + "' is not a readable directory");
  return o;
}

} // namespace config
