// Calendar arithmetic.
#include "dates.h"

#include <cstdio>

namespace baton {

int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = static_cast<unsigned>((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string civil_date(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(year), month, day);
    return buf;
}

namespace {

// Year, month and day of "YYYY-MM-DD" when it is a real date.
bool parse_date(std::string_view date, int (&parts)[3]) {
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
    const std::size_t from[3] = {0, 5, 8}, width[3] = {4, 2, 2};
    for (int p = 0; p < 3; ++p) {
        parts[p] = 0;
        for (std::size_t i = from[p]; i < from[p] + width[p]; ++i) {
            if (date[i] < '0' || date[i] > '9') return false;
            parts[p] = parts[p] * 10 + (date[i] - '0');
        }
    }
    return parts[0] >= 1 && parts[1] >= 1 && parts[1] <= 12 && parts[2] >= 1 &&
           parts[2] <= days_in_month(parts[0], parts[1]);
}

}  // namespace

bool is_date(std::string_view text) {
    int parts[3];
    return parse_date(text, parts);
}

std::optional<std::int64_t> date_start_ms(const std::string& date) {
    int parts[3];
    if (!parse_date(date, parts)) return std::nullopt;
    return days_from_civil(parts[0], parts[1], parts[2]) * day_ms;
}

}  // namespace baton
