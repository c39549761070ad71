#define CAF_SUITE session
#include <caf/test/io_dsl.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "actors/deadline_wheel.hpp"
#include "actors/registry.hpp"
#include "actors/session.hpp"
#include "net/crypto.hpp"
#include "net/error.hpp"
#include "net/frame.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"
#include "tests/frames.hpp"
#include "tests/recorder.hpp"

// The session over a plain frame channel (the test double of TLS), driven
// frame by frame. Its connection is a recorder that decodes what the session
// writes; the registry is real. Sessions are brokers: they run on the test
// multiplexer, the other actors on the test coordinator (drain() runs both;
// the DSL's expect() sees only the coordinator's actors).

using namespace actors;
using namespace std::chrono_literals;

namespace {

// -- stand-ins ----------------------------------------------------------------

/// Records what a session hands to its connection.
struct conn_state {
  net::frame_channel decoder = net::frame_channel::plain(1 << 24);
  std::vector<net::frame> frames;
  int closes = 0;
  size_t frames_at_close = 0; ///< frames decoded when close_atom arrived
  int writes_after_close = 0;
  bool garbage = false; ///< the session wrote bytes that are not frames
  int joined = 0;       ///< joined_atom notices (for the acceptor)
  int writes = 0;        ///< write_atom messages
  uint64_t consumed = 0; ///< input the session reported processed
  static inline const char* name = "conn_recorder";
};

caf::behavior conn_recorder(caf::stateful_actor<conn_state>* self) {
  return {
      [=](write_atom, const std::vector<char>& bytes) {
        auto& st = self->state;
        if (st.closes > 0)
          ++st.writes_after_close;
        ++st.writes;
        if (!st.decoder.feed(bytes.data(), bytes.size()))
          st.garbage = true;
        while (auto f = st.decoder.next())
          st.frames.push_back(std::move(*f));
      },
      [=](caf::close_atom) {
        auto& st = self->state;
        if (st.closes++ == 0)
          st.frames_at_close = st.frames.size();
      },
      [=](joined_atom) { ++self->state.joined; },
      [=](consumed_atom, uint64_t n) {
        // the recorder always reads; it counts what it was told
        self->state.consumed += n;
      },
  };
}

/// Notices when the watched actor terminates.
struct watcher_state {
  bool down = false;
  static inline const char* name = "watcher";
};

caf::behavior watcher(caf::stateful_actor<watcher_state>* self,
                      caf::actor_addr target) {
  self->monitor(target);
  self->set_down_handler(
      [=](const caf::down_msg&) { self->state.down = true; });
  return {
      [](caf::ok_atom) {
        // nop: keeps the actor alive
      },
  };
}

// -- frame helpers ------------------------------------------------------------

net::hello make_hello(const std::string& name, const net::identity& id,
                      uint16_t version = net::protocol_version) {
  net::hello h;
  h.version = version;
  h.name = name;
  h.x25519_key = id.x25519_pub;
  h.ed25519_key = id.ed25519_pub;
  // Plain mode: no TLS, so the channel binding is empty.
  auto t = net::hello_transcript(net::protocol_version, name, h.x25519_key,
                                 h.ed25519_key, {});
  auto sig = net::ed25519_sign(id.ed25519_priv, t.data(), t.size());
  CAF_REQUIRE(sig);
  h.proof = std::move(*sig);
  return h;
}

/// A well-framed frame of type `Type` whose payload is `bytes` as they are.
template <uint8_t Type>
std::vector<char> raw_frame(std::vector<char> bytes) {
  return net::encode_frame(test_support::raw_payload<Type>{std::move(bytes)});
}

uint8_t code(net::errc x) {
  return static_cast<uint8_t>(x);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A catalog whose every video is being cached and stays so: PLAYs wait.
struct slow_catalog_state {
  static inline const char* name = "slow_catalog";
  std::vector<caf::typed_response_promise<video::video_source_ptr>> waiting;
};

catalog_actor::behavior_type
slow_catalog(catalog_actor::stateful_pointer<slow_catalog_state> self) {
  return {
      [](net::video_list_request&) { return net::video_list{}; },
      [=](net::play_request&) -> caf::result<video::video_source_ptr> {
        auto rp = self->make_response_promise<video::video_source_ptr>();
        self->state.waiting.push_back(rp);
        return rp;
      },
      [](caf::get_atom, net::play_request& req) {
        return net::play_waiting{0, "video_" + req.video, 370, 75000};
      },
      [](rescan_atom) { return std::vector<std::string>{}; },
  };
}

// -- fixture ------------------------------------------------------------------

/// One client: its connection recorder, its session and a watcher on it.
struct client {
  caf::actor conn;
  session_actor sess;
  caf::actor watch;
  net::identity id = net::identity::generate();
};

struct fixture : test_node_fixture<> {
  registry_actor reg;
  deadline_wheel_actor wheel;
  session_settings cfg;
  std::vector<caf::actor_addr> spawned;

  fixture() {
    registry_settings rs;
    rs.coalesce = 0ms; // push directory changes at once
    reg = sys.spawn(registry, rs);
    wheel = spawn_deadline_wheel(sys, caf::timespan{0}); // exact deadlines
    cfg.deadlines = wheel;
    cfg.handshake_timeout = 10s;
    cfg.idle_timeout = 300s;
    cfg.write_stall_timeout = 0s; // the recorder never reports writes
  }

  ~fixture() override {
    for (auto& a : spawned)
      anon_send_exit(a, caf::exit_reason::user_shutdown);
    anon_send_exit(reg, caf::exit_reason::user_shutdown);
    anon_send_exit(wheel, caf::exit_reason::user_shutdown);
    drain();
  }

  /// Delivers messages without firing timers (time moves only by advance).
  void drain() {
    while (sched.try_run_once() || mpx.try_exec_runnable())
      ; // repeat
  }

  /// `who` as a job of the test coordinator.
  template <class Handle>
  caf::resumable* as_job(const Handle& who) {
    return dynamic_cast<caf::resumable*>(
        caf::actor_cast<caf::abstract_actor*>(who));
  }

  /// Whether `who`, an actor on the test coordinator, has mail waiting.
  template <class Handle>
  bool has_mail(const Handle& who) {
    auto job = as_job(who);
    return std::find(sched.jobs.begin(), sched.jobs.end(), job) !=
           sched.jobs.end();
  }

  /// Runs the sessions (and nothing else) until their mailboxes are empty.
  void run_sessions() {
    while (mpx.try_exec_runnable())
      ; // repeat
  }

  client connect(catalog_actor catalog = {}) {
    client c;
    c.conn = sys.spawn(conn_recorder);
    c.sess = spawn_session(sys, c.conn, reg, catalog,
                       std::make_shared<const session_settings>(cfg),
                       net::frame_channel::plain(cfg.max_prejoin_frame_size),
                       std::string{"test"});
    c.watch = sys.spawn(watcher, c.sess.address());
    spawned.insert(spawned.end(),
                   {c.conn.address(), c.sess.address(), c.watch.address()});
    drain();
    return c;
  }

  void send_bytes(const client& c, std::vector<char> bytes) {
    self->send(c.sess, recv_atom::value, std::move(bytes));
    drain();
  }

  template <class T>
  void send_frame(const client& c, const T& msg) {
    send_bytes(c, net::encode_frame(msg));
  }

  conn_state& conn(const client& c) {
    return deref<caf::stateful_actor<conn_state>>(c.conn).state;
  }

  /// Pending timers that would deliver a message to `who`.
  size_t timers_for(const caf::actor_addr& who) {
    using clock = caf::detail::simple_actor_clock;
    size_t n = 0;
    for (auto& kvp : sched.clock().schedule())
      if (kvp.second->subtype == clock::actor_msg_type &&
          caf::actor_cast<caf::actor_addr>(
              static_cast<clock::actor_msg&>(*kvp.second).receiver) == who)
        ++n;
    return n;
  }

  /// Sessions the wheel would wake.
  size_t wheel_entries() {
    return deref<deadline_wheel_impl>(wheel).state.by_sink.size();
  }

  bool session_gone(const client& c) {
    return deref<caf::stateful_actor<watcher_state>>(c.watch).state.down;
  }

  /// Every frame of type T the client received so far, decoded.
  template <class T>
  std::vector<T> received(const client& c) {
    return test_support::decoded<T>(conn(c).frames);
  }

  /// The last frame received, which must be an error_frame.
  net::error_frame last_error(const client& c) {
    auto& frames = conn(c).frames;
    CAF_REQUIRE(!frames.empty());
    CAF_REQUIRE_EQUAL(frames.back().type, net::error_frame::wire_type);
    auto e = net::decode_payload<net::error_frame>(frames.back());
    CAF_REQUIRE(e);
    return *e;
  }

  /// A fatal error was the last frame before close_atom, the connection was
  /// closed exactly once with nothing written afterwards, and the session
  /// has terminated.
  void check_fatal_close(const client& c, net::errc expected) {
    auto& st = conn(c);
    CAF_CHECK_EQUAL(st.closes, 1);
    CAF_CHECK_EQUAL(st.writes_after_close, 0);
    CAF_CHECK_EQUAL(st.frames_at_close, st.frames.size());
    auto e = last_error(c);
    CAF_CHECK(e.fatal);
    CAF_CHECK_EQUAL(e.code, code(expected));
    CAF_CHECK(session_gone(c));
  }

  /// The client is still connected `quiet` - 1 s from now and closed with
  /// a fatal `code` naming `why` 1 s later.
  void check_closed_after(const client& c, caf::timespan quiet, net::errc code,
                          const std::string& why) {
    advance_time(quiet - std::chrono::seconds{1});
    drain();
    CAF_CHECK_EQUAL(conn(c).closes, 0);
    advance_time(std::chrono::seconds{1});
    drain();
    check_fatal_close(c, code);
    CAF_CHECK(contains(last_error(c).text, why));
  }

  client join(const std::string& name, catalog_actor catalog = {}) {
    auto c = connect(std::move(catalog));
    send_frame(c, make_hello(name, c.id));
    CAF_REQUIRE_EQUAL(received<net::welcome>(c).size(), 1u);
    return c;
  }

  std::vector<std::string> online() {
    return test_support::online_names(deref<registry_impl>(reg).state);
  }

  net::send_message msg_to(const std::string& to, uint32_t id) {
    return net::send_message{id, to,
                             net::bytes{1, 2, 3, static_cast<uint8_t>(id)}};
  }
};

using names = std::vector<std::string>;

/// Every name the deltas in `dirs` report as gone, sorted.
names test_left(const std::vector<net::directory>& dirs) {
  names out;
  for (auto& d : dirs)
    out.insert(out.end(), d.left.names.begin(), d.left.names.end());
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(session_tests, fixture)

// -- handshake ----------------------------------------------------------------

CAF_TEST(hello yields welcome and a directory snapshot) {
  auto alice = connect();
  send_frame(alice, make_hello("alice", alice.id));
  auto w = received<net::welcome>(alice);
  CAF_REQUIRE_EQUAL(w.size(), 1u);
  CAF_CHECK_EQUAL(w[0].name, "alice");
  CAF_CHECK_EQUAL(w[0].version, net::protocol_version);
  CAF_CHECK_EQUAL(w[0].max_frame_size, cfg.max_frame_size);
  CAF_CHECK_EQUAL(conn(alice).joined, 1); // the acceptor stops counting it
  auto d = received<net::directory>(alice);
  CAF_REQUIRE_EQUAL(d.size(), 1u);
  CAF_CHECK(d[0].snapshot);
  CAF_CHECK_EQUAL(d[0].joined.names, names({"alice"}));
  CAF_CHECK(received<net::error_frame>(alice).empty());
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  CAF_CHECK(!conn(alice).garbage);
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  // a second user's snapshot lists both; the first one gets a delta
  auto bob = join("bob");
  auto db = received<net::directory>(bob);
  CAF_REQUIRE_EQUAL(db.size(), 1u);
  CAF_CHECK_EQUAL(db[0].joined.names, names({"alice", "bob"}));
  auto da = received<net::directory>(alice);
  CAF_REQUIRE_EQUAL(da.size(), 2u);
  CAF_CHECK(!da[1].snapshot);
  CAF_CHECK_EQUAL(da[1].joined.names, names({"bob"}));
  // keys come on request, for online users only
  send_frame(bob, net::keys_request{{"alice", "bob", "nobody"}});
  auto k = received<net::peer_keys>(bob);
  CAF_REQUIRE_EQUAL(k.size(), 1u);
  CAF_CHECK_EQUAL(k[0].peers,
                  (std::vector<net::peer_info>{
                      {"alice", alice.id.x25519_pub, alice.id.ed25519_pub},
                      {"bob", bob.id.x25519_pub, bob.id.ed25519_pub}}));
  CAF_CHECK_EQUAL(k[0].unknown, names({"nobody"}));
}

CAF_TEST(a key request over the bound is refused and not fatal) {
  cfg.max_keys_per_request = 2;
  auto alice = join("alice");
  send_frame(alice, net::keys_request{{"a", "b", "c"}});
  auto e = last_error(alice);
  CAF_CHECK(!e.fatal);
  CAF_CHECK_EQUAL(e.code, code(net::errc::rate_limited));
  CAF_CHECK(contains(e.text, "max-keys-per-request"));
  CAF_CHECK(received<net::peer_keys>(alice).empty());
  send_frame(alice, net::keys_request{{"alice", "b"}});
  CAF_CHECK_EQUAL(received<net::peer_keys>(alice).size(), 1u);
}

CAF_TEST(a key request before the join is fatal) {
  auto c = connect();
  send_frame(c, net::keys_request{{"alice"}});
  check_fatal_close(c, net::errc::protocol);
}

CAF_TEST(a wrong protocol version is fatal and names both versions) {
  auto c = connect();
  send_frame(c, make_hello("alice", c.id, 7));
  check_fatal_close(c, net::errc::bad_version);
  auto text = last_error(c).text;
  CAF_CHECK(contains(text, "7"));
  CAF_CHECK(contains(text, std::to_string(net::protocol_version)));
  CAF_CHECK(received<net::welcome>(c).empty());
  CAF_CHECK(online().empty());
}

CAF_TEST(a proof signed by another key is fatal bad_proof) {
  auto c = connect();
  auto h = make_hello("alice", c.id);
  auto other = net::identity::generate();
  auto t = net::hello_transcript(net::protocol_version, "alice", h.x25519_key,
                                 h.ed25519_key, {});
  auto sig = net::ed25519_sign(other.ed25519_priv, t.data(), t.size());
  CAF_REQUIRE(sig);
  h.proof = *sig;
  send_frame(c, h);
  check_fatal_close(c, net::errc::bad_proof);
  CAF_CHECK(online().empty());
}

CAF_TEST(a proof over another name is fatal bad_proof) {
  auto c = connect();
  auto h = make_hello("mallory", c.id);
  h.name = "alice"; // the signature covers "mallory"
  send_frame(c, h);
  check_fatal_close(c, net::errc::bad_proof);
  CAF_CHECK(online().empty());
}

CAF_TEST(all zero and low order x25519 keys are fatal bad_key) {
  std::vector<net::bytes> bad_keys;
  bad_keys.emplace_back(32, 0);          // all zero
  bad_keys.push_back(net::bytes(32, 0)); // u = 1, order 1
  bad_keys.back()[0] = 1;
  bad_keys.push_back(net::bytes(31, 9)); // too short
  for (auto& key : bad_keys) {
    auto c = connect();
    auto h = make_hello("alice", c.id);
    h.x25519_key = key;
    // a valid signature over the bad key: only the key check can refuse it
    auto t = net::hello_transcript(net::protocol_version, "alice", h.x25519_key,
                                   h.ed25519_key, {});
    h.proof = *net::ed25519_sign(c.id.ed25519_priv, t.data(), t.size());
    send_frame(c, h);
    check_fatal_close(c, net::errc::bad_key);
  }
  CAF_CHECK(online().empty());
}

CAF_TEST(a small order ed25519 key with a forged proof is fatal bad_key) {
  // Regression: key 01 00..00 and signature (01 00..00, 0) verified under
  // OpenSSL for any transcript, so this HELLO was accepted.
  auto c = connect();
  auto h = make_hello("mallory", c.id);
  h.ed25519_key = net::bytes(32, 0);
  h.ed25519_key[0] = 1;
  h.proof = net::bytes(64, 0);
  h.proof[0] = 1;
  send_frame(c, h);
  check_fatal_close(c, net::errc::bad_key);
  CAF_CHECK(online().empty());
}

CAF_TEST(a first frame other than hello is fatal) {
  auto c = connect();
  send_frame(c, net::ping{42});
  check_fatal_close(c, net::errc::protocol);
  CAF_CHECK(contains(last_error(c).text, "HELLO"));
  CAF_CHECK(received<net::pong>(c).empty());
}

CAF_TEST(a taken name is not fatal and another hello works) {
  auto alice = join("alice");
  auto c = connect();
  send_frame(c, make_hello("alice", c.id));
  auto e = last_error(c);
  CAF_CHECK(!e.fatal);
  CAF_CHECK_EQUAL(e.code, code(net::errc::name_taken));
  CAF_CHECK_EQUAL(conn(c).closes, 0);
  CAF_CHECK(!session_gone(c));
  CAF_CHECK(received<net::welcome>(c).empty());
  // same session, another name
  send_frame(c, make_hello("alicia", c.id));
  auto w = received<net::welcome>(c);
  CAF_REQUIRE_EQUAL(w.size(), 1u);
  CAF_CHECK_EQUAL(w[0].name, "alicia");
  CAF_CHECK_EQUAL(online(), names({"alice", "alicia"}));
  CAF_CHECK_EQUAL(conn(c).closes, 0);
}

CAF_TEST(an invalid name is not fatal) {
  auto c = connect();
  send_frame(c, make_hello("a b", c.id));
  auto e = last_error(c);
  CAF_CHECK(!e.fatal);
  CAF_CHECK_EQUAL(e.code, code(net::errc::bad_name));
  CAF_CHECK_EQUAL(conn(c).closes, 0);
  send_frame(c, make_hello("ab", c.id));
  CAF_CHECK_EQUAL(received<net::welcome>(c).size(), 1u);
}

// -- joined -------------------------------------------------------------------

CAF_TEST(send_message reaches the recipient session) {
  auto alice = join("alice");
  auto bob = join("bob");
  send_frame(alice, msg_to("bob", 5));
  auto got = received<net::deliver>(bob);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0], (net::deliver{"alice", msg_to("bob", 5).envelope}));
  CAF_CHECK(received<net::deliver>(alice).empty());
  CAF_CHECK(received<net::error_frame>(alice).empty());
}

CAF_TEST(once the registry hands out the route messages skip it) {
  auto alice = join("alice");
  auto bob = join("bob");
  send_frame(alice, msg_to("bob", 1)); // through the registry
  auto& ast = deref<session_impl>(alice.sess).state;
  CAF_CHECK_EQUAL(ast.routes.count("bob"), 1u);
  CAF_CHECK(ast.route_waits.empty());
  self->send(alice.sess, recv_atom::value, net::encode_frame(msg_to("bob", 2)));
  run_sessions(); // alice sends it, bob writes it; the registry sees nothing
  CAF_CHECK(!has_mail(reg));
  CAF_CHECK(has_mail(bob.conn));
  drain();
  auto got = received<net::deliver>(bob);
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK_EQUAL(got[1].from, "alice");
  CAF_CHECK_EQUAL(got[1].envelope, msg_to("bob", 2).envelope);
}

CAF_TEST(messages still in the registry are not overtaken by the route) {
  auto alice = join("alice");
  auto bob = join("bob");
  auto& ast = deref<session_impl>(alice.sess).state;
  std::vector<char> three;
  for (uint32_t id = 1; id <= 3; ++id) {
    auto f = net::encode_frame(msg_to("bob", id));
    three.insert(three.end(), f.begin(), f.end());
  }
  self->send(alice.sess, recv_atom::value, three);
  run_sessions();
  CAF_CHECK_EQUAL(ast.route_waits["bob"], 3u);
  // The registry delivers the first and answers with the route while the
  // other two still wait in its mailbox: the route must not be used yet.
  expect((route_atom, std::string, uint32_t, net::bytes, bool),
         from(alice.sess).to(reg));
  run_sessions(); // alice reads the answer, bob gets the first
  CAF_CHECK(ast.routes.empty());
  CAF_CHECK_EQUAL(ast.route_waits["bob"], 2u);
  self->send(alice.sess, recv_atom::value, net::encode_frame(msg_to("bob", 4)));
  run_sessions();
  CAF_CHECK(ast.routes.empty());
  CAF_CHECK_EQUAL(ast.route_waits["bob"], 3u); // the fourth went the same way
  drain();
  std::vector<uint8_t> order;
  for (auto& d : received<net::deliver>(bob))
    order.push_back(d.envelope.back());
  CAF_CHECK_EQUAL(order, (std::vector<uint8_t>{1, 2, 3, 4}));
  CAF_CHECK_EQUAL(ast.routes.count("bob"), 1u); // all answered now
  CAF_CHECK(ast.route_waits.empty());
}

CAF_TEST(a route goes with its session and the next one of the name is found) {
  auto alice = join("alice");
  auto bob = join("bob");
  auto& ast = deref<session_impl>(alice.sess).state;
  send_frame(alice, msg_to("bob", 1));
  CAF_REQUIRE_EQUAL(ast.routes.count("bob"), 1u);
  send_frame(bob, net::quit{});
  CAF_CHECK(session_gone(bob));
  CAF_CHECK(ast.routes.empty());
  auto bob2 = join("bob");
  send_frame(alice, msg_to("bob", 2));
  auto got = received<net::deliver>(bob2);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].envelope, msg_to("bob", 2).envelope);
  CAF_CHECK_EQUAL(ast.routes.count("bob"), 1u);
  CAF_CHECK(received<net::error_frame>(alice).empty());
}

CAF_TEST(routes beyond the cache bound keep going through the registry) {
  cfg.max_cached_routes = 1;
  auto alice = join("alice");
  auto bob = join("bob");
  auto carol = join("carol");
  auto& ast = deref<session_impl>(alice.sess).state;
  send_frame(alice, msg_to("bob", 1));
  send_frame(alice, msg_to("carol", 2));
  send_frame(alice, msg_to("carol", 3));
  CAF_CHECK_EQUAL(ast.routes.size(), 1u);
  CAF_CHECK_EQUAL(ast.routes.count("bob"), 1u);
  CAF_CHECK(ast.route_waits.empty());
  CAF_CHECK_EQUAL(received<net::deliver>(carol).size(), 2u);
  // an unknown name is answered, and takes no room
  send_frame(alice, msg_to("nobody", 4));
  CAF_CHECK_EQUAL(last_error(alice).code, code(net::errc::unknown_peer));
  CAF_CHECK(ast.route_waits.empty());
  CAF_CHECK_EQUAL(ast.routes.size(), 1u);
}

CAF_TEST(an unknown recipient yields an error with the message id) {
  auto alice = join("alice");
  send_frame(alice, msg_to("nobody", 77));
  auto e = last_error(alice);
  CAF_CHECK(!e.fatal);
  CAF_CHECK_EQUAL(e.ref, 77u);
  CAF_CHECK_EQUAL(e.code, code(net::errc::unknown_peer));
  CAF_CHECK(contains(e.text, "nobody"));
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
}

CAF_TEST(ping is answered with the same nonce) {
  auto alice = join("alice");
  send_frame(alice, net::ping{0xfeedbeefcafeULL});
  auto p = received<net::pong>(alice);
  CAF_REQUIRE_EQUAL(p.size(), 1u);
  CAF_CHECK_EQUAL(p[0].nonce, 0xfeedbeefcafeULL);
}

CAF_TEST(an unknown frame type is fatal and named in hex) {
  auto alice = join("alice");
  send_bytes(alice, raw_frame<0x7e>({1, 2}));
  check_fatal_close(alice, net::errc::protocol);
  CAF_CHECK(contains(last_error(alice).text, "unknown frame type 0x7e"));
  CAF_CHECK(online().empty());
}

CAF_TEST(a malformed payload is fatal then closes) {
  auto alice = join("alice");
  // the envelope cut short inside a frame whose length fits
  auto payload = net::to_wire(msg_to("bob", 1));
  payload.resize(payload.size() - 2);
  send_bytes(alice, raw_frame<net::send_message::wire_type>(payload));
  check_fatal_close(alice, net::errc::protocol);
  CAF_CHECK(contains(last_error(alice).text, "malformed"));
}

CAF_TEST(a malformed hello is fatal) {
  auto c = connect();
  send_bytes(c, raw_frame<net::hello::wire_type>({0, 1, 0, 0, 0, 9}));
  check_fatal_close(c, net::errc::protocol);
}

CAF_TEST(an oversized length header is fatal then closes) {
  cfg.max_frame_size = 200; // HELLO fits
  auto alice = join("alice");
  // only the header arrives: the length alone must be refused (written by
  // hand, as no encoder makes a header that lies about its length)
  send_bytes(alice, {0, 0, 0x10, 0, net::send_message::wire_type});
  check_fatal_close(alice, net::errc::protocol);
  auto text = last_error(alice).text;
  CAF_CHECK(contains(text, "4096"));
  CAF_CHECK(contains(text, "200"));
}

CAF_TEST(a zero length header is fatal) {
  auto alice = join("alice");
  send_bytes(alice, {0, 0, 0, 0, 0}); // by hand: no encoder writes length 0
  check_fatal_close(alice, net::errc::protocol);
}

CAF_TEST(frames split across reads and batched in one read both work) {
  auto alice = join("alice");
  auto bob = join("bob");
  std::vector<char> two;
  net::append_frame(two, msg_to("bob", 1));
  net::append_frame(two, msg_to("bob", 2));
  for (auto b : two) // one byte per read
    send_bytes(alice, {b});
  send_bytes(alice, two); // both in one read
  auto got = received<net::deliver>(bob);
  CAF_REQUIRE_EQUAL(got.size(), 4u);
  CAF_CHECK_EQUAL(got[1].envelope, msg_to("bob", 2).envelope);
  CAF_CHECK_EQUAL(got[3].envelope, msg_to("bob", 2).envelope);
}

// -- leaving ------------------------------------------------------------------

CAF_TEST(quit removes the name and ends the session) {
  auto alice = join("alice");
  auto bob = join("bob");
  send_frame(bob, net::quit{});
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK(session_gone(bob));
  CAF_CHECK_EQUAL(conn(bob).closes, 1);
  auto d = received<net::directory>(alice);
  CAF_REQUIRE(!d.empty());
  CAF_CHECK_EQUAL(d.back().left.names, names({"bob"}));
  // the name is free again
  auto bob2 = join("bob");
  CAF_CHECK_EQUAL(online(), names({"alice", "bob"}));
}

CAF_TEST(quit leaves the registry then closes and the others hear of it) {
  auto alice = join("alice");
  auto bob = join("bob");
  self->send(alice.sess, recv_atom::value, net::encode_frame(net::quit{}));
  run_sessions();
  // The order is the point: the name goes before the socket does, so no
  // message can be routed to a session that is closing.
  CAF_REQUIRE(!sched.jobs.empty());
  CAF_CHECK_EQUAL(sched.jobs.front(), as_job(reg));
  expect((caf::leave_atom, std::string),
         from(alice.sess).to(reg).with(caf::leave_atom::value, "alice"));
  expect((caf::close_atom), from(_).to(alice.conn));
  drain();
  auto deltas = received<net::directory>(bob);
  CAF_REQUIRE(!deltas.empty());
  CAF_CHECK_EQUAL(deltas.back().left.names, names({"alice"}));
  CAF_CHECK(session_gone(alice));
}

CAF_TEST(quit followed at once by closed still removes the name) {
  // Regression: QUIT and the connection's close arrived back to back and the
  // session could linger with its name registered.
  auto alice = join("alice");
  auto bob = join("bob");
  self->send(bob.sess, recv_atom::value, net::encode_frame(net::quit{}));
  self->send(bob.sess, closed_atom::value);
  drain();
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK(session_gone(bob));
  // and the other order: the socket closes before QUIT is read
  auto carol = join("carol");
  self->send(carol.sess, closed_atom::value);
  self->send(carol.sess, recv_atom::value, net::encode_frame(net::quit{}));
  drain();
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK(session_gone(carol));
  auto d = received<net::directory>(alice);
  CAF_REQUIRE(d.size() >= 2u);
  CAF_CHECK_EQUAL(test_left(d), names({"bob", "carol"}));
}

CAF_TEST(a closed connection without quit removes the name) {
  auto alice = join("alice");
  self->send(alice.sess, closed_atom::value);
  drain();
  CAF_CHECK(online().empty());
  CAF_CHECK(session_gone(alice));
}

CAF_TEST(quit in the same read as other frames is handled after them) {
  auto alice = join("alice");
  auto bob = join("bob");
  std::vector<char> buf;
  net::append_frame(buf, msg_to("alice", 9));
  net::append_frame(buf, net::quit{});
  net::append_frame(buf, msg_to("alice", 10)); // after QUIT: ignored
  send_bytes(bob, buf);
  auto got = received<net::deliver>(alice);
  CAF_REQUIRE_EQUAL(got.size(), 1u);
  CAF_CHECK_EQUAL(got[0].envelope, msg_to("alice", 9).envelope);
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK(session_gone(bob));
}

// -- turns --------------------------------------------------------------------

namespace {

/// `n` pings in one buffer, nonces 0 to n - 1.
std::vector<char> pings(int n) {
  std::vector<char> buf;
  for (int i = 0; i < n; ++i)
    net::append_frame(buf, net::ping{static_cast<uint64_t>(i)});
  return buf;
}

} // namespace

CAF_TEST(a read of many frames is handled a turn at a time) {
  // Sessions share the multiplexer thread: one that handled a whole read of
  // cheap frames at once would hold every other session up (seen: a ping
  // flood with an unlimited frame budget starved the bystanders' chat).
  cfg.max_frames_per_turn = 16;
  auto alice = join("alice");
  auto bob = join("bob");
  self->send(alice.sess, recv_atom::value, pings(100));
  self->send(bob.sess, recv_atom::value, net::encode_frame(net::ping{7}));
  // One multiplexer job at a time, the recorders after each.
  for (int i = 0; i < 100 && received<net::pong>(bob).empty(); ++i) {
    mpx.try_exec_runnable();
    while (sched.try_run_once())
      ; // repeat
  }
  CAF_REQUIRE_EQUAL(received<net::pong>(bob).size(), 1u);
  CAF_CHECK_EQUAL(received<net::pong>(alice).size(), 16u);
  drain();
  auto got = received<net::pong>(alice);
  CAF_REQUIRE_EQUAL(got.size(), 100u);
  for (size_t i = 0; i < got.size(); ++i)
    CAF_CHECK_EQUAL(got[i].nonce, i);
}

CAF_TEST(input is reported consumed only once its frames are handled) {
  // The connection stops reading above max_unprocessed_input: input waiting
  // for a later turn must still count as unprocessed.
  cfg.max_frames_per_turn = 16;
  cfg.max_unprocessed_input = 1024; // reports in steps of 256 bytes
  auto alice = join("alice");
  auto before = conn(alice).consumed;
  auto buf = pings(100);
  self->send(alice.sess, recv_atom::value, buf);
  mpx.try_exec_runnable(); // alice's first turn
  while (sched.try_run_once())
    ; // repeat
  CAF_CHECK_EQUAL(received<net::pong>(alice).size(), 16u);
  CAF_CHECK_EQUAL(conn(alice).consumed, before);
  drain();
  CAF_CHECK_EQUAL(received<net::pong>(alice).size(), 100u);
  // all of it, with what was left unreported of the HELLO (< one step)
  CAF_CHECK_GREATER_OR_EQUAL(conn(alice).consumed, before + buf.size());
  CAF_CHECK_LESS(conn(alice).consumed, before + buf.size() + 256);
}

CAF_TEST(the replies of one turn leave in one write) {
  cfg.max_frames_per_turn = 16;
  auto alice = join("alice");
  auto before = conn(alice).writes;
  send_bytes(alice, pings(16));
  CAF_CHECK_EQUAL(received<net::pong>(alice).size(), 16u);
  CAF_CHECK_EQUAL(conn(alice).writes, before + 1);
}

CAF_TEST(a connection closed after a large read still handles all of it) {
  cfg.max_frames_per_turn = 16;
  auto alice = join("alice");
  auto bob = join("bob");
  std::vector<char> buf;
  for (uint32_t i = 1; i <= 50; ++i)
    net::append_frame(buf, msg_to("bob", i));
  self->send(alice.sess, recv_atom::value, std::move(buf));
  self->send(alice.sess, closed_atom::value);
  drain();
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 50u);
  CAF_CHECK(session_gone(alice));
  CAF_CHECK_EQUAL(online(), names({"bob"}));
}

// -- limits -------------------------------------------------------------------

CAF_TEST(a play waiting for a cache build hears how far it is until stopped) {
  cfg.wait_notice_interval = 2s;
  auto cat = sys.spawn(slow_catalog);
  spawned.push_back(cat.address());
  auto c = join("alice", cat);
  send_frame(c, net::play_request{"3", "", 0});
  auto w = received<net::play_waiting>(c);
  CAF_REQUIRE_EQUAL(w.size(), 1u); // at once
  CAF_CHECK_EQUAL(w[0], (net::play_waiting{1, "video_3", 370, 75000}));
  advance_time(1s);
  drain();
  CAF_CHECK_EQUAL(received<net::play_waiting>(c).size(), 1u);
  advance_time(1s);
  drain();
  CAF_CHECK_EQUAL(received<net::play_waiting>(c).size(), 2u); // per interval
  // Acks and other controls for it have nothing to act on yet: ignored.
  send_frame(c, net::video_ack{1, 0, 0, 0, 0});
  send_frame(c, net::video_control{
                    1, 0, static_cast<uint8_t>(net::video_op::pause), 0});
  CAF_CHECK(received<net::error_frame>(c).empty());
  send_frame(c, net::video_control{
                    1, 0, static_cast<uint8_t>(net::video_op::stop), 0});
  auto end = received<net::video_end>(c);
  CAF_REQUIRE_EQUAL(end.size(), 1u);
  CAF_CHECK_EQUAL(end[0].stream_id, 1u);
  CAF_CHECK_EQUAL(end[0].reason,
                  static_cast<uint8_t>(net::end_reason::stopped));
  CAF_CHECK_EQUAL(end[0].frames_sent, 0u);
  // The poll stops with the PLAY, and its slot is free again.
  advance_time(10s);
  drain();
  CAF_CHECK_EQUAL(received<net::play_waiting>(c).size(), 2u);
  send_frame(c, net::play_request{"4", "", 0});
  send_frame(c, net::play_request{"5", "", 0});
  CAF_CHECK(received<net::error_frame>(c).empty()); // max_streams is 2
  CAF_CHECK_EQUAL(received<net::play_waiting>(c).size(), 4u);
}

CAF_TEST(the rate limit refuses a burst then recovers) {
  cfg.message_rate = 1;
  cfg.message_burst = 3;
  auto alice = join("alice");
  auto bob = join("bob");
  for (uint32_t id = 1; id <= 4; ++id)
    send_frame(alice, msg_to("bob", id));
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 3u);
  auto e = last_error(alice);
  CAF_CHECK(!e.fatal);
  CAF_CHECK_EQUAL(e.code, code(net::errc::rate_limited));
  CAF_CHECK_EQUAL(e.ref, 4u);
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  // one second refills one token
  advance_time(1s);
  drain();
  send_frame(alice, msg_to("bob", 5));
  auto got = received<net::deliver>(bob);
  CAF_REQUIRE_EQUAL(got.size(), 4u);
  CAF_CHECK_EQUAL(got.back().envelope, msg_to("bob", 5).envelope);
  CAF_CHECK_EQUAL(received<net::error_frame>(alice).size(), 1u);
  // ... and only one
  send_frame(alice, msg_to("bob", 6));
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 4u);
  CAF_CHECK_EQUAL(last_error(alice).ref, 6u);
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
}

CAF_TEST(the byte budget limits large messages) {
  cfg.message_rate = 1000;
  cfg.message_burst = 1000;
  cfg.byte_rate = 1000;
  cfg.byte_burst = 2500;
  auto alice = join("alice");
  auto bob = join("bob");
  for (uint32_t id = 1; id <= 3; ++id) {
    auto m = msg_to("bob", id);
    m.envelope.assign(1000, static_cast<uint8_t>(id));
    send_frame(alice, m);
  }
  // 2 x 1000 bytes fit the 2500-byte bucket, the third does not
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 2u);
  auto e = last_error(alice);
  CAF_CHECK(!e.fatal);
  CAF_CHECK_EQUAL(e.code, code(net::errc::rate_limited));
  CAF_CHECK_EQUAL(e.ref, 3u);
  // small messages still pass: only the bytes ran short
  send_frame(alice, msg_to("bob", 4));
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 3u);
  // a second refills 1000 bytes
  advance_time(1s);
  drain();
  auto m = msg_to("bob", 5);
  m.envelope.assign(1000, 5);
  send_frame(alice, m);
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 4u);
}

CAF_TEST(a sender that trickles through as tokens accrue is still closed) {
  // Each second one message passes and one is refused: the refusals add
  // up, because a pass with an almost empty bucket forgives nothing.
  cfg.message_rate = 1;
  cfg.message_burst = 3;
  auto alice = join("alice");
  auto bob = join("bob");
  uint32_t id = 0;
  for (int i = 0; i < 3; ++i)
    send_frame(alice, msg_to("bob", ++id));
  for (int second = 0; second < 5 && conn(alice).closes == 0; ++second) {
    advance_time(1s);
    drain();
    send_frame(alice, msg_to("bob", ++id)); // passes
    send_frame(alice, msg_to("bob", ++id)); // refused
  }
  check_fatal_close(alice, net::errc::rate_limited);
}

CAF_TEST(more strikes than the burst disconnect) {
  cfg.message_rate = 1;
  cfg.message_burst = 3;
  auto alice = join("alice");
  auto bob = join("bob");
  for (uint32_t id = 1; id <= 6; ++id) // 3 pass, 3 strikes
    send_frame(alice, msg_to("bob", id));
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 3u);
  auto errs = received<net::error_frame>(alice);
  CAF_REQUIRE_EQUAL(errs.size(), 3u);
  for (auto& e : errs)
    CAF_CHECK(!e.fatal);
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  send_frame(alice, msg_to("bob", 7)); // strike 4 > burst 3
  check_fatal_close(alice, net::errc::rate_limited);
  CAF_CHECK_EQUAL(received<net::deliver>(bob).size(), 3u);
  CAF_CHECK_EQUAL(online(), names({"bob"}));
}

CAF_TEST(no hello before the handshake timeout is fatal) {
  cfg.handshake_timeout = 2s;
  auto c = connect();
  advance_time(1999ms);
  drain();
  CAF_CHECK_EQUAL(conn(c).closes, 0);
  CAF_CHECK(conn(c).frames.empty());
  advance_time(2ms);
  drain();
  check_fatal_close(c, net::errc::protocol);
  CAF_CHECK(contains(last_error(c).text, "timeout"));
}

CAF_TEST(the handshake timer does nothing after a join) {
  cfg.handshake_timeout = 2s;
  auto alice = join("alice");
  advance_time(3s);
  drain();
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  CAF_CHECK(received<net::error_frame>(alice).empty());
}

CAF_TEST(an idle session is closed and ping keeps it alive) {
  cfg.idle_timeout = 60s;
  auto alice = join("alice");
  advance_time(30s);
  drain();
  send_frame(alice, net::ping{1});
  advance_time(30s); // the first check finds 30 s of quiet and re-arms
  drain();
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  CAF_CHECK_EQUAL(received<net::pong>(alice).size(), 1u);
  advance_time(29s);
  drain();
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  advance_time(1s); // 60 s since the ping
  drain();
  check_fatal_close(alice, net::errc::protocol);
  CAF_CHECK(contains(last_error(alice).text, "idle"));
  CAF_CHECK(online().empty());
}

CAF_TEST(an idle joined session is woken at its idle timeout only) {
  // Was: every session re-checked its deadlines every min(10 s, idle
  // timeout): 500 timer messages a second for 5,000 idle clients.
  cfg.idle_timeout = 300s;
  auto alice = join("alice");
  auto& wheel_state = deref<deadline_wheel_impl>(wheel).state;
  advance_time(11s); // past the handshake deadline (10 s)
  drain();
  // Not woken at the handshake deadline either: 5,000 clients joining in a
  // storm were 5,000 wake-ups 30 s later (chat-bench connect, idle CPU).
  CAF_CHECK_EQUAL(wheel_state.wakes, 0u);
  size_t fired = 0;
  for (int t = 11; t < 299; ++t) { // to 299 s
    fired += advance_time(1s);
    drain();
  }
  CAF_CHECK_EQUAL(fired, 0u);
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  advance_time(1s); // 300 s of silence
  drain();
  check_fatal_close(alice, net::errc::protocol);
  CAF_CHECK(contains(last_error(alice).text, "idle"));
}

CAF_TEST(a write stall closes at the stall timeout whatever the idle timeout) {
  cfg.idle_timeout = 300s;
  cfg.write_stall_timeout = 30s;
  auto alice = join("alice");
  auto& st = deref<session_impl>(alice.sess).state;
  self->send(alice.sess, sent_atom::value, st.output.size()); // all taken
  drain();
  advance_time(100s);
  drain();
  CAF_REQUIRE_EQUAL(st.output.size(), 0u);
  send_frame(alice, net::ping{1}); // the pong is never taken
  check_closed_after(alice, 30s, net::errc::overloaded, "you stopped reading");
}

CAF_TEST(a closed session is not pinned by its idle timer) {
  // Regression: the idle check was one delayed_send of idle-timeout-s
  // (300 s); CAF's clock keeps a strong reference to the receiver until
  // a timer fires, so every closed session stayed in memory for minutes
  // (chat-bench churn: server RSS +1.9 KiB per connection, linear).
  cfg.idle_timeout = 300s;
  auto alice = join("alice");
  CAF_CHECK_EQUAL(wheel_entries(), 1u);
  send_frame(alice, net::quit{});
  CAF_CHECK(online().empty());
  // no timer holds the closed session, and the wheel has forgotten it
  CAF_CHECK_EQUAL(timers_for(alice.sess.address()), 0u);
  CAF_CHECK_EQUAL(wheel_entries(), 0u);
}

CAF_TEST(a session closed before joining is not pinned by its deadline) {
  // Regression: the handshake deadline was one delayed_send of
  // handshake-timeout (30 s), holding every session that a client closed
  // early (a scan, a refused HELLO) in memory until it fired.
  cfg.handshake_timeout = 30s;
  auto c = connect();
  send_frame(c, net::ping{1}); // not a HELLO: fatal
  check_fatal_close(c, net::errc::protocol);
  CAF_CHECK_EQUAL(timers_for(c.sess.address()), 0u);
  CAF_CHECK_EQUAL(wheel_entries(), 0u);
}

CAF_TEST(without a wheel the session keeps its deadlines with its own timer) {
  cfg.deadlines = nullptr;
  cfg.idle_timeout = 60s;
  auto alice = join("alice"); // the handshake timer (10 s) is now stale
  check_closed_after(alice, 60s, net::errc::protocol, "idle");
}

CAF_TEST(a busy session asks the wheel for a wake-up once not per frame) {
  // Was: every write that found the backlog empty moved the write-stall
  // deadline later and told the wheel: one more actor hop per relayed
  // message (the wheel only needs the earliest deadline that may be due).
  cfg.write_stall_timeout = 30s;
  auto alice = join("alice");
  auto bob = join("bob");
  auto& wheel_state = deref<deadline_wheel_impl>(wheel).state;
  auto& bob_state = deref<session_impl>(bob.sess).state;
  auto before = wheel_state.requests;
  for (uint32_t id = 1; id <= 50; ++id) {
    advance_time(10ms);
    send_frame(alice, msg_to("bob", id));
    // bob's connection took everything: bob's backlog is empty again
    self->send(bob.sess, sent_atom::value, bob_state.output.size());
    drain();
  }
  CAF_REQUIRE_EQUAL(received<net::deliver>(bob).size(), 50u);
  CAF_CHECK_LESS_OR_EQUAL(wheel_state.requests - before, 2u);
  // and the deadlines still hold: bob stops reading and is closed
  send_frame(alice, msg_to("bob", 51));
  check_closed_after(bob, 30s, net::errc::overloaded, "you stopped reading");
}

CAF_TEST(others messages beyond the backlog bound go back to their sender) {
  // Two senders aiming a burst at a reader must not get it evicted: what
  // does not fit is refused to them, and the reader stays.
  cfg.max_outgoing_bytes = 600;
  auto alice = join("alice");
  auto& st = deref<session_impl>(alice.sess).state;
  auto sender = sys.spawn(test_support::recorder);
  spawned.push_back(sender.address());
  net::deliver d{"bob", net::bytes(100, 7)};
  // acks keep the backlog at zero: far more than the limit goes through
  for (uint32_t i = 0; i < 20; ++i) {
    self->send(alice.sess, sent_atom::value, st.output.size());
    self->send(alice.sess, d, error_sink{sender}, i);
    drain();
  }
  CAF_CHECK_EQUAL(received<net::deliver>(alice).size(), 20u);
  self->send(alice.sess, sent_atom::value, st.output.size());
  drain();
  CAF_REQUIRE_EQUAL(st.output.size(), 0u);
  // without acks, what fits is queued and the rest is refused
  for (uint32_t i = 100; i < 110; ++i)
    self->send(alice.sess, d, error_sink{sender}, i);
  drain();
  auto queued = received<net::deliver>(alice).size() - 20;
  CAF_CHECK_GREATER(queued, 0u);
  CAF_CHECK_LESS(queued, 10u);
  CAF_CHECK_LESS_OR_EQUAL(st.output.size(), cfg.max_outgoing_bytes);
  auto& errors = deref<test_support::recorder_impl>(sender)
                     .state.errors;
  CAF_REQUIRE_EQUAL(errors.size(), 10u - queued);
  for (auto& e : errors) {
    CAF_CHECK(!e.fatal);
    CAF_CHECK_EQUAL(e.code, code(net::errc::recipient_busy));
    CAF_CHECK(contains(e.text, "'alice' is not keeping up"));
  }
  CAF_CHECK_EQUAL(errors.back().ref, 109u);
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  CAF_CHECK(!session_gone(alice));
  CAF_CHECK_EQUAL(online(), names({"alice"}));
}

CAF_TEST(a reader that takes nothing for the stall timeout is closed) {
  cfg.max_outgoing_bytes = 600;
  cfg.write_stall_timeout = 4s;
  auto alice = join("alice");
  auto& st = deref<session_impl>(alice.sess).state;
  send_frame(alice, net::ping{1});
  CAF_REQUIRE_GREATER(st.output.size(), 0u);
  // progress (some bytes taken) keeps it alive
  for (int i = 0; i < 3; ++i) {
    advance_time(3s);
    drain();
    self->send(alice.sess, sent_atom::value, uint64_t{1});
    drain();
  }
  CAF_CHECK_EQUAL(conn(alice).closes, 0);
  advance_time(6s);
  drain();
  check_fatal_close(alice, net::errc::overloaded);
  CAF_CHECK(contains(last_error(alice).text, "you stopped reading"));
  CAF_CHECK(online().empty());
}

CAF_TEST(a client that never reads its own replies is closed) {
  cfg.max_outgoing_bytes = 600;
  auto alice = join("alice");
  for (uint64_t i = 0; i < 200 && conn(alice).closes == 0; ++i)
    send_frame(alice, net::ping{i});
  check_fatal_close(alice, net::errc::overloaded);
  CAF_CHECK(online().empty());
}

CAF_TEST(frames over the frame budget are dropped then the flooder is closed) {
  cfg.frame_rate = 10;
  cfg.frame_burst = 40;
  auto alice = join("alice");
  std::vector<char> burst;
  for (uint64_t i = 0; i < 45; ++i)
    net::append_frame(burst, net::ping{i});
  send_bytes(alice, burst);
  // virtual time stands still: the burst (40 units) minus the HELLO (16)
  // pays for 24 pings; the first drop says why, later ones are silent
  auto pongs = received<net::pong>(alice).size();
  CAF_CHECK_EQUAL(pongs, 24u);
  auto errors = received<net::error_frame>(alice);
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK(!errors[0].fatal);
  CAF_CHECK_EQUAL(errors[0].code, code(net::errc::rate_limited));
  // a second later there are 10 units again
  advance_time(1s);
  drain();
  send_frame(alice, net::ping{99});
  CAF_CHECK_EQUAL(received<net::pong>(alice).size(), pongs + 1);
  // past the burst in drops, the session ends with the reason
  burst.clear();
  for (uint64_t i = 0; i < 60; ++i)
    net::append_frame(burst, net::ping{i});
  send_bytes(alice, burst);
  check_fatal_close(alice, net::errc::rate_limited);
  CAF_CHECK(contains(last_error(alice).text, "flooding"));
}

CAF_TEST(a hello larger than the pre-join limit is fatal) {
  cfg.max_prejoin_frame_size = 1024;
  auto c = connect();
  auto h = make_hello(std::string(2000, 'a'), c.id);
  send_frame(c, h);
  check_fatal_close(c, net::errc::protocol);
  CAF_CHECK(contains(last_error(c).text, "exceeds the maximum of 1024"));
}

CAF_TEST(a refused name does not extend the handshake deadline) {
  cfg.handshake_timeout = 10s;
  auto bob = join("bob");
  auto c = connect();
  advance_time(6s);
  drain();
  send_frame(c, make_hello("bob", c.id)); // taken: may retry
  CAF_CHECK(!last_error(c).fatal);
  advance_time(5s); // 11 s after accept
  drain();
  check_fatal_close(c, net::errc::protocol);
  CAF_CHECK(contains(last_error(c).text, "handshake timeout"));
}

CAF_TEST_FIXTURE_SCOPE_END()
