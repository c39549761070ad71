#define CAF_SUITE wire
#include <caf/test/unit_test.hpp>

#include "net/frame.hpp"
#include "net/messages.hpp"
#include "net/wire.hpp"

using namespace net;

namespace {

void put_u32(std::vector<char>& buf, uint32_t n) {
  wire_writer w{buf};
  w.put_int(n);
}

} // namespace

CAF_TEST(minimum wire sizes follow the encoding) {
  CAF_CHECK_EQUAL(min_wire_size<uint8_t>(), 1u);
  CAF_CHECK_EQUAL(min_wire_size<uint64_t>(), 8u);
  CAF_CHECK_EQUAL(min_wire_size<std::string>(), 4u);
  // name, x25519_key, ed25519_key: three empty length prefixes
  CAF_CHECK_EQUAL(min_wire_size<peer_info>(), 12u);
  // snapshot flag + two empty vectors
  CAF_CHECK_EQUAL(min_wire_size<directory>(), 9u);
}

CAF_TEST(a count the bytes cannot hold is rejected before reserving) {
  // 1 MiB of input claiming as many peer_info (12+ bytes each on the wire,
  // 80 in memory): reserving the count would take ~80 MiB.
  std::vector<char> buf;
  const uint32_t claimed = 1 << 20;
  put_u32(buf, claimed);
  buf.resize(4 + claimed, 0);
  std::vector<peer_info> xs;
  wire_reader r{buf.data(), buf.size()};
  r(xs);
  CAF_CHECK(!r.ok());
  CAF_CHECK_LESS_OR_EQUAL(xs.capacity() * sizeof(peer_info), buf.size());
  // the same as a directory frame from a hostile server fails cleanly
  std::vector<char> payload{0}; // snapshot = false
  put_u32(payload, 0);          // left: none
  payload.insert(payload.end(), buf.begin(), buf.end());
  frame f{directory::wire_type, {payload.begin(), payload.end()}};
  CAF_CHECK(!decode_payload<directory>(f));
}

CAF_TEST(a count that fits exactly still decodes) {
  // 1000 empty peer_info entries: 12 zero bytes each
  std::vector<char> buf;
  put_u32(buf, 1000);
  buf.resize(4 + 1000 * 12, 0);
  std::vector<peer_info> xs;
  CAF_CHECK(from_wire(buf.data(), buf.size(), xs));
  CAF_CHECK_EQUAL(xs.size(), 1000u);
  // one element more than the bytes allow is a lie
  std::vector<char> lie;
  put_u32(lie, 1001);
  lie.resize(4 + 1000 * 12, 0);
  CAF_CHECK(!from_wire(lie.data(), lie.size(), xs));
}

CAF_TEST(vectors of integers still reserve and decode) {
  std::vector<uint16_t> xs{1, 2, 3, 65535};
  auto buf = to_wire(xs);
  std::vector<uint16_t> ys;
  CAF_CHECK(from_wire(buf.data(), buf.size(), ys));
  CAF_CHECK_EQUAL(ys, xs);
  // four u16 need 8 bytes; a count of 5 over 8 bytes is rejected
  buf[3] = 5;
  CAF_CHECK(!from_wire(buf.data(), buf.size(), ys));
}
