#pragma once

// A tiny thread-safe logger: CAF's own logging is compiled out of Debian's
// package, and the server wants one line per event on stderr.

#include <sstream>
#include <string>

namespace net {

enum class log_level { error = 0, warning, info, debug };

/// Sets the threshold; messages above it are dropped.
void set_log_level(log_level lvl);

/// Parses "error", "warning", "info" or "debug".
[[nodiscard]] bool parse_log_level(const std::string& text, log_level& out);

/// The name parse_log_level reads.
const char* log_level_name(log_level lvl);

bool log_enabled(log_level lvl);

/// Writes one timestamped line to stderr.
void log_line(log_level lvl, const std::string& text);

} // namespace net

#define CHAT_LOG(lvl, expr)                                                    \
  do {                                                                         \
    if (::net::log_enabled(::net::log_level::lvl)) {                           \
      std::ostringstream chat_log_os_;                                         \
      chat_log_os_ << expr;                                                    \
      ::net::log_line(::net::log_level::lvl, chat_log_os_.str());              \
    }                                                                          \
  } while (false)
