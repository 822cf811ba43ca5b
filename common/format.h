// Text for people: durations, money and times as the daemon's details and the clients'
// tables write them. One place, so a detail in the feed and a line of batonctl agree.
#pragma once

#include <cstdint>
#include <string>

namespace baton {

// How long, for a person: "3d4h", "5h12m", "40m", "12s" (negative counts as 0).
std::string duration_text(std::int64_t ms);
// Cents as "1234.56" (no thousands separator, no currency).
std::string money_text(std::int64_t cents);
// A moment to the minute in UTC: "2026-12-01 14:05 UTC".
std::string utc_minute_text(std::int64_t ms);

}  // namespace baton
