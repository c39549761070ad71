#pragma once

// Shared by the wire codec suites: a message through encode_frame, the
// frame decoder and decode_payload.

#include <caf/test/unit_test.hpp>

#include "net/frame.hpp"

namespace test_support {

/// `x` encoded as one frame and decoded again; the bytes must hold exactly
/// one frame, and its payload must decode as T.
template <class T>
T round_trip(const T& x) {
  auto buf = net::encode_frame(x);
  net::frame_decoder dec{1 << 20};
  CAF_REQUIRE(dec.feed(buf.data(), buf.size()));
  auto f = dec.next();
  CAF_REQUIRE(f.has_value());
  CAF_CHECK(!dec.next().has_value());
  auto y = net::decode_payload<T>(*f);
  CAF_REQUIRE(y);
  return *y;
}

} // namespace test_support
