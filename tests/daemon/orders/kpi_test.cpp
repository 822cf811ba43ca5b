// Tests of daemon/kpi: department KPIs computed by hand on small plants of orders and exception
// records: stage dwell percentiles and SLA shares (planned-finish SLAs included), cycle time,
// on-time-in-full, exceptions with time to resolve, credit holds, die lead time and the window.
#include "kpi.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "customers.h"
#include "exceptions.h"
#include "flow.h"
#include "order.h"
#include "quantities.h"

namespace baton {
namespace {

constexpr std::int64_t minute = 60 * 1000;  // ms
constexpr std::int64_t hour = 60 * minute;  // ms
constexpr std::int64_t day = 24 * hour;     // ms
constexpr std::int64_t hour_us = hour * 1000;
constexpr std::int64_t day_us = day * 1000;

// Midnight UTC of 2026-11-02, the first day of every scenario.
const std::int64_t d0 = *date_start_ms("2026-11-02");

using order_book = std::unordered_map<std::string, order>;
using exception_book = std::map<std::uint64_t, exception_record>;

flow_def default_flow() {
    return load_flow(std::string(BATON_SOURCE_DIR) + "/config/flow.yaml");
}

// A plant without credit review or scheduling: sales quotes, production makes the die (the
// stage whose exit is die_ready), then presses.
flow_def custom_flow() {
    flow_def f;
    f.stages.push_back({"quoting", "sales", 2 * hour_us, "", "credit_approved", "", ""});
    f.stages.push_back({"tooling", "production", 5 * day_us, "", "die_ready", "", ""});
    f.stages.push_back({"pressing", "production", 1 * day_us, "", "produced", "", ""});
    return f;
}

order& add_order(order_book& book, const std::string& id) {
    order& o = book[id];
    o.id = id;
    o.placed = true;
    return o;
}

void visit(order& o, const std::string& stage, std::int64_t entered_ms, std::int64_t left_ms) {
    o.visits.push_back({stage, entered_ms, left_ms});
}

void reach(order& o, const std::string& name, std::int64_t at_ms) {
    o.milestones[name] = {at_ms, "ev-" + o.id + "-" + name};
}

value line(value qty) {
    value l;
    l.set("item", "PRF-D-4411");
    l.set("qty", std::move(qty));
    l.set("unit", "kg");
    return l;
}


// The report of the whole plant over `w`, receivables aged at `now_ms`.
value kpis(const order_book& orders, const exception_book& exceptions, const flow_def& flow,
           const kpi_window& w, std::int64_t now_ms = 0) {
    static const customer_book no_customers;
    kpi_query q;
    q.window = w;
    q.now_ms = now_ms;
    return compute_kpis(orders, exceptions, no_customers, flow, q);
}

exception_record& add_exception(exception_book& book, std::uint64_t id, const std::string& kind,
                                const std::string& dept, std::int64_t raised_ms,
                                std::int64_t resolved_ms = 0, const std::string& state = "") {
    exception_record& e = book[id];
    e.id = id;
    e.kind = kind_from(kind).value();
    e.dept = dept;
    e.raised_ms = raised_ms;
    e.resolved_ms = resolved_ms;
    e.state = exception_state_from(!state.empty()     ? state
                                   : resolved_ms != 0 ? "resolved"
                                                      : "open")
                  .value();
    return e;
}

// The member `key` of a map; fails the test (and gives nil) when it is missing.
const value& at(const value& v, std::string_view key) {
    static const value nil;
    const value* found = v.find(key);
    EXPECT_NE(found, nullptr) << "missing key " << key;
    return found ? *found : nil;
}

std::int64_t num(const value& v, std::string_view key) {
    const value& field = at(v, key);
    std::int64_t n = -1;
    EXPECT_TRUE(field.to_int64(n)) << key << " is a " << type_name(field);
    return n;
}

double real(const value& v, std::string_view key) {
    const value& field = at(v, key);
    EXPECT_TRUE(std::holds_alternative<double>(field.v)) << key << " is a " << type_name(field);
    return field.to_double();
}

const value& stage_row(const value& kpis, const std::string& stage) {
    static const value nil;
    for (const auto& row : at(kpis, "stages").as_list())
        if (at(row, "stage").as_string() == stage) return row;
    ADD_FAILURE() << "no row for stage " << stage;
    return nil;
}

std::vector<std::string> keys_of(const value& v) {
    std::vector<std::string> keys;
    for (const auto& m : v.as_map()) keys.push_back(m.key);
    return keys;
}

const kpi_window november{d0, d0 + 30 * day};

TEST(kpi, result_has_every_section_with_its_keys) {
    const value k = kpis({}, {}, default_flow(), november);
    // The keys clients read since the first batond, then the ones added with quantities.
    EXPECT_EQ(keys_of(k),
              (std::vector<std::string>{"stages", "cycle_time", "otif", "exceptions",
                                        "credit_holds", "die_lead_time", "window", "otif_quantity",
                                        "complaints", "invoiced_vs_delivered", "receivables"}));
    EXPECT_EQ(keys_of(at(k, "stages").as_list().at(0)),
              (std::vector<std::string>{"stage", "holder", "count", "p50_ms", "p90_ms",
                                        "within_sla", "open"}));
    EXPECT_EQ(keys_of(at(k, "cycle_time")),
              (std::vector<std::string>{"count", "p50_ms", "p90_ms"}));
    EXPECT_EQ(keys_of(at(k, "otif")),
              (std::vector<std::string>{"delivered", "on_time", "in_full", "otif", "share"}));
    EXPECT_EQ(keys_of(at(k, "credit_holds")),
              (std::vector<std::string>{"count", "resolved", "mean_resolve_ms"}));
    EXPECT_EQ(keys_of(at(k, "die_lead_time")),
              (std::vector<std::string>{"count", "p50_ms", "p90_ms"}));
    EXPECT_EQ(num(at(k, "window"), "since"), d0);
    EXPECT_EQ(num(at(k, "window"), "until"), d0 + 30 * day);
}

TEST(kpi, empty_inputs_give_zeros_for_every_stage_of_the_flow) {
    const value k = kpis({}, {}, default_flow(), kpi_window{});
    const auto& stages = at(k, "stages").as_list();
    ASSERT_EQ(stages.size(), 9u);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"credit_review", "finance"},      {"deposit", "finance"},
        {"die_preparation", "production"}, {"scheduling", "production"},
        {"production", "production"},      {"payment", "finance"},
        {"shipping", "logistics"},         {"in_transit", "logistics"},
        {"invoicing", "finance"}};
    for (std::size_t i = 0; i < stages.size(); ++i) {
        EXPECT_EQ(at(stages[i], "stage").as_string(), expected[i].first);
        EXPECT_EQ(at(stages[i], "holder").as_string(), expected[i].second);
        EXPECT_EQ(num(stages[i], "count"), 0);
        EXPECT_EQ(num(stages[i], "p50_ms"), 0);
        EXPECT_EQ(num(stages[i], "p90_ms"), 0);
        EXPECT_EQ(real(stages[i], "within_sla"), 0.0);
        EXPECT_EQ(num(stages[i], "open"), 0);
    }
    for (const char* section : {"cycle_time", "die_lead_time"}) {
        EXPECT_EQ(num(at(k, section), "count"), 0) << section;
        EXPECT_EQ(num(at(k, section), "p50_ms"), 0) << section;
        EXPECT_EQ(num(at(k, section), "p90_ms"), 0) << section;
    }
    const value& otif = at(k, "otif");
    EXPECT_EQ(num(otif, "delivered"), 0);
    EXPECT_EQ(num(otif, "on_time"), 0);
    EXPECT_EQ(num(otif, "in_full"), 0);
    EXPECT_EQ(num(otif, "otif"), 0);
    EXPECT_EQ(real(otif, "share"), 0.0);
    EXPECT_TRUE(at(k, "exceptions").as_list().empty());
    EXPECT_EQ(num(at(k, "credit_holds"), "count"), 0);
    EXPECT_EQ(num(at(k, "credit_holds"), "resolved"), 0);
    EXPECT_EQ(num(at(k, "credit_holds"), "mean_resolve_ms"), 0);
    EXPECT_EQ(num(at(k, "window"), "since"), 0);
    EXPECT_EQ(num(at(k, "window"), "until"), std::numeric_limits<std::int64_t>::max());
}

TEST(kpi, stage_dwell_percentiles_are_nearest_rank) {
    order_book orders;
    // credit_review: four dwells 1h, 2h, 3h, 4h -> p50 2h (rank 2), p90 4h (rank 4).
    for (int i = 1; i <= 4; ++i)
        visit(add_order(orders, "SO-" + std::to_string(i)), "credit_review", d0 + day,
              d0 + day + i * hour);
    // scheduling: one dwell of 5h -> p50 and p90 are that value.
    visit(add_order(orders, "SO-5"), "scheduling", d0 + day, d0 + day + 5 * hour);
    // shipping: ten dwells 1h..10h -> p50 5h (rank 5), p90 9h (rank 9), not interpolated.
    for (int i = 1; i <= 10; ++i)
        visit(add_order(orders, "SO-S" + std::to_string(i)), "shipping", d0 + 2 * day,
              d0 + 2 * day + (11 - i) * hour);

    const value k = kpis(orders, {}, default_flow(), november);
    const value& credit = stage_row(k, "credit_review");
    EXPECT_EQ(num(credit, "count"), 4);
    EXPECT_EQ(num(credit, "p50_ms"), 2 * hour);
    EXPECT_EQ(num(credit, "p90_ms"), 4 * hour);
    const value& scheduling = stage_row(k, "scheduling");
    EXPECT_EQ(num(scheduling, "count"), 1);
    EXPECT_EQ(num(scheduling, "p50_ms"), 5 * hour);
    EXPECT_EQ(num(scheduling, "p90_ms"), 5 * hour);
    const value& shipping = stage_row(k, "shipping");
    EXPECT_EQ(num(shipping, "count"), 10);
    EXPECT_EQ(num(shipping, "p50_ms"), 5 * hour);
    EXPECT_EQ(num(shipping, "p90_ms"), 9 * hour);
    EXPECT_EQ(num(stage_row(k, "invoicing"), "count"), 0);
}

TEST(kpi, within_sla_share_counts_visits_left_by_their_deadline) {
    order_book orders;
    // credit_review, SLA 4h: 1h, 3h and exactly 4h are within; 5h and 4h + 1ms are not.
    visit(add_order(orders, "SO-1"), "credit_review", d0, d0 + 1 * hour);
    visit(add_order(orders, "SO-2"), "credit_review", d0, d0 + 3 * hour);
    visit(add_order(orders, "SO-3"), "credit_review", d0, d0 + 4 * hour);
    visit(add_order(orders, "SO-4"), "credit_review", d0, d0 + 5 * hour);
    visit(add_order(orders, "SO-5"), "credit_review", d0, d0 + 4 * hour + 1);

    const value k = kpis(orders, {}, default_flow(), november);
    const value& credit = stage_row(k, "credit_review");
    EXPECT_EQ(num(credit, "count"), 5);
    EXPECT_DOUBLE_EQ(real(credit, "within_sla"), 3.0 / 5.0);
    EXPECT_EQ(num(credit, "p50_ms"), 4 * hour);                    // 1h 3h [4h] 4h+1ms 5h
    EXPECT_EQ(num(credit, "p90_ms"), 5 * hour);                    // rank 5 of 5
    EXPECT_EQ(real(stage_row(k, "shipping"), "within_sla"), 0.0);  // no visits: 0, not NaN
}

TEST(kpi, production_sla_counts_from_the_planned_finish_day) {
    order_book orders;
    // Planned to finish 2026-11-05: may stay until the end of that day + 1d = d0 + 5d. It stays
    // 4 days, far beyond entry + 1d, and is still within.
    order& p1 = add_order(orders, "SO-P1");
    p1.planned_finish = "2026-11-05";
    visit(p1, "production", d0 + day, d0 + 5 * day);
    // Planned to finish 2026-11-03: deadline d0 + 3d; leaves 1 ms late.
    order& p2 = add_order(orders, "SO-P2");
    p2.planned_finish = "2026-11-03";
    visit(p2, "production", d0 + 12 * hour, d0 + 3 * day + 1);
    // No planned finish: entry + 1d; leaves after 20h, within.
    visit(add_order(orders, "SO-P3"), "production", d0 + 2 * day, d0 + 2 * day + 20 * hour);
    // No planned finish, leaves after 25h: late.
    visit(add_order(orders, "SO-P4"), "production", d0 + 2 * day, d0 + 3 * day + 1 * hour);

    const value k = kpis(orders, {}, default_flow(), november);
    const value& production = stage_row(k, "production");
    EXPECT_EQ(at(production, "holder").as_string(), "production");
    EXPECT_EQ(num(production, "count"), 4);
    EXPECT_DOUBLE_EQ(real(production, "within_sla"), 0.5);  // P1 and P3
    // Dwells sorted: 20h, 25h, 2.5d + 1ms, 4d.
    EXPECT_EQ(num(production, "p50_ms"), 25 * hour);
    EXPECT_EQ(num(production, "p90_ms"), 4 * day);
}

TEST(kpi, open_counts_orders_still_in_a_stage_whatever_the_window) {
    order_book orders;
    order& a = add_order(orders, "SO-1");
    visit(a, "credit_review", d0 - 10 * day, d0 - 9 * day);  // left before the window
    visit(a, "scheduling", d0 - 9 * day, 0);                 // there since before the window
    visit(add_order(orders, "SO-2"), "scheduling", d0 + day, 0);
    visit(add_order(orders, "SO-3"), "shipping", d0 + 40 * day, 0);  // entered after the window
    order& closed = add_order(orders, "SO-4");
    visit(closed, "invoicing", d0 + day, d0 + 2 * day);
    visit(closed, "closed", d0 + 2 * day, 0);  // terminal positions are not flow stages

    const value k = kpis(orders, {}, default_flow(), november);
    EXPECT_EQ(num(stage_row(k, "scheduling"), "open"), 2);
    EXPECT_EQ(num(stage_row(k, "scheduling"), "count"), 0);
    EXPECT_EQ(num(stage_row(k, "shipping"), "open"), 1);
    EXPECT_EQ(num(stage_row(k, "credit_review"), "open"), 0);
    EXPECT_EQ(num(stage_row(k, "credit_review"), "count"), 0);  // left outside the window
    EXPECT_EQ(num(stage_row(k, "invoicing"), "open"), 0);
    EXPECT_EQ(num(stage_row(k, "invoicing"), "count"), 1);
    EXPECT_EQ(at(k, "stages").as_list().size(), 9u);  // no row for "closed"
}

TEST(kpi, cycle_time_runs_from_placed_to_delivered) {
    order_book orders;
    const std::int64_t cycles[] = {7 * day, 5 * day, 10 * day};
    for (int i = 0; i < 3; ++i) {
        order& o = add_order(orders, "SO-" + std::to_string(i));
        reach(o, "placed", d0 + i * hour);
        reach(o, "delivered", d0 + i * hour + cycles[i]);
    }
    order& undelivered = add_order(orders, "SO-open");
    reach(undelivered, "placed", d0);
    reach(undelivered, "dispatched", d0 + 2 * day);

    const value k = kpis(orders, {}, default_flow(), november);
    const value& cycle = at(k, "cycle_time");
    EXPECT_EQ(num(cycle, "count"), 3);
    EXPECT_EQ(num(cycle, "p50_ms"), 7 * day);
    EXPECT_EQ(num(cycle, "p90_ms"), 10 * day);
    EXPECT_EQ(num(at(k, "otif"), "delivered"), 3);  // the undelivered order counts nowhere
    EXPECT_EQ(num(at(k, "otif"), "on_time"), 3);    // no promised date: no promise broken
}

TEST(kpi, otif_judges_each_line_against_promised_date_and_ordered_qty) {
    order_book orders;
    // Promised 2026-11-10: on time when delivered before d0 + 9d (end of the promised day). One
    // shipment delivers `got` of each line at `at_ms`.
    auto delivery = [&](const std::string& id, std::int64_t at_ms, value_list lines,
                        std::vector<double> got) {
        order& o = add_order(orders, id);
        o.promised_date = "2026-11-10";
        o.lines = value(std::move(lines));
        o.line_items = lines_of(o.lines);
        shipment s;
        s.id = "S1";
        s.state = shipment_state::delivered;
        s.answered_ms = at_ms;
        for (std::size_t i = 0; i < got.size(); ++i) {
            s.sent.push_back({static_cast<int>(i + 1), to_milli(got[i]), ""});
            s.received.push_back({static_cast<int>(i + 1), to_milli(got[i]), ""});
        }
        if (got.empty()) s.whole = true;
        o.shipments.push_back(std::move(s));
        reach(o, "placed", d0);
        reach(o, "delivered", at_ms);
    };
    delivery("SO-fine", d0 + 9 * day - 1, {line(1000), line(500.5)}, {1000, 500.5});  // last ms
    delivery("SO-late", d0 + 9 * day, {line(1000)}, {1000});                          // midnight
    delivery("SO-short", d0 + 2 * day, {line(600.0), line(400)}, {600, 370});         // 370 < 392
    delivery("SO-both", d0 + 12 * day, {line(1000)}, {500});
    delivery("SO-tolerated", d0 + 3 * day, {line(1000)}, {985});  // within 2% short
    delivery("SO-nolines", d0 + 3 * day, {}, {});                 // nothing ordered: in full

    const value k = kpis(orders, {}, default_flow(), november);
    const value& otif = at(k, "otif");
    EXPECT_EQ(num(otif, "delivered"), 6);
    EXPECT_EQ(num(otif, "on_time"), 4);  // fine, short, tolerated, nolines
    EXPECT_EQ(num(otif, "in_full"), 4);  // fine, late, tolerated, nolines
    EXPECT_EQ(num(otif, "otif"), 3);     // fine, tolerated, nolines
    EXPECT_DOUBLE_EQ(real(otif, "share"), 0.5);

    // A looser tolerance for kg (10%) takes the 370 of 400 as in full.
    flow_def loose_flow = default_flow();
    loose_flow.tolerance.kg_bp = 1000;
    const value loose = kpis(orders, {}, loose_flow, november);
    EXPECT_EQ(num(at(loose, "otif"), "in_full"), 5);
    EXPECT_EQ(num(at(loose, "otif"), "otif"), 4);
    // No tolerance: the 985 of 1000 is short.
    flow_def strict_flow = default_flow();
    strict_flow.tolerance.kg_bp = 0;
    const value strict = kpis(orders, {}, strict_flow, november);
    EXPECT_EQ(num(at(strict, "otif"), "in_full"), 3);
    EXPECT_EQ(num(at(strict, "otif"), "otif"), 2);
}

TEST(kpi, window_includes_its_start_and_excludes_its_end) {
    const kpi_window w{d0 + 10 * day, d0 + 20 * day};
    order_book orders;
    exception_book exceptions;
    // One of each kind of fact at: just before, at the start, just before the end, at the end.
    const std::int64_t times[] = {w.since_ms - 1, w.since_ms, w.until_ms - 1, w.until_ms};
    for (int i = 0; i < 4; ++i) {
        order& o = add_order(orders, "SO-" + std::to_string(i));
        visit(o, "credit_review", times[i] - (i + 1) * hour, times[i]);
        visit(o, "die_preparation", times[i] - (i + 1) * day, times[i]);
        reach(o, "die_ready", times[i]);
        reach(o, "placed", times[i] - (i + 1) * day);
        reach(o, "delivered", times[i]);
        add_exception(exceptions, i + 1, "credit_hold", "finance", times[i],
                      times[i] + (i + 1) * hour);
    }

    const value k = kpis(orders, exceptions, default_flow(), w);
    // Only the facts at since (i = 1) and until - 1 (i = 2) count.
    const value& credit = stage_row(k, "credit_review");
    EXPECT_EQ(num(credit, "count"), 2);
    EXPECT_EQ(num(credit, "p50_ms"), 2 * hour);
    EXPECT_EQ(num(credit, "p90_ms"), 3 * hour);
    EXPECT_EQ(num(at(k, "cycle_time"), "count"), 2);
    EXPECT_EQ(num(at(k, "cycle_time"), "p50_ms"), 2 * day);
    EXPECT_EQ(num(at(k, "cycle_time"), "p90_ms"), 3 * day);
    EXPECT_EQ(num(at(k, "otif"), "delivered"), 2);
    EXPECT_EQ(num(at(k, "die_lead_time"), "count"), 2);
    EXPECT_EQ(num(at(k, "die_lead_time"), "p90_ms"), 3 * day);
    EXPECT_EQ(num(at(k, "credit_holds"), "count"), 2);
    EXPECT_EQ(num(at(k, "credit_holds"), "mean_resolve_ms"), (2 * hour + 3 * hour) / 2);
    EXPECT_EQ(num(at(k, "window"), "since"), d0 + 10 * day);
    EXPECT_EQ(num(at(k, "window"), "until"), d0 + 20 * day);
}

TEST(kpi, exceptions_grouped_by_kind_and_dept_with_mean_time_to_resolve) {
    exception_book exceptions;
    add_exception(exceptions, 1, "credit_hold", "finance", d0 + 1 * hour, d0 + 3 * hour);  // 2h
    add_exception(exceptions, 2, "stage_overdue", "production", d0 + 1 * hour,
                  d0 + 1 * hour + 30 * minute);
    add_exception(exceptions, 3, "credit_hold", "finance", d0 + 2 * hour, d0 + 6 * hour);  // 4h
    add_exception(exceptions, 4, "credit_hold", "finance", d0 + 5 * hour);  // still open
    add_exception(exceptions, 5, "stage_overdue", "logistics", d0 + 3 * hour, 0, "acknowledged");
    add_exception(exceptions, 6, "delivery_late", "logistics", d0 + 4 * hour, d0 + 10 * hour);
    add_exception(exceptions, 7, "credit_hold", "finance", d0 - 1 * hour, d0 + 9 * hour);  // before

    const value k = kpis({}, exceptions, default_flow(), november);
    const auto& rows = at(k, "exceptions").as_list();
    ASSERT_EQ(rows.size(), 4u);
    struct expected_row {
        const char* kind;
        const char* dept;
        std::int64_t raised, resolved, mean_resolve_ms;
    };
    const expected_row expected[] = {
        {"credit_hold", "finance", 3, 2, 3 * hour},
        {"delivery_late", "logistics", 1, 1, 6 * hour},
        {"stage_overdue", "logistics", 1, 0, 0},
        {"stage_overdue", "production", 1, 1, 30 * minute},
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(at(rows[i], "kind").as_string(), expected[i].kind);
        EXPECT_EQ(at(rows[i], "dept").as_string(), expected[i].dept);
        EXPECT_EQ(num(rows[i], "raised"), expected[i].raised);
        EXPECT_EQ(num(rows[i], "resolved"), expected[i].resolved);
        EXPECT_EQ(num(rows[i], "mean_resolve_ms"), expected[i].mean_resolve_ms);
    }
    const value& holds = at(k, "credit_holds");
    EXPECT_EQ(num(holds, "count"), 3);
    EXPECT_EQ(num(holds, "resolved"), 2);
    EXPECT_EQ(num(holds, "mean_resolve_ms"), 3 * hour);
}

TEST(kpi, credit_holds_of_every_department_count_together) {
    exception_book exceptions;
    add_exception(exceptions, 1, "credit_hold", "finance", d0, d0 + 1 * hour);
    add_exception(exceptions, 2, "credit_hold", "sales", d0, d0 + 2 * hour);
    add_exception(exceptions, 3, "payment_overdue", "finance", d0, d0 + 9 * hour);

    const value k = kpis({}, exceptions, default_flow(), november);
    EXPECT_EQ(at(k, "exceptions").as_list().size(), 3u);
    const value& holds = at(k, "credit_holds");
    EXPECT_EQ(num(holds, "count"), 2);
    EXPECT_EQ(num(holds, "resolved"), 2);
    EXPECT_EQ(num(holds, "mean_resolve_ms"), 90 * minute);
}

TEST(kpi, die_lead_time_runs_from_entering_die_preparation_to_die_ready) {
    order_book orders;
    order& d1 = add_order(orders, "SO-D1");
    visit(d1, "credit_review", d0, d0 + day);
    visit(d1, "die_preparation", d0 + day, d0 + 4 * day);
    reach(d1, "die_ready", d0 + 4 * day);  // 3d
    order& d2 = add_order(orders, "SO-D2");
    visit(d2, "die_preparation", d0 + 2 * day, d0 + 9 * day);
    reach(d2, "die_ready", d0 + 9 * day);  // 7d
    order& d3 = add_order(orders, "SO-D3");
    visit(d3, "die_preparation", d0 + 3 * day, 0);
    reach(d3, "die_ready", d0 + 3 * day + 5 * hour);  // ready, not yet moved on: 5h
    order& no_stage = add_order(orders, "SO-D4");     // die ready before the order needed one
    visit(no_stage, "scheduling", d0, d0 + hour);
    reach(no_stage, "die_ready", d0 + hour);
    order& before = add_order(orders, "SO-D5");  // ready before the window
    visit(before, "die_preparation", d0 - 5 * day, d0 - day);
    reach(before, "die_ready", d0 - day);

    const value k = kpis(orders, {}, default_flow(), november);
    const value& die = at(k, "die_lead_time");
    EXPECT_EQ(num(die, "count"), 3);
    EXPECT_EQ(num(die, "p50_ms"), 3 * day);
    EXPECT_EQ(num(die, "p90_ms"), 7 * day);
}

TEST(kpi, custom_flow_reports_its_own_stages_holders_and_die_stage) {
    order_book orders;
    order& a = add_order(orders, "SO-1");
    visit(a, "quoting", d0, d0 + 1 * hour);            // within 2h
    visit(a, "tooling", d0 + 1 * hour, d0 + 6 * day);  // 5d 23h: beyond its 5d SLA
    reach(a, "die_ready", d0 + 6 * day);
    visit(a, "pressing", d0 + 6 * day, 0);
    order& b = add_order(orders, "SO-2");
    visit(b, "quoting", d0, d0 + 2 * hour);                   // exactly the SLA: within
    visit(b, "credit_review", d0 + 2 * hour, d0 + 3 * hour);  // not a stage of this flow
    visit(b, "tooling", d0 + 3 * hour, d0 + 2 * day);
    reach(b, "die_ready", d0 + 2 * day);

    const value k = kpis(orders, {}, custom_flow(), november);
    const auto& stages = at(k, "stages").as_list();
    ASSERT_EQ(stages.size(), 3u);
    EXPECT_EQ(at(stages[0], "stage").as_string(), "quoting");
    EXPECT_EQ(at(stages[0], "holder").as_string(), "sales");
    EXPECT_EQ(at(stages[1], "stage").as_string(), "tooling");
    EXPECT_EQ(at(stages[2], "stage").as_string(), "pressing");
    EXPECT_EQ(num(stages[0], "count"), 2);
    EXPECT_DOUBLE_EQ(real(stages[0], "within_sla"), 1.0);
    EXPECT_EQ(num(stages[1], "count"), 2);
    EXPECT_DOUBLE_EQ(real(stages[1], "within_sla"), 0.5);
    EXPECT_EQ(num(stages[2], "open"), 1);
    const value& die = at(k, "die_lead_time");
    EXPECT_EQ(num(die, "count"), 2);
    EXPECT_EQ(num(die, "p50_ms"), 2 * day - 3 * hour);
    EXPECT_EQ(num(die, "p90_ms"), 6 * day - 1 * hour);

    // A flow without a die stage has no die lead time, whatever the milestones.
    flow_def no_die = custom_flow();
    no_die.stages.erase(no_die.stages.begin() + 1);
    EXPECT_EQ(num(at(kpis(orders, {}, no_die, november), "die_lead_time"), "count"), 0);
}

}  // namespace
}  // namespace baton
