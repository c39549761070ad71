#define CAF_SUITE unicode
#include <caf/test/unit_test.hpp>

#include <string>

#include "net/unicode.hpp"

// net/unicode.hpp: names are sent in NFC, so that the same name typed on
// two keyboards is the same bytes on the wire.

using net::to_nfc;

CAF_TEST(decomposed text is composed) {
  CAF_CHECK_EQUAL(to_nfc("Zoe\u0308"), "Zo\u00EB");
  CAF_CHECK_EQUAL(to_nfc("A\u030A"), "\u00C5");
  // Hangul jamo compose algorithmically, not from a table
  CAF_CHECK_EQUAL(to_nfc("\u1100\u1161"), "\uAC00");
  // combining marks are put in canonical order before composing: both
  // orders of dot below and circumflex give the same letter
  CAF_CHECK_EQUAL(to_nfc("a\u0323\u0302"), "\u1EAD");
  CAF_CHECK_EQUAL(to_nfc("a\u0302\u0323"), "\u1EAD");
}

CAF_TEST(text already in nfc is unchanged) {
  for (std::string s : {"", "alice", "Zo\u00EB", "\u00C5ngstr\u00F6m",
                        "\u65E5\u672C", "\U0001F600"})
    CAF_CHECK_EQUAL(to_nfc(s), s);
}

CAF_TEST(singletons are replaced by their canonical equivalent) {
  CAF_CHECK_EQUAL(to_nfc("\u2126"), "\u03A9"); // OHM SIGN -> OMEGA
  CAF_CHECK_EQUAL(to_nfc("\u212B"), "\u00C5"); // ANGSTROM SIGN -> A RING
  // a composition exclusion stays decomposed
  CAF_CHECK_EQUAL(to_nfc("\u0958"), "\u0915\u093C");
}

CAF_TEST(compatibility characters are kept as they are) {
  // NFC, not NFKC: a ligature or a full-width letter is another name
  CAF_CHECK_EQUAL(to_nfc("\uFB01"), "\uFB01");
  CAF_CHECK_EQUAL(to_nfc("\uFF21"), "\uFF21");
}

CAF_TEST(invalid utf8 comes back byte for byte) {
  // ICU would turn these into U+FFFD; the server must see the bad bytes to
  // refuse them
  for (std::string s : {std::string{"e\xcc"}, std::string{"\xc0\xaf"},
                        std::string{"\xed\xa0\x80"}, std::string{"ok\xff"},
                        std::string{"e\xcc\x81\xfe"}})
    CAF_CHECK_EQUAL(to_nfc(s), s);
}
