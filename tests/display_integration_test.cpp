#define CAF_SUITE display_integration
#include <caf/test/unit_test.hpp>

#include <chrono>

#include "net/envelope.hpp"
#include "tests/integration.hpp"
#include "tests/raw_client.hpp"

// A hostile participant's text reaches a real chat-client's terminal only
// escaped (client/safe_text.hpp): the sender is a raw peer so that it can
// seal bodies the console's one-line input could never send.

using namespace test_support;
using namespace std::chrono;

CAF_TEST(control characters and extra lines cannot forge a sender) {
  live_server srv;
  auto bob = srv.joined("bob");
  raw_client alice{srv.port};
  alice.join("alice");
  CAF_REQUIRE(bob->wait_for("* alice joined"));
  // the directory lists names; bob's keys come on request
  alice.send(net::keys_request{{"bob"}});
  auto k = alice.wait_for<net::peer_keys>();
  CAF_REQUIRE(k);
  CAF_REQUIRE_EQUAL(k->peers.size(), 1u);
  auto bob_x25519 = k->peers[0].x25519_key;
  std::string body = "hi\r\x1b[2K[alice] fake \x1b[8mhidden\x1b[0m\n"
                     "[carol] second line \xe2\x80\xae"
                     "cba\n"
                     "\x1b[1A\x1b[2Kthird\\x1b";
  auto now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count()); // a current timestamp: an old one is flagged
  auto env = net::seal_envelope(alice.identity(), "alice", "bob", bob_x25519, 1,
                                now_ms, body);
  CAF_REQUIRE(env);
  auto mark = bob->output().size();
  alice.send(net::send_message{1, "bob", *env});
  CAF_REQUIRE(bob->wait_for("x1b\n", seconds{10}, mark));
  // stdout is a pipe: the event is the only output (no prompt redrawn)
  std::string expected = "[alice] hi\\r\\x1b[2K[alice] fake "
                         "\\x1b[8mhidden\\x1b[0m\n"
                         "  [carol] second line \\u202ecba\n"
                         "  \\x1b[1A\\x1b[2Kthird\\\\x1b\n";
  CAF_CHECK_EQUAL(bob->output().substr(mark), expected);
}
