// Tests of daemon/exceptions: the exception desk on an order engine and a fake clock. Stage SLAs
// that warn, go overdue and escalate; exceptions raised and resolved by facts; tasks; people
// acknowledging and resolving; filters; restore after a restart.
#include "exceptions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "codec.h"
#include "customers.h"
#include "desk_print.h"
#include "envelope.h"
#include "events.h"
#include "flow.h"
#include "order.h"
#include "order_engine.h"

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
using testing::make_event;
using testing::order_placed;
using testing::payment;
using testing::placed;
using testing::receivable;

constexpr std::int64_t t0 = 1795000000000;  // the fake clock starts here: 2026-11-18 11:06:40 UTC
constexpr std::int64_t minute = 60 * 1000;  // ms
constexpr std::int64_t hour = 60 * minute;  // ms
constexpr std::int64_t day = 24 * hour;     // ms

flow_def default_flow() {
    return load_flow(std::string(BATON_SOURCE_DIR) + "/config/flow.yaml");
}

// Tasks due so late that only the stage clock escalates an exception.
flow_def late_task_flow() {
    flow_def f = default_flow();
    f.task_due_us = 30LL * 86400000000;
    return f;
}

customer_book seeded_customers() {
    return customer_book(std::vector<customer>{
        {"C-1001", "Alu Fenster GmbH", "A", "credit", 50000000},
        {"C-2002", "Fassadenbau Kraus KG", "B", "prepay", 0},
        {"C-3003", "Wintergarten Nord", "key", "credit", 20000000},
        {"C-4004", "Metallbau Klein", "C", "credit", 10000000},
    });
}

// Inbound events, with data as the schemas allow it (as in relay_test.cpp).

envelope placed_promising(const std::string& id, const std::string& so,
                          const std::string& promised_date) {
    envelope e = placed(id, so);
    e.data.set("promised_date", promised_date);
    return e;
}

envelope scheduled(const std::string& id, const std::string& so,
                   const std::string& planned_finish = "2026-11-20") {
    value d;
    d.set("planned_start", "2026-11-18");
    d.set("planned_finish", planned_finish);
    d.set("line", "P2");
    return make_event("production.order.scheduled", id, so, std::move(d), "mes");
}

envelope qc_failed(const std::string& id, const std::string& so) {
    value d;
    d.set("detail", "twist over tolerance on 12 bars");
    d.set("qty", 84.0);
    d.set("unit", "kg");
    d.set("defect", "twist");
    return make_event("production.qc.failed", id, so, std::move(d), "mes");
}

// An order engine and the exception desk that watches it, fed event by event on a fake clock.
struct desk_run {
    explicit desk_run(const flow_def& flow = default_flow(),
                      customer_book book = seeded_customers())
        : engine(flow, std::move(book)), desk(flow) {}
    desk_run(const desk_run&) = delete;
    desk_run& operator=(const desk_run&) = delete;

    // Applies one event received at `at_ms`, as the daemon does; returns what the desk did.
    desk_output apply(std::int64_t at_ms, const envelope& event) {
        history.emplace_back(at_ms, event);
        std::vector<relay_message> msgs;
        const order_change change = engine.apply(++journal_seq, at_ms, event, msgs);
        desk_output out;
        desk.on_event(change, event, engine, at_ms, out);
        keep(out);
        return out;
    }
    // Lets the clock run to `at_ms`; returns what the timers did.
    desk_output tick(std::int64_t at_ms) {
        desk_output out;
        desk.on_time(at_ms, engine, out);
        keep(out);
        return out;
    }
    void keep(const desk_output& out) {
        log.exceptions.insert(log.exceptions.end(), out.exceptions.begin(), out.exceptions.end());
        log.tasks.insert(log.tasks.end(), out.tasks.begin(), out.tasks.end());
    }

    // Every exception of `order` and `kind`, whatever its state, oldest first.
    std::vector<const exception_record*> records(const std::string& order,
                                                 const std::string& kind) const {
        std::vector<const exception_record*> out;
        for (const auto& [id, e] : desk.all_exceptions())
            if (e.order == order && kind_name(e.kind) == kind) out.push_back(&e);
        return out;
    }
    // The one exception of `order` and `kind` (null, with a failure, when there is not one).
    const exception_record* only(const std::string& order, const std::string& kind) const {
        auto found = records(order, kind);
        EXPECT_EQ(found.size(), 1u) << order << " " << kind;
        return found.size() == 1 ? found.front() : nullptr;
    }
    std::vector<const task_record*> tasks_of(std::uint64_t exception_id) const {
        task_filter f;
        f.state = "all";
        std::vector<const task_record*> out;
        for (const task_record* t : desk.tasks(f))
            if (t->exception_id == exception_id) out.push_back(t);
        std::sort(out.begin(), out.end(),
                  [](const task_record* a, const task_record* b) { return a->id < b->id; });
        return out;
    }

    order_engine engine;
    exception_desk desk;
    std::int64_t journal_seq = 0;
    std::vector<std::pair<std::int64_t, envelope>> history;  // every event and when it came
    desk_output log;                                         // everything the desk did
};

// "raised stage_overdue SO-1 warning": one line per exception change, in output order.
std::vector<std::string> changes(const desk_output& out) {
    std::vector<std::string> lines;
    for (const auto& e : out.exceptions)
        lines.push_back(std::string(transition_name(e.state)) + " " + kind_name(e.record.kind) +
                        " " + e.record.order + " " + severity_name(e.record.level));
    return lines;
}

// "opened finance SO-1": one line per task change, in output order.
std::vector<std::string> task_changes(const desk_output& out) {
    std::vector<std::string> lines;
    for (const auto& t : out.tasks)
        lines.push_back(std::string(transition_name(t.state)) + " " + t.record.dept + " " +
                        t.record.order);
    return lines;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<std::string> kinds_of(const std::vector<const exception_record*>& list) {
    std::vector<std::string> out;
    for (const auto* e : list) out.push_back(e->order + " " + kind_name(e->kind));
    return out;
}

std::vector<std::uint64_t> ids_of(const std::vector<const task_record*>& list) {
    std::vector<std::uint64_t> out;
    for (const auto* t : list) out.push_back(t->id);
    return out;
}

// --- stage SLAs ---------------------------------------------------------------------------

TEST(exceptions, stage_overdue_warns_at_75_percent_then_escalates_the_same_exception) {
    desk_run run(late_task_flow());
    const std::string so = "SO-26-0001";
    EXPECT_TRUE(run.apply(t0, placed("s-1", so)).empty());

    EXPECT_TRUE(run.tick(t0 + 2 * hour + 59 * minute).empty());
    desk_output out = run.tick(t0 + 3 * hour);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised stage_overdue " + so + " warning"}));
    EXPECT_TRUE(out.tasks.empty());  // a warning asks nobody to act yet
    const exception_record warned = out.exceptions[0].record;
    EXPECT_EQ(warned.dept, "finance");
    EXPECT_EQ(warned.customer, "C-1001");
    EXPECT_EQ(warned.stage, "credit_review");
    EXPECT_EQ(warned.state, exception_state::open);
    EXPECT_EQ(warned.raised_ms, t0 + 3 * hour);
    EXPECT_EQ(warned.detail,
              so + " has been in credit_review for 3h; SLA 4h (75% used); holder finance");

    EXPECT_TRUE(run.tick(t0 + 4 * hour - 1).empty());
    out = run.tick(t0 + 4 * hour);
    ASSERT_EQ(changes(out),
              (std::vector<std::string>{"escalated stage_overdue " + so + " medium"}));
    const exception_record& overdue = out.exceptions[0].record;
    EXPECT_EQ(overdue.id, warned.id);
    EXPECT_EQ(overdue.step, 1);
    EXPECT_EQ(overdue.detail, so + " has been in credit_review for 4h; SLA 4h; holder finance");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened finance " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "finance: move " + so + " out of credit_review");
    EXPECT_EQ(out.tasks[0].record.exception_id, warned.id);
    EXPECT_EQ(out.tasks[0].record.opened_ms, t0 + 4 * hour);

    EXPECT_TRUE(run.tick(t0 + 8 * hour - 1).empty());
    out = run.tick(t0 + 8 * hour);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"escalated stage_overdue " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.id, warned.id);
    EXPECT_EQ(out.exceptions[0].record.detail,
              so + " has been in credit_review for 8h; SLA 4h; holder finance");
    EXPECT_TRUE(out.tasks.empty());  // the holder was asked once
    EXPECT_EQ(run.desk.open_exceptions(), 1u);
    EXPECT_EQ(run.desk.open_tasks(), 1u);
}

TEST(exceptions, stage_overdue_is_one_exception_and_resolves_itself_when_the_stage_moves_on) {
    desk_run run;
    const std::string so = "SO-26-0002";
    run.apply(t0, placed("s-1", so));
    run.tick(t0 + 3 * hour);
    run.tick(t0 + 3 * hour + 30 * minute);
    run.tick(t0 + 4 * hour);
    const exception_record* e = run.only(so, "stage_overdue");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(changes(run.log), (std::vector<std::string>{
                                    "raised stage_overdue " + so + " warning",
                                    "escalated stage_overdue " + so + " medium",
                                }));
    ASSERT_EQ(run.tasks_of(e->id).size(), 1u);
    const std::uint64_t task_id = run.tasks_of(e->id)[0]->id;

    desk_output out = run.apply(t0 + 5 * hour, credit_approved("f-1", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved stage_overdue " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].cause, "f-1");
    EXPECT_EQ(e->state, exception_state::resolved);
    EXPECT_EQ(e->by, "baton");
    EXPECT_EQ(e->note, "moved on to scheduling");
    EXPECT_EQ(e->resolved_ms, t0 + 5 * hour);
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"done finance " + so}));
    EXPECT_EQ(out.tasks[0].record.id, task_id);
    EXPECT_EQ(out.tasks[0].record.note, "moved on to scheduling");
    EXPECT_EQ(run.desk.open_exceptions(), 0u);
    EXPECT_EQ(run.desk.open_tasks(), 0u);

    // The old stage's escalation and the closed task's due time pass without a word; the new
    // stage (scheduling, 24h) warns only at 18h into it.
    EXPECT_TRUE(run.tick(t0 + 8 * hour).empty());
    EXPECT_TRUE(run.tick(t0 + 5 * hour + 18 * hour - 1).empty());
    out = run.tick(t0 + 5 * hour + 18 * hour);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised stage_overdue " + so + " warning"}));
    EXPECT_NE(out.exceptions[0].record.id, e->id);
    EXPECT_EQ(out.exceptions[0].record.stage, "scheduling");
    EXPECT_EQ(out.exceptions[0].record.dept, "production");
}

TEST(exceptions, payment_stage_overdue_is_payment_overdue_with_tasks_for_finance_and_sales) {
    desk_run run;
    const std::string so = "SO-26-0003";
    run.apply(t0, placed("s-1", so, "C-2002", "prepay"));
    run.apply(t0 + 1 * hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    run.apply(t0 + 3 * hour, completed("p-2", so));
    ASSERT_EQ(run.engine.find(so)->stage, "payment");

    const std::int64_t deadline = t0 + 3 * hour + 3 * day;
    desk_output out = run.tick(deadline - 1);
    EXPECT_EQ(changes(out),
              (std::vector<std::string>{"raised payment_overdue " + so + " warning"}));
    out = run.tick(deadline);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"escalated payment_overdue " + so + " low"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "finance");
    EXPECT_EQ(out.exceptions[0].record.stage, "payment");
    ASSERT_EQ(task_changes(out),
              (std::vector<std::string>{"opened finance " + so, "opened sales " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "finance: chase the payment for " + so);
    EXPECT_EQ(out.tasks[1].record.action, "sales: ask C-2002 to pay " + so);
    EXPECT_TRUE(run.records(so, "stage_overdue").empty());

    out = run.apply(deadline + hour, payment("f-2", so, 1843000));
    EXPECT_EQ(changes(out), (std::vector<std::string>{"resolved payment_overdue " + so + " low"}));
    EXPECT_EQ(out.exceptions[0].record.note, "moved on to shipping");
    EXPECT_EQ(task_changes(out),
              (std::vector<std::string>{"done finance " + so, "done sales " + so}));
}

TEST(exceptions, die_preparation_overdue_is_die_overdue_for_production) {
    desk_run run;
    const std::string so = "SO-26-0004";
    run.apply(t0, placed("s-1", so, "C-1001", "credit", true));
    run.apply(t0 + hour, credit_approved("f-1", so));
    ASSERT_EQ(run.engine.find(so)->stage, "die_preparation");

    EXPECT_TRUE(run.tick(t0 + hour + 7 * day).empty());  // 70% of 10d
    EXPECT_EQ(changes(run.tick(t0 + hour + 7 * day + 12 * hour)),
              (std::vector<std::string>{"raised die_overdue " + so + " warning"}));
    desk_output out = run.tick(t0 + hour + 10 * day);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"escalated die_overdue " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "production");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened production " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "production: get the die for " + so + " ready");
    EXPECT_TRUE(run.records(so, "stage_overdue").empty());
}

TEST(exceptions, invoicing_overdue_is_invoice_missing_for_finance) {
    desk_run run;
    const std::string so = "SO-26-0005";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + 1 * hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    run.apply(t0 + 3 * hour, completed("p-2", so));
    run.apply(t0 + 4 * hour, dispatched("l-1", so));
    run.apply(t0 + 5 * hour, delivered("l-2", so));
    ASSERT_EQ(run.engine.find(so)->stage, "invoicing");
    EXPECT_TRUE(run.log.empty());

    desk_output out = run.tick(t0 + 5 * hour + 7 * day);
    // Both steps were due: the overdue comes straight away, without a warning first.
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised invoice_missing " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "finance");
    EXPECT_EQ(out.exceptions[0].record.detail,
              so + " has been in invoicing for 7d; SLA 7d; holder finance");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened finance " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "finance: invoice " + so);

    out = run.apply(t0 + 8 * day, invoiced("f-2", so));
    EXPECT_EQ(changes(out),
              (std::vector<std::string>{"resolved invoice_missing " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.note, "moved on to closed");
}

TEST(exceptions, production_deadline_counts_from_planned_finish_not_from_entry) {
    desk_run run;
    const std::string so = "SO-26-0006";
    const std::int64_t entered = t0 + 2 * hour;
    const std::int64_t deadline = 1795305600000;  // 2026-11-22 00:00 UTC: finish 11-20 + 1d + 1d
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_approved("f-1", so));
    run.apply(entered, scheduled("p-1", so, "2026-11-20"));
    ASSERT_EQ(run.engine.find(so)->stage, "production");

    EXPECT_TRUE(run.tick(entered + day).empty());  // a 1d SLA from entry would be overdue here
    desk_output out = run.tick(deadline - 1);
    EXPECT_EQ(changes(out), (std::vector<std::string>{"raised stage_overdue " + so + " warning"}));
    out = run.tick(deadline);
    ASSERT_EQ(changes(out),
              (std::vector<std::string>{"escalated stage_overdue " + so + " medium"}));
    EXPECT_EQ(
        out.exceptions[0].record.detail,
        so + " has been in production for 3d10h; due 2026-11-22 00:00 UTC; holder production");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened production " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "production: move " + so + " out of production");
}

TEST(exceptions, late_scheduled_production_escalates_with_time_not_all_at_once) {
    desk_run run(late_task_flow());
    const std::string so = "SO-26-0007";
    const std::int64_t deadline = 1795305600000 - 4 * day;  // 2026-11-18 00:00 UTC, already past
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so, "2026-11-16"));
    ASSERT_LT(deadline, t0);

    // Overdue from the start: raised at the tier's severity, then one level per SLA (1d).
    desk_output out = run.tick(t0 + 2 * hour);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised stage_overdue " + so + " medium"}));
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"opened production " + so}));
    EXPECT_TRUE(run.tick(deadline + day - 1).empty());
    EXPECT_EQ(changes(run.tick(deadline + day)),
              (std::vector<std::string>{"escalated stage_overdue " + so + " high"}));
}

// --- severity ------------------------------------------------------------------------------

TEST(exceptions, overdue_severity_follows_the_customer_tier) {
    desk_run run(late_task_flow());
    run.apply(t0, placed("s-1", "SO-KEY", "C-3003"));
    run.apply(t0, placed("s-2", "SO-A", "C-1001"));
    run.apply(t0, placed("s-3", "SO-B", "C-2002"));
    run.apply(t0, placed("s-4", "SO-C", "C-4004"));
    run.tick(t0 + 3 * hour);
    for (const char* so : {"SO-KEY", "SO-A", "SO-B", "SO-C"}) {
        const exception_record* e = run.only(so, "stage_overdue");
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->level, severity::warning) << so;  // a warning is a warning for everyone
    }
    run.tick(t0 + 4 * hour);
    EXPECT_EQ(run.only("SO-KEY", "stage_overdue")->level, severity::high);
    EXPECT_EQ(run.only("SO-A", "stage_overdue")->level, severity::medium);
    EXPECT_EQ(run.only("SO-B", "stage_overdue")->level, severity::low);
    EXPECT_EQ(run.only("SO-C", "stage_overdue")->level, severity::low);
    // Most severe first: the key account heads the list.
    const auto open = run.desk.exceptions(exception_filter{});
    ASSERT_EQ(open.size(), 4u);
    EXPECT_EQ(open[0]->order, "SO-KEY");
    EXPECT_EQ(open[1]->order, "SO-A");
}

TEST(exceptions, escalation_raises_severity_with_time_up_to_critical_then_stops) {
    desk_run run(late_task_flow());
    run.apply(t0, placed("s-1", "SO-B", "C-2002"));
    run.apply(t0, placed("s-2", "SO-KEY", "C-3003"));
    run.tick(t0 + 3 * hour);
    const std::vector<std::pair<std::int64_t, std::string>> expected = {
        {4, "low"}, {8, "medium"}, {12, "high"}, {16, "critical"}};
    for (const auto& [hours, level] : expected) {
        SCOPED_TRACE(std::to_string(hours) + "h");
        desk_output out = run.tick(t0 + hours * hour);
        std::vector<std::string> want = {"escalated stage_overdue SO-B " + level};
        if (hours == 4) want.push_back("escalated stage_overdue SO-KEY high");
        if (hours == 8) want.push_back("escalated stage_overdue SO-KEY critical");
        EXPECT_EQ(sorted(changes(out)), sorted(want));
    }
    // Critical is the top: no further timer for either stage, nothing more however long it waits.
    // What remains pending: each order's promised date and each one's task.
    EXPECT_EQ(run.desk.pending_timers(), 4u);
    EXPECT_TRUE(run.tick(t0 + 10 * day).empty());
    EXPECT_EQ(run.only("SO-B", "stage_overdue")->level, severity::critical);
    EXPECT_EQ(run.only("SO-KEY", "stage_overdue")->level, severity::critical);
}

// --- exceptions raised by facts ------------------------------------------------------------

TEST(exceptions, credit_rejection_raises_credit_hold_with_tasks_until_credit_approved) {
    desk_run run;
    const std::string so = "SO-26-0010";
    run.apply(t0, placed("s-1", so));
    desk_output out = run.apply(t0 + hour, credit_rejected("f-1", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised credit_hold " + so + " medium"}));
    const exception_record hold = out.exceptions[0].record;  // a copy: `out` is reused below
    EXPECT_EQ(hold.dept, "finance");
    EXPECT_EQ(hold.customer, "C-1001");
    EXPECT_EQ(out.exceptions[0].cause, "f-1");
    EXPECT_EQ(hold.detail, so + " is on credit hold: three invoices more than 60 days overdue");
    ASSERT_EQ(task_changes(out),
              (std::vector<std::string>{"opened finance " + so, "opened sales " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "finance: review the credit hold on " + so);
    EXPECT_EQ(out.tasks[0].record.due_ms, t0 + hour + 4 * hour);
    EXPECT_EQ(out.tasks[1].record.action, "sales: talk to C-1001 about the credit hold on " + so);

    EXPECT_TRUE(run.apply(t0 + 2 * hour, credit_rejected("f-2", so)).empty());  // still on hold

    out = run.apply(t0 + 2 * hour + 30 * minute, credit_approved("f-3", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved credit_hold " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.id, hold.id);
    EXPECT_EQ(out.exceptions[0].record.note, "credit approved");
    EXPECT_EQ(task_changes(out),
              (std::vector<std::string>{"done finance " + so, "done sales " + so}));
    EXPECT_EQ(run.desk.open_tasks(), 0u);
}

TEST(exceptions, auto_credit_over_the_limit_raises_credit_hold_at_placement) {
    flow_def f = default_flow();
    f.auto_credit = true;
    desk_run run(f);
    EXPECT_TRUE(run.apply(t0, receivable("f-0", "C-1001", 49000000)).empty());

    desk_output out = run.apply(t0 + minute, placed("s-1", "SO-OVER", "C-1001"));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised credit_hold SO-OVER medium"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "finance");
    EXPECT_EQ(out.exceptions[0].record.detail,
              "SO-OVER waits on a credit hold: over the credit limit of C-1001: exposure "
              "508430.00, limit 500000.00");
    EXPECT_EQ(task_changes(out),
              (std::vector<std::string>{"opened finance SO-OVER", "opened sales SO-OVER"}));
    EXPECT_EQ(run.engine.find("SO-OVER")->stage, "credit_review");

    // Within its limit a key account is approved by the daemon itself: nothing to raise.
    EXPECT_TRUE(run.apply(t0 + 2 * minute, placed("s-2", "SO-WITHIN", "C-3003")).empty());
    EXPECT_EQ(run.engine.find("SO-WITHIN")->stage, "scheduling");
}

TEST(exceptions, qc_failure_raises_qc_failed_until_production_completes) {
    desk_run run;
    const std::string so = "SO-26-0011";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    desk_output out = run.apply(t0 + 3 * hour, qc_failed("p-2", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised qc_failed " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "production");
    EXPECT_EQ(out.exceptions[0].record.detail,
              so + " failed quality control: twist over tolerance on 12 bars");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened production " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "production: decide rework or re-run of " + so);
    EXPECT_TRUE(run.apply(t0 + 4 * hour, qc_failed("p-3", so)).empty());  // still the same one

    out = run.apply(t0 + 5 * hour, completed("p-4", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved qc_failed " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.note, "production completed");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done production " + so}));
}

TEST(exceptions, failed_delivery_raises_delivery_failed_until_delivered) {
    desk_run run;
    const std::string so = "SO-26-0012";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + 1 * hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    run.apply(t0 + 3 * hour, completed("p-2", so));
    run.apply(t0 + 4 * hour, dispatched("l-1", so));
    desk_output out = run.apply(t0 + 5 * hour, delivery_failed("l-2", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised delivery_failed " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "logistics");
    EXPECT_EQ(out.exceptions[0].record.detail,
              "delivery of " + so + " shipment DN-l-1 failed: site closed, nobody to unload");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened logistics " + so}));
    EXPECT_EQ(out.tasks[0].record.action,
              "logistics: re-plan the delivery of " + so + " shipment DN-l-1 with C-1001");

    // Dispatched again: not delivered yet, so it stays.
    EXPECT_TRUE(changes(run.apply(t0 + 6 * hour, dispatched("l-3", so))).empty());
    out = run.apply(t0 + 7 * hour, delivered("l-4", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved delivery_failed " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.note, "delivered");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done logistics " + so}));
}

TEST(exceptions, dispatch_before_production_is_out_of_sequence_until_produced) {
    desk_run run;
    const std::string so = "SO-26-0013";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + 1 * hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    desk_output out = run.apply(t0 + 3 * hour, dispatched("l-1", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised out_of_sequence " + so + " low"}));
    const exception_record* e = run.only(so, "out_of_sequence");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->dept, "logistics");
    EXPECT_EQ(e->detail, so + ": dispatched before production was completed "
                              "(logistics.shipment.dispatched l-1)");
    EXPECT_EQ(e->resolve_on, (std::vector<std::string>{"produced"}));
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened logistics " + so}));
    EXPECT_EQ(out.tasks[0].record.action,
              "logistics: check logistics.shipment.dispatched l-1 on " + so);
    // What the store gets (the output) knows what clears it, so a restart keeps that.
    EXPECT_EQ(out.exceptions[0].record.resolve_on, (std::vector<std::string>{"produced"}));

    out = run.apply(t0 + 4 * hour, completed("p-2", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved out_of_sequence " + so + " low"}));
    EXPECT_EQ(e->note, "the missing facts arrived");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done logistics " + so}));
}

TEST(exceptions, fact_after_cancellation_is_out_of_sequence_that_only_a_person_resolves) {
    desk_run run;
    const std::string so = "SO-26-0014";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, cancelled("s-2", so, "customer withdrew"));
    desk_output out = run.apply(t0 + 2 * hour, credit_approved("f-1", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised out_of_sequence " + so + " low"}));
    const exception_record* e = run.only(so, "out_of_sequence");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->dept, "finance");
    EXPECT_EQ(e->detail, so + ": finance.credit.approved arrived after the order was cancelled "
                              "(finance.credit.approved f-1)");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"opened finance " + so}));

    // Further facts raise nothing new and clear nothing: the same exception stays open.
    EXPECT_TRUE(changes(run.apply(t0 + 3 * hour, scheduled("p-1", so))).empty());
    EXPECT_TRUE(changes(run.apply(t0 + 4 * hour, completed("p-2", so))).empty());
    run.tick(t0 + 3 * day);
    EXPECT_EQ(e->state, exception_state::open);
    EXPECT_EQ(run.records(so, "out_of_sequence").size(), 1u);

    out = desk_output{};
    std::string error;
    ASSERT_TRUE(run.desk.resolve(e->id, "a.lead", "MES booked on the wrong order", t0 + 3 * day,
                                 out, error))
        << error;
    EXPECT_EQ(changes(out), (std::vector<std::string>{"resolved out_of_sequence " + so + " " +
                                                      severity_name(e->level)}));
    EXPECT_EQ(e->state, exception_state::resolved);
    EXPECT_EQ(e->by, "a.lead");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done finance " + so}));
    EXPECT_EQ(out.tasks[0].record.by, "a.lead");
}

TEST(exceptions, event_for_an_order_never_placed_is_unknown_order_until_placed) {
    desk_run run;
    const std::string so = "SO-26-0015";
    desk_output out = run.apply(t0, credit_approved("f-1", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised unknown_order " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "sales");
    EXPECT_EQ(out.exceptions[0].record.customer, "");
    EXPECT_EQ(out.exceptions[0].record.detail,
              so + ": finance.credit.approved from finance-erp arrived but sales never placed "
                   "this order");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened sales " + so}));
    EXPECT_EQ(out.tasks[0].record.action,
              "sales: enter order " + so + " or have finance-erp correct the order id");
    EXPECT_TRUE(run.apply(t0 + hour, scheduled("p-1", so)).empty());  // one is enough

    out = run.apply(t0 + 2 * hour, placed("s-1", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved unknown_order " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.note, "the order was placed");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done sales " + so}));
    EXPECT_EQ(run.desk.open_exceptions(), 0u);
}

TEST(exceptions, cancelling_an_order_never_placed_resolves_unknown_order_as_cancelled) {
    desk_run run;
    const std::string so = "SO-26-0024";
    run.apply(t0, credit_approved("f-1", so));
    desk_output out = run.apply(t0 + hour, cancelled("s-1", so, "entered by mistake"));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved unknown_order " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.note, "order cancelled");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done sales " + so}));
}

TEST(exceptions, delivery_at_risk_when_the_plan_misses_the_promise_until_rescheduled_earlier) {
    desk_run run;
    const std::string so = "SO-26-0016";
    run.apply(t0, placed_promising("s-1", so, "2026-11-23"));
    run.apply(t0 + hour, credit_approved("f-1", so));
    // Finish 11-20, then shipping 24h and in_transit 3d: 11-25 00:00, after the promised day.
    desk_output out = run.apply(t0 + 2 * hour, scheduled("p-1", so, "2026-11-20"));
    ASSERT_EQ(changes(out),
              (std::vector<std::string>{"raised delivery_at_risk " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "production");
    EXPECT_EQ(out.exceptions[0].record.detail,
              so + " may miss its promised date 2026-11-23: planned finish 2026-11-20, then "
                   "shipping 1d, then in_transit 3d gives 2026-11-25 00:00 UTC");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened sales " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "sales: agree a new date with C-1001 or expedite " + so);

    // Rescheduled a day later still misses: the same exception, not a second one.
    EXPECT_TRUE(run.apply(t0 + 3 * hour, scheduled("p-2", so, "2026-11-21")).empty());
    // A day earlier than first planned it fits: 11-24 00:00, the end of the promised day.
    out = run.apply(t0 + 4 * hour, scheduled("p-3", so, "2026-11-19"));
    ASSERT_EQ(changes(out),
              (std::vector<std::string>{"resolved delivery_at_risk " + so + " medium"}));
    EXPECT_EQ(out.exceptions[0].record.note, "the plan meets the promised date again");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done sales " + so}));
}

TEST(exceptions, delivery_at_risk_is_not_raised_when_the_plan_just_fits) {
    desk_run run;
    const std::string so = "SO-26-0017";
    run.apply(t0, placed_promising("s-1", so, "2026-11-24"));
    run.apply(t0 + hour, credit_approved("f-1", so));
    // Finish 11-20 + shipping + in_transit = 11-25 00:00: the very end of the promised day.
    EXPECT_TRUE(run.apply(t0 + 2 * hour, scheduled("p-1", so, "2026-11-20")).empty());
    EXPECT_TRUE(run.records(so, "delivery_at_risk").empty());
    // One day later does not fit.
    EXPECT_EQ(changes(run.apply(t0 + 3 * hour, scheduled("p-2", so, "2026-11-21"))),
              (std::vector<std::string>{"raised delivery_at_risk " + so + " medium"}));
}

TEST(exceptions, delivery_late_when_the_promised_day_ends_undelivered_until_delivered) {
    desk_run run;
    const std::string so = "SO-26-0018";
    const std::int64_t promise_end = 1795564800000;  // 2026-11-25 00:00 UTC
    run.apply(t0, placed_promising("s-1", so, "2026-11-24"));
    run.apply(t0 + 1 * hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so, "2026-11-19"));
    run.apply(t0 + 1 * day, completed("p-2", so));
    run.apply(t0 + 2 * day, dispatched("l-1", so));
    ASSERT_EQ(run.engine.find(so)->stage, "in_transit");

    run.tick(promise_end - 1);
    EXPECT_TRUE(run.records(so, "delivery_late").empty());
    desk_output out = run.tick(promise_end);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised delivery_late " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.dept, "logistics");
    EXPECT_EQ(out.exceptions[0].record.detail,
              so + " was promised for 2026-11-24 and is not delivered; it is in in_transit, "
                   "holder logistics");
    ASSERT_EQ(task_changes(out),
              (std::vector<std::string>{"opened sales " + so, "opened logistics " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "sales: tell C-1001 when " + so + " will arrive");
    EXPECT_EQ(out.tasks[1].record.action, "logistics: deliver " + so + " as soon as possible");

    out = run.apply(promise_end + 5 * hour, delivered("l-2", so));
    const exception_record* late = run.only(so, "delivery_late");
    ASSERT_NE(late, nullptr);
    EXPECT_EQ(late->state, exception_state::resolved);
    EXPECT_EQ(late->note, "delivered");
    for (const task_record* t : run.tasks_of(late->id))
        EXPECT_EQ(t->state, task_state::done) << t->action;
}

TEST(exceptions, two_stage_changes_in_one_millisecond_leave_no_stale_timer_behind) {
    desk_run run;
    const std::string so = "SO-26-0032";
    run.apply(t0, placed("s-1", so));           // credit_review: warning timer at 3h
    run.apply(t0, credit_approved("f-1", so));  // same millisecond: scheduling, SLA 24h
    ASSERT_EQ(run.engine.find(so)->stage, "scheduling");
    EXPECT_TRUE(run.tick(t0 + 3 * hour).empty()) << "the credit_review timer judged scheduling";
    desk_output out = run.tick(t0 + 18 * hour);  // 75 % of scheduling's 24h
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised stage_overdue " + so + " warning"}));
}

TEST(exceptions, a_new_promised_date_ahead_settles_delivery_late) {
    desk_run run;
    const std::string so = "SO-26-0030";
    const std::int64_t promise_end = 1795564800000;  // 2026-11-25 00:00 UTC
    run.apply(t0, placed_promising("s-1", so, "2026-11-24"));
    run.tick(promise_end);
    ASSERT_NE(run.only(so, "delivery_late"), nullptr);
    value change;
    change.set("promised_date", "2026-12-10");
    change.set("reason", "customer agreed a new date");
    desk_output out = run.apply(promise_end + hour,
                                make_event("sales.order.amended", "s-2", so, change, "sales-erp"));
    const exception_record* late = run.only(so, "delivery_late");
    ASSERT_NE(late, nullptr);
    EXPECT_EQ(late->state, exception_state::resolved);
    EXPECT_EQ(late->note, "promised date moved to 2026-12-10");
}

TEST(exceptions, two_tasks_overdue_together_raise_their_exception_once) {
    desk_run run;
    const std::string so = "SO-26-0031";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_rejected("f-1", so));  // credit_hold, medium, two tasks due +4h
    desk_output out = run.tick(t0 + 5 * hour);
    std::vector<std::string> escalations;
    for (const auto& e : out.exceptions)
        if (e.record.kind == exception_kind::credit_hold)
            escalations.push_back(transition_name(e.state));
    EXPECT_EQ(escalations, (std::vector<std::string>{"escalated"}));
    EXPECT_EQ(run.only(so, "credit_hold")->level, severity::high);
    int escalated_tasks = 0;
    for (const auto& t : out.tasks)
        escalated_tasks += t.state == task_transition::escalated ? 1 : 0;
    EXPECT_EQ(escalated_tasks, 2);
}

TEST(exceptions, complaint_open_past_its_sla_is_case_overdue_until_the_case_is_closed) {
    desk_run run;
    const std::string so = "SO-26-0019";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + 1 * hour, credit_approved("f-1", so));
    run.apply(t0 + 2 * hour, scheduled("p-1", so));
    run.apply(t0 + 3 * hour, completed("p-2", so));
    run.apply(t0 + 4 * hour, dispatched("l-1", so));
    run.apply(t0 + 5 * hour, delivered("l-2", so));
    run.apply(t0 + 6 * hour, invoiced("f-2", so));
    ASSERT_EQ(run.engine.find(so)->stage, "closed");

    const std::int64_t filed = t0 + 1 * day;
    EXPECT_TRUE(run.apply(filed, complaint("s-2", so, "CASE-77")).empty());
    EXPECT_TRUE(run.tick(filed + 4 * day).empty());
    EXPECT_TRUE(run.tick(filed + 5 * day - 1).empty());
    desk_output out = run.tick(filed + 5 * day);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised case_overdue " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.scope, "CASE-77");
    EXPECT_EQ(out.exceptions[0].record.dept, "production");
    EXPECT_EQ(out.exceptions[0].record.detail,
              "case CASE-77 (complaint) on " + so +
                  " has been open for 5d; anodising streaks on 40 bars of D-4411");
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened production " + so}));
    EXPECT_EQ(out.tasks[0].record.action, "production: answer case CASE-77 on " + so);

    out = run.apply(filed + 6 * day, case_resolved("p-3", so, "CASE-77"));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved case_overdue " + so + " high"}));
    EXPECT_EQ(out.exceptions[0].record.note, "case closed: bars re-anodised and sent again");
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done production " + so}));
}

TEST(exceptions, feed_gap_is_one_exception_per_source_and_a_repeat_escalates_it) {
    desk_run run;
    desk_output out;
    run.desk.on_feed_gap("mes", "production.order.started", 41, 44, t0, out);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised feed_gap  medium"}));
    const exception_record first = out.exceptions[0].record;
    EXPECT_EQ(first.dept, "production");
    EXPECT_EQ(first.scope, "mes");
    EXPECT_EQ(first.detail, "events from mes were lost: expected seq 41, got 44 (3 missing)");

    out = desk_output{};
    run.desk.on_feed_gap("mes", "production.qc.failed", 90, 91, t0 + hour, out);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"escalated feed_gap  medium"}));
    EXPECT_EQ(out.exceptions[0].record.id, first.id);
    // The latest gap replaces the detail, so a flapping source cannot grow it without end.
    EXPECT_EQ(out.exceptions[0].record.detail,
              "again: events from mes were lost: expected seq 90, got 91 (1 missing)");

    out = desk_output{};
    run.desk.on_feed_gap("tms", "logistics.shipment.dispatched", 7, 9, t0 + hour, out);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised feed_gap  medium"}));
    EXPECT_NE(out.exceptions[0].record.id, first.id);
    EXPECT_EQ(out.exceptions[0].record.dept, "logistics");
    exception_filter gaps;
    gaps.kind = "feed_gap";
    EXPECT_EQ(run.desk.exceptions(gaps).size(), 2u);
}

TEST(exceptions, cancelling_resolves_every_open_exception_of_the_order) {
    desk_run run;
    run.apply(t0, placed("s-1", "SO-1"));
    run.apply(t0, placed("s-2", "SO-2"));
    run.apply(t0 + hour, credit_rejected("f-1", "SO-1"));
    run.apply(t0 + hour, credit_rejected("f-2", "SO-2"));
    run.apply(t0 + 2 * hour, qc_failed("p-1", "SO-1"));
    run.tick(t0 + 3 * hour);
    run.tick(t0 + 4 * hour);
    exception_filter of_so1;
    of_so1.order = "SO-1";
    ASSERT_EQ(run.desk.exceptions(of_so1).size(), 3u);  // credit_hold, qc_failed, stage_overdue
    task_filter tasks_so1;
    tasks_so1.order = "SO-1";
    ASSERT_EQ(run.desk.tasks(tasks_so1).size(), 4u);

    desk_output out = run.apply(t0 + 4 * hour + minute, cancelled("s-3", "SO-1", "withdrawn"));
    EXPECT_EQ(sorted(changes(out)), (std::vector<std::string>{
                                        "resolved credit_hold SO-1 medium",
                                        "resolved qc_failed SO-1 high",
                                        "resolved stage_overdue SO-1 medium",
                                    }));
    for (const auto& ev : out.exceptions) {
        EXPECT_EQ(ev.record.note, "order cancelled") << kind_name(ev.record.kind);
        EXPECT_EQ(ev.cause, "s-3");
    }
    EXPECT_EQ(out.tasks.size(), 4u);
    for (const auto& ev : out.tasks) EXPECT_EQ(ev.state, task_transition::done) << ev.record.action;
    EXPECT_TRUE(run.desk.exceptions(of_so1).empty());
    EXPECT_TRUE(run.desk.tasks(tasks_so1).empty());

    // SO-2 is untouched, and nothing more is heard of SO-1.
    exception_filter of_so2;
    of_so2.order = "SO-2";
    EXPECT_EQ(run.desk.exceptions(of_so2).size(), 2u);
    out = run.tick(t0 + 2 * day);
    for (const auto& ev : out.exceptions)
        EXPECT_NE(ev.record.order, "SO-1") << transition_name(ev.state);
    for (const auto& ev : out.tasks)
        EXPECT_NE(ev.record.order, "SO-1") << transition_name(ev.state);
}

// --- tasks ---------------------------------------------------------------------------------

TEST(exceptions, task_done_by_a_person_and_refused_when_unknown_or_already_done) {
    desk_run run;
    const std::string so = "SO-26-0020";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_rejected("f-1", so));
    const exception_record* hold = run.only(so, "credit_hold");
    ASSERT_NE(hold, nullptr);
    const auto tasks = run.tasks_of(hold->id);
    ASSERT_EQ(tasks.size(), 2u);
    const std::uint64_t finance_task = tasks[0]->id, sales_task = tasks[1]->id;

    desk_output out;
    std::string error;
    ASSERT_TRUE(run.desk.task_done(finance_task, "j.meyer", "limit raised to 80k", t0 + 2 * hour,
                                   out, error))
        << error;
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"done finance " + so}));
    EXPECT_EQ(tasks[0]->state, task_state::done);
    EXPECT_EQ(tasks[0]->by, "j.meyer");
    EXPECT_EQ(tasks[0]->note, "limit raised to 80k");
    EXPECT_EQ(tasks[0]->closed_ms, t0 + 2 * hour);
    EXPECT_TRUE(out.exceptions.empty());
    EXPECT_EQ(hold->state, exception_state::open);  // a task done is not the exception resolved
    EXPECT_EQ(run.desk.open_tasks(), 1u);

    out = desk_output{};
    EXPECT_FALSE(run.desk.task_done(finance_task, "j.meyer", "", t0 + 2 * hour, out, error));
    EXPECT_EQ(error, "task " + task_id_text(finance_task) + " is already done");
    EXPECT_FALSE(run.desk.task_done(999, "j.meyer", "", t0 + 2 * hour, out, error));
    EXPECT_EQ(error, "task T-999 is not known");
    EXPECT_TRUE(out.empty());

    // At the due time only the task still open escalates.
    out = run.tick(t0 + 5 * hour);
    std::vector<std::uint64_t> escalated;
    for (const auto& t : out.tasks)
        if (t.state == task_transition::escalated) escalated.push_back(t.record.id);
    EXPECT_EQ(escalated, (std::vector<std::uint64_t>{sales_task}));
}

TEST(exceptions, overdue_task_escalates_and_raises_its_exception_one_level) {
    desk_run run;
    const std::string so = "SO-26-0021";
    run.apply(t0, credit_approved("f-1", so));  // unknown_order: medium, one task for sales
    const exception_record* e = run.only(so, "unknown_order");
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(run.tasks_of(e->id).size(), 1u);
    const task_record* task = run.tasks_of(e->id)[0];
    EXPECT_EQ(task->due_ms, t0 + 4 * hour);

    EXPECT_TRUE(run.tick(t0 + 4 * hour - 1).empty());
    desk_output out = run.tick(t0 + 4 * hour);
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"escalated sales " + so}));
    EXPECT_EQ(task->state, task_state::escalated);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"escalated unknown_order " + so + " high"}));
    EXPECT_EQ(e->detail, so +
                             ": finance.credit.approved from finance-erp arrived but sales never "
                             "placed this order; task " +
                             task_id_text(task->id) + " overdue");

    task_filter escalated;
    escalated.state = "escalated";
    EXPECT_EQ(ids_of(run.desk.tasks(escalated)), (std::vector<std::uint64_t>{task->id}));
    EXPECT_EQ(ids_of(run.desk.tasks(task_filter{})), (std::vector<std::uint64_t>{task->id}));
    EXPECT_TRUE(run.tick(t0 + 2 * day).empty());  // escalated once, not again and again

    // The answering event still closes an escalated task.
    out = run.apply(t0 + 2 * day, placed("s-1", so));
    EXPECT_EQ(task_changes(out), (std::vector<std::string>{"done sales " + so}));
    EXPECT_EQ(task->state, task_state::done);
}

// --- people --------------------------------------------------------------------------------

TEST(exceptions, acknowledge_records_who_and_why_and_is_refused_twice_or_once_resolved) {
    desk_run run;
    const std::string so = "SO-26-0022";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_rejected("f-1", so));
    const exception_record* hold = run.only(so, "credit_hold");
    ASSERT_NE(hold, nullptr);

    desk_output out;
    std::string error;
    ASSERT_TRUE(
        run.desk.acknowledge(hold->id, "a.lead", "calling the customer", t0 + 2 * hour, out, error))
        << error;
    ASSERT_EQ(changes(out),
              (std::vector<std::string>{"acknowledged credit_hold " + so + " medium"}));
    EXPECT_EQ(hold->state, exception_state::acknowledged);
    EXPECT_EQ(hold->by, "a.lead");
    EXPECT_EQ(hold->note, "calling the customer");
    EXPECT_EQ(hold->updated_ms, t0 + 2 * hour);

    out = desk_output{};
    EXPECT_FALSE(run.desk.acknowledge(hold->id, "b.lead", "", t0 + 3 * hour, out, error));
    EXPECT_EQ(error, "exception " + exception_id_text(hold->id) +
                         " was already acknowledged by "
                         "a.lead");
    EXPECT_EQ(hold->by, "a.lead");
    EXPECT_FALSE(run.desk.acknowledge(404, "b.lead", "", t0 + 3 * hour, out, error));
    EXPECT_EQ(error, "exception E-404 is not known");
    EXPECT_TRUE(out.empty());

    // Acknowledged still counts as open: no second hold, and it still resolves itself.
    EXPECT_TRUE(run.apply(t0 + 3 * hour, credit_rejected("f-2", so)).empty());
    out = run.apply(t0 + 4 * hour, credit_approved("f-3", so));
    EXPECT_EQ(hold->state, exception_state::resolved);
    EXPECT_EQ(hold->by, "baton");
    out = desk_output{};
    EXPECT_FALSE(run.desk.acknowledge(hold->id, "a.lead", "", t0 + 5 * hour, out, error));
    EXPECT_EQ(error, "exception " + exception_id_text(hold->id) + " is already resolved");
    EXPECT_FALSE(run.desk.resolve(hold->id, "a.lead", "", t0 + 5 * hour, out, error));
    EXPECT_EQ(error, "exception " + exception_id_text(hold->id) + " is already resolved");
    EXPECT_TRUE(out.empty());
}

TEST(exceptions, resolving_by_a_person_closes_its_tasks) {
    desk_run run;
    const std::string so = "SO-26-0023";
    run.apply(t0, placed("s-1", so));
    run.apply(t0 + hour, credit_rejected("f-1", so));
    const exception_record* hold = run.only(so, "credit_hold");
    ASSERT_NE(hold, nullptr);
    const std::uint64_t first_id = hold->id;

    desk_output out;
    std::string error;
    ASSERT_TRUE(run.desk.resolve(first_id, "a.lead", "customer prepays this one", t0 + 2 * hour,
                                 out, error))
        << error;
    ASSERT_EQ(changes(out), (std::vector<std::string>{"resolved credit_hold " + so + " medium"}));
    EXPECT_EQ(hold->state, exception_state::resolved);
    EXPECT_EQ(hold->by, "a.lead");
    EXPECT_EQ(hold->note, "customer prepays this one");
    EXPECT_EQ(hold->resolved_ms, t0 + 2 * hour);
    ASSERT_EQ(task_changes(out),
              (std::vector<std::string>{"done finance " + so, "done sales " + so}));
    for (const auto& t : out.tasks) {
        EXPECT_EQ(t.record.by, "a.lead");
        EXPECT_EQ(t.record.note, "customer prepays this one");
    }
    EXPECT_EQ(run.desk.open_tasks(), 0u);
    for (const auto& t : run.tick(t0 + 5 * hour + minute).tasks)  // done tasks never escalate
        EXPECT_NE(t.record.exception_id, first_id) << transition_name(t.state);

    // Once resolved, a new rejection is a new exception.
    out = run.apply(t0 + 6 * hour, credit_rejected("f-2", so));
    ASSERT_EQ(changes(out), (std::vector<std::string>{"raised credit_hold " + so + " medium"}));
    EXPECT_GT(out.exceptions[0].record.id, first_id);
}

// --- filters -------------------------------------------------------------------------------

TEST(exceptions, filters_select_by_state_kind_dept_and_order) {
    desk_run run;
    run.apply(t0, placed("s-1", "SO-1"));
    run.apply(t0 + 1 * minute, credit_rejected("f-1", "SO-1"));  // credit_hold, A: medium
    run.apply(t0 + 2 * minute, credit_approved("f-2", "SO-2"));  // unknown_order: medium
    run.apply(t0 + 3 * minute, placed("s-3", "SO-3", "C-3003"));
    run.apply(t0 + 4 * minute, credit_rejected("f-3", "SO-3"));  // credit_hold, key: high
    run.apply(t0 + 5 * minute, credit_approved("f-4", "SO-3"));  // ... resolved
    desk_output out;
    run.desk.on_feed_gap("mes", "production.order.started", 3, 5, t0 + 6 * minute, out);
    std::string error;
    ASSERT_TRUE(run.desk.acknowledge(run.only("SO-1", "credit_hold")->id, "a.lead", "",
                                     t0 + 7 * minute, out, error));

    exception_filter f;  // open: open and acknowledged, most severe first, then oldest
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)),
              (std::vector<std::string>{"SO-1 credit_hold", "SO-2 unknown_order", " feed_gap"}));
    f.state = "acknowledged";
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)), (std::vector<std::string>{"SO-1 credit_hold"}));
    f.state = "resolved";
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)), (std::vector<std::string>{"SO-3 credit_hold"}));
    f.state = "all";
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)),
              (std::vector<std::string>{"SO-3 credit_hold", "SO-1 credit_hold",
                                        "SO-2 unknown_order", " feed_gap"}));
    f.kind = "credit_hold";
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)),
              (std::vector<std::string>{"SO-3 credit_hold", "SO-1 credit_hold"}));
    f.kind.clear();
    f.dept = "finance";
    EXPECT_EQ(run.desk.exceptions(f).size(), 2u);
    f.state = "open";
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)), (std::vector<std::string>{"SO-1 credit_hold"}));
    f.dept = "production";
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)), (std::vector<std::string>{" feed_gap"}));
    f.dept.clear();
    f.order = "SO-2";
    EXPECT_EQ(kinds_of(run.desk.exceptions(f)), (std::vector<std::string>{"SO-2 unknown_order"}));
    f.order = "SO-9";
    EXPECT_TRUE(run.desk.exceptions(f).empty());
    EXPECT_EQ(run.desk.open_exceptions(), 3u);

    // Tasks: SO-1 finance + sales, SO-2 sales, SO-3 finance + sales (done).
    task_filter t;  // open: open and escalated
    EXPECT_EQ(run.desk.tasks(t).size(), 3u);
    t.state = "done";
    auto done = run.desk.tasks(t);
    ASSERT_EQ(done.size(), 2u);
    for (const auto* d : done) EXPECT_EQ(d->order, "SO-3");
    t.state = "all";
    EXPECT_EQ(run.desk.tasks(t).size(), 5u);
    t.state = "open";
    t.dept = "sales";
    auto sales = run.desk.tasks(t);
    ASSERT_EQ(sales.size(), 2u);
    EXPECT_EQ(sales[0]->order, "SO-1");  // soonest due first
    EXPECT_EQ(sales[1]->order, "SO-2");
    t.dept.clear();
    t.order = "SO-2";
    ASSERT_EQ(run.desk.tasks(t).size(), 1u);
    EXPECT_EQ(run.desk.tasks(t)[0]->dept, "sales");
    t.order.clear();
    t.state = "escalated";
    EXPECT_TRUE(run.desk.tasks(t).empty());
    run.tick(t0 + 4 * hour + 2 * minute);  // SO-1's and SO-2's tasks are due
    EXPECT_EQ(run.desk.tasks(t).size(), 3u);
    t.state = "open";
    EXPECT_EQ(run.desk.tasks(t).size(), 4u);  // escalated ones stay open, plus SO-1's stage task
}

// --- restart -------------------------------------------------------------------------------

TEST(exceptions, restore_after_restart_keeps_records_timers_and_ids) {
    desk_run live;
    live.apply(t0 - 225 * minute, placed("s-0", "SO-E"));  // overdue at t0 + 15m, again at 4h15m
    live.apply(t0 - 90 * minute, placed("s-1", "SO-B"));   // warned at t0 + 90m
    live.apply(t0 - 80 * minute, placed("s-2", "SO-D"));
    live.apply(t0 - 70 * minute, credit_approved("f-1", "SO-D"));
    live.apply(t0 - 60 * minute, scheduled("p-1", "SO-D"));
    live.apply(t0, placed("s-3", "SO-A"));
    live.apply(t0, placed("s-4", "SO-C"));
    live.apply(t0 + 30 * minute, credit_rejected("f-2", "SO-C"));  // hold, tasks due t0 + 4h30m
    live.apply(t0 + 40 * minute, credit_approved("f-3", "SO-X"));  // unknown_order ...
    live.apply(t0 + 50 * minute, placed("s-5", "SO-X"));           // ... resolved
    live.apply(t0 + 60 * minute, dispatched("l-1", "SO-D"));       // out_of_sequence until produced
    live.tick(t0 + 15 * minute);
    live.tick(t0 + 90 * minute);
    const exception_record* overdue = live.only("SO-E", "stage_overdue");
    ASSERT_NE(overdue, nullptr);
    ASSERT_EQ(overdue->step, 1);
    ASSERT_EQ(live.tasks_of(overdue->id).size(), 1u);
    desk_output out;
    std::string error;
    ASSERT_TRUE(live.desk.task_done(live.tasks_of(overdue->id)[0]->id, "f.braun", "on it",
                                    t0 + 100 * minute, out, error))
        << error;
    const std::int64_t restart = t0 + 2 * hour;
    live.tick(restart);
    const exception_record* warned = live.only("SO-B", "stage_overdue");
    ASSERT_NE(warned, nullptr);
    ASSERT_EQ(warned->level, severity::warning);

    // Everything the desk holds, as the store would give it back.
    std::vector<exception_record> records;
    std::uint64_t max_exception = 0;
    for (const auto& [id, e] : live.desk.all_exceptions()) {
        records.push_back(exception_from_stored(encode_msgpack(to_value(e))));
        expect_same(records.back(), e);
        max_exception = std::max(max_exception, id);
    }
    std::vector<task_record> tasks;
    std::uint64_t max_task = 0;
    task_filter all;
    all.state = "all";
    for (const task_record* t : live.desk.tasks(all)) {
        tasks.push_back(task_from_stored(encode_msgpack(to_value(*t))));
        expect_same(tasks.back(), *t);
        max_task = std::max(max_task, t->id);
    }
    ASSERT_EQ(records.size(), 5u);  // SO-E overdue, SO-C hold, SO-X (resolved), SO-D, SO-B
    ASSERT_EQ(tasks.size(), 5u);    // SO-C finance + sales, SO-X sales (done), SO-D, SO-E (done)

    // A new engine from the same journal, a new desk from the records.
    desk_run resumed;
    for (const auto& [at, event] : live.history) {
        std::vector<relay_message> msgs;
        resumed.engine.apply(++resumed.journal_seq, at, event, msgs);
    }
    resumed.desk.restore(records, tasks, resumed.engine, restart);
    EXPECT_EQ(resumed.desk.open_exceptions(), live.desk.open_exceptions());
    EXPECT_EQ(resumed.desk.open_tasks(), live.desk.open_tasks());
    EXPECT_EQ(resumed.desk.all_exceptions().size(), records.size());

    // SO-B (warned before the restart) goes overdue at 4h in, as the same exception; SO-E
    // (overdue before the restart) is neither warned, nor re-raised, nor asked again.
    EXPECT_TRUE(resumed.tick(t0 + 150 * minute - 1).empty());
    out = resumed.tick(t0 + 150 * minute);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"escalated stage_overdue SO-B medium"}));
    EXPECT_EQ(out.exceptions[0].record.id, warned->id);
    ASSERT_EQ(task_changes(out), (std::vector<std::string>{"opened finance SO-B"}));
    EXPECT_EQ(out.tasks[0].record.id, max_task + 1);

    // SO-A and SO-C (2h into credit review at the restart) warn at 3h and go overdue at 4h.
    EXPECT_TRUE(resumed.tick(t0 + 3 * hour - 1).empty());
    out = resumed.tick(t0 + 3 * hour);
    ASSERT_EQ(sorted(changes(out)),
              (std::vector<std::string>{"raised stage_overdue SO-A warning",
                                        "raised stage_overdue SO-C warning"}));
    std::vector<std::uint64_t> new_ids = {out.exceptions[0].record.id, out.exceptions[1].record.id};
    std::sort(new_ids.begin(), new_ids.end());
    EXPECT_EQ(new_ids, (std::vector<std::uint64_t>{max_exception + 1, max_exception + 2}));
    EXPECT_TRUE(resumed.tick(t0 + 4 * hour - 1).empty());
    out = resumed.tick(t0 + 4 * hour);
    EXPECT_EQ(sorted(changes(out)),
              (std::vector<std::string>{"escalated stage_overdue SO-A medium",
                                        "escalated stage_overdue SO-C medium"}));

    // SO-E escalates one step further at 8h in, without a second task.
    out = resumed.tick(t0 + 4 * hour + 15 * minute);
    ASSERT_EQ(changes(out), (std::vector<std::string>{"escalated stage_overdue SO-E high"}));
    EXPECT_EQ(out.exceptions[0].record.id, overdue->id);
    EXPECT_EQ(out.exceptions[0].record.step, 2);
    EXPECT_TRUE(out.tasks.empty());

    // SO-C's hold tasks, opened before the restart, escalate when they fall due.
    EXPECT_TRUE(resumed.tick(t0 + 4 * hour + 30 * minute - 1).empty());
    out = resumed.tick(t0 + 4 * hour + 30 * minute);
    EXPECT_EQ(sorted(task_changes(out)),
              (std::vector<std::string>{"escalated finance SO-C", "escalated sales SO-C"}));

    // SO-D's out_of_sequence remembers what clears it.
    out = resumed.apply(t0 + 5 * hour, completed("p-2", "SO-D"));
    EXPECT_EQ(changes(out), (std::vector<std::string>{"resolved out_of_sequence SO-D low"}));

    // Nothing raised twice: SO-B and SO-E kept their exceptions.
    for (const auto& ev : resumed.log.exceptions)
        EXPECT_FALSE(ev.state == exception_transition::raised &&
                     (ev.record.order == "SO-B" || ev.record.order == "SO-E"))
            << ev.record.detail;
}

// --- indexes -------------------------------------------------------------------------------

// Every record as the desk's output last showed it, and the queries answered the slow way:
// what the desk's per-order indexes and counters must agree with.
struct brute_force {
    std::map<std::uint64_t, exception_record> exceptions;
    std::map<std::uint64_t, task_record> tasks;

    void learn(const desk_output& out) {
        for (const auto& ev : out.exceptions) exceptions[ev.record.id] = ev.record;
        for (const auto& ev : out.tasks) tasks[ev.record.id] = ev.record;
    }
    // As the desk lists them: most severe first, then oldest, then newest id.
    std::vector<std::uint64_t> exceptions_of(const std::string& order, bool open_only) const {
        std::vector<const exception_record*> list;
        for (auto it = exceptions.rbegin(); it != exceptions.rend(); ++it)
            if (it->second.order == order &&
                (!open_only || it->second.state != exception_state::resolved))
                list.push_back(&it->second);
        std::stable_sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
            if (a->level != b->level) return a->level > b->level;
            return a->raised_ms < b->raised_ms;
        });
        std::vector<std::uint64_t> ids;
        for (const auto* e : list) ids.push_back(e->id);
        return ids;
    }
    // Soonest due first, then newest id.
    std::vector<std::uint64_t> tasks_of(const std::string& order) const {
        std::vector<const task_record*> list;
        for (auto it = tasks.rbegin(); it != tasks.rend(); ++it)
            if (it->second.order == order) list.push_back(&it->second);
        std::stable_sort(list.begin(), list.end(),
                         [](const auto* a, const auto* b) { return a->due_ms < b->due_ms; });
        return ids_of(list);
    }
    std::size_t open_exceptions() const {
        std::size_t n = 0;
        for (const auto& [id, e] : exceptions) n += e.state != exception_state::resolved;
        return n;
    }
    std::size_t open_tasks() const {
        std::size_t n = 0;
        for (const auto& [id, t] : tasks) n += t.state != task_state::done;
        return n;
    }
};

std::vector<std::uint64_t> exception_ids(const std::vector<const exception_record*>& list) {
    std::vector<std::uint64_t> out;
    for (const auto* e : list) out.push_back(e->id);
    return out;
}

void expect_indexes_agree(const exception_desk& desk, const brute_force& all,
                          const std::vector<std::string>& orders) {
    for (const auto& so : orders) {
        SCOPED_TRACE(so);
        EXPECT_EQ(exception_ids(desk.exceptions_of(so)), all.exceptions_of(so, false));
        exception_filter open_of;
        open_of.order = so;
        EXPECT_EQ(exception_ids(desk.exceptions(open_of)), all.exceptions_of(so, true));
        EXPECT_EQ(ids_of(desk.tasks_of(so)), all.tasks_of(so));
    }
    EXPECT_EQ(desk.open_exceptions(), all.open_exceptions());
    EXPECT_EQ(desk.open_tasks(), all.open_tasks());
}

// A new desk from the records as the store gives them back, on the same engine.
void restart(desk_run& run, std::int64_t now_ms) {
    std::vector<exception_record> records;
    for (const auto& [id, e] : run.desk.all_exceptions())
        records.push_back(exception_from_stored(encode_msgpack(to_value(e))));
    std::vector<task_record> tasks;
    task_filter all;
    all.state = "all";
    all.limit = std::numeric_limits<std::size_t>::max();
    for (const task_record* t : run.desk.tasks(all))
        tasks.push_back(task_from_stored(encode_msgpack(to_value(*t))));
    std::reverse(records.begin(), records.end());  // the store promises no order
    run.desk = exception_desk(run.engine.flow());
    run.desk.restore(records, tasks, run.engine, now_ms);
}

TEST(exceptions, an_orders_records_are_found_through_raise_ack_resolve_raise_again_and_cancel) {
    desk_run run;
    brute_force all;
    const std::vector<std::string> orders = {"SO-1", "SO-2"};
    all.learn(run.apply(t0, placed("s-1", "SO-1")));
    all.learn(run.apply(t0, placed("s-2", "SO-2")));
    all.learn(run.apply(t0 + minute, credit_rejected("f-1", "SO-1")));
    all.learn(run.apply(t0 + minute, credit_rejected("f-2", "SO-2")));
    const exception_record* first = run.only("SO-1", "credit_hold");
    ASSERT_NE(first, nullptr);
    const std::uint64_t first_id = first->id;
    EXPECT_EQ(exception_ids(run.desk.exceptions_of("SO-1")), std::vector<std::uint64_t>{first_id});
    EXPECT_EQ(run.desk.tasks_of("SO-1").size(), 2u);
    EXPECT_EQ(run.desk.open_tasks(), 4u);
    expect_indexes_agree(run.desk, all, orders);

    desk_output out;
    std::string error;
    ASSERT_TRUE(run.desk.acknowledge(first_id, "a.lead", "", t0 + 2 * minute, out, error));
    ASSERT_TRUE(run.desk.resolve(first_id, "a.lead", "paid up", t0 + 3 * minute, out, error));
    all.learn(out);
    EXPECT_EQ(run.desk.open_tasks(), 2u);  // SO-2's
    expect_indexes_agree(run.desk, all, orders);

    all.learn(run.apply(t0 + 4 * minute, credit_rejected("f-3", "SO-1")));  // raised again
    ASSERT_EQ(run.records("SO-1", "credit_hold").size(), 2u);
    EXPECT_EQ(run.desk.exceptions_of("SO-1").size(), 2u);
    EXPECT_EQ(run.desk.tasks_of("SO-1").size(), 4u);
    EXPECT_EQ(run.desk.open_tasks(), 4u);
    expect_indexes_agree(run.desk, all, orders);

    all.learn(run.apply(t0 + 5 * minute, cancelled("s-3", "SO-1", "withdrawn")));
    EXPECT_EQ(run.desk.open_tasks(), 2u);
    for (const exception_record* e : run.desk.exceptions_of("SO-1"))
        EXPECT_EQ(e->state, exception_state::resolved);
    EXPECT_EQ(run.desk.exceptions_of("SO-2").size(), 1u);
    expect_indexes_agree(run.desk, all, orders);

    restart(run, t0 + 6 * minute);
    expect_indexes_agree(run.desk, all, orders);
    all.learn(run.tick(t0 + 5 * hour));  // SO-2's tasks escalate after the restart
    task_filter escalated;
    escalated.state = "escalated";
    EXPECT_EQ(run.desk.tasks(escalated).size(), 2u);
    expect_indexes_agree(run.desk, all, orders);
}

// A random plant on a fake clock: facts, timers, people and restarts in any order; after every
// step the per-order answers equal the brute-force ones.
TEST(exceptions, per_order_indexes_equal_a_brute_force_search_after_any_sequence) {
    const std::vector<std::string> orders = {"SO-0", "SO-1", "SO-2", "SO-3", "SO-4"};
    const char* customers[] = {"C-1001", "C-2002", "C-3003", "C-4004"};
    const char* dates[] = {"2026-11-19", "2026-11-21", "2026-11-24", "2026-12-18"};
    for (unsigned seed = 1; seed <= 6; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        desk_run run;
        brute_force all;
        std::mt19937 rng(seed);
        auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
        std::int64_t now = t0;
        for (int step = 0; step < 300; ++step) {
            SCOPED_TRACE("step " + std::to_string(step));
            now += static_cast<std::int64_t>(pick(4) == 0 ? pick(30) * hour : pick(90) * minute);
            const std::string so = orders[pick(orders.size())];
            const std::string id = "e-" + std::to_string(step);
            desk_output out;
            std::string error;
            switch (pick(16)) {
                case 0:
                case 1: out = run.apply(now, placed_promising(id, so, dates[pick(4)])); break;
                case 2: out = run.apply(now, credit_rejected(id, so)); break;
                case 3: out = run.apply(now, credit_approved(id, so)); break;
                case 4: out = run.apply(now, scheduled(id, so, dates[pick(4)])); break;
                case 5: out = run.apply(now, qc_failed(id, so)); break;
                case 6: out = run.apply(now, completed(id, so)); break;
                case 7: out = run.apply(now, dispatched(id, so)); break;
                case 8: out = run.apply(now, delivered(id, so)); break;
                case 9: out = run.apply(now, cancelled(id, so, "withdrawn")); break;
                case 10: out = run.tick(now); break;
                case 11:
                    run.desk.acknowledge(1 + pick(all.exceptions.size() + 1), "a.lead", "", now,
                                         out, error);
                    break;
                case 12:
                    run.desk.resolve(1 + pick(all.exceptions.size() + 1), "a.lead", "", now, out,
                                     error);
                    break;
                case 13:
                    run.desk.task_done(1 + pick(all.tasks.size() + 1), "a.lead", "", now, out,
                                       error);
                    break;
                case 14: out = run.apply(now, placed(id, so, customers[pick(4)])); break;
                case 15: restart(run, now); break;
            }
            all.learn(out);
            expect_indexes_agree(run.desk, all, orders);
            if (::testing::Test::HasFailure()) return;
        }
        EXPECT_GT(all.exceptions.size(), 20u);  // the walk did raise things
        EXPECT_GT(all.tasks.size(), 20u);
    }
}

// --- ids -------------------------------------------------------------------------------------

TEST(exceptions, parse_record_id_accepts_prefixed_or_bare_numbers_only) {
    EXPECT_EQ(parse_record_id("E-17", 'E'), std::optional<std::uint64_t>(17));
    EXPECT_EQ(parse_record_id("e-17", 'E'), std::optional<std::uint64_t>(17));
    EXPECT_EQ(parse_record_id("17", 'E'), std::optional<std::uint64_t>(17));
    EXPECT_EQ(parse_record_id("T-5", 'T'), std::optional<std::uint64_t>(5));
    EXPECT_EQ(parse_record_id("E-", 'E'), std::nullopt);
    EXPECT_EQ(parse_record_id("T-3", 'E'), std::nullopt);
    EXPECT_EQ(parse_record_id("E-0", 'E'), std::nullopt);
    EXPECT_EQ(parse_record_id("x", 'E'), std::nullopt);
    EXPECT_EQ(parse_record_id("", 'E'), std::nullopt);
    EXPECT_EQ(parse_record_id("E-1x", 'E'), std::nullopt);
    EXPECT_EQ(exception_id_text(17), "E-17");
    EXPECT_EQ(task_id_text(5), "T-5");
}

}  // namespace
}  // namespace baton

namespace baton {
namespace {

// --- people: every action in the history; assignment -----------------------------------------

TEST(exceptions, every_action_is_kept_in_the_history_and_records_can_be_assigned) {
    desk_run run;
    const std::string so = "SO-26-0090";
    run.apply(t0, placed("s-1", so));
    desk_output out = run.apply(t0 + 30 * minute, credit_rejected("f-1", so));
    ASSERT_EQ(out.exceptions.size(), 1u);
    const std::uint64_t id = out.exceptions[0].record.id;
    ASSERT_EQ(out.tasks.size(), 2u);
    const std::uint64_t task = out.tasks[0].record.id;
    std::string error;

    desk_output acted;
    ASSERT_TRUE(run.desk.acknowledge(id, "lena.w", "calling finance", t0 + hour, acted, error));
    ASSERT_TRUE(
        run.desk.assign(id, "wang.fang", "lena.w", "your customer", t0 + 2 * hour, acted, error))
        << error;
    ASSERT_EQ(acted.exceptions.size(), 2u);
    EXPECT_EQ(acted.exceptions[1].state, exception_transition::assigned);
    ASSERT_TRUE(run.desk.assign_task(task, "m.weber", "lena.w", "", t0 + 2 * hour, acted, error))
        << error;
    EXPECT_EQ(acted.tasks.back().state, task_transition::assigned);

    exception_filter mine;
    mine.assignee = "wang.fang";
    ASSERT_EQ(run.desk.exceptions(mine).size(), 1u);
    task_filter my_tasks;
    my_tasks.assignee = "m.weber";
    ASSERT_EQ(run.desk.tasks(my_tasks).size(), 1u);
    my_tasks.assignee = "nobody";
    EXPECT_TRUE(run.desk.tasks(my_tasks).empty());

    ASSERT_TRUE(run.desk.resolve(id, "wang.fang", "customer paid", t0 + 3 * hour, acted, error));
    const exception_record& e = run.desk.all_exceptions().at(id);
    EXPECT_EQ(e.assignee, "wang.fang");
    ASSERT_EQ(e.history.size(), 4u);  // not only the last action
    EXPECT_EQ(e.history[0].what, "raised");
    EXPECT_EQ(e.history[0].by, "baton");
    EXPECT_EQ(e.history[1].what, "acknowledged");
    EXPECT_EQ(e.history[1].by, "lena.w");
    EXPECT_EQ(e.history[1].note, "calling finance");
    EXPECT_EQ(e.history[2].what, "assigned");
    EXPECT_EQ(e.history[2].to, "wang.fang");
    EXPECT_EQ(e.history[2].at_ms, t0 + 2 * hour);
    EXPECT_EQ(e.history[3].what, "resolved");
    EXPECT_EQ(e.history[3].by, "wang.fang");
    // Its tasks closed with it: opened, assigned, done.
    task_filter all;
    all.state = "all";
    all.assignee = "m.weber";
    const auto closed = run.desk.tasks(all);
    ASSERT_EQ(closed.size(), 1u);
    ASSERT_EQ(closed[0]->history.size(), 3u);
    EXPECT_EQ(closed[0]->history[2].what, "done");

    // The history survives the store.
    const exception_record back = exception_from_stored(encode_msgpack(to_value(e)));
    ASSERT_EQ(back.history.size(), 4u);
    EXPECT_EQ(back.history[2].to, "wang.fang");
    EXPECT_EQ(back.assignee, "wang.fang");

    // Nothing to give once it is over, and nothing unknown.
    EXPECT_FALSE(run.desk.assign(id, "x", "lena.w", "", t0 + 4 * hour, acted, error));
    EXPECT_EQ(error, "exception " + exception_id_text(id) + " is already resolved");
    EXPECT_FALSE(run.desk.assign_task(999, "x", "lena.w", "", t0 + 4 * hour, acted, error));
    EXPECT_EQ(error, "task T-999 is not known");
}

TEST(exceptions, a_history_keeps_its_first_step_and_the_latest_ones) {
    std::vector<record_step> h;
    for (int i = 0; i < 250; ++i)
        add_step(h, {i, "baton", i == 0 ? "raised" : "escalated", "", ""});
    ASSERT_EQ(h.size(), max_history);
    EXPECT_EQ(h.front().what, "raised");
    EXPECT_EQ(h.back().at_ms, 249);
    EXPECT_EQ(h[1].at_ms, 249 - static_cast<std::int64_t>(max_history) + 2);
}

}  // namespace
}  // namespace baton
