#define CAF_SUITE frame_dispatch
#include <caf/test/unit_test.hpp>

#include <string>
#include <type_traits>
#include <vector>

#include "net/frame_dispatch.hpp"
#include "tests/frames.hpp"

using namespace net;
using test_support::frame_of;

CAF_TEST(dispatch decodes each type of the set to its struct) {
  std::vector<std::string> seen;
  auto handler = [&](auto& msg) {
    using T = std::decay_t<decltype(msg)>;
    if constexpr (std::is_same_v<T, ping>)
      seen.push_back("ping " + std::to_string(msg.nonce));
    else if constexpr (std::is_same_v<T, send_message>)
      seen.push_back("send " + msg.to);
    else
      seen.push_back("other");
  };
  CAF_CHECK(!dispatch(client_frames{}, frame_of(ping{3}), handler));
  CAF_CHECK(!dispatch(client_frames{}, frame_of(send_message{1, "bob", {}}),
                      handler));
  CAF_CHECK_EQUAL(seen.size(), 2u);
  CAF_CHECK_EQUAL(seen[0], "ping 3");
  CAF_CHECK_EQUAL(seen[1], "send bob");
  // A server frame is not in the client set: nothing is handled.
  auto err = dispatch(client_frames{}, frame_of(pong{1}), handler);
  CAF_CHECK_EQUAL(code_of(err), errc::protocol);
  CAF_CHECK_EQUAL(describe(err), "unknown frame type 0x85");
  // A malformed payload of a known type: an error, nothing handled.
  frame bad{ping::wire_type, {1, 2}};
  CAF_CHECK_EQUAL(code_of(dispatch(client_frames{}, bad, handler)),
                  errc::protocol);
  CAF_CHECK_EQUAL(seen.size(), 2u);
  CAF_CHECK(client_frames::contains(0x13));
  CAF_CHECK(!client_frames::contains(0x84));
  CAF_CHECK(server_frames::contains(0x84));
}
