#define CAF_SUITE type_ids
#include <caf/test/dsl.hpp>

#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "actors/type_ids.hpp"

using namespace actors;

namespace {

struct config : caf::actor_system_config {
  config() {
    add_message_types<caf::id_block::chatroom>();
  }
};

struct fixture : test_coordinator_fixture<config> {
  /// Serializes `msg` the way CAF sends it to another node, then reads it
  /// back into a fresh message.
  caf::message round_trip(const caf::message& msg) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto copy = msg;
    if (auto err = sink(copy))
      CAF_FAIL("cannot serialize " << to_string(msg) << ": "
                                   << sys.render(err));
    CAF_CHECK(!buf.empty());
    caf::message out;
    caf::binary_deserializer source{sys, buf};
    if (auto err = source(out))
      CAF_FAIL("cannot deserialize: " << sys.render(err));
    return out;
  }

  template <class... Ts>
  void check_round_trip(const Ts&... xs) {
    auto in = caf::make_message(xs...);
    auto out = round_trip(in);
    CAF_REQUIRE_EQUAL(out.size(), sizeof...(Ts));
    size_t i = 0;
    auto same = [&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      auto pos = i++;
      return out.template match_element<T>(pos) &&
             out.template get_as<T>(pos) == x;
    };
    bool all_same = (same(xs) && ...);
    CAF_CHECK(all_same);
  }

  net::peer_info alice{"alice", net::bytes(32, 1), net::bytes(32, 2)};
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(type_ids_tests, fixture)

CAF_TEST(registry messages survive serialization) {
  // What a session sends the registry and what the registry sends back.
  auto member = caf::actor_cast<registry_member>(self);
  check_round_trip(caf::join_atom::value, alice, member);
  check_round_trip(route_atom::value, std::string{"bob"}, uint32_t{7},
                   net::bytes{1, 2, 3}, true);
  check_round_trip(route_atom::value, std::string{"bob"},
                   caf::actor_cast<recipient>(self));
  check_round_trip(net::deliver{"alice", net::bytes(100, 9)},
                   caf::actor_cast<error_sink>(self), uint32_t{7});
  check_round_trip(net::error_frame{21, 7, false, "busy"});
  check_round_trip(caf::get_atom::value, std::vector<std::string>{"bob"});
  check_round_trip(net::peer_keys{{alice}, {"nobody"}});
}

CAF_TEST(an encoded directory keeps its type and bytes) {
  net::directory d;
  d.snapshot = true;
  d.joined = {{"alice", "bob"}};
  net::encoded<net::directory> enc{d};
  check_round_trip(enc);
  auto out = round_trip(caf::make_message(enc));
  auto back = out.get_as<net::encoded<net::directory>>(0).decode();
  CAF_REQUIRE(back);
  CAF_CHECK(*back == d);
  CAF_CHECK(enc.frame() == net::encode_frame(d)); // the wire bytes, once
}

CAF_TEST(an encoded frame of another type is refused when loading) {
  net::encoded<net::deliver> wrong{net::deliver{"x", {}}};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  CAF_REQUIRE(!sink(wrong));
  net::encoded<net::directory> out;
  caf::binary_deserializer source{sys, buf};
  CAF_CHECK(source(out));
  CAF_CHECK(out.frame().empty());
}

CAF_TEST(video messages survive serialization) {
  check_round_trip(net::play_request{"clip", "fixed:720", 1500});
  check_round_trip(net::video_ack{1, 2, 10, 1500, 3000});
  check_round_trip(net::video_end{1, 0, 240, "done"});
  outgoing_video_frame f;
  f.stream_id = 1;
  f.index = 2;
  f.height = 240;
  f.pts_us = 41708;
  f.jpeg = std::make_shared<const std::vector<char>>(1000, 'j');
  check_round_trip(f);
  check_round_trip(shed_atom::value);
  check_round_trip(wake_atom::value, caf::actor_cast<deadline_sink>(self),
                   caf::timespan{std::chrono::seconds{30}});
  check_round_trip(backlog_atom::value, caf::actor_cast<shed_sink>(self),
                   uint64_t{1} << 20);
}

CAF_TEST_FIXTURE_SCOPE_END()
