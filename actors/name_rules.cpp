#include "actors/name_rules.hpp"

#include <algorithm>
#include <cctype>

#include "net/error.hpp"
#include "net/utf8.hpp"

namespace actors {

namespace {

bool forbidden(uint32_t cp) {
  return cp < 0x21                          // C0 controls and space
         || (cp >= 0x7F && cp <= 0xA0)      // DEL, C1 controls, NBSP
         || cp == 0x1680 || cp == 0x180E    // ogham space, mongolian sep.
         || (cp >= 0x2000 && cp <= 0x200F)  // spaces, zero width, bidi marks
         || (cp >= 0x2028 && cp <= 0x202F)  // separators, bidi embeddings
         || (cp >= 0x205F && cp <= 0x206F)  // math space, invisible ops
         || cp == 0x3000 || cp == 0xFEFF    // ideographic space, BOM
         || (cp >= 0xFFF9 && cp <= 0xFFFB); // interlinear annotations
}

} // namespace

caf::error validate_name(const std::string& name, uint32_t max_length) {
  using net::errc;
  if (name.empty())
    return net::make_error(errc::bad_name, "name is empty");
  if (name.size() > max_length)
    return net::make_error(errc::bad_name, "name is longer than " +
                                               std::to_string(max_length) +
                                               " bytes");
  if (!net::is_valid_utf8(name))
    return net::make_error(errc::bad_name, "name is not valid UTF-8");
  bool bad = false;
  net::for_each_code_point(name, [&](uint32_t cp) { bad |= forbidden(cp); });
  if (bad)
    return net::make_error(errc::bad_name,
                           "name contains whitespace or control characters");
  auto lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "all")
    return net::make_error(errc::bad_name,
                           "'all' is reserved (it means everyone)");
  return caf::none;
}

} // namespace actors
