#pragma once

// encoded<T>: a message of type T already encoded as one complete frame,
// immutable and shared. Encode once, fan out to many recipients (the
// registry's directory snapshot and deltas) without hiding the type: an
// actor that accepts encoded<net::directory> says what it receives, tests
// decode it back, and CAF serializes it (the frame bytes) when it crosses a
// node boundary.

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/detail/stringification_inspector.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "net/error.hpp"
#include "net/frame.hpp"

namespace net {

template <class T>
class encoded {
public:
  encoded() = default;

  /// Encodes `msg` once.
  explicit encoded(const T& msg)
      : frame_(std::make_shared<const std::vector<char>>(encode_frame(msg))) {
    // nop
  }

  /// The complete frame (header and payload); empty for a default value.
  const std::vector<char>& frame() const {
    static const std::vector<char> none;
    return frame_ ? *frame_ : none;
  }

  /// Decodes the frame back into a T (tests, and a receiver that needs the
  /// fields rather than the bytes).
  [[nodiscard]] result<T> decode() const {
    auto& buf = frame();
    if (buf.size() < frame_header_size)
      return make_error(errc::protocol, "empty encoded frame");
    net::frame f;
    f.type = static_cast<uint8_t>(buf[4]);
    f.payload.assign(buf.begin() + frame_header_size, buf.end());
    return decode_payload<T>(f);
  }

  friend bool operator==(const encoded& x, const encoded& y) {
    return x.frame_ == y.frame_ || x.frame() == y.frame();
  }

  friend bool operator!=(const encoded& x, const encoded& y) {
    return !(x == y);
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, encoded& x) {
    auto name = caf::meta::type_name("encoded");
    if constexpr (std::is_same<
                      Inspector,
                      caf::detail::stringification_inspector>::value) {
      auto size = std::to_string(x.frame().size()) + " bytes";
      return f(name, size);
    } else if constexpr (Inspector::reads_state) {
      auto bytes = x.frame();
      return f(name, bytes);
    } else {
      // Loading: the bytes come from another node and are checked like any
      // frame before they are trusted (the type byte must be T's).
      auto bytes = std::make_shared<std::vector<char>>();
      auto done = caf::meta::load_callback([&x, bytes]() -> caf::error {
        if (bytes->size() < frame_header_size ||
            static_cast<uint8_t>((*bytes)[4]) != T::wire_type)
          return make_error(errc::protocol, "encoded frame of another type");
        x.frame_ = bytes;
        return caf::none;
      });
      return f(name, *bytes, done);
    }
  }

private:
  std::shared_ptr<const std::vector<char>> frame_;
};

} // namespace net
