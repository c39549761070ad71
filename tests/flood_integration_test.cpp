#define CAF_SUITE flood_integration
#include <caf/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "net/error.hpp"
#include "net/video_messages.hpp"
#include "tests/integration.hpp"
#include "tests/raw_client.hpp"
#include "tests/video_test_util.hpp"

// One joined client floods the real server with one frame type at a time,
// as fast as TLS lets it, while a bystander pair keeps chatting: the
// server's memory stays bounded, the bystanders' round trips stay short,
// and the flooder is disconnected with a reason (docs/security.md, "Every
// frame costs").

using namespace test_support;
using namespace std::chrono;

namespace {

constexpr auto flood_time = milliseconds{2000};
constexpr long max_growth_kib = 64 * 1024;
/// Bystanders' p99 during a flood. Under AddressSanitizer every allocation
/// is several times slower and one stall of the loaded box is the p99 of
/// ~96 samples (seen: 141 and 156 ms in one CI run, 1-21 ms when rerun),
/// so there the bound only says that bystanders are served at all.
#if defined(__SANITIZE_ADDRESS__)
constexpr long max_p99_ms = 1000;
#else
constexpr long max_p99_ms = 50;
#endif


/// Many copies of one frame, about 64 KiB.
template <class T>
std::vector<char> repeated(const T& msg) {
  std::vector<char> out;
  while (out.size() < 65536)
    net::append_frame(out, msg);
  return out;
}

/// Alternating copies of two frames, about 64 KiB.
template <class T>
std::vector<char> alternating(const T& a, const T& b) {
  std::vector<char> out;
  while (out.size() < 65536) {
    net::append_frame(out, a);
    net::append_frame(out, b);
  }
  return out;
}

struct fixture {
  test_util::temp_dir videos;
  std::unique_ptr<live_server> srv;

  fixture() {
    CAF_REQUIRE(test_util::make_renditions(videos, "clip", {96}, 250));
  }

  void start(std::vector<std::string> extra = {}) {
    extra.push_back("--videos");
    extra.push_back(videos.path());
    srv = std::make_unique<live_server>(extra);
  }

  /// Joins `x` and starts a playback; its stream id.
  uint32_t play(raw_client& x) {
    x.send(net::play_request{"clip", "fixed:96", 0});
    auto started = x.wait_for<net::play_started>(seconds{10});
    CAF_REQUIRE(started);
    return started->stream_id;
  }

  struct outcome {
    raw_client::flood_result flood;
    long growth_kib = 0; ///< peak RSS during and after, minus before
    long p99_ms = 0;     ///< bystander round trips during the flood
    size_t samples = 0;
    bool bystanders_lost = false;
  };

  /// Floods with `chunk` from `attacker` while alice -> bob round trips
  /// and the server's RSS are sampled.
  outcome run(raw_client& attacker, const std::vector<char>& chunk) {
    raw_client alice{srv->port};
    alice.join("alice");
    raw_client bob{srv->port};
    bob.join("bob");
    outcome res;
    auto pid = srv->proc->pid();
    auto before = rss_kib(pid);
    std::atomic<bool> done{false};
    std::atomic<long> peak{before};
    std::vector<long> rtts;
    std::thread bystanders{[&] {
      uint32_t id = 1;
      while (!done) {
        auto t0 = steady_clock::now();
        alice.send(net::send_message{id++, "bob", net::bytes(64, 7)});
        auto d = bob.wait_for<net::deliver>(seconds{2});
        if (!d) {
          res.bystanders_lost = true;
          return;
        }
        rtts.push_back(
            duration_cast<milliseconds>(steady_clock::now() - t0).count());
        peak = std::max(peak.load(), rss_kib(pid));
        std::this_thread::sleep_for(milliseconds{20});
      }
    }};
    res.flood = attacker.flood(chunk, flood_time);
    for (int i = 0; i < 10; ++i) { // growth that outlives the flooder
      std::this_thread::sleep_for(milliseconds{100});
      peak = std::max(peak.load(), rss_kib(pid));
    }
    done = true;
    bystanders.join();
    res.growth_kib = peak - before;
    res.samples = rtts.size();
    if (!rtts.empty()) {
      std::sort(rtts.begin(), rtts.end());
      res.p99_ms = rtts[std::min(rtts.size() - 1, rtts.size() * 99 / 100)];
    }
    CAF_MESSAGE("flooded " << res.flood.plain_bytes / 1024 << " KiB; RSS +"
                           << res.growth_kib << " KiB; bystander p99 "
                           << res.p99_ms << " ms over " << res.samples
                           << " round trips; flooder "
                           << (res.flood.closed ? "closed" : "still open"));
    if (res.flood.fatal)
      CAF_MESSAGE("reason: " << res.flood.fatal->text);
    return res;
  }

  /// The flooder was cut off with a rate_limited reason; everyone else was
  /// served and memory stayed bounded.
  void check(const outcome& res) {
    CAF_CHECK(!res.bystanders_lost);
    CAF_CHECK_GREATER(res.samples, 10u);
    CHECK_RSS_LESS(res.growth_kib, max_growth_kib);
    CAF_CHECK_LESS(res.p99_ms, max_p99_ms);
    CAF_CHECK(res.flood.closed);
    CAF_REQUIRE(res.flood.fatal);
    CAF_CHECK_EQUAL(res.flood.fatal->code,
                    static_cast<uint8_t>(net::errc::rate_limited));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(flood, fixture)

CAF_TEST(a flood of video acks for its own playback) {
  start();
  raw_client x{srv->port};
  x.join("mallory");
  auto id = play(x);
  check(run(x, repeated(net::video_ack{id, 0, 3, 500, 1000})));
}

CAF_TEST(a flood of pause and resume) {
  start();
  raw_client x{srv->port};
  x.join("mallory");
  auto id = play(x);
  auto pause = static_cast<uint8_t>(net::video_op::pause);
  auto resume = static_cast<uint8_t>(net::video_op::resume);
  check(run(x, alternating(net::video_control{id, 0, pause, 0},
                           net::video_control{id, 0, resume, 0})));
}

CAF_TEST(a flood of seeks each starting a new segment) {
  // Every seek is a new segment (so none is ignored as late): each resets
  // the pacer, which refills the client's buffer at once.
  start();
  raw_client x{srv->port};
  x.join("mallory");
  auto id = play(x);
  std::vector<char> seeks;
  for (uint32_t segment = 1; seeks.size() < 65536; ++segment)
    net::append_frame(
        seeks, net::video_control{
                   id, segment,
                   static_cast<uint8_t>(net::video_op::seek_absolute),
                   int64_t{segment} * 1237 % 9000});
  check(run(x, seeks));
}

CAF_TEST(a flood of video list requests) {
  start();
  raw_client x{srv->port};
  x.join("mallory");
  check(run(x, repeated(net::video_list_request{})));
}

CAF_TEST(a flood of key requests) {
  start();
  raw_client x{srv->port};
  x.join("mallory");
  // the heaviest answers there are: everyone's keys, again and again, while
  // alice and bob (asked for) talk
  check(run(x, repeated(net::keys_request{{"alice", "bob", "mallory"}})));
}

CAF_TEST(a flood of pings) {
  start();
  raw_client x{srv->port};
  x.join("mallory");
  check(run(x, repeated(net::ping{42})));
}

CAF_TEST(a flood of repeated hellos) {
  start();
  raw_client x{srv->port};
  x.join("mallory");
  check(run(x, repeated(x.make_hello("mallory"))));
}

CAF_TEST(a flood of acks for a stream that does not exist) {
  start();
  raw_client x{srv->port};
  x.join("mallory");
  check(run(x, repeated(net::video_ack{99, 0, 3, 500, 1000})));
}

CAF_TEST(input is back pressured even with an unlimited frame budget) {
  // Every ping is answered, so the session works harder per byte than the
  // connection that reads them: without back-pressure its mailbox grows.
  start({"--frame-rate", "1e12", "--frame-burst", "1e12"});
  raw_client x{srv->port};
  x.join("mallory");
  auto res = run(x, repeated(net::ping{42}));
  CAF_CHECK(!res.bystanders_lost);
  // Sessions share the multiplexer thread and take turns of at most
  // max-frames-per-turn frames: the flooder's input cannot hold the
  // bystanders up (they once saw 0 round trips in 2 s under ASan).
  CAF_CHECK_GREATER(res.samples, 10u);
  CAF_CHECK_LESS(res.p99_ms, max_p99_ms);
  CHECK_RSS_LESS(res.growth_kib, max_growth_kib);
}

CAF_TEST(acks and controls that cross the end of a playback are ignored) {
  // They were in flight when the server sent VIDEO_END: the client did
  // nothing wrong (they once got a not_found ERROR each).
  start();
  raw_client x{srv->port};
  x.join("viewer");
  auto id = play(x);
  auto stop = static_cast<uint8_t>(net::video_op::stop);
  x.send(net::video_control{id, 0, stop, 0});
  CAF_REQUIRE(x.wait_for<net::video_end>());
  x.send(net::video_ack{id, 0, 3, 500, 1000});
  x.send(net::video_control{id, 0, stop, 0});
  x.send(net::ping{1});
  CAF_REQUIRE(x.wait_for<net::pong>()); // the server has handled all three
  CAF_CHECK(!x.wait_for<net::error_frame>(milliseconds{0}));
  // an id the session never handed out is still an error
  x.send(net::video_ack{id + 1, 0, 3, 500, 1000});
  auto e = x.wait_for<net::error_frame>();
  CAF_REQUIRE(e);
  CAF_CHECK_EQUAL(e->code, static_cast<uint8_t>(net::errc::not_found));
  CAF_CHECK(!e->fatal);
}

CAF_TEST(twenty plays in one write start at most max streams) {
  start({"--max-streams", "2"});
  raw_client x{srv->port};
  x.join("mallory");
  std::vector<char> burst;
  for (int i = 0; i < 20; ++i)
    net::append_frame(burst, net::play_request{"clip", "fixed:96", 0});
  x.send_plain(burst);
  size_t started = 0;
  while (x.wait_for<net::play_started>(milliseconds{1500}))
    ++started;
  CAF_MESSAGE(started << " playbacks started");
  CAF_CHECK_EQUAL(started, 2u);
  auto e = x.wait_for<net::error_frame>();
  CAF_REQUIRE(e);
  CAF_CHECK(!e->fatal);
}

CAF_TEST_FIXTURE_SCOPE_END()
