// Values as JSON text: for batonctl --json, the exception feed and the HTTP adapters.
#pragma once

#include <string>

#include "value.h"

namespace baton {

// Compact JSON (one line) or indented with `indent` spaces.
std::string to_json(const value& v, int indent = -1);

}  // namespace baton
