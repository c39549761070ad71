#pragma once

// Framing: every frame is
//   u32 length (big-endian, counts the type byte and the payload, >= 1)
//   u8  type   (the wire_type of a message struct)
//   payload    (the wire encoding of that struct, net/wire.hpp)
// The length is checked against the configured maximum before any payload
// byte is buffered, so a hostile length costs nothing.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "net/error.hpp"
#include "net/wire.hpp"

namespace net {

constexpr size_t frame_header_size = 5;

/// One received frame: its type and its payload bytes.
struct frame {
  uint8_t type = 0;
  std::vector<char> payload;
};

/// Appends a complete frame (header + payload) for `msg` to `out`.
template <class T>
void append_frame(std::vector<char>& out, const T& msg) {
  auto start = out.size();
  out.resize(start + frame_header_size);
  wire_writer w{out};
  w(const_cast<T&>(msg));
  auto len = static_cast<uint32_t>(out.size() - start - 4);
  out[start] = static_cast<char>(len >> 24);
  out[start + 1] = static_cast<char>(len >> 16);
  out[start + 2] = static_cast<char>(len >> 8);
  out[start + 3] = static_cast<char>(len);
  out[start + 4] = static_cast<char>(T::wire_type);
}

/// A complete frame for `msg`.
template <class T>
std::vector<char> encode_frame(const T& msg) {
  std::vector<char> out;
  append_frame(out, msg);
  return out;
}

/// Decodes the payload of `f` as a `T`; an error names what was wrong.
template <class T>
[[nodiscard]] result<T> decode_payload(const frame& f) {
  T x;
  if (f.type != T::wire_type)
    return make_error(errc::protocol, "unexpected frame type");
  if (!from_wire(f.payload.data(), f.payload.size(), x))
    return make_error(errc::protocol, "malformed payload of frame type " +
                                          std::to_string(f.type));
  return x;
}

/// Splits a byte stream into frames. Feed it bytes as they arrive; pull
/// frames with `next()`. After an error the decoder stays failed.
class frame_decoder {
public:
  explicit frame_decoder(uint32_t max_frame_size);

  /// Consumes input. Returns false once the stream is malformed.
  bool feed(const char* data, size_t size);

  /// The next complete frame, if any.
  [[nodiscard]] std::optional<frame> next();

  /// Changes the limit for frames whose header has not arrived yet (the
  /// session raises it after WELCOME).
  void max_frame_size(uint32_t n) {
    max_frame_size_ = n;
  }

  /// Set after a malformed stream: what was wrong.
  const std::string& error() const {
    return error_;
  }

  bool failed() const {
    return !error_.empty();
  }

  /// Bytes held for an incomplete frame (for memory accounting).
  size_t buffered() const {
    return header_fill_ + current_.payload.size();
  }

private:
  uint32_t max_frame_size_;
  char header_[frame_header_size] = {};
  size_t header_fill_ = 0;
  size_t payload_size_ = 0;
  frame current_;
  std::deque<frame> ready_;
  std::string error_;
};

} // namespace net
