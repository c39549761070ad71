#define CAF_SUITE client_core
#include <caf/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/client_core.hpp"
#include "client/replay_store.hpp"
#include "client/trust_store.hpp"
#include "net/certificate.hpp"
#include "net/envelope.hpp"
#include "net/frame.hpp"
#include "net/frame_channel.hpp"
#include "net/messages.hpp"
#include "tests/scripted_server.hpp"
#include "tests/temp_dir.hpp"

// A recipient's client_core, driven without sockets by a scripted server
// that re-delivers old envelopes after reconnects and restarts, sends the
// directory of a large room, and answers key requests from its own table
// of who holds which keys (as the registry does).

using namespace client;

namespace {

uint64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

struct fixture {
  test_support::temp_dir dir;
  std::string home = dir / "home";
  net::tls_context server_ctx = *net::tls_context::client(); // replaced
  net::tls_context client_ctx = *net::tls_context::client();
  net::identity alice = net::identity::generate();
  net::identity bob = net::identity::generate();
  std::vector<std::string> shown;
  std::vector<std::string> warnings;
  std::vector<std::pair<net::errc, bool>> errors; ///< code, fatal
  bool errors_expected = false;
  /// The scripted registry: the keys of whoever is online.
  test_support::scripted_keys registry;
  std::map<std::string, net::peer_info>& keys_db = registry.keys;
  const size_t& key_requests = registry.answered;

  // One connection: the recipient's engine and its stores, as the console
  // client builds them from `home` at start.
  struct session {
    std::optional<trust_store> trust;
    std::optional<replay_store> replay;
    std::unique_ptr<client_core> core;
    net::frame_channel server;
    std::vector<net::frame> at_server;
  };
  std::unique_ptr<session> s;

  fixture() {
    auto c = net::load_or_create_credentials(dir / "server");
    CAF_REQUIRE(c);
    auto ctx = net::tls_context::server(*c);
    CAF_REQUIRE(ctx);
    server_ctx = std::move(*ctx);
  }

  // Reconnect or restart: everything in memory is rebuilt from `home`.
  void connect(size_t room_size = 0,
               uint32_t max_frame_size = max_server_frame_size) {
    s.reset();
    s = std::make_unique<session>(
        session{{}, {}, {}, test_support::scripted_server(server_ctx), {}});
    registry.seen = 0;
    auto ts = trust_store::open(home + "/known_peers");
    CAF_REQUIRE(ts);
    s->trust.emplace(std::move(*ts));
    auto rs = replay_store::open(home + "/replay_state", 64);
    CAF_REQUIRE(rs);
    s->replay.emplace(std::move(*rs));
    client_events ev;
    ev.on_message = [this](const std::string& from, const std::string& text,
                           bool) { shown.push_back(from + ": " + text); };
    ev.on_warning = [this](const std::string& text) {
      CAF_MESSAGE("warning: " << text);
      warnings.push_back(text);
    };
    ev.on_error = [this](net::errc code, const std::string& text,
                         bool fatal) {
      if (!errors_expected)
        CAF_FAIL("unexpected error " << net::to_string(code)
                                     << " (fatal=" << fatal << "): " << text);
      errors.emplace_back(code, fatal);
    };
    s->core = std::make_unique<client_core>(client_ctx, "", bob, &*s->trust,
                                            std::move(ev), max_frame_size);
    s->core->set_replay_store(&*s->replay);
    s->core->start();
    s->core->choose_name("bob");
    shuttle();
    send(net::welcome{net::protocol_version, "bob", 65536});
    keys_db.clear();
    keys_db["alice"] = {"alice", alice.x25519_pub, alice.ed25519_pub};
    keys_db["bob"] = {"bob", bob.x25519_pub, bob.ed25519_pub};
    for (size_t i = 0; i < room_size; ++i) {
      auto& id = i % 2 == 0 ? alice : bob;
      auto name = "peer-" + std::to_string(i);
      keys_db[name] = {name, id.x25519_pub, id.ed25519_pub};
    }
    net::directory d;
    d.snapshot = true;
    for (auto& kvp : keys_db)
      d.joined.names.push_back(kvp.first);
    send(d);
    CAF_REQUIRE(s->core->joined());
  }

  /// Moves bytes both ways; KEYS_REQUESTs are answered from keys_db.
  void shuttle() {
    for (;;) {
      test_support::shuttle(*s->core, s->server, 1000,
                            test_support::core_accepts::required,
                            s->at_server);
      if (!registry.answer(s->server, s->at_server))
        return;
    }
  }

  /// Names of everyone in the directory but bob.
  std::vector<std::string> others() {
    std::vector<std::string> names;
    for (auto& kvp : s->core->directory())
      if (kvp.first != "bob")
        names.push_back(kvp.first);
    return names;
  }

  template <class T>
  void send(const T& msg) {
    s->server.send(msg);
    shuttle();
  }

  /// Has the server send `bytes` inside TLS, as they are; the core may
  /// refuse them.
  void send_raw(const std::vector<char>& bytes) {
    s->server.send_encoded(bytes.data(), bytes.size());
    test_support::shuttle(*s->core, s->server, 1000,
                          test_support::core_accepts::not_checked,
                          s->at_server);
  }

  /// A directory delta of `n` new peers (names in ascending order).
  net::directory crowd(size_t n) {
    net::directory d;
    for (size_t i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "crowd-%07zu", i);
      d.joined.names.emplace_back(name);
    }
    return d;
  }

  net::bytes seal(uint64_t counter, const std::string& text,
                  uint64_t timestamp = 0) {
    auto env =
        net::seal_envelope(alice, "alice", "bob", bob.x25519_pub, counter,
                           timestamp ? timestamp : now_ms(), text);
    CAF_REQUIRE(env);
    return *env;
  }

  void deliver(const net::bytes& env) {
    send(net::deliver{"alice", env});
  }

  bool warned(const std::string& what) const {
    for (auto& w : warnings)
      if (w.find(what) != std::string::npos)
        return true;
    return false;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(client_core_tests, fixture)

CAF_TEST(a replay after reconnect and restart is rejected and reported) {
  auto n = seal(1000, "hello #1000");
  auto n1 = seal(1001, "hello #1001");
  auto n2 = seal(1002, "hello #1002");
  connect();
  deliver(n);
  deliver(n2);
  CAF_CHECK_EQUAL(shown.size(), 2u);
  CAF_CHECK(warnings.empty());
  // The server drops us and, once we are back, re-delivers #1000.
  connect();
  deliver(n);
  CAF_CHECK_EQUAL(shown.size(), 2u);
  CAF_CHECK(warned("REJECTED a replayed message from 'alice'"));
  // #1001 was delayed, not replayed: within the window, shown once.
  warnings.clear();
  deliver(n1);
  CAF_REQUIRE_EQUAL(shown.size(), 3u);
  CAF_CHECK_EQUAL(shown.back(), "alice: hello #1001");
  CAF_CHECK(warnings.empty());
  // And a restart (a fresh replay_store from the same file) still knows.
  connect();
  deliver(n1);
  deliver(n2);
  deliver(n);
  CAF_CHECK_EQUAL(shown.size(), 3u);
  CAF_CHECK_EQUAL(warnings.size(), 3u);
}

CAF_TEST(an envelope below the window is rejected) {
  connect();
  deliver(seal(500, "new"));
  deliver(seal(500 - 64, "ancient"));
  CAF_CHECK_EQUAL(shown.size(), 1u);
  CAF_CHECK(warned("older than the replay window"));
}

CAF_TEST(a timestamp outside the window is flagged) {
  connect();
  deliver(seal(7, "from the past", now_ms() - 3600 * 1000));
  CAF_REQUIRE_EQUAL(shown.size(), 1u);
  CAF_CHECK(warned("in the past"));
  warnings.clear();
  deliver(seal(8, "fresh"));
  CAF_CHECK_EQUAL(shown.size(), 2u);
  CAF_CHECK(warnings.empty());
}

CAF_TEST(a room of 8000 joins by name and pins what it fetches in batches) {
  auto t0 = std::chrono::steady_clock::now();
  connect(8000);
  auto ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - t0)
        .count();
  };
  CAF_MESSAGE("joined a room of 8000 (TLS, directory of names) in " << ms()
                                                                    << " ms");
  CAF_CHECK_EQUAL(s->core->directory().size(), 8002u);
  CAF_CHECK_EQUAL(key_requests, 0u); // nothing is fetched before it is needed
  CAF_CHECK_EQUAL(s->trust->size(), 0u);
  t0 = std::chrono::steady_clock::now();
  s->core->request_keys(others());
  shuttle();
  CAF_MESSAGE("fetched and pinned 8001 peers' keys in " << ms() << " ms ("
                                                        << key_requests
                                                        << " requests)");
  CAF_CHECK_LESS(ms(), 5000); // sanity only; figures in benchmarks/RESULTS.md
  CAF_CHECK_EQUAL(key_requests, (8001u + keys_request_batch - 1) /
                                    keys_request_batch);
  CAF_CHECK_EQUAL(s->trust->size(), 8001u);
  CAF_CHECK_EQUAL(s->trust->journal_lines(), 8001u);
  CAF_CHECK(warnings.empty());
  CAF_CHECK(s->core->has_keys("peer-7999"));
  // asked again: nothing to fetch
  s->core->request_keys(others());
  shuttle();
  CAF_CHECK_EQUAL(key_requests, (8001u + keys_request_batch - 1) /
                                    keys_request_batch);
  connect(8000);
  s->core->request_keys(others());
  shuttle();
  CAF_CHECK_EQUAL(s->trust->size(), 8001u);
  CAF_CHECK(s->core->blocked().empty());
}

CAF_TEST(the keys of a room are asked for a few requests at a time) {
  connect(2000);
  s->core->request_keys(others());
  // without answers, no more than the bound go out (the server's frame
  // budget would drop the rest)
  test_support::shuttle(*s->core, s->server, 1000,
                        test_support::core_accepts::required, s->at_server);
  size_t requests = 0;
  for (auto& f : s->at_server)
    requests += f.type == net::keys_request::wire_type;
  CAF_CHECK_EQUAL(requests, max_key_requests_in_flight);
  // as answers come, the rest follow until every key is in
  shuttle();
  CAF_CHECK_EQUAL(key_requests,
                  (2001u + keys_request_batch - 1) / keys_request_batch);
  CAF_CHECK(s->core->has_keys("peer-1999"));
  CAF_CHECK_EQUAL(s->trust->size(), 2001u);
}

CAF_TEST(keys that differ from the pin block the peer) {
  connect();
  net::identity mallory = net::identity::generate();
  s->core->request_keys({"alice"});
  shuttle();
  CAF_REQUIRE(s->core->has_keys("alice"));
  CAF_CHECK(s->core->blocked().empty());
  // alice leaves; someone else joins as alice: a pinned peer's keys are
  // fetched when the name comes back, so the change is loud at once
  keys_db["alice"] = {"alice", mallory.x25519_pub, mallory.ed25519_pub};
  auto before = key_requests;
  net::directory d;
  d.left.names = {"alice"};
  d.joined.names = {"alice"};
  send(d);
  CAF_CHECK_EQUAL(key_requests, before + 1);
  CAF_CHECK_EQUAL(s->core->blocked().count("alice"), 1u);
  CAF_CHECK(warned("CHANGED"));
  auto sends = s->at_server.size();
  auto report = s->core->send_text({"alice"}, "for alice only");
  shuttle();
  CAF_REQUIRE_EQUAL(report.refused.size(), 1u);
  CAF_CHECK_EQUAL(report.refused[0].second, "key changed and not yet accepted");
  for (auto i = sends; i < s->at_server.size(); ++i)
    CAF_CHECK_NOT_EQUAL(s->at_server[i].type, net::send_message::wire_type);
  CAF_CHECK_EQUAL(
      to_string(s->trust->check("alice", alice.x25519_pub, alice.ed25519_pub)),
      std::string{"same"});
  // a stranger's join costs no request
  before = key_requests;
  net::directory stranger;
  stranger.joined.names = {"zoe"};
  send(stranger);
  CAF_CHECK_EQUAL(key_requests, before);
}

CAF_TEST(a message waits for the keys of its recipient and then goes out) {
  connect();
  auto report = s->core->send_text({"alice"}, "hi");
  CAF_CHECK(report.sent.empty());
  CAF_CHECK_EQUAL(report.waiting, std::vector<std::string>{"alice"});
  shuttle();
  CAF_CHECK_EQUAL(key_requests, 1u);
  std::vector<net::send_message> sent;
  for (auto& f : s->at_server)
    if (f.type == net::send_message::wire_type) {
      auto m = net::decode_payload<net::send_message>(f);
      CAF_REQUIRE(m);
      sent.push_back(*m);
    }
  CAF_REQUIRE_EQUAL(sent.size(), 1u);
  CAF_CHECK_EQUAL(sent[0].to, "alice");
  // sealed to alice's key: she can open it
  net::replay_guard guard;
  auto opened = net::open_envelope(alice, "alice", sent[0].envelope, "bob",
                                   bob.ed25519_pub, guard);
  CAF_REQUIRE(opened);
  CAF_CHECK_EQUAL(opened->text, "hi");
  // now known: the next one goes at once
  report = s->core->send_text({"alice"}, "again");
  CAF_CHECK_EQUAL(report.sent, std::vector<std::string>{"alice"});
  // a recipient who leaves before the answer: told, nothing sent
  keys_db.erase("alice");
  net::directory gone;
  gone.left.names = {"alice"};
  gone.joined.names = {"alice"};
  send(gone);
  report = s->core->send_text({"alice"}, "lost");
  CAF_CHECK_EQUAL(report.waiting, std::vector<std::string>{"alice"});
  shuttle();
  CAF_CHECK(warned("a message to 'alice' was NOT sent: not online any more"));
}

CAF_TEST(messages from a peer whose keys are not in yet wait bounded) {
  connect();
  // the first delivery fetches the keys, and is shown once they are in
  deliver(seal(1, "one"));
  CAF_CHECK_EQUAL(shown, std::vector<std::string>{"alice: one"});
  CAF_CHECK_EQUAL(key_requests, 1u);
  // a crowd of strangers floods messages while their keys never come:
  // the waiting room is bounded
  connect();
  keys_db.clear();
  send(crowd(2000));
  for (size_t i = 0; i < 2000; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "crowd-%07zu", i);
    s->server.send(net::deliver{name, seal(i + 10, "x")});
  }
  // answers only after the flood (the scripted server is slow)
  auto saved = std::move(keys_db);
  test_support::shuttle(*s->core, s->server, 1000,
                        test_support::core_accepts::required, s->at_server);
  CAF_CHECK(warned("too many messages waiting for keys"));
  keys_db = std::move(saved);
  shuttle(); // every name is unknown now: what waited is dropped, said once
  CAF_CHECK(warned("it left before its keys arrived"));
}

CAF_TEST(a certificate that is not the pinned one fails with pin_mismatch) {
  std::string wrong = "SHA256";
  for (int i = 0; i < 32; ++i)
    wrong += ":00";
  client_events ev;
  ev.on_error = [&](net::errc code, const std::string& text, bool fatal) {
    CAF_MESSAGE("error " << net::to_string(code) << ": " << text);
    errors.emplace_back(code, fatal);
  };
  client_core core{client_ctx, wrong, bob, nullptr, std::move(ev)};
  auto server = test_support::scripted_server(server_ctx);
  core.start();
  core.choose_name("bob");
  std::vector<net::frame> at_server;
  test_support::shuttle(core, server, 100,
                        test_support::core_accepts::not_checked, at_server);
  CAF_CHECK(at_server.empty()); // the HELLO never left the client
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK_EQUAL(net::to_string(errors[0].first),
                  std::string{"pin_mismatch"});
  CAF_CHECK(errors[0].second);
  CAF_CHECK(core.finished());
}

CAF_TEST(an ERROR frame reaches on_error with its code) {
  errors_expected = true;
  connect();
  send(net::error_frame{static_cast<uint8_t>(net::errc::unknown_peer), 7,
                        false, "unknown recipient 'carol' (not online)"});
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK_EQUAL(net::to_string(errors[0].first),
                  std::string{"unknown_peer"});
  CAF_CHECK(!errors[0].second);
  CAF_CHECK(s->core->joined());
}

CAF_TEST(the frame limit is set by the constructor and by default above the
             server limit) {
  // 50,000 members do not fit the server's own 131072-byte frames.
  auto big = net::encode_frame(crowd(50000));
  CAF_REQUIRE_GREATER(big.size(), 131072u + 4);
  connect();
  send(crowd(50000));
  CAF_CHECK_EQUAL(s->core->directory().size(), 50002u);
  errors_expected = true;
  connect(0, 4096);
  send_raw(big);
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK_EQUAL(net::to_string(errors[0].first), std::string{"protocol"});
  CAF_CHECK(errors[0].second);
  CAF_CHECK(s->core->finished());
  CAF_CHECK_EQUAL(s->core->directory().size(), 2u);
}

CAF_TEST(a frame of an unknown type from the server is a protocol error) {
  errors_expected = true;
  connect();
  send_raw({0, 0, 0, 1, 0x7e});
  CAF_REQUIRE_EQUAL(errors.size(), 1u);
  CAF_CHECK_EQUAL(net::to_string(errors[0].first), std::string{"protocol"});
  CAF_CHECK(errors[0].second);
  CAF_CHECK(s->core->finished());
}

CAF_TEST(frames before a malformed stream still count) {
  errors_expected = true;
  connect();
  auto bytes = net::encode_frame(net::error_frame{
      static_cast<uint8_t>(net::errc::unknown_peer), 7, false, "not online"});
  bytes.insert(bytes.end(), {0, 0, 0, 0, 0}); // a frame of length 0
  send_raw(bytes);
  CAF_REQUIRE_EQUAL(errors.size(), 2u);
  CAF_CHECK_EQUAL(net::to_string(errors[0].first), std::string{"unknown_peer"});
  CAF_CHECK(!errors[0].second);
  CAF_CHECK_EQUAL(net::to_string(errors[1].first), std::string{"protocol"});
  CAF_CHECK(errors[1].second);
}

CAF_TEST_FIXTURE_SCOPE_END()
