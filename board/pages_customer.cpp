// The customer page (pages.h render_customer): what a clerk needs with the customer on the
// phone: who they are and on what terms, how much credit is used, what they owe and how old it
// is, their open orders by stage, what is wrong with them, and how well the plant delivers.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "page_parts.h"
#include "pages.h"
#include "reply.h"

namespace baton::board {

namespace {

// What batond's reply leaves out is written "—" (reply.h, page_parts.h).
std::string count(const view_ctx& v, const value& x, std::string_view key) {
    return fmt_number(v.l, figure_of(x, key));
}
// How long ago, "—" for no time.
std::string age(const view_ctx& v, std::int64_t at) {
    if (at <= 0 || v.now_ms <= 0) return "—";
    return esc(fmt_duration(v.l, v.now_ms - at));
}
std::string none(const view_ctx& v) {
    return "<p class=\"empty\">" + t(v, "customer.none") + "</p>";
}

// ---- who they are ----

std::string master(const view_ctx& v, const value& c) {
    std::string d = "<dl id=\"customer-facts\" class=\"facts\">";
    d += fact(v, "customer.id", text(c, "id"));
    d += fact(v, "customer.tier", word(v, "tier", str_of(c, "tier")));
    d += fact(v, "customer.terms", word(v, "terms", str_of(c, "terms")));
    const auto days = maybe_int_of(c, "payment_days");
    d +=
        fact(v, "customer.payment_days",
             days ? esc(tr_fmt(v.l, "customer.days", {fmt_number(v.l, static_cast<double>(*days))}))
                  : "—");
    d += fact(v, "customer.account_manager", text(c, "account_manager"));
    d += fact(v, "customer.country", text(c, "country"));
    const bool blocked = flag_of(c, "blocked");
    d += fact(v, "customer.blocked", t(v, blocked ? "common.yes" : "common.no"),
              blocked ? "bad" : "");
    const auto total = maybe_int_of(c, "orders_total");
    const auto open = maybe_int_of(c, "orders_open");
    if (total && open)
        d += fact(v, "customer.orders",
                  esc(tr_fmt(v.l, "customer.orders_count",
                             {fmt_number(v.l, static_cast<double>(*open)),
                              fmt_number(v.l, static_cast<double>(*total))})));
    return d + "</dl>";
}

// ---- credit ----

// Exposure against the limit as a bar: the filled part is the share used (full and red once
// over the limit), so the clerk sees at a glance whether a new order fits.
std::string meter(const view_ctx& v, const value& e) {
    const double share = figure_of(e, "share_used");
    if (std::isnan(share)) return "<p class=\"muted\">" + t(v, "customer.no_limit") + "</p>";
    const bool over = flag_of(e, "over_limit") || share > 1.0;
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
    const value& e = map_of(c, "exposure");
    std::string body = meter(v, e);
    std::string d = "<dl class=\"facts\">";
    d += fact(v, "customer.exposure", money(v, e, "exposure_cents"));
    const auto limit = maybe_int_of(e, "credit_limit_cents");
    const bool has_limit = limit && *limit > 0;
    d += fact(v, "customer.limit",
              has_limit ? money(v, e, "credit_limit_cents") : t(v, "customer.no_limit"));
    if (const auto headroom = maybe_int_of(e, "headroom_cents")) {
        if (*headroom < 0)
            d +=
                fact(v, "customer.headroom",
                     esc(tr_fmt(v.l, "customer.over_by", {fmt_money(v.l, -*headroom, v.currency)})),
                     "bad over-limit");
        else
            d += fact(v, "customer.headroom", money(v, e, "headroom_cents"));
    }
    d += fact(v, "customer.receivable", money(v, e, "receivable_cents"));
    d += fact(v, "customer.open_orders_value", money(v, e, "open_orders_cents"));
    const std::int64_t overdue = maybe_int_of(c, "overdue_cents").value_or(0);
    d += fact(v, "customer.overdue", money(v, c, "overdue_cents"), overdue > 0 ? "bad" : "");
    body += d + "</dl>";
    return section(v, "credit", "customer.credit", body);
}

// ---- what they owe ----

std::string receivables(const view_ctx& v, const value& c) {
    const value& r = map_of(c, "receivables");
    std::string rows;
    for (const value& b : list_of(r, "buckets")) {
        const std::string bucket = str_of(b, "bucket");
        const bool late = !bucket.empty() && bucket != "not_due" && figure_of(b, "count") > 0;
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
    if (int_of(r, "as_of") > 0)
        body += "<p class=\"muted\">" +
                esc(tr_fmt(v.l, "customer.as_of", {fmt_time(v.l, int_of(r, "as_of"))})) + "</p>";
    return section(v, "receivables", "customer.receivables", body);
}

std::string open_invoices(const view_ctx& v, const value& c) {
    std::string rows;
    for (const value& i : list_of(map_of(c, "receivables"), "invoices")) {
        const auto days = maybe_int_of(i, "days_overdue");
        const bool overdue = days && *days >= 0;
        rows += std::string(overdue ? "<tr class=\"overdue\">" : "<tr>") +
                td(order_link(str_of(i, "order"))) + td(text(i, "id")) +
                td_num(money(v, i, "amount_cents")) +
                td(esc(fmt_date_text(v.l, str_of(i, "due_date")))) +
                td_num(money(v, i, "open_cents")) + td(word(v, "ageing", str_of(i, "ageing"))) +
                td_num(overdue ? fmt_number(v.l, static_cast<double>(*days)) : "—") + "</tr>";
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
    for (const value& h : list_of(o, "holds"))
        if (h.is_string())
            out += "<span class=\"hold\">" + w(v, "customer.hold", h.as_string()) + "</span> ";
    return out.empty() ? "—" : out;
}

std::string backorder(const view_ctx& v, const value& o) {
    std::string out;
    for (const value& b : list_of(o, "backorder")) {
        if (!out.empty()) out += "; ";
        out += text(b, "item") + " " + qty(v, b, "qty") + " " + esc(str_of(b, "unit"));
    }
    return out.empty() ? "—" : out;
}

std::string open_orders(const view_ctx& v, const value& c) {
    std::string body;
    for (const value& g : list_of(c, "open_orders")) {
        const std::string stage = str_of(g, "stage");
        std::string rows;
        for (const value& o : list_of(g, "orders")) {
            const std::int64_t since = int_of(o, "since");
            rows += "<tr>" + td(order_link(str_of(o, "id"))) +
                    td(word(v, "dept", str_of(o, "holder"))) +
                    td(esc(fmt_time(v.l, since)) + " <span class=\"age\">(" + age(v, since) +
                       ")</span>") +
                    td(esc(fmt_date_text(v.l, str_of(o, "promised_date")))) +
                    td_num(money(v, o, "amount_cents")) + td(holds(v, o)) + td(backorder(v, o)) +
                    "</tr>";
        }
        const auto amount = maybe_int_of(g, "amount_cents");
        const std::string sum = amount ? fmt_money(v.l, *amount, v.currency) : std::string("—");
        body +=
            "<div class=\"stage-group\" data-stage=\"" + esc(stage) + "\"><h3>" +
            word(v, "stage", stage) + " <span class=\"muted\">" +
            esc(tr_fmt(v.l, "customer.stage_sum", {fmt_number(v.l, figure_of(g, "count")), sum})) +
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
    for (const value& e : list_of(c, "exceptions")) {
        const std::string order = str_of(e, "order");
        rows += "<tr class=\"exc\">" + td(text(e, "id")) + td(word(v, "kind", str_of(e, "kind"))) +
                td(severity_badge(v, str_of(e, "severity"))) +
                td(order.empty() ? "—" : order_link(order)) +
                td(word(v, "state", str_of(e, "state"))) + td_num(age(v, int_of(e, "raised_at"))) +
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
    for (const value& k : list_of(c, "cases")) {
        std::string kind = word(v, "customer.case", str_of(k, "kind"));
        if (const std::string ck = str_of(k, "complaint_kind"); !ck.empty())
            kind += " · " + esc(ck);
        const std::string depts = words_of(v, k, "departments", "dept");
        const double line = figure_of(k, "line");
        rows += "<tr>" + td(order_link(str_of(k, "order"))) + td(text(k, "id")) + td(kind) +
                td_num(line > 0 ? fmt_number(v.l, line) : "—") + td(text(k, "detail")) +
                td(esc(fmt_time(v.l, int_of(k, "opened")))) + td(depts.empty() ? "—" : depts) +
                "</tr>";
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
    const value& otif = map_of(c, "otif");
    const value& otif_qty = map_of(c, "otif_quantity");
    const value& cycle = map_of(c, "cycle_time");
    // batond writes a share of 0 when nothing was delivered; that is "no figure", not 0%.
    auto share_of = [&](const value& x, std::string_view key, std::string_view of) {
        return figure_of(x, of) > 0 ? esc(fmt_percent(v.l, figure_of(x, key))) : std::string("—");
    };
    auto duration = [&](std::string_view key) {
        return figure_of(cycle, "count") > 0 ? esc(fmt_duration(v.l, int_of(cycle, key))) : "—";
    };
    std::string d = "<dl id=\"otif\" class=\"facts\">";
    d += fact(v, "customer.otif", "<strong>" + share_of(otif, "share", "delivered") + "</strong>");
    d += fact(v, "customer.delivered", count(v, otif, "delivered"));
    d += fact(v, "customer.on_time", count(v, otif, "on_time"));
    d += fact(v, "customer.in_full", count(v, otif, "in_full"));
    d += fact(v, "customer.otif_orders", count(v, otif, "otif"));
    d += fact(v, "customer.otif_quantity",
              share_of(otif_qty, "share", "orders") + " · " +
                  esc(tr_fmt(v.l, "customer.orders_of",
                             {count(v, otif_qty, "orders_otif"), count(v, otif_qty, "orders")})));
    d += fact(v, "customer.otif_lines",
              share_of(otif_qty, "lines_share", "lines") + " · " +
                  esc(tr_fmt(v.l, "customer.lines_of",
                             {count(v, otif_qty, "lines_otif"), count(v, otif_qty, "lines")})));
    d += fact(v, "customer.cycle_p50", duration("p50_ms"));
    d += fact(v, "customer.cycle_p90", duration("p90_ms"));
    return section(v, "performance", "customer.performance", d + "</dl>");
}

}  // namespace

std::string render_customer(const view_ctx& v, const value& customer) {
    const std::string id = str_of(customer, "id");
    const std::string name = str_of(customer, "name");
    const std::string title = name.empty() ? (id.empty() ? "—" : id) : name;
    std::string body;
    body += "<article class=\"customer-page\" data-customer=\"" + esc(id) + "\">";
    body += "<h1>" + esc(title);
    if (!name.empty() && !id.empty()) body += " <small>" + esc(id) + "</small>";
    if (flag_of(customer, "blocked"))
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
