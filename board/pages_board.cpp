// The start page: open exceptions, most severe and oldest first, with filters, counts per
// department and severity, paging, actions and live refresh (pages.h).
#include <algorithm>
#include <map>
#include <set>

#include "pages.h"
#include "reply.h"

namespace baton::board {

namespace {

const char* const departments[] = {"sales", "finance", "production", "logistics",
                                   "customer_service"};
const char* const severities[] = {"critical", "high", "medium", "low", "warning"};
const char* const kinds[] = {
    "stage_overdue",    "die_overdue",  "payment_overdue", "invoice_missing", "delivery_at_risk",
    "delivery_late",    "credit_hold",  "qc_failed",       "short_produced",  "delivery_failed",
    "invoice_mismatch", "case_overdue", "out_of_sequence", "unknown_order",   "feed_gap"};

std::string option(const std::string& value, const std::string& label, const std::string& chosen) {
    return "<option value=\"" + esc(value) + "\"" + (value == chosen ? " selected" : "") + ">" +
           label + "</option>";
}

template <typename List>
std::string select(const view_ctx& v, const char* name, const char* group, const List& values,
                   const std::string& chosen) {
    std::string out = "<select name=\"" + std::string(name) + "\" id=\"f-" + name + "\">";
    out += option("", t(v, "common.all"), chosen);
    for (const char* value : values) out += option(value, w(v, group, value), chosen);
    return out + "</select>";
}

// Who acknowledged it last, from its history.
std::string acknowledged_by(const value& e) {
    std::string by;
    for (const auto& step : list_of(e, "history"))
        if (str_of(step, "what") == "acknowledged") by = str_of(step, "by");
    if (by.empty() && str_of(e, "state") == "acknowledged") by = str_of(e, "by");
    return by;
}

std::string action_form(const view_ctx& v, const value& e, const board_filter& f) {
    const std::string& id = str_of(e, "id");
    const std::string& dept = str_of(e, "dept");
    const std::string& assignee = str_of(e, "assignee");
    const bool acked = str_of(e, "state") == "acknowledged";
    const bool can_ack = !acked && may(v.me, action::ack, dept, assignee);
    const bool can_resolve = may(v.me, action::resolve, dept, assignee);
    const bool can_assign = assignee.empty() || assignee == v.me.name
                                ? may(v.me, action::assign, dept, assignee)
                                : may(v.me, action::reassign, dept, assignee);
    if (!can_ack && !can_resolve && !can_assign) return "";
    std::string out = "<details class=\"act\"><summary>" + t(v, "board.acted") + "</summary>";
    out += "<form method=\"post\" action=\"/exception/" + url_enc(id) + "\" class=\"act-form\">";
    out += csrf_field(v);
    out += "<input type=\"hidden\" name=\"back\" value=\"/?" + esc(filter_query(f, true)) + "\">";
    out += "<textarea name=\"note\" maxlength=\"2000\" rows=\"2\" placeholder=\"" +
           t(v, "act.note_placeholder") + "\"></textarea><div class=\"buttons\">";
    if (can_ack)
        out += "<button name=\"do\" value=\"ack\" class=\"ack\">" + t(v, "act.ack") + "</button>";
    if (can_resolve)
        out += "<button name=\"do\" value=\"resolve\" class=\"resolve\">" + t(v, "act.resolve") +
               "</button>";
    if (can_assign)
        out += "<input name=\"to\" maxlength=\"64\" size=\"10\" placeholder=\"" +
               t(v, "act.assign_to") + "\"><button name=\"do\" value=\"assign\" class=\"assign\">" +
               t(v, "act.assign") + "</button>";
    out += "</div></form></details>";
    return out;
}

std::string row(const view_ctx& v, const value& e, const board_filter& f) {
    const std::string& id = str_of(e, "id");
    const std::string& severity = str_of(e, "severity");
    const std::string& state = str_of(e, "state");
    std::string out = "<tr id=\"row-" + esc(id) + "\" data-id=\"" + esc(id) + "\" class=\"sev-" +
                      esc(severity) + " state-" + esc(state) + "\">";
    out += "<td>" + severity_badge(v, severity) + "</td>";
    out += "<td class=\"kind\">" + w(v, "kind", str_of(e, "kind")) + "<div class=\"id\">" +
           esc(id) + " · " + w(v, "dept", str_of(e, "dept")) + "</div></td>";
    const std::string& order = str_of(e, "order");
    out += "<td>" + (order.empty() ? std::string("—") : order_link(order)) + "</td>";
    const std::string& tier = str_of(e, "tier");
    const std::string& customer_name = str_of(e, "customer_name");
    out += "<td>" + customer_link(str_of(e, "customer")) +
           (customer_name.empty() ? "" : "<div class=\"muted\">" + esc(customer_name) + "</div>") +
           (tier.empty() ? ""
                         : " <span class=\"tier tier-" + esc(tier) + "\">" + w(v, "tier", tier) +
                               "</span>") +
           "</td>";
    // Where the order stands now (an exception without an order: the stage it watches).
    std::string stage = str_of(e, "order_stage");
    if (stage.empty()) stage = str_of(e, "stage");
    const std::string& holder = str_of(e, "order_holder");
    out += "<td class=\"stage\">" + (stage.empty() ? std::string("—") : w(v, "stage", stage)) +
           "</td>";
    out += "<td class=\"holder\">" + (holder.empty() ? std::string("—") : w(v, "dept", holder)) +
           "</td>";
    out += "<td class=\"age\" title=\"" + esc(fmt_time(v.l, int_of(e, "raised_at"))) + "\">" +
           esc(fmt_duration(v.l, v.now_ms - int_of(e, "raised_at"))) + "</td>";
    const std::string by = acknowledged_by(e);
    out += "<td class=\"acked-by\">" + (by.empty() ? std::string("—") : who(v, by)) + "</td>";
    const std::string& assignee = str_of(e, "assignee");
    out += "<td class=\"assignee\">" +
           (assignee.empty() ? "<span class=\"muted\">" + t(v, "common.unassigned") + "</span>"
                             : who(v, assignee)) +
           "</td>";
    out += "<td class=\"detail\">" + esc(str_of(e, "detail")) + "</td>";
    out += "<td>" + action_form(v, e, f) + "</td></tr>";
    return out;
}

std::string counts_table(const view_ctx& v, const value& reply) {
    std::map<std::string, std::map<std::string, std::int64_t>> by_dept;
    std::map<std::string, std::int64_t> by_severity;
    for (const auto& c : list_of(reply, "counts")) {
        by_dept[str_of(c, "dept")][str_of(c, "severity")] += int_of(c, "count");
        by_severity[str_of(c, "severity")] += int_of(c, "count");
    }
    std::string out = "<table id=\"counts\" class=\"counts\"><caption>" + t(v, "board.counts") +
                      "</caption><thead><tr><th>" + t(v, "common.dept") + "</th>";
    for (const char* s : severities) out += "<th>" + severity_badge(v, s) + "</th>";
    out += "<th>" + t(v, "common.total") + "</th></tr></thead><tbody>";
    for (const auto& [dept, counts] : by_dept) {
        std::int64_t total = 0;
        out += "<tr data-dept=\"" + esc(dept) + "\"><th>" + w(v, "dept", dept) + "</th>";
        for (const char* s : severities) {
            auto it = counts.find(s);
            const std::int64_t n = it == counts.end() ? 0 : it->second;
            total += n;
            out += "<td>" + (n ? esc(fmt_number(v.l, static_cast<double>(n))) : "") + "</td>";
        }
        out += "<td class=\"total\">" + esc(fmt_number(v.l, static_cast<double>(total))) +
               "</td></tr>";
    }
    out += "</tbody></table>";
    return out;
}

}  // namespace

std::string filter_query(const board_filter& f, bool with_page) {
    std::string q;
    auto add = [&](const char* key, const std::string& value) {
        if (value.empty()) return;
        if (!q.empty()) q += '&';
        q += key;
        q += '=';
        q += url_enc(value);
    };
    add("dept", f.dept);
    add("kind", f.kind);
    add("severity", f.severity);
    add("customer", f.customer);
    add("salesperson", f.salesperson);
    if (f.mine) add("mine", "1");
    if (with_page && f.page > 1) add("page", std::to_string(f.page));
    return q;
}

std::string render_board_fragment(const view_ctx& v, const board_filter& f, const value& reply) {
    const std::int64_t total = int_of(reply, "total");
    std::string out = counts_table(v, reply);
    out += "<p class=\"total\" id=\"total\" data-total=\"" + std::to_string(total) + "\">" +
           esc(tr_fmt(v.l, "board.count_open", {fmt_number(v.l, static_cast<double>(total))})) +
           "</p>";
    const value_list& items = list_of(reply, "exceptions");
    if (items.empty()) {
        out += "<p class=\"empty\" id=\"no-exceptions\">" + t(v, "board.none") + "</p>";
    } else {
        out += "<table id=\"exceptions\" class=\"list\"><thead><tr><th>" + t(v, "common.severity") +
               "</th><th>" + t(v, "common.kind") + "</th><th>" + t(v, "common.order") +
               "</th><th>" + t(v, "common.customer") + "</th><th>" + t(v, "common.stage") +
               "</th><th>" + t(v, "common.holder") + "</th><th>" + t(v, "common.age") +
               "</th><th>" + t(v, "common.acknowledged_by") + "</th><th>" +
               t(v, "common.assignee") + "</th><th>" + t(v, "common.detail") + "</th><th>" +
               t(v, "common.action") + "</th></tr></thead><tbody>";
        for (const auto& e : items) out += row(v, e, f);
        out += "</tbody></table>";
    }
    const std::size_t per = std::max<std::size_t>(1, f.per_page);
    const std::size_t pages =
        std::max<std::size_t>(1, (static_cast<std::size_t>(total) + per - 1) / per);
    if (pages > 1) {
        board_filter other = f;
        out += "<nav class=\"pager\" id=\"pager\">";
        if (f.page > 1) {
            other.page = f.page - 1;
            out += "<a rel=\"prev\" href=\"/?" + esc(filter_query(other, true)) + "\">" +
                   t(v, "common.previous") + "</a> ";
        }
        out += "<span>" +
               esc(tr_fmt(v.l, "common.page_of", {std::to_string(f.page), std::to_string(pages)})) +
               "</span>";
        if (f.page < pages) {
            other.page = f.page + 1;
            out += " <a rel=\"next\" href=\"/?" + esc(filter_query(other, true)) + "\">" +
                   t(v, "common.next") + "</a>";
        }
        out += "</nav>";
    }
    return out;
}

std::string render_board(const view_ctx& v, const board_filter& f, const value& reply) {
    std::string body = "<h1>" + t(v, "board.title") +
                       " <span id=\"live\" class=\"live\" data-off=\"" + t(v, "board.live_off") +
                       "\">" + t(v, "board.live") + "</span></h1>";
    body += "<form id=\"filters\" class=\"filters\" method=\"get\" action=\"/\">";
    body += "<label>" + t(v, "common.dept") + " " + select(v, "dept", "dept", departments, f.dept) +
            "</label>";
    body += "<label>" + t(v, "common.kind") + " " + select(v, "kind", "kind", kinds, f.kind) +
            "</label>";
    body += "<label>" + t(v, "common.severity") + " " +
            select(v, "severity", "severity", severities, f.severity) + "</label>";
    body += "<label>" + t(v, "common.customer") +
            " <input name=\"customer\" id=\"f-customer\" size=\"10\" maxlength=\"64\" value=\"" +
            esc(f.customer) + "\"></label>";
    body += "<label>" + t(v, "common.salesperson") +
            " <input name=\"salesperson\" id=\"f-salesperson\" size=\"10\" maxlength=\"64\" "
            "value=\"" +
            esc(f.salesperson) + "\"></label>";
    body += "<label><input type=\"checkbox\" name=\"mine\" value=\"1\" id=\"f-mine\"" +
            std::string(f.mine ? " checked" : "") + "> " + t(v, "board.mine") + "</label>";
    body += "<button>" + t(v, "common.filter") + "</button> <a href=\"/\">" + t(v, "common.clear") +
            "</a></form>";
    body += "<div id=\"board-live\" data-refresh=\"/board/rows?" + esc(filter_query(f, true)) +
            "\" data-since=\"" + std::to_string(v.live_seq) + "\">";
    body += render_board_fragment(v, f, reply);
    body += "</div>";
    return page(v, tr(v.l, "board.title"), "board", body);
}

}  // namespace baton::board
