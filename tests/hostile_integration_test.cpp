#define CAF_SUITE hostile_integration
#include <caf/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <set>
#include <random>
#include <thread>

#include "net/error.hpp"
#include "tests/frames.hpp"
#include "tests/integration.hpp"
#include "tests/raw_client.hpp"

// Each row of the bad-input table (docs/security.md) against the real
// server: the offender gets a clear error or is dropped, and a bystander
// pair keeps chatting.

using namespace test_support;
using namespace std::chrono;

namespace {

// By hand on purpose: every use is a header no encoder writes (a length of
// 0 or 2^32-1, or more than the bytes that follow).
std::string hdr(uint32_t len, uint8_t type) {
  return {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
          static_cast<char>(len >> 8), static_cast<char>(len),
          static_cast<char>(type)};
}

std::vector<char> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}


struct fixture {
  live_server srv{{"--max-outgoing-bytes", "262144", "--message-rate", "100",
                   "--message-burst", "200"}};
  raw_client alice{srv.port};
  raw_client bob{srv.port};
  uint32_t next_id = 1;

  fixture() {
    alice.join("alice");
    bob.join("bob");
  }

  /// The bystanders still talk: alice -> bob arrives.
  void bystanders_fine() {
    net::bytes payload(64, static_cast<uint8_t>(next_id));
    alice.send(net::send_message{next_id++, "bob", payload});
    auto d = bob.wait_for<net::deliver>();
    CAF_REQUIRE(d);
    CAF_CHECK_EQUAL(d->from, "alice");
    CAF_CHECK_EQUAL(d->envelope, payload);
  }

  /// `attacker` got a fatal error frame whose text contains `what`, then
  /// was disconnected.
  void fatal(raw_client& attacker, const std::string& what) {
    auto e = attacker.wait_for<net::error_frame>();
    CAF_REQUIRE(e);
    CAF_CHECK(e->fatal);
    CAF_MESSAGE("error sent: " << e->text);
    CAF_CHECK(e->text.find(what) != std::string::npos);
    CAF_CHECK(attacker.closed());
  }

  /// After the TLS handshake, a new connection to `port` sends `bytes`
  /// unframed and gets the fatal error `what`.
  void fatal_after(uint16_t port, const std::string& bytes,
                   const std::string& what) {
    raw_client x{port};
    CAF_REQUIRE(x.handshake());
    x.send_plain(bytes_of(bytes));
    fatal(x, what);
  }

  /// After the TLS handshake, a new connection sends a HELLO from "mallory"
  /// that `spoil` changes, and gets the fatal error `what`.
  template <class Spoil>
  void fatal_hello(Spoil spoil, const std::string& what) {
    raw_client x{srv.port};
    CAF_REQUIRE(x.handshake());
    auto h = x.make_hello("mallory");
    spoil(h);
    x.send(h);
    fatal(x, what);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(hostile, fixture)

CAF_TEST(random bytes instead of tls) {
  raw_client x{srv.port};
  std::mt19937 rng{42};
  std::string junk(4096, '\0');
  for (auto& c : junk)
    c = static_cast<char>(rng());
  x.send_raw(junk);
  CAF_CHECK(x.closed());
  bystanders_fine();
}

CAF_TEST(an http request instead of tls) {
  raw_client x{srv.port};
  x.send_raw("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  CAF_CHECK(x.closed());
  bystanders_fine();
}

CAF_TEST(garbage after the tls handshake) {
  raw_client x{srv.port};
  CAF_REQUIRE(x.handshake());
  x.send_raw(std::string(512, '\x17'));
  CAF_CHECK(x.closed());
  bystanders_fine();
}

CAF_TEST(a length of two to the 32 minus one) {
  fatal_after(srv.port, hdr(0xFFFFFFFF, 0x01), "exceeds the maximum");
  bystanders_fine();
}

CAF_TEST(a length of zero) {
  fatal_after(srv.port, hdr(0, 0x01), "frame length 0");
  bystanders_fine();
}

CAF_TEST(a truncated frame then silence hits the handshake timeout) {
  live_server quick{{"--handshake-timeout-ms", "500"}};
  fatal_after(quick.port, hdr(100, 0x01) + "only a part", "timeout");
}

CAF_TEST(a client that says nothing is dropped) {
  live_server quick{{"--handshake-timeout-ms", "500"}};
  raw_client x{quick.port};
  CAF_CHECK(x.closed(seconds{3}));
}

CAF_TEST(an unknown frame type after joining) {
  raw_client x{srv.port};
  x.join("mallory");
  x.send(raw_payload<0x7e>{});
  fatal(x, "unknown frame type 0x7e");
  bystanders_fine();
}

CAF_TEST(a wrong protocol version) {
  fatal_hello([](net::hello& h) { h.version = 99; },
              "unsupported protocol version 99");
  bystanders_fine();
}

CAF_TEST(invalid names are refused and the connection may retry) {
  raw_client x{srv.port};
  CAF_REQUIRE(x.handshake());
  for (auto name :
       {std::string{}, std::string(200, 'a'), std::string{"bell\x07"},
        std::string{"\xc3\x28"}, std::string{"two words"}}) {
    x.send(x.make_hello(name));
    auto e = x.wait_for<net::error_frame>();
    CAF_REQUIRE(e);
    CAF_CHECK(!e->fatal);
    CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(net::errc::bad_name));
  }
  x.send(x.make_hello("mallory"));
  CAF_CHECK(x.wait_for<net::welcome>());
  bystanders_fine();
}

CAF_TEST(invalid keys and a bad signature) {
  fatal_hello(
      [](net::hello& h) {
        h.x25519_key.assign(32, 0); // low order (all zero)
      },
      "invalid public key");
  fatal_hello([](net::hello& h) { h.proof[10] ^= 1; },
              "proof of key possession failed");
  bystanders_fine();
}

CAF_TEST(messages to self unknown and departed names) {
  raw_client carol{srv.port};
  carol.join("carol");
  carol.send(net::send_message{1, "carol", {1}});
  auto e1 = carol.wait_for<net::error_frame>();
  CAF_REQUIRE(e1);
  CAF_CHECK(!e1->fatal);
  CAF_CHECK_EQUAL(e1->ref, 1u);
  carol.send(net::send_message{2, "nobody", {1}});
  auto e2 = carol.wait_for<net::error_frame>();
  CAF_REQUIRE(e2);
  CAF_CHECK_EQUAL(e2->ref, 2u);
  CAF_CHECK(e2->text.find("unknown recipient 'nobody'") != std::string::npos);
  {
    raw_client dave{srv.port};
    dave.join("dave");
    dave.send(net::quit{});
    CAF_CHECK(dave.closed());
  }
  std::this_thread::sleep_for(milliseconds{200}); // the leave is coalesced
  carol.send(net::send_message{3, "dave", {1}});
  auto e3 = carol.wait_for<net::error_frame>();
  CAF_REQUIRE(e3);
  CAF_CHECK_EQUAL(e3->ref, 3u);
  bystanders_fine();
}

CAF_TEST(an oversized message) {
  raw_client x{srv.port};
  x.join("mallory");
  x.send(net::send_message{1, "bob", net::bytes(200000, 7)});
  fatal(x, "exceeds the maximum");
  bystanders_fine();
}

CAF_TEST(a burst of ten thousand messages) {
  raw_client x{srv.port};
  x.join("flooder");
  std::vector<char> burst;
  for (uint32_t i = 0; i < 10000; ++i)
    net::append_frame(burst, net::send_message{i, "alice", {1, 2, 3}});
  x.send_plain(burst);
  // throttled first (non-fatal errors), then disconnected with a reason
  auto first = x.wait_for<net::error_frame>();
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(first->code, static_cast<uint8_t>(net::errc::rate_limited));
  CAF_CHECK(x.closed(seconds{10}));
  // alice got at most the burst allowance, and bob still hears her
  auto t0 = steady_clock::now();
  bystanders_fine();
  auto took = duration_cast<milliseconds>(steady_clock::now() - t0);
  CAF_MESSAGE("bystander round trip after the flood: " << took.count()
                                                       << " ms");
  CAF_CHECK_LESS(took.count(), 2000);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST(sigterm tells every client and exits zero) {
  live_server srv;
  raw_client x{srv.port};
  x.join("alice");
  srv.proc->signal(SIGTERM);
  auto e = x.wait_for<net::error_frame>();
  CAF_REQUIRE(e);
  CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(net::errc::shutdown));
  CAF_CHECK(x.closed());
  CAF_CHECK_EQUAL(srv.proc->wait_exit(seconds{5}), 0);
}

CAF_TEST(a client that never reads is cut off and memory stays bounded) {
  live_server srv{{"--max-outgoing-bytes", "262144", "--message-rate", "100000",
                   "--message-burst", "100000", "--byte-rate", "1e10",
                   "--byte-burst", "1e10", "--write-stall-timeout-s", "2"}};
  raw_client sink{srv.port};
  sink.join("sink"); // from now on, sink never reads again
  raw_client pusher{srv.port};
  pusher.join("pusher");
  raw_client alice{srv.port};
  alice.join("alice");
  auto before = rss_kib(srv.proc->pid());
  // Up to 60 MiB towards a reader that does not read: far beyond the
  // 256 KiB backlog bound and the kernel's socket buffers. What does not
  // fit goes back to the pusher as recipient_busy.
  net::bytes chunk(60000, 1);
  std::optional<net::error_frame> busy;
  for (uint32_t i = 0; i < 1000 && !busy; ++i) {
    pusher.send(net::send_message{i, "sink", chunk});
    if (i % 20 == 19)
      busy = pusher.wait_for<net::error_frame>(milliseconds{1});
  }
  if (!busy)
    busy = pusher.wait_for<net::error_frame>();
  CAF_REQUIRE(busy);
  CAF_CHECK_EQUAL(busy->code, static_cast<uint8_t>(net::errc::recipient_busy));
  CAF_CHECK(!busy->fatal);
  auto after = rss_kib(srv.proc->pid());
  CAF_MESSAGE("server RSS " << before << " KiB -> " << after << " KiB");
  CHECK_RSS_LESS(after - before, 64 * 1024); // nowhere near 60 MiB
  // once the kernel's buffers are full too, nothing drains: the stalled
  // reader is closed after the write-stall timeout, and the pusher hears
  // it is gone
  std::optional<net::error_frame> gone;
  auto deadline = steady_clock::now() + seconds{15};
  for (uint32_t i = 2000; !gone && steady_clock::now() < deadline; ++i) {
    pusher.send(net::send_message{i, "sink", chunk});
    while (auto e = pusher.wait_for<net::error_frame>(milliseconds{5}))
      if (e->code == static_cast<uint8_t>(net::errc::unknown_peer))
        gone = e;
  }
  CAF_CHECK(gone);
  after = rss_kib(srv.proc->pid());
  CAF_MESSAGE("server RSS after the stall: " << after << " KiB");
  CHECK_RSS_LESS(after - before, 64 * 1024);
  // everyone else is fine
  pusher.send(net::send_message{5000, "alice", {4, 2}});
  auto d = alice.wait_for<net::deliver>();
  CAF_REQUIRE(d);
  CAF_CHECK_EQUAL(d->from, "pusher");
}

CAF_TEST(two senders bursting at a reading victim do not evict it) {
  // Each sender stays within its own byte burst; together they aim 16 MiB
  // at one reader. Before, the victim was closed "you stopped reading".
  live_server srv{{"--max-outgoing-bytes", "1048576"}};
  raw_client victim{srv.port};
  victim.join("victim");
  raw_client m1{srv.port};
  m1.join("m1");
  raw_client m2{srv.port};
  m2.join("m2");
  net::bytes chunk(120000, 3);
  std::vector<char> burst;
  for (uint32_t i = 0; i < 68; ++i) // 8 MiB each: within byte-burst
    net::append_frame(burst, net::send_message{i, "victim", chunk});
  CAF_CHECK(m1.send_plain_within(burst, seconds{20}));
  CAF_CHECK(m2.send_plain_within(burst, seconds{20}));
  // the victim reads normally: whatever arrives, it stays connected
  size_t got = 0;
  while (victim.wait_for<net::deliver>(milliseconds{1500}))
    ++got;
  CAF_MESSAGE("victim received " << got << " of 136 messages");
  CAF_CHECK_GREATER(got, 0u);
  CAF_CHECK(!victim.closed(milliseconds{100}));
  // the senders were told, without being disconnected
  auto e = m1.wait_for<net::error_frame>();
  CAF_REQUIRE(e);
  CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(net::errc::recipient_busy));
  CAF_CHECK(!e->fatal);
  // and the victim still chats
  m1.send(net::send_message{999, "victim", {1}});
  bool seen = false;
  while (auto d = victim.wait_for<net::deliver>(seconds{2}))
    if (d->envelope == net::bytes{1})
      seen = true;
  CAF_CHECK(seen);
}

CAF_TEST(over the server wide budget the largest backlog is shed) {
  live_server srv{{"--max-outgoing-bytes", "1048576",
                   "--max-total-outgoing-bytes", "1572864", "--byte-rate",
                   "1e10", "--byte-burst", "1e10", "--message-rate", "100000",
                   "--message-burst", "100000"}};
  raw_client sink1{srv.port};
  sink1.join("sink1"); // neither sink reads from now on
  raw_client sink2{srv.port};
  sink2.join("sink2");
  raw_client pusher{srv.port};
  pusher.join("pusher");
  // Push at both until the kernel's buffers are full and the backlogs add
  // up past 1.5 MiB: then one of them, the largest, is closed.
  net::bytes chunk(60000, 1);
  uint32_t id = 0;
  std::map<uint32_t, std::string> sent_to;
  std::set<std::string> gone;
  auto deadline = steady_clock::now() + seconds{20};
  while (gone.empty() && steady_clock::now() < deadline) {
    for (auto to : {"sink1", "sink1", "sink2"}) {
      pusher.send(net::send_message{++id, to, chunk});
      sent_to[id] = to;
    }
    while (auto e = pusher.wait_for<net::error_frame>(milliseconds{2}))
      if (e->code == static_cast<uint8_t>(net::errc::unknown_peer))
        gone.insert(sent_to[e->ref]);
  }
  CAF_REQUIRE_EQUAL(gone.size(), 1u);
  CAF_MESSAGE("shed: " << *gone.begin());
  CAF_CHECK(srv.proc->output().find("outbound budget") != std::string::npos);
  // the other is still online: busy or served, not unknown
  auto other = *gone.begin() == "sink1" ? "sink2" : "sink1";
  pusher.send(net::send_message{++id, other, {1}});
  bool unknown = false;
  while (auto e = pusher.wait_for<net::error_frame>(milliseconds{300}))
    if (e->code == static_cast<uint8_t>(net::errc::unknown_peer) &&
        e->ref == id)
      unknown = true;
  CAF_CHECK(!unknown);
}

CAF_TEST(look-alike and invisible names are refused on the real server) {
  live_server srv;
  raw_client alice{srv.port};
  alice.join("alice");
  raw_client x{srv.port};
  CAF_REQUIRE(x.handshake());
  auto refused = [&](const std::string& name, net::errc code,
                     const std::string& why) {
    x.send(x.make_hello(name));
    auto e = x.wait_for<net::error_frame>();
    CAF_REQUIRE(e);
    CAF_MESSAGE("refused: " << e->text);
    CAF_CHECK(!e->fatal);
    CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(code));
    CAF_CHECK(e->text.find(why) != std::string::npos);
  };
  refused("ALICE", net::errc::name_taken, "looks like 'alice'");
  refused("\u0430lice", net::errc::bad_name, "mix scripts");
  refused("\u3164", net::errc::bad_name, "invisible");
  refused("Jose\u0301", net::errc::bad_name, "NFC");
  x.send(x.make_hello("Jos\u00E9"));
  CAF_CHECK(x.wait_for<net::welcome>());
}
