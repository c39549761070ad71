#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

namespace actors {

/// Why `name` cannot be a user name (an errc::bad_name error), or none.
/// A name is 1..max_length bytes of UTF-8 in NFC, made of UTS #39
/// identifier characters (or printable ASCII), with nothing invisible, no
/// leading combining mark and no mix of scripts beyond ICU's moderately
/// restrictive level; "all" and its look-alikes are reserved for "everyone".
[[nodiscard]] caf::error validate_name(const std::string& name,
                                       uint32_t max_length);

/// Two names with the same key look alike and cannot be online at once:
/// the UTS #39 skeleton of the name's NFKC case folding, so "ALICE",
/// fullwidth "ａｌｉｃｅ" and Cyrillic-a "аlice" all map to "alice".
std::string uniqueness_key(const std::string& name);

} // namespace actors
