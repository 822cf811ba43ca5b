// The customer page rendered from canned `customer` replies: the credit meter under and over the
// limit, receivables by age, open orders by stage, escaping, both languages, missing keys.
#include <gtest/gtest.h>

#include <string>

#include "json_value.h"
#include "pages.h"

namespace baton::board {
namespace {

value parse(const std::string& json) {
    value out;
    std::string error;
    EXPECT_TRUE(adapters::webhook::json_to_value(json, out, error)) << error;
    return out;
}

constexpr std::int64_t hour = 3600 * 1000;
constexpr std::int64_t now = 1795000000000;

view_ctx ctx(lang l = lang::en) {
    view_ctx v;
    v.l = l;
    v.me.name = "m.weber";
    v.me.level = role::clerk;
    v.now_ms = now;
    return v;
}

const char* const customer_json = R"({
  "id": "C-1", "name": "Huadong Windows", "tier": "key", "terms": "credit",
  "credit_limit_cents": 100000000, "payment_days": 45, "blocked": false,
  "account_manager": "li.na", "country": "CN",
  "exposure": {"receivable_cents": 80000000, "open_orders_cents": 45000000,
               "exposure_cents": 125000000, "credit_limit_cents": 100000000,
               "headroom_cents": -25000000, "share_used": 1.25, "over_limit": true},
  "overdue_cents": 3000000,
  "receivables": {"as_of": 1795000000000, "open_cents": 9000000, "past_due_cents": 5000000,
    "buckets": [{"bucket": "not_due", "count": 2, "cents": 4000000},
                {"bucket": "0-30", "count": 1, "cents": 5000000},
                {"bucket": "31-60", "count": 0, "cents": 0},
                {"bucket": "61-90", "count": 0, "cents": 0},
                {"bucket": "90+", "count": 0, "cents": 0}],
    "invoices": [{"order": "SO-3", "id": "INV-9", "amount_cents": 5000000,
                  "due_date": "2026-11-01", "open_cents": 5000000, "days_overdue": 16,
                  "ageing": "0-30"}]},
  "orders_total": 12, "orders_open": 2,
  "open_orders": [
    {"stage": "credit_review", "holder": "finance", "count": 1, "amount_cents": 45000000,
     "orders": [{"id": "SO-7", "holder": "finance", "since": 1794990000000,
                 "promised_date": "2026-12-20", "amount_cents": 45000000,
                 "holds": ["limit", "overdue"], "backorder": []}]},
    {"stage": "shipping", "holder": "logistics", "count": 1, "amount_cents": 1000,
     "orders": [{"id": "SO-8", "holder": "logistics", "since": 1794000000000,
                 "promised_date": "2026-11-30", "amount_cents": 1000, "holds": [],
                 "backorder": [{"line": 1, "item": "6063 bar", "qty": 120.5, "unit": "kg"}]}]}],
  "exceptions": [{"id": "E-4", "kind": "credit_hold", "severity": "high", "order": "SO-7",
                  "state": "open", "raised_at": 1794992800000,
                  "detail": "<script>alert('x')</script> over limit"}],
  "cases": [{"order": "SO-2", "id": "K-1", "kind": "complaint", "complaint_kind": "surface",
             "line": 1, "detail": "scratches", "opened": 1794900000000,
             "departments": ["production"]}],
  "otif": {"delivered": 8, "on_time": 7, "in_full": 6, "otif": 6, "share": 0.75},
  "otif_quantity": {"orders": 8, "orders_otif": 5, "share": 0.625, "lines": 20,
                    "lines_otif": 17, "lines_share": 0.85},
  "cycle_time": {"count": 8, "p50_ms": 777600000, "p90_ms": 1296000000}
})";

TEST(board_pages_customer, over_the_limit_the_meter_is_full_and_red) {
    const std::string html = render_customer(ctx(), parse(customer_json));
    EXPECT_NE(html.find("class=\"meter over-limit\""), std::string::npos);
    EXPECT_NE(html.find("style=\"width:100.0%\""), std::string::npos);
    EXPECT_NE(html.find("125.0% of the limit used"), std::string::npos);
    EXPECT_NE(html.find("Over the limit by CNY 250,000.00"), std::string::npos);
    EXPECT_NE(html.find("CNY 1,250,000.00"), std::string::npos);  // exposure
}

TEST(board_pages_customer, within_the_limit_the_meter_shows_the_share_used) {
    value c = parse(customer_json);
    c.set("exposure", parse(R"({"exposure_cents": 50000000, "credit_limit_cents": 100000000,
                                "headroom_cents": 50000000, "share_used": 0.5,
                                "over_limit": false})"));
    const std::string html = render_customer(ctx(), c);
    EXPECT_EQ(html.find("over-limit"), std::string::npos);
    EXPECT_NE(html.find("style=\"width:50.0%\""), std::string::npos);
    EXPECT_NE(html.find("<dt>Headroom</dt><dd>CNY 500,000.00</dd>"), std::string::npos);

    c.set("exposure", parse(R"({"exposure_cents": 50000000, "credit_limit_cents": 0,
                                "over_limit": false})"));
    const std::string unlimited = render_customer(ctx(), c);
    EXPECT_EQ(unlimited.find("class=\"meter"), std::string::npos);
    EXPECT_NE(unlimited.find("No credit limit"), std::string::npos);
}

TEST(board_pages_customer, shows_what_a_clerk_needs_on_the_phone) {
    const std::string html = render_customer(ctx(), parse(customer_json));
    EXPECT_NE(html.find("<h1>Huadong Windows <small>C-1</small></h1>"), std::string::npos);
    EXPECT_NE(html.find("Key account"), std::string::npos);
    EXPECT_NE(html.find("45 days"), std::string::npos);
    EXPECT_NE(html.find("2 open of 12"), std::string::npos);
    EXPECT_NE(html.find("<dd class=\"bad\">CNY 30,000.00</dd>"), std::string::npos);  // overdue
    // Receivables by age, past due, the open invoice.
    EXPECT_NE(html.find("1–30 days"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"late\"><td>1–30 days</td>"), std::string::npos);
    EXPECT_NE(html.find("CNY 50,000.00"), std::string::npos);
    EXPECT_NE(html.find("INV-9"), std::string::npos);
    EXPECT_NE(html.find("href=\"/order/SO-3\""), std::string::npos);
    // Open orders grouped by stage, with holds and backorder.
    EXPECT_LT(html.find("data-stage=\"credit_review\""), html.find("data-stage=\"shipping\""));
    EXPECT_NE(html.find("href=\"/order/SO-7\""), std::string::npos);
    EXPECT_NE(html.find("Over the credit limit"), std::string::npos);
    EXPECT_NE(html.find("Overdue payments"), std::string::npos);
    EXPECT_NE(html.find("6063 bar 120.5 kg"), std::string::npos);
    // Exceptions with their age, cases, delivery performance.
    EXPECT_NE(html.find("sev-high"), std::string::npos);
    EXPECT_NE(html.find("<td class=\"num\">2h</td>"), std::string::npos);  // E-4 raised 2h ago
    EXPECT_NE(html.find("scratches"), std::string::npos);
    EXPECT_NE(html.find("Complaint · surface"), std::string::npos);
    EXPECT_NE(html.find("<strong>75.0%</strong>"), std::string::npos);
    EXPECT_NE(html.find("5 of 8 orders"), std::string::npos);
    EXPECT_NE(html.find("9d"), std::string::npos);   // cycle p50: 9 days
    EXPECT_NE(html.find("15d"), std::string::npos);  // p90
}

TEST(board_pages_customer, escapes_what_batond_sends) {
    value c = parse(customer_json);
    c.set("name", "<i>Evil & Co</i>");
    const std::string html = render_customer(ctx(), c);
    EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), std::string::npos);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_NE(html.find("&lt;i&gt;Evil &amp; Co&lt;/i&gt;"), std::string::npos);
    EXPECT_EQ(html.find("<i>Evil"), std::string::npos);
}

TEST(board_pages_customer, reads_in_chinese) {
    const std::string html = render_customer(ctx(lang::zh), parse(customer_json));
    EXPECT_NE(html.find("重点客户"), std::string::npos);
    EXPECT_NE(html.find("信用审核"), std::string::npos);  // an open orders' stage
    EXPECT_NE(html.find("超出额度 ¥250,000.00"), std::string::npos);
    EXPECT_NE(html.find("1–30天"), std::string::npos);
    EXPECT_NE(html.find("45天"), std::string::npos);
    EXPECT_NE(html.find("9天"), std::string::npos);
    EXPECT_EQ(html.find("customer."), std::string::npos);  // no key without its text
    EXPECT_EQ(html.find("common."), std::string::npos);
}

TEST(board_pages_customer, missing_or_mistyped_keys_render_as_a_dash) {
    for (const value& c : {value(), value(value_map{}), value(42)}) {
        const std::string html = render_customer(ctx(), c);
        EXPECT_NE(html.find("<h1>—</h1>"), std::string::npos);
        EXPECT_NE(html.find("No credit limit"), std::string::npos);
    }
    value c = parse(customer_json);
    c.set("exposure", "high");
    c.set("open_orders", value(value_list{value("SO-1"), parse(R"({"orders": 3})")}));
    c.set("receivables", parse(R"({"buckets": [1, {"bucket": 5}], "invoices": {}})"));
    c.set("otif", value(value_list{}));
    const std::string html = render_customer(ctx(), c);
    EXPECT_NE(html.find("<dt>Exposure</dt><dd>—</dd>"), std::string::npos);
    EXPECT_NE(html.find("<dt>On time in full</dt><dd><strong>—</strong></dd>"), std::string::npos);
}

TEST(board_pages_customer, a_blocked_customer_says_so_at_the_top) {
    value c = parse(customer_json);
    c.set("blocked", true);
    const std::string html = render_customer(ctx(), c);
    EXPECT_NE(html.find("<span class=\"badge blocked\">Blocked</span></h1>"), std::string::npos);
    EXPECT_NE(html.find("<dt>Blocked</dt><dd class=\"bad\">yes</dd>"), std::string::npos);
}

}  // namespace
}  // namespace baton::board
