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
  // snapshot flag + two empty name lists
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
  // the same as a KEYS frame from a hostile server fails cleanly
  std::vector<char> payload{buf.begin(), buf.end()};
  put_u32(payload, 0); // unknown: none
  frame f{peer_keys::wire_type, {payload.begin(), payload.end()}};
  CAF_CHECK(!decode_payload<peer_keys>(f));
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

namespace {

/// Encodes a name list entry by hand: shared, rest (one-byte varints), rest.
void put_entry(std::vector<char>& buf, uint8_t shared, const std::string& rest) {
  buf.push_back(static_cast<char>(shared));
  buf.push_back(static_cast<char>(rest.size()));
  buf.insert(buf.end(), rest.begin(), rest.end());
}

bool decodes(const std::vector<char>& buf, name_list* out = nullptr) {
  name_list xs;
  auto ok = from_wire(buf.data(), buf.size(), xs);
  if (out)
    *out = xs;
  return ok;
}

} // namespace

CAF_TEST(a name list is front coded) {
  name_list xs{{"bench-0001", "bench-0002", "bench-0010", "bob"}};
  auto buf = to_wire(xs);
  std::vector<char> expected;
  put_u32(expected, 4);
  put_entry(expected, 0, "bench-0001");
  put_entry(expected, 9, "2");
  put_entry(expected, 8, "10");
  put_entry(expected, 1, "ob");
  CAF_CHECK_EQUAL(buf, expected);
  name_list back;
  CAF_REQUIRE(decodes(buf, &back));
  CAF_CHECK_EQUAL(back, xs);
  // a room of 10,000 similar names: about 3 bytes a name
  name_list room;
  for (int i = 0; i < 10000; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "user%05d", i);
    room.names.emplace_back(name);
  }
  auto big = to_wire(room);
  CAF_MESSAGE("10,000 names in " << big.size() << " bytes");
  CAF_CHECK_LESS(big.size(), 4u * 10000);
  CAF_REQUIRE(decodes(big, &back));
  CAF_CHECK_EQUAL(back, room);
  // lengths from 128 on take two varint bytes
  name_list longer{{std::string(200, 'a'), std::string(200, 'a') + "b"}};
  CAF_REQUIRE(decodes(to_wire(longer), &back));
  CAF_CHECK_EQUAL(back, longer);
}

CAF_TEST(a name list out of order or with a repeat is rejected) {
  auto list_of = [](std::initializer_list<std::pair<uint8_t, std::string>> es) {
    std::vector<char> buf;
    put_u32(buf, static_cast<uint32_t>(es.size()));
    for (auto& [shared, rest] : es)
      put_entry(buf, shared, rest);
    return buf;
  };
  CAF_CHECK(decodes(list_of({{0, "alice"}, {0, "bob"}})));
  CAF_CHECK(!decodes(list_of({{0, "bob"}, {0, "alice"}}))); // descending
  CAF_CHECK(!decodes(list_of({{0, "bob"}, {0, "bob"}})));   // a repeat
  CAF_CHECK(!decodes(list_of({{0, "bob"}, {3, ""}})));      // empty rest
  CAF_CHECK(!decodes(list_of({{0, "bob"}, {4, "x"}})));     // shares too much
  CAF_CHECK(!decodes(list_of({{1, "bob"}})));               // first shares
  CAF_CHECK(!decodes(list_of({{0, ""}})));                  // empty name
  // one encoding only: "alicia" after "alici" must share all five bytes
  CAF_CHECK(decodes(list_of({{0, "alici"}, {5, "a"}})));
  CAF_CHECK(!decodes(list_of({{0, "alici"}, {4, "ia"}}))); // found by fuzzing
  // truncated: a rest longer than the bytes, a varint cut off
  auto cut = list_of({{0, "alice"}});
  cut.pop_back();
  CAF_CHECK(!decodes(cut));
  std::vector<char> open_varint;
  put_u32(open_varint, 1);
  open_varint.push_back(static_cast<char>(0x80));
  CAF_CHECK(!decodes(open_varint));
  // a varint in more bytes than it needs (found by fuzzing)
  std::vector<char> overlong;
  put_u32(overlong, 1);
  overlong.push_back(0);
  overlong.push_back(static_cast<char>(0x82));
  overlong.push_back(0);
  overlong.insert(overlong.end(), {'a', 'b'});
  CAF_CHECK(!decodes(overlong));
  // a count the bytes cannot hold (3 bytes per name at least)
  std::vector<char> lie;
  put_u32(lie, 3);
  put_entry(lie, 0, "abcd");
  CAF_CHECK(!decodes(lie));
}

CAF_TEST(a name list cannot expand beyond its bound) {
  // Each name shares all of the previous one and adds a byte: 3 bytes on
  // the wire build ever longer names (up to 1024 bytes each).
  std::vector<char> bomb;
  const uint32_t n = 20000;
  put_u32(bomb, n);
  put_entry(bomb, 0, "a");
  for (uint32_t i = 1; i < n; ++i) {
    auto shared = std::min<uint32_t>(i, name_list_max_name - 1);
    // two-byte varint for shared >= 128
    if (shared < 128) {
      bomb.push_back(static_cast<char>(shared));
    } else {
      bomb.push_back(static_cast<char>((shared & 0x7F) | 0x80));
      bomb.push_back(static_cast<char>(shared >> 7));
    }
    bomb.push_back(1);
    bomb.push_back(static_cast<char>('a' + (i % 2 == 0 ? 0 : 1)));
  }
  name_list xs;
  wire_reader r{bomb.data(), bomb.size()};
  r(xs);
  CAF_CHECK(!r.ok());
  size_t built = 0;
  for (auto& x : xs.names)
    built += x.size();
  CAF_MESSAGE(bomb.size() << " bytes stopped after building " << built);
  // unbounded, the list would build ~20 MB from ~60 KB
  CAF_CHECK_LESS(built, 16384u);
  // a name over the longest a list holds
  std::vector<char> huge;
  put_u32(huge, 1);
  huge.push_back(0);
  huge.push_back(static_cast<char>(0x81)); // 1025 = 0x81 0x08
  huge.push_back(0x08);
  huge.insert(huge.end(), 1025, 'x');
  CAF_CHECK(!decodes(huge));
}
