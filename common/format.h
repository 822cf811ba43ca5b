// Text for people: durations, money and times as the daemon's details and the clients'
// tables write them. One place, so a detail in the feed and a line of batonctl agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace baton {

// How long, for a person: "3d4h", "5h12m", "40m", "12s" (negative counts as 0).
std::string duration_text(std::int64_t ms);
// Cents as "1234.56" (no thousands separator, no currency).
std::string money_text(std::int64_t cents);
// A moment to the minute in UTC: "2026-12-01 14:05 UTC".
std::string utc_minute_text(std::int64_t ms);

// Text from elsewhere made safe to print on a terminal: control characters shown escaped
// ("\x1b", "\n", "\t", "\r", "\x7f", C1 as "\u009b"), as are the invisible characters that
// reorder or break lines (bidi controls, U+2028/U+2029: "\u202e"), and bytes that are not UTF-8
// ("\xff"). Every other UTF-8 character, Chinese included, is kept as it is.
std::string printable(std::string_view s);

}  // namespace baton
