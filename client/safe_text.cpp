#include "client/safe_text.hpp"

#include <cstdint>
#include <cstdio>

namespace client {

namespace {

void hex_byte(std::string& out, uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02x", b);
  out += buf;
}

void hex_code_point(std::string& out, uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
  out += buf;
}

bool needs_escape(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F)        // C1 controls
         || cp == 0x061C                   // arabic letter mark
         || cp == 0x200E || cp == 0x200F   // LRM, RLM
         || (cp >= 0x202A && cp <= 0x202E) // embeddings, overrides
         || (cp >= 0x2066 && cp <= 0x2069) // isolates
         || cp == 0x2028 || cp == 0x2029;  // line, paragraph sep.
}

/// Length of the well-formed UTF-8 sequence at `s[i]` (>= 0x80), or 0;
/// the code point goes to `cp`. Same rules as net::is_valid_utf8.
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  auto c = b(0);
  size_t n;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < n)
    return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

} // namespace

std::string safe_text(std::string_view untrusted) {
  std::string out;
  out.reserve(untrusted.size());
  size_t i = 0;
  while (i < untrusted.size()) {
    auto c = static_cast<uint8_t>(untrusted[i]);
    if (c < 0x80) {
      if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else if (c < 0x20 || c == 0x7F)
        hex_byte(out, c);
      else
        out += static_cast<char>(c);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    auto n = decode(untrusted, i, cp);
    if (n == 0) {
      hex_byte(out, c); // invalid: this byte only, then resynchronize
      ++i;
    } else {
      if (needs_escape(cp))
        hex_code_point(out, cp);
      else
        out.append(untrusted.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string safe_lines(std::string_view header, std::string_view untrusted) {
  std::string out{header};
  for (bool first = true;; first = false) {
    auto lf = untrusted.find('\n');
    if (!first) {
      out += '\n';
      out += continuation_indent;
    }
    out += safe_text(untrusted.substr(0, lf));
    if (lf == std::string_view::npos)
      return out;
    untrusted.remove_prefix(lf + 1);
  }
}

} // namespace client
