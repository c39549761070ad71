#define CAF_SUITE abr
#include <caf/test/unit_test.hpp>

#include "videos/abr.hpp"

using namespace video;

namespace {

std::vector<rendition_profile> three() {
  return {{240, 300}, {720, 1500}, {1080, 3000}};
}

abr_policy make(const std::string& text, std::vector<rendition_profile> rs,
                uint32_t frames, abr_settings s = {}) {
  auto spec = parse_policy(text);
  CAF_REQUIRE(spec);
  auto p = abr_policy::make(*spec, std::move(rs), frames, 25000, s);
  CAF_REQUIRE(p);
  return std::move(*p);
}

// Runs `seconds` decisions of an adaptive policy at 25 fps, feeding one
// report per second; returns the rendition chosen at each second.
std::vector<size_t>
drive(abr_policy& p, uint32_t& i,
      const std::vector<std::pair<uint32_t, uint32_t>>& reports) {
  std::vector<size_t> out;
  for (auto& [buf, tp] : reports) {
    p.observe(buf, tp);
    for (int k = 0; k < 25; ++k)
      p.choose(i++);
    out.push_back(p.current());
  }
  return out;
}

} // namespace

CAF_TEST(policies parse and bad text is rejected) {
  CAF_CHECK(parse_policy("thirds")->kind == policy_kind::thirds);
  CAF_CHECK(parse_policy("adaptive")->kind == policy_kind::adaptive);
  CAF_CHECK(parse_policy("bba")->kind == policy_kind::bba);
  CAF_CHECK_EQUAL(parse_policy("bba")->to_string(), "bba");
  auto f = parse_policy("fixed:720");
  CAF_REQUIRE(f);
  CAF_CHECK(f->kind == policy_kind::fixed);
  CAF_CHECK_EQUAL(f->height, 720u);
  CAF_CHECK_EQUAL(f->to_string(), "fixed:720");
  auto f240 = parse_policy("fixed:240p");
  CAF_REQUIRE(f240);
  CAF_CHECK_EQUAL(f240->height, 240u);
  for (auto bad :
       {"", "Thirds", "fixed", "fixed:", "fixed:abc", "fixed:0", "fixed:-1",
        "fixed:99999", "adaptive2", "fast", "BBA", "bba:1"}) {
    auto p = parse_policy(bad);
    CAF_CHECK(!p);
    if (!p)
      CAF_CHECK(net::describe(p.error()).find("policy") != std::string::npos);
  }
}

CAF_TEST(fixed needs an existing height) {
  auto p = make("fixed:720", three(), 100);
  for (uint32_t i = 0; i < 100; ++i)
    CAF_CHECK_EQUAL(p.choose(i), 1u);
  CAF_CHECK_EQUAL(p.switches(), 0u);
  auto missing =
      abr_policy::make(*parse_policy("fixed:480"), three(), 100, 25000);
  CAF_REQUIRE(!missing);
  CAF_CHECK_EQUAL(net::describe(missing.error()),
                  "no 480p rendition (available: 240p, 720p, 1080p)");
  CAF_CHECK(!abr_policy::make(*parse_policy("thirds"), {}, 10, 25000));
}

CAF_TEST(thirds switch exactly at N / 3 and 2N / 3 including the tail) {
  for (uint32_t n : {1u, 2u, 3u, 10u, 11u, 12u, 100u, 250u, 301u}) {
    auto p = make("thirds", three(), n);
    std::vector<size_t> got;
    for (uint32_t i = 0; i < n; ++i)
      got.push_back(p.choose(i));
    for (uint32_t i = 0; i < n; ++i) {
      // the prototype: i < N/3 -> 240p, i < 2N/3 -> 720p, else 1080p
      double third = n / 3.0;
      size_t want = i < third ? 0 : (i < 2 * third ? 1 : 2);
      CAF_CHECK_EQUAL(got[i], want);
    }
    CAF_CHECK_EQUAL(got.size(), n); // every frame, the tail included
  }
  auto p = make("thirds", three(), 30);
  std::vector<size_t> got;
  for (uint32_t i = 0; i < 30; ++i)
    got.push_back(p.choose(i));
  CAF_CHECK_EQUAL(got[9], 0u);
  CAF_CHECK_EQUAL(got[10], 1u);
  CAF_CHECK_EQUAL(got[19], 1u);
  CAF_CHECK_EQUAL(got[20], 2u);
  CAF_CHECK_EQUAL(got[29], 2u);
  CAF_CHECK_EQUAL(p.switches(), 2u);
}

CAF_TEST(thirds degrade with fewer or more renditions) {
  auto one = make("thirds", {{240, 300}}, 9);
  auto two = make("thirds", {{240, 300}, {720, 1500}}, 9);
  auto four =
      make("thirds", {{144, 100}, {240, 300}, {720, 1500}, {1080, 3000}}, 9);
  std::vector<size_t> a, b, c;
  for (uint32_t i = 0; i < 9; ++i) {
    a.push_back(one.choose(i));
    b.push_back(two.choose(i));
    c.push_back(four.choose(i));
  }
  CAF_CHECK_EQUAL(a, (std::vector<size_t>(9, 0)));
  CAF_CHECK_EQUAL(b, (std::vector<size_t>{0, 0, 0, 1, 1, 1, 1, 1, 1}));
  CAF_CHECK_EQUAL(c, (std::vector<size_t>{0, 0, 0, 2, 2, 2, 3, 3, 3}));
}

CAF_TEST(adaptive steps down on a low buffer not on the clients throughput) {
  abr_settings s;
  s.start = 2;
  auto p = make("adaptive", three(), 10000, s);
  uint32_t i = 0;
  // no report yet: hold the start rendition
  for (int k = 0; k < 60; ++k)
    p.choose(i++);
  CAF_CHECK_EQUAL(p.current(), 2u);
  // a client throughput below 1080p's bitrate with a full buffer is the
  // paced rate, not a slow link: no step (the capacity decides that)
  CAF_CHECK_EQUAL(drive(p, i, {{5000, 2000}, {5000, 100}}),
                  (std::vector<size_t>{2, 2}));
  // low buffer with good throughput steps down one
  auto r = make("adaptive", three(), 10000, s);
  uint32_t k = 0;
  CAF_CHECK_EQUAL(drive(r, k, {{500, 10000}, {500, 10000}}),
                  (std::vector<size_t>{1, 0}));
}

CAF_TEST(adaptive steps up only after consecutive good decisions) {
  auto p = make("adaptive", three(), 10000);
  uint32_t i = 0;
  // 1.2 x 1500 = 1800 kbps needed for 720p, with a full buffer
  auto got = drive(p, i, {{5000, 1800}, {5000, 1800}, {5000, 1800}});
  CAF_CHECK_EQUAL(got, (std::vector<size_t>{0, 1, 1}));
  // not enough for 1080p (needs 3600): stays
  got = drive(p, i, {{5000, 3500}, {5000, 3500}, {5000, 3500}});
  CAF_CHECK_EQUAL(got, (std::vector<size_t>{1, 1, 1}));
  // a good report interrupted by a buffer below the high mark: no step
  got = drive(p, i, {{5000, 4000}, {2000, 4000}, {5000, 4000}});
  CAF_CHECK_EQUAL(got, (std::vector<size_t>{1, 1, 1}));
  got = drive(p, i, {{5000, 4000}});
  CAF_CHECK_EQUAL(got, (std::vector<size_t>{2}));
  CAF_CHECK_EQUAL(p.switches(), 2u);
  // decisions happen once per second of video, not per frame
  auto q = make("adaptive", three(), 10000);
  q.observe(5000, 100000);
  q.choose(0);
  CAF_CHECK_EQUAL(q.current(), 0u); // first vote
  for (uint32_t k = 1; k < 25; ++k)
    q.choose(k);
  CAF_CHECK_EQUAL(q.current(), 0u); // no decision within the second
  q.choose(25);
  CAF_CHECK_EQUAL(q.current(), 1u); // second vote
}

CAF_TEST(adaptive does not flap on oscillating input) {
  auto p = make("adaptive", three(), 100000);
  uint32_t i = 0;
  std::vector<std::pair<uint32_t, uint32_t>> reports;
  for (int k = 0; k < 30; ++k)
    reports.emplace_back(k % 2 == 0 ? 5000 : 2500, 5000);
  auto got = drive(p, i, reports);
  CAF_CHECK_EQUAL(p.switches(), 0u);
  CAF_CHECK_EQUAL(got.back(), 0u);
  // at 720p, throughput oscillating around the 1080p threshold
  abr_settings s;
  s.start = 1;
  auto q = make("adaptive", three(), 100000, s);
  uint32_t j = 0;
  reports.clear();
  for (int k = 0; k < 30; ++k)
    reports.emplace_back(5000, k % 2 == 0 ? 3700 : 3400);
  drive(q, j, reports);
  CAF_CHECK_EQUAL(q.switches(), 0u);
  CAF_CHECK_EQUAL(q.current(), 1u);
}

// BBA-0 with the defaults and a 1500 ms target: reservoir 375 ms, cushion
// 750 ms, so f(B) runs from 300 kbps at 375 ms to 3000 kbps at 1125 ms;
// 720p (1500) is crossed at B = 375 + 750 * 1200 / 2700 = 708 ms.
CAF_TEST(bba maps the buffer alone to a rendition) {
  auto p = make("bba", three(), 100000);
  uint32_t i = 0;
  // no report yet: the lowest
  for (int k = 0; k < 30; ++k)
    p.choose(i++);
  CAF_CHECK_EQUAL(p.current(), 0u);
  // throughput is ignored: a full buffer means the highest, whatever the
  // link; an empty one the lowest
  CAF_CHECK_EQUAL(drive(p, i, {{1200, 1}, {300, 100000}, {1125, 0}}),
                  (std::vector<size_t>{2, 0, 2}));
  // in the cushion: up to the highest rate below f(B)
  auto q = make("bba", three(), 100000);
  uint32_t j = 0;
  CAF_CHECK_EQUAL(drive(q, j, {{700, 0}, {720, 0}, {1100, 0}, {1124, 0}}),
                  (std::vector<size_t>{0, 1, 1, 1}));
  CAF_CHECK_EQUAL(q.switches(), 1u);
}

CAF_TEST(bba holds between the next rates down and up) {
  abr_settings s;
  s.start = 1; // 720p: moves up when f >= 3000, down when f <= 300
  auto p = make("bba", three(), 100000, s);
  uint32_t i = 0;
  // f between 300 and 3000 (buffer 376..1124 ms): stays at 720p, even
  // where f < 1500
  CAF_CHECK_EQUAL(drive(p, i, {{400, 0}, {1000, 0}, {376, 0}, {1124, 0}}),
                  (std::vector<size_t>{1, 1, 1, 1}));
  CAF_CHECK_EQUAL(p.switches(), 0u);
  // the reservoir: straight to the lowest; then back up only once f
  // passes 720p's rate
  CAF_CHECK_EQUAL(drive(p, i, {{375, 0}, {600, 0}, {710, 0}}),
                  (std::vector<size_t>{0, 0, 1}));
}

CAF_TEST(bba reservoir and cushion scale with the buffer target) {
  abr_settings s;
  s.buffer_target_ms = 4000; // reservoir 1000, cushion 2000
  s.reservoir = 0.25;
  s.cushion = 0.5;
  auto p = make("bba", three(), 100000, s);
  uint32_t i = 0;
  CAF_CHECK_EQUAL(drive(p, i, {{1000, 0}, {2000, 0}, {2999, 0}, {3000, 0}}),
                  (std::vector<size_t>{0, 1, 1, 2}));
  // the stream passes its target in (the same as the pacer's)
  s.buffer_target_ms = 1500;
  s.reservoir = 0.5;
  s.cushion = 0.25; // reservoir 750, cushion 375
  auto q = make("bba", three(), 100000, s);
  uint32_t j = 0;
  CAF_CHECK_EQUAL(drive(q, j, {{750, 0}, {1125, 0}}),
                  (std::vector<size_t>{0, 2}));
}

CAF_TEST(adaptive steps down at the next frame on a low capacity) {
  abr_settings s;
  s.start = 2;
  auto p = make("adaptive", three(), 10000, s);
  uint32_t i = 0;
  p.observe(1500, 20000); // the client still reports its last burst
  for (int k = 0; k < 5; ++k)
    p.choose(i++);
  CAF_CHECK_EQUAL(p.current(), 2u);
  // mid-second: the server measured 1600 kbps, below 1080p: at once to
  // the highest that fits (720p, 1500)
  p.observe_capacity(1600);
  CAF_CHECK_EQUAL(p.choose(i++), 1u);
  // and below 720p too: 240p, again without waiting for the second
  p.observe_capacity(1000);
  CAF_CHECK_EQUAL(p.choose(i++), 0u);
  CAF_CHECK_EQUAL(p.switches(), 2u);
  // a capacity above the current bitrate changes nothing before the second
  p.observe_capacity(100000);
  CAF_CHECK_EQUAL(p.choose(i++), 0u);
}

CAF_TEST(a capacity sample bounds the climb until the hold expires) {
  abr_settings s;
  s.capacity_hold_s = 5;
  auto p = make("adaptive", three(), 100000, s);
  uint32_t i = 0;
  // the server saw 1700 kbps (below 1.2 x 1500): the client's inflated
  // 20000 does not lift it to 720p
  p.observe_capacity(1700);
  auto got =
      drive(p, i, {{5000, 20000}, {5000, 20000}, {5000, 20000}, {5000, 20000}});
  CAF_CHECK_EQUAL(got, (std::vector<size_t>{0, 0, 0, 0}));
  // 5 s of video (125 frames) later the sample is dropped and the climb
  // resumes: votes at frames 125 and 150
  got = drive(p, i, {{5000, 20000}, {5000, 20000}, {5000, 20000}});
  CAF_CHECK_EQUAL(got, (std::vector<size_t>{0, 0, 1}));
  // a capacity that allows the next step (1.2 x 3000) lets it through
  p.observe_capacity(4000);
  got = drive(p, i, {{5000, 20000}, {5000, 20000}});
  CAF_CHECK_EQUAL(got, (std::vector<size_t>{1, 2}));
}

CAF_TEST(bba ignores the capacity) {
  abr_settings s;
  s.start = 2;
  auto p = make("bba", three(), 100000, s);
  uint32_t i = 0;
  p.observe_capacity(100);
  CAF_CHECK_EQUAL(drive(p, i, {{1200, 0}}), (std::vector<size_t>{2}));
}
