// The simulated plant (adapters/simulator/plant.h) without batond: the same seed gives the same
// events; every event passes the real schemas (batond's admission check); and orders come in
// pieces at the configured rates: batches by die and alloy with QC failures and re-runs, short
// runs, partial shipments and failed deliveries, invoices per shipment, late payments,
// amendments after scheduling, prepay switches, late cancellations, open items.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dates.h"
#include "ingest.h"
#include "plant.h"
#include "schema.h"

namespace baton {
namespace {

using adapters::simulator::plant;
using adapters::simulator::plant_event;
using adapters::simulator::plant_options;

constexpr std::int64_t march_2_2026 = 1772438400000;  // 2026-03-02T08:00:00Z

// Every fault well above its default, so a few hundred orders meet each of them.
plant_options faulty_plant(std::uint64_t seed, std::uint64_t orders) {
    plant_options o;
    o.seed = seed;
    o.start_ms = march_2_2026;
    o.orders = orders;
    o.orders_per_hour = 4;
    o.amend = 0.05;
    o.amend_after_schedule = 0.15;
    o.faults.credit_reject = 0.1;
    o.faults.qc_fail = 0.1;
    o.faults.short_run = 0.1;
    o.faults.late_die = 0.3;
    o.faults.slow_pay = 0.15;
    o.faults.late_pay = 0.2;
    o.faults.invoice_mismatch = 0.05;
    o.faults.delivery_fail = 0.1;
    o.faults.complaint = 0.1;
    o.faults.out_of_order = 0.05;
    o.faults.cancel = 0.05;
    o.faults.cancel_late = 0.05;
    o.faults.slow_answer = 0.1;
    return o;
}

std::vector<plant_event> run_plant(const plant_options& o) {
    plant p(o);
    std::vector<plant_event> out;
    plant_event ev;
    while (p.next(ev)) out.push_back(std::move(ev));
    return out;
}

std::string text(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : std::string();
}
double number(const value& v, const char* key) {
    const value* f = v.find(key);
    return f ? f->to_double() : 0;
}
std::int64_t integer(const value& v, const char* key) {
    std::int64_t n = 0;
    if (const value* f = v.find(key)) f->to_int64(n);
    return n;
}
bool flag(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_bool() && f->as_bool();
}
const value_list& list(const value& v, const char* key) {
    static const value_list empty;
    const value* f = v.find(key);
    return f && f->is_list() ? f->as_list() : empty;
}
std::int64_t day_number(const std::string& date) {
    auto ms = date_start_ms(date);
    return ms ? *ms / day_ms : -1;
}

// An order's events in the order the plant made them (ts order, which late events do not
// disturb), by topic. It points into the events it was made from: keep them alive.
struct order_story {
    std::vector<const envelope*> events;
    std::vector<const envelope*> of(const std::string& topic) const {
        std::vector<const envelope*> out;
        for (const auto* e : events)
            if (e->topic == topic) out.push_back(e);
        return out;
    }
    bool has(const std::string& topic) const { return !of(topic).empty(); }
    const envelope* placed() const {
        auto p = of("sales.order.placed");
        return p.empty() ? nullptr : p.front();
    }
    // The per-line total of a field over a topic's order_lines.
    std::map<int, double> per_line(const std::string& topic, const char* field) const {
        std::map<int, double> out;
        for (const auto* e : of(topic))
            for (const auto& l : list(e->data, "order_lines"))
                out[static_cast<int>(integer(l, "line"))] += number(l, field);
        return out;
    }
};

std::map<std::string, order_story> stories(const std::vector<plant_event>& events) {
    std::map<std::string, order_story> out;
    for (const auto& ev : events)
        if (ev.event.order) out[*ev.event.order].events.push_back(&ev.event);
    for (auto& [id, s] : out)
        std::stable_sort(s.events.begin(), s.events.end(),
                         [](const envelope* a, const envelope* b) { return a->ts_ms < b->ts_ms; });
    return out;
}

TEST(simulator, same_seed_and_start_give_the_same_events) {
    auto events_of = [](std::uint64_t seed) {
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (const auto& ev : run_plant(faulty_plant(seed, 40)))
            out.emplace_back(ev.send_ms, encode_envelope(ev.event));
        return out;
    };
    const auto a = events_of(42), b = events_of(42), c = events_of(43);
    ASSERT_GT(a.size(), 40u * 15);
    EXPECT_TRUE(a == b) << "two runs with seed 42 differ";
    EXPECT_FALSE(a == c) << "seeds 42 and 43 gave the same events";
    for (std::size_t i = 1; i < a.size(); ++i)
        ASSERT_LE(a[i - 1].first, a[i].first) << "events leave the plant out of send order";
}

TEST(simulator, every_event_passes_the_schemas_and_ids_are_unique_per_source) {
    const schema_set schemas = schema_set::load(std::string(BATON_SOURCE_DIR) + "/schemas");
    ingest_rules rules;
    rules.schemas = &schemas;
    plant_options po = faulty_plant(7, 600);
    po.open_items = 1;
    plant p(po);
    std::set<std::pair<std::string, std::string>> ids;
    std::set<std::string> topics, fields;  // "topic field" seen
    plant_event ev;
    std::size_t n = 0;
    while (p.next(ev)) {
        ++n;
        const std::string bytes = encode_envelope(ev.event);
        envelope admitted;
        std::string reason;
        ASSERT_EQ(admit_event(rules, ev.event.topic, bytes, admitted, reason), refusal::none)
            << ev.event.topic << " " << ev.event.id << ": " << reason;
        EXPECT_TRUE(ids.emplace(ev.event.source, ev.event.id).second)
            << "id " << ev.event.id << " twice from " << ev.event.source;
        EXPECT_LE(ev.event.ts_ms, ev.send_ms) << ev.event.id << " reaches batond before it happens";
        topics.insert(ev.event.topic);
        if (ev.event.data.is_map())
            for (const auto& m : ev.event.data.as_map()) {
                std::string f = ev.event.topic + " " + m.key;
                if (m.val.is_bool()) f += m.val.as_bool() ? "=true" : "=false";
                if (m.key == "outcome") f += "=" + m.val.as_string();
                if (m.key == "overdue_cents" && m.val.to_double() > 0) f += ">0";
                fields.insert(f);
            }
    }
    EXPECT_EQ(p.stats().events, n);
    EXPECT_EQ(p.stats().in_progress(), 0u) << "the plant stopped with orders in progress";
    for (const char* t : {"sales.customer.updated",
                          "sales.order.placed",
                          "sales.order.amended",
                          "sales.order.cancelled",
                          "sales.complaint.filed",
                          "sales.return.requested",
                          "sales.case.closed",
                          "finance.credit.approved",
                          "finance.credit.rejected",
                          "finance.payment.received",
                          "finance.receivable.updated",
                          "finance.invoice.issued",
                          "production.die.ready",
                          "production.order.scheduled",
                          "production.order.started",
                          "production.qc.failed",
                          "production.order.completed",
                          "production.case.resolved",
                          "logistics.shipment.dispatched",
                          "logistics.shipment.delivered",
                          "logistics.delivery.failed"})
        EXPECT_TRUE(topics.count(t)) << "600 faulty orders never produced " << t;
    // The fields of orders in pieces, each seen at least once.
    for (const char* f : {"production.order.scheduled batch",
                          "production.order.scheduled rescheduled=true",
                          "production.order.started batch",
                          "production.order.completed batch",
                          "production.order.completed order_lines",
                          "production.qc.failed batch",
                          "production.qc.failed order_lines",
                          "logistics.shipment.dispatched shipment",
                          "logistics.shipment.dispatched order_lines",
                          "logistics.shipment.dispatched partial=true",
                          "logistics.shipment.delivered order_lines",
                          "logistics.delivery.failed shipment",
                          "finance.invoice.issued shipment",
                          "finance.invoice.issued due_date",
                          "finance.payment.received invoice",
                          "finance.receivable.updated overdue_cents>0",
                          "finance.credit.rejected prepay_accepted=true",
                          "finance.credit.rejected prepay_accepted=false",
                          "sales.order.amended lines",
                          "sales.order.amended amount_cents",
                          "sales.order.amended promised_date",
                          "sales.order.cancelled charge_cents",
                          "sales.case.closed outcome=credit_note",
                          "sales.case.closed credit_cents",
                          "production.case.resolved root_cause"})
        EXPECT_TRUE(fields.count(f)) << "never saw " << f;
}

TEST(simulator, orders_have_one_to_four_lines_in_batches_by_die_and_alloy) {
    plant_options po = faulty_plant(11, 400);
    po.faults.qc_fail = 0;
    po.faults.short_run = 0;
    const auto events = run_plant(po);
    std::map<std::size_t, int> line_counts;
    std::size_t split = 0, checked = 0;
    for (const auto& [id, s] : stories(events)) {
        const envelope* placed = s.placed();
        ASSERT_TRUE(placed) << id;
        const auto& lines = list(placed->data, "lines");
        ++line_counts[lines.size()];
        const auto completed = s.of("production.order.completed");
        if (completed.empty() || s.has("sales.order.cancelled")) continue;
        ++checked;
        // Each batch is scheduled, started and completed, in that order, under its own id.
        std::map<std::string, std::vector<std::string>> steps;
        for (const auto* e : s.events)
            if (e->topic.rfind("production.order.", 0) == 0 && !flag(e->data, "rescheduled"))
                steps[text(e->data, "batch")].push_back(e->topic);
        EXPECT_LE(steps.size(), 3u) << id << ": more batches than --batches-max";
        if (steps.size() > 1) ++split;
        for (const auto& [batch, topics] : steps) {
            ASSERT_FALSE(batch.empty()) << id << ": a production fact without its batch";
            EXPECT_EQ(topics, (std::vector<std::string>{"production.order.scheduled",
                                                        "production.order.started",
                                                        "production.order.completed"}))
                << id << " batch " << batch;
        }
        // Lines on the same die and alloy run together.
        std::map<int, std::string> batch_of_line;
        for (const auto* e : completed)
            for (const auto& l : list(e->data, "order_lines"))
                batch_of_line[static_cast<int>(integer(l, "line"))] = text(e->data, "batch");
        ASSERT_EQ(batch_of_line.size(), lines.size()) << id << ": a line no batch made";
        for (std::size_t i = 0; i < lines.size(); ++i)
            for (std::size_t j = i + 1; j < lines.size(); ++j) {
                if (text(lines[i], "die") != text(lines[j], "die") ||
                    text(lines[i], "alloy") != text(lines[j], "alloy"))
                    continue;
                EXPECT_EQ(batch_of_line[static_cast<int>(i + 1)],
                          batch_of_line[static_cast<int>(j + 1)])
                    << id << ": lines " << i + 1 << " and " << j + 1;
            }
    }
    EXPECT_EQ(line_counts.begin()->first, 1u);
    EXPECT_EQ(line_counts.rbegin()->first, 4u);
    EXPECT_GT(line_counts[4], 10);
    EXPECT_GT(checked, 300u);
    EXPECT_GT(split, checked / 4) << "few orders ran in more than one batch";

    po.batches_max = 1;
    const auto one_batch = run_plant(po);
    for (const auto& [id, s] : stories(one_batch)) {
        std::set<std::string> batches;
        for (const auto* e : s.of("production.order.scheduled"))
            batches.insert(text(e->data, "batch"));
        EXPECT_LE(batches.size(), 1u) << id << " with --batches-max 1";
    }
}

TEST(simulator, qc_failures_come_at_the_rate_per_batch_and_are_re_run) {
    plant_options po = faulty_plant(12, 500);
    po.faults.qc_fail = 0.2;
    plant p(po);
    std::vector<plant_event> events;
    plant_event ev;
    while (p.next(ev)) events.push_back(std::move(ev));
    std::size_t batches = 0, failures = 0;
    for (const auto& [id, s] : stories(events)) {
        std::set<std::string> started;
        for (const auto* e : s.of("production.order.started"))
            started.insert(text(e->data, "batch"));
        batches += started.size();
        for (const auto* f : s.of("production.qc.failed")) {
            ++failures;
            if (s.has("sales.order.cancelled")) continue;
            // A re-run batch for what was rejected, scheduled right after the failure.
            std::set<int> rejected;
            for (const auto& l : list(f->data, "order_lines"))
                rejected.insert(static_cast<int>(integer(l, "line")));
            EXPECT_FALSE(rejected.empty()) << id << ": a QC failure naming no line";
            const std::string failed = text(f->data, "batch");
            bool rerun = false;
            for (const auto* e : s.of("production.order.scheduled"))
                rerun = rerun || (e->ts_ms >= f->ts_ms && text(e->data, "batch") != failed &&
                                  !flag(e->data, "rescheduled"));
            EXPECT_TRUE(rerun) << id << ": batch " << failed << " failed QC and was not re-run";
        }
    }
    ASSERT_GT(batches, 700u);
    const double rate = static_cast<double>(failures) / static_cast<double>(batches);
    EXPECT_GT(rate, 0.14) << failures << " of " << batches;
    EXPECT_LT(rate, 0.26) << failures << " of " << batches;
    EXPECT_EQ(p.stats().qc_failures, failures);
    EXPECT_GE(p.stats().reruns, failures);
}

TEST(simulator, a_short_last_batch_is_re_run_or_amended_down) {
    plant_options po = faulty_plant(13, 400);
    po.faults.short_run = 0.25;
    po.faults.cancel = po.faults.cancel_late = 0;
    plant p(po);
    std::vector<plant_event> events;
    plant_event ev;
    while (p.next(ev)) events.push_back(std::move(ev));
    const auto& st = p.stats();
    EXPECT_GT(st.short_runs, 60u);
    EXPECT_LT(st.short_runs, 130u);
    EXPECT_EQ(st.short_runs, st.short_reruns + st.short_amended);
    EXPECT_GT(st.short_reruns, 0u);
    EXPECT_GT(st.short_amended, 0u);
    // Whatever happened, every order shipped what it finally asks for: each line's dispatched
    // quantity covers its (last amended) quantity within batond's tolerance.
    for (const auto& [id, s] : stories(events)) {
        if (!s.has("logistics.shipment.dispatched")) continue;
        value_list lines = list(s.placed()->data, "lines");
        for (const auto* a : s.of("sales.order.amended"))
            if (a->data.find("lines")) lines = list(a->data, "lines");
        std::map<int, double> sent;  // per line, counting each shipment once
        std::set<std::string> seen;
        for (const auto* d : s.of("logistics.shipment.dispatched"))
            if (seen.insert(text(d->data, "shipment")).second)
                for (const auto& l : list(d->data, "order_lines"))
                    sent[static_cast<int>(integer(l, "line"))] += number(l, "qty");
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const double ordered = number(lines[i], "qty");
            const double tol = text(lines[i], "unit") == "kg" ? 0.02 : 0;
            EXPECT_GE(sent[static_cast<int>(i + 1)], ordered * (1 - tol) - 1e-6)
                << id << " line " << i + 1 << " left short";
        }
    }
}

TEST(simulator, orders_leave_in_up_to_trucks_max_named_shipments) {
    plant_options po = faulty_plant(14, 400);
    po.faults.delivery_fail = 0.15;
    const auto events = run_plant(po);
    std::map<std::size_t, int> trucks;
    std::size_t failed = 0;
    for (const auto& [id, s] : stories(events)) {
        const auto dispatched = s.of("logistics.shipment.dispatched");
        if (dispatched.empty()) continue;
        std::vector<std::string> order;  // shipments in first-dispatch order
        for (const auto* d : dispatched) {
            const std::string sh = text(d->data, "shipment");
            ASSERT_FALSE(sh.empty()) << id;
            ASSERT_FALSE(list(d->data, "order_lines").empty()) << id << " " << sh;
            if (std::find(order.begin(), order.end(), sh) == order.end()) order.push_back(sh);
        }
        ++trucks[order.size()];
        // All but the last say more follows.
        for (const auto* d : dispatched)
            EXPECT_EQ(flag(d->data, "partial"), text(d->data, "shipment") != order.back())
                << id << " " << text(d->data, "shipment");
        // What was made good is what left, line by line.
        const auto made = s.per_line("production.order.completed", "qty_good");
        std::map<int, double> sent;
        std::set<std::string> seen;
        for (const auto* d : dispatched)
            if (seen.insert(text(d->data, "shipment")).second)
                for (const auto& l : list(d->data, "order_lines"))
                    sent[static_cast<int>(integer(l, "line"))] += number(l, "qty");
        for (const auto& [line, qty] : made)
            EXPECT_NEAR(sent[line], qty, 0.05) << id << " line " << line;
        // A failed delivery: the same shipment dispatched again, then delivered.
        for (const auto* f : s.of("logistics.delivery.failed")) {
            ++failed;
            const std::string sh = text(f->data, "shipment");
            int again = 0;
            bool delivered = false;
            for (const auto* d : dispatched)
                again += d->ts_ms > f->ts_ms && text(d->data, "shipment") == sh;
            for (const auto* d : s.of("logistics.shipment.delivered"))
                delivered = delivered || (d->ts_ms > f->ts_ms && text(d->data, "shipment") == sh);
            EXPECT_EQ(again, 1) << id << " " << sh << " not dispatched again";
            EXPECT_TRUE(delivered) << id << " " << sh << " never delivered";
        }
    }
    EXPECT_EQ(trucks.rbegin()->first, 3u);
    EXPECT_GT(trucks[2] + trucks[3], trucks[1] / 3) << "few orders left in several trucks";
    EXPECT_GT(failed, 20u);

    po.trucks_max = 1;
    const auto one_truck = run_plant(po);
    for (const auto& [id, s] : stories(one_truck)) {
        std::set<std::string> shipments;
        for (const auto* d : s.of("logistics.shipment.dispatched"))
            shipments.insert(text(d->data, "shipment"));
        EXPECT_LE(shipments.size(), 1u) << id << " with --trucks-max 1";
    }
}

TEST(simulator, credit_orders_get_an_invoice_per_shipment_paid_on_time_or_late) {
    plant_options po = faulty_plant(15, 500);
    po.faults.late_pay = 0.25;
    po.faults.invoice_mismatch = 0.1;
    plant p(po);
    std::vector<plant_event> events;
    plant_event ev;
    while (p.next(ev)) events.push_back(std::move(ev));
    std::map<std::string, int> payment_days;
    for (const auto& e : events)
        if (e.event.topic == "sales.customer.updated")
            payment_days[text(e.event.data, "customer")] =
                static_cast<int>(integer(e.event.data, "payment_days"));
    std::size_t invoices = 0, mismatched = 0, paid = 0, late = 0;
    for (const auto& [id, s] : stories(events)) {
        const envelope* placed = s.placed();
        if (text(placed->data, "terms") != "credit" || s.has("finance.credit.rejected")) continue;
        const auto& lines = list(placed->data, "lines");
        std::map<std::string, const envelope*> delivered;  // by shipment
        for (const auto* d : s.of("logistics.shipment.delivered"))
            delivered[text(d->data, "shipment")] = d;
        const auto issued = s.of("finance.invoice.issued");
        EXPECT_EQ(issued.size(), delivered.size()) << id << ": not one invoice per shipment";
        for (const auto* inv : issued) {
            ++invoices;
            const auto it = delivered.find(text(inv->data, "shipment"));
            ASSERT_NE(it, delivered.end()) << id << ": invoice for no delivered shipment";
            EXPECT_EQ(day_number(text(inv->data, "due_date")) -
                          day_number(text(inv->data, "invoice_date")),
                      payment_days[text(placed->data, "customer")])
                << id;
            // The value of what the shipment carried, pro rata of the lines' amounts (lines
            // as last amended).
            value_list now = lines;
            for (const auto* a : s.of("sales.order.amended"))
                if (a->ts_ms < inv->ts_ms && a->data.find("lines")) now = list(a->data, "lines");
            double value = 0;
            for (const auto& l : list(it->second->data, "order_lines")) {
                const auto& line = now[static_cast<std::size_t>(integer(l, "line") - 1)];
                value += static_cast<double>(integer(line, "amount_cents")) * number(l, "qty") /
                         number(line, "qty");
            }
            const double billed = static_cast<double>(integer(inv->data, "amount_cents"));
            if (std::fabs(billed - value) > std::max(2.0, value * 0.005)) ++mismatched;
            // Paid once, naming it, for its amount.
            const std::string number_ = text(inv->data, "invoice");
            int payments = 0;
            for (const auto* pay : s.of("finance.payment.received")) {
                if (text(pay->data, "invoice") != number_) continue;
                ++payments;
                EXPECT_EQ(integer(pay->data, "amount_cents"), integer(inv->data, "amount_cents"));
                const std::int64_t past_due = day_number(text(pay->data, "value_date")) -
                                              day_number(text(inv->data, "due_date"));
                if (past_due > 1) {
                    ++late;
                    EXPECT_GE(past_due, 10) << id << " " << number_;
                    EXPECT_LE(past_due, 101) << id << " " << number_;
                }
            }
            EXPECT_EQ(payments, 1) << id << " " << number_;
            paid += payments;
        }
    }
    ASSERT_GT(invoices, 400u);
    const double late_rate = static_cast<double>(late) / static_cast<double>(paid);
    EXPECT_GT(late_rate, 0.18);
    EXPECT_LT(late_rate, 0.32);
    const double mismatch_rate = static_cast<double>(mismatched) / static_cast<double>(invoices);
    EXPECT_GT(mismatch_rate, 0.05);
    EXPECT_LT(mismatch_rate, 0.15);
    // The receivable shows the late ones overdue until they are paid.
    std::int64_t most_overdue = 0, last_overdue = -1;
    for (const auto& e : events)
        if (e.event.topic == "finance.receivable.updated") {
            most_overdue = std::max(most_overdue, integer(e.event.data, "overdue_cents"));
            last_overdue = integer(e.event.data, "overdue_cents");
        }
    EXPECT_GT(most_overdue, 0);
    EXPECT_EQ(last_overdue, 0) << "overdue left after every invoice was paid";
}

TEST(simulator, amendments_after_scheduling_come_at_the_rate_and_are_confirmed) {
    plant_options po = faulty_plant(16, 500);
    po.amend = 0;
    po.amend_after_schedule = 0.3;
    po.faults.short_run = 0;
    po.faults.cancel = po.faults.cancel_late = po.faults.credit_reject = 0;
    const auto events = run_plant(po);
    std::size_t scheduled = 0, amended = 0, quantity = 0, price = 0, date = 0;
    for (const auto& [id, s] : stories(events)) {
        const auto plans = s.of("production.order.scheduled");
        if (plans.empty()) continue;
        ++scheduled;
        const auto amendments = s.of("sales.order.amended");
        if (amendments.empty()) continue;
        const envelope* a = amendments.front();
        EXPECT_GE(a->ts_ms, plans.front()->ts_ms) << id << " amended before scheduling";
        ++amended;
        const bool lines = a->data.find("lines") != nullptr;
        const bool amount = a->data.find("amount_cents") != nullptr;
        EXPECT_EQ(lines, amount) << id << ": lines and amount change together";
        if (a->data.find("promised_date")) ++date;
        if (lines) {
            // Quantity or price: which line changed how.
            const auto& before = list(s.placed()->data, "lines");
            const auto& after = list(a->data, "lines");
            bool qty_changed = false;
            for (std::size_t i = 0; i < before.size(); ++i)
                qty_changed = qty_changed || number(before[i], "qty") != number(after[i], "qty");
            ++(qty_changed ? quantity : price);
            // Finance confirms the new amount.
            bool confirmed = false;
            for (const auto* c : s.of("finance.credit.approved"))
                confirmed = confirmed || c->ts_ms > a->ts_ms;
            EXPECT_TRUE(confirmed) << id << ": new amount never confirmed";
        }
        // Production confirms its plan.
        bool replanned = false;
        for (const auto* p : plans)
            replanned = replanned || (p->ts_ms > a->ts_ms && flag(p->data, "rescheduled"));
        EXPECT_TRUE(replanned) << id << ": amendment not confirmed by production";
    }
    const double rate = static_cast<double>(amended) / static_cast<double>(scheduled);
    EXPECT_GT(rate, 0.22) << amended << " of " << scheduled;
    EXPECT_LT(rate, 0.38) << amended << " of " << scheduled;
    EXPECT_GT(quantity, 10u);
    EXPECT_GT(price, 10u);
    EXPECT_GT(date, 10u);
}

TEST(simulator, refused_credit_is_answered_by_prepaying_and_late_cancels_carry_charges) {
    plant_options po = faulty_plant(17, 500);
    po.faults.credit_reject = 0.3;
    po.prepay_switch = 1;
    po.faults.cancel = 0;
    po.faults.cancel_late = 0.2;
    const auto events = run_plant(po);
    std::size_t switched = 0, late_cancels = 0, charged = 0;
    for (const auto& [id, s] : stories(events)) {
        const envelope* placed = s.placed();
        for (const auto* r : s.of("finance.credit.rejected")) {
            const bool credit = text(placed->data, "terms") == "credit";
            EXPECT_EQ(flag(r->data, "prepay_accepted"), credit) << id;
            if (!credit || s.has("sales.order.cancelled")) continue;
            ++switched;
            // Paid in full before the first truck leaves, and no credit invoice ages.
            const auto dispatched = s.of("logistics.shipment.dispatched");
            if (dispatched.empty()) continue;
            std::int64_t paid = 0;
            for (const auto* p : s.of("finance.payment.received"))
                if (p->ts_ms <= dispatched.front()->ts_ms) paid += integer(p->data, "amount_cents");
            std::int64_t amount = integer(placed->data, "amount_cents");
            for (const auto* a : s.of("sales.order.amended"))
                if (a->ts_ms <= dispatched.front()->ts_ms && a->data.find("amount_cents"))
                    amount = integer(a->data, "amount_cents");
            EXPECT_GE(paid, amount) << id << " shipped before it was prepaid";
        }
        for (const auto* c : s.of("sales.order.cancelled")) {
            if (!s.has("production.order.completed") ||
                c->ts_ms < s.of("production.order.completed").back()->ts_ms)
                continue;
            ++late_cancels;
            EXPECT_FALSE(s.has("logistics.shipment.dispatched"))
                << id << " cancelled after dispatch";
            if (integer(c->data, "charge_cents") > 0) ++charged;
        }
    }
    EXPECT_GT(switched, 50u);
    EXPECT_GT(late_cancels, 50u);
    EXPECT_GT(charged, late_cancels / 2);
    EXPECT_LT(charged, late_cancels);
}

TEST(simulator, open_items_come_at_the_start_past_due_and_are_paid_later) {
    plant_options po = faulty_plant(18, 20);
    po.open_items = 2;
    plant p(po);
    std::vector<plant_event> events;
    plant_event ev;
    while (p.next(ev)) events.push_back(std::move(ev));
    std::set<std::string> credit_customers;
    for (const auto& c : p.customers())
        if (c.terms == "credit") credit_customers.insert(c.id);
    const std::int64_t start_day = march_2_2026 / day_ms;
    std::map<std::string, int> items;  // per customer
    std::map<std::string, std::string> due_of;
    for (const auto& e : events) {
        if (e.event.topic != "finance.invoice.issued" || e.send_ms != march_2_2026) continue;
        const std::int64_t past_due = start_day - day_number(text(e.event.data, "due_date"));
        EXPECT_GE(past_due, 10);
        EXPECT_LE(past_due, 101);
        due_of[text(e.event.data, "invoice")] = text(e.event.data, "due_date");
        for (const auto& o : events)
            if (o.event.topic == "sales.order.placed" && o.event.order == e.event.order)
                ++items[text(o.event.data, "customer")];
    }
    EXPECT_EQ(items.size(), credit_customers.size());
    for (const auto& [c, n] : items) EXPECT_EQ(n, 2) << c;
    std::size_t paid = 0;
    for (const auto& e : events)
        if (e.event.topic == "finance.payment.received" &&
            due_of.count(text(e.event.data, "invoice"))) {
            ++paid;
            EXPECT_GT(e.send_ms, march_2_2026);
        }
    EXPECT_EQ(paid, due_of.size());
    EXPECT_EQ(p.stats().carried_over, due_of.size());
    EXPECT_EQ(p.stats().orders_placed, 20 + due_of.size()) << "--orders counts new orders only";
}

}  // namespace
}  // namespace baton
