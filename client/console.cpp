#include "client/console.hpp"

#include <iostream>
#include <memory>
#include <optional>

#include "client/client_core.hpp"
#include "client/connection_loop.hpp"
#include "client/known_servers.hpp"
#include "client/menu.hpp"
#include "client/playback.hpp"
#include "client/replay_store.hpp"
#include "client/safe_text.hpp"
#include "client/tcp_socket.hpp"
#include "client/terminal.hpp"
#include "client/trust_store.hpp"
#include "net/identity.hpp"
#include "net/tls_channel.hpp"

// The wiring of chat-client: the user's files, then one connection after
// another, each a client_core (protocol), a playback (video), a menu (what
// the user sees and types) and a connection_loop (sockets and timers).

namespace client {

namespace {

class console {
public:
  explicit console(const config::client_options& opts) : opts_(opts) {
    // nop
  }

  int run();

private:
  /// Opens the trust files, the identity and the TLS context; false after
  /// printing why not.
  bool open_files();

  /// One connection: connect, join, serve the menu. The exit code, or -1
  /// when the connection was lost and a reconnect makes sense.
  int serve(const std::string& name, bool first);

  void show(menu::out_kind kind, const std::string& text);

  const config::client_options& opts_;
  terminal out_;
  line_reader in_;
  std::optional<trust_store> trust_;
  std::optional<replay_store> replay_;
  std::optional<net::known_servers> known_;
  net::identity identity_;
  std::optional<net::tls_context> tls_;
  // The current (or last) connection's parts; after a loss, run() asks
  // whether it had joined and under which name.
  std::optional<tcp_socket> sock_;
  std::unique_ptr<menu> menu_;
  std::unique_ptr<client_core> core_;
  std::unique_ptr<playback> video_;
};

/// A startup failure is one clear line on stderr; false then.
template <class T>
bool opened(const net::result<T>& x, const char* what = nullptr) {
  if (x)
    return true;
  std::cerr << "chat-client: " << (what ? what : "") << net::describe(x.error())
            << std::endl;
  return false;
}

bool console::open_files() {
  auto ts = trust_store::open(opts_.trust_file);
  if (!opened(ts))
    return false;
  trust_.emplace(std::move(*ts));
  auto rs = replay_store::open(opts_.replay_file, opts_.replay_window);
  if (!opened(rs))
    return false;
  replay_.emplace(std::move(*rs));
  auto ks = net::known_servers::open(opts_.known_servers);
  if (!opened(ks))
    return false;
  known_.emplace(std::move(*ks));
  bool created = false;
  auto id = net::load_or_create_identity(opts_.key_file, &created);
  if (!opened(id, "--key-file: "))
    return false;
  if (created)
    out_.line("created a new identity in " + opts_.key_file);
  identity_ = std::move(*id);
  auto ctx = net::tls_context::client();
  if (!opened(ctx))
    return false;
  tls_ = std::move(*ctx);
  return true;
}

int console::run() {
  if (!open_files())
    return 1;
  // Reconnect with backoff when the server goes away; identity and name
  // are kept. 4 or end of input while waiting quits.
  std::string name = opts_.name;
  reconnect_backoff backoff;
  for (bool first = true;; first = false) {
    auto code = serve(name, first);
    if (code >= 0)
      return code;
    if (core_ && core_->joined()) {
      name = core_->name();
      backoff.reset();
    }
    if (video_)
      video_->cancel();
    out_.event("! connection to the server lost; reconnecting in " +
               std::to_string(backoff.delay().count()) +
               " s (4 or end of input quits)");
    if (wait_or_quit(in_, backoff.delay()))
      return 0;
    backoff.grow();
  }
}

void console::show(menu::out_kind kind, const std::string& text) {
  switch (kind) {
  case menu::out_kind::line:
    return out_.line(text);
  case menu::out_kind::event:
    return out_.event(text);
  case menu::out_kind::prompt:
    return out_.prompt(text);
  }
}

int console::serve(const std::string& name, bool first) {
  // The last connection's parts go first (the core and the player call
  // into the menu), and before connecting: a failed attempt must not look
  // like a joined connection, or the backoff would never grow.
  video_.reset();
  core_.reset();
  menu_.reset();
  sock_.reset();
  auto server_id = opts_.host + ":" + std::to_string(opts_.port);
  auto pin = choose_server_pin(*known_, server_id, opts_.server_fingerprint,
                               opts_.accept_new_fingerprint);
  auto s = tcp_socket::connect(opts_.host, opts_.port);
  if (!s) {
    if (first) {
      std::cerr << "chat-client: " << net::describe(s.error()) << std::endl;
      return 2;
    }
    out_.event("! " + net::describe(s.error()));
    return -1;
  }
  sock_.emplace(std::move(*s));
  menu_ = std::make_unique<menu>(
      [this](menu::out_kind kind, const std::string& text) {
        show(kind, text);
      },
      server_id, pin, &*known_);
  core_ = std::make_unique<client_core>(*tls_, pin.expected, identity_,
                                        &*trust_, menu_->events());
  core_->set_replay_store(&*replay_);
  player_settings video_cfg;
  video_cfg.headless = opts_.headless;
  video_cfg.check_frame_codes = opts_.check_frame_codes;
  video_cfg.window_height = opts_.window_height;
  video_cfg.overlay = !opts_.no_overlay;
  video_cfg.max_frame_pixels = opts_.max_video_pixels;
  video_ = std::make_unique<playback>(
      video_cfg, opts_.abr_policy,
      // Video ids, titles and end texts come from the server.
      [this](const std::string& line) { out_.event(safe_lines("", line)); });
  menu_->attach(*core_, *video_);
  core_->start();
  menu_->start(name);
  loop_settings cfg;
  cfg.max_kbps = opts_.max_kbps;
  cfg.keepalive = std::chrono::seconds{opts_.keepalive_s};
  return connection_loop{*sock_, *core_, *video_, *menu_, out_, in_, cfg}.run();
}

} // namespace

int run_console(const config::client_options& opts) {
  console c{opts};
  return c.run();
}

} // namespace client
