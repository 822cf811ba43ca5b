// JSON text -> baton value, for the bodies the webhook receives. nlohmann stays inside the .cpp;
// untrusted text never throws past this function, it becomes a one-line "decode:" reason.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "value.h"

namespace baton::adapters::webhook {

inline constexpr std::size_t max_json_depth = 32;  // nesting of arrays and objects

// Parses `text` into `out`: objects (keys kept in order), arrays, strings, integers (signed and
// unsigned), floats, booleans and null. On failure returns false and sets `error` to one line
// starting with "decode:" (invalid JSON, or nested deeper than max_json_depth).
bool json_to_value(std::string_view text, value& out, std::string& error);

}  // namespace baton::adapters::webhook
