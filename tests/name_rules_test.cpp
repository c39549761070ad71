#define CAF_SUITE name_rules
#include <caf/test/dsl.hpp>

#include <string>
#include <vector>

#include "actors/name_rules.hpp"
#include "net/error.hpp"
#include "net/unicode.hpp"

using namespace actors;

namespace {

constexpr uint32_t max_length = 32;

/// The refusal text for `name`, or "" if it is accepted.
std::string why(const std::string& name) {
  auto err = validate_name(name, max_length);
  if (!err)
    return "";
  CAF_CHECK_EQUAL(net::code_of(err), net::errc::bad_name);
  return net::describe(err);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

CAF_TEST(ordinary names in many scripts are accepted) {
  for (std::string name :
       {"alice", "Zo\u00EB", "\u65E5\u672C\u8A9E", "bob_2", "Jos\u00E9",
        "bob-2", "m\u00FCller", "\u0391\u03B8\u03AE\u03BD\u03B1",
        "\u0438\u0432\u0430\u043D"}) {
    CAF_MESSAGE("accept " << name);
    CAF_CHECK_EQUAL(why(name), "");
  }
}

CAF_TEST(refused names say why) {
  struct row {
    std::string name;
    std::string reason;
  };
  std::vector<row> rows{
      {"", "empty"},
      {std::string(33, 'a'), "longer than 32 bytes"},
      {"\xff\xfe", "not valid UTF-8"},
      {"a b", "whitespace (U+0020)"},
      {"tab\there", "whitespace (U+0009)"},
      {"bell\x07", "control characters (U+0007)"},
      {"\u0430lice", "may not mix scripts"}, // Cyrillic a + Latin
      {"alice\u00AD", "invisible characters (U+00AD)"},
      {"\u3164", "invisible characters (U+3164)"},
      {"\uFFA0", "invisible characters (U+FFA0)"},
      {"\u2800", "U+2800"},
      {"bob\U000E0041", "invisible characters (U+E0041)"},
      {"\u0301", "may not start with a combining mark"},
      {"\u00E1\u0301", "repeat a combining mark"},
      {"zw\u200Bsp", "invisible characters (U+200B)"},
      {"al\u200Dice", "invisible characters (U+200D)"},
      {"evil\u202Egnp", "invisible characters (U+202E)"},
      {"Jose\u0301", "name must be in NFC form"},
      {"pua\uE000", "private-use characters (U+E000)"},
      {"all", "reserved"},
      {"ALL", "reserved"},
  };
  for (auto& r : rows) {
    auto text = why(r.name);
    CAF_MESSAGE("refuse " << r.reason << ": " << text);
    CAF_CHECK(contains(text, r.reason));
  }
}

CAF_TEST(the length limit counts bytes of UTF - 8) {
  CAF_CHECK_EQUAL(validate_name(std::string(8, 'a'), 8), caf::none);
  CAF_CHECK_NOT_EQUAL(validate_name(std::string(9, 'a'), 8), caf::none);
  // four two-byte letters are 8 bytes
  CAF_CHECK_EQUAL(validate_name("\u00EB\u00EB\u00EB\u00EB", 8), caf::none);
  CAF_CHECK_NOT_EQUAL(validate_name("\u00EB\u00EB\u00EB\u00EBx", 8), caf::none);
}

CAF_TEST(uniqueness keys fold case width and confusables) {
  auto alice = uniqueness_key("alice");
  CAF_CHECK_EQUAL(uniqueness_key("ALICE"), alice);
  CAF_CHECK_EQUAL(uniqueness_key("Alice"), alice);
  CAF_CHECK_EQUAL(uniqueness_key("\uFF41\uFF4C\uFF49\uFF43\uFF45"), alice);
  CAF_CHECK_EQUAL(uniqueness_key("\u0430lice"), alice);
  // a whole-script confusable: Cyrillic "асе" looks like Latin "ace"
  CAF_CHECK_EQUAL(uniqueness_key("\u0430\u0441\u0435"), uniqueness_key("ace"));
  CAF_CHECK_NOT_EQUAL(uniqueness_key("bob"), alice);
  CAF_CHECK_NOT_EQUAL(uniqueness_key("alicia"), alice);
}

CAF_TEST(client side normalization yields NFC) {
  CAF_CHECK_EQUAL(net::to_nfc("Jose\u0301"), "Jos\u00E9");
  CAF_CHECK_EQUAL(net::to_nfc("alice"), "alice");
  CAF_CHECK_EQUAL(validate_name(net::to_nfc("Jose\u0301"), max_length),
                  caf::none);
  // invalid UTF-8 is left alone for the server to refuse
  CAF_CHECK_EQUAL(net::to_nfc("\xff"), "\xff");
}
