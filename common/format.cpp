// Text for people.
#include "format.h"

#include <cstdio>
#include <ctime>

#include "utf8.h"

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

namespace {

// Characters that print nothing but change how the text around them is shown: the bidi
// embeddings, overrides and isolates (a "Trojan source" reorders a line with them) and the
// Unicode line and paragraph separators.
bool is_invisible_format(char32_t cp) {
    return cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    char buf[16];
    std::size_t i = 0;
    while (i < s.size()) {
        char32_t cp = 0;
        const std::size_t len = utf8_sequence(s, i, cp);
        if (len == 0) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
            out += buf;
            ++i;
            continue;
        }
        if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\t') {
            out += "\\t";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp < 0x80 && is_control(cp)) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
            out += buf;
        } else if (is_control(cp) || is_invisible_format(cp)) {
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
            out += buf;
        } else {
            out.append(s.substr(i, len));
        }
        i += len;
    }
    return out;
}

}  // namespace baton
