// Calendar arithmetic on proleptic Gregorian dates in UTC (H. Hinnant's algorithms), shared by
// the daemon (promised dates, planned finishes), the mappings of the adapters and the simulator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

inline constexpr std::int64_t day_ms = 86400000;

// Days in month `m` (1-12) of year `y`.
int days_in_month(int y, int m);
// Days since 1970-01-01 of year `y`, month `m` (1-12), day `d` (1-31); no range check.
std::int64_t days_from_civil(int y, int m, int d);
// "YYYY-MM-DD" of a day count since 1970-01-01.
std::string civil_date(std::int64_t days);
// True for a real date written "YYYY-MM-DD" (year 0001 to 9999).
bool is_date(std::string_view text);
// The first millisecond (UTC) of a "YYYY-MM-DD" date; nullopt when it is not a real date.
std::optional<std::int64_t> date_start_ms(const std::string& date);

}  // namespace baton
