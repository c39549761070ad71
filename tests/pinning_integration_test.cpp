#define CAF_SUITE pinning_integration
#include <caf/test/unit_test.hpp>

#include <fstream>

#include "tests/integration.hpp"

using namespace test_support;

CAF_TEST(first use pins and a second run matches) {
  live_server srv;
  {
    auto c = srv.joined("alice");
    CAF_CHECK(c->output().find("pinned this fingerprint") != std::string::npos);
    c->write("4\n");
    CAF_CHECK_EQUAL(c->wait_exit(), 0);
  }
  auto c = srv.joined("alice");
  CAF_CHECK(c->output().find("pinned this fingerprint") == std::string::npos);
}

CAF_TEST(an explicit wrong pin is rejected) {
  live_server srv;
  std::string wrong = "SHA256";
  for (int i = 0; i < 32; ++i)
    wrong += ":00";
  auto c = srv.client("alice", {"--server-fingerprint", wrong});
  CAF_CHECK(c->wait_for("not the one pinned"));
  auto code = c->wait_exit();
  CAF_REQUIRE(code);
  CAF_CHECK_NOT_EQUAL(*code, 0);
  // the server keeps serving
  auto ok = srv.joined("bob");
  auto good = srv.client("carol", {"--server-fingerprint", srv.fingerprint});
  CAF_CHECK(good->wait_for("joined as carol"));
}

CAF_TEST(a changed fingerprint is refused until accepted) {
  live_server srv;
  auto home = srv.dir / "home-alice";
  ::mkdir(home.c_str(), 0700);
  std::string other = "SHA256";
  for (int i = 0; i < 32; ++i)
    other += ":AB";
  {
    std::ofstream out{home + "/known_servers"};
    out << "127.0.0.1:" << srv.port << " " << other << "\n";
  }
  ::chmod((home + "/known_servers").c_str(), 0600);
  auto c = srv.client("alice");
  CAF_CHECK(c->wait_for("--accept-new-fingerprint"));
  auto code = c->wait_exit();
  CAF_REQUIRE(code);
  CAF_CHECK_NOT_EQUAL(*code, 0);
  auto again = srv.client("alice", {"--accept-new-fingerprint"});
  CAF_CHECK(again->wait_for("joined as alice"));
  again->write("4\n");
  CAF_CHECK_EQUAL(again->wait_exit(), 0);
  // now pinned to the real one: a plain run works
  auto third = srv.client("alice");
  CAF_CHECK(third->wait_for("joined as alice"));
}
