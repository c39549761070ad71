// chat-client: the console client (menu: list, send, video, quit).

#include <csignal>
#include <iostream>

#include "client/console.hpp"
#include "config/client_options.hpp"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  bool help = false;
  auto opts = config::parse_client_options(argc, argv, std::cout, help);
  if (!opts) {
    std::cerr << "chat-client: " << net::describe(opts.error()) << std::endl;
    return 1;
  }
  if (help)
    return 0;
  return client::run_console(*opts);
}
