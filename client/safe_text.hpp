#pragma once

// Peer-controlled text (message bodies, names, video titles, server error
// texts) made harmless for a terminal.
//
// Notation, one escape per dangerous unit, so nothing is hidden or erased
// and every rendering maps back to exactly one input:
//   \\            a backslash (escaped so a peer cannot fake an escape)
//   \n \r \t      LF, CR, TAB
//   \xNN          any other C0 control (U+0000-U+001F, e.g. ESC = \x1b),
//                 DEL (\x7f), and each byte of invalid UTF-8 (\x80-\xff)
//   \uXXXX        C1 controls (U+0080-U+009F), the bidi controls U+061C,
//                 U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, and the
//                 line/paragraph separators U+2028, U+2029
// Everything else (printable ASCII, valid UTF-8) passes unchanged.

#include <string>
#include <string_view>

namespace client {

/// One line, safe for a terminal: every control (LF included) escaped.
std::string safe_text(std::string_view untrusted);

/// `header` (trusted) followed by `untrusted` split at LF: the first line
/// after the header, each following line on its own line indented by
/// `continuation_indent`, so no line can pose as another header.
std::string safe_lines(std::string_view header, std::string_view untrusted);

/// The indentation of every line after the first in safe_lines.
constexpr std::string_view continuation_indent = "  ";

} // namespace client
