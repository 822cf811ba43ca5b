// Parsing and printing of human durations.
#include "duration.h"

#include <cctype>
#include <limits>

namespace baton {

namespace {
struct unit {
    const char* name;
    std::int64_t us;
};
// Longest names first so "ms" wins over "m".
constexpr unit units[] = {{"us", 1},         {"ms", 1000},        {"s", 1000000},
                          {"m", 60000000LL}, {"h", 3600000000LL}, {"d", 86400000000LL}};
}  // namespace

std::optional<std::int64_t> parse_duration_us(std::string_view text, std::string* error) {
    auto fail = [&](const std::string& why) -> std::optional<std::int64_t> {
        if (error) *error = why;
        return std::nullopt;
    };
    std::size_t i = 0;
    std::int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        int digit = text[i] - '0';
        if (number > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
            return fail("duration '" + std::string(text) + "' is too large");
        number = number * 10 + digit;
        ++i;
    }
    if (i == 0)
        return fail("expected a duration like 500ms, 30s, 15m, 4h or 10d, got '" +
                    std::string(text) + "'");
    std::string_view suffix = text.substr(i);
    for (const auto& u : units) {
        if (suffix == u.name) {
            if (number > std::numeric_limits<std::int64_t>::max() / u.us)
                return fail("duration '" + std::string(text) + "' is too large");
            return number * u.us;
        }
    }
    return fail("unknown duration unit '" + std::string(suffix) + "' in '" + std::string(text) +
                "'; use us, ms, s, m, h or d");
}

std::string format_duration_us(std::int64_t us) {
    if (us == 0) return "0s";
    for (const auto& u : {units[5], units[4], units[3], units[2], units[1], units[0]})
        if (us % u.us == 0) return std::to_string(us / u.us) + u.name;
    return std::to_string(us) + "us";
}

}  // namespace baton
