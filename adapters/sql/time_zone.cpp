// Time zones from offsets or TZif files (RFC 8536), and zone-less date-times as wall clocks.
#include "time_zone.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "dates.h"

namespace baton::adapters::sql {

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// "+08:00", "+0800", "-05"; seconds east of UTC.
std::optional<std::int64_t> parse_offset(std::string_view s) {
    if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
    int h = 0, m = 0;
    if (!digits(s, 1, 2, h) || h > 23) return std::nullopt;
    std::size_t i = 3;
    if (i < s.size() && s[i] == ':') ++i;
    if (i < s.size() && (!digits(s, i, 2, m) || m > 59 || i + 2 != s.size())) return std::nullopt;
    if (i == s.size() && s.size() != 3) return std::nullopt;
    return (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
}

std::int64_t big_endian(const std::string& b, std::size_t at, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
}

}  // namespace

time_zone time_zone::fixed(std::string name, std::int64_t offset_s) {
    time_zone z;
    z.name_ = std::move(name);
    z.initial_offset_ = static_cast<std::int32_t>(offset_s);
    return z;
}

std::int64_t time_zone::offset_at(std::int64_t utc_s) const {
    auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
    if (it == transitions_.begin()) return initial_offset_;
    return offsets_[static_cast<std::size_t>(it - transitions_.begin() - 1)];
}

std::int64_t time_zone::to_wall_ms(std::int64_t utc_ms) const {
    const std::int64_t s = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
    return utc_ms + offset_at(s) * 1000;
}

std::int64_t time_zone::to_utc_ms(std::int64_t wall_ms) const {
    const std::int64_t wall_s = wall_ms >= 0 ? wall_ms / 1000 : (wall_ms - 999) / 1000;
    // The offset in force a day earlier is almost always the right one; correct it once.
    std::int64_t off = offset_at(wall_s - 86400);
    std::int64_t off2 = offset_at(wall_s - off);
    if (off2 != off && offset_at(wall_s - off2) == off2) off = off2;
    return wall_ms - off * 1000;
}

std::optional<time_zone> load_time_zone(const std::string& name, std::string& why) {
    if (name == "UTC" || name == "Z" || name == "Etc/UTC") return time_zone::fixed(name, 0);
    if (name.empty() || name[0] == '+' || name[0] == '-') {
        auto off = parse_offset(name);
        if (!off) {
            why = "'" + name + "' is not an offset (+08:00, -0500) or a zone name (Asia/Shanghai)";
            return std::nullopt;
        }
        return time_zone::fixed(name, *off);
    }
    if (name.find("..") != std::string::npos || name[0] == '/') {
        why = "'" + name + "' is not a zone name (e.g. Asia/Shanghai, Europe/Berlin)";
        return std::nullopt;
    }
    const char* dir = std::getenv("TZDIR");
    const std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + name;
    std::ifstream in(path, std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (b.size() < 44 || b.compare(0, 4, "TZif") != 0) {
        why = "unknown time zone '" + name + "' (no zoneinfo file " + path +
              "; Debian package tzdata)";
        return std::nullopt;
    }
    // Version 2 and later repeat the data with 64-bit times after the 32-bit block.
    std::size_t at = 0;
    std::size_t time_size = 4;
    auto counts = [&](std::size_t h, std::int64_t c[6]) {
        for (int i = 0; i < 6; ++i)
            c[i] = big_endian(b, h + 20 + 4 * static_cast<std::size_t>(i), 4);
    };
    std::int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    counts(0, c);
    if (b[4] >= '2') {
        at = 44 + static_cast<std::size_t>(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
        if (b.size() < at + 44) {
            why = "damaged zoneinfo file " + path;
            return std::nullopt;
        }
        counts(at, c);
        time_size = 8;
    }
    const std::size_t timecnt = static_cast<std::size_t>(c[3]);
    const std::size_t typecnt = static_cast<std::size_t>(c[4]);
    const std::size_t times = at + 44;
    const std::size_t indexes = times + timecnt * time_size;
    const std::size_t types = indexes + timecnt;
    if (typecnt == 0 || b.size() < types + typecnt * 6) {
        why = "damaged zoneinfo file " + path;
        return std::nullopt;
    }
    time_zone z;
    z.name_ = name;
    auto type_offset = [&](std::size_t t) {
        return static_cast<std::int32_t>(big_endian(b, types + t * 6, 4));
    };
    // Before the first transition: the first standard-time type (RFC 8536 3.2), else type 0.
    z.initial_offset_ = type_offset(0);
    for (std::size_t t = 0; t < typecnt; ++t)
        if (b[types + t * 6 + 4] == 0) {
            z.initial_offset_ = type_offset(t);
            break;
        }
    for (std::size_t i = 0; i < timecnt; ++i) {
        const auto type = static_cast<std::size_t>(static_cast<unsigned char>(b[indexes + i]));
        if (type >= typecnt) {
            why = "damaged zoneinfo file " + path;
            return std::nullopt;
        }
        z.transitions_.push_back(big_endian(b, times + i * time_size, time_size));
        z.offsets_.push_back(type_offset(type));
    }
    return z;
}

std::optional<std::int64_t> wall_clock_ms(std::string_view s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    if (!digits(s, 0, 4, y) || s.size() < 16 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != ' ' && s[10] != 'T') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi))
        return std::nullopt;
    std::size_t i = 16;
    if (i < s.size() && s[i] == ':') {
        if (!digits(s, 17, 2, sec)) return std::nullopt;
        i = 19;
        if (i < s.size() && s[i] == '.') {
            ++i;
            int scale = 100;
            const std::size_t start = i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                ms += (s[i++] - '0') * scale;
                scale /= 10;
            }
            if (i == start) return std::nullopt;
        }
    }
    if (i != s.size()) return std::nullopt;  // a zone, or anything else: not a wall clock
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;
    return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000 + ms;
}

}  // namespace baton::adapters::sql
