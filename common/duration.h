// Durations as the config and flow files write them: "500ms", "30s", "15m", "4h", "10d".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

// Microseconds, or nullopt with `error` set ("expected <number><unit> ...").
std::optional<std::int64_t> parse_duration_us(std::string_view text, std::string* error = nullptr);

// The shortest exact spelling of a duration, for messages: 14400000000 -> "4h".
std::string format_duration_us(std::int64_t us);

}  // namespace baton
