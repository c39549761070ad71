#define CAF_SUITE safe_text
#include <caf/test/unit_test.hpp>

#include "client/safe_text.hpp"

using client::safe_lines;
using client::safe_text;

CAF_TEST(printable text passes unchanged) {
  CAF_CHECK_EQUAL(safe_text("hello, bob!"), "hello, bob!");
  CAF_CHECK_EQUAL(safe_text(""), "");
  // valid multi-byte UTF-8: é, €, 😀
  CAF_CHECK_EQUAL(safe_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

CAF_TEST(c0 controls esc cr del are escaped) {
  CAF_CHECK_EQUAL(safe_text("\r\x1b[2K[alice] fake"),
                  "\\r\\x1b[2K[alice] fake");
  CAF_CHECK_EQUAL(safe_text("\x1b[8mhidden"), "\\x1b[8mhidden");
  CAF_CHECK_EQUAL(safe_text("a\nb\tc"), "a\\nb\\tc");
  CAF_CHECK_EQUAL(safe_text(std::string_view("\0\x07\x08\x7f", 4)),
                  "\\x00\\x07\\x08\\x7f");
  CAF_CHECK_EQUAL(safe_text("\x1f "), "\\x1f ");
}

CAF_TEST(a backslash is escaped so escapes cannot be faked) {
  CAF_CHECK_EQUAL(safe_text("\\x1b"), "\\\\x1b");
  CAF_CHECK_NOT_EQUAL(safe_text("\\x1b"), safe_text("\x1b"));
}

CAF_TEST(c1 controls are escaped) {
  // U+0085 (NEL), U+009B (CSI), U+0080, U+009F
  CAF_CHECK_EQUAL(safe_text("a\xc2\x85z"), "a\\u0085z");
  CAF_CHECK_EQUAL(safe_text("\xc2\x9b"
                            "2J"),
                  "\\u009b2J");
  CAF_CHECK_EQUAL(safe_text("\xc2\x80\xc2\x9f"), "\\u0080\\u009f");
  // U+00A0 is printable (no-break space) and passes
  CAF_CHECK_EQUAL(safe_text("\xc2\xa0"), "\xc2\xa0");
}

CAF_TEST(bidi controls are escaped) {
  CAF_CHECK_EQUAL(safe_text("\xd8\x9c"), "\\u061c");
  CAF_CHECK_EQUAL(safe_text("\xe2\x80\x8e\xe2\x80\x8f"), "\\u200e\\u200f");
  CAF_CHECK_EQUAL(safe_text("x\xe2\x80\xaegnp.exe"), "x\\u202egnp.exe");
  CAF_CHECK_EQUAL(safe_text("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
                  "\\u202a\\u202b\\u202c\\u202d");
  CAF_CHECK_EQUAL(safe_text("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
                  "\\u2066\\u2067\\u2068\\u2069");
  CAF_CHECK_EQUAL(safe_text("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
  // neighbours are ordinary: U+200D (ZWJ in emoji), U+202F, U+2065 unassigned
  CAF_CHECK_EQUAL(safe_text("\xe2\x80\x8d"), "\xe2\x80\x8d");
  CAF_CHECK_EQUAL(safe_text("\xe2\x80\xaf"), "\xe2\x80\xaf");
}

CAF_TEST(invalid utf8 is escaped byte by byte) {
  CAF_CHECK_EQUAL(safe_text("a\xff"
                            "b"),
                  "a\\xffb");
  // a lone continuation byte, a truncated sequence, an overlong ESC
  CAF_CHECK_EQUAL(safe_text("\x80"), "\\x80");
  CAF_CHECK_EQUAL(safe_text("\xe2\x82"), "\\xe2\\x82");
  CAF_CHECK_EQUAL(safe_text("\xc0\x9b"), "\\xc0\\x9b");
  // a UTF-16 surrogate (U+D800) and a code point beyond U+10FFFF
  CAF_CHECK_EQUAL(safe_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  CAF_CHECK_EQUAL(safe_text("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  // a truncated sequence followed by a valid character keeps the character
  CAF_CHECK_EQUAL(safe_text("\xe2z"), "\\xe2z");
}

CAF_TEST(multi line text stays under one header) {
  CAF_CHECK_EQUAL(safe_lines("[bob] ", "one"), "[bob] one");
  CAF_CHECK_EQUAL(safe_lines("[bob] ", "one\n[alice] two\nthree"),
                  "[bob] one\n  [alice] two\n  three");
  CAF_CHECK_EQUAL(safe_lines("[bob] ", "x\n"), "[bob] x\n  ");
  // every line is escaped on its own
  CAF_CHECK_EQUAL(safe_lines("> ", "a\r\nb\x1b"), "> a\\r\n  b\\x1b");
  // no line but the first can start with anything but the indent
  auto out = safe_lines("[bob] ", "\n\n\r[eve] x\n\x1b[1A[alice] y");
  size_t pos = 0;
  while ((pos = out.find('\n', pos)) != std::string::npos) {
    ++pos;
    CAF_CHECK_EQUAL(out.compare(pos, 2, "  "), 0);
  }
  CAF_CHECK(out.find('\x1b') == std::string::npos);
  CAF_CHECK(out.find('\r') == std::string::npos);
}
