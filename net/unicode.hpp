#pragma once

#include <string>
#include <string_view>

namespace net {

/// `text` in Unicode Normalization Form C (ICU), as the server expects
/// names; invalid UTF-8 comes back unchanged for the server to refuse.
std::string to_nfc(std::string_view text);

} // namespace net
