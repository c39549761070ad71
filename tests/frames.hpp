#pragma once

// Frames as the suites read and make them: the frames of one type decoded,
// a message as the receiving channel hands it out, and a frame around a
// deliberately bad payload. Nothing here writes a frame header: net/ does.

#include <cstdint>
#include <vector>

#include <caf/test/unit_test.hpp>

#include "net/frame.hpp"
#include "net/frame_channel.hpp"
#include "net/wire.hpp"

namespace test_support {

/// Every frame of type T in `frames`, decoded; one of that type that does
/// not decode fails the test (a peer under test sent a broken frame).
template <class T>
std::vector<T> decoded(const std::vector<net::frame>& frames) {
  std::vector<T> out;
  for (auto& f : frames) {
    if (f.type != T::wire_type)
      continue;
    auto x = net::decode_payload<T>(f);
    CAF_REQUIRE(x);
    out.push_back(std::move(*x));
  }
  return out;
}

/// `msg` as the frame a receiving channel hands out, without a peer: a
/// plain channel fed its own output.
template <class T>
net::frame frame_of(const T& msg) {
  auto ch = net::frame_channel::plain(64 << 20);
  ch.send(msg);
  std::vector<char> bytes;
  ch.take_output(bytes);
  CAF_REQUIRE(ch.feed(bytes.data(), bytes.size()));
  auto f = ch.next();
  CAF_REQUIRE(f);
  return std::move(*f);
}

/// A frame of wire type `Type` around `bytes` as they are, for hostile
/// tests: the channel frames it, so the length is right and only the type
/// or the payload is wrong.
template <uint8_t Type>
struct raw_payload {
  static constexpr uint8_t wire_type = Type;
  std::vector<char> bytes;
};

/// The payload goes out unencoded (no count prefix).
template <uint8_t Type>
void inspect(net::wire_writer& f, raw_payload<Type>& x) {
  f.put_raw(x.bytes.data(), x.bytes.size());
}

} // namespace test_support
