// Column paths, formats and the text of one cell (columns.h).
#include "columns.h"

#include <ctime>

#include "format.h"
#include "json.h"

namespace baton::adapters::csv_out {

namespace {

bool is_envelope_key(const std::string& k) {
    for (const char* e : {"v", "id", "source", "topic", "ts", "order", "seq", "cause", "data"})
        if (k == e) return true;
    return false;
}

std::tm parts_of(std::int64_t ms, clock_zone zone) {
    std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm tm{};
    if (zone.local)
        localtime_r(&t, &tm);
    else
        gmtime_r(&t, &tm);
    return tm;
}

std::string strftime_of(std::int64_t ms, clock_zone zone, const char* fmt) {
    std::tm tm = parts_of(ms, zone);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
    return std::string(buf, n);
}

const value* walk(const value& root, const std::vector<path_step>& steps) {
    const value* v = &root;
    for (const auto& s : steps) {
        if (const auto* key = std::get_if<std::string>(&s)) {
            v = v->find(*key);
        } else {
            std::size_t i = std::get<std::size_t>(s);
            if (!v->is_list() || i >= v->as_list().size()) return nullptr;
            v = &v->as_list()[i];
        }
        if (!v) return nullptr;
    }
    return v;
}

}  // namespace

std::optional<std::vector<path_step>> parse_value_path(const std::string& path,
                                                       std::string& error) {
    std::vector<path_step> steps;
    std::size_t i = 0;
    const std::size_t n = path.size();
    while (i < n) {
        std::size_t start = i;
        while (i < n && path[i] != '.' && path[i] != '[') ++i;
        if (i == start) {
            error = "'" + path + "': empty key at character " + std::to_string(start + 1);
            return std::nullopt;
        }
        steps.emplace_back(path.substr(start, i - start));
        while (i < n && path[i] == '[') {
            std::size_t close = path.find(']', i);
            std::string digits =
                close == std::string::npos ? "" : path.substr(i + 1, close - i - 1);
            if (digits.empty() || digits.size() > 6 ||
                digits.find_first_not_of("0123456789") != std::string::npos) {
                error = "'" + path + "': expected [<index>] at character " + std::to_string(i + 1);
                return std::nullopt;
            }
            steps.emplace_back(static_cast<std::size_t>(std::stoul(digits)));
            i = close + 1;
        }
        if (i < n) {
            if (path[i] != '.' || i + 1 == n) {
                error = "'" + path + "': unexpected '" + path.substr(i, 1) + "' at character " +
                        std::to_string(i + 1);
                return std::nullopt;
            }
            ++i;
        }
    }
    if (steps.empty()) {
        error = "empty path";
        return std::nullopt;
    }
    const auto* first = std::get_if<std::string>(&steps.front());
    if (!first || !is_envelope_key(*first)) {
        error = "'" + path +
                "': must start with an envelope key (seq, topic, ts, order, id, source, cause, "
                "v, data)";
        return std::nullopt;
    }
    if (*first != "data" && steps.size() > 1) {
        error = "'" + path + "': only data has fields";
        return std::nullopt;
    }
    return steps;
}

std::optional<cell_format> parse_cell_format(const std::string& name) {
    if (name == "cents") return cell_format::cents;
    if (name == "date") return cell_format::date;
    if (name == "datetime") return cell_format::datetime;
    if (name == "json") return cell_format::json;
    return std::nullopt;
}

value envelope_as_value(const relayed_message& m) {
    const envelope& e = m.env;
    value v(value_map{});
    v.set("v", e.v);
    v.set("id", e.id);
    v.set("source", e.source);
    v.set("topic", e.topic.empty() ? m.topic : e.topic);
    v.set("ts", e.ts_ms);
    if (e.order) v.set("order", *e.order);
    v.set("seq", e.seq ? *e.seq : m.seq);
    if (e.cause) v.set("cause", *e.cause);
    v.set("data", e.data);
    return v;
}

std::string compact_date(std::int64_t ms, clock_zone zone) {
    return strftime_of(ms, zone, "%Y%m%d");
}
std::string iso_date(std::int64_t ms, clock_zone zone) {
    return strftime_of(ms, zone, "%Y-%m-%d");
}
std::string iso_datetime(std::int64_t ms, clock_zone zone) {
    return strftime_of(ms, zone, "%Y-%m-%d %H:%M:%S");
}

std::string cell_text(const column& c, const value& env, clock_zone zone, std::string& problem) {
    const value* v = walk(env, c.steps);
    if (!v || v->is_nil()) return "";
    std::int64_t i = 0;
    switch (c.format) {
        case cell_format::text:
            if (v->is_string()) return v->as_string();
            return to_json(*v);
        case cell_format::json: return to_json(*v);
        case cell_format::cents:
            if (v->to_int64(i)) return money_text(i);
            problem = c.value_path + ": cents need an integer, got " + type_name(*v);
            return "";
        case cell_format::date:
        case cell_format::datetime:
            if (v->to_int64(i))
                return c.format == cell_format::date ? iso_date(i, zone) : iso_datetime(i, zone);
            if (v->is_string()) return v->as_string();  // already a date such as "2026-12-18"
            problem = c.value_path + ": a date needs ms since the epoch, got " + type_name(*v);
            return "";
    }
    return "";
}

}  // namespace baton::adapters::csv_out
