// Tests of daemon/net/control_views: what `status` says about the store and the feed file, and
// what the order, orders, exceptions, customer, customers and kpi views answer for orders driven
// through the real batch stage, order engine and exception desk on a fake clock.
#include "control_views.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "batch.h"
#include "daemon_harness.h"
#include "dates.h"
#include "events.h"
#include "fake_clock.h"
#include "log_capture.h"
#include "no_actions.h"
#include "temp_dir.h"

namespace baton {
namespace {

using testing::make_event;

using testing::no_actions;

std::string text_of(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : "";
}

TEST(control_views, status_shows_a_failing_feed_file_with_since_and_count) {
    testing::temp_dir dir;
    config c = testing::test_config(dir);
    std::filesystem::create_directories(dir / "var");
    c.feed_path = dir / "var/feed.jsonl";
    std::filesystem::create_symlink("/dev/full", c.feed_path);  // every write fails: disk full
    testing::fake_clock clock;
    testing::log_capture quiet;
    daemon_state state(c, load_inputs(c), clock);
    batch_stage stage(state);
    no_actions actions;
    control_views views(state, stage, actions, nullptr);
    EXPECT_EQ(text_of(views.status(), "feed"), "ok");

    // A deadline passes: the exception's feed line cannot be written.
    const envelope placed = testing::order_placed("e1", "SO-1");
    const std::string peer = "p";
    stage.accept(envelope(placed), encode_envelope(placed), origin::ingest, &peer);
    ASSERT_TRUE(stage.commit());
    clock.advance_ms(30LL * 24 * 3600 * 1000);
    ASSERT_TRUE(stage.on_time());
    ASSERT_TRUE(stage.commit());  // the store has it: nothing is lost

    const value status = views.status();
    EXPECT_EQ(text_of(status, "storage"), "ok");
    EXPECT_EQ(text_of(status, "feed").rfind("failing: ", 0), 0u) << text_of(status, "feed");
    std::int64_t since = 0;
    ASSERT_NE(status.find("feed_failing_since"), nullptr);
    status.find("feed_failing_since")->to_int64(since);
    EXPECT_EQ(since, clock.now_ms());
    std::uint64_t errors = 0;
    status.find("counters")->find("feed_write_errors")->to_uint64(errors);
    EXPECT_GT(errors, 0u);
}

// --- the order and customer views over a small plant -----------------------------------------

constexpr std::int64_t hour = 3600 * 1000;  // ms
constexpr std::int64_t day = 24 * hour;     // ms

// Reading replies: a missing key fails the test.
const value& at(const value& v, const std::string& key) {
    static const value nil;
    const value* f = v.find(key);
    EXPECT_NE(f, nullptr) << "missing key " << key;
    return f ? *f : nil;
}
std::int64_t num(const value& v, const std::string& key) {
    std::int64_t n = -1;
    EXPECT_TRUE(at(v, key).to_int64(n)) << key << " is a " << type_name(at(v, key));
    return n;
}
double real(const value& v, const std::string& key) {
    return at(v, key).to_double();
}
std::string str(const value& v, const std::string& key) {
    const value& f = at(v, key);
    EXPECT_TRUE(f.is_string()) << key;
    return f.is_string() ? f.as_string() : "";
}
bool flag(const value& v, const std::string& key) {
    const value& f = at(v, key);
    EXPECT_TRUE(f.is_bool()) << key;
    return f.is_bool() && f.as_bool();
}
const value_list& items(const value& v, const std::string& key) {
    static const value_list none;
    const value& f = at(v, key);
    EXPECT_TRUE(f.is_list()) << key;
    return f.is_list() ? f.as_list() : none;
}
std::vector<std::string> ids_of(const value& reply, const std::string& key) {
    std::vector<std::string> ids;
    for (const auto& e : items(reply, key)) ids.push_back(str(e, "id"));
    return ids;
}

value kg_line(const std::string& die, double qty) {
    return testing::line_item(die, qty);
}

envelope scheduled(const std::string& id, const std::string& so, const std::string& batch) {
    value d;
    d.set("planned_start", "2026-11-18");
    d.set("planned_finish", "2026-11-20");
    d.set("line", "P2");
    d.set("batch", batch);
    return make_event("production.order.scheduled", id, so, std::move(d), "mes");
}

value qty_of_line(int line, const char* key, double qty) {
    value l;
    l.set("line", line);
    l.set(key, qty);
    l.set("unit", "kg");
    return l;
}

envelope placed(const std::string& id, const std::string& so, const std::string& customer,
                const std::string& salesperson, std::int64_t amount_cents,
                const std::string& promised = "2026-12-18") {
    envelope e = testing::order_placed(id, so, customer);
    e.data.set("salesperson", salesperson);
    e.data.set("customer_po", "PO-" + so);
    e.data.set("amount_cents", static_cast<long long>(amount_cents));
    e.data.set("promised_date", promised);
    return e;
}

class views_test : public ::testing::Test {
protected:
    views_test()
        : cfg_(testing::test_config(dir_)),
          state_(cfg_, load_inputs(cfg_), clock_),
          stage_(state_),
          views_(state_, stage_, actions_, nullptr) {}

    void feed(const envelope& e) {
        stage_.accept(envelope(e), encode_envelope(e), origin::ingest, &peer_);
        ASSERT_TRUE(stage_.commit());
    }
    void later(std::int64_t ms) {
        clock_.advance_ms(ms);
        stage_.on_time();
        ASSERT_TRUE(stage_.commit());
    }

    // SO-1 of C-1001 (salesperson k.ito): two lines; line 1 made, shipped and delivered (1195 of
    // 1200 kg), line 2 made short (300 of 350.5 kg, 5 kg scrap) and not shipped; invoiced
    // 14,000.00 for DN-1 due 2026-11-01 (past due), 4,000.00 paid on it; a surface complaint on
    // line 2.
    void so1() {
        feed(placed("p1", "SO-1", "C-1001", "k.ito", 1843000));
        feed(testing::credit_approved("c1", "SO-1"));
        feed(scheduled("m0", "SO-1", "B-1"));
        value done;
        done.set("qty_good", 1500.0);
        done.set("unit", "kg");
        done.set("batch", "B-1");
        done.set("order_lines",
                 value_list{qty_of_line(1, "qty_good", 1200.0), qty_of_line(2, "qty_good", 300.0)});
        feed(make_event("production.order.completed", "m1", "SO-1", done, "mes"));
        value sent;
        sent.set("vehicle", "WI-AL 411");
        sent.set("carrier", "Spedition Ost");
        sent.set("qty", 1200.0);
        sent.set("shipment", "DN-1");
        sent.set("order_lines", value_list{qty_of_line(1, "qty", 1200.0)});
        feed(make_event("logistics.shipment.dispatched", "s1", "SO-1", sent, "tms"));
        value got;
        got.set("qty", 1195.0);
        got.set("received_by", "K. Novak");
        got.set("shipment", "DN-1");
        got.set("order_lines", value_list{qty_of_line(1, "qty", 1195.0)});
        feed(make_event("logistics.shipment.delivered", "s2", "SO-1", got, "tms"));
        value inv;
        inv.set("invoice", "INV-1");
        inv.set("amount_cents", 1400000);
        inv.set("due_date", "2026-11-01");
        inv.set("shipment", "DN-1");
        feed(make_event("finance.invoice.issued", "f1", "SO-1", inv, "finance-erp"));
        envelope pay = testing::payment("f2", "SO-1", 400000);
        pay.data.set("invoice", "INV-1");
        feed(pay);
        value complaint;
        complaint.set("case", "K-1");
        complaint.set("kind", "surface");
        complaint.set("detail", "streaks on line 2");
        complaint.set("line", 2);
        feed(make_event("sales.complaint.filed", "k1", "SO-1", complaint, "sales-erp"));
    }

    testing::temp_dir dir_;
    config cfg_;
    testing::fake_clock clock_;  // starts 2026-11-18 11:06:40 UTC
    testing::log_capture quiet_;
    daemon_state state_;
    batch_stage stage_;
    no_actions actions_;
    control_views views_;
    const std::string peer_ = "p";
};

TEST_F(views_test, order_shows_per_line_what_left_what_is_still_open_and_what_is_owed) {
    so1();
    const auto reply = views_.order("SO-1");
    ASSERT_TRUE(reply);
    const value& o = *reply;
    // The keys clients read before quantities are all still there.
    for (const char* key : {"id", "customer", "stage", "holder", "since", "milestones", "holds",
                            "promised_date", "amount_cents", "paid_cents", "terms", "new_die",
                            "lines", "departments", "cases", "history", "exceptions", "tasks"})
        EXPECT_NE(o.find(key), nullptr) << key;
    EXPECT_EQ(str(o, "salesperson"), "k.ito");
    EXPECT_EQ(str(o, "customer_po"), "PO-SO-1");
    EXPECT_EQ(num(o, "deposit_cents"), 0);
    EXPECT_EQ(num(o, "charge_cents"), 0);

    const auto& lines = items(o, "line_items");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(num(lines[0], "no"), 1);
    EXPECT_EQ(str(lines[0], "item"), "PRF-D-4411");
    EXPECT_EQ(str(lines[0], "die"), "D-4411");
    EXPECT_EQ(str(lines[0], "unit"), "kg");
    EXPECT_DOUBLE_EQ(real(lines[0], "ordered"), 1200.0);
    EXPECT_DOUBLE_EQ(real(lines[0], "good"), 1200.0);
    EXPECT_DOUBLE_EQ(real(lines[0], "dispatched"), 1200.0);
    EXPECT_DOUBLE_EQ(real(lines[0], "delivered"), 1195.0);
    EXPECT_DOUBLE_EQ(real(lines[0], "on_road"), 0.0);
    EXPECT_DOUBLE_EQ(real(lines[0], "backorder"), 0.0);
    EXPECT_DOUBLE_EQ(real(lines[1], "ordered"), 350.5);
    EXPECT_DOUBLE_EQ(real(lines[1], "good"), 300.0);
    EXPECT_DOUBLE_EQ(real(lines[1], "dispatched"), 0.0);
    EXPECT_DOUBLE_EQ(real(lines[1], "backorder"), 350.5);
    EXPECT_FALSE(flag(at(o, "whole"), "produced"));

    const auto& rest = items(o, "backorder");
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(num(rest[0], "line"), 2);
    EXPECT_EQ(str(rest[0], "item"), "PRF-D-0930");
    EXPECT_DOUBLE_EQ(real(rest[0], "qty"), 350.5);
    EXPECT_EQ(str(rest[0], "unit"), "kg");

    const auto& batches = items(o, "batches");
    ASSERT_EQ(batches.size(), 1u);
    EXPECT_EQ(str(batches[0], "id"), "B-1");
    EXPECT_TRUE(flag(batches[0], "completed"));
    ASSERT_EQ(items(batches[0], "good").size(), 2u);
    EXPECT_DOUBLE_EQ(real(items(batches[0], "good")[1], "qty"), 300.0);

    const auto& shipments = items(o, "shipments");
    ASSERT_EQ(shipments.size(), 1u);
    const value& dn = shipments[0];
    EXPECT_EQ(str(dn, "id"), "DN-1");
    EXPECT_EQ(str(dn, "state"), "delivered");
    EXPECT_EQ(str(dn, "vehicle"), "WI-AL 411");
    EXPECT_EQ(str(dn, "carrier"), "Spedition Ost");
    ASSERT_EQ(items(dn, "lines").size(), 1u);
    EXPECT_EQ(num(items(dn, "lines")[0], "line"), 1);
    EXPECT_DOUBLE_EQ(real(items(dn, "lines")[0], "qty"), 1200.0);
    EXPECT_DOUBLE_EQ(real(items(dn, "received")[0], "qty"), 1195.0);
    EXPECT_EQ(num(dn, "dispatched_at"), clock_.now_ms());
    EXPECT_EQ(num(dn, "answered_at"), clock_.now_ms());

    const auto& invoices = items(o, "invoices");
    ASSERT_EQ(invoices.size(), 1u);
    const value& inv = invoices[0];
    EXPECT_EQ(str(inv, "id"), "INV-1");
    EXPECT_EQ(num(inv, "amount_cents"), 1400000);
    EXPECT_EQ(str(inv, "due_date"), "2026-11-01");
    EXPECT_EQ(num(inv, "paid_cents"), 400000);
    EXPECT_EQ(num(inv, "open_cents"), 1000000);
    EXPECT_EQ(num(inv, "days_overdue"), 16);  // 2026-11-02 .. 2026-11-18 11:06
    EXPECT_EQ(str(inv, "ageing"), "0-30");
    EXPECT_EQ(num(inv, "settled_at"), 0);
    EXPECT_EQ(num(o, "owed_cents"), 1000000);
    EXPECT_EQ(num(o, "invoiced_cents"), 1400000);
    EXPECT_EQ(num(o, "unapplied_cents"), 0);
    ASSERT_EQ(items(o, "payments").size(), 1u);
    EXPECT_EQ(str(items(o, "payments")[0], "invoice"), "INV-1");

    ASSERT_EQ(items(o, "cases").size(), 1u);
    const value& k = items(o, "cases")[0];
    EXPECT_EQ(str(k, "complaint_kind"), "surface");
    EXPECT_EQ(num(k, "line"), 2);
    EXPECT_EQ(str(k, "outcome"), "");
    EXPECT_EQ(str(k, "root_cause"), "");
    EXPECT_EQ(num(k, "credit_cents"), 0);

    // Forty days on, the same invoice has moved to the next bucket.
    clock_.advance_ms(40 * day);
    const auto aged = views_.order("SO-1");
    EXPECT_EQ(str(items(*aged, "invoices")[0], "ageing"), "31-60");
    EXPECT_EQ(num(items(*aged, "invoices")[0], "days_overdue"), 56);
}

TEST_F(views_test, customer_shows_exposure_receivables_open_orders_exceptions_cases_and_otif) {
    so1();
    // SO-2: on credit hold; SO-3: one line, delivered in full on time, 2 days after placing.
    later(hour);
    feed(placed("p2", "SO-2", "C-1001", "k.ito", 500000));
    feed(testing::credit_rejected("c2", "SO-2"));
    envelope p3 = placed("p3", "SO-3", "C-1001", "m.weber", 250000, "2026-11-25");
    p3.data.set("lines", value_list{kg_line("D-7000", 500.0)});
    feed(p3);
    feed(testing::credit_approved("c3", "SO-3"));
    later(2 * day);
    feed(scheduled("m3", "SO-3", "B-3"));
    value done;
    done.set("qty_good", 500.0);
    feed(make_event("production.order.completed", "m4", "SO-3", done, "mes"));
    value sent;
    sent.set("vehicle", "WI-AL 412");
    sent.set("qty", 500.0);
    feed(make_event("logistics.shipment.dispatched", "s3", "SO-3", sent, "tms"));
    value got;
    got.set("qty", 500.0);
    got.set("received_by", "K. Novak");
    feed(make_event("logistics.shipment.delivered", "s4", "SO-3", got, "tms"));
    feed(testing::receivable("r1", "C-1001", 3000000));

    const auto reply = views_.customer("C-1001");
    ASSERT_TRUE(reply);
    const value& c = *reply;
    EXPECT_EQ(str(c, "id"), "C-1001");
    EXPECT_EQ(str(c, "name"), "Nordfassaden GmbH");
    EXPECT_EQ(str(c, "tier"), "key");
    EXPECT_EQ(str(c, "terms"), "credit");
    EXPECT_EQ(num(c, "credit_limit_cents"), 200000000);
    EXPECT_EQ(num(c, "payment_days"), 60);  // its own
    EXPECT_FALSE(flag(c, "blocked"));

    const value& exposure = at(c, "exposure");
    EXPECT_EQ(num(exposure, "receivable_cents"), 3000000);
    // Open, not yet invoiced: SO-1's 18,430.00 less the 14,000.00 invoiced; SO-2; SO-3.
    EXPECT_EQ(num(exposure, "open_orders_cents"), 443000 + 500000 + 250000);
    EXPECT_EQ(num(exposure, "exposure_cents"), 3000000 + 1193000);
    EXPECT_EQ(num(exposure, "headroom_cents"), 200000000 - 4193000);
    EXPECT_DOUBLE_EQ(real(exposure, "share_used"), 4193000.0 / 200000000.0);
    EXPECT_FALSE(flag(exposure, "over_limit"));

    const value& receivables = at(c, "receivables");
    EXPECT_EQ(num(receivables, "open_cents"), 1000000);
    EXPECT_EQ(num(receivables, "past_due_cents"), 1000000);
    const auto& buckets = items(receivables, "buckets");
    ASSERT_EQ(buckets.size(), 5u);
    const char* names[] = {"not_due", "0-30", "31-60", "61-90", "90+"};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(str(buckets[i], "bucket"), names[i]);
        EXPECT_EQ(num(buckets[i], "count"), i == 1 ? 1 : 0) << names[i];
        EXPECT_EQ(num(buckets[i], "cents"), i == 1 ? 1000000 : 0) << names[i];
    }
    ASSERT_EQ(items(receivables, "invoices").size(), 1u);
    EXPECT_EQ(str(items(receivables, "invoices")[0], "order"), "SO-1");
    EXPECT_EQ(str(items(receivables, "invoices")[0], "id"), "INV-1");

    EXPECT_EQ(num(c, "orders_total"), 3);
    EXPECT_EQ(num(c, "orders_open"), 3);  // SO-3 waits for its invoice
    const auto& groups = items(c, "open_orders");
    std::vector<std::string> stages;
    for (const auto& g : groups) stages.push_back(str(g, "stage"));
    EXPECT_EQ(stages, (std::vector<std::string>{"credit_review", "production", "invoicing"}));
    const value& credit = groups[0];
    EXPECT_EQ(str(credit, "holder"), "finance");
    EXPECT_EQ(num(credit, "count"), 1);
    const value& so2 = items(credit, "orders")[0];
    EXPECT_EQ(str(so2, "id"), "SO-2");
    EXPECT_EQ(str(so2, "promised_date"), "2026-12-18");
    EXPECT_EQ(items(so2, "holds").size(), 1u);
    EXPECT_EQ(items(so2, "backorder").size(), 2u);  // nothing shipped yet
    const value& so1 = items(groups[1], "orders")[0];
    EXPECT_EQ(str(so1, "id"), "SO-1");
    ASSERT_EQ(items(so1, "backorder").size(), 1u);
    EXPECT_DOUBLE_EQ(real(items(so1, "backorder")[0], "qty"), 350.5);

    std::vector<std::string> kinds;
    for (const auto& e : items(c, "exceptions")) kinds.push_back(str(e, "kind"));
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "credit_hold"), kinds.end());
    for (const auto& e : items(c, "exceptions")) EXPECT_EQ(str(e, "customer"), "C-1001");
    ASSERT_EQ(items(c, "cases").size(), 1u);
    EXPECT_EQ(str(items(c, "cases")[0], "order"), "SO-1");
    EXPECT_EQ(str(items(c, "cases")[0], "id"), "K-1");

    EXPECT_EQ(num(at(c, "otif"), "delivered"), 1);
    EXPECT_EQ(num(at(c, "otif"), "otif"), 1);
    EXPECT_EQ(num(at(c, "otif_quantity"), "lines"), 1);
    EXPECT_EQ(num(at(c, "otif_quantity"), "lines_otif"), 1);
    EXPECT_EQ(num(at(c, "cycle_time"), "count"), 1);
    EXPECT_EQ(num(at(c, "cycle_time"), "p50_ms"), 2 * day);

    EXPECT_FALSE(views_.customer("C-9999"));
    // A customer of the seed without orders is known, with nothing open.
    const auto quiet = views_.customer("C-1004");
    ASSERT_TRUE(quiet);
    EXPECT_EQ(num(*quiet, "orders_total"), 0);
    EXPECT_EQ(at(*quiet, "exposure").find("headroom_cents"), nullptr);  // no limit: no headroom
}

TEST_F(views_test, customers_lists_one_row_each_and_filters_them) {
    so1();
    feed(placed("p2", "SO-2", "C-1003", "m.weber", 31000000));  // over C-1003's 300,000.00
    value blocked;
    blocked.set("customer", "C-1002");
    blocked.set("blocked", true);
    feed(make_event("sales.customer.updated", "u1", "", blocked, "sales-erp"));

    auto rows = [&](customers_query q) { return views_.customers(q); };
    const value all = rows({});
    EXPECT_EQ(ids_of(all, "customers"),
              (std::vector<std::string>{"C-1001", "C-1002", "C-1003", "C-1004"}));
    EXPECT_EQ(num(all, "total"), 4);
    const value& c1 = items(all, "customers")[0];
    for (const char* key :
         {"id", "name", "tier", "terms", "exposure_cents", "credit_limit_cents", "over_limit",
          "overdue_cents", "past_due_cents", "open_orders", "open_exceptions", "blocked"})
        EXPECT_NE(c1.find(key), nullptr) << key;
    EXPECT_EQ(num(c1, "past_due_cents"), 1000000);
    EXPECT_EQ(num(c1, "open_orders"), 1);

    customers_query key;
    key.tier = "key";
    EXPECT_EQ(ids_of(rows(key), "customers"), std::vector<std::string>{"C-1001"});
    customers_query is_blocked;
    is_blocked.blocked = true;
    EXPECT_EQ(ids_of(rows(is_blocked), "customers"), std::vector<std::string>{"C-1002"});
    customers_query overdue;
    overdue.overdue = true;
    EXPECT_EQ(ids_of(rows(overdue), "customers"), std::vector<std::string>{"C-1001"});
    customers_query over;
    over.over_limit = true;
    EXPECT_EQ(ids_of(rows(over), "customers"), std::vector<std::string>{"C-1003"});
    EXPECT_EQ(num(items(rows(over), "customers")[0], "open_exceptions"), 1);  // credit_hold
    customers_query two;
    two.limit = 2;
    EXPECT_EQ(items(rows(two), "customers").size(), 2u);
    EXPECT_EQ(num(rows(two), "total"), 4);
}

TEST_F(views_test, orders_and_exceptions_filter_by_customer_salesperson_severity_and_time) {
    const std::int64_t first = clock_.now_ms();
    feed(placed("p1", "SO-1", "C-1001", "k.ito", 100000));
    feed(testing::credit_rejected("c1", "SO-1"));  // credit_hold, high for a key account
    later(60 * 1000);  // a minute: no deadline passes, no severity changes
    const std::int64_t second = clock_.now_ms();
    feed(placed("p2", "SO-2", "C-1003", "m.weber", 100000));
    feed(testing::credit_rejected("c2", "SO-2"));  // credit_hold, low for tier B

    orders_query by_sales;
    by_sales.salesperson = "k.ito";
    EXPECT_EQ(ids_of(views_.orders(by_sales), "orders"), std::vector<std::string>{"SO-1"});
    EXPECT_EQ(str(items(views_.orders(by_sales), "orders")[0], "salesperson"), "k.ito");
    orders_query recent;
    recent.since_ms = second;
    EXPECT_EQ(ids_of(views_.orders(recent), "orders"), std::vector<std::string>{"SO-2"});
    orders_query early;
    early.until_ms = second;
    EXPECT_EQ(ids_of(views_.orders(early), "orders"), std::vector<std::string>{"SO-1"});
    orders_query none;
    none.since_ms = first + 1;
    none.until_ms = second;
    EXPECT_EQ(num(views_.orders(none), "total"), 0);

    auto orders_of = [&](const value& reply) {
        std::vector<std::string> out;
        for (const auto& e : items(reply, "exceptions")) out.push_back(str(e, "order"));
        return out;
    };
    exceptions_query all;
    EXPECT_EQ(orders_of(views_.exceptions(all)), (std::vector<std::string>{"SO-1", "SO-2"}));
    exceptions_query c3;
    c3.customer = "C-1003";
    EXPECT_EQ(orders_of(views_.exceptions(c3)), std::vector<std::string>{"SO-2"});
    exceptions_query high;
    high.severity = "high";
    EXPECT_EQ(orders_of(views_.exceptions(high)), std::vector<std::string>{"SO-1"});
    exceptions_query weber;
    weber.salesperson = "m.weber";
    EXPECT_EQ(orders_of(views_.exceptions(weber)), std::vector<std::string>{"SO-2"});
    exceptions_query later_ones;
    later_ones.since_ms = second;
    EXPECT_EQ(orders_of(views_.exceptions(later_ones)), std::vector<std::string>{"SO-2"});
    exceptions_query first_only;
    first_only.until_ms = second;
    first_only.filter.limit = 1;
    EXPECT_EQ(orders_of(views_.exceptions(first_only)), std::vector<std::string>{"SO-1"});
    // The limit counts after the filters: one of C-1003's, though SO-1's sorts first.
    exceptions_query one;
    one.customer = "C-1003";
    one.filter.limit = 1;
    EXPECT_EQ(orders_of(views_.exceptions(one)), std::vector<std::string>{"SO-2"});
}

// What a board pages and labels with: offset, total and counts per department and severity,
// each item's tier and salesperson; an order's stage visits with their deadlines and what was
// relayed about it; orders by customer PO; each KPI stage's SLA.
TEST_F(views_test, exceptions_page_with_offset_total_and_counts_and_orders_show_visits) {
    feed(placed("p1", "SO-1", "C-1001", "k.ito", 100000));
    feed(testing::credit_rejected("c1", "SO-1"));  // credit_hold, high for a key account
    later(1000);
    feed(placed("p2", "SO-2", "C-1003", "m.weber", 100000));
    feed(testing::credit_rejected("c2", "SO-2"));  // credit_hold, low for tier B
    later(1000);
    feed(placed("p3", "SO-3", "C-1003", "m.weber", 100000));
    feed(testing::credit_rejected("c3", "SO-3"));

    exceptions_query page2;
    page2.offset = 1;
    page2.filter.limit = 1;
    const value r = views_.exceptions(page2);
    EXPECT_EQ(num(r, "total"), 3);
    ASSERT_EQ(items(r, "exceptions").size(), 1u);
    const value& second = items(r, "exceptions")[0];
    EXPECT_EQ(str(second, "order"), "SO-2");  // after SO-1's high one, the oldest low one
    EXPECT_EQ(str(second, "tier"), "B");
    EXPECT_FALSE(str(second, "customer_name").empty());
    EXPECT_EQ(str(second, "salesperson"), "m.weber");
    EXPECT_EQ(str(second, "order_stage"), "credit_review");
    EXPECT_EQ(str(second, "order_holder"), "finance");
    std::map<std::string, std::int64_t> counts;
    for (const auto& c : items(r, "counts"))
        counts[str(c, "dept") + "/" + str(c, "severity")] = num(c, "count");
    EXPECT_EQ(counts,
              (std::map<std::string, std::int64_t>{{"finance/high", 1}, {"finance/low", 2}}));
    // One record by its id, whatever its state.
    exceptions_query by_id;
    by_id.filter.state = "all";
    by_id.filter.id = std::stoull(str(second, "id").substr(2));
    EXPECT_EQ(ids_of(views_.exceptions(by_id), "exceptions"),
              std::vector<std::string>{str(second, "id")});
    exceptions_query past_end;
    past_end.offset = 5;
    EXPECT_EQ(items(views_.exceptions(past_end), "exceptions").size(), 0u);
    EXPECT_EQ(num(views_.exceptions(past_end), "total"), 3);

    orders_query by_po;
    by_po.customer_po = "PO-SO-2";
    EXPECT_EQ(ids_of(views_.orders(by_po), "orders"), std::vector<std::string>{"SO-2"});
    EXPECT_EQ(str(items(views_.orders(by_po), "orders")[0], "customer_po"), "PO-SO-2");

    feed(testing::credit_approved("a1", "SO-1"));
    ASSERT_TRUE(views_.order("SO-1"));
    const value o = *views_.order("SO-1");
    const value_list& visits = items(o, "visits");
    ASSERT_GE(visits.size(), 2u);
    EXPECT_EQ(str(visits[0], "stage"), "credit_review");
    EXPECT_EQ(str(visits[0], "holder"), "finance");
    EXPECT_GT(num(visits[0], "left"), 0);
    EXPECT_GT(num(visits[0], "due"), num(visits[0], "entered"));
    EXPECT_EQ(num(visits.back(), "left"), 0);  // still there
    std::vector<std::string> topics;
    for (const auto& m : items(o, "relayed")) topics.push_back(str(m, "topic"));
    ASSERT_FALSE(topics.empty());
    EXPECT_EQ(topics.front(), "sales.status");
    EXPECT_NE(std::find(topics.begin(), topics.end(), "exception.credit_hold"), topics.end());
    EXPECT_NE(std::find(topics.begin(), topics.end(), "finance.credit_check"), topics.end());
    for (const auto& m : items(o, "relayed")) EXPECT_GT(num(m, "ts"), 0);

    kpi_query q;
    q.now_ms = clock_.now_ms();
    const value k = views_.kpi(q);
    ASSERT_FALSE(items(k, "stages").empty());
    EXPECT_EQ(str(items(k, "stages")[0], "stage"), "credit_review");
    EXPECT_GT(num(items(k, "stages")[0], "sla_ms"), 0);
}

TEST_F(views_test, kpi_ages_receivables_at_the_clock_and_breaks_down_by_customer) {
    so1();
    kpi_query q;
    q.by = "customer";
    const value k = views_.kpi(q);
    EXPECT_EQ(num(at(k, "receivables"), "as_of"), clock_.now_ms());
    EXPECT_EQ(num(items(at(k, "receivables"), "buckets")[1], "cents"), 1000000);
    ASSERT_EQ(items(k, "groups").size(), 1u);
    EXPECT_EQ(str(items(k, "groups")[0], "group"), "C-1001");
    EXPECT_EQ(str(items(k, "groups")[0], "name"), "Nordfassaden GmbH");
    EXPECT_EQ(num(at(items(k, "groups")[0], "complaints"), "count"), 1);
}

}  // namespace
}  // namespace baton
