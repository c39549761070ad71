#include "actors/name_rules.hpp"

#include <cstdio>
#include <memory>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>

#include "net/error.hpp"
#include "net/utf8.hpp"

namespace actors {

namespace {

struct spoof_deleter {
  void operator()(USpoofChecker* sc) const {
    uspoof_close(sc);
  }
};

/// One configured checker, shared: ICU's check functions are thread-safe
/// on a checker that is no longer being configured.
const USpoofChecker* checker() {
  static std::unique_ptr<USpoofChecker, spoof_deleter> sc = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<USpoofChecker, spoof_deleter> result{uspoof_open(&status)};
    // Latin plus one other script (not Cyrillic, Greek or Cherokee), or one
    // script alone: "аlice" (Cyrillic а) fails, "日本語" passes.
    uspoof_setRestrictionLevel(result.get(), USPOOF_MODERATELY_RESTRICTIVE);
    uspoof_setChecks(result.get(),
                     USPOOF_RESTRICTION_LEVEL | USPOOF_INVISIBLE |
                         USPOOF_MIXED_NUMBERS,
                     &status);
    if (U_FAILURE(status))
      result.reset();
    return result;
  }();
  return sc.get();
}

std::string code_point(UChar32 c) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(c));
  return buf;
}

caf::error refuse(std::string why) {
  return net::make_error(net::errc::bad_name, std::move(why));
}

/// An identifier character per UTS #39 (Identifier_Status=Allowed), or one
/// whose NFKC case folding is made of those (fullwidth and other
/// compatibility forms: they are refused as look-alikes by the key instead),
/// or printable ASCII, which the protocol has always accepted ("bob-2").
bool allowed(UChar32 c, const icu::Normalizer2& nfkc_cf) {
  if (c > 0x20 && c < 0x7F)
    return true;
  UErrorCode status = U_ZERO_ERROR;
  const USet* recommended = uspoof_getRecommendedSet(&status);
  if (U_FAILURE(status))
    return false;
  if (uset_contains(recommended, c))
    return true;
  auto folded = nfkc_cf.normalize(icu::UnicodeString{c}, status);
  if (U_FAILURE(status) || folded.isEmpty())
    return false;
  for (int32_t i = 0; i < folded.length();) {
    auto d = folded.char32At(i);
    if (!uset_contains(recommended, d))
      return false;
    i += U16_LENGTH(d);
  }
  return true;
}

/// Why the code point `c` may not appear in a name, or "".
std::string forbidden(UChar32 c, const icu::Normalizer2& nfkc_cf) {
  auto type = u_charType(c);
  if (u_isUWhiteSpace(c))
    return "names may not contain whitespace (" + code_point(c) + ")";
  if (type == U_CONTROL_CHAR)
    return "names may not contain control characters (" + code_point(c) + ")";
  // Default_Ignorable covers soft hyphen, zero-width characters, bidi
  // controls, tag characters, variation selectors and the Hangul fillers
  // (U+3164, U+FFA0); Cf adds visible-by-nobody formats outside it.
  if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
      type == U_FORMAT_CHAR)
    return "names may not contain invisible characters (" + code_point(c) + ")";
  if (type == U_PRIVATE_USE_CHAR)
    return "names may not contain private-use characters (" + code_point(c) +
           ")";
  if (type == U_UNASSIGNED)
    return "names may not contain unassigned code points (" + code_point(c) +
           ")";
  // What is left and not an identifier character: symbols such as the
  // blank Braille pattern U+2800 (no Unicode property calls it invisible;
  // UTS #39 excludes it from identifiers), emoji, box drawing...
  if (!allowed(c, nfkc_cf))
    return "names may not contain " + code_point(c) +
           " (not an identifier character, UTS #39)";
  return "";
}

icu::UnicodeString from_utf8(const std::string& text) {
  return icu::UnicodeString::fromUTF8(
      icu::StringPiece{text.data(), static_cast<int32_t>(text.size())});
}

} // namespace

caf::error validate_name(const std::string& name, uint32_t max_length) {
  if (name.empty())
    return refuse("name is empty");
  if (name.size() > max_length)
    return refuse("name is longer than " + std::to_string(max_length) +
                  " bytes");
  if (!net::is_valid_utf8(name))
    return refuse("name is not valid UTF-8");
  UErrorCode status = U_ZERO_ERROR;
  auto nfc = icu::Normalizer2::getNFCInstance(status);
  auto nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  auto sc = checker();
  if (U_FAILURE(status) || sc == nullptr)
    return refuse("names cannot be checked (ICU data missing)");
  auto text = from_utf8(name);
  // The client signs its name in HELLO: the server cannot normalize it
  // behind the signature's back, so a non-NFC name is refused instead.
  if (!nfc->isNormalized(text, status) || U_FAILURE(status))
    return refuse("name must be in NFC form");
  for (int32_t i = 0; i < text.length();) {
    auto c = text.char32At(i);
    if (auto why = forbidden(c, *nfkc_cf); !why.empty())
      return refuse(std::move(why));
    i += U16_LENGTH(c);
  }
  if (U_GET_GC_MASK(text.char32At(0)) & U_GC_M_MASK)
    return refuse("names may not start with a combining mark");
  auto checks = uspoof_check2UTF8(
      sc, name.data(), static_cast<int32_t>(name.size()), nullptr, &status);
  if (U_FAILURE(status))
    return refuse("names cannot be checked (" +
                  std::string{u_errorName(status)} + ")");
  if (checks & USPOOF_RESTRICTION_LEVEL)
    return refuse("names may not mix scripts (letters that look alike "
                  "across scripts impersonate others)");
  if (checks & USPOOF_INVISIBLE)
    return refuse("names may not repeat a combining mark (the copies stack "
                  "invisibly)");
  if (checks & USPOOF_MIXED_NUMBERS)
    return refuse("names may not mix digits from different scripts");
  if (uniqueness_key(name) == uniqueness_key("all"))
    return refuse("'all' is reserved (it means everyone)");
  return caf::none;
}

std::string uniqueness_key(const std::string& name) {
  UErrorCode status = U_ZERO_ERROR;
  auto nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  auto sc = checker();
  if (U_FAILURE(status) || sc == nullptr)
    return name;
  auto folded = nfkc_cf->normalize(from_utf8(name), status);
  if (U_FAILURE(status))
    return name;
  icu::UnicodeString skeleton;
  uspoof_getSkeletonUnicodeString(sc, 0, folded, skeleton, &status);
  if (U_FAILURE(status))
    return name;
  std::string key;
  skeleton.toUTF8String(key);
  return key;
}

} // namespace actors
