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
#include "customers_file.h"
#include "events.h"
#include "exceptions.h"
#include "flow.h"
#include "order.h"
#include "order_engine.h"
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
                                        "within_sla", "open", "sla_ms"}));
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
        set_lines(o, value(std::move(lines)));
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

// --- breakdowns and the sections that came with quantities, on orders the real engine built ---

using testing::make_event;

// A plant of the default flow and the seed customers (C-1001 key, C-1002 A, C-1003 B, C-1004
// C), fed facts at chosen times.
class plant {
public:
    plant()
        : flow_(default_flow()),
          engine_(flow_, customer_book(load_customers(std::string(BATON_SOURCE_DIR) +
                                                      "/config/customers.yaml"))) {}

    void at(std::int64_t ms, const envelope& e) {
        std::vector<relay_message> out;
        engine_.apply(++seq_, ms, e, out);
    }

    // Placed, approved, scheduled, made in full and delivered in full (one shipment naming no
    // lines) `days_to_deliver` after `placed_ms`.
    void delivered_order(const std::string& so, const std::string& customer,
                         const std::string& salesperson, std::int64_t placed_ms,
                         std::int64_t days_to_deliver, const std::string& promised = "2026-12-18") {
        at(placed_ms, placed(so, customer, salesperson, promised));
        at(placed_ms, testing::credit_approved(so + "-c", so));
        const std::int64_t done = placed_ms + days_to_deliver * day;
        at(done, scheduled(so));
        at(done, made(so, {1200, 350.5}));
        at(done, shipment_fact("logistics.shipment.dispatched", so, "DN-" + so, {1200, 350.5}));
        at(done, shipment_fact("logistics.shipment.delivered", so, "DN-" + so, {1200, 350.5}));
    }

    static envelope placed(const std::string& so, const std::string& customer,
                           const std::string& salesperson,
                           const std::string& promised = "2026-12-18") {
        envelope e = testing::order_placed(so + "-p", so, customer);
        if (!salesperson.empty()) e.data.set("salesperson", salesperson);
        e.data.set("promised_date", promised);
        return e;
    }
    static envelope scheduled(const std::string& so) {
        value d;
        d.set("planned_start", "2026-11-02");
        d.set("planned_finish", "2026-11-20");
        d.set("line", "P2");
        return make_event("production.order.scheduled", so + "-s", so, std::move(d), "mes");
    }
    // Completed with good quantities per line (kg).
    static envelope made(const std::string& so, std::vector<double> good) {
        value d;
        d.set("qty_good", 0.0);
        value_list lines;
        for (std::size_t i = 0; i < good.size(); ++i) {
            value l;
            l.set("line", static_cast<int>(i + 1));
            l.set("qty_good", good[i]);
            lines.push_back(std::move(l));
        }
        d.set("order_lines", value(std::move(lines)));
        return make_event("production.order.completed", so + "-m", so, std::move(d), "mes");
    }
    // A dispatch or delivery of shipment `dn` with quantities per line (0: the line not in it).
    static envelope shipment_fact(const std::string& topic, const std::string& so,
                                  const std::string& dn, std::vector<double> qty) {
        value d;
        value_list lines;
        double total = 0;
        for (std::size_t i = 0; i < qty.size(); ++i) {
            if (qty[i] <= 0) continue;
            value l;
            l.set("line", static_cast<int>(i + 1));
            l.set("qty", qty[i]);
            lines.push_back(std::move(l));
            total += qty[i];
        }
        d.set("qty", total);
        d.set("shipment", dn);
        d.set("order_lines", value(std::move(lines)));
        if (topic == "logistics.shipment.dispatched")
            d.set("vehicle", "WI-AL 411");
        else
            d.set("received_by", "K. Novak");
        return make_event(topic, topic + "-" + dn, so, std::move(d), "tms");
    }
    static envelope invoice(const std::string& so, const std::string& id, std::int64_t cents,
                            const std::string& due) {
        value d;
        d.set("invoice", id);
        d.set("amount_cents", static_cast<long long>(cents));
        d.set("due_date", due);
        return make_event("finance.invoice.issued", id, so, std::move(d), "finance-erp");
    }

    const order* find(const std::string& so) const { return engine_.find(so); }

    value kpis(const kpi_query& q, const exception_book& exceptions = {}) const {
        return compute_kpis(engine_.orders(), exceptions, engine_.customers(), flow_, q);
    }

private:
    flow_def flow_;
    order_engine engine_;
    std::int64_t seq_ = 0;
};

kpi_query query(const kpi_window& w, std::int64_t now_ms, const std::string& by = "",
                const std::string& every = "") {
    kpi_query q;
    q.window = w;
    q.now_ms = now_ms;
    q.by = by;
    q.every = every;
    return q;
}

std::vector<std::string> periods_named(const std::vector<kpi_period>& periods) {
    std::vector<std::string> names;
    for (const auto& p : periods) names.push_back(p.name);
    return names;
}

TEST(kpi, periods_are_iso_weeks_and_calendar_months_clipped_to_the_window) {
    const std::int64_t from = *date_start_ms("2026-12-24") + 12 * hour;
    const std::int64_t to = *date_start_ms("2027-01-06");
    const auto weeks = periods_of("week", {from, to});
    // 2026-12-28 and 2027-01-01 are both in ISO week 53 of 2026; week 1 of 2027 starts on 4 Jan.
    EXPECT_EQ(periods_named(weeks), (std::vector<std::string>{"2026-W52", "2026-W53", "2027-W01"}));
    EXPECT_EQ(weeks[0].window.since_ms, from);  // clipped to the window
    EXPECT_EQ(weeks[0].window.until_ms, *date_start_ms("2026-12-28"));
    EXPECT_EQ(weeks[1].window.until_ms, *date_start_ms("2027-01-04"));
    EXPECT_EQ(weeks[2].window.until_ms, to);

    const auto months = periods_of("month", {*date_start_ms("2026-11-15"), to});
    EXPECT_EQ(periods_named(months), (std::vector<std::string>{"2026-11", "2026-12", "2027-01"}));
    EXPECT_EQ(months[1].window.since_ms, *date_start_ms("2026-12-01"));
    EXPECT_EQ(months[1].window.until_ms, *date_start_ms("2027-01-01"));
    EXPECT_TRUE(periods_of("day", {from, to}).empty());
    EXPECT_TRUE(periods_of("week", {to, to}).empty());
}

TEST(kpi, complaints_count_by_kind_root_cause_and_the_die_of_their_line) {
    plant p;
    p.at(d0, plant::placed("SO-1", "C-1001", "k.ito"));  // lines D-4411, D-0930
    auto complaint = [&](const std::string& id, const std::string& kind, int line,
                         std::int64_t at_ms) {
        value d;
        d.set("case", id);
        d.set("kind", kind);
        d.set("detail", "as found at the site");
        if (line > 0) d.set("line", line);
        p.at(at_ms, make_event("sales.complaint.filed", id, "SO-1", std::move(d), "sales-erp"));
    };
    complaint("K-1", "surface", 2, d0 + day);
    complaint("K-2", "surface", 0, d0 + day);  // no line: the die of the first line
    complaint("K-3", "dimension", 1, d0 + 2 * day);
    complaint("K-4", "surface", 2, d0 - day);  // before the window
    p.at(d0 + 3 * day, testing::case_resolved("r1", "SO-1", "K-1"));
    p.at(d0 + 3 * day, testing::case_resolved("r3", "SO-1", "K-3"));
    value closed;  // sales closes K-2 with a credit note, before production found a cause
    closed.set("case", "K-2");
    closed.set("resolution", "credit note for 40 bars");
    closed.set("outcome", "credit_note");
    closed.set("credit_cents", 25000);
    p.at(d0 + 4 * day, make_event("sales.case.closed", "x3", "SO-1", std::move(closed)));

    const value c = at(p.kpis(query(november, d0 + 5 * day)), "complaints");
    EXPECT_EQ(num(c, "count"), 3);
    EXPECT_EQ(num(c, "credit_cents"), 25000);
    auto rows = [&](const char* section, const char* key) {
        std::vector<std::pair<std::string, std::int64_t>> out;
        for (const auto& r : at(c, section).as_list())
            out.emplace_back(at(r, key).as_string(), num(r, "count"));
        return out;
    };
    using rows_t = std::vector<std::pair<std::string, std::int64_t>>;
    EXPECT_EQ(rows("by_kind", "kind"), (rows_t{{"surface", 2}, {"dimension", 1}}));
    // Most frequent first; "" is a complaint whose root cause production has not yet found.
    EXPECT_EQ(rows("by_root_cause", "root_cause"),
              (rows_t{{"bath temperature drift", 2}, {"", 1}}));
    EXPECT_EQ(rows("by_die", "die"), (rows_t{{"D-4411", 2}, {"D-0930", 1}}));
}

TEST(kpi, invoices_are_set_against_the_delivered_value_and_receivables_aged_at_now) {
    plant p;
    p.delivered_order("SO-1", "C-1001", "k.ito", d0, 3);
    p.at(d0 + 4 * day, plant::invoice("SO-1", "INV-1", 1800000, "2026-11-06"));  // 43,000 short
    p.delivered_order("SO-2", "C-1002", "", d0, 5);  // delivered, not yet invoiced
    // SO-3, not delivered: invoices of every age (now is 2026-12-20 12:00).
    p.at(d0, plant::placed("SO-3", "C-1003", ""));
    p.at(d0 + day, plant::invoice("SO-3", "INV-A", 1000, "2026-12-20"));   // due today: not due
    p.at(d0 + day, plant::invoice("SO-3", "INV-B", 2000, "2026-12-10"));   // 9 days past due
    p.at(d0 + day, plant::invoice("SO-3", "INV-C", 4000, "2026-11-05"));   // 44 days
    p.at(d0 + day, plant::invoice("SO-3", "INV-D", 8000, "2026-09-01"));   // 109 days
    p.at(d0 + day, plant::invoice("SO-3", "INV-E", 16000, "2026-09-01"));  // paid below
    envelope pay = testing::payment("pay-e", "SO-3", 16000);
    pay.data.set("invoice", "INV-E");
    p.at(d0 + 2 * day, pay);

    const std::int64_t now = *date_start_ms("2026-12-20") + 12 * hour;
    const value k = p.kpis(query(november, now));
    const value& iv = at(k, "invoiced_vs_delivered");
    EXPECT_EQ(num(iv, "orders"), 2);
    EXPECT_EQ(num(iv, "invoiced_cents"), 1800000);
    // Both delivered in full: their value as quantities.h reckons it, line by line.
    const std::int64_t value_each =
        delivered_value_cents(*p.find("SO-1"), totals_of(*p.find("SO-1")));
    EXPECT_NEAR(static_cast<double>(value_each), 1843000.0, 1.0);
    EXPECT_EQ(num(iv, "delivered_value_cents"), 2 * value_each);
    EXPECT_EQ(num(iv, "difference_cents"), 1800000 - 2 * value_each);
    EXPECT_EQ(num(iv, "uninvoiced"), 1);

    const value& r = at(k, "receivables");
    EXPECT_EQ(num(r, "as_of"), now);
    struct expected_bucket {
        const char* name;
        std::int64_t count, cents;
    };
    // INV-1 (due 2026-11-06) is 43 days past due: 31-60 with INV-C.
    const expected_bucket expected[] = {{"not_due", 1, 1000},
                                        {"0-30", 1, 2000},
                                        {"31-60", 2, 4000 + 1800000},
                                        {"61-90", 0, 0},
                                        {"90+", 1, 8000}};
    const auto& buckets = at(r, "buckets").as_list();
    ASSERT_EQ(buckets.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        SCOPED_TRACE(expected[i].name);
        EXPECT_EQ(at(buckets[i], "bucket").as_string(), expected[i].name);
        EXPECT_EQ(num(buckets[i], "count"), expected[i].count);
        EXPECT_EQ(num(buckets[i], "cents"), expected[i].cents);
    }
    EXPECT_EQ(num(r, "open_cents"), 1000 + 2000 + 4000 + 8000 + 1800000);
}

TEST(kpi, otif_per_promised_quantity_counts_orders_and_lines) {
    plant p;
    // SO-1: line 1 arrives by the promised day, line 2 after it.
    p.at(d0, plant::placed("SO-1", "C-1001", "", "2026-11-10"));
    p.at(d0, testing::credit_approved("c1", "SO-1"));
    p.at(d0 + day, plant::scheduled("SO-1"));
    p.at(d0 + day, plant::made("SO-1", {1200, 350.5}));
    p.at(d0 + 2 * day,
         plant::shipment_fact("logistics.shipment.dispatched", "SO-1", "DN-1", {1200, 0}));
    p.at(d0 + 3 * day,
         plant::shipment_fact("logistics.shipment.delivered", "SO-1", "DN-1", {1200, 0}));
    p.at(d0 + 9 * day,
         plant::shipment_fact("logistics.shipment.dispatched", "SO-1", "DN-2", {0, 350.5}));
    p.at(d0 + 10 * day,
         plant::shipment_fact("logistics.shipment.delivered", "SO-1", "DN-2", {0, 350.5}));
    // SO-2: both lines in full, on time.
    p.delivered_order("SO-2", "C-1002", "", d0, 4);

    const value k = p.kpis(query(november, d0 + 20 * day));
    const value& q = at(k, "otif_quantity");
    EXPECT_EQ(num(q, "orders"), 2);
    EXPECT_EQ(num(q, "orders_otif"), 1);
    EXPECT_DOUBLE_EQ(real(q, "share"), 0.5);
    EXPECT_EQ(num(q, "lines"), 4);
    EXPECT_EQ(num(q, "lines_otif"), 3);
    EXPECT_DOUBLE_EQ(real(q, "lines_share"), 0.75);
    // The order-level OTIF says the same of SO-1: late as a whole, in full in the end.
    EXPECT_EQ(num(at(k, "otif"), "on_time"), 1);
    EXPECT_EQ(num(at(k, "otif"), "in_full"), 2);
}

TEST(kpi, by_customer_tier_and_salesperson_give_the_same_report_per_group) {
    plant p;
    p.delivered_order("SO-1", "C-1001", "k.ito", d0, 3);
    p.delivered_order("SO-2", "C-1001", "m.weber", d0 + day, 5);
    p.delivered_order("SO-3", "C-1003", "", d0 + day, 7);
    p.delivered_order("SO-4", "C-1002", "k.ito", d0 + 2 * day, 2);
    exception_book exceptions;
    add_exception(exceptions, 1, "credit_hold", "finance", d0 + hour).order = "SO-3";
    add_exception(exceptions, 2, "feed_gap", "sales", d0 + hour);  // no order, no customer

    const std::int64_t now = d0 + 20 * day;
    const value all = p.kpis(query(november, now), exceptions);
    EXPECT_EQ(all.find("groups"), nullptr);
    EXPECT_EQ(all.find("by"), nullptr);

    auto groups = [&](const value& k) {
        std::vector<std::pair<std::string, std::int64_t>> out;  // group, orders delivered
        for (const auto& g : at(k, "groups").as_list())
            out.emplace_back(at(g, "group").as_string(), num(at(g, "otif"), "delivered"));
        return out;
    };
    using groups_t = std::vector<std::pair<std::string, std::int64_t>>;
    const value by_customer = p.kpis(query(november, now, "customer"), exceptions);
    EXPECT_EQ(at(by_customer, "by").as_string(), "customer");
    // The feed gap has no customer: a group "" of its own, last.
    EXPECT_EQ(groups(by_customer),
              (groups_t{{"C-1001", 2}, {"C-1002", 1}, {"C-1003", 1}, {"", 0}}));
    const value& c1001 = at(by_customer, "groups").as_list()[0];
    EXPECT_EQ(at(c1001, "name").as_string(), "Nordfassaden GmbH");
    // The same sections as the plant's report, after group and name.
    std::vector<std::string> keys = keys_of(c1001);
    EXPECT_EQ(keys.front(), "group");
    std::vector<std::string> plant_keys = keys_of(all);
    EXPECT_EQ(std::vector<std::string>(keys.begin() + 2, keys.end()), plant_keys);
    EXPECT_EQ(num(at(c1001, "cycle_time"), "p50_ms"), 3 * day);
    EXPECT_EQ(num(at(c1001, "cycle_time"), "p90_ms"), 5 * day);
    // The plant's figures are unchanged by the breakdown.
    EXPECT_EQ(num(at(by_customer, "otif"), "delivered"), 4);
    const value& c1003 = at(by_customer, "groups").as_list()[2];
    ASSERT_EQ(at(c1003, "exceptions").as_list().size(), 1u);
    EXPECT_EQ(num(at(c1003, "credit_holds"), "count"), 1);

    EXPECT_EQ(groups(p.kpis(query(november, now, "tier"), exceptions)),
              (groups_t{{"key", 2}, {"A", 1}, {"B", 1}, {"", 0}}));
    EXPECT_EQ(groups(p.kpis(query(november, now, "salesperson"), exceptions)),
              (groups_t{{"k.ito", 2}, {"m.weber", 1}, {"", 1}}));
}

TEST(kpi, every_week_gives_a_series_of_the_same_report_within_the_window) {
    plant p;
    p.delivered_order("SO-1", "C-1001", "k.ito", d0, 2);              // delivered in W45
    p.delivered_order("SO-2", "C-1002", "k.ito", d0 + day, 8);        // W46
    p.delivered_order("SO-3", "C-1002", "m.weber", d0 + 2 * day, 9);  // W46
    const std::int64_t now = d0 + 16 * day;                           // Wednesday of W47

    // An open window runs from the week of the first fact to the week of now.
    const value k = p.kpis(query(kpi_window{}, now, "", "week"));
    EXPECT_EQ(at(k, "every").as_string(), "week");
    const auto& series = at(k, "series").as_list();
    std::vector<std::string> names;
    std::vector<std::int64_t> delivered;
    for (const auto& s : series) {
        names.push_back(at(s, "period").as_string());
        delivered.push_back(num(at(s, "otif"), "delivered"));
    }
    EXPECT_EQ(names, (std::vector<std::string>{"2026-W45", "2026-W46", "2026-W47"}));
    EXPECT_EQ(delivered, (std::vector<std::int64_t>{1, 2, 0}));
    EXPECT_EQ(num(at(series[0], "window"), "since"), d0);
    EXPECT_EQ(num(at(series[0], "window"), "until"), d0 + 7 * day);
    EXPECT_EQ(num(at(series[2], "window"), "until"), d0 + 21 * day);
    EXPECT_EQ(keys_of(series[0]).front(), "period");
    EXPECT_EQ(num(at(k, "otif"), "delivered"), 3);  // the whole window as before

    // A window cuts the series; groups get their own.
    const value w = p.kpis(query({d0 + 8 * day, d0 + 30 * day}, now, "salesperson", "week"));
    const auto& clipped = at(w, "series").as_list();
    ASSERT_EQ(clipped.size(), 2u);  // W46 from Tuesday, W47
    EXPECT_EQ(num(at(clipped[0], "window"), "since"), d0 + 8 * day);
    EXPECT_EQ(num(at(clipped[0], "otif"), "delivered"), 2);
    const auto& groups = at(w, "groups").as_list();
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(at(groups[0], "group").as_string(), "k.ito");
    const auto& ito = at(groups[0], "series").as_list();
    ASSERT_EQ(ito.size(), 2u);
    EXPECT_EQ(num(at(ito[0], "otif"), "delivered"), 1);
    EXPECT_EQ(num(at(at(groups[1], "series").as_list()[0], "otif"), "delivered"), 1);

    // No facts at all: no periods.
    EXPECT_TRUE(
        at(plant().kpis(query(kpi_window{}, now, "", "month")), "series").as_list().empty());
}

}  // namespace
}  // namespace baton
