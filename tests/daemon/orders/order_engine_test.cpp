// Tests of daemon/order_engine: how the order engine moves an order through the default and custom
// flows as department facts arrive (in order, early, late or twice), what it relays to whom, credit
// exposure and auto credit, after-sale cases, and that replay and snapshots rebuild it exactly.
#include "order_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "codec.h"
#include "customers.h"
#include "envelope.h"
#include "events.h"
#include "flow.h"
#include "order.h"
#include "order_state.h"

namespace baton {
namespace {

using testing::cancelled;
using testing::case_resolved;
using testing::complaint;
using testing::completed;
using testing::credit_approved;
using testing::credit_rejected;
using testing::delivered;
using testing::delivery_failed;
using testing::dispatched;
using testing::invoiced;
using testing::line_item;
using testing::make_event;
using testing::order_placed;
using testing::payment;
using testing::placed;
using testing::receivable;

constexpr std::int64_t t0 = 1795000000000;      // the fake clock starts here, ms since epoch
constexpr std::int64_t hour = 3600 * 1000;      // ms
constexpr std::int64_t placed_cents = 1843000;  // the amount of testing::order_placed

flow_def default_flow() {
    return load_flow(std::string(BATON_SOURCE_DIR) + "/config/flow.yaml");
}

flow_def auto_credit_flow() {
    flow_def f = default_flow();
    f.auto_credit = true;
    return f;
}

customer_book seeded_customers() {
    return customer_book(std::vector<customer>{
        {"C-1001", "Alu Fenster GmbH", "A", "credit", 5000000},
        {"C-2002", "Fassadenbau Kraus KG", "B", "prepay", 0},
        {"C-3003", "Wintergarten Nord", "key", "credit", 20000000},
    });
}

// Inbound events, with data as the schemas allow it.

// A placement that leaves the terms to the customer master.
envelope placed_without_terms(const std::string& id, const std::string& so,
                              const std::string& customer) {
    envelope e = order_placed(id, so, customer);
    auto& m = e.data.as_map();
    m.erase(std::remove_if(m.begin(), m.end(), [](const member& x) { return x.key == "terms"; }),
            m.end());
    return e;
}

envelope die_ready(const std::string& id, const std::string& so) {
    value d;
    d.set("die", "D-4411");
    d.set("supplier", "Matrizenbau Ost");
    d.set("trial_passed", true);
    return make_event("production.die.ready", id, so, std::move(d), "mes");
}

envelope scheduled(const std::string& id, const std::string& so) {
    value d;
    d.set("planned_start", "2026-11-02");
    d.set("planned_finish", "2026-11-20");
    d.set("line", "P2");
    return make_event("production.order.scheduled", id, so, std::move(d), "mes");
}

envelope started(const std::string& id, const std::string& so) {
    value d;
    d.set("line", "P2");
    d.set("shift", "early");
    return make_event("production.order.started", id, so, std::move(d), "mes");
}

envelope customer_updated(const std::string& id, const std::string& customer,
                          std::int64_t limit_cents) {
    value d;
    d.set("customer", customer);
    d.set("tier", "A");
    d.set("credit_limit_cents", static_cast<long long>(limit_cents));
    return make_event("sales.customer.updated", id, "", std::move(d), "sales-erp");
}

envelope return_requested(const std::string& id, const std::string& so,
                          const std::string& case_id) {
    value d;
    d.set("case", case_id);
    d.set("qty", 350.5);
    d.set("unit", "kg");
    d.set("reason", "wrong temper delivered on line 2");
    d.set("pickup_date", "2026-12-01");
    return make_event("sales.return.requested", id, so, std::move(d), "sales-erp");
}

envelope case_closed(const std::string& id, const std::string& so, const std::string& case_id) {
    value d;
    d.set("case", case_id);
    d.set("resolution", "credit note for the returned quantity");
    d.set("outcome", "credit_note");
    return make_event("sales.case.closed", id, so, std::move(d), "sales-erp");
}

// Reading what the engine relays.

envelope decode(const relay_message& m) {
    envelope e;
    std::string reason;
    EXPECT_TRUE(decode_relayed(m.envelope, decode_limits{}, e, reason)) << reason;
    EXPECT_EQ(e.topic, m.topic);
    EXPECT_EQ(e.seq.value_or(0), m.seq);
    return e;
}

std::vector<std::string> topics_of(const std::vector<envelope>& msgs) {
    std::vector<std::string> out;
    for (const auto& m : msgs) out.push_back(m.topic);
    return out;
}

std::string text_at(const value& data, const char* key) {
    const value* v = data.find(key);
    return v && v->is_string() ? v->as_string() : "<missing " + std::string(key) + ">";
}

std::int64_t int_at(const value& data, const char* key) {
    std::int64_t n = -1;
    const value* v = data.find(key);
    EXPECT_TRUE(v && v->to_int64(n)) << key << " is missing or not an integer";
    return n;
}

bool flag_at(const value& data, const char* key) {
    const value* v = data.find(key);
    EXPECT_TRUE(v && v->is_bool()) << key << " is missing or not a bool";
    return v && v->is_bool() && v->as_bool();
}

std::size_t list_size(const value& data, const char* key) {
    const value* v = data.find(key);
    EXPECT_TRUE(v && v->is_list()) << key << " is missing or not a list";
    return v && v->is_list() ? v->as_list().size() : 0;
}

// An engine, the journal seqs it was fed, and every message it relayed.
struct relay_run {
    explicit relay_run(flow_def flow = default_flow(), customer_book book = seeded_customers())
        : engine(std::move(flow), std::move(book)) {}

    // Applies one event received at `at_ms`; returns the messages it caused, decoded.
    std::vector<envelope> apply(std::int64_t at_ms, const envelope& event) {
        std::vector<relay_message> out;
        engine.apply(++journal_seq, at_ms, event, out);
        std::vector<envelope> decoded;
        for (const auto& m : out) {
            decoded.push_back(decode(m));
            sent.push_back(m);
        }
        return decoded;
    }

    const order& get(const std::string& id) const { return engine.orders().at(id); }
    std::int64_t open_cents(const std::string& customer) const {
        const auto* a = engine.customers().find(customer);
        EXPECT_NE(a, nullptr) << customer;
        return a ? a->open_cents : -1;
    }
    std::size_t count_sent(const std::string& topic) const {
        return static_cast<std::size_t>(std::count_if(
            sent.begin(), sent.end(), [&](const relay_message& m) { return m.topic == topic; }));
    }

    order_engine engine;
    std::int64_t journal_seq = 0;
    std::vector<relay_message> sent;
};

// One fact of the credit-terms lifecycle, what it relays and where it leaves the order.
struct step {
    envelope event;
    std::vector<std::string> topics;
    std::string stage;
    std::string holder;
};

std::vector<step> credit_lifecycle(const std::string& so) {
    return {
        {placed("s-1", so), {"sales.status", "finance.credit_check"}, "credit_review", "finance"},
        {credit_approved("f-1", so),
         {"sales.status", "production.release"},
         "scheduling",
         "production"},
        {scheduled("p-1", so), {"sales.status"}, "production", "production"},
        {started("p-2", so), {}, "production", "production"},
        {completed("p-3", so), {"sales.status", "logistics.ship_request"}, "shipping", "logistics"},
        {dispatched("l-1", so), {"sales.status"}, "in_transit", "logistics"},
        {delivered("l-2", so), {"sales.status", "finance.invoice_request"}, "invoicing", "finance"},
        {invoiced("f-2", so), {"sales.status"}, "closed", ""},
    };
}

// The events that bring a credit-terms order to `stage` of the default flow.
std::vector<envelope> events_until(const std::string& so, const std::string& stage) {
    std::vector<envelope> out;
    for (const auto& s : credit_lifecycle(so)) {
        out.push_back(s.event);
        if (s.stage == stage) break;
    }
    return out;
}

TEST(order_engine, credit_order_passes_every_stage_of_default_flow) {
    relay_run run;
    const std::string so = "SO-26-0001";
    const auto steps = credit_lifecycle(so);
    std::string previous;
    std::int64_t since = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const step& s = steps[i];
        SCOPED_TRACE(s.event.topic);
        const std::int64_t at = t0 + static_cast<std::int64_t>(i) * hour;
        auto msgs = run.apply(at, s.event);
        ASSERT_EQ(topics_of(msgs), s.topics);
        const order& o = run.get(so);
        EXPECT_EQ(o.stage, s.stage);
        EXPECT_EQ(o.holder, s.holder);
        if (!msgs.empty()) {
            since = at;
            const value& status = msgs.front().data;
            EXPECT_EQ(text_at(status, "stage"), s.stage);
            EXPECT_EQ(text_at(status, "holder"), s.holder);
            EXPECT_EQ(text_at(status, "previous"), previous);
            EXPECT_EQ(text_at(status, "customer"), "C-1001");
            EXPECT_EQ(int_at(status, "since"), at);
            previous = s.stage;
        }
        EXPECT_EQ(o.stage_since_ms, since);  // only a stage change moves it
    }
    const order& o = run.get(so);
    EXPECT_FALSE(o.open());
    EXPECT_FALSE(o.has("paid"));  // credit terms: the payment stage never applied
    EXPECT_EQ(o.milestones.at("produced").event_id, "p-3");
    EXPECT_EQ(o.milestones.at("produced").at_ms, t0 + 4 * hour);
    EXPECT_EQ(o.departments, (std::vector<baton::interned>{"finance", "production", "logistics"}));
    EXPECT_EQ(run.count_sent("finance.payment_request"), 0u);
    EXPECT_EQ(run.engine.open_orders(), 0u);
    EXPECT_EQ(run.open_cents("C-1001"), 0);  // invoiced: no longer exposure
}

TEST(order_engine, relay_messages_are_numbered_from_one_and_name_their_cause) {
    relay_run run;
    const std::string so = "SO-26-0001";
    std::int64_t at = t0;
    std::vector<std::string> causes;  // the causing event id of each message, in order
    std::vector<std::int64_t> times;
    for (const auto& s : credit_lifecycle(so)) {
        at += hour;
        for (std::size_t n = run.apply(at, s.event).size(); n > 0; --n) {
            causes.push_back(s.event.id);
            times.push_back(at);
        }
    }
    ASSERT_EQ(run.sent.size(), 11u);
    ASSERT_EQ(causes.size(), run.sent.size());
    EXPECT_EQ(run.engine.relay_seq(), 11u);
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < run.sent.size(); ++i) {
        SCOPED_TRACE(run.sent[i].topic);
        EXPECT_EQ(run.sent[i].seq, i + 1);
        envelope e = decode(run.sent[i]);
        EXPECT_EQ(e.seq.value_or(0), i + 1);
        EXPECT_EQ(e.source, "baton");
        EXPECT_EQ(e.cause.value_or(""), causes[i]);
        EXPECT_EQ(e.order.value_or(""), so);
        EXPECT_EQ(e.ts_ms, times[i]);
        EXPECT_FALSE(e.id.empty());
        ids.push_back(e.id);
    }
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end()) << "relay ids must be unique";
}

TEST(order_engine, stage_requests_carry_the_order_and_credit_figures) {
    relay_run run;
    const std::string so = "SO-26-0001";
    std::vector<envelope> msgs;
    std::int64_t at = t0;
    for (const auto& e : events_until(so, "shipping")) {
        auto got = run.apply(at += hour, e);
        msgs.insert(msgs.end(), got.begin(), got.end());
    }
    auto find = [&](const std::string& topic) -> const value& {
        for (const auto& m : msgs)
            if (m.topic == topic) return m.data;
        ADD_FAILURE() << topic << " was not relayed";
        static const value none(value_map{});
        return none;
    };
    const value& check = find("finance.credit_check");
    EXPECT_EQ(text_at(check, "customer"), "C-1001");
    EXPECT_EQ(text_at(check, "stage"), "credit_review");
    EXPECT_EQ(int_at(check, "amount_cents"), placed_cents);
    EXPECT_EQ(text_at(check, "promised_date"), "2026-12-18");
    EXPECT_EQ(text_at(check, "terms"), "credit");
    EXPECT_EQ(int_at(check, "exposure_cents"), placed_cents);
    EXPECT_EQ(int_at(check, "credit_limit_cents"), 5000000);
    EXPECT_FALSE(flag_at(check, "over_limit"));
    EXPECT_EQ(list_size(check, "lines"), 2u);

    const value& release = find("production.release");
    EXPECT_EQ(text_at(release, "stage"), "scheduling");
    EXPECT_FALSE(flag_at(release, "new_die"));
    EXPECT_EQ(list_size(release, "lines"), 2u);

    const value& ship = find("logistics.ship_request");
    EXPECT_EQ(text_at(ship, "stage"), "shipping");
    EXPECT_EQ(text_at(ship, "planned_finish"), "2026-11-20");
    EXPECT_EQ(list_size(ship, "lines"), 2u);
}

TEST(order_engine, prepay_order_ships_only_once_paid_in_full) {
    relay_run run;
    const std::string so = "SO-26-0002";
    run.apply(t0, placed("s-1", so, "C-1001", "prepay"));
    run.apply(t0 + hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    auto msgs = run.apply(t0 + 3 * hour, completed("p-2", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "finance.payment_request"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "payment");
    EXPECT_EQ(text_at(msgs[0].data, "holder"), "finance");
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "production");
    EXPECT_EQ(text_at(msgs[1].data, "terms"), "prepay");
    EXPECT_EQ(int_at(msgs[1].data, "amount_cents"), placed_cents);
    EXPECT_EQ(msgs[1].cause.value_or(""), "p-2");

    // A partial payment is recorded but does not let the goods go.
    EXPECT_TRUE(run.apply(t0 + 4 * hour, payment("f-2", so, 1000000)).empty());
    EXPECT_EQ(run.get(so).stage, "payment");
    EXPECT_EQ(run.get(so).paid_cents, 1000000);
    EXPECT_FALSE(run.get(so).has("paid"));
    EXPECT_EQ(run.count_sent("logistics.ship_request"), 0u);

    msgs = run.apply(t0 + 5 * hour, payment("f-3", so, placed_cents - 1000000));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "logistics.ship_request"}));
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "payment");
    const order& o = run.get(so);
    EXPECT_EQ(o.stage, "shipping");
    EXPECT_EQ(o.stage_since_ms, t0 + 5 * hour);
    EXPECT_EQ(o.milestones.at("paid").event_id, "f-3");
    EXPECT_EQ(o.milestones.at("paid").at_ms, t0 + 5 * hour);
}

TEST(order_engine, new_die_order_prepares_die_before_scheduling) {
    relay_run run;
    const std::string so = "SO-26-0003";
    run.apply(t0, placed("s-1", so, "C-1001", "credit", true));
    auto msgs = run.apply(t0 + hour, credit_approved("f-1", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "production.die_request"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "die_preparation");
    EXPECT_EQ(text_at(msgs[0].data, "holder"), "production");
    EXPECT_TRUE(flag_at(msgs[1].data, "new_die"));
    EXPECT_EQ(list_size(msgs[1].data, "lines"), 2u);
    EXPECT_EQ(run.get(so).stage, "die_preparation");

    msgs = run.apply(t0 + 5 * 24 * hour, die_ready("p-1", so));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "production.release"}));
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "die_preparation");
    EXPECT_EQ(run.get(so).stage, "scheduling");
    EXPECT_EQ(run.get(so).stage_since_ms, t0 + 5 * 24 * hour);
}

TEST(order_engine, die_ready_after_early_scheduling_goes_straight_to_production) {
    relay_run run;
    const std::string so = "SO-26-0004";
    run.apply(t0, placed("s-1", so, "C-1001", "credit", true));
    run.apply(t0 + hour, credit_approved("f-1", so));
    // The planners book the press before the die has arrived: still waiting for the die.
    EXPECT_TRUE(run.apply(t0 + 2 * hour, scheduled("p-1", so)).empty());
    EXPECT_EQ(run.get(so).stage, "die_preparation");
    auto msgs = run.apply(t0 + 3 * hour, die_ready("p-2", so));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "production");
    EXPECT_EQ(run.count_sent("production.release"), 0u);
}

TEST(order_engine, payment_before_production_skips_payment_stage) {
    relay_run run;
    const std::string so = "SO-26-0005";
    run.apply(t0, placed("s-1", so, "C-1001", "prepay"));
    run.apply(t0 + hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    EXPECT_TRUE(run.apply(t0 + 3 * hour, payment("f-2", so, placed_cents)).empty());
    EXPECT_EQ(run.get(so).stage, "production");
    EXPECT_TRUE(run.get(so).has("paid"));
    auto msgs = run.apply(t0 + 4 * hour, completed("p-2", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "logistics.ship_request"}));
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "production");
    EXPECT_EQ(run.get(so).stage, "shipping");
    EXPECT_EQ(run.count_sent("finance.payment_request"), 0u);
}

TEST(order_engine, partial_payment_before_placement_does_not_skip_payment) {
    relay_run run;
    const std::string so = "SO-26-0006";
    // A deposit booked before the order reaches baton.
    auto msgs = run.apply(t0, payment("f-1", so, 500000));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status"}));
    EXPECT_EQ(run.get(so).stage, "awaiting_order");
    run.apply(t0 + hour, placed("s-1", so, "C-1001", "prepay"));
    run.apply(t0 + 2 * hour, credit_approved("f-2", so));
    run.apply(t0 + 3 * hour, scheduled("p-1", so));
    msgs = run.apply(t0 + 4 * hour, completed("p-2", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "finance.payment_request"}));
    EXPECT_EQ(run.get(so).stage, "payment");
    msgs = run.apply(t0 + 5 * hour, payment("f-3", so, placed_cents - 500000));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "logistics.ship_request"}));
    EXPECT_EQ(run.get(so).milestones.at("paid").event_id, "f-3");
}

TEST(order_engine, full_payment_before_placement_skips_payment_stage) {
    relay_run run;
    const std::string so = "SO-26-0007";
    run.apply(t0, payment("f-1", so, placed_cents));
    run.apply(t0 + hour, placed("s-1", so, "C-1001", "prepay"));
    run.apply(t0 + 2 * hour, credit_approved("f-2", so));
    run.apply(t0 + 3 * hour, scheduled("p-1", so));
    auto msgs = run.apply(t0 + 4 * hour, completed("p-2", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "logistics.ship_request"}));
    EXPECT_EQ(run.get(so).milestones.at("paid").event_id, "f-1");
    EXPECT_EQ(run.count_sent("finance.payment_request"), 0u);
}

TEST(order_engine, delivery_before_dispatch_moves_order_to_invoicing) {
    relay_run run;
    const std::string so = "SO-26-0008";
    std::int64_t at = t0;
    for (const auto& e : events_until(so, "shipping")) run.apply(at += hour, e);
    ASSERT_EQ(run.get(so).stage, "shipping");
    // The carrier's proof of delivery arrives before the dispatch note.
    auto msgs = run.apply(at += hour, delivered("l-2", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "finance.invoice_request"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "invoicing");
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "shipping");
    EXPECT_EQ(run.get(so).stage, "invoicing");
    EXPECT_EQ(run.get(so).stage_since_ms, at);
    // The late dispatch note is history, not news.
    EXPECT_TRUE(run.apply(at += hour, dispatched("l-1", so)).empty());
    EXPECT_EQ(run.get(so).stage, "invoicing");
    EXPECT_EQ(run.count_sent("logistics.ship_request"), 1u);
}

TEST(order_engine, facts_before_placement_wait_for_order_then_land_at_right_stage) {
    relay_run run;
    const std::string so = "SO-26-0009";
    auto msgs = run.apply(t0, credit_approved("f-1", so));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "awaiting_order");
    EXPECT_EQ(text_at(msgs[0].data, "holder"), "sales");
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "");
    EXPECT_EQ(run.get(so).stage, "awaiting_order");
    EXPECT_EQ(run.get(so).holder, "sales");
    EXPECT_FALSE(run.get(so).placed);
    EXPECT_TRUE(run.apply(t0 + hour, scheduled("p-1", so)).empty());
    EXPECT_EQ(run.open_cents("C-1001"), 0);

    msgs = run.apply(t0 + 2 * hour, placed("s-1", so));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "production");
    EXPECT_EQ(text_at(msgs[0].data, "holder"), "production");
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "awaiting_order");
    const order& o = run.get(so);
    EXPECT_EQ(o.stage, "production");
    EXPECT_EQ(o.stage_since_ms, t0 + 2 * hour);
    EXPECT_EQ(o.first_seen_ms, t0);
    EXPECT_EQ(o.milestones.at("credit_approved").at_ms, t0);
    EXPECT_EQ(o.events, (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(run.count_sent("finance.credit_check"), 0u);
    EXPECT_EQ(run.count_sent("production.release"), 0u);
    EXPECT_EQ(run.open_cents("C-1001"), placed_cents);
}

TEST(order_engine, repeated_facts_are_history_not_news) {
    relay_run run;
    const std::string so = "SO-26-0010";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_approved("f-1", so));
    envelope again = placed("s-2", so);
    again.data.set("amount_cents", 999);
    EXPECT_TRUE(run.apply(t0 + 2 * hour, again).empty());
    EXPECT_TRUE(run.apply(t0 + 3 * hour, credit_approved("f-2", so)).empty());
    const order& o = run.get(so);
    EXPECT_EQ(o.amount_cents, placed_cents);
    EXPECT_EQ(o.milestones.at("credit_approved").event_id, "f-1");
    EXPECT_EQ(o.stage_since_ms, t0 + hour);
    EXPECT_EQ(o.events.size(), 4u);  // both repeats are in its history
    EXPECT_EQ(run.open_cents("C-1001"), placed_cents);
}

// Cancels an order of C-1001 in `stage` and checks who is told and what it does to exposure.
void expect_cancel_in(const std::string& stage, const std::vector<std::string>& told) {
    SCOPED_TRACE("cancel in " + stage);
    relay_run run;
    const std::string so = "SO-26-0100";
    std::int64_t at = t0;
    for (const auto& e : events_until(so, stage)) run.apply(at += hour, e);
    ASSERT_EQ(run.get(so).stage, stage);
    EXPECT_EQ(run.open_cents("C-1001"), placed_cents);

    auto msgs = run.apply(at += hour, cancelled("s-9", so, "customer's project postponed"));
    std::vector<std::string> expected;
    for (const auto& dept : told) expected.push_back(dept + ".cancel");
    expected.push_back("sales.status");
    ASSERT_EQ(topics_of(msgs), expected);
    for (const auto& m : msgs) EXPECT_EQ(m.cause.value_or(""), "s-9");
    for (std::size_t i = 0; i + 1 < msgs.size(); ++i) {
        EXPECT_EQ(text_at(msgs[i].data, "reason"), "customer's project postponed");
        EXPECT_EQ(text_at(msgs[i].data, "stage"), stage);
        EXPECT_EQ(text_at(msgs[i].data, "customer"), "C-1001");
    }
    const value& status = msgs.back().data;
    EXPECT_EQ(text_at(status, "stage"), "cancelled");
    EXPECT_EQ(text_at(status, "holder"), "");
    EXPECT_EQ(text_at(status, "previous"), stage);
    const order& o = run.get(so);
    EXPECT_EQ(o.stage, "cancelled");
    EXPECT_EQ(o.holder, "");
    EXPECT_FALSE(o.open());
    EXPECT_EQ(o.stage_since_ms, at);
    EXPECT_EQ(run.count_sent("sales.cancel"), 0u);
    EXPECT_EQ(run.open_cents("C-1001"), 0);

    // A cancelled order relays nothing more, and a second cancel changes nothing.
    EXPECT_TRUE(run.apply(at += hour, delivered("l-9", so)).empty());
    EXPECT_TRUE(run.apply(at += hour, cancelled("s-10", so, "duplicate entry")).empty());
    EXPECT_EQ(run.get(so).cancel_reason, "customer's project postponed");
    EXPECT_EQ(run.open_cents("C-1001"), 0);
}

TEST(order_engine, cancel_in_credit_review_tells_finance) {
    expect_cancel_in("credit_review", {"finance"});
}

TEST(order_engine, cancel_in_scheduling_tells_finance_and_production) {
    expect_cancel_in("scheduling", {"finance", "production"});
}

TEST(order_engine, cancel_in_production_tells_finance_and_production) {
    expect_cancel_in("production", {"finance", "production"});
}

TEST(order_engine, cancel_in_shipping_tells_finance_production_and_logistics) {
    expect_cancel_in("shipping", {"finance", "production", "logistics"});
}

TEST(order_engine, cancel_in_transit_tells_finance_production_and_logistics) {
    expect_cancel_in("in_transit", {"finance", "production", "logistics"});
}

TEST(order_engine, cancel_after_facts_before_placement_never_tells_sales) {
    relay_run run;
    const std::string so = "SO-26-0101";
    run.apply(t0, credit_approved("f-1", so));  // sales holds it while the order is awaited
    run.apply(t0 + hour, placed("s-1", so));
    auto msgs = run.apply(t0 + 2 * hour, cancelled("s-2", so, "entered twice"));
    const auto topics = topics_of(msgs);
    ASSERT_FALSE(topics.empty());
    EXPECT_EQ(topics.back(), "sales.status");
    EXPECT_NE(std::find(topics.begin(), topics.end(), "production.cancel"), topics.end());
    // Finance approved the credit before the order was placed: it had the order in hand.
    EXPECT_NE(std::find(topics.begin(), topics.end(), "finance.cancel"), topics.end());
    EXPECT_EQ(std::find(topics.begin(), topics.end(), "sales.cancel"), topics.end());
    EXPECT_EQ(run.get(so).stage, "cancelled");
    EXPECT_EQ(run.open_cents("C-1001"), 0);
}

envelope amended(const std::string& id, const std::string& so, value changes) {
    changes.set("reason", "customer call");
    return make_event("sales.order.amended", id, so, std::move(changes), "sales-erp");
}

TEST(order_engine, amendment_that_changes_nothing_is_history_only) {
    relay_run run;
    const std::string so = "SO-26-0120";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_approved("f-1", so));
    value same;
    same.set("promised_date", "2026-12-18");  // as placed
    EXPECT_TRUE(run.apply(t0 + 2 * hour, amended("s-2", so, same)).empty());
    EXPECT_EQ(run.get(so).events.size(), 3u);
}

TEST(order_engine, raising_the_amount_of_a_paid_prepay_order_reopens_payment) {
    relay_run run;
    const std::string so = "SO-26-0121";
    run.apply(t0, placed("s-1", so, "C-2002", "prepay"));
    run.apply(t0 + 1, credit_approved("f-1", so));
    run.apply(t0 + 2, scheduled("p-1", so));
    run.apply(t0 + 3, completed("p-2", so));
    run.apply(t0 + 4, payment("f-2", so, placed_cents));
    EXPECT_EQ(run.get(so).stage, "shipping");
    value more;
    more.set("amount_cents", placed_cents + 50000);
    auto msgs = run.apply(t0 + 5, amended("s-2", so, more));
    EXPECT_EQ(run.get(so).stage, "payment");
    EXPECT_FALSE(run.get(so).has("paid"));
    const auto topics = topics_of(msgs);
    EXPECT_NE(std::find(topics.begin(), topics.end(), "finance.payment_request"), topics.end());
    run.apply(t0 + 6, payment("f-3", so, 50000));
    EXPECT_EQ(run.get(so).stage, "shipping");
}

TEST(order_engine, amendment_is_relayed_to_departments_concerned) {
    relay_run run;
    const std::string so = "SO-26-0011";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_approved("f-1", so));
    ASSERT_EQ(run.get(so).stage, "scheduling");

    value d;
    d.set("reason", "customer moved the site opening and dropped one profile");
    d.set("by", "s.wolf");
    d.set("amount_cents", 2110000);
    d.set("promised_date", "2027-01-15");
    d.set("lines", value_list{line_item("D-4411", 1500.0)});
    auto msgs =
        run.apply(t0 + 2 * hour, make_event("sales.order.amended", "s-2", so, d, "sales-erp"));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"finance.amend", "production.amend"}));
    for (const auto& m : msgs) {
        SCOPED_TRACE(m.topic);
        EXPECT_EQ(m.cause.value_or(""), "s-2");
        EXPECT_EQ(text_at(m.data, "reason"),
                  "customer moved the site opening and dropped one profile");
        EXPECT_EQ(text_at(m.data, "customer"), "C-1001");
        const value* changes = m.data.find("changes");
        ASSERT_TRUE(changes && changes->is_map());
        EXPECT_EQ(int_at(*changes, "amount_cents"), 2110000);
        EXPECT_EQ(text_at(*changes, "promised_date"), "2027-01-15");
        EXPECT_EQ(list_size(*changes, "lines"), 1u);
        EXPECT_EQ(changes->find("terms"), nullptr);  // not changed, not reported
    }
    const order& o = run.get(so);
    EXPECT_EQ(o.stage, "scheduling");  // an amendment alone does not move the baton
    EXPECT_EQ(o.amount_cents, 2110000);
    EXPECT_EQ(o.promised_date, "2027-01-15");
    const value lines = lines_value(o);
    ASSERT_TRUE(lines.is_list());
    EXPECT_EQ(lines.as_list().size(), 1u);
    EXPECT_EQ(o.line_items.size(), 1u);
    EXPECT_EQ(run.open_cents("C-1001"), 2110000);
}

TEST(order_engine, amendment_in_shipping_reaches_logistics_and_lowers_exposure) {
    relay_run run;
    const std::string so = "SO-26-0012";
    std::int64_t at = t0;
    for (const auto& e : events_until(so, "shipping")) run.apply(at += hour, e);
    value d;
    d.set("reason", "short delivery agreed");
    d.set("amount_cents", 1500000);
    auto msgs = run.apply(at += hour, make_event("sales.order.amended", "s-2", so, d, "sales-erp"));
    EXPECT_EQ(topics_of(msgs),
              (std::vector<std::string>{"finance.amend", "production.amend", "logistics.amend"}));
    EXPECT_EQ(run.open_cents("C-1001"), 1500000);
}

TEST(order_engine, credit_rejection_holds_order_until_approved) {
    relay_run run;
    const std::string so = "SO-26-0013";
    run.apply(t0, placed("s-1", so));
    EXPECT_TRUE(run.apply(t0 + hour, credit_rejected("f-1", so)).empty());
    EXPECT_EQ(run.get(so).holds, (std::vector<baton::interned>{"credit"}));
    EXPECT_EQ(run.get(so).stage, "credit_review");
    run.apply(t0 + 2 * hour, credit_rejected("f-2", so));
    EXPECT_EQ(run.get(so).holds.size(), 1u);  // one hold, however often finance says no

    auto msgs = run.apply(t0 + 3 * hour, credit_approved("f-3", so));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "production.release"}));
    EXPECT_TRUE(run.get(so).holds.empty());
    EXPECT_FALSE(run.get(so).on_hold("credit"));
    EXPECT_EQ(run.get(so).stage, "scheduling");
    EXPECT_EQ(run.get(so).stage_since_ms, t0 + 3 * hour);
}

TEST(order_engine, auto_credit_approves_order_within_limit) {
    relay_run run(auto_credit_flow());
    const std::string so = "SO-26-0014";
    auto msgs = run.apply(t0, placed("s-1", so));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "production.release"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "scheduling");
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "");
    const order& o = run.get(so);
    EXPECT_EQ(o.stage, "scheduling");
    EXPECT_EQ(o.milestones.at("credit_approved").event_id, "s-1");
    EXPECT_EQ(o.milestones.at("credit_approved").at_ms, t0);
    EXPECT_EQ(o.departments, (std::vector<baton::interned>{"production"}));
    EXPECT_EQ(run.count_sent("finance.credit_check"), 0u);
    EXPECT_EQ(run.open_cents("C-1001"), placed_cents);
}

TEST(order_engine, auto_credit_counts_receivable_and_other_open_orders) {
    relay_run run(auto_credit_flow());  // C-1001: credit limit 5,000,000
    EXPECT_TRUE(run.apply(t0, receivable("f-1", "C-1001", 1500000)).empty());
    EXPECT_EQ(run.engine.customers().find("C-1001")->receivable_cents, 1500000);

    // 1,500,000 + 1,843,000 is within the limit.
    run.apply(t0 + hour, placed("s-1", "SO-26-0015"));
    EXPECT_EQ(run.get("SO-26-0015").stage, "scheduling");

    // 1,500,000 + 2 x 1,843,000 is not: finance must look at it.
    auto msgs = run.apply(t0 + 2 * hour, placed("s-2", "SO-26-0016"));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "finance.credit_check"}));
    const value& check = msgs[1].data;
    EXPECT_TRUE(flag_at(check, "over_limit"));
    EXPECT_EQ(int_at(check, "exposure_cents"), 1500000 + 2 * placed_cents);
    EXPECT_EQ(int_at(check, "credit_limit_cents"), 5000000);
    EXPECT_EQ(run.get("SO-26-0016").stage, "credit_review");
    EXPECT_FALSE(run.get("SO-26-0016").has("credit_approved"));

    msgs = run.apply(t0 + 3 * hour, credit_approved("f-2", "SO-26-0016"));
    EXPECT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "production.release"}));
}

TEST(order_engine, auto_credit_never_approves_prepay) {
    relay_run run(auto_credit_flow());
    run.apply(t0, customer_updated("s-1", "C-2002", 90000000));  // a big limit, still prepay
    // Terms from the customer master (prepay).
    auto msgs = run.apply(t0 + hour, placed_without_terms("s-2", "SO-26-0017", "C-2002"));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "finance.credit_check"}));
    EXPECT_FALSE(flag_at(msgs[1].data, "over_limit"));
    EXPECT_EQ(text_at(msgs[1].data, "terms"), "prepay");
    EXPECT_EQ(run.get("SO-26-0017").terms, "prepay");
    // A credit customer's order placed on prepay terms.
    msgs = run.apply(t0 + 2 * hour, placed("s-3", "SO-26-0018", "C-3003", "prepay"));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "finance.credit_check"}));
    EXPECT_EQ(run.get("SO-26-0018").stage, "credit_review");
    // The same credit customer on credit terms is approved by the engine.
    msgs = run.apply(t0 + 3 * hour, placed("s-4", "SO-26-0019", "C-3003", "credit"));
    EXPECT_EQ(run.get("SO-26-0019").stage, "scheduling");
}

stage_def make_stage(const std::string& name, const std::string& holder, const std::string& exit,
                     const std::string& relay = "", const std::string& when = "") {
    stage_def s;
    s.name = name;
    s.holder = holder;
    s.sla_us = 24LL * 3600 * 1000 * 1000;
    s.exit = exit;
    s.relay = relay;
    s.when = when;
    return s;
}

TEST(order_engine, flow_without_die_and_invoicing_closes_on_delivery) {
    flow_def f;
    f.stages = {
        make_stage("credit_review", "finance", "credit_approved", "finance.credit_check"),
        make_stage("scheduling", "production", "scheduled", "production.release"),
        make_stage("production", "production", "produced"),
        make_stage("shipping", "logistics", "dispatched", "logistics.ship_request"),
        make_stage("in_transit", "logistics", "delivered"),
    };
    relay_run run(f);
    const std::string so = "SO-26-0020";
    run.apply(t0, placed("s-1", so, "C-1001", "credit", true));  // new die, but no die stage
    auto msgs = run.apply(t0 + hour, credit_approved("f-1", so));
    EXPECT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status", "production.release"}));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    run.apply(t0 + 3 * hour, completed("p-2", so));
    run.apply(t0 + 4 * hour, dispatched("l-1", so));
    ASSERT_EQ(run.get(so).stage, "in_transit");
    msgs = run.apply(t0 + 5 * hour, delivered("l-2", so));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "closed");
    EXPECT_EQ(text_at(msgs[0].data, "holder"), "");
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "in_transit");
    EXPECT_EQ(run.get(so).stage, "closed");
    EXPECT_EQ(run.engine.open_orders(), 0u);
    EXPECT_EQ(run.count_sent("production.die_request"), 0u);
    EXPECT_EQ(run.count_sent("finance.invoice_request"), 0u);
}

TEST(order_engine, flow_can_give_shipping_to_another_department) {
    flow_def f = default_flow();
    for (auto& s : f.stages)
        if (s.name == "shipping") {  // the plant ships with its own trucks
            s.holder = "production";
            s.relay = "production.ship_request";
        }
    relay_run run(f);
    const std::string so = "SO-26-0021";
    std::int64_t at = t0;
    for (const auto& e : events_until(so, "production")) run.apply(at += hour, e);
    auto msgs = run.apply(at += hour, completed("p-9", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "production.ship_request"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "shipping");
    EXPECT_EQ(text_at(msgs[0].data, "holder"), "production");
    EXPECT_EQ(run.get(so).holder, "production");
    EXPECT_EQ(run.count_sent("logistics.ship_request"), 0u);
    msgs = run.apply(at += hour, cancelled("s-9", so, "customer insolvent"));
    EXPECT_EQ(topics_of(msgs),
              (std::vector<std::string>{"finance.cancel", "production.cancel", "sales.status"}));
}

TEST(order_engine, complaint_opens_case_for_production_until_resolved) {
    relay_run run;
    const std::string so = "SO-26-0022";
    std::int64_t at = t0;
    for (const auto& s : credit_lifecycle(so)) run.apply(at += hour, s.event);
    ASSERT_EQ(run.get(so).stage, "closed");

    auto msgs = run.apply(at += hour, complaint("s-7", so, "CASE-77"));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"production.complaint"}));
    EXPECT_EQ(msgs[0].cause.value_or(""), "s-7");
    EXPECT_EQ(text_at(msgs[0].data, "case"), "CASE-77");
    EXPECT_EQ(text_at(msgs[0].data, "kind"), "complaint");
    EXPECT_EQ(text_at(msgs[0].data, "complaint_kind"), "surface");
    EXPECT_EQ(text_at(msgs[0].data, "detail"), "anodising streaks on 40 bars of D-4411");
    EXPECT_EQ(run.get(so).stage, "closed");  // a case does not reopen the relay
    ASSERT_EQ(run.get(so).cases.size(), 1u);
    EXPECT_EQ(run.get(so).cases[0].state, "open");
    EXPECT_EQ(run.get(so).cases[0].opened_ms, at);
    EXPECT_TRUE(run.apply(at + 1, complaint("s-8", so, "CASE-77")).empty());  // same case

    msgs = run.apply(at += hour, case_resolved("p-7", so, "CASE-77"));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"production.case_closed"}));
    EXPECT_EQ(text_at(msgs[0].data, "case"), "CASE-77");
    EXPECT_EQ(text_at(msgs[0].data, "resolution"), "bars re-anodised and sent again");
    EXPECT_EQ(run.get(so).cases[0].state, "closed");
    EXPECT_EQ(run.get(so).cases[0].closed_ms, at);
    EXPECT_TRUE(run.apply(at += hour, case_closed("s-9", so, "CASE-77")).empty());
}

TEST(order_engine, return_is_relayed_to_logistics_and_production_until_closed) {
    relay_run run;
    const std::string so = "SO-26-0023";
    std::int64_t at = t0;
    for (const auto& s : credit_lifecycle(so)) run.apply(at += hour, s.event);

    auto msgs = run.apply(at += hour, return_requested("s-7", so, "RMA-12"));
    ASSERT_EQ(topics_of(msgs), (std::vector<std::string>{"logistics.return", "production.return"}));
    for (const auto& m : msgs) {
        EXPECT_EQ(text_at(m.data, "case"), "RMA-12");
        EXPECT_EQ(text_at(m.data, "kind"), "return");
        EXPECT_EQ(text_at(m.data, "reason"), "wrong temper delivered on line 2");
        EXPECT_EQ(text_at(m.data, "pickup_date"), "2026-12-01");
    }
    msgs = run.apply(at += hour, case_closed("s-8", so, "RMA-12"));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"logistics.case_closed", "production.case_closed"}));
    EXPECT_EQ(text_at(msgs[0].data, "resolution"), "credit note for the returned quantity");
    EXPECT_EQ(run.get(so).cases.at(0).state, "closed");
    EXPECT_EQ(run.get(so).cases.at(0).kind, "return");
}

TEST(order_engine, failed_delivery_sends_order_back_to_shipping) {
    relay_run run;
    const std::string so = "SO-26-0024";
    std::int64_t at = t0;
    for (const auto& e : events_until(so, "in_transit")) run.apply(at += hour, e);
    ASSERT_EQ(run.get(so).stage, "in_transit");
    auto msgs = run.apply(at += hour, delivery_failed("l-5", so));
    ASSERT_EQ(topics_of(msgs),
              (std::vector<std::string>{"sales.status", "logistics.ship_request"}));
    EXPECT_EQ(text_at(msgs[0].data, "stage"), "shipping");
    EXPECT_EQ(text_at(msgs[0].data, "previous"), "in_transit");
    EXPECT_EQ(msgs[1].cause.value_or(""), "l-5");
    EXPECT_FALSE(run.get(so).has("dispatched"));
    EXPECT_EQ(run.get(so).stage_since_ms, at);
    EXPECT_EQ(run.count_sent("logistics.ship_request"), 2u);

    msgs = run.apply(at += hour, dispatched("l-6", so));
    EXPECT_EQ(topics_of(msgs), (std::vector<std::string>{"sales.status"}));
    EXPECT_EQ(run.get(so).stage, "in_transit");
    EXPECT_EQ(run.get(so).milestones.at("dispatched").event_id, "l-6");
}

// A busy day at the plant: orders in every situation, interleaved, with master data changes.
std::vector<envelope> busy_day() {
    std::vector<std::vector<envelope>> per_order;
    std::vector<envelope> first;
    for (const auto& s : credit_lifecycle("SO-1")) first.push_back(s.event);
    first.push_back(complaint("so1-c", "SO-1", "CASE-1"));
    first.push_back(case_resolved("so1-r", "SO-1", "CASE-1"));
    per_order.push_back(first);
    per_order.push_back({
        placed("so2-p", "SO-2", "C-2002", "prepay"),
        credit_approved("so2-a", "SO-2"),
        scheduled("so2-s", "SO-2"),
        payment("so2-pay1", "SO-2", 900000),
        completed("so2-c", "SO-2"),
        payment("so2-pay2", "SO-2", placed_cents - 900000),
        dispatched("so2-d1", "SO-2"),
        delivery_failed("so2-f", "SO-2"),
        dispatched("so2-d2", "SO-2"),
        delivered("so2-dl", "SO-2"),
        return_requested("so2-ret", "SO-2", "RMA-2"),
    });
    value amend;
    amend.set("reason", "second profile added");
    amend.set("amount_cents", 2400000);
    amend.set("lines", value_list{line_item("D-4411", 1200.0), line_item("D-7710", 800.0)});
    per_order.push_back({
        placed("so3-p", "SO-3", "C-3003", "credit", true),
        credit_rejected("so3-x", "SO-3"),
        receivable("so3-rcv", "C-3003", 7500000),
        credit_approved("so3-a", "SO-3"),
        make_event("sales.order.amended", "so3-m", "SO-3", amend, "sales-erp"),
        die_ready("so3-die", "SO-3"),
        scheduled("so3-s", "SO-3"),
        cancelled("so3-x2", "SO-3", "project cancelled by the architect"),
    });
    per_order.push_back({
        credit_approved("so4-a", "SO-4"),
        customer_updated("so4-cu", "C-1001", 8000000),
        scheduled("so4-s", "SO-4"),
        placed("so4-p", "SO-4"),
        completed("so4-c", "SO-4"),
        delivered("so4-dl", "SO-4"),
        invoiced("so4-i", "SO-4"),
    });
    std::vector<envelope> day;
    for (std::size_t i = 0;; ++i) {
        bool any = false;
        for (const auto& events : per_order)
            if (i < events.size()) {
                day.push_back(events[i]);
                any = true;
            }
        if (!any) break;
    }
    return day;
}

std::int64_t busy_time(std::size_t i) {
    return t0 + static_cast<std::int64_t>(i) * 600000;
}

std::string state_bytes(const order_engine& e) {
    return encode_msgpack(e.state());
}

// A value that went through MessagePack, as a snapshot stored in the journal does.
value through_msgpack(const value& v) {
    value out;
    std::string error;
    EXPECT_TRUE(decode_msgpack(encode_msgpack(v), decode_limits{}, out, error)) << error;
    return out;
}

void expect_same_messages(const std::vector<relay_message>& a,
                          const std::vector<relay_message>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].seq, b[i].seq) << i;
        EXPECT_EQ(a[i].topic, b[i].topic) << i;
        EXPECT_EQ(a[i].envelope, b[i].envelope) << i << " " << a[i].topic;
    }
}

TEST(order_engine, replaying_same_events_rebuilds_identical_state_and_messages) {
    for (bool auto_credit : {false, true}) {
        SCOPED_TRACE(auto_credit ? "auto credit" : "manual credit");
        flow_def f = default_flow();
        f.auto_credit = auto_credit;
        const auto day = busy_day();
        relay_run live(f), rebuilt(f);
        for (std::size_t i = 0; i < day.size(); ++i) live.apply(busy_time(i), day[i]);
        for (std::size_t i = 0; i < day.size(); ++i) rebuilt.apply(busy_time(i), day[i]);
        EXPECT_GT(live.engine.relay_seq(), 30u);  // the day did relay a lot
        EXPECT_EQ(live.engine.relay_seq(), live.sent.size());
        EXPECT_EQ(rebuilt.engine.relay_seq(), live.engine.relay_seq());
        EXPECT_EQ(state_bytes(rebuilt.engine), state_bytes(live.engine));
        expect_same_messages(rebuilt.sent, live.sent);
        // The state really holds the day: every stage of the story is there.
        EXPECT_EQ(live.get("SO-1").stage, "closed");
        EXPECT_EQ(live.get("SO-2").stage, "invoicing");
        EXPECT_EQ(live.get("SO-3").stage, "cancelled");
        EXPECT_EQ(live.get("SO-4").stage, "closed");
    }
}

// Relay envelopes are written straight from the order (no value tree): the bytes must be what
// the value encoder writes for the same envelope, with the summary's keys in their fixed order.
TEST(order_engine, relayed_envelopes_are_the_value_encoders_bytes_with_keys_in_order) {
    const std::vector<std::string> summary_keys = {
        "customer",   "stage",     "amount_cents",   "promised_date",
        "terms",      "new_die",   "planned_finish", "deposit_cents",
        "lines",      "backorder", "exposure_cents", "credit_limit_cents",
        "over_limit", "holds"};
    std::set<std::string> seen;
    std::size_t summaries = 0;
    // The messages `event` relays, checked against the order as that event left it.
    const auto apply_and_check = [&](relay_run& run, std::int64_t at, const envelope& event) {
        const std::size_t from = run.sent.size();
        run.apply(at, event);
        for (std::size_t i = from; i < run.sent.size(); ++i) {
            const relay_message& m = run.sent[i];
            SCOPED_TRACE(m.topic);
            envelope e = decode(m);
            EXPECT_EQ(encode_envelope(e), m.envelope);
            if (m.topic == "sales.status") {
                std::vector<std::string> keys;
                for (const auto& kv : e.data.as_map()) keys.push_back(kv.key);
                EXPECT_EQ(keys, (std::vector<std::string>{"stage", "holder", "previous", "customer",
                                                          "since"}));
                continue;
            }
            if (!e.data.find("lines") || !e.data.find("new_die")) continue;  // not a summary
            ++summaries;
            std::size_t at_key = 0;
            for (const auto& kv : e.data.as_map()) {
                seen.insert(kv.key);
                while (at_key < summary_keys.size() && summary_keys[at_key] != kv.key) ++at_key;
                EXPECT_LT(at_key, summary_keys.size()) << kv.key << " is out of order or unknown";
            }
            const order& o = run.get(*e.order);
            EXPECT_EQ(encode_msgpack(*e.data.find("lines")), o.lines.empty() ? "\x90" : o.lines);
        }
    };
    for (bool auto_credit : {false, true}) {
        flow_def f = default_flow();
        f.auto_credit = auto_credit;
        relay_run run(f);
        const auto day = busy_day();
        for (std::size_t i = 0; i < day.size(); ++i) apply_and_check(run, busy_time(i), day[i]);
        // Holds on the credit check: a blocked customer places an order.
        value block;
        block.set("customer", "C-1001");
        block.set("blocked", true);
        apply_and_check(run, busy_time(day.size()),
                        make_event("sales.customer.updated", "blk", "", block));
        apply_and_check(run, busy_time(day.size() + 1), placed("held-p", "SO-HELD"));
    }
    EXPECT_GT(summaries, 20u);
    // The day reaches every optional key of a summary.
    for (const char* key : {"planned_finish", "backorder", "exposure_cents", "holds"})
        EXPECT_TRUE(seen.count(key)) << key;
}

TEST(order_engine, snapshot_then_remaining_events_equals_applying_all) {
    const auto day = busy_day();
    relay_run direct(auto_credit_flow());
    for (std::size_t i = 0; i < day.size(); ++i) direct.apply(busy_time(i), day[i]);

    for (std::size_t cut = 0; cut <= day.size(); ++cut) {
        SCOPED_TRACE("snapshot after " + std::to_string(cut) + " events");
        relay_run before(auto_credit_flow());
        for (std::size_t i = 0; i < cut; ++i) before.apply(busy_time(i), day[i]);

        std::vector<order> orders;
        for (const auto& [id, o] : before.engine.orders()) {
            // As the snapshot log stores it (format 3).
            order back;
            std::string error;
            ASSERT_TRUE(decode_order_state(encode_order_state(o), back, error)) << error;
            orders.push_back(std::move(back));
        }
        customer_book book =
            customer_book::from_value(through_msgpack(before.engine.customers().to_value()));

        relay_run resumed(auto_credit_flow(), customer_book{});
        resumed.engine.restore(std::move(orders), std::move(book), before.engine.relay_seq());
        resumed.journal_seq = before.journal_seq;
        for (std::size_t i = cut; i < day.size(); ++i) resumed.apply(busy_time(i), day[i]);

        EXPECT_EQ(state_bytes(resumed.engine), state_bytes(direct.engine));
        std::vector<relay_message> rest(direct.sent.begin() + static_cast<long>(before.sent.size()),
                                        direct.sent.end());
        expect_same_messages(resumed.sent, rest);
    }
}

// The lists a start gathers as it reads the orders (order_times) give restore exactly the
// lists its own walk finds: each customer's orders in the order placed, the closed oldest
// first, ties on the same millisecond by id (ids past the 22 bytes the entries keep, and ids
// that share those bytes), and orders whose row came again noted as they are at the end.
TEST(order_engine, the_start_s_order_times_give_the_lists_restore_s_walk_finds) {
    const std::string prefix(22, 'S');  // as long as an entry keeps: ties read the orders
    const std::vector<std::string> ids = {"SO-9",        "SO-10",        "SO-1",
                                          prefix,        prefix + "B",   prefix + "A",
                                          prefix + "AA", "SO-" + prefix, "SO-" + prefix + "x",
                                          "SO-2"};
    std::unordered_map<std::string, order> orders;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        order o;
        o.id = ids[i];
        o.customer = i % 3 == 0 ? "C-2" : "C-1";
        o.placed = true;
        o.milestones["placed"] = {1000 + static_cast<std::int64_t>(i / 7), "e-" + ids[i]};
        o.stage = i % 4 == 1 ? "credit_review" : "closed";
        o.stage_since_ms = 5000 + static_cast<std::int64_t>(i % 3);
        o.events = {static_cast<std::int64_t>(i + 1)};
        orders.emplace(o.id, std::move(o));
    }
    auto lists = [](const order_engine& e) {
        std::vector<std::string> out;
        for (const char* c : {"C-1", "C-2"})
            for (const order* o : e.orders_of(c)) out.push_back(std::string(c) + " " + o->id);
        return out;
    };
    auto retired = [](order_engine& e) {
        std::vector<std::string> out;
        for (const order* o :
             e.retirable(1 << 30, 0, 100, 1 << 30, [](const order&) { return false; }))
            out.push_back(o->id);
        return out;
    };

    // What both must give: by customer, by time, then by id as std::string compares.
    std::vector<std::tuple<std::string, std::int64_t, std::string>> by_placing;
    std::vector<std::pair<std::int64_t, std::string>> by_closing;
    for (const auto& [id, o] : orders) {
        by_placing.emplace_back(o.customer.str(), o.milestones.at("placed").at_ms, id);
        if (!o.open()) by_closing.emplace_back(o.stage_since_ms, id);
    }
    std::sort(by_placing.begin(), by_placing.end());
    std::sort(by_closing.begin(), by_closing.end());
    std::vector<std::string> placed, closed;
    for (const auto& [c, at, id] : by_placing) placed.push_back(c + " " + id);
    for (const auto& [since, id] : by_closing) closed.push_back(id);
    ASSERT_EQ(placed.size(), ids.size());
    ASSERT_EQ(closed.size(), 7u);

    relay_run walked(auto_credit_flow(), customer_book{});
    walked.engine.restore(orders, customer_book{}, 0);
    EXPECT_EQ(lists(walked.engine), placed);
    EXPECT_EQ(retired(walked.engine), closed);

    // As a start reads them: each noted as it comes, in another order, two of them noted first
    // with times they no longer have (a later row replaced them).
    auto copy = orders;
    order_times times;
    times.complete = true;
    std::vector<order*> in_map;
    for (auto& [id, o] : copy) in_map.push_back(&o);
    std::reverse(in_map.begin(), in_map.end());
    for (order* o : in_map) {
        if (o->id == prefix + "A" || o->id == "SO-2") {
            order now = *o;
            o->milestones["placed"].at_ms = 1;
            o->stage = "closed";
            o->stage_since_ms = 1;
            times.note(*o);
            *o = std::move(now);  // the later row
            times.again.push_back(o);
            times.again.push_back(o);  // a third row of the same order
            continue;
        }
        times.note(*o);
    }
    relay_run gathered(auto_credit_flow(), customer_book{});
    gathered.engine.restore(std::move(copy), customer_book{}, 0, std::move(times));
    EXPECT_EQ(lists(gathered.engine), placed);
    EXPECT_EQ(retired(gathered.engine), closed);
}

// A snapshot's capture copies each order as it was at the capture point, a slice at a time; an
// order about to change before its slice comes is copied first, so the later change is not in
// the snapshot (it is in the journal after the point, and marks the order changed again).
TEST(order_engine, a_capture_copies_each_order_as_it_was_at_the_capture_point) {
    relay_run run;
    for (int i = 1; i <= 4; ++i)
        run.apply(t0, order_placed("p" + std::to_string(i), "SO-" + std::to_string(i)));
    run.engine.begin_capture();
    EXPECT_TRUE(run.engine.capturing());
    EXPECT_EQ(run.engine.changed_count(), 0u);
    EXPECT_EQ(run.engine.capture(1), 3u);  // one copied, three to go
    for (int i = 1; i <= 4; ++i)           // every order changes before the rest are copied
        run.apply(t0 + 1000, credit_approved("c" + std::to_string(i), "SO-" + std::to_string(i)));
    EXPECT_FALSE(run.engine.capturing());              // the three were copied before they changed
    run.apply(t0 + 2000, order_placed("p5", "SO-5"));  // after the point: not in this capture
    const std::vector<order> copies = run.engine.take_captured();
    ASSERT_EQ(copies.size(), 4u);
    for (const order& o : copies) {
        EXPECT_EQ(o.events.size(), 1u) << o.id;  // only the placement, as at the point
        EXPECT_EQ(run.get(o.id).events.size(), 2u) << o.id;
    }
    EXPECT_EQ(run.engine.changed_count(), 5u);  // the four again, and SO-5
}

// An order keeps its lines as the MessagePack bytes they came in (a value tree of 640 lines
// cost about seven times the envelope); they come back as given, and an order without lines
// keeps none.
TEST(order_engine, lines_are_kept_encoded_and_come_back_as_given) {
    relay_run run;
    const envelope e = order_placed("p1", "SO-1");
    run.apply(t0, e);
    const order& o = run.get("SO-1");
    const value* given = e.data.find("lines");
    ASSERT_NE(given, nullptr);
    EXPECT_EQ(o.lines, encode_msgpack(*given));
    EXPECT_EQ(encode_msgpack(lines_value(o)), encode_msgpack(*given));
    EXPECT_EQ(o.line_items.size(), 2u);
    const order back = order_from_value(to_value(o));
    EXPECT_EQ(back.lines, o.lines);
    EXPECT_EQ(back.line_items.size(), 2u);
    order none;
    EXPECT_TRUE(lines_value(none).is_nil());
    EXPECT_TRUE(order_from_value(to_value(none)).lines.empty());
}

TEST(order_engine, a_large_order_keeps_its_lines_without_spare_capacity) {
    relay_run run;
    envelope e = order_placed("p1", "SO-1");
    value_list lines;
    for (int n = 0; n < 300; ++n)
        lines.push_back(line_item("D-" + std::to_string(10000 + n), 100.0 + n));
    e.data.set("lines", value(std::move(lines)));
    run.apply(t0, e);
    const order& o = run.get("SO-1");
    EXPECT_EQ(o.lines, encode_msgpack(*e.data.find("lines")));
    // The encoder's buffer grows by doubling; the order keeps only the bytes (give or take a
    // standard library's rounding).
    EXPECT_LT(o.lines.capacity(), o.lines.size() + 64);
    EXPECT_EQ(o.line_items.capacity(), o.line_items.size());
    ASSERT_EQ(o.line_items.size(), 300u);
    EXPECT_EQ(o.line_items[299].die, "D-10299");
    EXPECT_EQ(o.line_items[299].no, 300);
}

// The orders of a customer are indexed by pointer: the index must follow the engine when it is
// moved and be rebuilt when it is restored.
TEST(order_engine, unblocking_a_customer_releases_its_orders_after_a_move_and_a_restore) {
    auto block = [](bool blocked) {
        value d;
        d.set("customer", "C-1001");
        d.set("blocked", blocked);
        return make_event("sales.customer.updated", blocked ? "b1" : "b2", "", std::move(d),
                          "sales-erp");
    };
    relay_run run;
    run.apply(t0, block(true));
    run.apply(t0 + 1, order_placed("p1", "SO-1", "C-1001"));
    run.apply(t0 + 2, order_placed("p2", "SO-2", "C-1001"));
    ASSERT_TRUE(run.get("SO-1").on_hold("blocked"));
    ASSERT_EQ(run.engine.orders_of("C-1001").size(), 2u);

    // Moved: the index still points at the orders the engine holds.
    relay_run moved;
    moved.engine = std::move(run.engine);
    moved.journal_seq = run.journal_seq;
    const auto of = moved.engine.orders_of("C-1001");
    ASSERT_EQ(of.size(), 2u);
    EXPECT_EQ(of[0], &moved.get("SO-1"));
    EXPECT_EQ(of[1]->id, "SO-2");

    // Restored from snapshot copies: rebuilt, in the order placed.
    std::vector<order> copies;
    for (const auto& [id, o] : moved.engine.orders())
        copies.push_back(order_from_value(to_value(o)));
    relay_run restored;
    restored.engine.restore(std::move(copies), moved.engine.customers(), moved.engine.relay_seq());
    restored.journal_seq = moved.journal_seq;
    ASSERT_EQ(restored.engine.orders_of("C-1001").size(), 2u);
    EXPECT_EQ(restored.engine.orders_of("C-1001")[0]->id, "SO-1");

    for (relay_run* r : {&moved, &restored}) {
        r->apply(t0 + 3, block(false));
        EXPECT_FALSE(r->get("SO-1").on_hold("blocked"));
        EXPECT_FALSE(r->get("SO-2").on_hold("blocked"));
    }
    // An id no order names is looked up without being interned.
    const std::size_t pooled = interned::pool_size();
    EXPECT_TRUE(restored.engine.orders_of("C-no-such-customer-9999").empty());
    EXPECT_EQ(interned::pool_size(), pooled);
}

}  // namespace
}  // namespace baton
