// Paths into a relayed envelope and the formats of baton-sql-out's columns.
#include "column_values.h"

#include <cstdio>
#include <ctime>

#include "json.h"

namespace baton::adapters::sql {

namespace {

const char* const envelope_keys[] = {"seq", "topic", "ts",     "order",
                                     "id",  "cause", "source", "data"};

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm), exact for any int64 day.
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

// Wall-clock ms (as if UTC) to "YYYY-MM-DD HH:MM:SS", with ".mmm" when there are milliseconds.
std::string wall_text(std::int64_t wall_ms, bool date_only) {
    std::int64_t days = wall_ms / 86'400'000;
    std::int64_t rest = wall_ms % 86'400'000;
    if (rest < 0) {
        rest += 86'400'000;
        --days;
    }
    std::int64_t y = 0;
    unsigned mo = 0, d = 0;
    civil_from_days(days, y, mo, d);
    char buf[64];
    if (date_only) {
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), mo, d);
        return buf;
    }
    const auto s = rest / 1000;
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u %02lld:%02lld:%02lld",
                  static_cast<long long>(y), mo, d, static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
    std::string out = buf;
    if (rest % 1000 != 0) {
        std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(rest % 1000));
        out += buf;
    }
    return out;
}

// Without database.time_zone: the machine's zone, as the C library knows it (TZ).
std::int64_t local_wall_ms(std::int64_t utc_ms) {
    std::time_t t = static_cast<std::time_t>(utc_ms >= 0 ? utc_ms / 1000 : (utc_ms - 999) / 1000);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return utc_ms + static_cast<std::int64_t>(tm.tm_gmtoff) * 1000;
}

bool is_date_text(const std::string& s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

}  // namespace

std::string cents_text(std::int64_t cents) {
    // Work in unsigned so that INT64_MIN has a magnitude too.
    const bool negative = cents < 0;
    const std::uint64_t mag =
        negative ? ~static_cast<std::uint64_t>(cents) + 1 : static_cast<std::uint64_t>(cents);
    std::string frac = std::to_string(mag % 100);
    if (frac.size() < 2) frac.insert(0, "0");
    return (negative ? "-" : "") + std::to_string(mag / 100) + "." + frac;
}

std::optional<value_path> parse_value_path(const std::string& text, std::string& why) {
    value_path p;
    p.text = text;
    std::size_t i = 0;
    while (i < text.size() && text[i] != '.' && text[i] != '[') ++i;
    p.head = text.substr(0, i);
    bool known = false;
    for (const char* k : envelope_keys) known = known || p.head == k;
    if (!known) {
        why = "'" + text +
              "' is not a path into the relayed envelope (it starts with seq, topic, ts, "
              "order, id, cause, source or data)";
        return std::nullopt;
    }
    if (p.head != "data" && i < text.size()) {
        why = "'" + text + "': only data has fields below it";
        return std::nullopt;
    }
    while (i < text.size()) {
        if (text[i] == '.') {
            std::size_t j = ++i;
            while (j < text.size() && text[j] != '.' && text[j] != '[') ++j;
            if (j == i) {
                why = "'" + text + "': empty key after '.'";
                return std::nullopt;
            }
            p.steps.emplace_back(text.substr(i, j - i));
            i = j;
        } else {  // '['
            std::size_t j = text.find(']', i);
            std::string digits = j == std::string::npos ? "" : text.substr(i + 1, j - i - 1);
            bool number = !digits.empty() && digits.size() < 7;
            for (char c : digits) number = number && c >= '0' && c <= '9';
            if (!number) {
                why = "'" + text + "': expected [N], a list index, at byte " + std::to_string(i);
                return std::nullopt;
            }
            p.steps.emplace_back(static_cast<std::size_t>(std::stoul(digits)));
            i = j + 1;
        }
    }
    return p;
}

std::optional<value_format> parse_value_format(const std::string& name, std::string& why) {
    if (name == "cents") return value_format::cents;
    if (name == "datetime") return value_format::datetime;
    if (name == "date") return value_format::date;
    if (name == "json") return value_format::json;
    why = "expected cents, datetime, date or json, got '" + name + "'";
    return std::nullopt;
}

const char* to_string(value_format f) {
    switch (f) {
        case value_format::as_is: return "as is";
        case value_format::cents: return "cents";
        case value_format::datetime: return "datetime";
        case value_format::date: return "date";
        case value_format::json: return "json";
    }
    return "?";
}

value value_at(const value_path& path, const relayed_message& m) {
    const envelope& e = m.env;
    const std::string& h = path.head;
    if (h == "seq") return value(static_cast<unsigned long long>(m.seq));
    if (h == "topic") return value(m.topic);
    if (h == "ts") return value(static_cast<long long>(e.ts_ms));
    if (h == "order") return e.order ? value(*e.order) : value();
    if (h == "id") return value(e.id);
    if (h == "cause") return e.cause ? value(*e.cause) : value();
    if (h == "source") return value(e.source);
    const value* at = &e.data;
    for (const auto& step : path.steps) {
        if (const auto* key = std::get_if<std::string>(&step)) {
            at = at->find(*key);
        } else {
            const std::size_t index = std::get<std::size_t>(step);
            at = at->is_list() && index < at->as_list().size() ? &at->as_list()[index] : nullptr;
        }
        if (!at) return value();
    }
    return *at;
}

bool column_param(const value& v, value_format f, const std::optional<time_zone>& zone,
                  sql_param& out, std::string& why) {
    out = sql_param{};
    if (v.is_nil()) {
        out.null = true;
        return true;
    }
    std::int64_t n = 0;
    switch (f) {
        case value_format::as_is:
            if (v.is_string()) {
                out.text = v.as_string();
            } else if (v.is_integer()) {
                std::uint64_t u = 0;
                if (v.to_int64(n))
                    out.text = std::to_string(n);
                else if (v.to_uint64(u))
                    out.text = std::to_string(u);
                out.integer = v.to_int64(n);
            } else if (v.is_bool()) {
                out.text = v.as_bool() ? "1" : "0";
                out.integer = true;
            } else {
                out.text = to_json(v);  // a float, a map or a list
            }
            return true;
        case value_format::json: out.text = to_json(v); return true;
        case value_format::cents:
            if (!v.to_int64(n)) {
                why = std::string("cents: expected an integer, got ") + type_name(v);
                return false;
            }
            out.text = cents_text(n);
            return true;
        case value_format::datetime:
        case value_format::date:
            if (f == value_format::date && v.is_string() && is_date_text(v.as_string())) {
                out.text = v.as_string();
                return true;
            }
            if (!v.to_int64(n)) {
                why = std::string(to_string(f)) + ": expected ms since the epoch, got " +
                      type_name(v);
                return false;
            }
            out.text =
                wall_text(zone ? zone->to_wall_ms(n) : local_wall_ms(n), f == value_format::date);
            return true;
    }
    return false;
}

}  // namespace baton::adapters::sql
