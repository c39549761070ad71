#define CAF_SUITE frame_channel
#include <caf/test/unit_test.hpp>

#include <string>
#include <vector>

#include "net/certificate.hpp"
#include "net/frame_channel.hpp"
#include "net/messages.hpp"
#include "tests/temp_dir.hpp"

using namespace net;

namespace {

using test_support::temp_dir;

/// Both ends of one in-memory connection.
struct link {
  frame_channel client;
  frame_channel server;

  /// Moves bytes both ways until neither side has anything to send.
  void shuttle() {
    std::vector<char> buf;
    for (int i = 0; i < 1000; ++i) {
      bool moved = false;
      buf.clear();
      client.take_output(buf);
      if (!buf.empty()) {
        moved = true;
        server.feed(buf.data(), buf.size());
      }
      buf.clear();
      server.take_output(buf);
      if (!buf.empty()) {
        moved = true;
        client.feed(buf.data(), buf.size());
      }
      if (!moved)
        return;
    }
    CAF_FAIL("the connection did not settle");
  }
};

struct fixture {
  temp_dir dir;
  server_credentials creds;
  std::optional<tls_context> server_ctx;
  tls_context client_ctx = *tls_context::client();

  fixture() {
    auto c = load_or_create_credentials(dir.path() + "/data");
    CAF_REQUIRE(c);
    creds = std::move(*c);
    auto s = tls_context::server(creds);
    CAF_REQUIRE(s);
    server_ctx = std::move(*s);
  }

  link connect(std::string pin) {
    link l{frame_channel::client(client_ctx, std::move(pin), 1 << 20),
           frame_channel::server(*server_ctx, 4096)};
    l.server.start();
    l.client.start();
    l.shuttle();
    return l;
  }
};

std::vector<frame> drain(frame_channel& ch) {
  std::vector<frame> out;
  while (auto f = ch.next())
    out.push_back(std::move(*f));
  return out;
}

} // namespace

CAF_TEST(a plain channel frames bytes however they are split) {
  auto tx = frame_channel::plain(1024);
  auto rx = frame_channel::plain(1024);
  CAF_CHECK(tx.established());
  tx.send(ping{7});
  tx.send(ping{8});
  std::vector<char> wire;
  tx.take_output(wire);
  CAF_CHECK(!tx.has_output());
  for (char c : wire) // one byte at a time
    CAF_CHECK(rx.feed(&c, 1));
  auto frames = drain(rx);
  CAF_REQUIRE_EQUAL(frames.size(), 2u);
  auto second = decode_payload<ping>(frames[1]);
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(second->nonce, 8u);
  CAF_CHECK(!rx.failed());
}

CAF_TEST(frames before a malformed one are still handed out) {
  auto tx = frame_channel::plain(1024);
  tx.send(ping{1});
  std::vector<char> wire;
  tx.take_output(wire);
  const char oversized[] = {0x00, 0x01, 0x00, 0x00, 0x04};
  wire.insert(wire.end(), oversized, oversized + sizeof(oversized));
  auto rx = frame_channel::plain(1024);
  CAF_CHECK(!rx.feed(wire.data(), wire.size()));
  CAF_CHECK(rx.failed());
  CAF_CHECK(!rx.transport_failed());
  CAF_CHECK_EQUAL(code_of(rx.error()), errc::protocol);
  CAF_CHECK_NOT_EQUAL(describe(rx.error()).find("exceeds the maximum"),
                      std::string::npos);
  CAF_CHECK_EQUAL(drain(rx).size(), 1u);
  CAF_CHECK(!rx.feed(wire.data(), 1)); // stays failed
}

CAF_TEST(the frame limit can be raised for frames not yet begun) {
  auto tx = frame_channel::plain(1 << 20);
  tx.send(send_message{1, "bob", bytes(5000, 0x42)});
  std::vector<char> wire;
  tx.take_output(wire);
  auto rx = frame_channel::plain(4096);
  rx.max_frame_size(8192);
  CAF_CHECK(rx.feed(wire.data(), wire.size()));
  CAF_CHECK_EQUAL(drain(rx).size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE(tls_channel_tests, fixture)

CAF_TEST(frames cross TLS both ways with a shared channel binding) {
  auto l = connect(creds.fingerprint);
  CAF_REQUIRE(l.client.established());
  CAF_REQUIRE(l.server.established());
  CAF_CHECK_EQUAL(l.client.peer_fingerprint(), creds.fingerprint);
  auto a = l.client.channel_binding(channel_binding_label, 32);
  auto b = l.server.channel_binding(channel_binding_label, 32);
  CAF_REQUIRE(a && b);
  CAF_CHECK_EQUAL(a->size(), 32u);
  CAF_CHECK(*a == *b);
  l.client.send(hello{protocol_version, "alice", bytes(32, 1), bytes(32, 2),
                      bytes(64, 3)});
  l.server.send(welcome{protocol_version, "alice", 131072});
  std::vector<char> pre_encoded = encode_frame(pong{9});
  l.server.send_encoded(pre_encoded.data(), pre_encoded.size());
  l.shuttle();
  auto at_server = drain(l.server);
  CAF_REQUIRE_EQUAL(at_server.size(), 1u);
  auto h = decode_payload<hello>(at_server[0]);
  CAF_REQUIRE(h);
  CAF_CHECK_EQUAL(h->name, "alice");
  auto at_client = drain(l.client);
  CAF_REQUIRE_EQUAL(at_client.size(), 2u);
  CAF_CHECK_EQUAL(at_client[1].type, pong::wire_type);
}

CAF_TEST(a wrong pin fails the transport and says so) {
  std::string wrong(creds.fingerprint.size(), '0');
  auto l = connect(wrong);
  CAF_CHECK(!l.client.established());
  CAF_CHECK(l.client.failed());
  CAF_CHECK(l.client.transport_failed());
  CAF_CHECK_EQUAL(code_of(l.client.error()), errc::pin_mismatch);
}

CAF_TEST(close_notify reaches the peer and later sends are dropped) {
  auto l = connect(creds.fingerprint);
  l.client.send(ping{1});
  l.client.close();
  l.client.send(ping{2});
  l.shuttle();
  CAF_CHECK_EQUAL(drain(l.server).size(), 1u);
  CAF_CHECK(l.server.peer_closed());
  CAF_CHECK(!l.server.failed());
}

CAF_TEST(frames outside the TLS records are a transport failure) {
  auto l = connect(creds.fingerprint);
  auto raw = encode_frame(ping{1}); // plaintext where a record belongs
  CAF_CHECK(!l.server.feed(raw.data(), raw.size()));
  CAF_CHECK(l.server.transport_failed());
  CAF_CHECK_EQUAL(code_of(l.server.error()), errc::tls);
}

CAF_TEST(corked frames leave at uncork in full records and in order) {
  auto l = connect(creds.fingerprint);
  auto burst = [](frame_channel& ch) {
    for (uint64_t i = 0; i < 100; ++i)
      ch.send(pong{i});
  };
  std::vector<char> one_each;
  burst(l.server);
  l.server.take_output(one_each);
  l.client.feed(one_each.data(), one_each.size());
  CAF_CHECK_EQUAL(drain(l.client).size(), 100u);
  l.server.cork();
  burst(l.server);
  CAF_CHECK(!l.server.has_output()); // nothing encrypted yet
  l.server.uncork();
  std::vector<char> corked;
  l.server.take_output(corked);
  // a TLS 1.3 record costs 22 bytes (header, type, tag): 99 fewer of them
  CAF_CHECK_LESS_OR_EQUAL(corked.size() + 99 * 22, one_each.size());
  l.client.feed(corked.data(), corked.size());
  auto got = drain(l.client);
  CAF_REQUIRE_EQUAL(got.size(), 100u);
  for (uint64_t i = 0; i < got.size(); ++i) {
    auto p = decode_payload<pong>(got[i]);
    CAF_REQUIRE(p);
    CAF_CHECK_EQUAL(p->nonce, i);
  }
}

CAF_TEST(close uncorks so what was sent precedes close_notify) {
  auto l = connect(creds.fingerprint);
  l.client.cork();
  l.client.send(ping{1});
  l.client.close();
  l.shuttle();
  CAF_CHECK_EQUAL(drain(l.server).size(), 1u);
  CAF_CHECK(l.server.peer_closed());
}

CAF_TEST_FIXTURE_SCOPE_END()
