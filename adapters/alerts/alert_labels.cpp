// The mapping from an exception record to labels and annotations (alert_labels.h).
#include "alert_labels.h"

#include <cstdio>
#include <ctime>
#include <tuple>
#include <utility>

namespace baton::adapters::alerts {

namespace {

// Reads the string key `name` into `out` when present; false when it has another type.
bool read_text(const value& v, const char* name, std::string& out, std::string& error) {
    const value* f = v.find(name);
    if (!f || f->is_nil()) return true;
    if (!f->is_string()) {
        error = std::string("'") + name + "' must be a string, got " + type_name(*f);
        return false;
    }
    out = f->as_string();
    return true;
}

bool read_ms(const value& v, const char* name, std::int64_t& out, std::string& error) {
    const value* f = v.find(name);
    if (!f || f->is_nil()) return true;
    if (!f->to_int64(out)) {
        error = std::string("'") + name + "' must be ms since the epoch, got " + type_name(*f);
        return false;
    }
    return true;
}

void put(label_set& set, const std::string& name, const std::string& text) {
    if (!text.empty()) set[name] = text;
}

auto fields(const exception_record& r) {
    return std::tie(r.id, r.kind, r.severity, r.dept, r.order, r.customer, r.status, r.raised_at_ms,
                    r.resolved_at_ms, r.detail, r.stage, r.scope, r.by, r.note, r.assignee, r.tier,
                    r.customer_name, r.order_stage, r.enriched);
}

}  // namespace

bool operator==(const exception_record& a, const exception_record& b) {
    return fields(a) == fields(b);
}

bool operator==(const alert_content& a, const alert_content& b) {
    return std::tie(a.labels, a.annotations, a.starts_at_ms, a.generator_url) ==
           std::tie(b.labels, b.annotations, b.starts_at_ms, b.generator_url);
}

bool parse_exception_record(const value& v, exception_record& out, std::string& error) {
    if (!v.is_map()) {
        error = std::string("the record must be a map, got ") + type_name(v);
        return false;
    }
    exception_record r;
    std::string state;
    std::string status;
    for (auto [name, field] :
         {std::pair{"id", &r.id}, std::pair{"kind", &r.kind}, std::pair{"severity", &r.severity},
          std::pair{"dept", &r.dept}, std::pair{"order", &r.order},
          std::pair{"customer", &r.customer}, std::pair{"detail", &r.detail},
          std::pair{"stage", &r.stage}, std::pair{"scope", &r.scope}, std::pair{"by", &r.by},
          std::pair{"note", &r.note}, std::pair{"assignee", &r.assignee},
          std::pair{"tier", &r.tier}, std::pair{"customer_name", &r.customer_name},
          std::pair{"order_stage", &r.order_stage}, std::pair{"state", &state},
          std::pair{"status", &status}})
        if (!read_text(v, name, *field, error)) return false;
    if (!read_ms(v, "raised_at", r.raised_at_ms, error) ||
        !read_ms(v, "resolved_at", r.resolved_at_ms, error))
        return false;
    for (auto [name, field] :
         {std::pair{"id", &r.id}, std::pair{"kind", &r.kind}, std::pair{"severity", &r.severity}})
        if (field->empty()) {
            error = std::string("'") + name + "' is missing";
            return false;
        }
    // The relay's `state` is what just happened and `status` the state after it; a reply item
    // has only `state`, which is then the state.
    r.status = !status.empty() ? status : state;
    if (r.status != "open" && r.status != "acknowledged" && r.status != "resolved") {
        // raised, escalated, assigned without a status: an older batond; still open.
        r.status = state == "resolved" ? "resolved" : "open";
    }
    r.enriched = v.find("order_stage") != nullptr || v.find("tier") != nullptr;
    out = std::move(r);
    return true;
}

std::string stage_label(const exception_record& r, const std::string& stable_stage) {
    if (!r.stage.empty()) return r.stage;
    if (!stable_stage.empty()) return stable_stage;
    return r.order_stage;
}

alert_content alert_for(const exception_record& r, const std::string& stage,
                        const label_options& options) {
    alert_content a;
    a.labels = options.extra_labels;
    put(a.labels, "alertname", r.kind);
    put(a.labels, "severity", r.severity);
    put(a.labels, "dept", r.dept);
    put(a.labels, "tier", r.tier);
    put(a.labels, "stage", stage);
    put(a.labels, "customer", r.customer);
    put(a.labels, "order", r.order);
    put(a.labels, "scope", r.scope);
    a.labels["source"] = "baton";

    const std::string order_url =
        r.order.empty() ? "" : options.board_url + "/order/" + url_escape(r.order);
    std::string summary = r.kind;
    if (!r.order.empty()) summary += " on " + r.order;
    const std::string& who = r.customer_name.empty() ? r.customer : r.customer_name;
    if (!who.empty()) summary += " for " + who;
    put(a.annotations, "summary", summary);
    put(a.annotations, "detail", r.detail);
    put(a.annotations, "exception", r.id);
    if (r.status == "acknowledged" && !r.by.empty())
        put(a.annotations, "acknowledged_by", r.note.empty() ? r.by : r.by + ": " + r.note);
    put(a.annotations, "assignee", r.assignee);
    if (r.raised_at_ms > 0) put(a.annotations, "raised_at", rfc3339(r.raised_at_ms));
    put(a.annotations, "order_url", order_url);
    put(a.annotations, "customer_name", r.customer_name);
    a.starts_at_ms = r.raised_at_ms;
    a.generator_url = order_url.empty() ? options.board_url + "/" : order_url;
    return a;
}

std::string label_key(const label_set& labels) {
    std::string key;
    for (const auto& [name, text] : labels) {
        key += name;
        key += '=';
        for (char c : text) {
            if (c == '\\' || c == ',') key += '\\';
            key += c;
        }
        key += ',';
    }
    return key;
}

std::string rfc3339(std::int64_t ms) {
    std::int64_t secs = ms / 1000;
    std::int64_t frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        --secs;
    }
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(frac));
    return buf;
}

std::string url_escape(const std::string& text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace baton::adapters::alerts
