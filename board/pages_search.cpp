// Search by order number, customer PO, customer number or name (pages.h).
#include "pages.h"
#include "reply.h"

namespace baton::board {

std::string render_search(const view_ctx& v, std::string_view query, const value& orders,
                          const value_list& customers) {
    std::string body = "<h1>" + t(v, "search.title") + "</h1>";
    body += "<form method=\"get\" action=\"/search\" class=\"filters\" id=\"search\">";
    body += "<input name=\"q\" id=\"q\" size=\"40\" maxlength=\"128\" value=\"" + esc(query) +
            "\" placeholder=\"" + t(v, "search.hint") + "\" autofocus> <button>" +
            t(v, "search.submit") + "</button></form>";
    if (query.empty()) return page(v, tr(v.l, "search.title"), "search", body);
    const value_list& found = list_of(orders, "orders");
    if (found.empty() && customers.empty()) {
        body += "<p class=\"empty\" id=\"search-nothing\">" +
                esc(tr_fmt(v.l, "search.nothing", {query})) + "</p>";
        return page(v, tr(v.l, "search.title"), "search", body);
    }
    if (!found.empty()) {
        body += "<section><h2>" + t(v, "search.orders") +
                "</h2><table class=\"list\" id=\"found-orders\"><thead><tr><th>" +
                t(v, "common.order") + "</th><th>" + t(v, "search.po") + "</th><th>" +
                t(v, "common.customer") + "</th><th>" + t(v, "common.stage") + "</th><th>" +
                t(v, "common.holder") + "</th><th>" + t(v, "search.promised") +
                "</th></tr></thead><tbody>";
        for (const auto& o : found) {
            body += "<tr><td>" + order_link(str_of(o, "id")) + "</td><td>" +
                    esc(str_of(o, "customer_po")) + "</td><td>" +
                    customer_link(str_of(o, "customer")) + "</td><td>" +
                    w(v, "stage", str_of(o, "stage")) + "</td><td>" +
                    w(v, "dept", str_of(o, "holder")) + "</td><td>" +
                    esc(fmt_date_text(v.l, str_of(o, "promised_date"))) + "</td></tr>";
        }
        body += "</tbody></table></section>";
    }
    if (!customers.empty()) {
        body += "<section><h2>" + t(v, "search.customers") +
                "</h2><table class=\"list\" id=\"found-customers\"><thead><tr><th>" +
                t(v, "common.customer") + "</th><th>" + t(v, "search.name") + "</th><th>" +
                t(v, "search.tier") + "</th><th>" + t(v, "search.open_orders") + "</th><th>" +
                t(v, "search.open_exceptions") + "</th></tr></thead><tbody>";
        for (const auto& c : customers) {
            body += "<tr><td>" + customer_link(str_of(c, "id")) + "</td><td>" +
                    esc(str_of(c, "name")) + "</td><td>" + w(v, "tier", str_of(c, "tier")) +
                    "</td><td>" + std::to_string(int_of(c, "open_orders")) + "</td><td>" +
                    std::to_string(int_of(c, "open_exceptions")) + "</td></tr>";
        }
        body += "</tbody></table></section>";
    }
    return page(v, tr(v.l, "search.title"), "search", body);
}

}  // namespace baton::board
