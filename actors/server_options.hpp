#pragma once

// chat-server's options: the components' own settings structs, bound
// directly to Boost.Program_options. Each default is written once, in the
// struct that uses it (registry_settings, session_settings with its
// stream_settings, acceptor_settings, catalog_settings) or below for what
// only the server's main uses; `--help` and config/server.ini show those
// values (the config suite checks the shipped file against them).

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "actors/acceptor.hpp"
#include "actors/catalog_actor.hpp"
#include "actors/registry.hpp"
#include "actors/session.hpp"
#include "net/error.hpp"
#include "net/log.hpp"

namespace actors {

/// Every knob of chat-server.
struct server_options {
  // network
  std::string host = "127.0.0.1";
  uint16_t port = 5000;
  std::string data_dir = "data"; ///< certificate, key and caches
  // components (catalog.cache_dir and catalog.log are set by main)
  registry_settings registry;
  session_settings session;
  acceptor_settings acceptor;
  catalog_settings catalog;
  /// Unsent bytes of all sessions together (the outbound budget).
  uint64_t max_total_outgoing_bytes = uint64_t{2} << 30;
  /// Stop: every actor done by then, or the exit status says it was not.
  std::chrono::seconds shutdown_timeout{10};
  /// The deadline wheel wakes sessions in steps of this: one wake-up for
  /// every deadline that falls in a step, each late by less than a step.
  std::chrono::milliseconds deadline_granularity{1000};
  // runtime
  uint32_t scheduler_threads = 0; ///< 0 = number of cores
  std::string scheduler_policy = "sharing";
  net::log_level log_level = net::log_level::info;
};

/// Parses argv (+ config file). `help_shown` is set when --help was printed;
/// the caller then exits 0. Errors name the option and why.
[[nodiscard]] net::result<server_options>
parse_server_options(int argc, const char* const* argv, std::ostream& help_out,
                     bool& help_shown);

} // namespace actors
