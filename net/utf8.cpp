#include "net/utf8.hpp"

namespace net {

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  auto cont = [&](size_t k) {
    return i + k < text.size() &&
           (static_cast<uint8_t>(text[i + k]) & 0xC0) == 0x80;
  };
  while (i < text.size()) {
    auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(1))
        return false;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(1) || !cont(2))
        return false;
      auto c1 = static_cast<uint8_t>(text[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))
        return false; // overlong or surrogate
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3))
        return false;
      auto c1 = static_cast<uint8_t>(text[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
        return false; // overlong or beyond U+10FFFF
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

} // namespace net
