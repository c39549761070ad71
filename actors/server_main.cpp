// chat-server: one CAF actor system serving TLS chat clients and videos.

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <sys/resource.h>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/acceptor.hpp"
#include "actors/catalog_actor.hpp"
#include "actors/deadline_wheel.hpp"
#include "actors/outbound_budget.hpp"
#include "actors/registry.hpp"
#include "actors/server_options.hpp"
#include "actors/type_ids.hpp"
#include "net/certificate.hpp"
#include "net/log.hpp"

namespace {

int fail(const std::string& line) {
  std::cerr << "chat-server: " << line << std::endl;
  return 1;
}

/// Every client, joined or not, holds a descriptor: the soft limit is
/// raised to what max-clients and max-unjoined need (plus files, caches
/// and CAF's own), or the server refuses to start with the reason. Then
/// the acceptor's caps keep accept() from ever failing with EMFILE.
std::string ensure_fd_limit(uint64_t connections) {
  constexpr uint64_t reserve = 256;
  auto need = connections + reserve;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return "cannot read the open-file limit";
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur >= need)
    return "";
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < need)
    return "max-clients + max-unjoined = " + std::to_string(connections) +
           " connections need " + std::to_string(need) +
           " open files, but the hard limit is " +
           std::to_string(lim.rlim_max) +
           " (raise it with ulimit -Hn, or lower max-clients)";
  lim.rlim_cur = need;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
    return "cannot raise the open-file limit to " + std::to_string(need);
  return "";
}

} // namespace

int main(int argc, char** argv) {
  bool help = false;
  auto opts = actors::parse_server_options(argc, argv, std::cout, help);
  if (!opts)
    return fail(net::describe(opts.error()));
  if (help)
    return 0;
  net::set_log_level(opts->log_level);
  auto creds = net::load_or_create_credentials(opts->data_dir);
  if (!creds)
    return fail("--data-dir: " + net::describe(creds.error()));
  auto tls = net::tls_context::server(*creds);
  if (!tls)
    return fail(net::describe(tls.error()));
  auto max_connections =
      actors::max_connections_for(opts->registry, opts->acceptor);
  if (auto why = ensure_fd_limit(max_connections); !why.empty())
    return fail(why);
  // Signals go to sigwait() below, never to a CAF thread; SIGPIPE is moot.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.add_message_types<caf::id_block::chatroom>();
  auto threads = opts->scheduler_threads;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  cfg.set("scheduler.policy", caf::atom_from_string(opts->scheduler_policy));
  caf::actor_system sys{cfg};
  auto registry = sys.spawn(actors::registry, opts->registry);
  auto budget =
      sys.spawn(actors::outbound_budget, opts->max_total_outgoing_bytes);
  auto wheel = actors::spawn_deadline_wheel(sys, opts->deadline_granularity);
  auto settings = std::make_shared<actors::session_settings>(opts->session);
  settings->budget = budget;
  settings->deadlines = wheel;
  auto cat = opts->catalog;
  cat.cache_dir = opts->data_dir + "/cache";
  cat.log = [](const std::string& line) { CHAT_LOG(info, "video: " << line); };
  auto catalog = sys.spawn(actors::catalog_service, cat);
  auto ctx = std::make_shared<actors::server_context>(actors::server_context{
      registry, catalog, settings, *tls, static_cast<uint32_t>(max_connections),
      opts->acceptor});
  auto acc = sys.middleman().spawn_broker(
      actors::acceptor, std::shared_ptr<const actors::server_context>{ctx});
  uint16_t port = 0;
  caf::error listen_err;
  caf::scoped_actor self{sys, true}; // hidden: not awaited at shutdown
  self->request(acc, std::chrono::seconds(10), caf::open_atom::value,
                opts->host, opts->port)
      .receive([&](uint16_t p) { port = p; },
               [&](caf::error& err) { listen_err = std::move(err); });
  if (listen_err) {
    anon_send_exit(acc, caf::exit_reason::user_shutdown);
    anon_send_exit(registry, caf::exit_reason::user_shutdown);
    anon_send_exit(catalog, caf::exit_reason::user_shutdown);
    anon_send_exit(budget, caf::exit_reason::user_shutdown);
    anon_send_exit(wheel, caf::exit_reason::user_shutdown);
    return fail(net::describe(listen_err));
  }
  std::cout << "listening on " << opts->host << ":" << port << "\n"
            << "certificate fingerprint " << creds->fingerprint << std::endl;
  CHAT_LOG(info, "serving; stop with SIGINT or SIGTERM");
  int sig = 0;
  sigwait(&stop_signals, &sig);
  CHAT_LOG(info, "signal " << sig << ": shutting down");
  // Stop: the acceptor closes every connection with a reason (joined or
  // not) and quits when none is left; then the registry and the catalog.
  // Each must be down within shutdown-timeout-s.
  auto deadline = std::chrono::steady_clock::now() + opts->shutdown_timeout;
  bool all_down = true;
  auto await_down = [&](const caf::actor_addr& who) {
    self->monitor(who);
    bool down = false;
    while (!down && all_down)
      self->receive([&](const caf::down_msg& dm) { down = dm.source == who; },
                    caf::after(deadline - std::chrono::steady_clock::now()) >>
                        [&] { all_down = false; });
  };
  anon_send(acc, caf::close_atom::value,
            std::string{"server is shutting down"});
  await_down(acc.address());
  anon_send_exit(registry, caf::exit_reason::user_shutdown);
  await_down(registry.address());
  anon_send_exit(catalog, caf::exit_reason::user_shutdown);
  await_down(catalog.address());
  anon_send_exit(budget, caf::exit_reason::user_shutdown);
  await_down(budget.address());
  anon_send_exit(wheel, caf::exit_reason::user_shutdown);
  await_down(wheel.address());
  if (!all_down) {
    // Something did not stop in time (a bug: every stop above is bounded).
    // The rest is ended without its own cleanup: the acceptor kills its
    // connections, the others quit, the catalog's worker sees its stop flag
    // at the next frame. The actor system's end waits only for these exits,
    // and the exit status tells the operator.
    CHAT_LOG(error, "shutdown took longer than "
                        << opts->shutdown_timeout.count()
                        << " s (shutdown-timeout-s); stopping the rest");
    anon_send_exit(acc, caf::exit_reason::user_shutdown);
    anon_send_exit(registry, caf::exit_reason::kill);
    anon_send_exit(catalog, caf::exit_reason::kill);
    anon_send_exit(budget, caf::exit_reason::kill);
    return 2;
  }
  CHAT_LOG(info, "stopped");
  return 0;
}
