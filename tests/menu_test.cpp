#define CAF_SUITE menu
#include <caf/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client_core.hpp"
#include "client/known_servers.hpp"
#include "client/menu.hpp"
#include "client/playback.hpp"
#include "client/trust_store.hpp"
#include "net/certificate.hpp"
#include "net/frame.hpp"
#include "net/frame_channel.hpp"
#include "net/messages.hpp"
#include "net/video_messages.hpp"
#include "tests/frames.hpp"
#include "tests/scripted_server.hpp"
#include "tests/temp_dir.hpp"

// The console's menu over a real client_core, without sockets or a
// terminal: a scripted server on the other end of an in-memory connection,
// typed lines in, the shown text recorded.

using namespace client;

namespace {

const std::string server_id = "127.0.0.1:5000";

std::string wrong_fingerprint() {
  std::string fp = "SHA256";
  for (int i = 0; i < 32; ++i)
    fp += ":00";
  return fp;
}

struct fixture {
  test_support::temp_dir dir;
  std::string home = dir / "home";
  net::tls_context server_ctx = *net::tls_context::client(); // replaced
  net::tls_context client_ctx = *net::tls_context::client();
  std::string server_fp;
  net::identity me = net::identity::generate();
  net::identity alice = net::identity::generate();
  net::identity bob = net::identity::generate();

  std::vector<std::pair<menu::out_kind, std::string>> shown;
  std::optional<net::known_servers> known;
  std::optional<trust_store> trust;
  std::unique_ptr<menu> ui;
  std::unique_ptr<client_core> core;
  std::unique_ptr<playback> video;
  std::optional<net::frame_channel> server;
  std::vector<net::frame> received; ///< frames the server got
  test_support::scripted_keys registry; ///< the keys the server hands out

  fixture() {
    auto c = net::load_or_create_credentials(dir / "server");
    CAF_REQUIRE(c);
    server_fp = c->fingerprint;
    auto ctx = net::tls_context::server(*c);
    CAF_REQUIRE(ctx);
    server_ctx = std::move(*ctx);
    open_stores();
  }

  void open_stores() {
    auto ks = net::known_servers::open(home + "/known_servers");
    CAF_REQUIRE(ks);
    known.emplace(std::move(*ks));
    auto ts = trust_store::open(home + "/known_peers");
    CAF_REQUIRE(ts);
    trust.emplace(std::move(*ts));
  }

  /// One connection, as the console wires it: TLS up, the name sent.
  void connect(server_pin pin, const std::string& name = "me") {
    video.reset();
    core.reset();
    shown.clear();
    received.clear();
    ui = std::make_unique<menu>(
        [this](menu::out_kind kind, const std::string& text) {
          shown.emplace_back(kind, text);
        },
        server_id, pin, &*known);
    core = std::make_unique<client_core>(client_ctx, pin.expected, me, &*trust,
                                         ui->events());
    player_settings cfg;
    cfg.headless = true;
    video =
        std::make_unique<playback>(cfg, "", [this](const std::string& line) {
          shown.emplace_back(menu::out_kind::event, line);
        });
    ui->attach(*core, *video);
    server.emplace(test_support::scripted_server(server_ctx));
    registry.seen = 0;
    core->start();
    ui->start(name);
    shuttle();
  }

  void connect() {
    connect(choose_server_pin(*known, server_id, "", false));
  }

  /// WELCOME and the room: me, alice, bob.
  void join() {
    send(net::welcome{net::protocol_version, "me", 65536});
    registry.keys.clear();
    registry.add("me", me);
    registry.add("alice", alice);
    registry.add("bob", bob);
    net::directory d;
    d.snapshot = true;
    d.joined.names = {"alice", "bob", "me"};
    send(d);
    CAF_REQUIRE(core->joined());
  }

  /// Moves bytes both ways; KEYS_REQUESTs are answered from `registry`.
  void shuttle() {
    do
      test_support::shuttle(*core, *server, 100,
                            test_support::core_accepts::not_checked, received);
    while (registry.answer(*server, received));
  }

  template <class T>
  void send(const T& msg) {
    server->send(msg);
    shuttle();
  }

  void send_error(net::errc code, const std::string& text, bool fatal,
                  uint32_t ref = 0) {
    send(net::error_frame{static_cast<uint8_t>(code), ref, fatal, text});
  }

  /// The user types `line` (the console hands it over when the menu is
  /// ready for input).
  void type(const std::string& line) {
    CAF_REQUIRE(ui->ready_for_input());
    shown.clear();
    ui->on_line(line);
    shuttle();
  }

  bool saw(const std::string& what) const {
    for (auto& [kind, text] : shown)
      if (text.find(what) != std::string::npos)
        return true;
    return false;
  }

  std::string last_prompt() const {
    for (auto i = shown.rbegin(); i != shown.rend(); ++i)
      if (i->first == menu::out_kind::prompt)
        return i->second;
    return {};
  }

  bool at_menu() const {
    return ui->current() == menu::state::main &&
           last_prompt().find("1) list clients") != std::string::npos;
  }

  /// Frames of type T the server got so far.
  template <class T>
  std::vector<T> sent() const {
    return test_support::decoded<T>(received);
  }

  /// "3", then the server's listing of two videos.
  void open_video_list() {
    type("3");
    CAF_CHECK(ui->current() == menu::state::video_wait);
    CAF_CHECK(!ui->ready_for_input());
    CAF_CHECK(!sent<net::video_list_request>().empty());
    net::video_list list;
    list.videos.push_back({"video_1", {240, 480}, 10000, 30000, 300, ""});
    list.videos.push_back({"video_2", {240}, 5000, 25000, 125, ""});
    send(list);
  }

  /// Picks video_1; the PLAY is out, PLAY_STARTED not yet in.
  void start_playback() {
    auto before = sent<net::play_request>().size();
    open_video_list();
    type("1");
    CAF_REQUIRE_EQUAL(sent<net::play_request>().size(), before + 1);
    CAF_REQUIRE(video->playing());
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(menu_tests, fixture)

// -- the menu -----------------------------------------------------------------

CAF_TEST(lines typed before WELCOME wait; WELCOME shows the menu) {
  connect();
  CAF_CHECK(ui->current() == menu::state::connecting);
  CAF_CHECK(!ui->ready_for_input());
  CAF_CHECK_EQUAL(sent<net::hello>().size(), 1u);
  join();
  CAF_CHECK(saw("joined as me"));
  CAF_CHECK(saw("* online: alice, bob, me"));
  CAF_CHECK(at_menu());
  CAF_CHECK(ui->ready_for_input());
  CAF_CHECK_EQUAL(ui->exit_code(), -1);
}

CAF_TEST(an empty or refused name is asked again) {
  connect(choose_server_pin(*known, server_id, "", false), "");
  CAF_CHECK(ui->current() == menu::state::naming);
  CAF_CHECK_EQUAL(last_prompt(), "your name: ");
  type("   ");
  CAF_CHECK_EQUAL(last_prompt(), "your name: ");
  CAF_CHECK(sent<net::hello>().empty());
  type("me");
  CAF_CHECK(ui->current() == menu::state::connecting);
  CAF_CHECK_EQUAL(sent<net::hello>().size(), 1u);
  send_error(net::errc::name_taken, "name 'me' is taken", false);
  CAF_CHECK(saw("! name 'me' is taken"));
  CAF_CHECK(ui->current() == menu::state::naming);
  CAF_CHECK_EQUAL(last_prompt(), "your name: ");
}

CAF_TEST(1 lists the clients) {
  connect();
  join();
  type("1");
  CAF_CHECK(saw("online (3):"));
  CAF_CHECK(saw("  me (you)"));
  CAF_CHECK(saw("  alice"));
  CAF_CHECK(!saw("KEY CHANGED"));
  CAF_CHECK(at_menu());
}

CAF_TEST(2 asks for recipients then the message and sends it) {
  connect();
  join();
  type("2");
  CAF_CHECK(ui->current() == menu::state::recipients);
  CAF_CHECK_EQUAL(last_prompt(), "to (one or more names, or 'all'): ");
  type("alice, bob");
  CAF_CHECK(ui->current() == menu::state::text);
  CAF_CHECK_EQUAL(last_prompt(), "message: ");
  type("hello there");
  CAF_CHECK(saw("sent to alice, bob"));
  CAF_CHECK(at_menu());
  auto out = sent<net::send_message>();
  CAF_REQUIRE_EQUAL(out.size(), 2u);
  CAF_CHECK_EQUAL(out[0].to, "alice");
  CAF_CHECK_EQUAL(out[1].to, "bob");
}

CAF_TEST(an unknown recipient is asked again) {
  connect();
  join();
  type("2");
  type("carol");
  CAF_CHECK(saw("unknown name 'carol'; online: alice, bob"));
  CAF_CHECK(ui->current() == menu::state::recipients);
  CAF_CHECK_EQUAL(last_prompt(), "to (one or more names, or 'all'): ");
  type("me"); // oneself is no recipient either
  CAF_CHECK(saw("unknown name 'me'"));
  CAF_CHECK(ui->current() == menu::state::recipients);
  type("all");
  CAF_CHECK_EQUAL(last_prompt(), "message: ");
  type("hi all");
  CAF_CHECK(saw("sent to alice, bob"));
  CAF_CHECK(sent<net::send_message>().size() == 2u);
}

CAF_TEST(an empty recipient line goes back to the menu) {
  connect();
  join();
  type("2");
  type("");
  CAF_CHECK(at_menu());
  CAF_CHECK(sent<net::send_message>().empty());
}

CAF_TEST(a message that is too long or not UTF - 8 is not sent) {
  connect();
  join();
  type("2");
  type("alice");
  type(std::string(max_message_bytes + 1, 'x'));
  CAF_CHECK(saw("message too long"));
  CAF_CHECK(at_menu());
  type("2");
  type("alice");
  type("\xff\xfe");
  CAF_CHECK(saw("not valid UTF-8; not sent"));
  CAF_CHECK(sent<net::send_message>().empty());
}

CAF_TEST(nobody else online and an unknown choice stay in the menu) {
  connect();
  send(net::welcome{net::protocol_version, "me", 65536});
  net::directory d;
  d.snapshot = true;
  d.joined.names = {"me"};
  send(d);
  type("2");
  CAF_CHECK(saw("nobody else is online"));
  CAF_CHECK(at_menu());
  type("7");
  CAF_CHECK(saw("unknown choice '7': type 1, 2, 3 or 4"));
  CAF_CHECK(at_menu());
}

CAF_TEST(4 quits) {
  connect();
  join();
  type(" 4 ");
  CAF_CHECK(ui->quitting());
  CAF_CHECK(!ui->ready_for_input());
  CAF_CHECK(menu::is_quit("4\r"));
  CAF_CHECK(!menu::is_quit("44"));
}

CAF_TEST(f shows a fingerprint and a safety number) {
  connect();
  join();
  type("f alice");
  CAF_CHECK(saw("key fingerprint of alice: "));
  CAF_CHECK(saw("safety number with alice: "));
  type("f me");
  CAF_CHECK(saw("key fingerprint of me: "));
  CAF_CHECK(!saw("safety number"));
  type("f carol");
  CAF_CHECK(saw("unknown name 'carol'"));
}

// -- video playback -----------------------------------------------------------

CAF_TEST(3 lists the videos and asks which one to play) {
  connect();
  join();
  open_video_list();
  CAF_CHECK(saw("1) video_1  240p/480p  10.0 s  30.00 fps"));
  CAF_CHECK(saw("2) video_2"));
  CAF_CHECK(ui->current() == menu::state::video_pick);
  CAF_CHECK_EQUAL(last_prompt(), "video (number or id, empty to cancel): ");
  type("9");
  CAF_CHECK(saw("unknown video '9'"));
  CAF_CHECK_EQUAL(last_prompt(), "video (number or id, empty to cancel): ");
  CAF_CHECK(sent<net::play_request>().empty());
  type("video_2");
  CAF_CHECK(saw("playing video_2 (headless)"));
  CAF_CHECK(at_menu());
  auto plays = sent<net::play_request>();
  CAF_REQUIRE_EQUAL(plays.size(), 1u);
  CAF_CHECK_EQUAL(plays[0].video, "video_2");
  CAF_CHECK(video->playing());
  type("3"); // one at a time
  CAF_CHECK(saw("a video is playing; type s to stop it first"));
  CAF_CHECK_EQUAL(sent<net::video_list_request>().size(), 1u);
}

CAF_TEST(an empty pick or an empty catalog goes back to the menu) {
  connect();
  join();
  open_video_list();
  type("");
  CAF_CHECK(at_menu());
  CAF_CHECK(!video->playing());
  type("3");
  send(net::video_list{});
  CAF_CHECK(saw("the server has no videos"));
  CAF_CHECK(at_menu());
}

CAF_TEST(a chat error does not cancel a pending playback) {
  connect();
  join();
  start_playback();
  send_error(net::errc::unknown_peer, "unknown recipient 'carol' (not online)",
             false, 7);
  CAF_CHECK(saw("! unknown recipient 'carol' (not online)"));
  CAF_CHECK(video->playing());
  send_error(net::errc::recipient_busy,
             "'bob' is not keeping up: message not delivered; try again later",
             false, 8);
  CAF_CHECK(video->playing());
  CAF_CHECK_EQUAL(ui->exit_code(), -1);
}

CAF_TEST(a refused PLAY cancels the pending playback) {
  connect();
  join();
  start_playback();
  send_error(net::errc::not_found, "unknown video \"video_1\"", false);
  CAF_CHECK(!video->playing());
  start_playback();
  send_error(net::errc::rate_limited,
             "at most 2 playbacks at once; stop one first", false);
  CAF_CHECK(!video->playing());
  CAF_CHECK_EQUAL(ui->exit_code(), -1);
}

// -- trust: the server's certificate (TOFU) -----------------------------------

CAF_TEST(the server pin is chosen from the option and the pinned one) {
  auto fresh = choose_server_pin(*known, server_id, "", false);
  CAF_CHECK(fresh.expected.empty());
  CAF_CHECK(fresh.pin_on_connect);
  CAF_REQUIRE(!known->pin(server_id, server_fp));
  auto pinned = choose_server_pin(*known, server_id, "", false);
  CAF_CHECK_EQUAL(pinned.expected, server_fp);
  CAF_CHECK(!pinned.pin_on_connect);
  auto other = choose_server_pin(*known, "127.0.0.1:5001", "", false);
  CAF_CHECK(other.expected.empty());
  CAF_CHECK(other.pin_on_connect);
  auto explicit_pin = choose_server_pin(*known, server_id, "SHA256:AB", false);
  CAF_CHECK_EQUAL(explicit_pin.expected, "SHA256:AB");
  CAF_CHECK(!explicit_pin.pin_on_connect);
  auto accept_new = choose_server_pin(*known, server_id, "", true);
  CAF_CHECK(accept_new.expected.empty());
  CAF_CHECK(accept_new.pin_on_connect);
}

CAF_TEST(the first connection pins the fingerprint and the next one checks) {
  connect();
  CAF_CHECK(
      saw("connected to 127.0.0.1:5000, server fingerprint " + server_fp));
  CAF_CHECK(saw("pinned this fingerprint for 127.0.0.1:5000"));
  CAF_CHECK(known->check(server_id, server_fp) ==
            net::known_servers::verdict::match);
  join();
  // A restart reads the pin back; the same server joins without pinning.
  open_stores();
  connect();
  CAF_CHECK(!saw("pinned this fingerprint"));
  join();
  CAF_CHECK_EQUAL(ui->exit_code(), -1);
}

CAF_TEST(a pin mismatch is recognized by its code) {
  connect(server_pin{wrong_fingerprint(), false});
  CAF_CHECK(saw("The server's certificate is not the one pinned for "
                "127.0.0.1:5000. If you trust the change, run again with "
                "--accept-new-fingerprint."));
  CAF_CHECK(!saw("pinned this fingerprint"));
  CAF_CHECK_EQUAL(ui->exit_code(), 2);
  CAF_CHECK(core->finished());
}

CAF_TEST(a fatal error that mentions a pin is no pin mismatch) {
  connect();
  join();
  send_error(net::errc::protocol, "bad fingerprint pin in frame", true);
  CAF_CHECK(saw("! bad fingerprint pin in frame"));
  CAF_CHECK(!saw("not the one pinned"));
  CAF_CHECK_EQUAL(ui->exit_code(), 2);
}

// -- trust: peers' keys -------------------------------------------------------

CAF_TEST(a changed key blocks the peer until accepted) {
  connect();
  join();
  type("f alice"); // fetches and pins alice's keys
  CAF_CHECK(saw("key fingerprint of alice"));
  // alice comes back with other keys (a new device, or an impostor).
  auto mallory = net::identity::generate();
  registry.add("alice", mallory);
  net::directory d;
  d.left.names = {"alice"};
  d.joined.names = {"alice"};
  shown.clear();
  send(d); // a pinned peer's keys are checked when the name comes back
  CAF_CHECK(saw("!! WARNING: the key of 'alice' CHANGED"));
  type("2");
  type("alice");
  type("not sent");
  CAF_CHECK(saw("NOT sent to alice: key changed and not yet accepted"));
  type("1");
  CAF_CHECK(saw("  alice  [KEY CHANGED - type 'accept alice' to trust]"));
  type("2");
  type("alice");
  type("are you you?");
  CAF_CHECK(saw("NOT sent to alice: key changed and not yet accepted"));
  CAF_CHECK(sent<net::send_message>().empty());
  type("accept bob");
  CAF_CHECK(saw("nothing to accept for 'bob'"));
  type("accept alice");
  CAF_CHECK(saw("accepted the new key of alice"));
  CAF_CHECK(at_menu());
  type("2");
  type("alice");
  type("welcome back");
  CAF_CHECK(saw("sent to alice"));
  CAF_CHECK_EQUAL(sent<net::send_message>().size(), 1u);
}

// -- persistence failures reach the user --------------------------------------

namespace {

/// Replaces directory `dir` by a regular file: nothing can be written below
/// it any more, even as root (where chmod stops nothing).
void make_unwritable(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::ofstream{dir} << "not a directory\n";
}

} // namespace

CAF_TEST(a fingerprint that cannot be pinned is a warning) {
  make_unwritable(home);
  connect();
  CAF_CHECK(saw("!! could not pin the fingerprint of 127.0.0.1:5000 in " +
                home + "/known_servers"));
  CAF_CHECK(!saw("pinned this fingerprint"));
  join(); // the connection goes on
  CAF_CHECK(at_menu());
}

CAF_TEST(keys that cannot be saved are a warning) {
  connect();
  make_unwritable(home);
  join();
  type("2");
  type("alice, bob"); // fetches both keys in one request
  CAF_CHECK(saw("!! could not save the keys of 2 new peer(s) to " + home +
                "/known_peers"));
  type("hi");
  CAF_CHECK(saw("sent to alice, bob"));
  CAF_CHECK(at_menu());
}

CAF_TEST(an accepted key that cannot be saved stays blocked and is reported) {
  connect();
  join();
  type("f alice"); // pins alice's keys
  auto mallory = net::identity::generate();
  registry.add("alice", mallory);
  net::directory d;
  d.left.names = {"alice"};
  d.joined.names = {"alice"};
  send(d);
  type("f alice"); // the new keys: blocked
  CAF_REQUIRE_EQUAL(core->blocked().count("alice"), 1u);
  make_unwritable(home);
  type("accept alice");
  CAF_CHECK(saw("!! could not save the new key of 'alice' to " + home +
                "/known_peers"));
  CAF_CHECK(!saw("accepted the new key"));
  CAF_CHECK_EQUAL(core->blocked().count("alice"), 1u);
  CAF_CHECK(at_menu());
}

CAF_TEST_FIXTURE_SCOPE_END()
