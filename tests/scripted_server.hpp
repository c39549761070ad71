#pragma once

// Shared by the suites that drive a client_core without sockets: the
// scripted server holds the other end, a server net::frame_channel, and
// the bytes are moved between the two by hand.

#include <vector>

#include <caf/test/unit_test.hpp>

#include "client/client_core.hpp"
#include "net/frame_channel.hpp"

namespace test_support {

/// Whether the core must accept every byte the server sends.
enum class core_accepts { required, not_checked };

/// Moves bytes between `core` and `server` until neither has more to send;
/// the test fails if that takes more than `max_rounds` rounds or if the
/// core sends a malformed frame stream (a failed TLS handshake is the
/// point of some tests). The frames the server got wait in `server`.
inline void shuttle(client::client_core& core, net::frame_channel& server,
                    int max_rounds, core_accepts accepts) {
  std::vector<char> buf;
  for (int i = 0; i < max_rounds; ++i) {
    bool moved = false;
    buf.clear();
    core.take_output(buf);
    if (!buf.empty()) {
      moved = true;
      server.feed(buf.data(), buf.size());
      CAF_REQUIRE(server.transport_failed() || !server.failed());
    }
    buf.clear();
    server.take_output(buf);
    if (!buf.empty()) {
      moved = true;
      auto ok = core.on_bytes(buf.data(), buf.size());
      if (accepts == core_accepts::required)
        CAF_REQUIRE(ok);
    }
    if (!moved)
      return;
  }
  CAF_FAIL("the connection did not settle");
}

} // namespace test_support
