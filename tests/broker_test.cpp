#define CAF_SUITE broker
#include <caf/test/io_dsl.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "actors/acceptor.hpp"
#include "actors/registry.hpp"
#include "net/certificate.hpp"
#include "net/crypto.hpp"
#include "net/frame_channel.hpp"
#include "net/frame_dispatch.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"
#include "tests/recorder.hpp"
#include "tests/frames.hpp"
#include "tests/temp_dir.hpp"

// The acceptor and connection brokers on CAF's test multiplexer: no sockets.
// A real TLS client (a client net::frame_channel) talks to the server
// through the virtual connection; the sessions run on the deterministic
// scheduler, the brokers as the multiplexer's runnables.
//
// What the test multiplexer of CAF 0.17.6 cannot show: its scribes never
// report completed writes (their flush() is a no-op), so `ack_writes` yields
// no data_transferred_msg and the (sent_atom, n) path from the connection
// broker to the session is not exercised here (tests/session_test.cpp
// drives it directly). A graceful close is visible only as
// `stopped_reading(hdl)`; there is no socket whose FIN could be observed.

using namespace actors;
using namespace std::chrono_literals;
using caf::io::accept_handle;
using caf::io::connection_handle;

namespace {

using test_support::temp_dir;

net::server_credentials credentials(const std::string& dir) {
  auto creds = net::load_or_create_credentials(dir);
  CAF_REQUIRE(creds);
  return std::move(*creds);
}

net::tls_context server_tls(const net::server_credentials& creds) {
  auto ctx = net::tls_context::server(creds);
  CAF_REQUIRE(ctx);
  return std::move(*ctx);
}

/// The client end of one virtual connection.
struct tls_client {
  tls_client(connection_handle h, net::frame_channel c)
      : hdl(h), ch(std::move(c)) {
    // nop
  }

  connection_handle hdl;
  net::frame_channel ch;
  std::vector<net::frame> frames;
  net::identity id = net::identity::generate();

  template <class T>
  std::vector<T> received() const {
    return test_support::decoded<T>(frames);
  }
};

constexpr uint16_t port = 4711;

struct fixture : test_node_fixture<> {
  temp_dir dir;
  net::server_credentials creds = credentials(dir.path() + "/data");
  net::tls_context client_ctx = *net::tls_context::client();
  registry_actor reg;
  caf::actor acc;
  accept_handle acc_hdl = accept_handle::from_int(1);
  int64_t next_conn = 1;
  std::vector<connection_handle> opened;

  fixture() {
    registry_settings rs;
    rs.coalesce = 0ms;
    reg = sys.spawn(registry, rs);
  }

  ~fixture() override {
    // Brokers alive at teardown would block the actor system's shutdown.
    for (auto hdl : opened)
      hang_up(hdl);
    if (acc)
      anon_send_exit(acc, caf::exit_reason::kill);
    anon_send_exit(reg, caf::exit_reason::user_shutdown);
    drain();
    // A pending timer holds its receiver: let every timer of the dead
    // actors fire (none of them re-arms).
    for (int i = 0; i < 10 && !sched.clock().schedule().empty(); ++i) {
      advance_time(std::chrono::seconds{10});
      drain();
    }
  }

  /// Spawns the acceptor and makes it listen on the virtual port.
  void listen(uint32_t max_connections = 16) {
    auto ctx = std::make_shared<server_context>(server_context{
        reg, catalog_actor{}, std::make_shared<const session_settings>(settings),
        server_tls(creds), max_connections, acceptor_settings{}});
    acc = mm.spawn_broker(acceptor, std::shared_ptr<const server_context>{ctx});
    mpx.provide_acceptor(port, acc_hdl);
    self->send(acc, caf::open_atom::value, std::string{"127.0.0.1"}, port);
    drain();
    bool replied = false;
    self->receive(
        [&](uint16_t actual) {
          replied = true;
          CAF_CHECK_EQUAL(actual, port);
        },
        [&](caf::error& err) {
          CAF_FAIL("cannot listen: " << sys.render(err));
        },
        caf::after(0s) >> [] {});
    CAF_REQUIRE(replied);
  }

  /// Runs actors and brokers until neither has anything left to do; timers
  /// do not fire.
  /// Connections close at once unless a test asks for a linger.
  session_settings settings = [] {
    session_settings s;
    s.close_linger = std::chrono::milliseconds{0};
    return s;
  }();

  void drain() {
    while (sched.try_run_once() || mpx.try_exec_runnable())
      ; // repeat
  }

  /// Opens a virtual connection and starts the TLS client on it.
  tls_client connect() {
    tls_client c{
        connection_handle::from_int(next_conn++),
        net::frame_channel::client(client_ctx, creds.fingerprint, 1 << 20)};
    opened.push_back(c.hdl);
    mpx.add_pending_connect(acc_hdl, c.hdl);
    mpx.accept_connection(acc_hdl);
    drain();
    c.ch.start();
    return c;
  }

  bool closed_by_server(const tls_client& c) {
    return mpx.stopped_reading(c.hdl);
  }

  /// Moves bytes both ways until the connection settles.
  void exchange(tls_client& c) {
    for (int round = 0; round < 1000; ++round) {
      drain();
      bool moved = false;
      auto& out = mpx.output_buffer(c.hdl);
      if (!out.empty()) {
        std::vector<char> buf;
        buf.swap(out);
        CAF_CHECK(c.ch.feed(buf.data(), buf.size()));
        while (auto f = c.ch.next()) {
          // Whatever a test provokes, the server only sends frames of its
          // set that decode.
          CAF_CHECK(!net::dispatch(net::server_frames{}, *f, [](auto&) {}));
          c.frames.push_back(std::move(*f));
        }
        moved = true;
      }
      std::vector<char> in;
      c.ch.take_output(in);
      if (!in.empty() && !closed_by_server(c)) {
        mpx.virtual_send(c.hdl, in);
        moved = true;
      }
      if (!moved)
        return;
    }
    CAF_FAIL("the connection did not settle");
  }

  template <class T>
  void send_frame(tls_client& c, const T& msg) {
    c.ch.send(msg);
    exchange(c);
  }

  /// HELLO signed over this TLS connection's channel binding.
  net::hello make_hello(const tls_client& c, const std::string& name) {
    auto binding = c.ch.channel_binding(net::channel_binding_label, 32);
    CAF_REQUIRE(binding);
    auto t = net::hello_transcript(net::protocol_version, name, c.id.x25519_pub,
                                   c.id.ed25519_pub, *binding);
    auto sig = net::ed25519_sign(c.id.ed25519_priv, t.data(), t.size());
    CAF_REQUIRE(sig);
    return net::hello{net::protocol_version, name, c.id.x25519_pub,
                      c.id.ed25519_pub, *sig};
  }

  tls_client join(const std::string& name) {
    auto c = connect();
    exchange(c);
    CAF_REQUIRE(c.ch.established());
    send_frame(c, make_hello(c, name));
    CAF_REQUIRE_EQUAL(c.received<net::welcome>().size(), 1u);
    return c;
  }

  /// The peer's socket goes away without a word (reset / EOF); false if
  /// no broker holds the connection any more.
  bool hang_up(connection_handle hdl) {
    auto& scribe = mpx.impl_ptr(hdl);
    if (scribe == nullptr || scribe->parent() == nullptr)
      return false;
    scribe->io_failure(&mpx, caf::io::network::operation::read);
    drain();
    return true;
  }

  void drop(tls_client& c) {
    CAF_REQUIRE(hang_up(c.hdl));
  }

  uint32_t live() {
    return deref<acceptor_impl>(acc).state.live;
  }

  std::vector<std::string> online() {
    return test_support::online_names(deref<registry_impl>(reg).state);
  }
};

using names = std::vector<std::string>;

} // namespace

CAF_TEST_FIXTURE_SCOPE(broker_tests, fixture)

CAF_TEST(a tls client joins and a malformed frame ends its connection) {
  listen();
  auto c = connect();
  CAF_CHECK_EQUAL(live(), 1u);
  exchange(c);
  CAF_REQUIRE(c.ch.established());
  CAF_CHECK(!c.ch.failed());
  CAF_CHECK_EQUAL(c.ch.peer_fingerprint(), creds.fingerprint);
  send_frame(c, make_hello(c, "alice"));
  auto w = c.received<net::welcome>();
  CAF_REQUIRE_EQUAL(w.size(), 1u);
  CAF_CHECK_EQUAL(w[0].name, "alice");
  auto d = c.received<net::directory>();
  CAF_REQUIRE_EQUAL(d.size(), 1u);
  CAF_CHECK(d[0].snapshot);
  CAF_CHECK_EQUAL(d[0].joined.names, names({"alice"}));
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  // the keys come on request, through TLS like everything else
  send_frame(c, net::keys_request{{"alice"}});
  auto k = c.received<net::peer_keys>();
  CAF_REQUIRE_EQUAL(k.size(), 1u);
  CAF_REQUIRE_EQUAL(k[0].peers.size(), 1u);
  CAF_CHECK_EQUAL(k[0].peers[0].ed25519_key, c.id.ed25519_pub);
  send_frame(c, net::ping{99});
  auto p = c.received<net::pong>();
  CAF_REQUIRE_EQUAL(p.size(), 1u);
  CAF_CHECK_EQUAL(p[0].nonce, 99u);
  // a send_message whose recipient length (99) runs past the frame
  send_frame(c, test_support::raw_payload<net::send_message::wire_type>{
                    {0, 0, 0, 1, 0, 0, 0, 99, 'x'}});
  auto& last = c.frames.back();
  CAF_REQUIRE_EQUAL(last.type, net::error_frame::wire_type);
  auto e = net::decode_payload<net::error_frame>(last);
  CAF_REQUIRE(e);
  CAF_CHECK(e->fatal);
  CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(net::errc::protocol));
  CAF_CHECK(c.ch.peer_closed()); // close_notify after the error
  CAF_CHECK(closed_by_server(c));
  CAF_CHECK_EQUAL(live(), 0u);
  CAF_CHECK(online().empty());
}

CAF_TEST(a hello signed without the channel binding is refused) {
  listen();
  auto c = connect();
  exchange(c);
  CAF_REQUIRE(c.ch.established());
  // a proof that would pass in plain mode, replayable on any connection
  auto h = make_hello(c, "alice");
  auto t = net::hello_transcript(net::protocol_version, "alice",
                                 c.id.x25519_pub, c.id.ed25519_pub, {});
  h.proof = *net::ed25519_sign(c.id.ed25519_priv, t.data(), t.size());
  send_frame(c, h);
  auto errs = c.received<net::error_frame>();
  CAF_REQUIRE_EQUAL(errs.size(), 1u);
  CAF_CHECK_EQUAL(errs[0].code, static_cast<uint8_t>(net::errc::bad_proof));
  CAF_CHECK(errs[0].fatal);
  CAF_CHECK(closed_by_server(c));
  CAF_CHECK(online().empty());
}

CAF_TEST(two clients exchange a message through the server) {
  listen();
  auto alice = join("alice");
  auto bob = join("bob");
  CAF_CHECK_EQUAL(live(), 2u);
  send_frame(alice, net::send_message{1, "bob", net::bytes{4, 5, 6}});
  exchange(bob);
  auto got = bob.received<net::deliver>();
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0], (net::deliver{"alice", net::bytes{4, 5, 6}}));
}

CAF_TEST(quit in the same read as close_notify removes the user) {
  // Regression (1a7857e): the session checked close_notify before decoding
  // the frames of the same read, never saw QUIT and lingered.
  listen();
  auto alice = join("alice");
  auto bob = join("bob");
  bob.ch.send(net::quit{});
  bob.ch.close();
  std::vector<char> out;
  bob.ch.take_output(out); // QUIT record and close_notify, one read
  mpx.virtual_send(bob.hdl, out);
  drain();
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK(closed_by_server(bob));
  CAF_CHECK_EQUAL(live(), 1u);
  exchange(alice);
  auto d = alice.received<net::directory>();
  CAF_REQUIRE(!d.empty());
  CAF_CHECK_EQUAL(d.back().left.names, names({"bob"}));
}

CAF_TEST(close_notify alone ends the session) {
  listen();
  auto alice = join("alice");
  alice.ch.close();
  exchange(alice);
  CAF_CHECK(online().empty());
  CAF_CHECK(closed_by_server(alice));
  CAF_CHECK_EQUAL(live(), 0u);
}

CAF_TEST(a dropped socket removes the user) {
  listen();
  auto alice = join("alice");
  auto bob = join("bob");
  drop(bob);
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK_EQUAL(live(), 1u);
}

CAF_TEST(garbage instead of a tls handshake closes the connection) {
  listen();
  auto c = connect();
  mpx.virtual_send(c.hdl, std::vector<char>(64, 'G'));
  drain();
  CAF_CHECK(closed_by_server(c));
  CAF_CHECK_EQUAL(live(), 0u);
}

CAF_TEST(a closed connection lingers unread before the socket closes) {
  // Closing with unread input resets the TCP connection and drops what was
  // still to be sent, the reason for the close among it.
  settings.close_linger = std::chrono::milliseconds{1000};
  listen();
  auto c = connect();
  exchange(c);
  CAF_REQUIRE(c.ch.established());
  send_frame(c, make_hello(c, "alice"));
  CAF_REQUIRE_EQUAL(c.received<net::welcome>().size(), 1u);
  mpx.virtual_send(c.hdl, std::vector<char>(64, 'G')); // not TLS
  drain();
  CAF_CHECK(!closed_by_server(c)); // the socket is still open
  CAF_CHECK_EQUAL(live(), 1u);
  advance_time(std::chrono::milliseconds{999});
  drain();
  CAF_CHECK_EQUAL(live(), 1u);
  advance_time(std::chrono::milliseconds{1});
  drain();
  CAF_CHECK(closed_by_server(c));
  CAF_CHECK_EQUAL(live(), 0u);
}

CAF_TEST(connections beyond the limit are closed at once) {
  listen(1);
  auto first = connect();
  auto second = connect();
  CAF_CHECK_EQUAL(live(), 1u);
  CAF_CHECK(!closed_by_server(first));
  CAF_CHECK(closed_by_server(second));
  CAF_CHECK_EQUAL(deref<acceptor_impl>(acc).state.refused, 1u);
  // the first one still works
  exchange(first);
  CAF_CHECK(first.ch.established());
  drop(first);
  CAF_CHECK_EQUAL(live(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
