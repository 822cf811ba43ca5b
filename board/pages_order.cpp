// The order page (pages.h render_order): what a clerk needs to answer "where is my order?":
// its facts, a server-drawn SVG timeline of the stages against their deadlines, then every
// piece batond keeps of it (quantities, batches, shipments, money, exceptions, tasks, messages).
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "page_parts.h"
#include "pages.h"
#include "reply.h"

namespace baton::board {

namespace {

// What batond's reply leaves out is written "—" (reply.h, page_parts.h): a page never fails
// because batond changed a reply.
std::string when(const view_ctx& v, const value& x, std::string_view key) {
    return esc(fmt_time(v.l, int_of(x, key)));
}
std::string day_text(const view_ctx& v, const value& x, std::string_view key) {
    return esc(fmt_date_text(v.l, str_of(x, key)));
}
// Sequence numbers as written, without thousands separators: a reader searches for them.
std::string seq(const value& x, std::string_view key) {
    const auto n = maybe_int_of(x, key);
    return n ? std::to_string(*n) : "—";
}
std::string none(const view_ctx& v) {
    return "<p class=\"empty\">" + t(v, "order.none") + "</p>";
}

// ---- the facts at the top ----

std::string facts(const view_ctx& v, const value& o) {
    std::string d = "<dl id=\"facts\" class=\"facts\">";
    d += fact(v, "common.customer", customer_link(str_of(o, "customer")));
    d += fact(v, "common.stage",
              "<span class=\"stage\">" + word(v, "stage", str_of(o, "stage")) + "</span>");
    d += fact(v, "common.holder", word(v, "dept", str_of(o, "holder")));
    const std::int64_t since = int_of(o, "since");
    std::string since_html = esc(fmt_time(v.l, since));
    if (since > 0 && v.now_ms > since)
        since_html +=
            " <span class=\"age\">(" + esc(fmt_duration(v.l, v.now_ms - since)) + ")</span>";
    d += fact(v, "order.since", since_html);
    d += fact(v, "order.promised", day_text(v, o, "promised_date"));
    if (o.find("planned_finish"))
        d += fact(v, "order.planned_finish", day_text(v, o, "planned_finish"));
    d += fact(v, "common.amount", money(v, o, "amount_cents"));
    d += fact(v, "order.paid", money(v, o, "paid_cents"));
    d += fact(v, "order.invoiced", money(v, o, "invoiced_cents"));
    d += fact(v, "order.owed", money(v, o, "owed_cents"));
    if (maybe_int_of(o, "unapplied_cents").value_or(0) > 0)
        d += fact(v, "order.unapplied", money(v, o, "unapplied_cents"));
    if (maybe_int_of(o, "deposit_cents").value_or(0) > 0)
        d += fact(v, "order.deposit", money(v, o, "deposit_cents"));
    if (maybe_int_of(o, "charge_cents").value_or(0) > 0)
        d += fact(v, "order.charge", money(v, o, "charge_cents"));
    std::string terms = word(v, "terms", str_of(o, "terms"));
    if (flag_of(o, "prepay_switched")) terms += " (" + t(v, "order.prepay_switched") + ")";
    d += fact(v, "order.terms", terms);
    d += fact(v, "common.salesperson", text(o, "salesperson"));
    d += fact(v, "order.customer_po", text(o, "customer_po"));
    const std::string holds = words_of(v, o, "holds", "order.hold");
    d +=
        fact(v, "order.holds",
             holds.empty() ? t(v, "order.no_holds") : "<span class=\"holds\">" + holds + "</span>");
    if (const value* nd = o.find("new_die"); nd && nd->is_bool())
        d += fact(v, "order.new_die", t(v, nd->as_bool() ? "common.yes" : "common.no"));
    const std::string depts = words_of(v, o, "departments", "dept");
    if (!depts.empty()) d += fact(v, "order.departments", depts);
    if (o.find("cancel_reason")) d += fact(v, "order.cancel_reason", text(o, "cancel_reason"));
    return d + "</dl>";
}

// ---- the timeline ----

struct visit {
    std::string stage, holder;
    std::int64_t entered = 0, left = 0, due = 0;  // ms; left 0: still there; due 0: no SLA
};

std::vector<visit> visits_of(const value& o) {
    std::vector<visit> out;
    for (const value& x : list_of(o, "visits"))
        out.push_back({str_of(x, "stage"), str_of(x, "holder"), int_of(x, "entered"),
                       int_of(x, "left"), int_of(x, "due")});
    return out;
}

// Where a visit's bar ends: when it left, or now while the order is still there.
std::int64_t end_of(const view_ctx& v, const visit& s) {
    if (s.left > 0) return std::max(s.left, s.entered);
    return std::max(v.now_ms, s.entered);
}

// Local midnight `days` days after the day of `t` (mktime normalises the day of the month,
// so days of 23 or 25 hours come out right).
std::int64_t midnight_after(std::int64_t t, int days) {
    std::time_t secs = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    localtime_r(&secs, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mday += days;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm)) * 1000;
}

std::string px(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", x);
    return buf;
}

std::string visit_tooltip(const view_ctx& v, const visit& s) {
    const std::int64_t end = end_of(v, s);
    std::string tip = esc(term(v.l, "stage", s.stage));
    if (!s.holder.empty()) tip += " · " + w(v, "dept", s.holder);
    tip += "\n" + t(v, "order.entered") + ": " + esc(fmt_time(v.l, s.entered));
    tip += "\n" + t(v, "order.left") + ": " +
           (s.left > 0 ? esc(fmt_time(v.l, s.left)) : t(v, "order.still_there"));
    tip += "\n" + t(v, "order.deadline") + ": " +
           (s.due > 0 ? esc(fmt_time(v.l, s.due)) : t(v, "order.no_deadline"));
    tip += "\n" + t(v, "order.dwell") + ": " + esc(fmt_duration(v.l, end - s.entered));
    if (s.due > 0 && end > s.due)
        tip += "\n" + esc(tr_fmt(v.l, "order.over_by", {fmt_duration(v.l, end - s.due)}));
    return tip;
}

// One bar per visit on a shared time axis: green while within the deadline, red (class
// `overdue`) past it, blue for a stage without an SLA; the deadline is a dark tick. Drawn on the
// server so the page works without scripts and prints as it shows.
std::string timeline_svg(const view_ctx& v, const std::vector<visit>& visits) {
    std::int64_t t0 = 0, t1 = 0;
    for (const visit& s : visits) {
        if (s.entered <= 0) continue;
        if (t0 == 0 || s.entered < t0) t0 = s.entered;
        t1 = std::max({t1, end_of(v, s), s.due});
    }
    if (t0 == 0) return {};
    const std::int64_t hour = 3600 * 1000;
    t1 = std::max(t1, t0 + hour);
    const double span = static_cast<double>(t1 - t0);
    const double x0 = 170, x1 = 915, top = 6, row_h = 26, bar_h = 14;
    auto x = [&](std::int64_t at) {
        return x0 + static_cast<double>(std::clamp(at, t0, t1) - t0) / span * (x1 - x0);
    };
    const double axis_y = top + row_h * static_cast<double>(visits.size()) + 4;
    const double height = axis_y + 22;

    std::string g;  // grid and day labels first, so bars draw over the grid lines
    const std::int64_t days = (t1 - t0) / (24 * hour) + 1;
    const int step = static_cast<int>(std::max<std::int64_t>(1, (days + 6) / 7));
    int labels = 0;
    for (int k = 0; k < 400; k += step) {
        const std::int64_t tick = midnight_after(t0, k);
        if (tick < t0) continue;
        if (tick > t1) break;
        const std::string xs = px(x(tick));
        g += "<line class=\"grid\" x1=\"" + xs + "\" x2=\"" + xs + "\" y1=\"" + px(top) +
             "\" y2=\"" + px(axis_y) + "\" stroke=\"#ddd\"/>";
        g += "<text class=\"day\" x=\"" + xs + "\" y=\"" + px(axis_y + 15) +
             "\" text-anchor=\"middle\" font-size=\"11\">" + esc(fmt_day(v.l, tick)) + "</text>";
        ++labels;
    }
    if (labels == 0)  // less than a day, no midnight inside: name the day at the start
        g += "<text class=\"day\" x=\"" + px(x0) + "\" y=\"" + px(axis_y + 15) +
             "\" font-size=\"11\">" + esc(fmt_day(v.l, t0)) + "</text>";
    g += "<line class=\"axis\" x1=\"" + px(x0) + "\" x2=\"" + px(x1) + "\" y1=\"" + px(axis_y) +
         "\" y2=\"" + px(axis_y) + "\" stroke=\"#888\"/>";

    for (std::size_t i = 0; i < visits.size(); ++i) {
        const visit& s = visits[i];
        const double y = top + row_h * static_cast<double>(i);
        g += "<g class=\"visit" + std::string(s.left > 0 ? "" : " open") + "\" data-stage=\"" +
             esc(s.stage) + "\"><title>" + visit_tooltip(v, s) + "</title>";
        g += "<text class=\"stage-label\" x=\"" + px(x0 - 8) + "\" y=\"" + px(y + 16) +
             "\" text-anchor=\"end\" font-size=\"12\">" + esc(term(v.l, "stage", s.stage)) +
             "</text>";
        if (s.entered > 0) {
            const std::int64_t end = end_of(v, s);
            auto bar = [&](std::int64_t from, std::int64_t to, const char* cls, const char* fill) {
                const double w0 = x(from), width = std::max(1.5, x(to) - w0);
                g += "<rect class=\"" + std::string(cls) + "\" x=\"" + px(w0) + "\" y=\"" +
                     px(y + (row_h - bar_h) / 2) + "\" width=\"" + px(width) + "\" height=\"" +
                     px(bar_h) + "\" fill=\"" + fill + "\"/>";
            };
            if (s.due <= 0) {
                bar(s.entered, end, "nosla", "#3b7dd8");
            } else if (end <= s.due) {
                bar(s.entered, end, "ontime", "#2a9d4b");
            } else {
                if (s.due > s.entered) bar(s.entered, s.due, "ontime", "#2a9d4b");
                bar(std::max(s.entered, s.due), end, "overdue", "#d33");
            }
            if (s.due > 0) {
                const std::string xs = px(x(s.due));
                g += "<line class=\"deadline\" x1=\"" + xs + "\" x2=\"" + xs + "\" y1=\"" +
                     px(y + 2) + "\" y2=\"" + px(y + row_h - 2) +
                     "\" stroke=\"#222\" stroke-width=\"2\"/>";
            }
        }
        g += "</g>";
    }
    if (v.now_ms >= t0 && v.now_ms <= t1) {
        const std::string xs = px(x(v.now_ms));
        g += "<line class=\"now\" x1=\"" + xs + "\" x2=\"" + xs + "\" y1=\"" + px(top) +
             "\" y2=\"" + px(axis_y) + "\" stroke=\"#888\" stroke-dasharray=\"4 3\"><title>" +
             t(v, "order.legend_now") + "</title></line>";
    }
    return "<svg id=\"timeline\" class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
           "viewBox=\"0 0 960 " +
           px(height) + "\" width=\"100%\" role=\"img\" aria-label=\"" + t(v, "order.timeline") +
           "\">" + g + "</svg>";
}

std::string timeline_legend(const view_ctx& v) {
    auto item = [&](const char* cls, const char* key) {
        return "<span class=\"key\"><i class=\"swatch " + std::string(cls) + "\"></i>" + t(v, key) +
               "</span>";
    };
    return "<p class=\"legend\">" + item("ontime", "order.legend_on_time") +
           item("overdue", "order.legend_overdue") + item("nosla", "order.legend_no_sla") +
           item("deadline", "order.deadline") + item("now", "order.legend_now") + "</p>";
}

// The same visits as a table, folded: for reading exact times and for screen readers.
std::string visits_table(const view_ctx& v, const std::vector<visit>& visits) {
    std::string rows;
    for (const visit& s : visits) {
        const std::int64_t end = end_of(v, s);
        const bool late = s.due > 0 && end > s.due;
        rows += std::string(late ? "<tr class=\"late\">" : "<tr>") +
                td(esc(term(v.l, "stage", s.stage))) + td(word(v, "dept", s.holder)) +
                td(esc(fmt_time(v.l, s.entered))) +
                td(s.left > 0 ? esc(fmt_time(v.l, s.left)) : t(v, "order.still_there")) +
                td(s.due > 0 ? esc(fmt_time(v.l, s.due)) : t(v, "order.no_deadline")) +
                td_num(s.entered > 0 ? esc(fmt_duration(v.l, end - s.entered)) : "—") +
                td_num(late ? esc(fmt_duration(v.l, end - s.due)) : "—") + "</tr>";
    }
    return "<details class=\"visits\"><summary>" + t(v, "order.visits_table") + "</summary>" +
           table(v,
                 {"common.stage", "common.holder", "order.entered", "order.left", "order.deadline",
                  "#order.dwell", "#order.late_by"},
                 rows) +
           "</details>";
}

std::string timeline(const view_ctx& v, const value& o) {
    const std::vector<visit> visits = visits_of(o);
    const std::string svg = timeline_svg(v, visits);
    if (svg.empty())
        return section(v, "stages", "order.timeline",
                       "<p class=\"empty\">" + t(v, "order.no_visits") + "</p>");
    return section(v, "stages", "order.timeline",
                   "<div class=\"timeline-wrap\">" + svg + "</div>" + timeline_legend(v) +
                       visits_table(v, visits));
}

// ---- the pieces ----

std::string milestones(const view_ctx& v, const value& o) {
    struct reached {
        std::string name;
        std::int64_t at;
    };
    std::vector<reached> all;
    if (const value* m = o.find("milestones"); m && m->is_map())
        for (const member& e : m->as_map()) {
            std::int64_t at = 0;
            e.val.to_int64(at);
            all.push_back({e.key, at});
        }
    // In the order they were reached, which is how a clerk tells the story.
    std::stable_sort(all.begin(), all.end(),
                     [](const reached& a, const reached& b) { return a.at < b.at; });
    std::string rows;
    for (const reached& r : all)
        rows += "<tr>" + td(w(v, "milestone", r.name)) + td(esc(fmt_time(v.l, r.at))) + "</tr>";
    return section(v, "milestones", "order.milestones",
                   rows.empty() ? none(v) : table(v, {"order.milestone", "order.reached"}, rows));
}

std::string line_items(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& l : list_of(o, "line_items")) {
        const bool short_ = figure_of(l, "backorder") > 0;
        rows += std::string(short_ ? "<tr class=\"short\">" : "<tr>") + td_num(qty(v, l, "no")) +
                td(text(l, "item")) + td(text(l, "die")) + td_num(qty(v, l, "ordered")) +
                td_num(qty(v, l, "good")) + td_num(qty(v, l, "scrap")) +
                td_num(qty(v, l, "dispatched")) + td_num(qty(v, l, "delivered")) +
                td_num(qty(v, l, "on_road")) + td_num(qty(v, l, "backorder")) +
                td(text(l, "unit")) + td_num(money(v, l, "amount_cents")) + "</tr>";
    }
    std::string body =
        rows.empty()
            ? none(v)
            : table(v,
                    {"#order.line_no", "order.item", "order.die", "#order.ordered", "#order.good",
                     "#order.scrap", "#order.dispatched", "#order.delivered", "#order.on_road",
                     "#order.backorder", "order.unit", "#common.amount"},
                    rows);
    // A fact without per-line quantities on a multi-line order stands for all of it; the line
    // figures then stay 0, which would mislead without saying so.
    std::string whole;
    if (const value* wh = o.find("whole"))
        for (const char* m : {"produced", "dispatched", "delivered"})
            if (flag_of(*wh, m)) whole += (whole.empty() ? "" : ", ") + w(v, "milestone", m);
    if (!whole.empty())
        body += "<p class=\"note\">" + t(v, "order.whole_note") + " " + whole + "</p>";
    std::string problems;
    for (const value& p : list_of(o, "quantity_problems"))
        if (p.is_string()) problems += "<li>" + esc(p.as_string()) + "</li>";
    if (!problems.empty())
        body += "<div class=\"problems\"><h3>" + t(v, "order.quantity_problems") + "</h3><ul>" +
                problems + "</ul></div>";
    return section(v, "lines", "order.lines", body);
}

std::string backorder(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& b : list_of(o, "backorder"))
        rows += "<tr>" + td_num(qty(v, b, "line")) + td(text(b, "item")) +
                td_num(qty(v, b, "qty")) + td(text(b, "unit")) + "</tr>";
    return section(
        v, "backorder", "order.backorder_title",
        rows.empty()
            ? "<p class=\"empty\">" + t(v, "order.nothing_to_ship") + "</p>"
            : table(v, {"#order.line_no", "order.item", "#order.qty", "order.unit"}, rows));
}

// Per-line quantities [{line, qty, unit}] on one line of text: "1: 1,200 kg; 2: 40 pcs".
std::string quantities(const view_ctx& v, const value& x, std::string_view key) {
    std::string out;
    for (const value& q : list_of(x, key)) {
        if (!out.empty()) out += "; ";
        out += qty(v, q, "line") + ": " + qty(v, q, "qty") + " " + esc(str_of(q, "unit"));
    }
    return out.empty() ? "—" : out;
}

std::string yes_no(const view_ctx& v, const value& x, std::string_view key) {
    const value* f = x.find(key);
    if (!f || !f->is_bool()) return "—";
    return t(v, f->as_bool() ? "common.yes" : "common.no");
}

std::string batches(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& b : list_of(o, "batches"))
        rows += "<tr>" + td(text(b, "id")) + td(text(b, "press_line")) +
                td(day_text(v, b, "planned_start") + " – " + day_text(v, b, "planned_finish")) +
                td(yes_no(v, b, "started")) + td(yes_no(v, b, "completed")) +
                td(quantities(v, b, "good")) + td(quantities(v, b, "scrap")) +
                td_num(qty(v, b, "qc_failures")) + td(when(v, b, "scheduled_at")) +
                td(when(v, b, "completed_at")) + "</tr>";
    return section(v, "batches", "order.batches",
                   rows.empty()
                       ? none(v)
                       : table(v,
                               {"order.batch", "order.press_line", "order.planned", "order.started",
                                "order.completed", "order.good", "order.scrap",
                                "#order.qc_failures", "order.scheduled_at", "order.completed_at"},
                               rows));
}

std::string shipments(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& s : list_of(o, "shipments")) {
        const std::string state = str_of(s, "state");
        rows += "<tr class=\"ship-" + esc(state) + "\">" + td(text(s, "id")) +
                td(word(v, "shipment", state)) + td(text(s, "vehicle")) + td(text(s, "carrier")) +
                td(day_text(v, s, "expected_delivery")) + td(quantities(v, s, "lines")) +
                td(quantities(v, s, "received")) + td(when(v, s, "dispatched_at")) +
                td(when(v, s, "answered_at")) + td(text(s, "failure")) + "</tr>";
    }
    return section(v, "shipments", "order.shipments",
                   rows.empty()
                       ? none(v)
                       : table(v,
                               {"order.shipment", "common.state", "order.vehicle", "order.carrier",
                                "order.expected", "order.sent", "order.received",
                                "order.dispatched_at", "order.answered_at", "order.failure"},
                               rows));
}

std::string invoices(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& i : list_of(o, "invoices")) {
        const std::string ageing = str_of(i, "ageing");
        const std::string shipment = str_of(i, "shipment");
        const auto days = maybe_int_of(i, "days_overdue");
        const bool overdue = days && *days >= 0 && !ageing.empty();
        rows += std::string(overdue ? "<tr class=\"overdue\">" : "<tr>") + td(text(i, "id")) +
                td(shipment.empty() ? t(v, "order.whole_order") : esc(shipment)) +
                td_num(money(v, i, "amount_cents")) + td(day_text(v, i, "invoice_date")) +
                td(day_text(v, i, "due_date")) + td_num(money(v, i, "paid_cents")) +
                td_num(money(v, i, "open_cents")) +
                td(ageing.empty() ? t(v, "order.settled") : w(v, "ageing", ageing)) +
                td_num(overdue ? fmt_number(v.l, static_cast<double>(*days)) : "—") + "</tr>";
    }
    return section(v, "invoices", "order.invoices",
                   rows.empty() ? none(v)
                                : table(v,
                                        {"order.invoice", "order.billed", "#common.amount",
                                         "order.invoice_date", "common.due", "#order.paid",
                                         "#order.open", "order.ageing", "#order.days_overdue"},
                                        rows));
}

std::string payments(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& p : list_of(o, "payments"))
        rows += "<tr>" + td(when(v, p, "at")) + td_num(money(v, p, "amount_cents")) +
                td(text(p, "invoice")) + "</tr>";
    return section(v, "payments", "order.payments",
                   rows.empty()
                       ? none(v)
                       : table(v, {"order.received_at", "#common.amount", "order.invoice"}, rows));
}

// Who did what to an exception or a task, oldest first, as a short list.
std::string history_list(const view_ctx& v, const value& record) {
    std::string items;
    for (const value& h : list_of(record, "history")) {
        items += "<li>" + when(v, h, "at") + " · " + text(h, "by") + " · " +
                 word(v, "state", str_of(h, "what"));
        if (const std::string to = str_of(h, "to"); !to.empty()) items += " → " + esc(to);
        if (const std::string note = str_of(h, "note"); !note.empty())
            items += " <q>" + esc(note) + "</q>";
        items += "</li>";
    }
    return items.empty() ? "—" : "<ol class=\"history\">" + items + "</ol>";
}

std::string assignee(const view_ctx& v, const value& record) {
    const std::string a = str_of(record, "assignee");
    return a.empty() ? "<span class=\"muted\">" + t(v, "common.unassigned") + "</span>" : esc(a);
}

std::string exceptions(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& e : list_of(o, "exceptions")) {
        const std::string state = str_of(e, "state");
        rows += "<tr class=\"exc state-" + esc(state) + "\" id=\"exc-" + esc(str_of(e, "id")) +
                "\">" + td(text(e, "id")) + td(word(v, "kind", str_of(e, "kind"))) +
                td(severity_badge(v, str_of(e, "severity"))) + td(word(v, "state", state)) +
                td(word(v, "dept", str_of(e, "dept"))) + td(assignee(v, e)) +
                td(when(v, e, "raised_at")) + td(text(e, "detail")) + td(history_list(v, e)) +
                "</tr>";
    }
    return section(v, "exceptions", "order.exceptions",
                   rows.empty() ? none(v)
                                : table(v,
                                        {"order.id", "common.kind", "common.severity",
                                         "common.state", "common.dept", "common.assignee",
                                         "order.raised_at", "common.detail", "order.history"},
                                        rows));
}

std::string tasks(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& k : list_of(o, "tasks")) {
        const std::string state = str_of(k, "state");
        const std::int64_t due = int_of(k, "due_at");
        const bool late = state != "done" && due > 0 && v.now_ms > due;
        rows += "<tr class=\"task state-" + esc(state) + (late ? " late" : "") + "\">" +
                td(text(k, "id")) + td(word(v, "dept", str_of(k, "dept"))) + td(text(k, "action")) +
                td(esc(fmt_time(v.l, due))) + td(word(v, "state", state)) + td(assignee(v, k)) +
                td(history_list(v, k)) + "</tr>";
    }
    return section(v, "tasks", "order.tasks",
                   rows.empty()
                       ? none(v)
                       : table(v,
                               {"order.id", "common.dept", "order.task_action", "common.due",
                                "common.state", "common.assignee", "order.history"},
                               rows));
}

std::string cases(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& c : list_of(o, "cases")) {
        std::string kind = word(v, "order.case", str_of(c, "kind"));
        if (const std::string ck = str_of(c, "complaint_kind"); !ck.empty())
            kind += " · " + esc(ck);
        rows += "<tr>" + td(text(c, "id")) + td(kind) +
                td(word(v, "order.case_state", str_of(c, "state"))) + td(text(c, "detail")) +
                td(when(v, c, "opened")) + td(when(v, c, "closed")) + td(text(c, "resolution")) +
                "</tr>";
    }
    // Most orders never have a case: leave the section out rather than say "none".
    if (rows.empty()) return {};
    return section(v, "cases", "order.cases",
                   table(v,
                         {"order.case", "common.kind", "common.state", "common.detail",
                          "order.opened", "order.closed", "order.resolution"},
                         rows));
}

std::string relayed(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& r : list_of(o, "relayed"))
        rows += "<tr>" + td_num(seq(r, "seq")) + td("<code>" + text(r, "topic") + "</code>") +
                td(when(v, r, "ts")) + "</tr>";
    return section(
        v, "relayed", "order.relayed",
        rows.empty() ? none(v) : table(v, {"#order.seq", "order.topic", "order.time"}, rows));
}

std::string history(const view_ctx& v, const value& o) {
    std::string rows;
    for (const value& h : list_of(o, "history"))
        rows += "<tr>" + td(when(v, h, "ts")) + td("<code>" + text(h, "topic") + "</code>") +
                td(text(h, "id")) + td(text(h, "source")) + td_num(seq(h, "seq")) + "</tr>";
    return section(v, "events", "order.events",
                   rows.empty() ? none(v)
                                : table(v,
                                        {"order.time", "order.topic", "order.event_id",
                                         "order.source", "#order.journal_seq"},
                                        rows));
}

}  // namespace

std::string render_order(const view_ctx& v, const value& order) {
    const std::string id = str_of(order, "id");
    std::string body;
    body += "<article class=\"order-page\" data-order=\"" + esc(id) + "\">";
    body += "<h1>" + esc(tr_fmt(v.l, "order.title", {id.empty() ? "—" : id})) + "</h1>";
    body += facts(v, order);
    body += timeline(v, order);
    body += milestones(v, order);
    body += line_items(v, order);
    body += backorder(v, order);
    body += batches(v, order);
    body += shipments(v, order);
    body += invoices(v, order);
    body += payments(v, order);
    body += exceptions(v, order);
    body += tasks(v, order);
    body += cases(v, order);
    body += relayed(v, order);
    body += history(v, order);
    body += "</article>";
    return page(v, tr_fmt(v.l, "order.title", {id}), "", body);
}

}  // namespace baton::board
