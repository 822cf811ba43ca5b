// Tests of daemon/scenario/scenario_runner: scenarios run against the real pipeline in memory.
// A scenario that holds passes; one that does not reports each failed expectation with the step,
// its event, what was expected and what happened; timers fire at their own times; people act;
// refusals are the real ones; test_flow's output and exit codes; nothing is written to disk.
#include "scenario_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "daemon_harness.h"
#include "temp_dir.h"

namespace baton {
namespace {

const char* const placed = R"(
  - at: 0s
    order: SO-1
    event: sales.order.placed
    data:
      customer: C-1003
      amount_cents: 1000000
      promised_date: 2026-03-20
      lines: [{item: P-1, die: D-1, alloy: "6060", temper: T66, finish: mill, length_mm: 6000, qty: 500, unit: kg}]
)";

// 2026-03-02T08:00:00Z, the default start, in ms since the epoch.
constexpr std::int64_t start_ms = 1772438400000;
constexpr std::int64_t hour_ms = 3600000;

class scenario_run : public ::testing::Test {
protected:
    scenario_result run(const std::string& text) {
        loop_inputs in = load_inputs(cfg);
        scenario_context ctx{&in.schemas, cfg.flow_file, in.customers};
        scenario sc = load_scenario(dir.write("s.yaml", text), ctx);
        return run_scenario(sc, cfg, std::move(in));
    }

    int test_flow_on(const std::vector<std::string>& paths) {
        out.str("");
        err.str("");
        return test_flow(cfg, paths, out, err);
    }

    testing::temp_dir dir;
    config cfg = testing::test_config(dir);
    std::ostringstream out, err;
};

TEST_F(scenario_run, a_scenario_that_holds_passes) {
    scenario_result r = run(std::string("name: credit approved\nsteps:") + placed + R"(
    expect:
      stage: credit_review
      holder: finance
      relayed: [sales.status, finance.credit_check]
      relayed_data: [{topic: finance.credit_check, data: {exposure_cents: 1000000, over_limit: false}}]
      raised: []
      order_view: {milestones: {placed: 1772438400000}, lines: [{alloy: "6060", qty: 500}]}
  - at: 1h
    event: finance.credit.approved
    data: {by: m.weber}
    expect:
      stage: scheduling
      holder: production
      relayed: [production.release]
      not_relayed: [finance.credit_check]
      open: []
)");
    EXPECT_TRUE(r.passed()) << ::testing::PrintToString(r.failures);
    EXPECT_EQ(r.name, "credit approved");
}

TEST_F(scenario_run, a_failed_expectation_says_step_event_expected_and_got) {
    scenario_result r = run(std::string("name: wrong\nsteps:") + placed + R"(
    expect:
      stage: scheduling
      relayed: [finance.credit_check, sales.status]
      relayed_data: [{topic: finance.credit_check, data: {over_limit: true}}]
  - at: 1h
    event: finance.credit.rejected
    data: {by: m.weber, reason: overdue}
    expect:
      raised: [{kind: credit_hold, severity: high}]
      tasks_opened: [finance]
      open: []
      not_relayed: [task.sales]
      order_view: {holds: [], amount_cents: 5}
)");
    EXPECT_FALSE(r.passed());
    const std::string step1 = "step 1 (sales.order.placed at 0s, line 3): ";
    const std::string step2 = "step 2 (finance.credit.rejected at 1h, line 16): ";
    EXPECT_EQ(r.failures,
              (std::vector<std::string>{
                  step1 + "stage of SO-1: expected scheduling, got credit_review",
                  step1 + "relayed: expected [finance.credit_check, sales.status] in this order, "
                          "got [sales.status, finance.credit_check] (sales.status missing)",
                  step1 + "relayed_data: no finance.credit_check message has {over_limit: true}; "
                          "the closest differs in [data.over_limit: expected true, got false]",
                  step2 + "not_relayed: task.sales was relayed",
                  step2 + "raised: expected [{kind: credit_hold, severity: high}], got "
                          "[credit_hold (low, finance: SO-1 is on credit hold: overdue)]",
                  step2 + "tasks_opened: expected [finance], got [finance (finance: review the "
                          "credit hold on SO-1), sales (sales: talk to C-1003 about the credit "
                          "hold on SO-1)]",
                  step2 + "open on SO-1: expected [], got [credit_hold]",
                  step2 + "order_view: holds: expected [], got [\"credit\"]",
                  step2 + "order_view: amount_cents: expected 5, got 1000000",
              }));
}

TEST_F(scenario_run, timers_fire_at_their_own_times_in_order_while_the_clock_moves) {
    // One jump from 0 to 9h passes the warning (3h), the deadline (4h), the task's due time and
    // the next escalation (8h): each fires at its own time, in that order.
    const std::string ts3h = std::to_string(start_ms + 3 * hour_ms);
    const std::string ts4h = std::to_string(start_ms + 4 * hour_ms);
    const std::string ts8h = std::to_string(start_ms + 8 * hour_ms);
    scenario_result r = run(std::string("name: timers\nsteps:") + placed + R"(
  - at: 9h
    expect:
      raised: [{kind: stage_overdue, severity: warning}]
      escalated: [{kind: stage_overdue, severity: low}, {kind: stage_overdue, severity: medium}, stage_overdue]
      tasks_opened: [{dept: finance, action: move SO-1 out of credit_review}]
      tasks_escalated: [finance]
      relayed: [exception.stage_overdue, exception.stage_overdue, task.finance, task.finance, task.escalation]
      relayed_data:
        - {topic: exception.stage_overdue, data: {state: raised, ts: )" +
                            ts3h + R"(}}
        - {topic: exception.stage_overdue, data: {state: escalated, severity: low, ts: )" +
                            ts4h + R"(}}
        - {topic: task.escalation, data: {dept: finance, ts: )" +
                            ts8h + R"(}}
)");
    EXPECT_TRUE(r.passed()) << ::testing::PrintToString(r.failures);
}

TEST_F(scenario_run, people_act_by_kind_or_id_and_a_missing_target_fails_the_step) {
    scenario_result r = run(std::string("name: people\nsteps:") + placed + R"(
  - at: 1h
    act: {do: ack, exception: credit_hold, by: lena}
  - event: finance.credit.rejected
    data: {by: m.weber, reason: overdue}
  - act: {do: ack, exception: credit_hold, by: lena, note: calling}
    expect:
      acknowledged: [credit_hold]
      relayed_data: [{topic: exception.credit_hold, data: {by: lena, note: calling, status: acknowledged}}]
  - act: {do: task_done, task: sales, by: ole}
    expect:
      tasks_done: [sales]
      open: [credit_hold]
  - act: {do: task_done, task: T-2, by: ole}
  - act: {do: resolve, exception: E-1, by: lena}
    expect:
      resolved: [credit_hold]
      tasks_done: [finance]
      open: []
)");
    EXPECT_EQ(r.failures,
              (std::vector<std::string>{
                  "step 2 (act ack credit_hold at 1h, line 12): act: no open credit_hold "
                  "exception on SO-1",
                  "step 6 (act task_done T-2 at 1h, line 24): act: refused: task T-2 is already "
                  "done",
              }));
}

TEST_F(scenario_run, refusals_are_the_real_ones) {
    scenario_result r = run(R"(name: refusals
steps:
  - order: SO-1
    event: sales.order.placed
    data: {customer: C-1003}
    expect: {refused: schema}
  - event: sales.order.shipped
    expect: {refused: topic}
  - event: finance.receivable.updated
    data: {customer: C-1003, balance_cents: 5}
    expect: {refused: schema}
  - event: sales.order.placed
    data: {customer: C-1003, amount_cents: "100"}
  - event: sales.order.cancelled
    data: {reason: gone}
    expect: {stage: cancelled}
)");
    EXPECT_EQ(r.failures,
              (std::vector<std::string>{
                  "step 3 (finance.receivable.updated at 0s, line 9): refused: expected schema, "
                  "got accepted",
                  "step 4 (sales.order.placed at 0s, line 12): the event was refused: schema: "
                  "data.amount_cents: expected int, got string",
              }));
}

TEST_F(scenario_run, flow_and_customer_overrides_apply_to_their_scenario_only) {
    scenario_result r = run(R"(name: auto credit
flow: {auto_credit: true}
customers: [{id: C-7, tier: key, credit_limit_cents: 5000000}]
steps:
  - order: SO-1
    event: sales.order.placed
    data:
      customer: C-7
      amount_cents: 1000000
      promised_date: 2026-03-20
      lines: [{item: P-1, die: D-1, alloy: "6060", temper: T66, finish: mill, length_mm: 6000, qty: 500, unit: kg}]
    expect: {stage: scheduling, not_relayed: [finance.credit_check]}
)");
    EXPECT_TRUE(r.passed()) << ::testing::PrintToString(r.failures);
    // The next scenario runs with the configured flow again.
    r = run(std::string("name: plain\nsteps:") + placed + "    expect: {stage: credit_review}\n");
    EXPECT_TRUE(r.passed()) << ::testing::PrintToString(r.failures);
}

TEST_F(scenario_run, test_flow_prints_pass_fail_and_a_summary_with_its_exit_code) {
    const std::string good =
        dir.write("cases/01-good.yaml", std::string("name: good\nsteps:") + placed +
                                            "    expect: {stage: "
                                            "credit_review}\n");
    EXPECT_EQ(test_flow_on({dir / "cases"}), 0);
    EXPECT_EQ(out.str(), "PASS good\n1 scenarios, 1 passed, 0 failed\n");
    EXPECT_EQ(err.str(), "");

    dir.write("cases/02-bad.yaml",
              std::string("name: bad\nsteps:") + placed + "    expect: {holder: sales}\n");
    EXPECT_EQ(test_flow_on({dir / "cases"}), 1);
    EXPECT_EQ(out.str(), "PASS good\nFAIL bad (" + (dir / "cases/02-bad.yaml") +
                             ")\n  step 1 (sales.order.placed at 0s, line 3): holder of SO-1: "
                             "expected sales, got finance\n2 scenarios, 1 passed, 1 failed\n");

    // An invalid file: nothing runs, the reason goes to err.
    dir.write("cases/03-typo.yaml", "name: typo\nsteps:\n  - at: 1x\n");
    EXPECT_EQ(test_flow_on({dir / "cases"}), 2);
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(err.str(), "batond: invalid scenario: " + (dir / "cases/03-typo.yaml") +
                             ": steps[0].at: expected a duration like 30s, 5m, 4h, 2d or 1d6h, "
                             "got '1x' (step 1, line 3)\n");

    EXPECT_EQ(test_flow_on({good, dir / "missing"}), 2);
    EXPECT_EQ(err.str(),
              "batond: --test-flow: " + (dir / "missing") + ": no such file or folder\n");
}

TEST_F(scenario_run, nothing_is_written_to_disk) {
    const std::string file = dir.write("s.yaml", std::string("name: in memory\nsteps:") + placed +
                                                     "  - at: 5h\n    expect: {open: "
                                                     "[stage_overdue]}\n");
    EXPECT_EQ(test_flow_on({file}), 0) << out.str();
    EXPECT_FALSE(std::filesystem::exists(cfg.data_dir));
    EXPECT_FALSE(std::filesystem::exists(cfg.feed_path));
}

}  // namespace
}  // namespace baton
