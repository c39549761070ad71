#define CAF_SUITE catalog_actor
#include <caf/test/unit_test.hpp>

#include <fstream>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <thread>

#include "actors/catalog_actor.hpp"
#include "tests/video_test_util.hpp"
#include "videos/frame_store.hpp"

using namespace actors;
using namespace std::chrono_literals;

namespace {

// The worker is detached (a real thread), so these tests run a real actor
// system and wait for replies.
struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  test_util::temp_dir dir;
  std::mutex log_mtx;
  std::vector<std::string> log;

  fixture() {
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    CAF_REQUIRE(test_util::make_renditions(dir, "video_1", {48, 96}, 20));
    CAF_REQUIRE(test_util::make_renditions(dir, "video_2", {48}, 10));
  }

  catalog_actor spawn_catalog(bool warm = false,
                              std::chrono::milliseconds log_every = 10s) {
    catalog_settings s;
    s.warm = warm;
    s.progress_log_interval = log_every;
    s.videos_dir = dir.path();
    s.cache_dir = dir / "cache";
    s.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> guard{log_mtx};
      log.push_back(line);
    };
    return sys->spawn(catalog_service, s);
  }

  template <class T, class... Ts>
  caf::expected<T> ask(const catalog_actor& cat, Ts... xs) {
    caf::scoped_actor self{*sys};
    caf::expected<T> result = caf::sec::request_timeout;
    self->request(cat, 30s, xs...)
        .receive([&](T& x) { result = std::move(x); },
                 [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(catalog_actor_tests, fixture)

CAF_TEST(lists videos and resolves ids and numbers) {
  auto cat = spawn_catalog();
  // asked at once: waits for the first scan
  auto l = ask<net::video_list>(cat, net::video_list_request{});
  CAF_REQUIRE(l);
  CAF_REQUIRE_EQUAL(l->videos.size(), 2u);
  CAF_CHECK_EQUAL(l->videos[0].id, "video_1");
  CAF_CHECK_EQUAL(l->videos[0].heights, (std::vector<uint16_t>{48, 96}));
  CAF_CHECK_EQUAL(l->videos[0].frames, 20u);
  CAF_CHECK_EQUAL(l->videos[1].duration_ms, 400u);
  auto s = ask<video::video_source_ptr>(cat, net::play_request{"2", "", 0});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL((*s)->id, "video_2");
  CAF_CHECK_EQUAL((*s)->time.frames, 10u);
  auto bad =
      ask<video::video_source_ptr>(cat, net::play_request{"video_9", "", 0});
  CAF_REQUIRE(!bad);
  CAF_CHECK(net::code_of(bad.error()) == net::errc::not_found);
  CAF_CHECK_EQUAL(net::describe(bad.error()),
                  "unknown video \"video_9\" (available: video_1, video_2)");
  caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
}

CAF_TEST(concurrent play requests share one cache build) {
  auto cat = spawn_catalog();
  auto before = video::frame_store::encoded_frames();
  caf::scoped_actor self{*sys};
  std::vector<video::video_source_ptr> got;
  for (int i = 0; i < 3; ++i)
    self->send(cat, net::play_request{"video_1", "thirds", 0});
  for (int i = 0; i < 3; ++i)
    self->receive([&](video::video_source_ptr& s) { got.push_back(s); },
                  [&](caf::error& e) { CAF_FAIL(net::describe(e)); },
                  caf::after(30s) >> [] { CAF_FAIL("timeout"); });
  CAF_REQUIRE_EQUAL(got.size(), 3u);
  CAF_CHECK(got[0] == got[1] && got[1] == got[2]);
  CAF_REQUIRE_EQUAL(got[0]->renditions.size(), 2u);
  // two renditions of 20 frames: 40 encodes, whoever asked
  CAF_CHECK_EQUAL(video::frame_store::encoded_frames() - before, 40u);
  bool progress = false;
  {
    std::lock_guard<std::mutex> guard{log_mtx};
    for (auto& line : log)
      progress |= line.find("building frame cache video_1_96p: 50%") !=
                  std::string::npos;
  }
  CAF_CHECK(progress);
  caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
  // a new catalog (server restart) reuses the caches
  auto cat2 = spawn_catalog();
  auto s = ask<video::video_source_ptr>(cat2, net::play_request{"1", "", 0});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(video::frame_store::encoded_frames() - before, 40u);
  caf::anon_send_exit(cat2, caf::exit_reason::user_shutdown);
}

CAF_TEST(a play that waits for a cache build can ask how far it is) {
  // Long enough to take a while to build.
  CAF_REQUIRE(test_util::make_renditions(dir, "video_5", {240, 480}, 150));
  auto cat = spawn_catalog(false, 30ms);
  caf::scoped_actor self{*sys};
  auto query = [&] {
    net::play_waiting w;
    self->request(cat, 30s, caf::get_atom::value,
                  net::play_request{"5", "", 0})
        .receive([&](net::play_waiting& x) { w = x; },
                 [&](caf::error& e) { CAF_FAIL(net::describe(e)); });
    return w;
  };
  // Asked while the first scan runs, the answer waits for it and sees the
  // build the PLAY before it started.
  self->send(cat, net::play_request{"video_5", "", 0});
  std::vector<net::play_waiting> seen;
  video::video_source_ptr src;
  for (int i = 0; i < 3000 && !src; ++i) {
    auto w = query();
    if (w.video.empty())
      break; // built
    seen.push_back(w);
    self->receive([&](video::video_source_ptr& s) { src = s; },
                  [&](caf::error& e) { CAF_FAIL(net::describe(e)); },
                  caf::after(20ms) >> [] {});
  }
  if (!src)
    self->receive([&](video::video_source_ptr& s) { src = s; },
                  [&](caf::error& e) { CAF_FAIL(net::describe(e)); },
                  caf::after(60s) >> [] { CAF_FAIL("timeout"); });
  CAF_REQUIRE(src);
  CAF_REQUIRE_GREATER_OR_EQUAL(seen.size(), 3u);
  bool estimated = false;
  for (size_t i = 0; i < seen.size(); ++i) {
    CAF_CHECK_EQUAL(seen[i].video, "video_5"); // the id, asked by number
    CAF_CHECK_EQUAL(seen[i].stream_id, 0u);
    CAF_CHECK_LESS_OR_EQUAL(seen[i].done_permille, 1000u);
    if (i > 0)
      CAF_CHECK_GREATER_OR_EQUAL(seen[i].done_permille,
                                 seen[i - 1].done_permille);
    estimated |= seen[i].remaining_ms > 0;
  }
  CAF_CHECK(estimated);
  {
    std::lock_guard<std::mutex> guard{log_mtx};
    bool logged = false;
    for (auto& line : log)
      logged |= line.rfind("preparing video_5: ", 0) == 0 &&
                line.find("s left") != std::string::npos;
    CAF_CHECK(logged);
  }
  // Ready, unknown: nothing to wait for.
  CAF_CHECK(query().video.empty());
  net::play_waiting unknown{1, "x", 1, 1};
  self->request(cat, 30s, caf::get_atom::value,
                net::play_request{"video_9", "", 0})
      .receive([&](net::play_waiting& x) { unknown = x; },
               [&](caf::error& e) { CAF_FAIL(net::describe(e)); });
  CAF_CHECK(unknown.video.empty());
  caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
}

CAF_TEST(warm builds every cache before anyone plays) {
  auto before = video::frame_store::encoded_frames();
  auto cat = spawn_catalog(true);
  // no play request: 2 x 20 + 10 frames get encoded on their own
  for (int i = 0; i < 300; ++i) {
    if (video::frame_store::encoded_frames() - before >= 50u)
      break;
    std::this_thread::sleep_for(100ms);
  }
  CAF_CHECK_EQUAL(video::frame_store::encoded_frames() - before, 50u);
  // the first play is served from the cache: no further encode
  auto s = ask<video::video_source_ptr>(cat, net::play_request{"1", "", 0});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL(video::frame_store::encoded_frames() - before, 50u);
  caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
}

CAF_TEST(rescan picks up new files and reports broken ones) {
  auto cat = spawn_catalog();
  auto l = ask<net::video_list>(cat, net::video_list_request{});
  CAF_REQUIRE(l);
  CAF_CHECK_EQUAL(l->videos.size(), 2u);
  CAF_REQUIRE(test_util::make_renditions(dir, "video_3", {48}, 5));
  std::ofstream{dir / "video_4_240p.avi"} << "garbage";
  auto problems = ask<std::vector<std::string>>(cat, rescan_atom::value);
  CAF_REQUIRE(problems);
  // the broken file, and the video it leaves without a rendition
  CAF_REQUIRE_EQUAL(problems->size(), 2u);
  CAF_CHECK(problems->front().find("video_4_240p.avi") != std::string::npos);
  CAF_CHECK(problems->back().find("video video_4: no playable rendition") !=
            std::string::npos);
  l = ask<net::video_list>(cat, net::video_list_request{});
  CAF_REQUIRE(l);
  // the list shows it too, as unavailable with the reason
  CAF_REQUIRE_EQUAL(l->videos.size(), 4u);
  CAF_CHECK_EQUAL(l->videos[3].id, "video_4");
  CAF_CHECK(l->videos[3].problem.find("video_4_240p.avi") != std::string::npos);
  CAF_CHECK(l->videos[2].problem.empty());
  auto s = ask<video::video_source_ptr>(cat, net::play_request{"3", "", 0});
  CAF_REQUIRE(s);
  CAF_CHECK_EQUAL((*s)->time.frames, 5u);
  auto bad = ask<video::video_source_ptr>(cat, net::play_request{"4", "", 0});
  CAF_REQUIRE(!bad);
  CAF_CHECK(net::describe(bad.error()).find("is unavailable") !=
            std::string::npos);
  caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()
