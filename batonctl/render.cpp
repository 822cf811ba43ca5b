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

// The columns a cell takes on a terminal: one per character, two for the wide East Asian ones
// (苏州铝业), so that names such as "Kovács Építő Kft" keep the columns aligned.
std::size_t display_width(const std::string& s) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
        if (i + len > s.size()) len = s.size() - i;
        std::uint32_t cp = len == 1 ? c : c & (0x3F >> (len - 1));
        for (std::size_t k = 1; k < len; ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                          (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                          (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                          (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
        width += wide ? 2 : 1;
        i += len;
    }
    return width;
}

// Columns padded to their widest cell.
std::string table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], display_width(r[i]));
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - display_width(r[i]) + 2, ' ');
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

bool yes(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_bool() && f->as_bool();
}

// A quantity in its unit as people read it: "1200", "350.5", "0.125".
std::string qty_text(double q) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", q);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

std::string qty_of(const value& v, const char* key) {
    return qty_text(real(v, key));
}

// "1: 1200 kg; 2: 350.5 kg" from [{line, qty, unit}] (line 0: the order as a whole).
std::string line_quantities(const value_list& qs) {
    std::string out;
    for (const auto& q : qs) {
        if (!out.empty()) out += "; ";
        const std::int64_t line = num(q, "line");
        out += (line == 0 ? std::string("all") : std::to_string(line)) + ": " + qty_of(q, "qty");
        if (!str(q, "unit").empty()) out += " " + str(q, "unit");
    }
    return out;
}

// "line 2 (PRF-D-0930) 350.5 kg; ..." from a backorder list.
std::string backorder_text(const value_list& rest) {
    std::string out;
    for (const auto& b : rest) {
        if (!out.empty()) out += "; ";
        out += "line " + std::to_string(num(b, "line"));
        if (!str(b, "item").empty()) out += " (" + str(b, "item") + ")";
        out += " " + qty_of(b, "qty") + (str(b, "unit").empty() ? "" : " " + str(b, "unit"));
    }
    return out;
}

// How far an invoice is from its due day: "16 days overdue (0-30)", "due in 3 days",
// "settled 2026-11-20 10:00:00".
std::string ageing_text(const value& inv) {
    if (num(inv, "open_cents") <= 0)
        return num(inv, "settled_at") > 0 ? "settled " + format_time(num(inv, "settled_at"))
                                          : "settled";
    const value* days = inv.find("days_overdue");
    if (!days) return "no due date";
    std::int64_t d = 0;
    days->to_int64(d);
    if (d < 0) {
        const std::int64_t in = -d - 1;
        return in == 0 ? "due today"
                       : "due in " + std::to_string(in) + (in == 1 ? " day" : " days");
    }
    return std::to_string(d) + (d == 1 ? " day" : " days") + " overdue (" + str(inv, "ageing") +
           ")";
}

std::string count_text(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The three answers a clerk gives on the phone: what has left, what is still to ship, what is
// owed.
std::vector<std::vector<std::string>> order_summary(const value& o) {
    std::vector<std::vector<std::string>> rows;
    const auto& shipments = list(o, "shipments");
    std::size_t delivered = 0, on_road = 0, failed = 0;
    for (const auto& s : shipments) {
        const std::string state = str(s, "state");
        delivered += state == "delivered" ? 1 : 0;
        on_road += state == "on_road" ? 1 : 0;
        failed += state == "failed" ? 1 : 0;
    }
    std::string left = "nothing yet";
    if (!shipments.empty()) {
        left = count_text(shipments.size(), "shipment", "shipments") + ": " +
               std::to_string(delivered) + " delivered, " + std::to_string(on_road) +
               " on the road";
        if (failed > 0) left += ", " + std::to_string(failed) + " failed";
    }
    rows.push_back({"  left the plant", left});
    const auto& rest = list(o, "backorder");
    std::string open = rest.empty() ? "nothing" : backorder_text(rest);
    if (rest.empty() && list(o, "line_items").empty() && shipments.empty()) open = "-";
    rows.push_back({"  still to ship", open});
    const auto& invoices = list(o, "invoices");
    std::string owed;
    if (invoices.empty()) {
        owed = "nothing invoiced yet";
    } else if (num(o, "owed_cents") <= 0) {
        owed = "nothing (" + format_cents(num(o, "invoiced_cents")) + " invoiced, all paid)";
    } else {
        owed = format_cents(num(o, "owed_cents")) + " of " +
               format_cents(num(o, "invoiced_cents")) + " invoiced";
        std::int64_t worst = -1;
        const value* late = nullptr;
        for (const auto& inv : invoices) {
            std::int64_t d = -1;
            if (const value* days = inv.find("days_overdue"); days && num(inv, "open_cents") > 0)
                days->to_int64(d);
            if (d > worst) {
                worst = d;
                late = &inv;
            }
        }
        if (late && worst >= 0) owed += "; " + str(*late, "id") + " " + ageing_text(*late);
    }
    rows.push_back({"  owed", owed});
    return rows;
}

// The lines, batches, shipments, invoices and payments of an order reply (when it has them).
std::string order_pieces(const value& o) {
    std::ostringstream out;
    const auto& lines = list(o, "line_items");
    if (!lines.empty()) {
        out << "\nLines\n";
        std::vector<std::vector<std::string>> rows = {{"  LINE", "ITEM", "UNIT", "ORDERED",
                                                       "PRODUCED", "SCRAP", "DISPATCHED",
                                                       "DELIVERED", "STILL TO SHIP"}};
        for (const auto& l : lines)
            rows.push_back({"  " + std::to_string(num(l, "no")), dash_if_empty(str(l, "item")),
                            str(l, "unit"), qty_of(l, "ordered"), qty_of(l, "good"),
                            qty_of(l, "scrap"), qty_of(l, "dispatched"), qty_of(l, "delivered"),
                            qty_of(l, "backorder")});
        out << table(rows);
        const value& whole = section(o, "whole");
        for (const char* m : {"produced", "dispatched", "delivered"})
            if (yes(whole, m))
                out << "  (" << m << " as a whole order, without quantities per line)\n";
    }
    for (const auto& p : list(o, "quantity_problems"))
        out << "  quantity not counted: " << (p.is_string() ? printable(p.as_string()) : "")
            << "\n";
    if (!list(o, "batches").empty()) {
        out << "\nBatches\n";
        std::vector<std::vector<std::string>> rows = {
            {"  BATCH", "PRESS", "PLANNED FINISH", "STATE", "GOOD", "SCRAP", "QC FAILED"}};
        for (const auto& b : list(o, "batches")) {
            const std::string state = yes(b, "completed") ? "completed"
                                      : yes(b, "started") ? "started"
                                                          : "scheduled";
            rows.push_back(
                {"  " + str(b, "id"), dash_if_empty(str(b, "press_line")),
                 dash_if_empty(str(b, "planned_finish")), state,
                 yes(b, "whole") ? "whole order" : dash_if_empty(line_quantities(list(b, "good"))),
                 dash_if_empty(line_quantities(list(b, "scrap"))),
                 std::to_string(num(b, "qc_failures"))});
        }
        out << table(rows);
    }
    if (!list(o, "shipments").empty()) {
        out << "\nShipments\n";
        std::vector<std::vector<std::string>> rows = {
            {"  SHIPMENT", "STATE", "VEHICLE", "CARRIER", "LINES", "DISPATCHED", "ANSWERED"}};
        for (const auto& sh : list(o, "shipments")) {
            std::string state = str(sh, "state");
            if (state == "on_road") state = "on the road";
            if (!str(sh, "failure").empty() && state == "failed")
                state += " (" + clip(str(sh, "failure"), 40) + ")";
            std::string lines_text =
                yes(sh, "whole") ? "whole order" : line_quantities(list(sh, "lines"));
            if (str(sh, "state") == "delivered" && !list(sh, "received").empty() &&
                line_quantities(list(sh, "received")) != line_quantities(list(sh, "lines")))
                lines_text += ", received " + line_quantities(list(sh, "received"));
            rows.push_back({"  " + str(sh, "id"), state, dash_if_empty(str(sh, "vehicle")),
                            dash_if_empty(str(sh, "carrier")), dash_if_empty(lines_text),
                            format_time(num(sh, "dispatched_at")),
                            format_time(num(sh, "answered_at"))});
        }
        out << table(rows);
    }
    if (!list(o, "invoices").empty()) {
        out << "\nInvoices\n";
        std::vector<std::vector<std::string>> rows = {
            {"  INVOICE", "AMOUNT", "DUE", "PAID", "OPEN", "STATUS"}};
        for (const auto& inv : list(o, "invoices"))
            rows.push_back({"  " + str(inv, "id"), format_cents(num(inv, "amount_cents")),
                            dash_if_empty(str(inv, "due_date")),
                            format_cents(num(inv, "paid_cents")),
                            format_cents(num(inv, "open_cents")), ageing_text(inv)});
        out << table(rows);
    }
    if (!list(o, "payments").empty()) {
        out << "\nPayments\n";
        std::vector<std::vector<std::string>> rows = {{"  RECEIVED", "AMOUNT", "FOR INVOICE"}};
        for (const auto& pay : list(o, "payments"))
            rows.push_back({"  " + format_time(num(pay, "at")),
                            format_cents(num(pay, "amount_cents")),
                            dash_if_empty(str(pay, "invoice"))});
        out << table(rows);
        if (num(o, "unapplied_cents") > 0)
            out << "  paid in advance, not yet on an invoice: "
                << format_cents(num(o, "unapplied_cents")) << "\n";
    }
    return out.str();
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
    if (const value* archived = o->find("archived");
        archived && archived->is_bool() && archived->as_bool())
        head.push_back({"archived", "yes: closed past its retention, read from the store"});
    std::string holds;
    for (const auto& h : list(*o, "holds"))
        holds +=
            (holds.empty() ? "" : ", ") + (h.is_string() ? printable(h.as_string()) : to_json(h));
    head.push_back({"holds", holds.empty() ? "none" : holds});
    if (!str(*o, "cancel_reason").empty()) head.push_back({"cancelled", str(*o, "cancel_reason")});
    if (!str(*o, "salesperson").empty()) head.push_back({"salesperson", str(*o, "salesperson")});
    if (!str(*o, "customer_po").empty()) head.push_back({"customer PO", str(*o, "customer_po")});
    if (num(*o, "deposit_cents") > 0)
        head.push_back({"deposit", format_cents(num(*o, "deposit_cents"))});
    if (num(*o, "charge_cents") > 0)
        head.push_back({"cancellation charge", format_cents(num(*o, "charge_cents"))});
    out << table(head);
    if (o->find("backorder")) out << "\nWhere it stands\n" << table(order_summary(*o));
    out << order_pieces(*o);

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
            {"  CASE", "KIND", "STATE", "OPENED", "OUTCOME", "ROOT CAUSE", "CREDIT", "DETAIL"}};
        for (const auto& c : list(*o, "cases")) {
            std::string kind = str(c, "kind");
            if (!str(c, "complaint_kind").empty()) kind += " (" + str(c, "complaint_kind") + ")";
            if (num(c, "line") > 0) kind += ", line " + std::to_string(num(c, "line"));
            rows.push_back({"  " + str(c, "id"), kind, str(c, "state"),
                            format_time(num(c, "opened")), dash_if_empty(str(c, "outcome")),
                            dash_if_empty(str(c, "root_cause")),
                            num(c, "credit_cents") > 0 ? format_cents(num(c, "credit_cents")) : "-",
                            str(c, "state") == "closed" ? str(c, "resolution") : str(c, "detail")});
        }
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

std::string render_customer(const value& reply, std::int64_t now_ms) {
    const value* c = reply.find("customer");
    if (!c) return "";
    std::ostringstream out;
    out << "Customer " << str(*c, "id");
    if (!str(*c, "name").empty()) out << " " << str(*c, "name");
    out << "\n";
    const value& exposure = section(*c, "exposure");
    const std::int64_t limit = num(*c, "credit_limit_cents");
    std::string exposure_text = format_cents(num(exposure, "exposure_cents")) + " (receivable " +
                                format_cents(num(exposure, "receivable_cents")) +
                                " + open orders " +
                                format_cents(num(exposure, "open_orders_cents")) + ")";
    if (limit > 0)
        exposure_text += ", " + percent(real(exposure, "share_used")) + "% of the limit" +
                         (yes(exposure, "over_limit")
                              ? ", OVER by " + format_cents(-num(exposure, "headroom_cents"))
                              : ", headroom " + format_cents(num(exposure, "headroom_cents")));
    const value& receivables = section(*c, "receivables");
    const value& otif = section(*c, "otif");
    const value& by_qty = section(*c, "otif_quantity");
    const value& cycle = section(*c, "cycle_time");
    std::string otif_text = "no order delivered";
    if (num(otif, "delivered") > 0)
        otif_text =
            count_text(static_cast<std::size_t>(num(otif, "delivered")), "order", "orders") +
            " delivered, " + std::to_string(num(otif, "otif")) + " on time in full (" +
            percent(real(otif, "share")) + "%); lines " +
            std::to_string(num(by_qty, "lines_otif")) + " of " +
            std::to_string(num(by_qty, "lines")) + " in full by the promised day (" +
            percent(real(by_qty, "lines_share")) + "%)";
    std::vector<std::vector<std::string>> head = {
        {"tier", str(*c, "tier")},
        {"terms", str(*c, "terms") + (str(*c, "terms") == "credit"
                                          ? ", " + std::to_string(num(*c, "payment_days")) + " days"
                                          : "")},
        {"account manager", dash_if_empty(str(*c, "account_manager"))},
        {"country", dash_if_empty(str(*c, "country"))},
        {"blocked", yes(*c, "blocked") ? "YES: new orders wait on a hold" : "no"},
        {"credit limit", limit > 0 ? format_cents(limit) : "none"},
        {"exposure", exposure_text},
        {"overdue", format_cents(num(*c, "overdue_cents")) + " as finance reports it; " +
                        format_cents(num(receivables, "past_due_cents")) +
                        " past due on batond's invoices"},
        {"orders", std::to_string(num(*c, "orders_total")) + " (" +
                       std::to_string(num(*c, "orders_open")) + " open)"},
        {"OTIF", otif_text},
        {"cycle time", num(cycle, "count") > 0
                           ? "p50 " + kpi_duration(num(cycle, "p50_ms")) + ", p90 " +
                                 kpi_duration(num(cycle, "p90_ms")) + " (placed to delivered)"
                           : "-"},
    };
    out << table(head);

    out << "\nReceivables from batond's invoices, at " << format_time(num(receivables, "as_of"))
        << "\n";
    std::vector<std::vector<std::string>> buckets = {{"  AGE", "INVOICES", "OPEN"}};
    for (const auto& b : list(receivables, "buckets"))
        buckets.push_back({"  " + (str(b, "bucket") == "not_due" ? std::string("not yet due")
                                                                 : str(b, "bucket") + " days"),
                           std::to_string(num(b, "count")), format_cents(num(b, "cents"))});
    buckets.push_back({"  total", "", format_cents(num(receivables, "open_cents"))});
    out << table(buckets);
    if (!list(receivables, "invoices").empty()) {
        out << "\nOpen invoices\n";
        std::vector<std::vector<std::string>> rows = {
            {"  INVOICE", "ORDER", "AMOUNT", "OPEN", "DUE", "STATUS"}};
        for (const auto& inv : list(receivables, "invoices"))
            rows.push_back({"  " + str(inv, "id"), str(inv, "order"),
                            format_cents(num(inv, "amount_cents")),
                            format_cents(num(inv, "open_cents")),
                            dash_if_empty(str(inv, "due_date")), ageing_text(inv)});
        out << table(rows);
    }

    const auto& stages = list(*c, "open_orders");
    if (stages.empty()) {
        out << "\nOpen orders: none\n";
    } else {
        out << "\nOpen orders\n";
        std::vector<std::vector<std::string>> rows = {
            {"  STAGE", "ORDER", "SINCE", "PROMISED", "AMOUNT", "HOLDS", "STILL TO SHIP"}};
        for (const auto& g : stages)
            for (const auto& o : list(g, "orders")) {
                std::string holds;
                for (const auto& h : list(o, "holds"))
                    holds += (holds.empty() ? "" : ", ") +
                             (h.is_string() ? printable(h.as_string()) : to_json(h));
                rows.push_back({"  " + str(g, "stage"), str(o, "id"),
                                since_text(num(o, "since"), now_ms),
                                dash_if_empty(str(o, "promised_date")),
                                format_cents(num(o, "amount_cents")), dash_if_empty(holds),
                                dash_if_empty(clip(backorder_text(list(o, "backorder")), 60))});
            }
        out << table(rows);
    }

    const auto& exceptions = list(*c, "exceptions");
    if (exceptions.empty()) {
        out << "\nOpen exceptions: none\n";
    } else {
        out << "\nOpen exceptions\n";
        std::vector<std::vector<std::string>> rows = {
            {"  ID", "SEVERITY", "KIND", "ORDER", "RAISED", "DETAIL"}};
        for (const auto& e : exceptions)
            rows.push_back({"  " + str(e, "id"), str(e, "severity"), str(e, "kind"),
                            dash_if_empty(str(e, "order")), since_text(num(e, "raised_at"), now_ms),
                            clip(str(e, "detail"), 60)});
        out << table(rows);
    }
    const auto& cases = list(*c, "cases");
    if (cases.empty()) {
        out << "\nOpen cases: none\n";
    } else {
        out << "\nOpen cases\n";
        std::vector<std::vector<std::string>> rows = {
            {"  CASE", "ORDER", "KIND", "OPENED", "DETAIL"}};
        for (const auto& k : cases) {
            std::string kind = str(k, "kind");
            if (!str(k, "complaint_kind").empty()) kind += " (" + str(k, "complaint_kind") + ")";
            rows.push_back({"  " + str(k, "id"), str(k, "order"), kind,
                            since_text(num(k, "opened"), now_ms), clip(str(k, "detail"), 60)});
        }
        out << table(rows);
    }
    return out.str();
}

std::string render_customers(const value& reply) {
    const auto& customers = list(reply, "customers");
    if (customers.empty()) return "no customers match\n";
    std::vector<std::vector<std::string>> rows = {{"CUSTOMER", "NAME", "TIER", "TERMS", "EXPOSURE",
                                                   "LIMIT", "USED %", "OVERDUE", "PAST DUE",
                                                   "OPEN ORDERS", "EXCEPTIONS", "BLOCKED"}};
    for (const auto& c : customers) {
        const std::int64_t limit = num(c, "credit_limit_cents");
        std::string used = "-";
        if (limit > 0)
            used = percent(static_cast<double>(num(c, "exposure_cents")) /
                           static_cast<double>(limit)) +
                   (yes(c, "over_limit") ? " OVER" : "");
        rows.push_back(
            {str(c, "id"), dash_if_empty(clip(str(c, "name"), 30)), str(c, "tier"), str(c, "terms"),
             format_cents(num(c, "exposure_cents")), limit > 0 ? format_cents(limit) : "none", used,
             format_cents(num(c, "overdue_cents")), format_cents(num(c, "past_due_cents")),
             std::to_string(num(c, "open_orders")), std::to_string(num(c, "open_exceptions")),
             yes(c, "blocked") ? "yes" : "no"});
    }
    std::string out = table(rows);
    const std::int64_t total = num(reply, "total");
    if (total > static_cast<std::int64_t>(customers.size()))
        out += "(" + std::to_string(customers.size()) + " of " + std::to_string(total) +
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

std::string render_assign(const std::string& id, const std::string& to, const std::string& by) {
    return printable(id) +
           (to.empty() ? " given back to its department" : " assigned to " + printable(to)) +
           " by " + printable(by) + "\n";
}

std::string render_act(const std::string& cmd, const std::string& id, const std::string& by) {
    const char* done = cmd == "ack" ? "acknowledged" : cmd == "resolve" ? "resolved" : "done";
    return printable(id) + " " + done + " by " + printable(by) + "\n";
}

namespace {

std::string window_text(const value& report) {
    const value& window = section(report, "window");
    const std::int64_t since = num(window, "since"), until = num(window, "until");
    return "from " + (since <= 0 ? std::string("the start") : format_time(since)) + " until " +
           (until <= 0 || until == std::numeric_limits<std::int64_t>::max() ? std::string("now")
                                                                            : format_time(until)) +
           " (until excluded)";
}

// "surface 2, dimension 1" from [{<key>, count}]; "-" for a name that is empty.
std::string counted_text(const value_list& rows, const char* key, const char* empty_name) {
    std::string out;
    for (const auto& r : rows) {
        if (!out.empty()) out += ", ";
        const std::string name = str(r, key);
        out +=
            (name.empty() ? std::string(empty_name) : name) + " " + std::to_string(num(r, "count"));
    }
    return out.empty() ? "none" : out;
}

// One report's sections as tables and lines (the plant's, a group's).
void kpi_body(std::ostringstream& out, const value& reply) {
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
        << (num(otif, "delivered") > 0 ? " (" + percent(real(otif, "share")) + "%)" : "") << "\n";
    if (const value* q = reply.find("otif_quantity"); q && q->is_map())
        out << "OTIF per promised quantity: " << num(*q, "orders_otif") << " of "
            << num(*q, "orders") << " orders"
            << (num(*q, "orders") > 0 ? " (" + percent(real(*q, "share")) + "%)" : "") << ", "
            << num(*q, "lines_otif") << " of " << num(*q, "lines") << " lines"
            << (num(*q, "lines") > 0 ? " (" + percent(real(*q, "lines_share")) + "%)" : "")
            << " in full by the promised day\n";
    out << "\n";

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

    if (const value* c = reply.find("complaints"); c && c->is_map()) {
        out << "Complaints: " << num(*c, "count");
        if (num(*c, "credit_cents") > 0)
            out << ", " << format_cents(num(*c, "credit_cents")) << " credited";
        out << "\n";
        if (num(*c, "count") > 0) {
            out << "  by kind: " << counted_text(list(*c, "by_kind"), "kind", "-") << "\n";
            out << "  by root cause: "
                << counted_text(list(*c, "by_root_cause"), "root_cause", "(not yet found)") << "\n";
            out << "  by die: " << counted_text(list(*c, "by_die"), "die", "(no die)") << "\n";
        }
    }
    if (const value* i = reply.find("invoiced_vs_delivered"); i && i->is_map()) {
        out << "Invoiced against delivered (orders delivered in the window): ";
        if (num(*i, "orders") > 0)
            out << num(*i, "orders") << " orders, invoiced "
                << format_cents(num(*i, "invoiced_cents")) << ", delivered value "
                << format_cents(num(*i, "delivered_value_cents")) << ", difference "
                << format_cents(num(*i, "difference_cents")) << ", " << num(*i, "uninvoiced")
                << " not invoiced\n";
        else
            out << "no order delivered\n";
    }
    if (const value* r = reply.find("receivables"); r && r->is_map()) {
        out << "\nReceivables at " << format_time(num(*r, "as_of"))
            << " (invoices issued in the window, still open)\n";
        std::vector<std::vector<std::string>> rows = {{"AGE", "INVOICES", "OPEN"}};
        for (const auto& b : list(*r, "buckets"))
            rows.push_back({str(b, "bucket") == "not_due" ? std::string("not yet due")
                                                          : str(b, "bucket") + " days",
                            std::to_string(num(b, "count")), format_cents(num(b, "cents"))});
        rows.push_back({"total", "", format_cents(num(*r, "open_cents"))});
        out << table(rows);
    }
}

// The figures that move, one row per period or group: delivered, OTIF, cycle time, exceptions,
// complaints, invoiced, delivered value, open receivables.
std::vector<std::string> compact_row(const std::string& label, const value& r) {
    const value& otif = section(r, "otif");
    const value& cycle = section(r, "cycle_time");
    std::int64_t raised = 0;
    for (const auto& e : list(r, "exceptions")) raised += num(e, "raised");
    return {label,
            std::to_string(num(otif, "delivered")),
            num(otif, "delivered") > 0 ? percent(real(otif, "share")) : "-",
            num(cycle, "count") > 0 ? kpi_duration(num(cycle, "p50_ms")) : "-",
            num(cycle, "count") > 0 ? kpi_duration(num(cycle, "p90_ms")) : "-",
            std::to_string(raised),
            std::to_string(num(section(r, "complaints"), "count")),
            format_cents(num(section(r, "invoiced_vs_delivered"), "invoiced_cents")),
            format_cents(num(section(r, "invoiced_vs_delivered"), "delivered_value_cents")),
            format_cents(num(section(r, "receivables"), "open_cents"))};
}

std::vector<std::string> compact_header(const char* first) {
    return {first,        "DELIVERED",  "OTIF %",   "CYCLE P50",       "CYCLE P90",
            "EXCEPTIONS", "COMPLAINTS", "INVOICED", "DELIVERED VALUE", "OPEN RECEIVABLES"};
}

// A series as one table: a row per period.
void kpi_series(std::ostringstream& out, const value& reply, const std::string& every) {
    const auto& series = list(reply, "series");
    out << "\nPer " << every << "\n";
    if (series.empty()) {
        out << "no periods (nothing happened yet)\n";
        return;
    }
    std::vector<std::vector<std::string>> rows = {compact_header("PERIOD")};
    for (const auto& p : series) rows.push_back(compact_row(str(p, "period"), p));
    out << table(rows);
}

std::string group_title(const value& g) {
    std::string title = str(g, "group").empty() ? "(none)" : str(g, "group");
    if (!str(g, "name").empty()) title += " " + str(g, "name");
    return title;
}

}  // namespace

std::string render_kpi(const value& reply) {
    std::ostringstream out;
    out << "KPIs " << window_text(reply) << "\n\n";
    kpi_body(out, reply);
    const std::string every = str(reply, "every");
    if (!every.empty()) kpi_series(out, reply, every);
    const std::string by = str(reply, "by");
    const auto& groups = list(reply, "groups");
    if (!by.empty()) {
        // The groups side by side first, then each one's whole report.
        out << "\nPer " << by << "\n";
        std::vector<std::vector<std::string>> rows = {compact_header("GROUP")};
        for (const auto& g : groups) rows.push_back(compact_row(group_title(g), g));
        out << (groups.empty() ? std::string("no groups (nothing happened yet)\n") : table(rows));
    }
    for (const auto& g : groups) {
        out << "\n=== " << by << " " << group_title(g) << " ===\n\n";
        kpi_body(out, g);
        if (!every.empty()) kpi_series(out, g, every);
    }
    return out.str();
}

namespace {

// CSV rows gathered per section, so that each section has one header even when the report has
// groups and periods: the plant first, then each group, then the periods.
class csv_book {
public:
    explicit csv_book(bool labelled) : labelled_(labelled) {}

    void add(const char* name, const std::vector<const char*>& keys, const value& row,
             const std::string& group, const std::string& period) {
        auto it = std::find_if(sections_.begin(), sections_.end(),
                               [&](const csv_rows& s) { return s.name == name; });
        if (it == sections_.end()) {
            sections_.push_back({name, keys, {}});
            it = sections_.end() - 1;
        }
        std::string line = name;
        if (labelled_) line += "," + csv_field(value(group)) + "," + csv_field(value(period));
        for (const char* k : keys) {
            const value* f = row.find(k);
            line += "," + (f ? csv_field(*f) : std::string());
        }
        it->lines.push_back(std::move(line));
    }

    // The sections of one report.
    void report(const value& r, const std::string& group, const std::string& period) {
        add("window", {"since", "until"}, section(r, "window"), group, period);
        for (const auto& row : list(r, "stages"))
            add("stages", {"stage", "holder", "count", "p50_ms", "p90_ms", "within_sla", "open"},
                row, group, period);
        add("cycle_time", {"count", "p50_ms", "p90_ms"}, section(r, "cycle_time"), group, period);
        add("otif", {"delivered", "on_time", "in_full", "otif", "share"}, section(r, "otif"), group,
            period);
        for (const auto& row : list(r, "exceptions"))
            add("exceptions", {"kind", "dept", "raised", "resolved", "mean_resolve_ms"}, row, group,
                period);
        if (list(r, "exceptions").empty())
            touch("exceptions", {"kind", "dept", "raised", "resolved", "mean_resolve_ms"});
        add("credit_holds", {"count", "resolved", "mean_resolve_ms"}, section(r, "credit_holds"),
            group, period);
        add("die_lead_time", {"count", "p50_ms", "p90_ms"}, section(r, "die_lead_time"), group,
            period);
        if (r.find("otif_quantity"))
            add("otif_quantity",
                {"orders", "orders_otif", "share", "lines", "lines_otif", "lines_share"},
                section(r, "otif_quantity"), group, period);
        if (const value* c = r.find("complaints")) {
            add("complaints", {"count", "credit_cents"}, *c, group, period);
            touch("complaints_by_kind", {"kind", "count"});
            for (const auto& row : list(*c, "by_kind"))
                add("complaints_by_kind", {"kind", "count"}, row, group, period);
            touch("complaints_by_root_cause", {"root_cause", "count"});
            for (const auto& row : list(*c, "by_root_cause"))
                add("complaints_by_root_cause", {"root_cause", "count"}, row, group, period);
            touch("complaints_by_die", {"die", "count"});
            for (const auto& row : list(*c, "by_die"))
                add("complaints_by_die", {"die", "count"}, row, group, period);
        }
        if (r.find("invoiced_vs_delivered"))
            add("invoiced_vs_delivered",
                {"orders", "invoiced_cents", "delivered_value_cents", "difference_cents",
                 "uninvoiced"},
                section(r, "invoiced_vs_delivered"), group, period);
        if (const value* rec = r.find("receivables"))
            for (const auto& b : list(*rec, "buckets")) {
                value row = b;
                row.set("as_of", num(*rec, "as_of"));
                add("receivables", {"as_of", "bucket", "count", "cents"}, row, group, period);
            }
    }

    std::string text() const {
        std::string out;
        for (const auto& s : sections_) {
            out += "section";
            if (labelled_) out += ",group,period";
            for (const char* k : s.keys) out += std::string(",") + k;
            out += "\n";
            for (const auto& l : s.lines) out += l + "\n";
        }
        return out;
    }

private:
    struct csv_rows {
        std::string name;
        std::vector<const char*> keys;
        std::vector<std::string> lines;
    };
    // A section with a header even when it has no rows (no exception raised).
    void touch(const char* name, const std::vector<const char*>& keys) {
        if (std::none_of(sections_.begin(), sections_.end(),
                         [&](const csv_rows& s) { return s.name == name; }))
            sections_.push_back({name, keys, {}});
    }

    bool labelled_;
    std::vector<csv_rows> sections_;
};

}  // namespace

std::string render_kpi_csv(const value& reply) {
    const bool labelled = reply.find("groups") || reply.find("series");
    csv_book book(labelled);
    book.report(reply, "", "");
    for (const auto& p : list(reply, "series")) book.report(p, "", str(p, "period"));
    for (const auto& g : list(reply, "groups")) {
        book.report(g, str(g, "group"), "");
        for (const auto& p : list(g, "series")) book.report(p, str(g, "group"), str(p, "period"));
    }
    return book.text();
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
