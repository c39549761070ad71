#pragma once

// Shared mechanics of the server's and the client's option parsing: command
// line first, then the config file named by --config; the command line wins.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include <boost/program_options.hpp>

#include "net/error.hpp"

namespace config {

namespace po = boost::program_options;

/// What parse_options found: the values, or that --help was answered.
struct parsed_options {
  po::variables_map vm;
  bool help_shown = false;
};

/// Parses argv and the config file (if `--config` is given, or `default_file`
/// exists). `desc` must contain "config" and "help". Prints the help text
/// to `help_out` on --help. Errors name the offending option.
net::result<parsed_options> parse_options(const po::options_description& desc,
                                          int argc, const char* const* argv,
                                          const std::string& default_file,
                                          std::ostream& help_out);

/// Binds a std::chrono duration counted in its own unit (an option named
/// "...-ms" binds milliseconds); its current value is the default.
template <class Rep, class Period>
po::typed_value<uint32_t>*
duration_value(std::chrono::duration<Rep, Period>* d) {
  using duration = std::chrono::duration<Rep, Period>;
  return po::value<uint32_t>()
      ->default_value(static_cast<uint32_t>(d->count()))
      ->notifier([d](uint32_t n) { *d = duration{static_cast<Rep>(n)}; });
}

/// Binds a flag: `--name` alone sets it, `name = true|false` in a file; the
/// default is shown as true or false.
inline po::typed_value<bool>* flag_value(bool* b) {
  return po::value(b)
      ->default_value(*b, *b ? "true" : "false")
      ->implicit_value(true, "true");
}

/// Error for `option` with an explanation, e.g. "--port: 70000 is out of
/// range (0-65535)".
caf::error option_error(const std::string& option, const std::string& why);

} // namespace config
