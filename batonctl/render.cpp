// Text rendering of control replies.
#include "render.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <vector>

#include "json.h"

namespace baton::ctl {

namespace {

std::string str(const value& v, const char* key) {
    const value* f = v.find(key);
    if (!f) return "";
    if (f->is_string()) return f->as_string();
    if (f->is_nil()) return "";
    return to_json(*f);
}

std::int64_t num(const value& v, const char* key) {
    std::int64_t n = 0;
    if (const value* f = v.find(key)) f->to_int64(n);
    return n;
}

const value_list& list(const value& v, const char* key) {
    static const value_list empty;
    const value* f = v.find(key);
    return f && f->is_list() ? f->as_list() : empty;
}

// Columns padded to their widest cell.
std::string table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], r[i].size());
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string since_text(std::int64_t since_ms, std::int64_t now_ms) {
    if (since_ms <= 0) return "-";
    return format_time(since_ms) + " (" + format_age(now_ms - since_ms) + " ago)";
}

}  // namespace

std::string format_time(std::int64_t ms) {
    if (ms <= 0) return "-";
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string format_age(std::int64_t ms) {
    if (ms < 0) ms = 0;
    std::int64_t s = ms / 1000;
    const std::int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
    if (d > 0) return std::to_string(d) + "d" + std::to_string(h) + "h";
    if (h > 0) return std::to_string(h) + "h" + std::to_string(m) + "m";
    if (m > 0) return std::to_string(m) + "m" + std::to_string(sec) + "s";
    return std::to_string(sec) + "s";
}

std::string format_cents(std::int64_t cents) {
    bool negative = cents < 0;
    std::uint64_t c =
        negative ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
    std::string whole = std::to_string(c / 100);
    std::string grouped;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
        grouped += whole[i];
    }
    char frac[4];
    std::snprintf(frac, sizeof frac, "%02u", static_cast<unsigned>(c % 100));
    return (negative ? "-" : "") + grouped + "." + frac;
}

std::string render_status(const value& r, std::int64_t /*now_ms*/) {
    std::vector<std::vector<std::string>> rows = {
        {"version", str(r, "version")},
        {"uptime", format_age(num(r, "uptime_s") * 1000)},
        {"events", std::to_string(num(r, "events"))},
        {"orders", std::to_string(num(r, "orders")) + " (" + std::to_string(num(r, "orders_open")) +
                       " open)"},
        {"exceptions open", std::to_string(num(r, "exceptions_open"))},
        {"tasks open", std::to_string(num(r, "tasks_open"))},
        {"relay seq", std::to_string(num(r, "relay_seq"))},
    };
    if (const value* c = r.find("counters"); c && c->is_map()) {
        for (const auto& m : c->as_map()) {
            if (m.val.is_map()) {
                std::string parts;
                for (const auto& n : m.val.as_map())
                    parts += (parts.empty() ? "" : ", ") + n.key + " " + to_json(n.val);
                rows.push_back({m.key, parts});
            } else {
                rows.push_back({m.key, to_json(m.val)});
            }
        }
    }
    return table(rows);
}

std::string render_order(const value& reply, std::int64_t now_ms) {
    const value* o = reply.find("order");
    if (!o) return "";
    std::ostringstream out;
    std::string holder = str(*o, "holder");
    out << "Order " << str(*o, "id") << " for " << str(*o, "customer") << "\n";
    std::vector<std::vector<std::string>> head = {
        {"stage", str(*o, "stage")},
        {"holder", holder.empty() ? "-" : holder},
        {"since", since_text(num(*o, "since"), now_ms)},
        {"promised", str(*o, "promised_date").empty() ? "-" : str(*o, "promised_date")},
        {"amount", format_cents(num(*o, "amount_cents")) + " (paid " +
                       format_cents(num(*o, "paid_cents")) + ")"},
        {"terms", str(*o, "terms") + (o->find("new_die") && o->find("new_die")->is_bool() &&
                                              o->find("new_die")->as_bool()
                                          ? ", new die"
                                          : "")},
    };
    if (!str(*o, "planned_finish").empty())
        head.push_back({"planned finish", str(*o, "planned_finish")});
    std::string holds;
    for (const auto& h : list(*o, "holds")) holds += (holds.empty() ? "" : ", ") + h.as_string();
    head.push_back({"holds", holds.empty() ? "none" : holds});
    if (!str(*o, "cancel_reason").empty()) head.push_back({"cancelled", str(*o, "cancel_reason")});
    out << table(head);

    if (const value* ms = o->find("milestones"); ms && ms->is_map() && !ms->as_map().empty()) {
        std::vector<const member*> sorted;
        for (const auto& m : ms->as_map()) sorted.push_back(&m);
        std::sort(sorted.begin(), sorted.end(), [](const member* a, const member* b) {
            std::int64_t x = 0, y = 0;
            a->val.to_int64(x);
            b->val.to_int64(y);
            return x < y;
        });
        out << "\nMilestones\n";
        std::vector<std::vector<std::string>> rows;
        for (const member* m : sorted) {
            std::int64_t at = 0;
            m->val.to_int64(at);
            rows.push_back({"  " + m->key, format_time(at)});
        }
        out << table(rows);
    }
    if (!list(*o, "cases").empty()) {
        out << "\nCases\n";
        std::vector<std::vector<std::string>> rows = {
            {"  CASE", "KIND", "STATE", "OPENED", "DETAIL"}};
        for (const auto& c : list(*o, "cases"))
            rows.push_back({"  " + str(c, "id"), str(c, "kind"), str(c, "state"),
                            format_time(num(c, "opened")),
                            str(c, "state") == "closed" ? str(c, "resolution") : str(c, "detail")});
        out << table(rows);
    }
    if (!list(*o, "history").empty()) {
        out << "\nHistory\n";
        std::vector<std::vector<std::string>> rows = {{"  RECEIVED", "TOPIC", "EVENT", "SOURCE"}};
        for (const auto& h : list(*o, "history"))
            rows.push_back({"  " + format_time(num(h, "received")), str(h, "topic"), str(h, "id"),
                            str(h, "source")});
        out << table(rows);
    }
    return out.str();
}

std::string render_orders(const value& reply, std::int64_t now_ms) {
    const auto& orders = list(reply, "orders");
    if (orders.empty()) return "no orders match\n";
    std::vector<std::vector<std::string>> rows = {
        {"ORDER", "CUSTOMER", "STAGE", "HOLDER", "SINCE"}};
    for (const auto& o : orders) {
        std::string holder = str(o, "holder");
        rows.push_back({str(o, "id"), str(o, "customer"), str(o, "stage"),
                        holder.empty() ? "-" : holder, since_text(num(o, "since"), now_ms)});
    }
    std::string out = table(rows);
    std::int64_t total = num(reply, "total");
    if (total > static_cast<std::int64_t>(orders.size()))
        out += "(" + std::to_string(orders.size()) + " of " + std::to_string(total) +
               " shown; use --limit)\n";
    return out;
}

std::string render_replay(const value& reply) {
    const auto& messages = list(reply, "messages");
    if (messages.empty()) return "no messages after that seq\n";
    std::vector<std::vector<std::string>> rows = {{"SEQ", "TOPIC", "ORDER", "CAUSE", "DATA"}};
    for (const auto& m : messages) {
        const value* env = m.find("envelope");
        std::string data = env && env->find("data") ? to_json(*env->find("data")) : "";
        if (data.size() > 60) data = data.substr(0, 57) + "...";
        rows.push_back({std::to_string(num(m, "seq")), str(m, "topic"),
                        env ? str(*env, "order") : "", env ? str(*env, "cause") : "", data});
    }
    return table(rows);
}

}  // namespace baton::ctl
