#include "actors/server_options.hpp"

#include <algorithm>
#include <sys/stat.h>

#include "config/option_parser.hpp"
#include "videos/abr.hpp"

namespace actors {

namespace {

namespace po = config::po;
using config::duration_value;
using config::flag_value;
using config::option_error;

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Ranges and relations between options; normalizes what depends on others.
caf::error validate(server_options& o, uint32_t port,
                    const std::string& log_level) {
  auto& s = o.session;
  auto& a = o.acceptor;
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
  if (s.max_frame_size < 1024 || s.max_frame_size > (64u << 20))
    return option_error("max-frame-size",
                        std::to_string(s.max_frame_size) +
                            " is out of range (1024-67108864)");
  if (o.registry.max_name_length < 1 || o.registry.max_name_length > 1024)
    return option_error("max-name-length", "must be 1-1024");
  if (o.registry.max_clients < 1)
    return option_error("max-clients", "must be at least 1");
  if (!(s.message_rate > 0) || !(s.message_burst >= 1))
    return option_error("message-rate",
                        "rate must be > 0 and burst at least 1");
  if (!(s.byte_rate > 0) || s.byte_burst < s.max_frame_size)
    return option_error("byte-rate", "rate must be > 0 and byte-burst at least "
                                     "max-frame-size");
  if (!(s.frame_rate > 0) || !(s.frame_burst >= play_frame_cost))
    return option_error("frame-rate",
                        "rate must be > 0 and frame-burst at least " +
                            std::to_string(play_frame_cost) +
                            " (the cost of a PLAY)");
  if (a.max_unjoined < 1 || a.max_unjoined_per_address < 1)
    return option_error("max-unjoined",
                        "max-unjoined and max-unjoined-per-address must be at "
                        "least 1");
  if (!(a.connect_rate_per_address > 0) || !(a.connect_burst_per_address >= 1))
    return option_error("connect-rate-per-address",
                        "rate must be > 0 and connect-burst-per-address at "
                        "least 1");
  if (a.refusal_log_interval.count() < 1)
    return option_error("refusal-log-interval-s", "must be at least 1");
  if (o.shutdown_timeout.count() < 1)
    return option_error("shutdown-timeout-s", "must be at least 1");
  if (o.max_total_outgoing_bytes < s.max_outgoing_bytes)
    return option_error("max-total-outgoing-bytes",
                        "must be at least max-outgoing-bytes");
  if (s.max_unprocessed_input < 16384)
    return option_error("max-unprocessed-input", "must be at least 16384");
  if (!(o.catalog.probe.fps_tolerance >= 0))
    return option_error("rendition-fps-tolerance", "must be 0 or more");
  if (s.wait_notice_interval.count() < 100)
    return option_error("video-wait-notice-ms", "must be at least 100");
  if (s.max_frames_per_turn < 1)
    return option_error("max-frames-per-turn", "must be at least 1");
  if (s.max_prejoin_frame_size < o.registry.max_name_length + 256)
    return option_error("max-prejoin-frame-size",
                        "must hold a HELLO (at least max-name-length + 256)");
  s.max_prejoin_frame_size =
      std::min(s.max_prejoin_frame_size, s.max_frame_size);
  if (s.stream.buffer_target_ms < 100 || s.stream.buffer_target_ms > 60000)
    return option_error("buffer-target-ms", "must be 100-60000");
  if (s.stream.max_in_flight > s.stream.max_in_flight_cap)
    return option_error("max-inflight-frames",
                        "must be at most " +
                            std::to_string(s.stream.max_in_flight_cap));
  if (auto policy = video::parse_policy(s.default_policy); !policy)
    return option_error("abr-policy", net::describe(policy.error()));
  if (!is_directory(o.catalog.videos_dir))
    return option_error("videos", "'" + o.catalog.videos_dir +
                                      "' is not a readable directory");
  return {};
}

} // namespace

net::result<server_options> parse_server_options(int argc,
                                                 const char* const* argv,
                                                 std::ostream& help_out,
                                                 bool& help_shown) {
  server_options o;
  auto& reg = o.registry;
  auto& s = o.session;
  auto& a = o.acceptor;
  uint32_t port = o.port;
  std::string log_level{net::log_level_name(o.log_level)};
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
    ("videos",
     po::value(&o.catalog.videos_dir)->default_value(o.catalog.videos_dir),
     "directory of <id>_<height>p.<ext> renditions")
    ("max-clients", po::value(&reg.max_clients)->default_value(reg.max_clients),
     "clients joined at once")
    ("max-frame-size",
     po::value(&s.max_frame_size)->default_value(s.max_frame_size),
     "largest frame in bytes (type + payload)")
    ("max-name-length",
     po::value(&reg.max_name_length)->default_value(reg.max_name_length),
     "longest user name in bytes")
    ("message-rate", po::value(&s.message_rate)->default_value(s.message_rate),
     "messages per second per session (token-bucket rate)")
    ("message-burst",
     po::value(&s.message_burst)->default_value(s.message_burst),
     "messages a session may send in a burst (bucket depth)")
    ("byte-rate", po::value(&s.byte_rate)->default_value(s.byte_rate),
     "envelope bytes per second per session (token-bucket rate)")
    ("byte-burst", po::value(&s.byte_burst)->default_value(s.byte_burst),
     "envelope bytes a session may send in a burst (bucket depth)")
    ("max-outgoing-bytes",
     po::value(&s.max_outgoing_bytes)->default_value(s.max_outgoing_bytes),
     "unsent bytes per session: others' messages to it are refused "
     "(recipient_busy) beyond this, video skips beyond half; its own "
     "replies beyond twice this close it")
    ("max-total-outgoing-bytes",
     po::value(&o.max_total_outgoing_bytes)
       ->default_value(o.max_total_outgoing_bytes),
     "unsent bytes of all sessions together; beyond it the largest backlog "
     "is closed (overloaded), then the next")
    ("max-cached-routes",
     po::value(&s.max_cached_routes)->default_value(s.max_cached_routes),
     "recipients per session whose session is kept (monitored) so their "
     "messages skip the registry; 0 = every message through the registry")
    ("max-keys-per-request",
     po::value(&s.max_keys_per_request)
       ->default_value(s.max_keys_per_request),
     "names one KEYS request may ask the public keys of")
    ("frame-rate", po::value(&s.frame_rate)->default_value(s.frame_rate),
     "frame-budget units per second per session (every frame type costs: "
     "ping/ack 1, control 4, list/hello 16, play 32)")
    ("frame-burst", po::value(&s.frame_burst)->default_value(s.frame_burst),
     "frame-budget bucket depth; this many frames dropped in a row "
     "disconnect")
    ("max-unprocessed-input",
     po::value(&s.max_unprocessed_input)
       ->default_value(s.max_unprocessed_input),
     "bytes read but not yet processed per connection; reading pauses above")
    ("max-frames-per-turn",
     po::value(&s.max_frames_per_turn)->default_value(s.max_frames_per_turn),
     "frames one session handles before the other sessions on its thread "
     "get a turn (the rest of its input waits)")
    ("max-prejoin-frame-size",
     po::value(&s.max_prejoin_frame_size)
       ->default_value(s.max_prejoin_frame_size),
     "largest frame accepted before WELCOME (HELLO)")
    ("write-stall-timeout-s", duration_value(&s.write_stall_timeout),
     "close a client with queued bytes that takes none for this long "
     "(0 = never)")
    ("close-linger-ms", duration_value(&s.close_linger),
     "a closed client's socket stays open this long, unread, so the reason "
     "reaches it before the kernel resets the connection")
    ("max-unjoined",
     po::value(&a.max_unjoined)->default_value(a.max_unjoined),
     "connections not yet joined (TLS or HELLO pending), in all")
    ("max-unjoined-per-address",
     po::value(&a.max_unjoined_per_address)
       ->default_value(a.max_unjoined_per_address),
     "connections not yet joined from one source address")
    ("connect-rate-per-address",
     po::value(&a.connect_rate_per_address)
       ->default_value(a.connect_rate_per_address),
     "new connections per second from one source address (token bucket)")
    ("connect-burst-per-address",
     po::value(&a.connect_burst_per_address)
       ->default_value(a.connect_burst_per_address),
     "new connections from one source address in a burst")
    ("refusal-log-interval-s", duration_value(&a.refusal_log_interval),
     "refused connections are summed up in one log line per interval")
    ("shutdown-timeout-s", duration_value(&o.shutdown_timeout),
     "on SIGINT/SIGTERM every client is closed with a reason; exit non-zero "
     "if that takes longer")
    ("deadline-granularity-ms", duration_value(&o.deadline_granularity),
     "session deadlines (handshake, idle, write stall) are checked in steps "
     "of this; each is late by less than a step")
    ("handshake-timeout-ms", duration_value(&s.handshake_timeout),
     "hard deadline from accept to WELCOME (TLS, HELLO, name retries)")
    ("idle-timeout-s", duration_value(&s.idle_timeout),
     "drop a joined session silent for this long (0 = never)")
    ("directory-coalesce-ms", duration_value(&reg.coalesce),
     "join/leave events are batched at least this long")
    ("directory-writes-per-s",
     po::value(&reg.directory_writes_per_s)
       ->default_value(reg.directory_writes_per_s),
     "the batching window grows with the room so that the directory writes "
     "to all members stay near this rate (online / this, in seconds)")
    ("directory-coalesce-max-ms", duration_value(&reg.coalesce_max),
     "the longest batching window, whatever the room's size")
    ("abr-policy",
     po::value(&s.default_policy)->default_value(s.default_policy),
     "default video policy: adaptive | bba | thirds | fixed:<height>")
    ("buffer-target-ms",
     po::value(&s.stream.buffer_target_ms)
       ->default_value(s.stream.buffer_target_ms),
     "client video buffer to fill before pacing at the native rate")
    ("max-inflight-frames",
     po::value(&s.stream.max_in_flight)
       ->default_value(s.stream.max_in_flight),
     "video frames sent but not acknowledged; 0 = twice the buffer "
     "target's frames (at least 8)")
    ("max-streams", po::value(&s.max_streams)->default_value(s.max_streams),
     "concurrent video playbacks per session")
    ("warm-cache", flag_value(&o.catalog.warm),
     "encode every video's frame cache at start-up (else on first play)")
    ("video-wait-notice-ms", duration_value(&s.wait_notice_interval),
     "a PLAY waiting for a video's frame cache to be built hears how far "
     "the build is this often (PLAY_WAITING)")
    ("rendition-duration-tolerance-ms",
     duration_value(&o.catalog.probe.duration_tolerance),
     "renditions of one video whose durations differ by more are not "
     "merged: the video is listed as unavailable, with the reason")
    ("rendition-fps-tolerance",
     po::value(&o.catalog.probe.fps_tolerance)
       ->default_value(o.catalog.probe.fps_tolerance, "0.05"),
     "the same for frame rates (frames per second)")
    ("scheduler-threads",
     po::value(&o.scheduler_threads)->default_value(o.scheduler_threads),
     "CAF worker threads, 0 = number of cores")
    ("scheduler-policy",
     po::value(&o.scheduler_policy)->default_value(o.scheduler_policy),
     "CAF scheduler: sharing | stealing")
    ("log-level", po::value(&log_level)->default_value(log_level),
     "error | warning | info | debug")
    ("log-frames", flag_value(&s.log_frames),
     "log every received frame (debugging; never logs plaintext, there is "
     "none)");
  // clang-format on
  auto parsed =
      config::parse_options(desc, argc, argv, "config/server.ini", help_out);
  if (!parsed)
    return std::move(parsed.error());
  help_shown = parsed->help_shown;
  if (help_shown)
    return o;
  if (auto err = validate(o, port, log_level))
    return err;
  return o;
}

} // namespace actors
