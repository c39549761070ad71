#pragma once

#include <cstdint>
#include <string_view>

namespace net {

/// True for well-formed UTF-8: no overlong forms, surrogates or code points
/// beyond U+10FFFF.
[[nodiscard]] bool is_valid_utf8(std::string_view text);

/// Calls `f(code_point)` for each code point of valid UTF-8 text.
template <class F>
void for_each_code_point(std::string_view text, F f) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<uint8_t>(text[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      n = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (size_t k = 1; k < n && i + k < text.size(); ++k)
      cp = (cp << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
    f(cp);
    i += n;
  }
}

} // namespace net
