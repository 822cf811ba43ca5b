// Text rendering of control replies.
#include "render.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>
#include <vector>

#include "format.h"
#include "json.h"

namespace baton::ctl {

namespace {

// Every string batonctl prints came from batond, and most from a department's events: shown
// through printable() so an escape sequence in an order id cannot act on the terminal.
std::string str(const value& v, const char* key) {
    const value* f = v.find(key);
    if (!f) return "";
    if (f->is_string()) return printable(f->as_string());
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

std::string dash_if_empty(std::string s) {
    return s.empty() ? "-" : s;
}

// At most `max` bytes, "..." included when cut; never splits a UTF-8 sequence.
std::string clip(const std::string& s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t cut = max - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut) + "...";
}

// A KPI duration: "850ms" below a second, else as format_age.
std::string kpi_duration(std::int64_t ms) {
    if (ms < 1000) return std::to_string(std::max<std::int64_t>(ms, 0)) + "ms";
    return format_age(ms);
}

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", share * 100.0);
    return buf;
}

double real(const value& v, const char* key) {
    const value* f = v.find(key);
    return f ? f->to_double() : 0.0;
}

const value& section(const value& reply, const char* key) {
    static const value empty{value_map{}};
    const value* f = reply.find(key);
    return f && f->is_map() ? *f : empty;
}

// One CSV field: strings quoted when they hold a comma, quote or line break.
std::string csv_field(const value& v) {
    if (v.is_string()) {
        const std::string s = printable(v.as_string());
        if (s.find_first_of(",\"") == std::string::npos) return s;
        std::string q = "\"";
        for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
    }
    if (v.is_integer() || v.is_bool() || v.is_nil()) return v.is_nil() ? "" : to_json(v);
    if (v.is_number()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", v.to_double());
        return buf;
    }
    return csv_field(value(to_json(v)));
}

// A CSV section: the header line, then one line per row with the section name first.
void csv_section(std::string& out, const char* name, const std::vector<const char*>& keys,
                 const std::vector<const value*>& rows) {
    out += "section";
    for (const char* k : keys) out += std::string(",") + k;
    out += "\n";
    for (const value* row : rows) {
        out += name;
        for (const char* k : keys) {
            const value* f = row->find(k);
            out += "," + (f ? csv_field(*f) : std::string());
        }
        out += "\n";
    }
}

// ANSI SGR codes for `tail`.
const char* severity_colour(const std::string& severity) {
    if (severity == "critical") return "1;31";
    if (severity == "high") return "31";
    if (severity == "medium") return "33";
    if (severity == "low") return "36";
    if (severity == "warning") return "35";
    return "";
}

const char* state_colour(const std::string& state) {
    if (state == "raised" || state == "opened") return "1";
    if (state == "escalated") return "1;31";
    if (state == "acknowledged") return "34";
    if (state == "resolved" || state == "done") return "32";
    return "";
}

// `text` padded to `width`, then coloured: padding first keeps the columns aligned.
std::string cell(const std::string& text, std::size_t width, const char* sgr, bool colour) {
    std::string padded = text;
    if (padded.size() < width) padded += std::string(width - padded.size(), ' ');
    if (!colour || !*sgr) return padded;
    return std::string("\033[") + sgr + "m" + text + "\033[0m" + padded.substr(text.size());
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

std::optional<std::int64_t> local_midnight_ms(const std::string& date) {
    if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (date[i] < '0' || date[i] > '9') return std::nullopt;
    const int year = std::stoi(date.substr(0, 4)), month = std::stoi(date.substr(5, 2)),
              day = std::stoi(date.substr(8, 2));
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_isdst = -1;  // let the zone rules say whether that midnight is summer time
    const std::time_t t = std::mktime(&tm);
    // mktime normalises 2026-02-30 to 2 March: a changed date was not a real one.
    if (t == static_cast<std::time_t>(-1) || tm.tm_year != year - 1900 || tm.tm_mon != month - 1 ||
        tm.tm_mday != day)
        return std::nullopt;
    return static_cast<std::int64_t>(t) * 1000;
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
                    parts += (parts.empty() ? "" : ", ") + printable(n.key) + " " + to_json(n.val);
                rows.push_back({printable(m.key), parts});
            } else {
                rows.push_back({printable(m.key), to_json(m.val)});
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
    for (const auto& h : list(*o, "holds"))
        holds +=
            (holds.empty() ? "" : ", ") + (h.is_string() ? printable(h.as_string()) : to_json(h));
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
            rows.push_back({"  " + printable(m->key), format_time(at)});
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
        data = clip(data, 60);
        rows.push_back({std::to_string(num(m, "seq")), str(m, "topic"),
                        env ? str(*env, "order") : "", env ? str(*env, "cause") : "", data});
    }
    return table(rows);
}

std::string render_exceptions(const value& reply, std::int64_t now_ms) {
    const auto& exceptions = list(reply, "exceptions");
    if (exceptions.empty()) return "no exceptions match\n";
    std::vector<std::vector<std::string>> rows = {
        {"ID", "SEVERITY", "KIND", "DEPT", "ORDER", "CUSTOMER", "STATE", "RAISED", "DETAIL"}};
    for (const auto& e : exceptions)
        rows.push_back({str(e, "id"), str(e, "severity"), str(e, "kind"),
                        dash_if_empty(str(e, "dept")), dash_if_empty(str(e, "order")),
                        dash_if_empty(str(e, "customer")), str(e, "state"),
                        since_text(num(e, "raised_at"), now_ms), clip(str(e, "detail"), 60)});
    return table(rows);
}

std::string render_tasks(const value& reply, std::int64_t now_ms) {
    const auto& tasks = list(reply, "tasks");
    if (tasks.empty()) return "no tasks match\n";
    std::vector<std::vector<std::string>> rows = {
        {"ID", "DEPT", "ORDER", "ACTION", "DUE", "STATE"}};
    for (const auto& t : tasks) {
        const std::int64_t due = num(t, "due_at");
        std::string due_text = "-";
        if (due > 0)
            due_text =
                format_time(due) + (due >= now_ms ? " (in " + format_age(due - now_ms) + ")"
                                                  : " (" + format_age(now_ms - due) + " overdue)");
        rows.push_back({str(t, "id"), str(t, "dept"), dash_if_empty(str(t, "order")),
                        clip(str(t, "action"), 60), due_text, str(t, "state")});
    }
    return table(rows);
}

std::string render_act(const std::string& cmd, const std::string& id, const std::string& by) {
    const char* done = cmd == "ack" ? "acknowledged" : cmd == "resolve" ? "resolved" : "done";
    return printable(id) + " " + done + " by " + printable(by) + "\n";
}

std::string render_kpi(const value& reply) {
    std::ostringstream out;
    const value& window = section(reply, "window");
    const std::int64_t since = num(window, "since"), until = num(window, "until");
    out << "KPIs from " << (since <= 0 ? std::string("the start") : format_time(since)) << " until "
        << (until <= 0 || until == std::numeric_limits<std::int64_t>::max() ? std::string("now")
                                                                            : format_time(until))
        << " (until excluded)\n\n";

    std::vector<std::vector<std::string>> stages = {
        {"STAGE", "HOLDER", "COUNT", "P50", "P90", "WITHIN SLA %", "OPEN"}};
    for (const auto& s : list(reply, "stages")) {
        const bool any = num(s, "count") > 0;
        stages.push_back(
            {str(s, "stage"), dash_if_empty(str(s, "holder")), std::to_string(num(s, "count")),
             any ? kpi_duration(num(s, "p50_ms")) : "-", any ? kpi_duration(num(s, "p90_ms")) : "-",
             any ? percent(real(s, "within_sla")) : "-", std::to_string(num(s, "open"))});
    }
    out << table(stages) << "\n";

    const value& cycle = section(reply, "cycle_time");
    out << "Cycle time (placed to delivered): ";
    if (num(cycle, "count") > 0)
        out << num(cycle, "count") << " orders, p50 " << kpi_duration(num(cycle, "p50_ms"))
            << ", p90 " << kpi_duration(num(cycle, "p90_ms")) << "\n";
    else
        out << "no order delivered\n";

    const value& otif = section(reply, "otif");
    out << "OTIF: " << num(otif, "delivered") << " delivered, " << num(otif, "on_time")
        << " on time, " << num(otif, "in_full") << " in full, " << num(otif, "otif")
        << " on time in full"
        << (num(otif, "delivered") > 0 ? " (" + percent(real(otif, "share")) + "%)" : "") << "\n\n";

    const auto& exceptions = list(reply, "exceptions");
    if (exceptions.empty()) {
        out << "Exceptions: none raised\n";
    } else {
        out << "Exceptions\n";
        std::vector<std::vector<std::string>> rows = {
            {"KIND", "DEPT", "RAISED", "RESOLVED", "MEAN TO RESOLVE"}};
        for (const auto& e : exceptions)
            rows.push_back(
                {str(e, "kind"), dash_if_empty(str(e, "dept")), std::to_string(num(e, "raised")),
                 std::to_string(num(e, "resolved")),
                 num(e, "resolved") > 0 ? kpi_duration(num(e, "mean_resolve_ms")) : "-"});
        out << table(rows);
    }

    const value& holds = section(reply, "credit_holds");
    out << "\nCredit holds: " << num(holds, "count") << " raised, " << num(holds, "resolved")
        << " resolved";
    if (num(holds, "resolved") > 0)
        out << ", " << kpi_duration(num(holds, "mean_resolve_ms")) << " to resolve on average";
    out << "\n";

    const value& die = section(reply, "die_lead_time");
    out << "Die lead time: ";
    if (num(die, "count") > 0)
        out << num(die, "count") << " dies ready, p50 " << kpi_duration(num(die, "p50_ms"))
            << ", p90 " << kpi_duration(num(die, "p90_ms")) << "\n";
    else
        out << "no die made ready\n";
    return out.str();
}

std::string render_kpi_csv(const value& reply) {
    std::string out;
    auto rows_of = [&](const char* key) {
        std::vector<const value*> rows;
        for (const auto& r : list(reply, key)) rows.push_back(&r);
        return rows;
    };
    csv_section(out, "window", {"since", "until"}, {&section(reply, "window")});
    csv_section(out, "stages",
                {"stage", "holder", "count", "p50_ms", "p90_ms", "within_sla", "open"},
                rows_of("stages"));
    csv_section(out, "cycle_time", {"count", "p50_ms", "p90_ms"}, {&section(reply, "cycle_time")});
    csv_section(out, "otif", {"delivered", "on_time", "in_full", "otif", "share"},
                {&section(reply, "otif")});
    csv_section(out, "exceptions", {"kind", "dept", "raised", "resolved", "mean_resolve_ms"},
                rows_of("exceptions"));
    csv_section(out, "credit_holds", {"count", "resolved", "mean_resolve_ms"},
                {&section(reply, "credit_holds")});
    csv_section(out, "die_lead_time", {"count", "p50_ms", "p90_ms"},
                {&section(reply, "die_lead_time")});
    return out;
}

std::string render_feed_line(const value& data, bool colour) {
    std::int64_t ts = num(data, "ts");
    if (ts <= 0) ts = num(data, "updated_at");
    const std::string state = str(data, "state");
    std::string line = format_time(ts) + "  ";
    if (data.find("action")) {  // a task (task.escalation), not an exception
        line += cell("task " + state, 14, state_colour(state), colour) + "  " + str(data, "id") +
                "  " + str(data, "dept") + "  " + dash_if_empty(str(data, "order")) + "  " +
                str(data, "action");
        if (num(data, "due_at") > 0) line += " (due " + format_time(num(data, "due_at")) + ")";
        return line + "\n";
    }
    const std::string severity = str(data, "severity");
    line += cell(state, 12, state_colour(state), colour) + "  " +
            cell(str(data, "id"), 5, "", false) + "  " +
            cell(severity, 8, severity_colour(severity), colour) + "  " +
            cell(str(data, "kind"), 16, "", false) + "  " +
            cell(dash_if_empty(str(data, "dept")), 10, "", false) + "  " +
            cell(dash_if_empty(str(data, "order")), 8, "", false) + "  " + str(data, "detail");
    const std::string by = str(data, "by");
    if ((state == "acknowledged" || state == "resolved") && !by.empty()) {
        const std::string note = str(data, "note");
        line += " (" + state + " by " + by + (note.empty() ? "" : ": " + note) + ")";
    }
    return line + "\n";
}

}  // namespace baton::ctl
