#pragma once

// Shared by the suites that drive a client_core without sockets: the
// scripted server is a server net::frame_channel on the other end of an
// in-memory connection, and the bytes are moved between the two by hand.
// The server sends with the channel's send(); what it reads comes out of
// shuttle() as frames.

#include <map>
#include <string>
#include <vector>

#include <caf/test/unit_test.hpp>

#include "client/client_core.hpp"
#include "net/frame.hpp"
#include "net/frame_channel.hpp"
#include "net/frame_dispatch.hpp"

namespace test_support {

/// Whether the core must accept every byte the server sends.
enum class core_accepts { required, not_checked };

/// The server's end of a new connection, started (it awaits the core's
/// ClientHello).
inline net::frame_channel scripted_server(const net::tls_context& ctx) {
  auto ch = net::frame_channel::server(ctx, 1 << 20);
  ch.start();
  return ch;
}

/// Moves bytes between `core` and `server` until neither has more to send;
/// the test fails if that takes more than `max_rounds` rounds. The frames
/// the server reads are appended to `received`.
inline void shuttle(client::client_core& core, net::frame_channel& server,
                    int max_rounds, core_accepts accepts,
                    std::vector<net::frame>& received) {
  std::vector<char> buf;
  for (int i = 0; i < max_rounds; ++i) {
    bool moved = false;
    buf.clear();
    core.take_output(buf);
    if (!buf.empty()) {
      moved = true;
      server.feed(buf.data(), buf.size());
      // A failed handshake is what pin tests provoke; a broken frame
      // stream from the core is a bug.
      CAF_REQUIRE(!server.failed() || server.transport_failed());
      while (auto f = server.next()) {
        // The core sends only frames of the client's set that decode.
        CAF_CHECK(!net::dispatch(net::client_frames{}, *f, [](auto&) {}));
        received.push_back(std::move(*f));
      }
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

/// What the registry answers to KEYS_REQUEST, scripted: the keys of
/// whoever is in `keys`.
struct scripted_keys {
  std::map<std::string, net::peer_info> keys;
  size_t seen = 0;     ///< frames of `received` looked at
  size_t answered = 0; ///< KEYS_REQUESTs answered

  void add(const std::string& name, const net::identity& id) {
    keys[name] = {name, id.x25519_pub, id.ed25519_pub};
  }

  /// Answers the requests among `received` not looked at yet; false if
  /// there were none.
  bool answer(net::frame_channel& server,
              const std::vector<net::frame>& received) {
    bool any = false;
    for (; seen < received.size(); ++seen) {
      auto& f = received[seen];
      if (f.type != net::keys_request::wire_type)
        continue;
      auto req = net::decode_payload<net::keys_request>(f);
      CAF_REQUIRE(req);
      net::peer_keys k;
      for (auto& name : req->names)
        if (auto i = keys.find(name); i != keys.end())
          k.peers.push_back(i->second);
        else
          k.unknown.push_back(name);
      server.send(k);
      ++answered;
      any = true;
    }
    return any;
  }
};

} // namespace test_support
