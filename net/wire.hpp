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
//   name_list             u32 count, then per name: the bytes it shares with
//                         the previous name and the length of the rest, as
//                         LEB128 varints, then the rest (front coding)
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

/// A set of names in ascending byte order, front-coded on the wire: a room
/// of similar names ("bench-0001", "bench-0002" ...) costs a few bytes per
/// name instead of four plus the name. The decoder checks the order (so a
/// list never names anyone twice) and bounds what it builds by the bytes
/// it read (`name_list_max_expansion`).
struct name_list {
  std::vector<std::string> names; ///< strictly ascending, none empty

  friend bool operator==(const name_list& x, const name_list& y) {
    return x.names == y.names;
  }
  friend bool operator!=(const name_list& x, const name_list& y) {
    return !(x == y);
  }
  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, name_list& x) {
    return f(caf::meta::type_name("name_list"), x.names);
  }
};

/// The longest name a name_list holds (the server's max-name-length cannot
/// exceed it).
constexpr size_t name_list_max_name = 1024;

/// A decoded name_list holds at most this many times the bytes it took on
/// the wire (plus one name): similar names expand ~4-12x, a hostile list of
/// ever longer shared prefixes would expand ~340x without the bound.
constexpr size_t name_list_max_expansion = 16;

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

  void put_varint(uint32_t x) {
    while (x >= 0x80) {
      buf_.push_back(static_cast<char>((x & 0x7F) | 0x80));
      x >>= 7;
    }
    buf_.push_back(static_cast<char>(x));
  }

private:
  /// Front coding; `xs.names` must be ascending (the encoder does not sort:
  /// the sender knows its order, and a decoder rejects any other).
  void put_names(const name_list& xs) {
    put_int(static_cast<uint32_t>(xs.names.size()));
    const std::string* prev = nullptr;
    for (auto& name : xs.names) {
      size_t shared = 0;
      if (prev != nullptr)
        while (shared < prev->size() && shared < name.size() &&
               (*prev)[shared] == name[shared])
          ++shared;
      put_varint(static_cast<uint32_t>(shared));
      put_varint(static_cast<uint32_t>(name.size() - shared));
      put_raw(name.data() + shared, name.size() - shared);
      prev = &name;
    }
  }

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
    } else if constexpr (std::is_same_v<V, name_list>) {
      put_names(x);
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

  /// An unsigned LEB128 varint of at most five bytes, in its shortest form.
  bool get_varint(uint32_t& x) {
    x = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t b = 0;
      if (!get_int(b))
        return false;
      if (shift == 28 && b > 0x0F)
        return fail();
      x |= static_cast<uint32_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0)
        return b != 0 || shift == 0 || fail(); // no overlong encodings
    }
    return fail();
  }

  /// Each name takes at least three bytes (two varints and one new byte:
  /// ascending names never repeat a prefix alone).
  void get_names(name_list& xs) {
    auto start = pos_;
    uint32_t n = 0;
    if (!get_count(n, 3))
      return;
    xs.names.clear();
    size_t built = 0;
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t shared = 0;
      uint32_t rest = 0;
      if (!get_varint(shared) || !get_varint(rest))
        return;
      auto* prev = xs.names.empty() ? nullptr : &xs.names.back();
      if (shared > (prev ? prev->size() : 0) || rest == 0 ||
          rest > remaining() || shared + size_t{rest} > name_list_max_name) {
        fail();
        return;
      }
      // One encoding per list: `shared` is the whole common prefix, so the
      // rest cannot start with the previous name's next byte.
      if (prev && shared < prev->size() && (*prev)[shared] == *pos_) {
        fail();
        return;
      }
      built += shared + rest;
      auto read = static_cast<size_t>(pos_ - start) + rest;
      if (built > name_list_max_expansion * read + name_list_max_name) {
        fail();
        return;
      }
      std::string name;
      name.reserve(shared + rest);
      if (prev)
        name.assign(*prev, 0, shared);
      name.append(pos_, rest);
      pos_ += rest;
      if (prev && !(*prev < name)) {
        fail();
        return;
      }
      xs.names.push_back(std::move(name));
    }
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
    } else if constexpr (std::is_same_v<V, name_list>) {
      get_names(x);
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
