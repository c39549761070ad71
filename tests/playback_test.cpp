#define CAF_SUITE playback
#include <caf/test/unit_test.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/client_core.hpp"
#include "client/playback.hpp"
#include "net/certificate.hpp"
#include "net/frame.hpp"
#include "net/frame_channel.hpp"
#include "net/video_messages.hpp"
#include "tests/frames.hpp"
#include "tests/scripted_server.hpp"
#include "tests/temp_dir.hpp"

// client/playback.hpp: the console's video commands over a client_core,
// against a scripted server that reads what the client sends.

using namespace client;

namespace {

struct fixture {
  test_support::temp_dir dir;
  net::tls_context client_ctx = *net::tls_context::client();
  std::optional<net::frame_channel> server;
  std::unique_ptr<client_core> core;
  std::vector<net::frame> at_server; ///< not yet taken by sent()
  std::vector<std::string> printed;
  int lists = 0;
  int finished = 0;
  playback pb{player_settings{}, "thirds",
              [this](const std::string& line) { printed.push_back(line); }};

  fixture() {
    auto creds = net::load_or_create_credentials(dir / "server");
    CAF_REQUIRE(creds);
    auto ctx = net::tls_context::server(*creds);
    CAF_REQUIRE(ctx);
    server.emplace(test_support::scripted_server(*ctx));
    client_events ev;
    ev.on_error = [](net::errc code, const std::string& text, bool fatal) {
      CAF_FAIL("unexpected error " << net::to_string(code)
                                   << " (fatal=" << fatal << "): " << text);
    };
    core = std::make_unique<client_core>(client_ctx, "",
                                         net::identity::generate(), nullptr,
                                         std::move(ev));
    core->start();
    core->choose_name("bob");
    shuttle();
    auto hello = sent();
    CAF_REQUIRE_EQUAL(hello.size(), 1u);
    CAF_REQUIRE_EQUAL(hello[0].type, net::hello::wire_type);
    pb.on_list = [this] { ++lists; };
    pb.on_finished = [this] { ++finished; };
  }

  void shuttle() {
    test_support::shuttle(*core, *server, 100,
                          test_support::core_accepts::required, at_server);
  }

  /// Frames the client sent since the last call.
  std::vector<net::frame> sent() {
    shuttle();
    return std::exchange(at_server, {});
  }

  /// The one frame sent since the last call, decoded as T.
  template <class T>
  T sent_one() {
    auto fs = sent();
    CAF_REQUIRE_EQUAL(fs.size(), 1u);
    auto x = net::decode_payload<T>(fs[0]);
    CAF_REQUIRE(x);
    return *x;
  }

  template <class T>
  bool from_server(const T& msg) {
    return pb.on_frame(*core, test_support::frame_of(msg));
  }

  static net::video_info info() {
    return {"video_1", {240, 480}, 10000, 25000, 250, ""};
  }

  void list() {
    CAF_REQUIRE(from_server(
        net::video_list{{info(), {"clip", {720}, 2000, 30000, 60, ""}}}));
  }

  /// Lists, plays "1" and starts stream `id`.
  void start(uint32_t id) {
    list();
    CAF_REQUIRE(pb.play(*core, "1"));
    sent();
    CAF_REQUIRE(from_server(net::play_started{id, info(), "thirds"}));
  }

  net::video_frame video_frame(uint32_t id, uint32_t index) {
    return {id, 0, index, 240, net::pts_of(25000, index),
            {0xff, 0xd8, 0xff, 0xd9}};
  }

  bool printed_line(const std::string& what) const {
    for (auto& line : printed)
      if (line.find(what) != std::string::npos)
        return true;
    return false;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(playback_tests, fixture)

CAF_TEST(asking for the list sends a video list request) {
  pb.request_list(*core);
  auto fs = sent();
  CAF_REQUIRE_EQUAL(fs.size(), 1u);
  CAF_CHECK_EQUAL(fs[0].type, net::video_list_request::wire_type);
  CAF_CHECK(fs[0].payload.empty());
}

CAF_TEST(an unavailable video is listed with its reason and not requested) {
  net::video_info broken;
  broken.id = "mixed";
  broken.problem = "renditions disagree on duration: 240p 11.3 s, 720p 4.5 s";
  CAF_REQUIRE(from_server(net::video_list{{info(), broken}}));
  CAF_CHECK(printed_line("2) mixed  unavailable: renditions disagree on "
                         "duration: 240p 11.3 s, 720p 4.5 s"));
  CAF_CHECK(!pb.play(*core, "2"));
  CAF_CHECK(printed_line("video 'mixed' is unavailable: renditions disagree"));
  CAF_CHECK(sent().empty()); // no PLAY the server would refuse anyway
}

CAF_TEST(the listing is numbered and kept) {
  list();
  CAF_CHECK_EQUAL(lists, 1);
  CAF_REQUIRE_EQUAL(pb.videos().size(), 2u);
  CAF_CHECK_EQUAL(pb.videos()[1].id, "clip");
  CAF_CHECK(printed_line("1) video_1  240p/480p  10.0 s  25.00 fps"));
  CAF_CHECK(printed_line("2) clip  720p  2.0 s  30.00 fps"));
  CAF_CHECK(from_server(net::video_list{}));
  CAF_CHECK_EQUAL(lists, 2);
  CAF_CHECK(pb.videos().empty());
  CAF_CHECK(printed_line("the server has no videos"));
}

CAF_TEST(play by number or id sends the id and the configured policy) {
  list();
  CAF_REQUIRE(pb.play(*core, "2"));
  CAF_CHECK(pb.playing());
  CAF_CHECK(sent_one<net::play_request>() ==
            (net::play_request{"clip", "thirds", 0}));
  CAF_REQUIRE(pb.play(*core, "video_1"));
  CAF_CHECK(sent_one<net::play_request>() ==
            (net::play_request{"video_1", "thirds", 0}));
}

CAF_TEST(a choice that is not in the list sends nothing) {
  CAF_CHECK(!pb.play(*core, "1")); // no list yet
  list();
  CAF_CHECK(!pb.play(*core, "3"));
  CAF_CHECK(!pb.play(*core, "video_9"));
  CAF_CHECK(!pb.playing());
  CAF_CHECK(sent().empty());
  CAF_CHECK(printed_line("unknown video 'video_9'"));
}

CAF_TEST(an end before the start is a failed playback) {
  list();
  CAF_REQUIRE(pb.play(*core, "1"));
  sent();
  // The server assigned stream 3, which the client never saw started.
  CAF_CHECK(from_server(net::video_end{
      3, static_cast<uint8_t>(net::end_reason::error), 0, "no 720p rendition"}));
  CAF_CHECK(!pb.playing());
  CAF_CHECK_EQUAL(finished, 1);
  CAF_CHECK(printed_line("playback failed: no 720p rendition"));
}

CAF_TEST(a server error cancels only a playback that has not started) {
  list();
  CAF_REQUIRE(pb.play(*core, "1"));
  pb.on_server_error(); // e.g. not_found or rate_limited for this PLAY
  CAF_CHECK(!pb.playing());
  CAF_CHECK_EQUAL(finished, 1);
  CAF_REQUIRE(pb.play(*core, "1"));
  CAF_REQUIRE(from_server(net::play_started{7, info(), "thirds"}));
  pb.on_server_error(); // e.g. not_found for a late ack: playback goes on
  CAF_CHECK(pb.playing());
  CAF_CHECK_EQUAL(finished, 1);
}

CAF_TEST(frames of the stream are acked with its id and others ignored) {
  start(7);
  sent();
  for (uint32_t i = 0; i < 5; ++i)
    CAF_CHECK(from_server(video_frame(8, i))); // another stream
  pb.tick(*core);
  CAF_CHECK(sent().empty()); // nothing received on ours: nothing to ack
  for (uint32_t i = 0; i < 5; ++i)
    CAF_CHECK(from_server(video_frame(7, i)));
  pb.tick(*core);
  // Five frames force an ack: the highest index and 5 x 40 ms buffered
  // (still waiting for the 500 ms start-up buffer, nothing shown).
  auto ack = sent_one<net::video_ack>();
  CAF_CHECK_EQUAL(ack.stream_id, 7u);
  CAF_CHECK_EQUAL(ack.index, 4u);
  CAF_CHECK_EQUAL(ack.buffer_ms, 200u);
}

CAF_TEST(console commands become controls of the playing stream) {
  start(7);
  sent();
  auto control = [&](const std::string& line) {
    CAF_REQUIRE(pb.command(*core, line));
    auto c = sent_one<net::video_control>();
    CAF_CHECK_EQUAL(c.stream_id, 7u);
    return c;
  };
  using op = net::video_op;
  auto pause = control("p");
  CAF_CHECK_EQUAL(pause.op, static_cast<uint8_t>(op::pause));
  auto resume = control("p");
  CAF_CHECK_EQUAL(resume.op, static_cast<uint8_t>(op::resume));
  // Seeks go through the player: each starts the next segment, and the
  // player's position moves with them.
  auto go = control("g 12.5");
  CAF_CHECK_EQUAL(go.op, static_cast<uint8_t>(op::seek_absolute));
  CAF_CHECK_EQUAL(go.arg_ms, 12500);
  CAF_CHECK_EQUAL(go.segment, 1u);
  // Seeks of 10 s from the position (12.5 s after the seek), never below 0.
  auto fwd = control("+");
  CAF_CHECK_EQUAL(fwd.op, static_cast<uint8_t>(op::seek_absolute));
  CAF_CHECK_EQUAL(fwd.arg_ms, 22480); // index 562 at 25 fps
  CAF_CHECK_EQUAL(fwd.segment, 2u);
  auto back = control("-");
  CAF_CHECK_EQUAL(back.arg_ms, 12480);
  CAF_CHECK_EQUAL(back.segment, 3u);
  CAF_CHECK(pb.command(*core, "g soon"));
  CAF_CHECK(sent().empty());
  CAF_CHECK(printed_line("usage: g SECONDS"));
  // a number the position cannot hold is refused the same way
  CAF_CHECK(pb.command(*core, "g 1e300"));
  CAF_CHECK(sent().empty());
  CAF_CHECK(!pb.command(*core, "hello there")); // chat, not a command
  CAF_CHECK(sent().empty());
}

CAF_TEST(commands are not taken without a playback) {
  CAF_CHECK(!pb.command(*core, "p"));
  CAF_CHECK(!pb.command(*core, "s"));
  CAF_CHECK(sent().empty());
}

CAF_TEST(stop sends stop and the end finishes the playback) {
  start(7);
  sent();
  CAF_REQUIRE(pb.command(*core, "s"));
  auto stop = sent_one<net::video_control>();
  CAF_CHECK_EQUAL(stop.op, static_cast<uint8_t>(net::video_op::stop));
  CAF_CHECK(pb.playing()); // until the server confirms
  CAF_CHECK(from_server(net::video_end{
      7, static_cast<uint8_t>(net::end_reason::stopped), 0, "stopped"}));
  CAF_CHECK(!pb.playing());
  CAF_CHECK_EQUAL(finished, 1);
}

CAF_TEST(a play waiting for the server says so and s cancels it) {
  list();
  CAF_REQUIRE(pb.play(*core, "1"));
  sent();
  CAF_CHECK(from_server(net::play_waiting{4, "video_1", 370, 75000}));
  CAF_CHECK(printed_line("preparing video_1 for streaming: 37% done, about 1 "
                         "min 15 s left (s cancels)"));
  CAF_CHECK(from_server(net::play_waiting{4, "video_1", 0, 0}));
  CAF_CHECK(printed_line("0% done, time left not known yet"));
  CAF_REQUIRE(pb.command(*core, "s"));
  auto stop = sent_one<net::video_control>();
  CAF_CHECK_EQUAL(stop.stream_id, 4u);
  CAF_CHECK_EQUAL(stop.op, static_cast<uint8_t>(net::video_op::stop));
  CAF_CHECK(pb.playing()); // until the server confirms
  CAF_CHECK(from_server(
      net::video_end{4, static_cast<uint8_t>(net::end_reason::stopped), 0,
                     "stopped while the video was being prepared"}));
  CAF_CHECK(!pb.playing());
  CAF_CHECK_EQUAL(finished, 1);
  CAF_CHECK(printed_line(
      "playback stopped: stopped while the video was being prepared"));
}

CAF_TEST(a waiting notice after the start changes nothing) {
  start(7);
  sent();
  CAF_CHECK(from_server(net::play_waiting{7, "video_1", 500, 1000}));
  CAF_CHECK(!printed_line("preparing"));
  CAF_REQUIRE(pb.command(*core, "s"));
  CAF_CHECK_EQUAL(sent_one<net::video_control>().stream_id, 7u);
}

CAF_TEST(frames that are not about video are left to the caller) {
  CAF_CHECK(!from_server(net::pong{1}));
  CAF_CHECK(!from_server(net::deliver{"al", {1, 2, 3}}));
}

CAF_TEST_FIXTURE_SCOPE_END()
