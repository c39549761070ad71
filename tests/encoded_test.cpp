#define CAF_SUITE encoded
#include <caf/test/unit_test.hpp>

#include "net/encoded.hpp"
#include "net/messages.hpp"

using namespace net;

CAF_TEST(an encoded message is its frame and decodes back) {
  directory d;
  d.left = {{"bob"}};
  d.joined = {{"alice", "carol"}};
  encoded<directory> enc{d};
  CAF_CHECK(enc.frame() == encode_frame(d));
  auto back = enc.decode();
  CAF_REQUIRE(back);
  CAF_CHECK(*back == d);
}

CAF_TEST(copies share one encoding) {
  encoded<directory> a{directory{}};
  auto b = a;
  CAF_CHECK_EQUAL(a.frame().data(), b.frame().data());
  CAF_CHECK(a == b);
}

CAF_TEST(an empty value decodes to an error) {
  encoded<directory> none;
  CAF_CHECK(none.frame().empty());
  auto x = none.decode();
  CAF_REQUIRE(!x);
  CAF_CHECK_EQUAL(code_of(x.error()), errc::protocol);
}
