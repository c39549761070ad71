#define CAF_SUITE utf8
#include <caf/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "net/utf8.hpp"

// net/utf8.hpp: the well-formedness check behind names and message text
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).

using net::for_each_code_point;
using net::is_valid_utf8;

namespace {

std::vector<uint32_t> code_points(const std::string& s) {
  std::vector<uint32_t> out;
  for_each_code_point(s, [&](uint32_t cp) { out.push_back(cp); });
  return out;
}

} // namespace

CAF_TEST(well formed text of every length is accepted) {
  CAF_CHECK(is_valid_utf8(""));
  CAF_CHECK(is_valid_utf8("plain ascii, with \t and \x7f"));
  CAF_CHECK(is_valid_utf8(std::string{"nul\0inside", 10}));
  CAF_CHECK(is_valid_utf8("Zo\xC3\xAB"));            // U+00EB, 2 bytes
  CAF_CHECK(is_valid_utf8("\xE2\x82\xAC"));          // U+20AC, 3 bytes
  CAF_CHECK(is_valid_utf8("\xF0\x9F\x90\xB1"));      // U+1F431, 4 bytes
}

CAF_TEST(the boundaries of each length are exact) {
  CAF_CHECK(is_valid_utf8("\xC2\x80"));          // U+0080, smallest 2-byte
  CAF_CHECK(is_valid_utf8("\xDF\xBF"));          // U+07FF
  CAF_CHECK(is_valid_utf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
  CAF_CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, below surrogates
  CAF_CHECK(is_valid_utf8("\xEE\x80\x80"));      // U+E000, above them
  CAF_CHECK(is_valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
  CAF_CHECK(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
  CAF_CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last
}

CAF_TEST(overlong forms are refused) {
  CAF_CHECK(!is_valid_utf8("\xC0\xAF"));         // '/' in 2 bytes
  CAF_CHECK(!is_valid_utf8("\xC1\xBF"));         // U+007F in 2 bytes
  CAF_CHECK(!is_valid_utf8("\xC0\x80"));         // NUL in 2 bytes
  CAF_CHECK(!is_valid_utf8("\xE0\x80\xAF"));     // '/' in 3 bytes
  CAF_CHECK(!is_valid_utf8("\xE0\x9F\xBF"));     // U+07FF in 3 bytes
  CAF_CHECK(!is_valid_utf8("\xF0\x80\x80\xAF")); // '/' in 4 bytes
  CAF_CHECK(!is_valid_utf8("\xF0\x8F\xBF\xBF")); // U+FFFF in 4 bytes
}

CAF_TEST(surrogates and code points beyond U+10FFFF are refused) {
  CAF_CHECK(!is_valid_utf8("\xED\xA0\x80"));         // U+D800
  CAF_CHECK(!is_valid_utf8("\xED\xBF\xBF"));         // U+DFFF
  CAF_CHECK(!is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80")); // CESU-8 pair
  CAF_CHECK(!is_valid_utf8("\xF4\x90\x80\x80"));     // U+110000
  CAF_CHECK(!is_valid_utf8("\xF5\x80\x80\x80"));     // lead byte F5
  CAF_CHECK(!is_valid_utf8("\xF8\x88\x80\x80\x80")); // old 5-byte form
  CAF_CHECK(!is_valid_utf8("\xFF"));
  CAF_CHECK(!is_valid_utf8("\xFE"));
}

CAF_TEST(broken sequences are refused wherever they are) {
  CAF_CHECK(!is_valid_utf8("\x80"));              // lone continuation
  CAF_CHECK(!is_valid_utf8("ok\xBF"));
  CAF_CHECK(!is_valid_utf8("\xC3"));              // truncated at the end
  CAF_CHECK(!is_valid_utf8("\xE2\x82"));
  CAF_CHECK(!is_valid_utf8("\xF0\x9F\x90"));
  CAF_CHECK(!is_valid_utf8("\xC3" "a"));          // lead, then ASCII
  CAF_CHECK(!is_valid_utf8("\xE2\x82" "a"));
  CAF_CHECK(!is_valid_utf8("\xE2\xC3\xAB"));      // lead, then a new lead
  CAF_CHECK(!is_valid_utf8("fine \xC3\xAB, then \xC3"));
}

CAF_TEST(code points of valid text are decoded in order) {
  CAF_CHECK(code_points("") == std::vector<uint32_t>{});
  CAF_CHECK(code_points("aZ") == (std::vector<uint32_t>{'a', 'Z'}));
  CAF_CHECK(code_points("Zo\xC3\xAB") ==
            (std::vector<uint32_t>{'Z', 'o', 0xEB}));
  CAF_CHECK(code_points("\xE2\x82\xAC\xF0\x9F\x90\xB1!") ==
            (std::vector<uint32_t>{0x20AC, 0x1F431, '!'}));
  CAF_CHECK(code_points("\xC2\x80\xF4\x8F\xBF\xBF") ==
            (std::vector<uint32_t>{0x80, 0x10FFFF}));
}
