// batonctl against a running batond loop (in-process, ephemeral ports): the order's pieces, the
// customer views, the new filters and the KPI breakdowns as a clerk and a credit controller read
// them, and the refusals of bad arguments with their exit codes.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "daemon_harness.h"
#include "dates.h"
#include "events.h"
#include "ingest_client.h"
#include "process.h"
#include "temp_dir.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::make_event;

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Today's date in UTC plus `days`.
std::string day_from_today(std::int64_t days) {
    return civil_date(wall_ms() / day_ms + days);
}

value per_line(int line, const char* key, double qty) {
    value l;
    l.set("line", line);
    l.set(key, qty);
    l.set("unit", "kg");
    return l;
}

class batonctl_views : public ::testing::Test {
protected:
    void SetUp() override {
        harness_.start();
        // SO-1 of C-1001 (k.ito): line 1 made, shipped, delivered; line 2 short and not shipped;
        // INV-1 of 14,000.00 for DN-1, due 20 days ago, 4,000.00 paid on it.
        envelope placed = testing::order_placed("p1", "SO-1", "C-1001");
        placed.data.set("salesperson", "k.ito");
        placed.data.set("customer_po", "PO-4711");
        send(placed);
        send(testing::credit_approved("c1", "SO-1"));
        value plan;
        plan.set("planned_start", day_from_today(0));
        plan.set("planned_finish", day_from_today(2));
        plan.set("line", "P2");
        plan.set("batch", "B-1");
        send(make_event("production.order.scheduled", "m0", "SO-1", plan, "mes"));
        value done;
        done.set("qty_good", 1500.0);
        done.set("batch", "B-1");
        done.set("order_lines",
                 value_list{per_line(1, "qty_good", 1200.0), per_line(2, "qty_good", 300.0)});
        send(make_event("production.order.completed", "m1", "SO-1", done, "mes"));
        value sent;
        sent.set("vehicle", "WI-AL 411");
        sent.set("carrier", "Spedition Ost");
        sent.set("qty", 1200.0);
        sent.set("shipment", "DN-1");
        sent.set("order_lines", value_list{per_line(1, "qty", 1200.0)});
        send(make_event("logistics.shipment.dispatched", "s1", "SO-1", sent, "tms"));
        value got;
        got.set("qty", 1200.0);
        got.set("received_by", "K. Novak");
        got.set("shipment", "DN-1");
        got.set("order_lines", value_list{per_line(1, "qty", 1200.0)});
        send(make_event("logistics.shipment.delivered", "s2", "SO-1", got, "tms"));
        value inv;
        inv.set("invoice", "INV-1");
        inv.set("amount_cents", 1400000);
        inv.set("due_date", day_from_today(-21));
        inv.set("shipment", "DN-1");
        send(make_event("finance.invoice.issued", "f1", "SO-1", inv, "finance-erp"));
        envelope pay = testing::payment("f2", "SO-1", 400000);
        pay.data.set("invoice", "INV-1");
        send(pay);
        // SO-2 of C-1003 (m.weber): on credit hold.
        envelope second = testing::order_placed("p2", "SO-2", "C-1003");
        second.data.set("salesperson", "m.weber");
        send(second);
        send(testing::credit_rejected("c2", "SO-2"));
    }

    void send(const envelope& e) {
        adapters::ingest_client client(harness_.context(), harness_.ingest());
        auto r = client.send_and_wait(e, 10s);
        ASSERT_TRUE(r && r->acked) << e.id << ": " << (r ? r->reason : "no answer");
    }

    std::pair<int, std::string> ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {BATONCTL_PATH, "--control", harness_.control()});
        return testing::run_program(args, dir_ / ("out-" + std::to_string(++runs_) + ".txt"));
    }

    testing::temp_dir dir_;
    testing::daemon_harness harness_{testing::test_config(dir_)};
    int runs_ = 0;
};

TEST_F(batonctl_views, order_says_what_left_what_is_still_to_ship_and_what_is_owed) {
    auto [status, out] = ctl({"order", "SO-1"});
    ASSERT_EQ(status, 0) << out;
    EXPECT_TRUE(has(out, "salesperson     k.ito")) << out;
    EXPECT_TRUE(has(out, "customer PO     PO-4711")) << out;
    EXPECT_TRUE(has(out, "Where it stands\n")) << out;
    EXPECT_TRUE(has(out, "  left the plant  1 shipment: 1 delivered, 0 on the road\n")) << out;
    EXPECT_TRUE(has(out, "  still to ship   line 2 (PRF-D-0930) 350.5 kg\n")) << out;
    EXPECT_TRUE(has(out,
                    "  owed            10,000.00 of 14,000.00 invoiced; INV-1 20 days "
                    "overdue (0-30)\n"))
        << out;
    EXPECT_TRUE(has(out,
                    "  LINE  ITEM        UNIT  ORDERED  PRODUCED  SCRAP  DISPATCHED  "
                    "DELIVERED  STILL TO SHIP\n"))
        << out;
    EXPECT_TRUE(has(out, "  1     PRF-D-4411  kg    1200     1200      0      1200        1200"))
        << out;
    EXPECT_TRUE(has(out,
                    "  2     PRF-D-0930  kg    350.5    300       0      0           0      "
                    "    350.5\n"))
        << out;
    EXPECT_TRUE(has(out, "  DN-1      delivered  WI-AL 411  Spedition Ost  1: 1200 kg")) << out;
    EXPECT_TRUE(has(out, "  INV-1    14,000.00")) << out;
    EXPECT_TRUE(has(out, "10,000.00  20 days overdue (0-30)")) << out;
    EXPECT_TRUE(has(out, "Payments\n")) << out;
    // The keys clients always read are in the JSON, with the new ones.
    auto [s2, json] = ctl({"--json", "order", "SO-1"});
    ASSERT_EQ(s2, 0) << json;
    for (const char* key : {"\"milestones\"", "\"history\"", "\"line_items\"", "\"shipments\"",
                            "\"backorder\"", "\"invoices\"", "\"owed_cents\": 1000000"})
        EXPECT_TRUE(has(json, key)) << key << "\n" << json;
}

TEST_F(batonctl_views, customer_shows_exposure_receivables_and_open_work) {
    auto [status, out] = ctl({"customer", "C-1001"});
    ASSERT_EQ(status, 0) << out;
    EXPECT_TRUE(has(out, "Customer C-1001 Nordfassaden GmbH\n")) << out;
    EXPECT_TRUE(has(out, "tier             key\n")) << out;
    EXPECT_TRUE(has(out, "terms            credit, 60 days\n")) << out;
    EXPECT_TRUE(has(out, "credit limit     2,000,000.00\n")) << out;
    // SO-1 still counts 4,430.00 of its value (18,430.00 less the 14,000.00 invoiced).
    EXPECT_TRUE(has(out,
                    "exposure         4,430.00 (receivable 0.00 + open orders 4,430.00), "
                    "0.2% of the limit, headroom 1,995,570.00\n"))
        << out;
    EXPECT_TRUE(has(out, "10,000.00 past due on batond's invoices")) << out;
    EXPECT_TRUE(has(out, "  0-30 days    1         10,000.00\n")) << out;
    EXPECT_TRUE(has(out, "Open invoices\n")) << out;
    EXPECT_TRUE(has(out, "  INV-1    SO-1   14,000.00  10,000.00")) << out;
    EXPECT_TRUE(has(out, "Open orders\n")) << out;
    EXPECT_TRUE(has(out, "line 2 (PRF-D-0930) 350.5 kg")) << out;
    EXPECT_TRUE(has(out, "Open cases: none\n")) << out;

    auto [s2, unknown] = ctl({"customer", "C-9"});
    EXPECT_EQ(s2, 1);
    EXPECT_TRUE(has(unknown, "customer 'C-9' is not known")) << unknown;
}

TEST_F(batonctl_views, customers_lists_rows_and_filters_them) {
    auto [status, out] = ctl({"customers"});
    ASSERT_EQ(status, 0) << out;
    EXPECT_TRUE(has(out, "CUSTOMER  NAME")) << out;
    for (const char* id : {"C-1001", "C-1002", "C-1003", "C-1004"})
        EXPECT_TRUE(has(out, std::string("\n") + id + "  ")) << id << "\n" << out;
    auto [s2, key] = ctl({"customers", "--tier", "key"});
    EXPECT_EQ(s2, 0);
    EXPECT_TRUE(has(key, "C-1001")) << key;
    EXPECT_FALSE(has(key, "C-1003")) << key;
    auto [s3, overdue] = ctl({"customers", "--overdue"});
    EXPECT_TRUE(has(overdue, "C-1001")) << overdue;
    EXPECT_FALSE(has(overdue, "C-1002")) << overdue;
    auto [s4, blocked] = ctl({"customers", "--blocked"});
    EXPECT_EQ(blocked, "no customers match\n");
    auto [s5, json] = ctl({"customers", "--json", "--limit", "1"});
    EXPECT_TRUE(has(json, "\"total\": 4")) << json;
    auto [s6, bad] = ctl({"customers", "--tier", "D"});
    EXPECT_EQ(s6, 2) << bad;
}

TEST_F(batonctl_views, orders_and_exceptions_filter_by_salesperson_customer_severity_and_day) {
    auto [status, out] = ctl({"orders", "--salesperson", "k.ito"});
    ASSERT_EQ(status, 0) << out;
    EXPECT_TRUE(has(out, "SO-1")) << out;
    EXPECT_FALSE(has(out, "SO-2")) << out;
    auto [s2, tomorrow] = ctl({"orders", "--since", day_from_today(1)});
    EXPECT_EQ(tomorrow, "no orders match\n");
    auto [s3, today] = ctl(
        {"orders", "--since", day_from_today(-1), "--until", std::to_string(wall_ms() + 3600000)});
    EXPECT_TRUE(has(today, "SO-1") && has(today, "SO-2")) << today;

    auto [s4, holds] = ctl({"exceptions", "--kind", "credit_hold", "--customer", "C-1003"});
    ASSERT_EQ(s4, 0) << holds;
    EXPECT_TRUE(has(holds, "SO-2")) << holds;
    auto [s5, high] = ctl({"exceptions", "--kind", "credit_hold", "--severity", "high"});
    EXPECT_EQ(high, "no exceptions match\n");  // C-1003 is tier B: low
    auto [s6, weber] = ctl({"exceptions", "--salesperson", "m.weber", "--kind", "credit_hold"});
    EXPECT_TRUE(has(weber, "SO-2")) << weber;

    // Bad values never reach batond: exit 2 with the reason.
    auto [b1, e1] = ctl({"exceptions", "--severity", "urgent"});
    EXPECT_EQ(b1, 2) << e1;
    auto [b2, e2] = ctl({"orders", "--since", "2026-02-30"});
    EXPECT_EQ(b2, 2);
    EXPECT_TRUE(has(e2, "expected a date YYYY-MM-DD or ms since the epoch, got '2026-02-30'"))
        << e2;
    auto [b3, e3] = ctl({"orders", "--since", "2026-11-02", "--until", "2026-11-01"});
    EXPECT_EQ(b3, 2);
    EXPECT_TRUE(has(e3, "must be after --since")) << e3;
}

TEST_F(batonctl_views, kpi_breaks_down_by_group_and_period) {
    auto [status, out] = ctl({"kpi", "--by", "tier", "--every", "week"});
    ASSERT_EQ(status, 0) << out;
    EXPECT_TRUE(has(out, "Receivables at ")) << out;
    EXPECT_TRUE(has(out, "Per week\nPERIOD")) << out;
    EXPECT_TRUE(has(out, "=== tier key ===")) << out;
    EXPECT_TRUE(has(out, "=== tier B ===")) << out;
    EXPECT_TRUE(has(out, "OTIF per promised quantity: ")) << out;
    auto [s2, csv] = ctl({"kpi", "--by", "customer", "--csv"});
    ASSERT_EQ(s2, 0) << csv;
    EXPECT_TRUE(has(csv, "section,group,period,since,until\n")) << csv;
    EXPECT_TRUE(has(csv, "\nreceivables,C-1001,,")) << csv;
    auto [s3, json] = ctl({"kpi", "--json", "--by", "salesperson"});
    EXPECT_TRUE(has(json, "\"group\": \"k.ito\"")) << json;
    auto [b1, e1] = ctl({"kpi", "--by", "region"});
    EXPECT_EQ(b1, 2) << e1;
    auto [b2, e2] = ctl({"kpi", "--every", "day"});
    EXPECT_EQ(b2, 2) << e2;
}

}  // namespace
}  // namespace baton

namespace baton {
namespace {

// batonctl's --json, indented, on one line: `{"id":"E-4","kind":...}` (no string in these
// tests holds a newline or `": "`).
std::string one_line(const std::string& json) {
    std::string out = std::regex_replace(json, std::regex("\n *"), "");
    return std::regex_replace(out, std::regex("\": "), "\":");
}

TEST_F(batonctl_views, assign_gives_an_exception_to_a_person_and_every_action_stays_in_history) {
    auto [s0, indented] = ctl({"--json", "exceptions", "--kind", "credit_hold", "--order", "SO-2"});
    const std::string listed = one_line(indented);
    ASSERT_EQ(s0, 0) << listed;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(listed, m, std::regex("\"id\":\"(E-[0-9]+)\""))) << listed;
    const std::string id = m[1];

    auto [s1, acked] = ctl({"ack", id, "--by", "lena.w", "--note", "calling finance"});
    ASSERT_EQ(s1, 0) << acked;
    auto [s2, given] =
        ctl({"assign", id, "--to", "wang.fang", "--by", "lena.w", "--note", "your customer"});
    ASSERT_EQ(s2, 0) << given;
    EXPECT_EQ(given, id + " assigned to wang.fang by lena.w\n");

    auto [s3, mine] = ctl({"exceptions", "--assignee", "wang.fang"});
    EXPECT_TRUE(has(mine, "SO-2")) << mine;
    auto [s4, none] = ctl({"exceptions", "--assignee", "somebody.else"});
    EXPECT_EQ(none, "no exceptions match\n");

    // Every action, not only the last, in the record's history.
    auto [s5, json_indented] =
        ctl({"--json", "exceptions", "--order", "SO-2", "--kind", "credit_hold"});
    const std::string json = one_line(json_indented);
    EXPECT_TRUE(has(json, R"("assignee":"wang.fang")")) << json;
    EXPECT_TRUE(has(json, R"("by":"baton","what":"raised")")) << json;
    EXPECT_TRUE(has(json, R"("by":"lena.w","what":"acknowledged","note":"calling finance")"))
        << json;
    EXPECT_TRUE(
        has(json, R"("by":"lena.w","what":"assigned","to":"wang.fang","note":"your customer")"))
        << json;

    // And in the feed, with who gave it to whom.
    const std::string feed = (dir_ / "var/exceptions.jsonl");
    std::string text;
    for (int i = 0; i < 100 && !has(text, R"("state":"assigned")"); ++i) {
        std::ifstream in(feed);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (!has(text, R"("state":"assigned")")) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(has(text, R"("by":"lena.w","to":"wang.fang","note":"your customer")")) << text;

    // A task too, and back to its department; bad ids never reach batond.
    auto [s6, tasks_indented] = ctl({"--json", "tasks", "--order", "SO-2"});
    const std::string tasks = one_line(tasks_indented);
    ASSERT_TRUE(std::regex_search(tasks, m, std::regex("\"id\":\"(T-[0-9]+)\""))) << tasks;
    const std::string task = m[1];
    auto [s7, back] = ctl({"assign", task, "--to", "", "--by", "lena.w"});
    ASSERT_EQ(s7, 0) << back;
    EXPECT_EQ(back, task + " given back to its department by lena.w\n");
    auto [s8, bad] = ctl({"assign", "X-1", "--to", "a", "--by", "b"});
    EXPECT_EQ(s8, 2) << bad;
    auto [s9, gone] = ctl({"assign", "E-999", "--to", "a", "--by", "b"});
    EXPECT_NE(s9, 0);
    EXPECT_TRUE(has(gone, "exception E-999 is not known")) << gone;
}

}  // namespace
}  // namespace baton
