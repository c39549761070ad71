#define CAF_SUITE codec
#include <caf/test/unit_test.hpp>

#include <limits>
#include <malloc.h>

#include "net/frame.hpp"
#include "net/messages.hpp"
#include "tests/round_trip.hpp"

using namespace net;
using test_support::round_trip;

namespace {

std::vector<char> raw_header(uint32_t len, uint8_t type) {
  return {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
          static_cast<char>(len >> 8), static_cast<char>(len),
          static_cast<char>(type)};
}

} // namespace

CAF_TEST(every message type survives a round trip) {
  hello h{protocol_version, "alice", bytes(32, 1), bytes(32, 2), bytes(64, 3)};
  CAF_CHECK_EQUAL(round_trip(h), h);
  welcome w{protocol_version, "alice", 131072};
  CAF_CHECK_EQUAL(round_trip(w), w);
  error_frame e{static_cast<uint8_t>(errc::name_taken), 7, true, "taken"};
  CAF_CHECK_EQUAL(round_trip(e), e);
  directory d{false, {{"carol"}}, {{"alice", "bob"}}};
  CAF_CHECK_EQUAL(round_trip(d), d);
  keys_request kr{{"bob", "carol"}};
  CAF_CHECK_EQUAL(round_trip(kr), kr);
  peer_keys pk{{{"bob", bytes(32, 4), bytes(32, 5)}}, {"carol"}};
  CAF_CHECK_EQUAL(round_trip(pk), pk);
  send_message s{42, "bob", bytes(1000, 9)};
  CAF_CHECK_EQUAL(round_trip(s), s);
  deliver dl{"alice", bytes{1, 2, 3}};
  CAF_CHECK_EQUAL(round_trip(dl), dl);
  CAF_CHECK_EQUAL(round_trip(quit{}), quit{});
  CAF_CHECK_EQUAL(round_trip(ping{~uint64_t{0}}), ping{~uint64_t{0}});
  CAF_CHECK_EQUAL(round_trip(pong{5}), pong{5});
}

CAF_TEST(the byte layout is big - endian length type payload) {
  auto buf = encode_frame(ping{0x0102030405060708});
  std::vector<char> expected{0, 0, 0, 9, 0x04, 1, 2, 3, 4, 5, 6, 7, 8};
  CAF_CHECK_EQUAL(buf, expected);
  auto q = encode_frame(quit{});
  CAF_CHECK_EQUAL(q, (std::vector<char>{0, 0, 0, 1, 0x03}));
}

CAF_TEST(frames split at every byte boundary reassemble) {
  std::vector<char> stream;
  append_frame(stream, send_message{1, "bob", bytes(300, 7)});
  append_frame(stream, quit{});
  append_frame(stream, ping{3});
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    frame_decoder dec{4096};
    CAF_REQUIRE(dec.feed(stream.data(), cut));
    CAF_REQUIRE(dec.feed(stream.data() + cut, stream.size() - cut));
    std::vector<uint8_t> types;
    while (auto f = dec.next())
      types.push_back(f->type);
    CAF_CHECK_EQUAL(types, (std::vector<uint8_t>{0x02, 0x03, 0x04}));
  }
}

CAF_TEST(byte at a time decoding works) {
  auto stream = encode_frame(deliver{"alice", bytes(100, 1)});
  frame_decoder dec{4096};
  for (auto c : stream)
    CAF_REQUIRE(dec.feed(&c, 1));
  auto f = dec.next();
  CAF_REQUIRE(f);
  auto d = decode_payload<deliver>(*f);
  CAF_REQUIRE(d);
  CAF_CHECK_EQUAL(d->from, "alice");
}

CAF_TEST(zero length is rejected) {
  frame_decoder dec{4096};
  auto h = raw_header(0, 0x03);
  CAF_CHECK(!dec.feed(h.data(), h.size()));
  CAF_CHECK(dec.failed());
  CAF_CHECK_EQUAL(dec.error(), "frame length 0");
}

CAF_TEST(oversized length is rejected before any allocation) {
  frame_decoder dec{4096};
  auto h = raw_header(std::numeric_limits<uint32_t>::max(), 0x02);
  CAF_CHECK(!dec.feed(h.data(), h.size()));
  CAF_CHECK(dec.failed());
  CAF_CHECK_LESS(dec.buffered(), 16u);
  frame_decoder dec2{4096};
  auto h2 = raw_header(4097, 0x02);
  CAF_CHECK(!dec2.feed(h2.data(), h2.size()));
  frame_decoder dec3{4096};
  auto h3 = raw_header(4096, 0x02);
  CAF_CHECK(dec3.feed(h3.data(), h3.size()));
}

CAF_TEST(a failed decoder stays failed) {
  frame_decoder dec{16};
  auto h = raw_header(0, 0);
  dec.feed(h.data(), h.size());
  auto good = encode_frame(quit{});
  CAF_CHECK(!dec.feed(good.data(), good.size()));
  CAF_CHECK(!dec.next());
}

CAF_TEST(malformed payloads are rejected) {
  // wrong type for the requested struct
  auto buf = encode_frame(quit{});
  frame f{0x03, {}};
  CAF_CHECK(!decode_payload<hello>(f));
  // truncated payload
  auto s = to_wire(send_message{1, "bob", bytes(10, 1)});
  frame t{send_message::wire_type, {s.begin(), s.end() - 1}};
  CAF_CHECK(!decode_payload<send_message>(t));
  // trailing garbage
  frame g{send_message::wire_type, s};
  g.payload.push_back(0);
  CAF_CHECK(!decode_payload<send_message>(g));
  // a string length beyond the input
  frame l{deliver::wire_type, {0x7f, 0, 0, 0}};
  CAF_CHECK(!decode_payload<deliver>(l));
  // a vector count of 2^32-1 costs no allocation and fails
  frame v{directory::wire_type,
          {0, char(0xff), char(0xff), char(0xff), char(0xff)}};
  CAF_CHECK(!decode_payload<directory>(v));
  // a bool that is neither 0 nor 1
  frame b{directory::wire_type, {2, 0, 0, 0, 0, 0, 0, 0, 0}};
  CAF_CHECK(!decode_payload<directory>(b));
  // an empty payload where fields are expected
  frame e{hello::wire_type, {}};
  CAF_CHECK(!decode_payload<hello>(e));
  // quit with a payload is malformed too
  frame q{quit::wire_type, {1}};
  CAF_CHECK(!decode_payload<quit>(q));
}

namespace {

/// Bytes the heap hands out right now (glibc: arena plus mmapped blocks).
size_t heap_in_use() {
  auto m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
}

} // namespace

CAF_TEST(an announced length is not allocated before its bytes arrive) {
  // A hostile server announces a 16 MiB frame and sends 100 bytes of it.
  frame_decoder dec{16 << 20};
  auto h = raw_header(16 << 20, directory::wire_type);
  h.resize(h.size() + 100, 0);
  auto before = heap_in_use();
  CAF_REQUIRE(dec.feed(h.data(), h.size()));
  auto grown = heap_in_use() - before;
  CAF_MESSAGE("heap grew by " << grown << " bytes");
  CAF_CHECK_LESS(grown, 64u * 1024);
  CAF_CHECK_EQUAL(dec.buffered(), h.size());
  // the rest still completes the frame
  std::vector<char> rest((16 << 20) - 1 - 100, 0);
  CAF_CHECK(dec.feed(rest.data(), rest.size()));
  auto f = dec.next();
  CAF_REQUIRE(f);
  CAF_CHECK_EQUAL(f->payload.size(), (16u << 20) - 1);
}
