// The customer page (pages.h render_customer): what a clerk needs with the customer on the
// phone: who they are and on what terms, how much credit is used, what they owe and how old it
// is, their open orders by stage, what is wrong with them, and how well the plant delivers.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "pages.h"

namespace baton::board {

namespace {

// Reading batond's reply defensively: a key that is missing or of another type reads as
// nothing, and nothing is written "—".
const value_list& list(const value& x, std::string_view key) {
    static const value_list none;
    const value* f = x.find(key);
    return f && f->is_list() ? f->as_list() : none;
}
const value& map(const value& x, std::string_view key) {
    static const value none;
    const value* f = x.find(key);
    return f && f->is_map() ? *f : none;
}
std::string str(const value& x, std::string_view key) {
    const value* f = x.find(key);
    return f && f->is_string() ? f->as_string() : std::string();
}
// NaN when absent: fmt_number and fmt_percent write it as "—".
double num(const value& x, std::string_view key) {
    const value* f = x.find(key);
    return f && f->is_number() ? f->to_double() : std::nan("");
}
bool int_of(const value& x, std::string_view key, std::int64_t& out) {
    const value* f = x.find(key);
    return f && f->to_int64(out);
}
std::int64_t ms(const value& x, std::string_view key) {
    std::int64_t out = 0;
    return int_of(x, key, out) ? out : 0;
}
bool flag(const value& x, std::string_view key) {
    const value* f = x.find(key);
    return f && f->is_bool() && f->as_bool();
}
std::string text(const value& x, std::string_view key) {
    const std::string s = str(x, key);
    return s.empty() ? "—" : esc(s);
}
std::string money(const view_ctx& v, const value& x, std::string_view key) {
    std::int64_t cents = 0;
    if (!int_of(x, key, cents)) return "—";
    return esc(fmt_money(v.l, cents, v.currency));
}
std::string count(const view_ctx& v, const value& x, std::string_view key) {
    return fmt_number(v.l, num(x, key));
}
std::string word(const view_ctx& v, std::string_view group, const std::string& name) {
    return name.empty() ? "—" : w(v, group, name);
}
// How long ago, "—" for no time.
std::string age(const view_ctx& v, std::int64_t at) {
    if (at <= 0 || v.now_ms <= 0) return "—";
    return esc(fmt_duration(v.l, v.now_ms - at));
}

std::string td(const std::string& html) {
    return "<td>" + html + "</td>";
}
std::string td_num(const std::string& html) {
    return "<td class=\"num\">" + html + "</td>";
}
// A table whose header cells are catalogue texts; "#key" heads a numeric column.
std::string table(const view_ctx& v, std::initializer_list<std::string_view> heads,
                  const std::string& rows, const std::string& foot = {}) {
    std::string out = "<table class=\"data\"><thead><tr>";
    for (std::string_view h : heads) {
        const bool numeric = !h.empty() && h.front() == '#';
        if (numeric) h.remove_prefix(1);
        out += numeric ? "<th class=\"num\">" : "<th>";
        out += t(v, h) + "</th>";
    }
    out += "</tr></thead><tbody>" + rows + "</tbody>";
    if (!foot.empty()) out += "<tfoot>" + foot + "</tfoot>";
    return out + "</table>";
}
std::string section(const view_ctx& v, std::string_view id, std::string_view title_key,
                    const std::string& body) {
    return "<section id=\"" + std::string(id) + "\"><h2>" + t(v, title_key) + "</h2>" + body +
           "</section>";
}
std::string none(const view_ctx& v) {
    return "<p class=\"empty\">" + t(v, "customer.none") + "</p>";
}
std::string fact(const view_ctx& v, std::string_view key, const std::string& html,
                 std::string_view cls = {}) {
    std::string dd = cls.empty() ? "<dd>" : "<dd class=\"" + std::string(cls) + "\">";
    return "<dt>" + t(v, key) + "</dt>" + dd + html + "</dd>";
}

// ---- who they are ----

std::string master(const view_ctx& v, const value& c) {
    std::string d = "<dl id=\"customer-facts\" class=\"facts\">";
    d += fact(v, "customer.id", text(c, "id"));
    d += fact(v, "customer.tier", word(v, "tier", str(c, "tier")));
    d += fact(v, "customer.terms", word(v, "terms", str(c, "terms")));
    std::int64_t days = 0;
    d += fact(v, "customer.payment_days",
              int_of(c, "payment_days", days)
                  ? esc(tr_fmt(v.l, "customer.days", {fmt_number(v.l, static_cast<double>(days))}))
                  : "—");
    d += fact(v, "customer.account_manager", text(c, "account_manager"));
    d += fact(v, "customer.country", text(c, "country"));
    const bool blocked = flag(c, "blocked");
    d += fact(v, "customer.blocked", t(v, blocked ? "common.yes" : "common.no"),
              blocked ? "bad" : "");
    std::int64_t total = 0, open = 0;
    if (int_of(c, "orders_total", total) && int_of(c, "orders_open", open))
        d += fact(v, "customer.orders",
                  esc(tr_fmt(v.l, "customer.orders_count",
                             {fmt_number(v.l, static_cast<double>(open)),
                              fmt_number(v.l, static_cast<double>(total))})));
    return d + "</dl>";
}

// ---- credit ----

// Exposure against the limit as a bar: the filled part is the share used (full and red once
// over the limit), so the clerk sees at a glance whether a new order fits.
std::string meter(const view_ctx& v, const value& e) {
    const double share = num(e, "share_used");
    if (std::isnan(share)) return "<p class=\"muted\">" + t(v, "customer.no_limit") + "</p>";
    const bool over = flag(e, "over_limit") || share > 1.0;
    const double pct = std::clamp(share, 0.0, 1.0) * 100.0;
    char width[32];
    std::snprintf(width, sizeof width, "%.1f", pct);
    const std::string used = esc(tr_fmt(v.l, "customer.used", {fmt_percent(v.l, share)}));
    return "<div id=\"credit-meter\" class=\"meter" + std::string(over ? " over-limit" : "") +
           "\" role=\"meter\" aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"" + width +
           "\" title=\"" + used + "\"><div class=\"meter-fill\" style=\"width:" + width +
           "%\"></div></div><p class=\"meter-text" + std::string(over ? " over-limit" : "") +
           "\">" + used + "</p>";
}

std::string credit(const view_ctx& v, const value& c) {
    const value& e = map(c, "exposure");
    std::string body = meter(v, e);
    std::string d = "<dl class=\"facts\">";
    d += fact(v, "customer.exposure", money(v, e, "exposure_cents"));
    std::int64_t limit = 0;
    const bool has_limit = int_of(e, "credit_limit_cents", limit) && limit > 0;
    d += fact(v, "customer.limit",
              has_limit ? money(v, e, "credit_limit_cents") : t(v, "customer.no_limit"));
    std::int64_t headroom = 0;
    if (int_of(e, "headroom_cents", headroom)) {
        if (headroom < 0)
            d += fact(v, "customer.headroom",
                      esc(tr_fmt(v.l, "customer.over_by", {fmt_money(v.l, -headroom, v.currency)})),
                      "bad over-limit");
        else
            d += fact(v, "customer.headroom", money(v, e, "headroom_cents"));
    }
    d += fact(v, "customer.receivable", money(v, e, "receivable_cents"));
    d += fact(v, "customer.open_orders_value", money(v, e, "open_orders_cents"));
    const std::int64_t overdue = ms(c, "overdue_cents");
    d += fact(v, "customer.overdue", money(v, c, "overdue_cents"), overdue > 0 ? "bad" : "");
    body += d + "</dl>";
    return section(v, "credit", "customer.credit", body);
}

// ---- what they owe ----

std::string receivables(const view_ctx& v, const value& c) {
    const value& r = map(c, "receivables");
    std::string rows;
    for (const value& b : list(r, "buckets")) {
        const std::string bucket = str(b, "bucket");
        const bool late = !bucket.empty() && bucket != "not_due" && num(b, "count") > 0;
        rows += std::string(late ? "<tr class=\"late\">" : "<tr>") + td(word(v, "ageing", bucket)) +
                td_num(count(v, b, "count")) + td_num(money(v, b, "cents")) + "</tr>";
    }
    std::string body;
    if (rows.empty()) {
        body = none(v);
    } else {
        const std::string foot = "<tr class=\"past-due\"><th>" + t(v, "customer.past_due") +
                                 "</th><td></td>" + td_num(money(v, r, "past_due_cents")) +
                                 "</tr><tr><th>" + t(v, "common.total") + "</th><td></td>" +
                                 td_num(money(v, r, "open_cents")) + "</tr>";
        body = table(v, {"customer.bucket", "#common.count", "#common.amount"}, rows, foot);
    }
    if (ms(r, "as_of") > 0)
        body += "<p class=\"muted\">" +
                esc(tr_fmt(v.l, "customer.as_of", {fmt_time(v.l, ms(r, "as_of"))})) + "</p>";
    return section(v, "receivables", "customer.receivables", body);
}

std::string open_invoices(const view_ctx& v, const value& c) {
    std::string rows;
    for (const value& i : list(map(c, "receivables"), "invoices")) {
        std::int64_t days = 0;
        const bool overdue = int_of(i, "days_overdue", days) && days >= 0;
        rows += std::string(overdue ? "<tr class=\"overdue\">" : "<tr>") +
                td(order_link(str(i, "order"))) + td(text(i, "id")) +
                td_num(money(v, i, "amount_cents")) +
                td(esc(fmt_date_text(v.l, str(i, "due_date")))) +
                td_num(money(v, i, "open_cents")) + td(word(v, "ageing", str(i, "ageing"))) +
                td_num(overdue ? fmt_number(v.l, static_cast<double>(days)) : "—") + "</tr>";
    }
    return section(v, "invoices", "customer.invoices",
                   rows.empty()
                       ? none(v)
                       : table(v,
                               {"common.order", "customer.invoice", "#common.amount", "common.due",
                                "#customer.open", "customer.ageing", "#customer.days_overdue"},
                               rows));
}

// ---- their orders ----

std::string holds(const view_ctx& v, const value& o) {
    std::string out;
    for (const value& h : list(o, "holds"))
        if (h.is_string())
            out += "<span class=\"hold\">" + w(v, "customer.hold", h.as_string()) + "</span> ";
    return out.empty() ? "—" : out;
}

std::string backorder(const view_ctx& v, const value& o) {
    std::string out;
    for (const value& b : list(o, "backorder")) {
        if (!out.empty()) out += "; ";
        std::string q = fmt_number(v.l, num(b, "qty"), 3);
        if (q.find('.') != std::string::npos) {  // thousandths of a unit, without trailing zeros
            while (q.back() == '0') q.pop_back();
            if (q.back() == '.') q.pop_back();
        }
        out += text(b, "item") + " " + q + " " + esc(str(b, "unit"));
    }
    return out.empty() ? "—" : out;
}

std::string open_orders(const view_ctx& v, const value& c) {
    std::string body;
    for (const value& g : list(c, "open_orders")) {
        const std::string stage = str(g, "stage");
        std::string rows;
        for (const value& o : list(g, "orders")) {
            const std::int64_t since = ms(o, "since");
            rows += "<tr>" + td(order_link(str(o, "id"))) + td(word(v, "dept", str(o, "holder"))) +
                    td(esc(fmt_time(v.l, since)) + " <span class=\"age\">(" + age(v, since) +
                       ")</span>") +
                    td(esc(fmt_date_text(v.l, str(o, "promised_date")))) +
                    td_num(money(v, o, "amount_cents")) + td(holds(v, o)) + td(backorder(v, o)) +
                    "</tr>";
        }
        std::int64_t amount = 0;
        const std::string sum = int_of(g, "amount_cents", amount)
                                    ? fmt_money(v.l, amount, v.currency)
                                    : std::string("—");
        body += "<div class=\"stage-group\" data-stage=\"" + esc(stage) + "\"><h3>" +
                word(v, "stage", stage) + " <span class=\"muted\">" +
                esc(tr_fmt(v.l, "customer.stage_sum", {fmt_number(v.l, num(g, "count")), sum})) +
                "</span></h3>" +
                table(v,
                      {"common.order", "common.holder", "customer.since", "customer.promised",
                       "#common.amount", "customer.holds", "customer.backorder"},
                      rows) +
                "</div>";
    }
    return section(v, "open-orders", "customer.open_orders", body.empty() ? none(v) : body);
}

std::string exceptions(const view_ctx& v, const value& c) {
    std::string rows;
    for (const value& e : list(c, "exceptions")) {
        const std::string order = str(e, "order");
        rows += "<tr class=\"exc\">" + td(text(e, "id")) + td(word(v, "kind", str(e, "kind"))) +
                td(severity_badge(v, str(e, "severity"))) +
                td(order.empty() ? "—" : order_link(order)) +
                td(word(v, "state", str(e, "state"))) + td_num(age(v, ms(e, "raised_at"))) +
                td(text(e, "detail")) + "</tr>";
    }
    return section(v, "exceptions", "customer.exceptions",
                   rows.empty()
                       ? none(v)
                       : table(v,
                               {"customer.exception", "common.kind", "common.severity",
                                "common.order", "common.state", "#common.age", "common.detail"},
                               rows));
}

std::string cases(const view_ctx& v, const value& c) {
    std::string rows;
    for (const value& k : list(c, "cases")) {
        std::string kind = word(v, "customer.case", str(k, "kind"));
        if (const std::string ck = str(k, "complaint_kind"); !ck.empty()) kind += " · " + esc(ck);
        std::string depts;
        for (const value& d : list(k, "departments"))
            if (d.is_string()) depts += (depts.empty() ? "" : ", ") + w(v, "dept", d.as_string());
        const double line = num(k, "line");
        rows += "<tr>" + td(order_link(str(k, "order"))) + td(text(k, "id")) + td(kind) +
                td_num(line > 0 ? fmt_number(v.l, line) : "—") + td(text(k, "detail")) +
                td(esc(fmt_time(v.l, ms(k, "opened")))) + td(depts.empty() ? "—" : depts) + "</tr>";
    }
    return section(v, "cases", "customer.cases",
                   rows.empty()
                       ? none(v)
                       : table(v,
                               {"common.order", "customer.case", "common.kind", "#customer.line",
                                "common.detail", "customer.opened", "customer.departments"},
                               rows));
}

// ---- how the plant delivers to them ----

std::string performance(const view_ctx& v, const value& c) {
    const value& otif = map(c, "otif");
    const value& qty = map(c, "otif_quantity");
    const value& cycle = map(c, "cycle_time");
    // batond writes a share of 0 when nothing was delivered; that is "no figure", not 0%.
    auto share_of = [&](const value& x, std::string_view key, std::string_view of) {
        return num(x, of) > 0 ? esc(fmt_percent(v.l, num(x, key))) : std::string("—");
    };
    auto duration = [&](std::string_view key) {
        return num(cycle, "count") > 0 ? esc(fmt_duration(v.l, ms(cycle, key))) : "—";
    };
    std::string d = "<dl id=\"otif\" class=\"facts\">";
    d += fact(v, "customer.otif", "<strong>" + share_of(otif, "share", "delivered") + "</strong>");
    d += fact(v, "customer.delivered", count(v, otif, "delivered"));
    d += fact(v, "customer.on_time", count(v, otif, "on_time"));
    d += fact(v, "customer.in_full", count(v, otif, "in_full"));
    d += fact(v, "customer.otif_orders", count(v, otif, "otif"));
    d += fact(v, "customer.otif_quantity",
              share_of(qty, "share", "orders") + " · " +
                  esc(tr_fmt(v.l, "customer.orders_of",
                             {count(v, qty, "orders_otif"), count(v, qty, "orders")})));
    d += fact(v, "customer.otif_lines",
              share_of(qty, "lines_share", "lines") + " · " +
                  esc(tr_fmt(v.l, "customer.lines_of",
                             {count(v, qty, "lines_otif"), count(v, qty, "lines")})));
    d += fact(v, "customer.cycle_p50", duration("p50_ms"));
    d += fact(v, "customer.cycle_p90", duration("p90_ms"));
    return section(v, "performance", "customer.performance", d + "</dl>");
}

}  // namespace

std::string render_customer(const view_ctx& v, const value& customer) {
    const std::string id = str(customer, "id");
    const std::string name = str(customer, "name");
    const std::string title = name.empty() ? (id.empty() ? "—" : id) : name;
    std::string body;
    body += "<article class=\"customer-page\" data-customer=\"" + esc(id) + "\">";
    body += "<h1>" + esc(title);
    if (!name.empty() && !id.empty()) body += " <small>" + esc(id) + "</small>";
    if (flag(customer, "blocked"))
        body += " <span class=\"badge blocked\">" + t(v, "customer.blocked") + "</span>";
    body += "</h1>";
    body += master(v, customer);
    body += credit(v, customer);
    body += receivables(v, customer);
    body += open_invoices(v, customer);
    body += open_orders(v, customer);
    body += exceptions(v, customer);
    body += cases(v, customer);
    body += performance(v, customer);
    body += "</article>";
    return page(v, tr_fmt(v.l, "customer.title", {title}), "", body);
}

}  // namespace baton::board
