#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

namespace actors {

/// Why `name` cannot be a user name (an errc::bad_name error), or none.
/// A name is 1..max_length bytes of UTF-8 without whitespace, control or
/// invisible formatting characters; "all" is reserved for "everyone".
caf::error validate_name(const std::string& name, uint32_t max_length);

} // namespace actors
