#define CAF_SUITE tls
#include <caf/test/unit_test.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "net/certificate.hpp"
#include "net/openssl_ptr.hpp"
#include "net/tls_channel.hpp"
#include "tests/temp_dir.hpp"

using namespace net;

namespace {

using test_support::temp_dir;

/// Both ends of one in-memory connection plus what each one received.
struct mem_link {
  tls_channel client;
  tls_channel server;
  std::vector<char> at_client;
  std::vector<char> at_server;

  /// Moves bytes back and forth until neither side has anything to send.
  void shuttle(int max_rounds = 1000) {
    std::vector<char> buf;
    for (int i = 0; i < max_rounds; ++i) {
      bool moved = false;
      buf.clear();
      client.take_output(buf);
      if (!buf.empty()) {
        moved = true;
        server.feed(buf.data(), buf.size());
        server.read_plaintext(at_server);
      }
      buf.clear();
      server.take_output(buf);
      if (!buf.empty()) {
        moved = true;
        client.feed(buf.data(), buf.size());
        client.read_plaintext(at_client);
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
  tls_context server_ctx = *tls_context::client(); // replaced below
  tls_context client_ctx = *tls_context::client();

  fixture() {
    auto c = load_or_create_credentials(dir.path() + "/data");
    CAF_REQUIRE(c);
    creds = std::move(*c);
    auto s = tls_context::server(creds);
    CAF_REQUIRE(s);
    server_ctx = std::move(*s);
  }

  mem_link connect(std::string pin = {}) {
    mem_link l{tls_channel::client(client_ctx, std::move(pin)),
               tls_channel::server(server_ctx),
               {},
               {}};
    l.server.start();
    l.client.start();
    l.shuttle();
    return l;
  }
};

std::vector<char> pattern(size_t n, unsigned seed) {
  std::vector<char> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<char>((i * 131 + seed * 7 + (i >> 9)) & 0xff);
  return out;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(tls_tests, fixture)

CAF_TEST(handshake completes and data flows both ways) {
  auto l = connect();
  CAF_REQUIRE(l.client.handshake_done());
  CAF_REQUIRE(l.server.handshake_done());
  CAF_CHECK(!l.client.failed());
  CAF_CHECK(!l.server.failed());
  CAF_CHECK_EQUAL(l.client.peer_fingerprint(), creds.fingerprint);
  std::string hi = "hello server";
  CAF_CHECK(l.client.write(hi.data(), hi.size()));
  std::string ho = "hello client";
  CAF_CHECK(l.server.write(ho.data(), ho.size()));
  l.shuttle();
  CAF_CHECK_EQUAL(std::string(l.at_server.begin(), l.at_server.end()), hi);
  CAF_CHECK_EQUAL(std::string(l.at_client.begin(), l.at_client.end()), ho);
}

CAF_TEST(writes before the handshake are sent once it is done) {
  mem_link l{tls_channel::client(client_ctx, creds.fingerprint),
             tls_channel::server(server_ctx),
             {},
             {}};
  std::string early = "early bird";
  CAF_CHECK(l.client.write(early.data(), early.size()));
  CAF_CHECK(l.server.write("x", 1));
  l.client.start();
  l.shuttle();
  CAF_REQUIRE(l.client.handshake_done());
  CAF_CHECK_EQUAL(std::string(l.at_server.begin(), l.at_server.end()), early);
  CAF_CHECK_EQUAL(std::string(l.at_client.begin(), l.at_client.end()), "x");
}

CAF_TEST(one mebibyte in chunks arrives intact and in order) {
  auto l = connect();
  CAF_REQUIRE(l.server.handshake_done());
  auto up = pattern(1 << 20, 1);
  auto down = pattern((1 << 20) + 17, 2);
  size_t chunk = 7001;
  for (size_t off = 0; off < up.size(); off += chunk) {
    auto n = std::min(chunk, up.size() - off);
    CAF_REQUIRE(l.client.write(up.data() + off, n));
    if (off % (chunk * 16) == 0)
      l.shuttle();
  }
  // The other direction as one big write.
  CAF_REQUIRE(l.server.write(down.data(), down.size()));
  l.shuttle();
  CAF_CHECK_EQUAL(l.at_server.size(), up.size());
  CAF_CHECK(l.at_server == up);
  CAF_CHECK_EQUAL(l.at_client.size(), down.size());
  CAF_CHECK(l.at_client == down);
  // Ciphertext fed in one piece is processed too, byte order kept.
  std::vector<char> wire;
  CAF_REQUIRE(l.client.write(up.data(), up.size()));
  l.client.take_output(wire);
  CAF_CHECK_GREATER(wire.size(), up.size());
  CAF_REQUIRE(l.server.feed(wire.data(), wire.size()));
  std::vector<char> got;
  l.server.read_plaintext(got);
  CAF_CHECK(got == up);
  CAF_CHECK_EQUAL(l.server.buffered(), 0u);
}

CAF_TEST(ciphertext split at every byte still decrypts) {
  auto l = connect();
  std::string msg = "split me into many tiny pieces";
  CAF_REQUIRE(l.client.write(msg.data(), msg.size()));
  std::vector<char> wire;
  l.client.take_output(wire);
  std::vector<char> got;
  for (auto c : wire) {
    CAF_REQUIRE(l.server.feed(&c, 1));
    l.server.read_plaintext(got);
  }
  CAF_CHECK_EQUAL(std::string(got.begin(), got.end()), msg);
}

CAF_TEST(exporters agree per connection and differ across connections) {
  auto a = connect();
  auto b = connect();
  auto ca = a.client.export_keying_material("EXPORTER-chatroom-hello", 32);
  auto sa = a.server.export_keying_material("EXPORTER-chatroom-hello", 32);
  auto cb = b.client.export_keying_material("EXPORTER-chatroom-hello", 32);
  auto sb = b.server.export_keying_material("EXPORTER-chatroom-hello", 32);
  CAF_REQUIRE(ca && sa && cb && sb);
  CAF_CHECK_EQUAL(ca->size(), 32u);
  CAF_CHECK(*ca == *sa);
  CAF_CHECK(*cb == *sb);
  CAF_CHECK(*ca != *cb);
  auto other = a.client.export_keying_material("EXPORTER-other", 32);
  CAF_REQUIRE(other);
  CAF_CHECK(*other != *ca);
  tls_channel fresh = tls_channel::client(client_ctx, {});
  CAF_CHECK(!fresh.export_keying_material("EXPORTER-chatroom-hello", 32));
}

CAF_TEST(the correct pin is accepted) {
  auto l = connect(creds.fingerprint);
  CAF_CHECK(l.client.handshake_done());
  CAF_CHECK(l.server.handshake_done());
  CAF_CHECK_EQUAL(l.client.peer_fingerprint(), creds.fingerprint);
}

CAF_TEST(a wrong pin fails the handshake and delivers nothing) {
  temp_dir other_dir;
  auto other = load_or_create_credentials(other_dir.path());
  CAF_REQUIRE(other);
  mem_link l{tls_channel::client(client_ctx, other->fingerprint),
             tls_channel::server(server_ctx),
             {},
             {}};
  std::string secret = "for the pinned server only";
  CAF_CHECK(l.client.write(secret.data(), secret.size()));
  l.client.start();
  CAF_CHECK(l.server.write("y", 1));
  l.shuttle();
  CAF_CHECK(l.client.failed());
  CAF_CHECK(!l.client.handshake_done());
  CAF_CHECK(!l.server.handshake_done());
  CAF_CHECK(l.server.failed()); // the client's alert reached it
  CAF_MESSAGE("server saw: " << describe(l.server.error()));
  CAF_CHECK(l.at_server.empty());
  CAF_CHECK(l.at_client.empty());
  auto err = l.client.error();
  CAF_CHECK_EQUAL(code_of(err), errc::pin_mismatch);
  auto text = describe(err);
  CAF_MESSAGE("pin error: " << text);
  CAF_CHECK_NOT_EQUAL(text.find(other->fingerprint), std::string::npos);
  CAF_CHECK_NOT_EQUAL(text.find(creds.fingerprint), std::string::npos);
  CAF_CHECK(!l.client.write("z", 1));
  CAF_CHECK(!l.client.feed("z", 1));
}

CAF_TEST(a tls 1.2 only client is rejected) {
  ssl_ctx_ptr ctx{SSL_CTX_new(TLS_client_method())};
  CAF_REQUIRE(ctx);
  CAF_REQUIRE_EQUAL(SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION),
                    1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  ssl_ptr ssl{SSL_new(ctx.get())};
  CAF_REQUIRE(ssl);
  auto* rbio = BIO_new(BIO_s_mem());
  auto* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), rbio, wbio);
  SSL_set_connect_state(ssl.get());
  auto server = tls_channel::server(server_ctx);
  int ret = 0;
  for (int i = 0; i < 10; ++i) {
    ret = SSL_do_handshake(ssl.get());
    std::vector<char> buf(BIO_ctrl_pending(wbio));
    if (!buf.empty())
      BIO_read(wbio, buf.data(), static_cast<int>(buf.size()));
    if (ret == 1 || buf.empty())
      break;
    server.feed(buf.data(), buf.size());
    buf.clear();
    server.take_output(buf);
    if (!buf.empty())
      BIO_write(rbio, buf.data(), static_cast<int>(buf.size()));
  }
  ERR_clear_error();
  CAF_CHECK_NOT_EQUAL(ret, 1);
  CAF_CHECK(server.failed());
  CAF_CHECK(!server.handshake_done());
  CAF_CHECK_EQUAL(code_of(server.error()), errc::tls);
  CAF_MESSAGE("server error: " << describe(server.error()));
}

CAF_TEST(garbage input fails the server channel without crashing) {
  auto server = tls_channel::server(server_ctx);
  server.start();
  std::string junk = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
  CAF_CHECK(!server.feed(junk.data(), junk.size()));
  CAF_CHECK(server.failed());
  CAF_CHECK_EQUAL(code_of(server.error()), errc::tls);
  CAF_MESSAGE("garbage error: " << describe(server.error()));
  CAF_CHECK(!server.feed(junk.data(), junk.size()));
  CAF_CHECK(!server.write("a", 1));
  std::vector<char> out;
  server.read_plaintext(out);
  CAF_CHECK(out.empty());
  // Random bytes after a valid handshake fail the record layer instead.
  auto l = connect();
  auto noise = pattern(4096, 9);
  CAF_CHECK(!l.server.feed(noise.data(), noise.size()));
  CAF_CHECK(l.server.failed());
  l.server.close(); // no SSL_shutdown after a fatal error
}

CAF_TEST(close notify reaches the peer) {
  auto l = connect();
  CAF_REQUIRE(l.client.write("bye", 3));
  l.client.close();
  CAF_CHECK(!l.client.write("more", 4));
  l.shuttle();
  CAF_CHECK_EQUAL(std::string(l.at_server.begin(), l.at_server.end()), "bye");
  CAF_CHECK(l.server.peer_closed());
  CAF_CHECK(!l.server.failed());
  l.server.close();
  l.shuttle();
  CAF_CHECK(l.client.peer_closed());
}

CAF_TEST(a server context refuses bad or mismatched credentials) {
  auto bad = creds;
  bad.key_pem = "garbage";
  auto res = tls_context::server(bad);
  CAF_CHECK(!res);
  CAF_CHECK_EQUAL(code_of(res.error()), errc::config);
  temp_dir other_dir;
  auto other = load_or_create_credentials(other_dir.path());
  CAF_REQUIRE(other);
  bad.key_pem = other->key_pem;
  CAF_CHECK(!tls_context::server(bad));
  // A channel of the wrong kind fails instead of misbehaving.
  auto wrong = tls_channel::server(client_ctx);
  CAF_CHECK(wrong.failed());
  CAF_CHECK(!wrong.feed("x", 1));
}

CAF_TEST_FIXTURE_SCOPE_END()
