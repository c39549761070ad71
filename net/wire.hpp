#pragma once

// The wire encoding of message payloads, driven by the same `inspect`
// overloads that CAF uses, so a message type has exactly one definition.
//
// Encoding (all integers big-endian):
//   bool / uint8_t        1 byte
//   uintN_t / intN_t      N/8 bytes
//   std::string           u32 byte count, then the bytes (no terminator)
//   std::vector<uint8_t>  u32 byte count, then the bytes
//   std::vector<T>        u32 element count, then each element
//   struct                its inspected fields in order, no padding or tags

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/meta/annotation.hpp>
#include <caf/meta/type_name.hpp>

namespace net {

using bytes = std::vector<uint8_t>;

namespace detail {

template <class T>
struct is_vector : std::false_type {};

template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

} // namespace detail

/// Appends the wire encoding of inspected values to a buffer.
class wire_writer {
public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  explicit wire_writer(std::vector<char>& buf) : buf_(buf) {
    // nop
  }

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (apply(xs), ...);
  }

  void put_raw(const void* data, size_t n) {
    auto p = static_cast<const char*>(data);
    buf_.insert(buf_.end(), p, p + n);
  }

  template <class T>
  void put_int(T x) {
    using U = std::make_unsigned_t<T>;
    auto u = static_cast<U>(x);
    for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8)
      buf_.push_back(static_cast<char>((u >> shift) & 0xFF));
  }

private:
  template <class T>
  void apply(T& x) {
    using V = std::decay_t<T>;
    if constexpr (caf::meta::is_annotation<V>::value) {
      // nop: type names and other annotations are not on the wire
    } else if constexpr (std::is_same_v<V, bool>) {
      put_int<uint8_t>(x ? 1 : 0);
    } else if constexpr (std::is_integral_v<V>) {
      put_int(x);
    } else if constexpr (std::is_same_v<V, std::string>) {
      put_int(static_cast<uint32_t>(x.size()));
      put_raw(x.data(), x.size());
    } else if constexpr (detail::is_vector<V>::value) {
      put_int(static_cast<uint32_t>(x.size()));
      if constexpr (std::is_same_v<typename V::value_type, uint8_t>)
        put_raw(x.data(), x.size());
      else
        for (auto& y : x)
          apply(y);
    } else {
      inspect(*this, const_cast<V&>(x));
    }
  }

  std::vector<char>& buf_;
};

/// Adds up the fewest bytes an inspected value can take on the wire (every
/// string and vector empty).
class wire_min_size {
public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (apply(xs), ...);
  }

  size_t total = 0;

private:
  template <class T>
  void apply(T& x) {
    using V = std::decay_t<T>;
    if constexpr (caf::meta::is_annotation<V>::value) {
      // nop
    } else if constexpr (std::is_integral_v<V>) {
      total += sizeof(V); // bool too: one byte
    } else if constexpr (std::is_same_v<V, std::string> ||
                         detail::is_vector<V>::value) {
      total += 4;
    } else {
      inspect(*this, x);
    }
  }
};

/// The fewest bytes a `T` takes on the wire (at least 1).
template <class T>
size_t min_wire_size() {
  static const size_t n = [] {
    T x{};
    wire_min_size f;
    f(x);
    return f.total > 0 ? f.total : size_t{1};
  }();
  return n;
}

/// Decodes inspected values from a byte range; never reads out of bounds
/// and never allocates more than the remaining input could justify.
class wire_reader {
public:
  using result_type = void;
  static constexpr bool reads_state = false;
  static constexpr bool writes_state = true;

  wire_reader(const char* data, size_t size) : pos_(data), end_(data + size) {
    // nop
  }

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (apply(xs), ...);
  }

  /// True while every read so far stayed within the input.
  bool ok() const {
    return ok_;
  }

  /// True when the input was consumed exactly.
  bool done() const {
    return ok_ && pos_ == end_;
  }

  size_t remaining() const {
    return static_cast<size_t>(end_ - pos_);
  }

  template <class T>
  bool get_int(T& x) {
    using U = std::make_unsigned_t<T>;
    if (!ok_ || remaining() < sizeof(T))
      return fail();
    U u = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      u = static_cast<U>((u << 8) | static_cast<uint8_t>(pos_[i]));
    pos_ += sizeof(T);
    x = static_cast<T>(u);
    return true;
  }

private:
  bool fail() {
    ok_ = false;
    return false;
  }

  /// Reads a count of elements that take at least `min_size` bytes each;
  /// a count the remaining input cannot hold is a lie, rejected before
  /// anything is allocated.
  bool get_count(uint32_t& n, size_t min_size = 1) {
    return get_int(n) && (n <= remaining() / min_size || fail());
  }

  template <class T>
  void apply(T& x) {
    using V = std::decay_t<T>;
    if (!ok_)
      return;
    if constexpr (caf::meta::is_annotation<V>::value) {
      // nop
    } else if constexpr (std::is_same_v<V, bool>) {
      uint8_t b = 0;
      if (get_int(b)) {
        if (b > 1)
          fail();
        x = b == 1;
      }
    } else if constexpr (std::is_integral_v<V>) {
      get_int(x);
    } else if constexpr (std::is_same_v<V, std::string>) {
      uint32_t n = 0;
      if (get_count(n)) {
        x.assign(pos_, n);
        pos_ += n;
      }
    } else if constexpr (detail::is_vector<V>::value) {
      using E = typename V::value_type;
      uint32_t n = 0;
      if (!get_count(n, min_wire_size<E>()))
        return;
      x.clear();
      if constexpr (std::is_same_v<E, uint8_t>) {
        x.assign(reinterpret_cast<const uint8_t*>(pos_),
                 reinterpret_cast<const uint8_t*>(pos_) + n);
        pos_ += n;
      } else {
        // Only where an element in memory is no bigger than on the wire is
        // reserve(n) bounded by the input; a struct (peer_info: 80 bytes in
        // memory, 12 on the wire) grows with what actually decodes.
        if constexpr (std::is_arithmetic_v<E>)
          x.reserve(n);
        for (uint32_t i = 0; i < n && ok_; ++i) {
          x.emplace_back();
          apply(x.back());
        }
      }
    } else {
      inspect(*this, x);
    }
  }

  const char* pos_;
  const char* end_;
  bool ok_ = true;
};

/// Encodes one value (without frame header).
template <class T>
std::vector<char> to_wire(const T& x) {
  std::vector<char> buf;
  wire_writer w{buf};
  w(const_cast<T&>(x));
  return buf;
}

/// Decodes one value that must span the whole input exactly.
template <class T>
[[nodiscard]] bool from_wire(const char* data, size_t size, T& x) {
  wire_reader r{data, size};
  r(x);
  return r.done();
}

} // namespace net
