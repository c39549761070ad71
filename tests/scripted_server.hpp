#pragma once

// Shared by the suites that drive a client_core without sockets: the
// scripted server holds the other end of an in-memory TLS channel, and the
// bytes are moved between the two by hand.

#include <vector>

#include <caf/test/unit_test.hpp>

#include "client/client_core.hpp"
#include "net/frame.hpp"
#include "net/tls_channel.hpp"

namespace test_support {

/// Whether the core must accept every byte the server sends.
enum class core_accepts { required, not_checked };

/// Moves bytes between `core` and `server` until neither has more to send;
/// the test fails if that takes more than `max_rounds` rounds. The
/// plaintext the server reads is passed to `on_plaintext`.
template <class OnPlaintext>
void shuttle(client::client_core& core, net::tls_channel& server,
             int max_rounds, core_accepts accepts, OnPlaintext on_plaintext) {
  std::vector<char> buf;
  for (int i = 0; i < max_rounds; ++i) {
    bool moved = false;
    buf.clear();
    core.take_output(buf);
    if (!buf.empty()) {
      moved = true;
      server.feed(buf.data(), buf.size());
      std::vector<char> plain;
      server.read_plaintext(plain);
      on_plaintext(plain);
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

/// Has the server send `msg` (it reaches the core at the next shuttle).
template <class T>
void server_send(net::tls_channel& server, const T& msg) {
  auto buf = net::encode_frame(msg);
  server.write(buf.data(), buf.size());
}

} // namespace test_support
