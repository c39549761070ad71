#include "net/unicode.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include "net/utf8.hpp"

namespace net {

std::string to_nfc(std::string_view text) {
  // fromUTF8 would silently turn bad bytes into U+FFFD: keep them visible.
  if (!is_valid_utf8(text))
    return std::string{text};
  UErrorCode status = U_ZERO_ERROR;
  auto nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status))
    return std::string{text};
  auto src = icu::UnicodeString::fromUTF8(
      icu::StringPiece{text.data(), static_cast<int32_t>(text.size())});
  auto normalized = nfc->normalize(src, status);
  if (U_FAILURE(status))
    return std::string{text};
  std::string result;
  normalized.toUTF8String(result);
  return result;
}

} // namespace net
