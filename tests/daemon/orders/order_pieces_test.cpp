// Tests of the order engine with orders in pieces: batches, shipments, invoices and payments in
// any arrival order give the same order; the production plan follows the open batches; a
// quantity in another unit is an anomaly, not a count; QC after completion and a failed
// shipment take back what they no longer prove; invoices lower the exposure as they come.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "events.h"
#include "order_engine.h"
#include "quantities.h"

namespace baton {
namespace {

using testing::make_event;

constexpr std::int64_t t0 = 1795000000000;

flow_def default_flow() {
    return load_flow(std::string(BATON_SOURCE_DIR) + "/config/flow.yaml");
}

customer_book customers() {
    return customer_book(
        std::vector<customer>{{"C-1001", "Alu Fenster GmbH", "A", "credit", 1000000000}});
}

value qty_line(int line, double qty, const char* key = "qty") {
    value l;
    l.set("line", static_cast<long long>(line));
    l.set(key, qty);
    return l;
}

envelope placed(const std::string& so) {
    envelope e = testing::order_placed("s-" + so, so);  // lines: 1200 kg and 350.5 kg
    e.data.set("amount_cents", 2000000);
    return e;
}

envelope scheduled(const std::string& id, const std::string& so, const std::string& batch,
                   const std::string& finish) {
    value d;
    d.set("planned_start", "2026-11-18");
    d.set("planned_finish", finish);
    d.set("line", "P2");
    d.set("batch", batch);
    return make_event("production.order.scheduled", id, so, std::move(d), "mes");
}

envelope completed(const std::string& id, const std::string& so, const std::string& batch, int line,
                   double good) {
    value d;
    d.set("batch", batch);
    d.set("qty_good", good);
    d.set("order_lines", value_list{qty_line(line, good, "qty_good")});
    return make_event("production.order.completed", id, so, std::move(d), "mes");
}

envelope shipment_event(const std::string& topic, const std::string& id, const std::string& so,
                        const std::string& shipment, int line, double qty) {
    value d;
    d.set("shipment", shipment);
    d.set("qty", qty);
    if (topic == "logistics.shipment.dispatched") d.set("vehicle", "B-AL 1");
    if (topic == "logistics.shipment.delivered") d.set("received_by", "P. Nowak");
    d.set("order_lines", value_list{qty_line(line, qty)});
    return make_event(topic, id, so, std::move(d), "tms");
}

envelope invoice_issued(const std::string& id, const std::string& so, const std::string& number,
                        const std::string& shipment, long long cents) {
    value d;
    d.set("invoice", number);
    d.set("amount_cents", cents);
    d.set("shipment", shipment);
    d.set("invoice_date", "2026-11-20");
    return make_event("finance.invoice.issued", id, so, std::move(d), "ledger");
}

envelope payment(const std::string& id, const std::string& so, long long cents,
                 const std::string& number = "") {
    value d;
    d.set("amount_cents", cents);
    if (!number.empty()) d.set("invoice", number);
    return make_event("finance.payment.received", id, so, std::move(d), "ledger");
}

// A whole order in pieces: two batches, two shipments, two invoices, two payments.
std::vector<envelope> pieces(const std::string& so) {
    return {placed(so),
            testing::credit_approved("f-1", so),
            scheduled("p-1", so, "B1", "2026-11-20"),
            scheduled("p-2", so, "B2", "2026-11-24"),
            completed("p-3", so, "B1", 1, 1200),
            completed("p-4", so, "B2", 2, 350.5),
            shipment_event("logistics.shipment.dispatched", "l-1", so, "DN-1", 1, 1200),
            shipment_event("logistics.shipment.dispatched", "l-2", so, "DN-2", 2, 350.5),
            shipment_event("logistics.shipment.delivered", "l-3", so, "DN-1", 1, 1200),
            shipment_event("logistics.shipment.delivered", "l-4", so, "DN-2", 2, 350.5),
            invoice_issued("f-2", so, "INV-1", "DN-1", 1547900),
            invoice_issued("f-3", so, "INV-2", "DN-2", 452100),
            payment("f-4", so, 1000000, "INV-2"),
            payment("f-5", so, 1000000)};
}

// What must not depend on arrival order.
struct outcome {
    std::string stage;
    std::vector<std::string> milestones;
    std::vector<std::int64_t> totals;  // per line: good, dispatched, delivered
    std::vector<std::int64_t> paid;    // per invoice, by id
    std::int64_t open_cents;
    bool operator==(const outcome& o) const {
        return stage == o.stage && milestones == o.milestones && totals == o.totals &&
               paid == o.paid && open_cents == o.open_cents;
    }
};

outcome outcome_of(const order_engine& engine, const std::string& so) {
    const order& o = *engine.find(so);
    outcome out;
    out.stage = o.stage;
    for (const auto& [name, m] : o.milestones) out.milestones.push_back(name);
    for (const auto& l : totals_of(o).lines) {
        out.totals.push_back(l.good);
        out.totals.push_back(l.dispatched);
        out.totals.push_back(l.delivered);
    }
    std::vector<const invoice*> invoices;
    for (const auto& i : o.invoices) invoices.push_back(&i);
    std::sort(invoices.begin(), invoices.end(),
              [](const invoice* a, const invoice* b) { return a->id < b->id; });
    for (const invoice* i : invoices) out.paid.push_back(i->paid_cents);
    out.open_cents = engine.customers().find("C-1001")->open_cents;
    return out;
}

TEST(order_pieces, any_arrival_order_of_the_pieces_gives_the_same_order) {
    const std::vector<envelope> events = pieces("SO-1");
    order_engine in_order(default_flow(), customers());
    std::vector<relay_message> out;
    std::int64_t seq = 0;
    for (const auto& e : events) in_order.apply(++seq, t0, e, out);
    const outcome want = outcome_of(in_order, "SO-1");
    EXPECT_EQ(want.stage, "closed");
    EXPECT_EQ(want.milestones,
              (std::vector<std::string>{"credit_approved", "delivered", "dispatched", "invoiced",
                                        "paid", "placed", "produced", "scheduled"}));
    EXPECT_EQ(want.totals,
              (std::vector<std::int64_t>{1200000, 1200000, 1200000, 350500, 350500, 350500}));
    EXPECT_EQ(want.paid, (std::vector<std::int64_t>{1547900, 452100}));  // both settled
    EXPECT_EQ(want.open_cents, 0);

    std::mt19937 rng(20261201);
    for (int round = 0; round < 200; ++round) {
        std::vector<envelope> shuffled = events;
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        order_engine engine(default_flow(), customers());
        seq = 0;
        for (const auto& e : shuffled) engine.apply(++seq, t0, e, out);
        std::string arrival;
        for (const auto& e : shuffled) arrival += e.id + " ";
        EXPECT_TRUE(outcome_of(engine, "SO-1") == want) << arrival;
    }
}

// Unnamed pieces (as senders from before batches send them) and facts before the placement:
// a one-line order of 1000 kg, one unnamed batch, an unnamed and a named shipment.
TEST(order_pieces, unnamed_pieces_and_facts_before_placement_in_any_order_give_the_same_order) {
    const std::string so = "SO-9";
    envelope placed_one = testing::order_placed("s-9", so);
    placed_one.data.set("lines", value_list{testing::line_item("D-1", 1000)});
    placed_one.data.set("amount_cents", 1000000);
    value plan;
    plan.set("planned_start", "2026-11-18");
    plan.set("planned_finish", "2026-11-20");
    plan.set("line", "P2");
    value made;
    made.set("qty_good", 1000.0);
    value out_unnamed;
    out_unnamed.set("vehicle", "B-AL 1");
    out_unnamed.set("qty", 600.0);
    value in_unnamed;
    in_unnamed.set("received_by", "P. Nowak");
    in_unnamed.set("qty", 600.0);
    value bill;
    bill.set("invoice", "INV-9");
    bill.set("amount_cents", 1000000);
    const std::vector<envelope> events = {
        placed_one,
        testing::credit_approved("f-1", so),
        make_event("production.order.scheduled", "p-1", so, plan, "mes"),
        make_event("production.order.completed", "p-2", so, made, "mes"),
        make_event("logistics.shipment.dispatched", "l-1", so, out_unnamed, "tms"),
        shipment_event("logistics.shipment.dispatched", "l-2", so, "DN-2", 1, 400),
        make_event("logistics.shipment.delivered", "l-3", so, in_unnamed, "tms"),
        shipment_event("logistics.shipment.delivered", "l-4", so, "DN-2", 1, 400),
        make_event("finance.invoice.issued", "f-2", so, bill, "ledger"),
        payment("f-3", so, 1000000),
    };
    order_engine in_order(default_flow(), customers());
    std::vector<relay_message> out;
    std::int64_t seq = 0;
    for (const auto& e : events) in_order.apply(++seq, t0, e, out);
    const outcome want = outcome_of(in_order, so);
    EXPECT_EQ(want.stage, "closed");
    EXPECT_EQ(want.totals, (std::vector<std::int64_t>{1000000, 1000000, 1000000}));
    EXPECT_EQ(in_order.find(so)->batches.size(), 1u);
    EXPECT_EQ(in_order.find(so)->shipments.size(), 2u);

    // One arrival is ambiguous by nature and left out: the unnamed delivery (l-3) overtaking
    // its unnamed dispatch (l-1) while the numbered DN-2 (l-2) is on the road is taken for
    // DN-2's answer, as a sender that numbers only its dispatch notes needs.
    auto at = [](const std::vector<envelope>& list, const char* id) {
        return std::find_if(list.begin(), list.end(),
                            [&](const envelope& e) { return e.id == id; }) -
               list.begin();
    };
    std::mt19937 rng(7);
    int judged = 0;
    for (int round = 0; round < 300; ++round) {
        std::vector<envelope> shuffled = events;
        std::shuffle(shuffled.begin(), shuffled.end(), rng);
        if (at(shuffled, "l-2") < at(shuffled, "l-3") &&
            at(shuffled, "l-3") < at(shuffled, "l-1") && at(shuffled, "l-3") < at(shuffled, "l-4"))
            continue;
        ++judged;
        order_engine engine(default_flow(), customers());
        seq = 0;
        for (const auto& e : shuffled) engine.apply(++seq, t0, e, out);
        std::string arrival;
        for (const auto& e : shuffled) arrival += e.id + " ";
        EXPECT_TRUE(outcome_of(engine, so) == want) << arrival;
        EXPECT_EQ(engine.find(so)->batches.size(), 1u) << arrival;
        EXPECT_EQ(engine.find(so)->shipments.size(), 2u) << arrival;
    }
    EXPECT_GT(judged, 250);
}

TEST(order_pieces, a_partial_delivery_before_the_placement_does_not_deliver_the_order) {
    order_engine engine(default_flow(), customers());
    std::vector<relay_message> out;
    engine.apply(
        1, t0, shipment_event("logistics.shipment.delivered", "l-1", "SO-8", "DN-1", 1, 600), out);
    EXPECT_TRUE(engine.find("SO-8")->has("delivered"));  // lines unknown: as it always was
    envelope p = testing::order_placed("s-8", "SO-8");
    p.data.set("lines", value_list{testing::line_item("D-1", 1000)});
    engine.apply(2, t0, p, out);
    EXPECT_FALSE(engine.find("SO-8")->has("delivered"));  // 600 of 1000 kg
    EXPECT_FALSE(engine.find("SO-8")->has("dispatched"));
    EXPECT_EQ(engine.find("SO-8")->stage, "credit_review");
}

TEST(order_pieces, the_production_plan_follows_the_open_batches) {
    order_engine engine(default_flow(), customers());
    std::vector<relay_message> out;
    engine.apply(1, t0, placed("SO-2"), out);
    engine.apply(2, t0, testing::credit_approved("f-1", "SO-2"), out);
    engine.apply(3, t0, scheduled("p-1", "SO-2", "B1", "2026-11-20"), out);
    order_change c = engine.apply(4, t0, scheduled("p-2", "SO-2", "B2", "2026-11-26"), out);
    EXPECT_TRUE(c.plan_changed);
    EXPECT_EQ(engine.find("SO-2")->planned_finish, "2026-11-26");
    // B2 done first: the deadline is B1's again.
    engine.apply(5, t0, completed("p-3", "SO-2", "B2", 2, 350.5), out);
    EXPECT_EQ(engine.find("SO-2")->planned_finish, "2026-11-20");
    EXPECT_EQ(engine.find("SO-2")->stage, "production");
    engine.apply(6, t0, completed("p-4", "SO-2", "B1", 1, 1200), out);
    EXPECT_EQ(engine.find("SO-2")->stage, "shipping");
}

TEST(order_pieces, a_quantity_in_another_unit_is_an_anomaly_not_a_count) {
    order_engine engine(default_flow(), customers());
    std::vector<relay_message> out;
    engine.apply(1, t0, placed("SO-3"), out);
    envelope e = completed("p-1", "SO-3", "B1", 1, 1200);
    e.data.set("order_lines", value_list{[] {
                   value l = qty_line(1, 1200, "qty_good");
                   l.set("unit", "pcs");
                   return l;
               }()});
    const order_change c = engine.apply(2, t0, e, out);
    ASSERT_EQ(c.anomalies.size(), 1u);
    EXPECT_EQ(c.anomalies[0].detail, "a batch of 1200 pcs for line 1, which is in kg: not counted");
    EXPECT_EQ(c.anomalies[0].cleared_by, "");  // a person must look at it
    EXPECT_EQ(totals_of(*engine.find("SO-3")).lines[0].good, 0);
}

TEST(order_pieces, qc_after_completion_and_a_failed_shipment_take_back_what_they_proved) {
    order_engine engine(default_flow(), customers());
    std::vector<relay_message> out;
    std::int64_t seq = 0;
    for (const auto& e :
         {placed("SO-4"), testing::credit_approved("f-1", "SO-4"),
          scheduled("p-1", "SO-4", "B1", "2026-11-20"), completed("p-2", "SO-4", "B1", 1, 1200),
          completed("p-3", "SO-4", "B2", 2, 350.5)})
        engine.apply(++seq, t0, e, out);
    ASSERT_TRUE(engine.find("SO-4")->has("produced"));
    value d;
    d.set("batch", "B2");
    d.set("detail", "twist");
    d.set("qty", 100.0);
    d.set("order_lines", value_list{qty_line(2, 100)});
    engine.apply(++seq, t0, make_event("production.qc.failed", "p-4", "SO-4", d, "mes"), out);
    const order& o = *engine.find("SO-4");
    EXPECT_FALSE(o.has("produced"));  // 250.5 of 350.5 kg good now
    EXPECT_EQ(totals_of(o).lines[1].good, 250500);
    EXPECT_EQ(totals_of(o).lines[1].scrap, 100000);
    EXPECT_EQ(o.stage, "production");

    engine.apply(++seq, t0, completed("p-5", "SO-4", "B3", 2, 100), out);
    engine.apply(++seq, t0,
                 shipment_event("logistics.shipment.dispatched", "l-1", "SO-4", "DN-1", 1, 1200),
                 out);
    engine.apply(++seq, t0,
                 shipment_event("logistics.shipment.dispatched", "l-2", "SO-4", "DN-2", 2, 350.5),
                 out);
    EXPECT_EQ(engine.find("SO-4")->stage, "in_transit");
    value failed;
    failed.set("shipment", "DN-2");
    failed.set("reason", "refused");
    engine.apply(++seq, t0, make_event("logistics.delivery.failed", "l-3", "SO-4", failed, "tms"),
                 out);
    EXPECT_FALSE(engine.find("SO-4")->has("dispatched"));
    EXPECT_EQ(engine.find("SO-4")->stage, "shipping");
    const auto rest = backorder(totals_of(*engine.find("SO-4")));
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].no, 2);
    EXPECT_EQ(rest[0].milli, 350500);
}

TEST(order_pieces, invoices_lower_the_open_value_as_they_come) {
    order_engine engine(default_flow(), customers());
    std::vector<relay_message> out;
    engine.apply(1, t0, placed("SO-5"), out);
    EXPECT_EQ(engine.customers().find("C-1001")->open_cents, 2000000);
    engine.apply(2, t0, invoice_issued("f-1", "SO-5", "INV-1", "DN-1", 1500000), out);
    EXPECT_EQ(engine.customers().find("C-1001")->open_cents, 500000);  // 15000.00 billed
    engine.apply(3, t0, invoice_issued("f-2", "SO-5", "INV-2", "", 500000),
                 out);  // the order as a whole
    EXPECT_EQ(engine.customers().find("C-1001")->open_cents, 0);
    EXPECT_TRUE(engine.find("SO-5")->has("invoiced"));
    // The due date: the invoice date plus the flow's 30 days (the customer gives none).
    EXPECT_EQ(engine.find("SO-5")->invoices[0].due_date, "2026-12-20");
}

}  // namespace
}  // namespace baton
