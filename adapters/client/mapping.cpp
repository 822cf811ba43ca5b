// Column mappings (mapping.h): reads the mapping file strictly, and turns rows of cell text into
// event data: typed fields (German and English numbers, dates, cents, yes/no), rows grouped into
// one event with a list of lines, and stable event ids so a re-export is not applied twice.
#include "mapping.h"

#include <fnmatch.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>
#include <set>
#include <string_view>
#include <unordered_map>

#include "dates.h"
#include "utf8.h"
#include "yaml_util.h"

namespace baton::adapters {
namespace {

constexpr std::size_t max_id_bytes = 64;  // PROTOCOL.md: id and order are 1-64 bytes

constexpr const char* field_types[] = {"string", "int", "number", "bool", "date", "cents"};

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// A cell as it appears in an error message: quoted, and cut when long.
std::string shown(std::string_view s) {
    constexpr std::size_t max_shown = 40;
    if (s.size() <= max_shown) return "'" + std::string(s) + "'";
    std::size_t cut = max_shown;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    return "'" + std::string(s.substr(0, cut)) + "...'";
}

// ---- numbers ---------------------------------------------------------------------------------

struct decimal_text {
    bool negative = false;
    std::string whole;     // digits before the decimal separator, group separators removed
    std::string fraction;  // digits after it
};

// "1.234,50", "1234,5", "-12,00", "12,00-" (SAP's trailing minus) with decimal ','; the same
// with '.' and ',' swapped for decimal '.'. Group separators must make groups of three digits,
// so "1,5" read with decimal '.' is refused instead of becoming 15.
bool parse_decimal(std::string_view s, char decimal, decimal_text& out) {
    const char group = decimal == ',' ? '.' : ',';
    out = decimal_text{};
    if (s.empty()) return false;
    if (s.front() == '-' || s.front() == '+') {
        out.negative = s.front() == '-';
        s.remove_prefix(1);
    } else if (s.back() == '-') {
        out.negative = true;
        s.remove_suffix(1);
    }
    std::size_t i = 0;
    std::size_t in_group = 0;
    bool grouped = false;
    for (; i < s.size() && s[i] != decimal; ++i) {
        if (is_digit(s[i])) {
            out.whole += s[i];
            ++in_group;
        } else if (s[i] == group) {
            if (in_group == 0 || (grouped ? in_group != 3 : in_group > 3)) return false;
            grouped = true;
            in_group = 0;
        } else {
            return false;
        }
    }
    if (grouped && in_group != 3) return false;
    if (i < s.size()) {
        ++i;  // the decimal separator
        if (i == s.size()) return false;
        for (; i < s.size(); ++i) {
            if (!is_digit(s[i])) return false;
            out.fraction += s[i];
        }
    }
    return !out.whole.empty() || !out.fraction.empty();
}

std::string strip_leading_zeros(const std::string& digits) {
    std::size_t i = 0;
    while (i + 1 < digits.size() && digits[i] == '0') ++i;
    return digits.substr(i);
}

bool all_zeros(std::string_view digits) {
    return std::all_of(digits.begin(), digits.end(), [](char c) { return c == '0'; });
}

bool to_int64(const decimal_text& d, std::int64_t& out) {
    std::string whole = strip_leading_zeros(d.whole.empty() ? "0" : d.whole);
    if (!all_zeros(d.fraction) || whole.size() > 18) return false;
    std::int64_t v = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), v);
    out = d.negative ? -v : v;
    return true;
}

bool to_double(const decimal_text& d, double& out) {
    std::string text = (d.whole.empty() ? "0" : d.whole);
    if (!d.fraction.empty()) text += "." + d.fraction;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size()) return false;
    if (d.negative) out = -out;
    return true;
}

// ---- dates and times -------------------------------------------------------------------------

struct time_parts {
    int year = -1;
    int month = -1;
    int day = -1;
    int hour = 0;
    int minute = 0;
    int second = 0;
    int millis = 0;
    bool has_zone = false;
    int zone_minutes = 0;  // east of UTC
};

bool valid_parts(const time_parts& t) {
    if (t.year < 1 || t.year > 9999 || t.month < 1 || t.month > 12) return false;
    if (t.day < 1 || t.day > days_in_month(t.year, t.month)) return false;
    return t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 && t.second >= 0 &&
           t.second <= 60;
}

// Reads between `min` and `max` digits.
bool read_number(std::string_view s, std::size_t& i, std::size_t min, std::size_t max, int& out) {
    std::size_t start = i;
    out = 0;
    while (i < s.size() && i - start < max && is_digit(s[i])) out = out * 10 + (s[i++] - '0');
    return i - start >= min;
}

// "Z", "+01:00", "+0100", "-05".
bool read_zone(std::string_view s, std::size_t& i, time_parts& t) {
    if (i < s.size() && s[i] == 'Z') {
        ++i;
        t.has_zone = true;
        t.zone_minutes = 0;
        return true;
    }
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
    int sign = s[i++] == '-' ? -1 : 1;
    int h = 0, m = 0;
    if (!read_number(s, i, 2, 2, h)) return false;
    if (i < s.size() && s[i] == ':') ++i;
    if (i < s.size() && is_digit(s[i]) && !read_number(s, i, 2, 2, m)) return false;
    if (h > 23 || m > 59) return false;
    t.has_zone = true;
    t.zone_minutes = sign * (h * 60 + m);
    return true;
}

// strftime-style directives understood in `format`; the others are refused when the mapping is
// loaded. A space in the format matches one or more blanks.
constexpr std::string_view format_directives = "YymdeHMSFTz%";

// %F and %T spelled out, so the reader below knows only single fields.
std::string expand_format(std::string_view format) {
    std::string out;
    for (std::size_t f = 0; f < format.size(); ++f) {
        if (format[f] == '%' && f + 1 < format.size() && format[f + 1] == 'F') {
            out += "%Y-%m-%d";
            ++f;
        } else if (format[f] == '%' && f + 1 < format.size() && format[f + 1] == 'T') {
            out += "%H:%M:%S";
            ++f;
        } else if (format[f] == '%' && f + 1 < format.size()) {
            out += format.substr(f, 2);
            ++f;
        } else {
            out += format[f];
        }
    }
    return out;
}

bool parse_by_format(std::string_view s, std::string_view format_in, time_parts& t) {
    const std::string format = expand_format(format_in);
    std::size_t i = 0;
    for (std::size_t f = 0; f < format.size(); ++f) {
        char c = format[f];
        if (c == ' ') {
            if (i >= s.size() || (s[i] != ' ' && s[i] != '\t')) return false;
            while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
            continue;
        }
        if (c != '%' || f + 1 == format.size()) {
            if (i >= s.size() || s[i] != c) return false;
            ++i;
            continue;
        }
        bool ok = true;
        switch (format[++f]) {
            case 'Y': ok = read_number(s, i, 4, 4, t.year); break;
            case 'y':
                ok = read_number(s, i, 2, 2, t.year);
                t.year += t.year < 69 ? 2000 : 1900;  // POSIX strptime's rule
                break;
            case 'm': ok = read_number(s, i, 1, 2, t.month); break;
            case 'e':
                if (i < s.size() && s[i] == ' ') ++i;
                ok = read_number(s, i, 1, 2, t.day);
                break;
            case 'd': ok = read_number(s, i, 1, 2, t.day); break;
            case 'H': ok = read_number(s, i, 1, 2, t.hour); break;
            case 'M': ok = read_number(s, i, 1, 2, t.minute); break;
            case 'S': ok = read_number(s, i, 1, 2, t.second); break;
            case 'z': ok = read_zone(s, i, t); break;
            case '%': ok = i < s.size() && s[i++] == '%'; break;
            default: return false;
        }
        if (!ok) return false;
    }
    return i == s.size();
}

// Why a format is not usable, or "" when it is. `need_date`: it must name year, month and day.
std::string check_format(std::string_view format, bool need_date) {
    bool year = false, month = false, day = false;
    for (std::size_t f = 0; f < format.size(); ++f) {
        if (format[f] != '%') continue;
        if (f + 1 == format.size()) return "ends with a lone '%'";
        char d = format[++f];
        if (format_directives.find(d) == std::string_view::npos)
            return std::string("unsupported directive '%") + d +
                   "' (supported: %Y %y %m %d %e %H %M %S %F %T %z %%)";
        year |= d == 'Y' || d == 'y' || d == 'F';
        month |= d == 'm' || d == 'F';
        day |= d == 'd' || d == 'e' || d == 'F';
    }
    if (need_date && !(year && month && day)) return "must contain a year, a month and a day";
    return "";
}

std::string iso_date(const time_parts& t) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
    return buf;
}

// "2026-06-11", "2026-06-11T08:30", "2026-06-11 08:30:15.250+02:00", "...Z".
bool parse_iso(std::string_view s, time_parts& t) {
    std::size_t i = 0;
    if (!read_number(s, i, 4, 4, t.year) || i >= s.size() || s[i++] != '-' ||
        !read_number(s, i, 2, 2, t.month) || i >= s.size() || s[i++] != '-' ||
        !read_number(s, i, 2, 2, t.day))
        return false;
    if (i == s.size()) return true;
    if (s[i] != 'T' && s[i] != ' ') return false;
    ++i;
    if (!read_number(s, i, 2, 2, t.hour) || i >= s.size() || s[i++] != ':' ||
        !read_number(s, i, 2, 2, t.minute))
        return false;
    if (i < s.size() && s[i] == ':') {
        ++i;
        if (!read_number(s, i, 2, 2, t.second)) return false;
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
            ++i;
            std::size_t start = i;
            int scale = 100;
            while (i < s.size() && is_digit(s[i])) {
                t.millis += (s[i++] - '0') * scale;
                scale /= 10;
            }
            if (i == start) return false;
        }
    }
    if (i < s.size() && !read_zone(s, i, t)) return false;
    return i == s.size();
}

// Milliseconds since the epoch; a time without a zone is the machine's local time (TZ).
bool to_epoch_ms(const time_parts& t, std::int64_t& out) {
    if (t.has_zone) {
        std::int64_t s = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 +
                         t.minute * 60 + t.second - t.zone_minutes * 60;
        out = s * 1000 + t.millis;
        return true;
    }
    std::tm tm{};
    tm.tm_year = t.year - 1900;
    tm.tm_mon = t.month - 1;
    tm.tm_mday = t.day;
    tm.tm_hour = t.hour;
    tm.tm_min = t.minute;
    tm.tm_sec = t.second;
    tm.tm_isdst = -1;
    std::time_t s = std::mktime(&tm);
    if (s == static_cast<std::time_t>(-1)) return false;
    out = static_cast<std::int64_t>(s) * 1000 + t.millis;
    return true;
}

// ---- cells -----------------------------------------------------------------------------------

enum class cell_result { ok, omitted, bad };

std::string number_example(char decimal, bool cents) {
    if (cents) return decimal == ',' ? "1.234,50" : "1,234.50";
    return decimal == ',' ? "1.234,5" : "1,234.5";
}

// Converts one cell to the rule's type. `reason` says why not, without the column.
cell_result convert_cell(const field_rule& r, char decimal, std::string_view raw, value& out,
                         std::string& reason) {
    std::string_view s = trim(raw);
    if (r.type == "bool") {
        std::string low;
        for (char c : s) low += lower(c);
        if (low.empty() || low == "0" || low == "false" || low == "no" || low == "nein") {
            out = false;
            return cell_result::ok;
        }
        if (low == "1" || low == "true" || low == "yes" || low == "ja" || low == "x") {
            out = true;
            return cell_result::ok;
        }
        reason =
            "expected yes or no (1/0, true/false, yes/no, ja/nein, x or empty), got " + shown(raw);
        return cell_result::bad;
    }
    if (s.empty()) {
        if (!r.required) return cell_result::omitted;
        reason = "is empty";
        return cell_result::bad;
    }
    if (r.type == "string") {
        out = std::string(s);
        return cell_result::ok;
    }
    if (r.type == "int" || r.type == "number" || r.type == "cents") {
        decimal_text d;
        bool parsed = parse_decimal(s, decimal, d);
        if (r.type == "int") {
            std::int64_t v = 0;
            if (parsed && to_int64(d, v)) {
                out = v;
                return cell_result::ok;
            }
            reason = "expected an integer, got " + shown(raw);
            return cell_result::bad;
        }
        if (r.type == "number") {
            double v = 0;
            if (parsed && to_double(d, v)) {
                out = v;
                return cell_result::ok;
            }
            reason =
                "expected a number like " + number_example(decimal, false) + ", got " + shown(raw);
            return cell_result::bad;
        }
        // cents
        if (parsed && d.fraction.size() > 2 && !all_zeros(std::string_view(d.fraction).substr(2))) {
            reason = "an amount has at most 2 decimals, got " + shown(raw);
            return cell_result::bad;
        }
        std::string whole = strip_leading_zeros(d.whole.empty() ? "0" : d.whole);
        if (!parsed || whole.size() > 16) {
            reason =
                "expected an amount like " + number_example(decimal, true) + ", got " + shown(raw);
            return cell_result::bad;
        }
        std::string frac = d.fraction.substr(0, 2);
        frac.resize(2, '0');
        std::int64_t units = 0, hundredths = 0;
        std::from_chars(whole.data(), whole.data() + whole.size(), units);
        std::from_chars(frac.data(), frac.data() + frac.size(), hundredths);
        std::int64_t cents = units * 100 + hundredths;
        out = d.negative ? -cents : cents;
        return cell_result::ok;
    }
    if (r.type == "date") {
        const std::string format = r.format.empty() ? "%Y-%m-%d" : r.format;
        time_parts t;
        if (!parse_by_format(s, format, t)) {
            reason = "expected a date in the format " + format + ", got " + shown(raw);
            return cell_result::bad;
        }
        if (!valid_parts(t)) {
            reason = shown(raw) + " is not a valid date";
            return cell_result::bad;
        }
        out = iso_date(t);
        return cell_result::ok;
    }
    assert(false && "type checked when the mapping was loaded");
    return cell_result::bad;
}

// The event time from a cell: ISO by default, or `format`, or epoch_ms / epoch_s.
bool parse_event_time(std::string_view s, const std::string& format, std::int64_t& out,
                      std::string& reason) {
    if (format == "epoch_ms" || format == "epoch_s") {
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        // Seconds past INT64_MAX / 1000 have no millisecond value (and are no real time).
        if (ec != std::errc() || end != s.data() + s.size() || v < 0 ||
            (format == "epoch_s" && v > std::numeric_limits<std::int64_t>::max() / 1000)) {
            reason = "expected " + std::string(format == "epoch_ms" ? "milliseconds" : "seconds") +
                     " since 1970, got " + shown(s);
            return false;
        }
        out = format == "epoch_ms" ? v : v * 1000;
        return true;
    }
    time_parts t;
    bool ok = format.empty() ? parse_iso(s, t) : parse_by_format(s, format, t);
    if (!ok) {
        reason = "expected a time like " +
                 std::string(format.empty() ? "2026-06-11T08:30:00 or 2026-06-11" : format) +
                 ", got " + shown(s);
        return false;
    }
    if (!valid_parts(t) || !to_epoch_ms(t, out)) {
        reason = shown(s) + " is not a valid time";
        return false;
    }
    return true;
}

// An id that fits PROTOCOL.md's 64 bytes and stays the same for the same input: long ones keep
// their start and end with a hash of the whole.
std::string fit_id(const std::string& id) {
    if (id.size() <= max_id_bytes) return id;
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
    char hash[20];
    std::snprintf(hash, sizeof hash, "~%016llx", static_cast<unsigned long long>(h));
    std::size_t keep = max_id_bytes - 17;
    while (keep > 0 && (static_cast<unsigned char>(id[keep]) & 0xC0) == 0x80) --keep;
    return id.substr(0, keep) + hash;
}

// "lines[].qty" -> {"lines", "qty"}; "customer" -> {"", "customer"}.
struct field_path {
    std::string list;
    std::string name;
};

field_path split_field(const std::string& field) {
    auto at = field.find("[].");
    if (at == std::string::npos) return {"", field};
    return {field.substr(0, at), field.substr(at + 3)};
}

bool is_identifier(std::string_view s) {
    if (s.empty() || is_digit(s[0])) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    });
}

// ---- loading ---------------------------------------------------------------------------------

field_rule load_field(const yaml::node& n, const std::string& field, char decimal) {
    if (!n.is_map()) n.fail("expected a map like {column: qty, type: number} or {value: credit}");
    n.expect_keys({"column", "type", "format", "required", "value"});
    field_rule r;
    r.field = field;
    r.type = n.get_string("type", "string");
    if (std::find(std::begin(field_types), std::end(field_types), r.type) == std::end(field_types))
        n.child("type").fail("unknown type '" + r.type +
                             "' (expected one of: string, int, number, bool, date, cents)");
    if (n.has("column") && n.has("value")) n.fail("give either column or value, not both");
    if (n.has("column")) {
        r.column = n.require_string("column");
    } else if (n.has("value")) {
        r.constant = n.child("value").as_string();
    } else {
        n.fail("needs a column (or a constant value)");
    }
    r.format = n.get_string("format", "");
    if (!r.format.empty() && r.type != "date")
        n.child("format").fail("format is only for type date");
    if (r.type == "date") {
        if (r.format.empty()) r.format = "%Y-%m-%d";
        std::string why = check_format(r.format, true);
        if (!why.empty()) n.child("format").fail(why);
    }
    r.required = n.get_bool("required", true);
    if (r.constant) {
        value v;
        std::string reason;
        if (convert_cell(r, decimal, *r.constant, v, reason) == cell_result::bad)
            n.child("value").fail(reason);
    }
    return r;
}

// A missing key has no line of its own: name the line of the map that lacks it.
void require_keys(const yaml::node& n, std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
        if (n.has(key)) continue;
        std::string where;
        if (n.raw().Mark().line >= 0)
            where = " (in the mapping on line " + std::to_string(n.raw().Mark().line + 1) + ")";
        throw config_error(n.file(), n.child(key).path(), "required key is missing" + where);
    }
}

mapping load_one(const yaml::node& n) {
    n.expect_map();
    n.expect_keys({"name", "match", "encoding", "topic", "source", "order", "id", "ts", "ts_format",
                   "group_by", "decimal", "fields"});
    require_keys(n, {"name", "topic", "source", "fields"});
    mapping m;
    m.name = n.require_string("name");
    bool plain_name = std::all_of(m.name.begin(), m.name.end(), [](char c) {
        return is_identifier(std::string(1, c)) || is_digit(c) || c == '-' || c == '.';
    });
    if (!plain_name)
        n.child("name").fail("use letters, digits, '-', '_' and '.' only, got '" + m.name + "'");
    m.match = n.get_string("match", "");
    m.encoding = n.get_string("encoding", "");  // checked by the CSV adapter, which uses it
    m.topic = n.require_string("topic");
    {
        std::size_t parts = 0, start = 0;
        bool ok = true;
        for (std::size_t i = 0; i <= m.topic.size(); ++i) {
            if (i < m.topic.size() && m.topic[i] != '.') continue;
            std::string part = m.topic.substr(start, i - start);
            ok &= !part.empty() && is_identifier(part);
            ++parts;
            start = i + 1;
        }
        if (!ok || parts != 3)
            n.child("topic").fail(
                "expected <department>.<object>.<verb> like "
                "sales.order.placed, got '" +
                m.topic + "'");
    }
    m.source = n.require_string("source");
    if (m.source.size() > max_id_bytes) n.child("source").fail("longer than 64 bytes");
    char32_t control = 0;
    if (find_control(m.source, control) != std::string::npos)
        n.child("source").fail("must not hold control characters");
    m.order_column = n.get_string("order", "");
    if (n.has("id")) {
        yaml::node id = n.child("id");
        if (id.is_list()) {
            if (id.size() == 0) id.fail("needs at least one column");
            for (std::size_t i = 0; i < id.size(); ++i) {
                std::string c = id.item(i).as_string();
                if (c.empty()) id.item(i).fail("must not be empty");
                m.id_columns.push_back(c);
            }
        } else {
            m.id_columns.push_back(n.require_string("id"));
        }
    }
    m.ts_column = n.get_string("ts", "");
    m.ts_format = n.get_string("ts_format", "");
    if (!m.ts_format.empty()) {
        if (m.ts_column.empty()) n.child("ts_format").fail("ts_format needs ts (the column)");
        if (m.ts_format != "epoch_ms" && m.ts_format != "epoch_s") {
            std::string why = check_format(m.ts_format, true);
            if (!why.empty()) n.child("ts_format").fail(why + " (or use epoch_ms, epoch_s)");
        }
    }
    m.group_by = n.get_string("group_by", "");
    std::string decimal = n.get_string("decimal", ".");
    if (decimal != "." && decimal != ",")
        n.child("decimal").fail("expected \".\" or \",\", got '" + decimal + "'");
    m.decimal = decimal[0];

    yaml::node fields = n.child("fields");
    std::vector<std::string> names = fields.keys();
    if (names.empty()) fields.fail("needs at least one field");
    std::set<std::string> seen, plain, lists;
    for (const std::string& name : names) {
        yaml::node f = fields.child(name.c_str());
        if (!seen.insert(name).second) f.fail("field given twice");
        field_path p = split_field(name);
        if (!is_identifier(p.name) || (!p.list.empty() && !is_identifier(p.list)))
            f.fail("a field name is a word like qty, or list[].word like lines[].qty");
        if (p.list.empty() ? lists.count(p.name) : plain.count(p.list))
            f.fail("'" + (p.list.empty() ? p.name : p.list) +
                   "' is both a field and a list of lines");
        (p.list.empty() ? plain : lists).insert(p.list.empty() ? p.name : p.list);
        m.fields.push_back(load_field(f, name, m.decimal));
    }
    return m;
}

// ---- mapping rows ----------------------------------------------------------------------------

const std::string* find_cell(const row& r, const std::string& column) {
    auto it = r.find(column);
    return it == r.end() ? nullptr : &it->second;
}

class group_mapper {
public:
    group_mapper(const mapping& m, const std::vector<row>& rows) : m_(m), rows_(rows) {}

    // Problems found, by row index; empty when the event is good.
    std::map<std::size_t, std::vector<std::string>> problems;

    mapped_event build(const std::vector<std::size_t>& group,
                       const std::function<std::string(std::size_t)>& fallback_id) {
        mapped_event ev;
        ev.rows = group;
        const std::size_t first = group.front();
        if (!m_.order_column.empty()) {
            std::string text;
            if (key_cell(first, m_.order_column, "the order", text)) ev.order = text;
        }
        if (!m_.id_columns.empty()) {
            std::string id = m_.name;
            bool ok = true;
            for (const auto& c : m_.id_columns) {
                std::string part;
                ok &= key_cell(first, c, "part of the event id", part);
                id += ":" + part;
            }
            if (ok) ev.id = fit_id(id);
        } else {
            ev.id = fit_id(fallback_id(first));
        }
        if (!m_.ts_column.empty()) {
            std::string text;
            if (key_cell(first, m_.ts_column, "the event time", text)) {
                std::string reason;
                if (!parse_event_time(text, m_.ts_format, ev.ts_ms, reason))
                    add(first, m_.ts_column, reason);
            }
        }

        ev.data = value(value_map{});
        std::vector<std::string> list_names;
        for (const auto& rule : m_.fields) {
            field_path p = split_field(rule.field);
            if (p.list.empty()) {
                value v;
                if (convert(first, rule, v)) ev.data.set(p.name, std::move(v));
            } else if (std::find(list_names.begin(), list_names.end(), p.list) ==
                       list_names.end()) {
                list_names.push_back(p.list);
                ev.data.set(p.list, value(value_list{}));  // keeps the field order of the file
            }
        }
        for (const auto& list : list_names) {
            value_list items;
            for (std::size_t r : group) {
                value item(value_map{});
                for (const auto& rule : m_.fields) {
                    field_path p = split_field(rule.field);
                    value v;
                    if (p.list == list && convert(r, rule, v)) item.set(p.name, std::move(v));
                }
                items.push_back(std::move(item));
            }
            ev.data.set(list, value(std::move(items)));
        }
        return ev;
    }

private:
    // One reason per cell: a column that is both the order and the id is empty only once.
    void add(std::size_t r, const std::string& column, const std::string& reason) {
        const std::string prefix = "column '" + column + "': ";
        auto& list = problems[r];
        for (const auto& p : list)
            if (p.compare(0, prefix.size(), prefix) == 0) return;
        list.push_back(prefix + reason);
    }

    // A cell that names something (order, id part, time): present, not empty, fits 64 bytes.
    bool key_cell(std::size_t r, const std::string& column, const char* role, std::string& out) {
        const std::string* cell = find_cell(rows_[r], column);
        if (!cell) {
            add(r, column, "is missing");
            return false;
        }
        out = std::string(trim(*cell));
        if (out.empty()) {
            add(r, column, std::string("is empty (it is ") + role + ")");
            return false;
        }
        if (out.size() > max_id_bytes) {
            add(r, column, std::string("longer than 64 bytes (it is ") + role + ")");
            return false;
        }
        // batond refuses control characters in ids and orders (they would act on terminals).
        char32_t cp = 0;
        if (std::size_t at = find_control(out, cp); at != std::string::npos) {
            char code[16];
            std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
            add(r, column,
                std::string("holds control character ") + code + " at byte " + std::to_string(at) +
                    " (it is " + role + ")");
            return false;
        }
        return true;
    }

    bool convert(std::size_t r, const field_rule& rule, value& out) {
        std::string reason;
        cell_result res;
        if (rule.constant) {
            res = convert_cell(rule, m_.decimal, *rule.constant, out, reason);
        } else {
            const std::string* cell = find_cell(rows_[r], rule.column);
            if (!cell) {
                add(r, rule.column, "is missing");
                return false;
            }
            res = convert_cell(rule, m_.decimal, *cell, out, reason);
        }
        if (res == cell_result::bad) add(r, rule.column, reason);
        return res == cell_result::ok;
    }

    const mapping& m_;
    const std::vector<row>& rows_;
};

std::string join(const std::vector<std::string>& parts, const char* sep) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
    return out;
}

}  // namespace

std::vector<mapping> load_mappings(const std::string& path) {
    yaml::node root(yaml::load_file(path), path, "");
    root.expect_map();
    root.expect_keys({"mappings"});
    if (!root.has("mappings")) root.child("mappings").fail("required key is missing");
    yaml::node list = root.child("mappings");
    list.expect_list();
    if (list.size() == 0) list.fail("needs at least one mapping");
    std::vector<mapping> out;
    std::set<std::string> names;
    for (std::size_t i = 0; i < list.size(); ++i) {
        mapping m = load_one(list.item(i));
        if (!names.insert(m.name).second)
            list.item(i).child("name").fail("the name '" + m.name + "' is used twice");
        out.push_back(std::move(m));
    }
    return out;
}

const mapping* match_file(const std::vector<mapping>& mappings, const std::string& file_name) {
    for (const auto& m : mappings)
        if (!m.match.empty() && ::fnmatch(m.match.c_str(), file_name.c_str(), 0) == 0) return &m;
    return nullptr;
}

std::vector<mapped_event> map_rows(const mapping& m, const std::vector<row>& rows,
                                   const std::function<std::string(std::size_t)>& fallback_id,
                                   std::vector<row_error>& errors) {
    std::vector<row_error> found;
    std::vector<std::vector<std::size_t>> groups;
    std::vector<std::string> keys;  // group_by value of each group
    if (m.group_by.empty()) {
        for (std::size_t i = 0; i < rows.size(); ++i) groups.push_back({i});
    } else {
        std::unordered_map<std::string, std::size_t> index;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const std::string* cell = find_cell(rows[i], m.group_by);
            std::string key = cell ? std::string(trim(*cell)) : "";
            if (key.empty()) {
                found.push_back(
                    {i, "column '" + m.group_by +
                            "': " + (cell ? "is empty (rows are grouped by it)" : "is missing")});
                continue;
            }
            auto [it, added] = index.emplace(key, groups.size());
            if (added) {
                groups.emplace_back();
                keys.push_back(key);
            }
            groups[it->second].push_back(i);
        }
    }

    std::vector<mapped_event> events;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        group_mapper mapper(m, rows);
        mapped_event ev = mapper.build(groups[g], fallback_id);
        if (mapper.problems.empty()) {
            events.push_back(std::move(ev));
            continue;
        }
        const bool whole_group = groups[g].size() > 1;
        const std::string group_name =
            whole_group ? m.group_by + " '" + keys[g] + "'" : std::string();
        for (std::size_t r : groups[g]) {
            auto it = mapper.problems.find(r);
            if (it != mapper.problems.end()) {
                std::string reason = join(it->second, "; ");
                if (whole_group) reason += " (the whole group " + group_name + " is left out)";
                found.push_back({r, std::move(reason)});
            } else if (whole_group) {
                found.push_back(
                    {r, "left out with its group " + group_name + ", which has a bad row"});
            }
        }
    }
    std::stable_sort(found.begin(), found.end(),
                     [](const row_error& a, const row_error& b) { return a.row < b.row; });
    errors.insert(errors.end(), found.begin(), found.end());
    return events;
}

}  // namespace baton::adapters
