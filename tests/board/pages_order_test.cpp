// The order page rendered from canned `order` replies: the stage timeline against the deadlines,
// escaping of everything batond sends, both languages, replies with keys missing or mistyped;
// and that every catalogue key the three pages (order, customer, KPI) use exists in both languages.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
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

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

constexpr std::int64_t hour = 3600 * 1000;
constexpr std::int64_t t0 = 1795000000000;  // 2026-11-18, a Wednesday

view_ctx ctx(lang l = lang::en) {
    view_ctx v;
    v.l = l;
    v.me.name = "m.weber";
    v.me.dept = "customer_service";
    v.me.level = role::clerk;
    v.now_ms = t0 + 50 * hour;
    return v;
}

// Three visits: credit review left within its deadline, scheduling left 4h past it, production
// still going (its bar runs to now, 20h after it entered).
std::string order_json() {
    auto n = [](std::int64_t h) { return std::to_string(t0 + h * hour); };
    return R"({"id": "SO-1", "customer": "C-1", "stage": "production", "holder": "production",
      "since": )" +
           n(30) + R"(, "promised_date": "2026-12-01", "amount_cents": 12345600,
      "paid_cents": 0, "terms": "credit", "salesperson": "li.na", "customer_po": "PO-77",
      "holds": ["limit"], "new_die": false, "departments": ["sales", "finance"],
      "milestones": {"scheduled": )" +
           n(30) + R"(, "placed": )" + n(0) + R"(,
                     "credit_approved": )" +
           n(2) + R"(},
      "visits": [
        {"stage": "credit_review", "holder": "finance", "entered": )" +
           n(0) + R"(,
         "left": )" +
           n(2) + R"(, "due": )" + n(4) + R"(},
        {"stage": "scheduling", "holder": "production", "entered": )" +
           n(2) + R"(,
         "left": )" +
           n(30) + R"(, "due": )" + n(26) + R"(},
        {"stage": "production", "holder": "production", "entered": )" +
           n(30) + R"(,
         "left": 0, "due": )" +
           n(100) + R"(}],
      "line_items": [{"no": 1, "item": "6063-T5 profile", "die": "D-12", "unit": "kg",
        "ordered": 1200, "good": 800.5, "scrap": 12, "dispatched": 0, "delivered": 0,
        "on_road": 0, "backorder": 1200}],
      "whole": {"produced": false, "dispatched": false, "delivered": false},
      "quantity_problems": [],
      "backorder": [{"line": 1, "item": "6063-T5 profile", "qty": 1200, "unit": "kg"}],
      "batches": [{"id": "B-1", "press_line": "P2", "planned_start": "2026-11-19",
        "planned_finish": "2026-11-21", "started": true, "completed": false, "whole": false,
        "good": [{"line": 1, "qty": 800.5, "unit": "kg"}], "scrap": [], "qc_failures": 0,
        "scheduled_at": )" +
           n(30) + R"(, "completed_at": 0}],
      "shipments": [{"id": "DN-9", "state": "failed", "vehicle": "沪A-123", "carrier": "Fast",
        "expected_delivery": "2026-11-25", "whole": false, "lines": [], "received": [],
        "dispatched_at": )" +
           n(40) + R"(, "answered_at": )" + n(45) + R"(,
        "failure": "gate closed"}],
      "invoices": [{"id": "INV-1", "shipment": "", "amount_cents": 500000,
        "invoice_date": "2026-10-01", "due_date": "2026-10-31", "issued_at": )" +
           n(1) + R"(,
        "paid_cents": 100000, "open_cents": 400000, "days_overdue": 18, "ageing": "0-30",
        "settled_at": 0}],
      "payments": [{"amount_cents": 100000, "invoice": "INV-1", "at": )" +
           n(3) + R"(}],
      "invoiced_cents": 500000, "owed_cents": 400000,
      "exceptions": [{"id": "E-7", "kind": "stage_overdue", "severity": "high",
        "dept": "production", "state": "acknowledged", "assignee": "wang.wei",
        "raised_at": )" +
           n(26) + R"(, "detail": "<script>alert(1)</script> late",
        "history": [{"at": )" +
           n(26) + R"(, "by": "baton", "what": "raised"},
                    {"at": )" +
           n(27) + R"(, "by": "m.weber", "what": "assigned",
                     "to": "wang.wei", "note": "press P2 & P3 busy"}]}],
      "tasks": [{"id": "T-3", "dept": "production", "action": "production: schedule SO-1",
        "due_at": )" +
           n(28) + R"(, "state": "open", "assignee": "",
        "history": [{"at": )" +
           n(26) + R"(, "by": "baton", "what": "opened"}]}],
      "relayed": [{"seq": 41, "topic": "finance.credit_check", "ts": )" +
           n(0) + R"(},
                  {"seq": 57, "topic": "production.release", "ts": )" +
           n(2) + R"(}],
      "history": [{"ts": )" +
           n(0) + R"(, "topic": "finance.credit.approved", "id": "ev-1",
        "source": "erp", "received": )" +
           n(0) + R"(, "seq": 1001}]})";
}

// The <g> of one stage's visit in the timeline.
std::string visit_group(const std::string& html, const std::string& stage) {
    const auto start = html.find("<g class=\"visit");
    const auto at = html.find("data-stage=\"" + stage + "\"", start);
    if (at == std::string::npos) return {};
    const auto open = html.rfind("<g ", at);
    return html.substr(open, html.find("</g>", at) - open);
}

TEST(board_pages_order, timeline_draws_the_part_past_the_deadline_red) {
    const std::string html = render_order(ctx(), parse(order_json()));
    ASSERT_NE(html.find("<svg id=\"timeline\""), std::string::npos);
    EXPECT_EQ(occurrences(html, "<rect class=\"overdue\""), 1u);
    const std::string scheduling = visit_group(html, "scheduling");
    EXPECT_NE(scheduling.find("class=\"overdue\""), std::string::npos);
    EXPECT_NE(scheduling.find("fill=\"#d33\""), std::string::npos);
    EXPECT_NE(scheduling.find("class=\"deadline\""), std::string::npos);
    EXPECT_NE(scheduling.find("Over the deadline by 4h"), std::string::npos);
    EXPECT_EQ(visit_group(html, "credit_review").find("overdue"), std::string::npos);
}

TEST(board_pages_order, an_open_visit_runs_to_now) {
    const std::string html = render_order(ctx(), parse(order_json()));
    const std::string production = visit_group(html, "production");
    EXPECT_NE(production.find("class=\"visit open\""), std::string::npos);
    EXPECT_NE(production.find("still in this stage"), std::string::npos);
    EXPECT_NE(production.find("Time in stage: 20h"), std::string::npos);

    // Later, the same open visit draws a longer bar (its deadline is after both moments).
    view_ctx later = ctx();
    later.now_ms += 30 * hour;
    const std::string then = visit_group(render_order(later, parse(order_json())), "production");
    EXPECT_NE(then.find("Time in stage: 2d 2h"), std::string::npos);
    auto width = [](const std::string& g) {
        const auto at = g.find("width=\"", g.find("<rect"));
        return std::stod(g.substr(at + 7));
    };
    EXPECT_GT(width(then), width(production));
}

TEST(board_pages_order, shows_the_axis_days_and_every_piece) {
    const std::string html = render_order(ctx(), parse(order_json()));
    EXPECT_NE(html.find("class=\"day\""), std::string::npos);
    EXPECT_NE(html.find("<h1>Order SO-1</h1>"), std::string::npos);
    EXPECT_NE(html.find("href=\"/customer/C-1\""), std::string::npos);
    EXPECT_NE(html.find("Over the credit limit"), std::string::npos);  // the hold
    EXPECT_NE(html.find("CNY 123,456.00"), std::string::npos);
    EXPECT_NE(html.find("PO-77"), std::string::npos);
    EXPECT_NE(html.find("Credit approved"), std::string::npos);  // a milestone
    EXPECT_NE(html.find("800.5"), std::string::npos);            // good quantity
    EXPECT_NE(html.find("id=\"backorder\""), std::string::npos);
    EXPECT_NE(html.find("B-1"), std::string::npos);
    EXPECT_NE(html.find("gate closed"), std::string::npos);
    EXPECT_NE(html.find("1–30 days"), std::string::npos);  // invoice ageing
    EXPECT_NE(html.find("<tr class=\"overdue\"><td>INV-1"), std::string::npos);
    EXPECT_NE(html.find("sev-high"), std::string::npos);
    EXPECT_NE(html.find("press P2 &amp; P3 busy"), std::string::npos);  // history note
    EXPECT_NE(html.find("→ wang.wei"), std::string::npos);
    EXPECT_NE(html.find("production: schedule SO-1"), std::string::npos);  // task
    EXPECT_NE(html.find("finance.credit_check"), std::string::npos);       // relayed
    EXPECT_NE(html.find("ev-1"), std::string::npos);                       // history
    // Milestones in the order reached, not as the map lists them.
    EXPECT_LT(html.find("Order placed"), html.find("Credit approved"));
    EXPECT_LT(html.find("Credit approved"), html.find("<td>Scheduled</td>"));
}

TEST(board_pages_order, escapes_what_batond_sends) {
    value o = parse(order_json());
    o.set("customer_po", "\"><img src=x onerror=alert(1)>");
    value_list visits = o.find("visits")->as_list();
    visits[0].set("stage", "<b>x</b>");
    o.set("visits", value(visits));
    const std::string html = render_order(ctx(), o);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; late"), std::string::npos);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_EQ(html.find("<img src=x"), std::string::npos);
    EXPECT_NE(html.find("&quot;&gt;&lt;img src=x"), std::string::npos);
    EXPECT_EQ(html.find("<b>x</b>"), std::string::npos);
    EXPECT_NE(html.find("&lt;b&gt;x&lt;/b&gt;"), std::string::npos);
}

TEST(board_pages_order, reads_in_chinese) {
    const std::string html = render_order(ctx(lang::zh), parse(order_json()));
    EXPECT_NE(html.find("<h1>订单 SO-1</h1>"), std::string::npos);
    EXPECT_NE(html.find("信用审核"), std::string::npos);  // stage credit_review in the timeline
    EXPECT_NE(html.find("超时 4小时"), std::string::npos);
    EXPECT_NE(html.find("¥123,456.00"), std::string::npos);
    EXPECT_NE(html.find("2026年12月1日"), std::string::npos);  // promised date
    EXPECT_NE(html.find("年11月"), std::string::npos);         // an axis day
    EXPECT_NE(html.find("html lang=\"zh-CN\""), std::string::npos);
}

TEST(board_pages_order, missing_or_mistyped_keys_render_as_a_dash) {
    for (const value& o : {value(), value(value_map{}), value("not a map"), value(value_list{})}) {
        const std::string html = render_order(ctx(), o);
        EXPECT_NE(html.find("<h1>Order —</h1>"), std::string::npos);
        EXPECT_NE(html.find("No stage visits recorded."), std::string::npos);
        EXPECT_EQ(html.find("<svg"), std::string::npos);
    }
    value o = parse(order_json());
    o.set("amount_cents", "lots");
    o.set("visits", "soon");
    o.set("milestones", value(value_list{value(1)}));
    o.set("line_items", value(value_list{value("x"), value(value_map{})}));
    o.set("exceptions", value(value_list{parse(R"({"id": 7, "history": "none"})")}));
    const std::string html = render_order(ctx(), o);
    EXPECT_NE(html.find("<dt>Amount</dt><dd>—</dd>"), std::string::npos);
    EXPECT_NE(html.find("No stage visits recorded."), std::string::npos);
}

TEST(board_pages_order, a_visit_without_an_sla_is_drawn_without_deadline) {
    value o = parse(order_json());
    value_list visits = o.find("visits")->as_list();
    visits[2].set("due", 0);
    o.set("visits", value(visits));
    const std::string production = visit_group(render_order(ctx(), o), "production");
    EXPECT_NE(production.find("class=\"nosla\""), std::string::npos);
    EXPECT_EQ(production.find("class=\"deadline\""), std::string::npos);
    EXPECT_NE(production.find("Deadline: no SLA"), std::string::npos);
}

// ---- the catalogue, for all three pages ----

std::string read_source(const std::string& path) {
    std::ifstream in(std::string(BATON_SOURCE_DIR) + "/" + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every "order.…", "customer.…" and "kpi.…" literal in the pages' sources is a catalogue key
// with both languages, or the group of such keys (w(v, "order.hold", name)).
TEST(board_pages, every_catalogue_key_the_pages_use_exists_in_both_languages) {
    std::set<std::string> keys;
    for (const auto& e : catalogue()) {
        EXPECT_TRUE(keys.insert(e.key).second) << "duplicate key " << e.key;
        EXPECT_STRNE(e.en, "") << e.key;
        EXPECT_STRNE(e.zh, "") << e.key;
    }
    const std::regex literal("\"#?((order|customer|kpi|common)\\.[a-z0-9_.]+)\"");
    std::size_t checked = 0;
    for (const char* file :
         {"board/pages_order.cpp", "board/pages_customer.cpp", "board/pages_kpi.cpp"}) {
        const std::string src = read_source(file);
        ASSERT_FALSE(src.empty()) << file;
        for (std::sregex_iterator it(src.begin(), src.end(), literal), end; it != end; ++it) {
            const std::string key = (*it)[1];
            ++checked;
            if (keys.count(key)) continue;
            const auto group = keys.lower_bound(key + ".");
            EXPECT_TRUE(group != keys.end() && group->rfind(key + ".", 0) == 0)
                << file << " uses '" << key << "', which the catalogue lacks";
        }
    }
    EXPECT_GT(checked, 150u);
}

TEST(board_pages, the_order_page_in_chinese_shows_no_catalogue_key) {
    const std::string html = render_order(ctx(lang::zh), parse(order_json()));
    // No topic or text in the fixture has "order." in it, so any such text is a missing key.
    EXPECT_EQ(html.find("order."), std::string::npos);
    EXPECT_EQ(html.find("common."), std::string::npos);
}

}  // namespace
}  // namespace baton::board
