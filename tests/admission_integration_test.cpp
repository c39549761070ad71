#define CAF_SUITE admission_integration
#include <caf/test/unit_test.hpp>

#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include "net/error.hpp"
#include "tests/integration.hpp"
#include "tests/raw_client.hpp"

// Before join and at the end: who may connect, how much an unjoined
// connection may hold and for how long, and how the server stops. Against
// the real server (docs/security.md, "Before join").

using namespace test_support;
using namespace std::chrono;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos;
       i = text.find(what, i + 1))
    ++n;
  return n;
}

/// A frame header announcing `len` bytes of HELLO, by hand on purpose: the
/// tests send it with fewer bytes than it announces, or more than allowed.
std::vector<char> hello_header(uint32_t len) {
  return {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
          static_cast<char>(len >> 8), static_cast<char>(len), 0x01};
}

} // namespace

CAF_TEST(one address cannot lock others out with unjoined connections) {
  live_server srv{{"--max-unjoined-per-address", "5", "--max-unjoined", "8"}};
  std::vector<std::unique_ptr<raw_client>> idle;
  for (int i = 0; i < 5; ++i)
    idle.push_back(std::make_unique<raw_client>(srv.port));
  std::this_thread::sleep_for(milliseconds{200});
  // the sixth from the same address is closed before any TLS byte
  raw_client sixth{srv.port};
  CAF_CHECK(sixth.closed(seconds{2}));
  // another address still gets in and joins
  raw_client other{srv.port, "127.0.0.2"};
  other.join("carol");
  // once the idle ones are gone, the first address may connect again
  idle.clear();
  std::this_thread::sleep_for(milliseconds{300});
  raw_client again{srv.port};
  again.join("dave");
}

CAF_TEST(connecting too fast from one address is refused) {
  live_server srv{{"--connect-rate-per-address", "1",
                   "--connect-burst-per-address", "3"}};
  std::vector<std::unique_ptr<raw_client>> xs;
  for (int i = 0; i < 3; ++i) {
    xs.push_back(std::make_unique<raw_client>(srv.port));
    CAF_CHECK(!xs.back()->closed(milliseconds{100}));
  }
  raw_client fourth{srv.port};
  CAF_CHECK(fourth.closed(seconds{2}));
  raw_client other{srv.port, "127.0.0.3"};
  other.join("carol");
}

CAF_TEST(refused connections are summed up in one line per interval) {
  live_server srv{{"--max-unjoined-per-address", "1",
                   "--refusal-log-interval-s", "1"}};
  raw_client holder{srv.port};
  std::this_thread::sleep_for(milliseconds{100});
  for (int i = 0; i < 200; ++i) {
    raw_client x{srv.port};
    CAF_CHECK(x.closed(seconds{2}));
  }
  CAF_REQUIRE(srv.proc->wait_for("refused", seconds{3}));
  std::this_thread::sleep_for(milliseconds{1500});
  auto& out = srv.proc->output();
  CAF_MESSAGE("summary lines: " << count(out, "refused "));
  CAF_CHECK_LESS_OR_EQUAL(count(out, "refused "), 3u);
  std::smatch m;
  CAF_REQUIRE(std::regex_search(out, m, std::regex{"refused ([0-9]+) connections"}));
  CAF_CHECK_GREATER(std::stoi(m[1]), 0);
  CAF_CHECK(out.find("too many unjoined from one address") !=
            std::string::npos);
}

CAF_TEST(partial hellos hold little memory and go at the hard deadline) {
  // Before: each connection buffered up to max-frame-size (128 KiB) of a
  // HELLO, and every refused name re-armed the deadline.
  constexpr int n = 300;
  live_server srv{{"--max-unjoined-per-address", "1000",
                   "--connect-burst-per-address", "1000",
                   "--handshake-timeout-ms", "3000"}};
  auto before = rss_kib(srv.proc->pid());
  std::vector<std::unique_ptr<raw_client>> xs;
  auto t0 = steady_clock::now();
  for (int i = 0; i < n; ++i) {
    xs.push_back(std::make_unique<raw_client>(srv.port));
    CAF_REQUIRE(xs.back()->handshake());
    auto part = hello_header(4000);
    part.resize(part.size() + 3000, 'x');
    xs.back()->send_plain(part);
  }
  std::this_thread::sleep_for(milliseconds{300});
  auto held = rss_kib(srv.proc->pid()) - before;
  CAF_MESSAGE(n << " unjoined connections with 3 KB of HELLO each: +" << held
                << " KiB, " << held / n << " KiB each");
  CHECK_RSS_LESS(held / n, 32);
  // a HELLO over the pre-join limit is refused at its length field
  raw_client big{srv.port};
  CAF_REQUIRE(big.handshake());
  big.send_plain(hello_header(128 * 1024));
  auto e = big.wait_for<net::error_frame>();
  CAF_REQUIRE(e);
  CAF_CHECK(e->text.find("exceeds the maximum of 4096") != std::string::npos);
  // all dropped at the deadline from accept, not later
  for (auto& x : xs)
    CAF_CHECK(x->closed(seconds{5}));
  auto took = duration_cast<milliseconds>(steady_clock::now() - t0).count();
  CAF_MESSAGE("all dropped " << took << " ms after the first connect");
  CAF_CHECK_LESS(took, 3000 + 4000);
}

CAF_TEST(sigterm with unjoined connections exits promptly and cleanly) {
  live_server srv;
  raw_client alice{srv.port};
  alice.join("alice");
  raw_client tls_only{srv.port}; // TLS up, no HELLO
  CAF_REQUIRE(tls_only.handshake());
  raw_client tcp_only{srv.port}; // not a byte
  std::this_thread::sleep_for(milliseconds{100});
  auto t0 = steady_clock::now();
  srv.proc->signal(SIGTERM);
  for (auto* x : {&alice, &tls_only}) {
    auto e = x->wait_for<net::error_frame>();
    CAF_REQUIRE(e);
    CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(net::errc::shutdown));
    CAF_CHECK(e->fatal);
  }
  CAF_CHECK(tcp_only.closed());
  CAF_CHECK_EQUAL(srv.proc->wait_exit(seconds{10}), 0);
  auto took = duration_cast<milliseconds>(steady_clock::now() - t0).count();
  CAF_MESSAGE("exited " << took << " ms after SIGTERM");
  CAF_CHECK_LESS(took, 2500); // close-linger (1 s), no 3 s watchdog
  CAF_CHECK(srv.proc->output().find("stopped") != std::string::npos);
}

CAF_TEST(a stop that overruns its bound ends every actor and exits 2) {
  // A linger longer than the stop's bound keeps the connection (and so the
  // acceptor) up past shutdown-timeout-s: the last resort must end them,
  // not wait for them, and say so in the exit status.
  live_server srv{{"--close-linger-ms", "8000", "--shutdown-timeout-s", "1"}};
  raw_client alice{srv.port};
  alice.join("alice");
  auto t0 = steady_clock::now();
  srv.proc->signal(SIGTERM);
  auto e = alice.wait_for<net::error_frame>();
  CAF_REQUIRE(e);
  CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(net::errc::shutdown));
  CAF_CHECK_EQUAL(srv.proc->wait_exit(seconds{10}), 2);
  auto took = duration_cast<milliseconds>(steady_clock::now() - t0).count();
  CAF_MESSAGE("exited " << took << " ms after SIGTERM");
  CAF_CHECK_GREATER_OR_EQUAL(took, 1000);
  CAF_CHECK_LESS(took, 4000); // not the 8 s linger
  CAF_CHECK(srv.proc->output().find("shutdown-timeout-s") != std::string::npos);
  CAF_CHECK(alice.closed());
}

CAF_TEST(more clients than open files is refused at start with the reason) {
  temp_dir dir;
  process p{{binary("chat-server"), "--config", "/dev/null", "--port", "0",
             "--data-dir", dir / "data", "--videos", dir.path(),
             "--max-clients", "4000000000"}};
  CAF_CHECK_EQUAL(p.wait_exit(seconds{10}), 1);
  CAF_CHECK(p.output().find("open file") != std::string::npos);
}
