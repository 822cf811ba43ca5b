// Text for people.
#include "format.h"

#include <cstdio>
#include <ctime>

namespace baton {

std::string duration_text(std::int64_t ms) {
    if (ms < 0) ms = 0;
    std::int64_t s = ms / 1000;
    std::int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
    if (d > 0) return std::to_string(d) + "d" + (h ? std::to_string(h) + "h" : "");
    if (h > 0) return std::to_string(h) + "h" + (m ? std::to_string(m) + "m" : "");
    if (m > 0) return std::to_string(m) + "m";
    return std::to_string(s) + "s";
}

std::string money_text(std::int64_t cents) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%lld.%02lld", cents < 0 && cents > -100 ? "-" : "",
                  static_cast<long long>(cents / 100),
                  static_cast<long long>((cents < 0 ? -(cents % 100) : cents % 100)));
    return buf;
}

std::string utc_minute_text(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

}  // namespace baton
