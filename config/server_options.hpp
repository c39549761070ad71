#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "net/error.hpp"
#include "net/log.hpp"

namespace config {

/// Every knob of chat-server; defaults here are the documented defaults.
struct server_options {
  // network
  std::string host = "127.0.0.1";
  uint16_t port = 5000;
  std::string data_dir = "data";
  std::string videos_dir = "videos";
  // limits
  uint32_t max_clients = 10000;
  uint32_t max_frame_size = 131072;
  uint32_t max_name_length = 32;
  double message_rate = 200;   ///< messages per second per session
  double message_burst = 400;  ///< token-bucket depth
  double byte_rate = 1 << 20;  ///< envelope bytes per second per session
  double byte_burst = 8 << 20; ///< envelope bytes in a burst
  uint64_t max_outgoing_bytes = 8 << 20; ///< per-session send backlog
  uint64_t max_total_outgoing_bytes = uint64_t{2} << 30; ///< all sessions
  double frame_rate = 1000;  ///< frame-budget units per second per session
  double frame_burst = 2000; ///< frame-budget bucket depth
  uint32_t max_unprocessed_input = 256 << 10; ///< read, not yet processed
  uint32_t max_prejoin_frame_size = 4096;     ///< before WELCOME
  uint32_t write_stall_timeout_s = 30; ///< queued bytes, none taken: close
  uint32_t close_linger_ms = 1000; ///< closed connections: delay the close
  uint32_t max_unjoined = 1024;            ///< connections before WELCOME
  uint32_t max_unjoined_per_address = 64;  ///< ... from one source address
  double connect_rate_per_address = 50;    ///< new connections/s per address
  double connect_burst_per_address = 200;  ///< ... bucket depth
  uint32_t shutdown_timeout_s = 10; ///< stop: every actor done by then
  uint32_t refusal_log_interval_s = 10; ///< one summary line per interval
  uint32_t handshake_timeout_ms = 30000;
  uint32_t idle_timeout_s = 300;
  uint32_t directory_coalesce_ms = 50;
  // video
  std::string abr_policy = "adaptive";
  uint32_t buffer_target_ms = 1500;
  uint32_t max_inflight_frames = 60;
  uint32_t max_streams = 2; ///< concurrent playbacks per session
  bool warm_cache = true;   ///< build frame caches at start-up
  // runtime
  uint32_t scheduler_threads = 0; ///< 0 = number of cores
  std::string scheduler_policy = "sharing";
  net::log_level log_level = net::log_level::info;
  bool log_frames = false; ///< log every received frame (type, size, hex)
};

/// Parses argv (+ config file). `help_shown` is set when --help was printed;
/// the caller then exits 0. Errors name the option and why.
net::result<server_options> parse_server_options(int argc,
                                                 const char* const* argv,
                                                 std::ostream& help_out,
                                                 bool& help_shown);

} // namespace config
