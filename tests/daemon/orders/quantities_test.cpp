// Tests of daemon/orders/quantities: per-line totals in the line's unit (never one unit added to
// another), coverage at the tolerance's edges, backorders, values, payments against invoices and
// receivable ageing.
#include "quantities.h"

#include <gtest/gtest.h>

#include <limits>

#include "dates.h"

namespace baton {
namespace {

value line(const char* item, double qty, const char* unit, long long amount_cents = -1) {
    value l;
    l.set("item", item);
    l.set("qty", qty);
    l.set("unit", unit);
    if (amount_cents >= 0) l.set("amount_cents", amount_cents);
    return l;
}

order two_line_order() {
    order o;
    o.id = "SO-1";
    o.placed = true;
    o.amount_cents = 3000000;
    set_lines(o, value(value_list{line("P-40", 10000, "kg"), line("P-80", 500, "pcs")}));
    return o;
}

production_batch completed(const std::string& id, std::vector<line_qty> good,
                           std::vector<line_qty> scrap = {}) {
    production_batch b;
    b.id = id;
    b.completed = true;
    b.good = std::move(good);
    b.scrap = std::move(scrap);
    return b;
}

TEST(quantities, milli_round_trips_and_prints_without_trailing_zeros) {
    EXPECT_EQ(to_milli(1250.5), 1250500);
    EXPECT_EQ(to_milli(0.001), 1);
    EXPECT_EQ(to_milli(-3), 0);
    EXPECT_EQ(milli_text(1250500), "1250.5");
    EXPECT_EQ(milli_text(1000), "1");
    EXPECT_EQ(milli_text(1), "0.001");
    EXPECT_EQ(milli_text(-500), "-0.5");
}

TEST(quantities, coverage_edges_at_the_tolerance) {
    // 2 % of 10000 kg: 9800 counts, 9799.999 does not.
    EXPECT_TRUE(covers(9800000, 10000000, 200));
    EXPECT_FALSE(covers(9799999, 10000000, 200));
    EXPECT_TRUE(covers(10500000, 10000000, 200));  // more than ordered covers it
    // pcs are exact by default.
    EXPECT_TRUE(covers(500000, 500000, 0));
    EXPECT_FALSE(covers(499999, 500000, 0));
    // In full is within the tolerance both ways.
    EXPECT_TRUE(within(10200000, 10000000, 200));
    EXPECT_FALSE(within(10200001, 10000000, 200));
    EXPECT_TRUE(within(9800000, 10000000, 200));
    EXPECT_FALSE(within(9799999, 10000000, 200));
}

TEST(quantities, lines_sum_in_their_own_unit_and_a_foreign_unit_is_not_counted) {
    order o = two_line_order();
    o.batches.push_back(
        completed("B1", {{1, 6000000, "kg"}, {2, 200000, "pcs"}}, {{1, 40000, ""}}));
    o.batches.push_back(completed("B2", {{1, 3900000, "kg"}, {2, 300000, "kg"}}));  // kg on pcs
    const order_totals t = totals_of(o);
    ASSERT_EQ(t.lines.size(), 2u);
    EXPECT_EQ(t.lines[0].good, 9900000);
    EXPECT_EQ(t.lines[0].scrap, 40000);
    EXPECT_EQ(t.lines[1].good, 200000);  // the 300 kg were not added to pieces
    ASSERT_EQ(t.problems.size(), 1u);
    EXPECT_EQ(t.problems[0].detail, "a batch of 300 kg for line 2, which is in pcs: not counted");
    const tolerances tol;
    EXPECT_FALSE(covered(t, measure::good, tol));
    EXPECT_EQ(shortfalls(t, measure::good, tol),
              (std::vector<std::string>{"line 2 (P-80): 300 pcs of 500 not produced"}));
}

TEST(quantities, a_line_the_order_lacks_is_a_problem_and_counts_nowhere) {
    order o = two_line_order();
    o.batches.push_back(completed("B1", {{3, 1000, "kg"}}));
    const order_totals t = totals_of(o);
    ASSERT_EQ(t.problems.size(), 1u);
    EXPECT_EQ(t.problems[0].detail, "a batch names line 3, which the order does not have");
    EXPECT_EQ(t.lines[0].good + t.lines[1].good, 0);
}

TEST(quantities, a_quantity_without_a_line_is_the_one_line_or_the_whole_order) {
    order one;
    one.placed = true;
    set_lines(one, value(value_list{line("P-40", 1000, "kg")}));
    one.batches.push_back(completed("#1", {{0, 985000, "kg"}}));
    EXPECT_TRUE(covered(totals_of(one), measure::good, tolerances{}));  // 985 of 1000: within 2 %
    one.batches[0].good[0].milli = 979000;
    EXPECT_FALSE(covered(totals_of(one), measure::good, tolerances{}));

    order two = two_line_order();
    two.batches.push_back(completed("#1", {{0, 1000, ""}}));  // names no line: the whole order
    const order_totals t = totals_of(two);
    EXPECT_TRUE(t.produced_whole);
    EXPECT_TRUE(covered(t, measure::good, tolerances{}));
}

TEST(quantities, shipments_give_dispatched_delivered_on_road_and_the_backorder) {
    order o = two_line_order();
    shipment s1;
    s1.id = "DN-1";
    s1.state = shipment_state::delivered;
    s1.sent = {{1, 6000000, "kg"}, {2, 500000, "pcs"}};
    s1.received = s1.sent;
    shipment s2;
    s2.id = "DN-2";
    s2.state = shipment_state::failed;  // back with logistics: counts nowhere
    s2.sent = {{1, 4000000, "kg"}};
    shipment s3;
    s3.id = "DN-3";
    s3.state = shipment_state::on_road;
    s3.sent = {{1, 2000000, "kg"}};
    o.shipments = {s1, s2, s3};
    const order_totals t = totals_of(o);
    EXPECT_EQ(t.lines[0].dispatched, 8000000);
    EXPECT_EQ(t.lines[0].on_road, 2000000);
    EXPECT_EQ(t.lines[0].delivered, 6000000);
    EXPECT_EQ(t.lines[1].delivered, 500000);
    const auto rest = backorder(t);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].no, 1);
    EXPECT_EQ(rest[0].milli, 2000000);
    EXPECT_EQ(rest[0].unit, "kg");
    EXPECT_FALSE(covered(t, measure::dispatched, tolerances{}));
    tolerances loose;
    loose.kg_bp = 2000;  // 20 %: 8000 of 10000 kg count
    EXPECT_TRUE(covered(t, measure::dispatched, loose));
    EXPECT_FALSE(covered(t, measure::delivered, loose));
}

TEST(quantities, values_follow_the_lines_amounts_or_share_the_order_amount) {
    order o = two_line_order();  // no line amounts: 30000.00 shared
    const order_totals t = totals_of(o);
    // Different units: shared evenly, 15000.00 per line, pro rata within the line.
    EXPECT_EQ(line_value_cents(o, t.lines[0], 5000000), 750000);
    EXPECT_EQ(line_value_cents(o, t.lines[1], 500000), 1500000);
    set_lines(o, value(value_list{line("P-40", 10000, "kg", 2000000), line("P-80", 500, "pcs")}));
    const order_totals priced = totals_of(o);
    EXPECT_EQ(line_value_cents(o, priced.lines[0], 2500000), 500000);  // its own amount
    EXPECT_EQ(line_value_cents(o, priced.lines[1], 250000), 500000);   // half of the 10000.00 left
}

TEST(quantities, payments_settle_the_named_invoice_then_the_oldest) {
    order o = two_line_order();
    o.invoices = {{"INV-2", "", 100000, "2026-11-01", "2026-12-20", 2000, 0, 0},
                  {"INV-1", "", 50000, "2026-10-01", "2026-11-30", 1000, 0, 0}};
    o.payments = {{"INV-2", 60000, 5000, "p1"}, {"", 70000, 6000, "p2"}, {"", 30000, 7000, "p3"}};
    const std::int64_t unapplied = allocate_payments(o);
    // INV-2 got 60000 by name; the rest went oldest due first: INV-1 50000 (p2), then INV-2
    // 20000 (p2) and 20000 (p3), which settled it.
    EXPECT_EQ(o.find_invoice("INV-1")->paid_cents, 50000);
    EXPECT_EQ(o.find_invoice("INV-1")->settled_ms, 6000);
    EXPECT_EQ(o.find_invoice("INV-2")->paid_cents, 100000);
    EXPECT_EQ(o.find_invoice("INV-2")->settled_ms, 7000);
    EXPECT_EQ(unapplied, 10000);  // 160000 paid, 150000 invoiced
    // Paid before the invoice existed: settled when it is issued.
    order early = two_line_order();
    early.payments = {{"", 50000, 100, "p1"}};
    early.invoices = {{"INV-9", "", 50000, "2026-10-01", "2026-11-30", 900, 0, 0}};
    EXPECT_EQ(allocate_payments(early), 0);
    EXPECT_EQ(early.invoices[0].settled_ms, 900);
}

TEST(quantities, ageing_buckets_step_at_31_61_and_91_days_past_the_due_day) {
    const std::int64_t due_end = *date_start_ms("2026-03-31") + day_ms;
    EXPECT_EQ(days_overdue("2026-03-31", due_end - 1), -1);
    EXPECT_EQ(ageing_bucket(days_overdue("2026-03-31", due_end - 1)), -1);  // still due today
    EXPECT_EQ(days_overdue("2026-03-31", due_end), 0);
    EXPECT_EQ(ageing_bucket(0), 0);
    EXPECT_EQ(ageing_bucket(days_overdue("2026-03-31", due_end + 30 * day_ms)), 0);
    EXPECT_EQ(ageing_bucket(days_overdue("2026-03-31", due_end + 31 * day_ms)), 1);
    EXPECT_EQ(ageing_bucket(60), 1);
    EXPECT_EQ(ageing_bucket(61), 2);
    EXPECT_EQ(ageing_bucket(90), 2);
    EXPECT_EQ(ageing_bucket(91), 3);
    EXPECT_EQ(days_overdue("not a date", 0), std::numeric_limits<std::int64_t>::min());
}

TEST(quantities, otif_is_per_promised_quantity_by_the_end_of_the_promised_day) {
    order o = two_line_order();
    o.promised_date = "2026-11-10";
    const std::int64_t deadline = *date_start_ms("2026-11-10") + day_ms;
    shipment early;
    early.id = "DN-1";
    early.state = shipment_state::delivered;
    early.answered_ms = deadline - 1;
    early.sent = early.received = {{1, 10000000, "kg"}};
    shipment late;
    late.id = "DN-2";
    late.state = shipment_state::delivered;
    late.answered_ms = deadline;
    late.sent = late.received = {{2, 500000, "pcs"}};
    o.shipments = {early, late};
    o.milestones["delivered"] = {deadline, "ev"};
    const otif_result r = otif_of(o, tolerances{});
    EXPECT_TRUE(r.delivered);
    EXPECT_FALSE(r.on_time);
    EXPECT_TRUE(r.in_full);
    EXPECT_FALSE(r.otif);
    EXPECT_EQ(r.lines, 2u);
    EXPECT_EQ(r.lines_otif, 1u);  // line 1 arrived in full in time, line 2 a moment late
}

}  // namespace
}  // namespace baton
