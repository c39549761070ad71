#include "config/option_parser.hpp"

#include <fstream>
#include <ostream>

namespace config {

caf::error option_error(const std::string& option, const std::string& why) {
  return net::make_error(net::errc::config, "--" + option + ": " + why);
}

net::result<parsed_options> parse_options(const po::options_description& desc,
                                          int argc, const char* const* argv,
                                          const std::string& default_file,
                                          std::ostream& help_out) {
  parsed_options res;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), res.vm);
    if (res.vm.count("help")) {
      help_out << desc << '\n';
      res.help_shown = true;
      return res;
    }
    std::string file = default_file;
    bool explicit_file = res.vm.count("config") > 0;
    if (explicit_file)
      file = res.vm["config"].as<std::string>();
    if (!file.empty()) {
      std::ifstream in{file};
      if (in) {
        po::store(po::parse_config_file(in, desc), res.vm);
      } else if (explicit_file) {
        return option_error("config", "cannot read '" + file + "'");
      }
    }
    po::notify(res.vm);
  } catch (const po::error& e) {
    return net::make_error(net::errc::config, e.what());
  }
  return res;
}

} // namespace config
