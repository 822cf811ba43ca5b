// Tests of daemon/scenario/scenario: the scenario file format. What a file means (times, the
// order each step is about, event defaults, data types, expectations, flow and customer
// overrides) and every kind of error, each naming the file, the key path, the step and the line.
#include "scenario.h"

#include <gtest/gtest.h>

#include <string>

#include "schema.h"
#include "temp_dir.h"

namespace baton {
namespace {

constexpr std::int64_t hour_ms = 3600000;

class scenario_file : public ::testing::Test {
protected:
    scenario_file() {
        ctx.schemas = &schemas;
        ctx.flow_file = std::string(BATON_SOURCE_DIR) + "/config/flow.yaml";
        ctx.customers = load_customers(std::string(BATON_SOURCE_DIR) + "/config/customers.yaml");
    }

    scenario load(const std::string& text) { return load_scenario(dir.write("s.yaml", text), ctx); }

    // The error a file gives: "<file>: <key>: <reason>", file relative to the test folder.
    std::string error_of(const std::string& text) {
        try {
            load(text);
        } catch (const config_error& e) {
            EXPECT_EQ(e.file, dir / "s.yaml");
            return e.key + ": " + e.reason;
        }
        return "(no error)";
    }

    testing::temp_dir dir;
    schema_set schemas = schema_set::load(std::string(BATON_SOURCE_DIR) + "/schemas");
    scenario_context ctx;
};

const char* const placed_step = R"(
  - at: 0s
    order: SO-1
    event: sales.order.placed
    data:
      customer: C-1003
      amount_cents: 1000000
      promised_date: 2026-03-20
      new_die: false
      lines: [{item: P-1, die: D-1, alloy: "6060", temper: T66, finish: mill, length_mm: 6000, qty: 2.5, unit: kg}]
)";

TEST_F(scenario_file, steps_take_their_time_order_and_event_defaults) {
    scenario sc = load(std::string("name: a\ndescription: b\nsteps:") + placed_step + R"(
  - after: 1h30m
    event: finance.credit.approved
    data: {by: m.weber}
  - event: finance.receivable.updated
    data: {customer: C-1003, balance_cents: 5}
)");
    EXPECT_EQ(sc.name, "a");
    EXPECT_EQ(sc.description, "b");
    EXPECT_EQ(sc.start_ms, *parse_utc_time("2026-03-02T08:00:00Z"));
    EXPECT_FALSE(sc.flow);
    EXPECT_FALSE(sc.customers);
    ASSERT_EQ(sc.steps.size(), 3u);

    const scenario_step& placed = sc.steps[0];
    EXPECT_EQ(placed.number, 1);
    EXPECT_EQ(placed.line, 4);
    EXPECT_EQ(placed.at_ms, 0);
    ASSERT_TRUE(placed.event);
    EXPECT_EQ(placed.event->source, "sales");  // the topic's department
    EXPECT_EQ(placed.event->order, "SO-1");
    EXPECT_EQ(placed.event->id, "");  // numbered by the runner
    const value& data = placed.event->data;
    EXPECT_TRUE(data.find("amount_cents")->is_integer());
    EXPECT_TRUE(data.find("promised_date")->is_string());
    EXPECT_TRUE(data.find("new_die")->is_bool());
    const value& line = data.find("lines")->as_list()[0];
    EXPECT_EQ(line.find("alloy")->as_string(), "6060");  // quoted: a string
    EXPECT_DOUBLE_EQ(line.find("qty")->to_double(), 2.5);

    EXPECT_EQ(sc.steps[1].at_ms, 90 * 60000);  // after: since the previous step
    EXPECT_EQ(sc.steps[1].order, "SO-1");      // the previous step's order
    EXPECT_EQ(sc.steps[1].event->order, "SO-1");
    EXPECT_EQ(sc.steps[1].event->source, "finance");

    EXPECT_EQ(sc.steps[2].at_ms, 90 * 60000);  // no time: the previous step's
    EXPECT_FALSE(sc.steps[2].event->order);    // the topic takes no order
    EXPECT_EQ(sc.steps[2].order, "SO-1");      // but the checks still are about SO-1
}

TEST_F(scenario_file, a_negative_number_is_an_integer_and_a_later_act_names_its_order) {
    scenario sc = load(std::string("name: a\nsteps:") + placed_step + R"(
  - event: finance.receivable.updated
    data: {customer: C-1003, balance_cents: -5, as_of: null}
  - at: 2d
    order: SO-2
    act: {do: task_done, task: T-4}
)");
    std::int64_t balance = 0;
    ASSERT_TRUE(sc.steps[1].event->data.find("balance_cents")->to_int64(balance));
    EXPECT_EQ(balance, -5);
    EXPECT_TRUE(sc.steps[1].event->data.find("as_of")->is_nil());
    const scenario_step& act = sc.steps[2];
    EXPECT_EQ(act.at_ms, 2 * 24 * hour_ms);
    EXPECT_EQ(act.order, "SO-2");
    ASSERT_TRUE(act.act);
    EXPECT_EQ(act.act->action, desk_action::task_done);
    EXPECT_EQ(act.act->target, "T-4");
    EXPECT_EQ(act.act->by, "scenario");
}

TEST_F(scenario_file, expectations_are_read_with_their_items) {
    scenario sc = load(std::string("name: a\nsteps:") + placed_step + R"(
    expect:
      stage: credit_review
      holder: ""
      relayed: [sales.status, finance.credit_check]
      not_relayed: exception.credit_hold
      relayed_data: [{topic: finance.credit_check, data: {over_limit: false}}]
      raised: [stage_overdue, {kind: credit_hold, severity: high, dept: finance, detail: hold, scope: x}]
      resolved: []
      tasks_opened: [sales, {dept: finance, action: review}]
      open: [credit_hold]
      order_view: {holds: [credit], amount_cents: 1000000}
)");
    const step_expect& x = sc.steps[0].expect;
    EXPECT_EQ(x.stage, "credit_review");
    EXPECT_EQ(x.holder, "");
    EXPECT_EQ(*x.relayed, (std::vector<std::string>{"sales.status", "finance.credit_check"}));
    EXPECT_EQ(x.not_relayed, std::vector<std::string>{"exception.credit_hold"});
    ASSERT_EQ(x.relayed_data.size(), 1u);
    EXPECT_EQ(x.relayed_data[0].data.find("over_limit")->as_string(), "false");  // as written
    ASSERT_EQ(x.raised->size(), 2u);
    EXPECT_EQ((*x.raised)[0].kind, "stage_overdue");
    EXPECT_EQ((*x.raised)[1].severity, "high");
    EXPECT_EQ((*x.raised)[1].detail, "hold");
    EXPECT_TRUE(x.resolved && x.resolved->empty());  // given empty: nothing may resolve
    EXPECT_FALSE(x.escalated);                       // not given: not checked
    EXPECT_EQ((*x.tasks_opened)[1].action, "review");
    EXPECT_EQ(*x.open, std::vector<std::string>{"credit_hold"});
    ASSERT_TRUE(x.order_view);
    EXPECT_TRUE(x.order_view->find("holds")->is_list());
    EXPECT_FALSE(x.refused);
}

TEST_F(scenario_file, flow_overrides_merge_into_flow_yaml_and_customers_into_the_seed) {
    scenario sc = load(R"(
name: a
start: 2026-11-02T06:30Z
flow:
  auto_credit: true
  cases: {complaint: 2d}
customers:
  - {id: C-1001, tier: C, terms: prepay}
  - {id: C-9, name: X, tier: key, terms: credit, credit_limit_cents: 100000}
steps:
  - at: 0
)");
    EXPECT_EQ(sc.start_ms, *parse_utc_time("2026-11-02T06:30:00Z"));
    ASSERT_TRUE(sc.flow);
    EXPECT_TRUE(sc.flow->auto_credit);
    EXPECT_EQ(sc.flow->complaint_sla_us, 2LL * 86400000000);
    EXPECT_EQ(sc.flow->return_sla_us, 10LL * 86400000000);  // kept from flow.yaml
    EXPECT_EQ(sc.flow->stages.size(), 9u);
    ASSERT_TRUE(sc.customers);
    ASSERT_EQ(sc.customers->size(), 5u);
    EXPECT_EQ((*sc.customers)[0].id, "C-1001");
    EXPECT_EQ((*sc.customers)[0].tier, "C");  // replaced
    EXPECT_EQ((*sc.customers)[4].id, "C-9");  // added
    EXPECT_EQ((*sc.customers)[4].credit_limit_cents, 100000);
}

TEST_F(scenario_file, times_parse_with_and_without_seconds) {
    EXPECT_EQ(parse_utc_time("1970-01-02"), 86400000);
    EXPECT_EQ(parse_utc_time("1970-01-01T01:02:03Z"), 3723000);
    EXPECT_EQ(parse_utc_time("1970-01-01T01:02"), 3720000);
    EXPECT_FALSE(parse_utc_time("1970-01-01T25:00Z"));
    EXPECT_FALSE(parse_utc_time("1970-02-30"));
    EXPECT_FALSE(parse_utc_time("yesterday"));
    EXPECT_EQ(scenario_time_text(0), "0s");
    EXPECT_EQ(scenario_time_text(7 * 86400000 + 12 * hour_ms + 30000), "7d12h30s");
}

TEST_F(scenario_file, an_unknown_key_anywhere_is_an_error_naming_step_and_line) {
    EXPECT_EQ(error_of("name: a\nstep: []\n"),
              "step: unknown key (expected one of: name, description, flow, customers, start, "
              "steps) (line 2)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - at: 0s\n    wait: 1h\n"),
              "steps[0].wait: unknown key (expected one of: at, after, order, event, source, id, "
              "data, act, expect) (step 1, line 4)");
    EXPECT_EQ(error_of(std::string("name: a\nsteps:") + placed_step + "    expect: {stag: x}\n"),
              "steps[0].expect.stag: unknown key (expected one of: order, stage, holder, "
              "relayed, not_relayed, relayed_data, raised, resolved, escalated, acknowledged, "
              "tasks_opened, tasks_done, tasks_escalated, open, order_view, refused) (step 1, "
              "line 12)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - at: 0s\n  - expect: {raised: [{kind: qc_failed, "
                       "sev: high}]}\n"),
              "steps[1].expect.raised[0].sev: unknown key (expected one of: kind, severity, "
              "dept, detail, scope) (step 2, line 4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    act: {do: ack, exception: "
                       "qc_failed, who: x}\n"),
              "steps[0].act.who: unknown key (expected one of: do, exception, task, by, note) "
              "(step 1, line 4)");
}

TEST_F(scenario_file, a_bad_duration_or_time_is_an_error) {
    EXPECT_EQ(error_of("name: a\nsteps:\n  - at: 5x\n"),
              "steps[0].at: expected a duration like 30s, 5m, 4h, 2d or 1d6h, got '5x' (step 1, "
              "line 3)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - after: 1.5h\n"),
              "steps[0].after: expected a duration like 30s, 5m, 4h, 2d or 1d6h, got '1.5h' "
              "(step 1, line 3)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - at: 2h\n  - at: 1h\n"),
              "steps[1].at: is before the previous step (at 2h) (step 2, line 4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - at: 1h\n    after: 1h\n"),
              "steps[0].after: give `at` or `after`, not both (step 1, line 4)");
    EXPECT_EQ(error_of("name: a\nstart: monday\nsteps:\n  - at: 0s\n"),
              "start: expected a UTC time like 2026-03-02T08:00:00Z, got 'monday' (line 2)");
}

TEST_F(scenario_file, an_unknown_topic_is_an_error_unless_the_step_expects_a_refusal) {
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    event: sales.order.shipped\n"),
              "steps[0].event: unknown topic 'sales.order.shipped' (not in the schemas) (step 1, "
              "line 4)");
    scenario sc = load(
        "name: a\nsteps:\n  - order: SO-1\n    event: sales.order.shipped\n    expect: {refused: "
        "topic}\n");
    EXPECT_EQ(sc.steps[0].expect.refused, refusal::topic);
    EXPECT_EQ(sc.steps[0].event->source, "sales");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - event: sales.order.placed\n"),
              "steps[0].event: topic sales.order.placed needs an order: give the step `order:` "
              "(no earlier step names one) (step 1, line 3)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - at: 0s\n    data: {x: 1}\n"),
              "steps[0].data: belongs to an event; this step has none (step 1, line 4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - at: 0s\n    expect: {refused: schema}\n"),
              "steps[0].expect.refused: only an event can be refused; this step has none (step "
              "1, line 4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    event: sales.order.placed\n    "
                       "expect: {refused: nack}\n"),
              "steps[0].expect.refused: 'nack' is not a refusal code (decode, envelope, schema, "
              "topic, forbidden, limit) (step 1, line 5)");
}

TEST_F(scenario_file, an_unknown_act_or_target_is_an_error) {
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    act: {do: escalate, exception: "
                       "credit_hold}\n"),
              "steps[0].act.do: expected ack, resolve or task_done, got 'escalate' (step 1, line "
              "4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    act: {do: ack, exception: "
                       "credit}\n"),
              "steps[0].act.exception: expected an exception kind open on the order "
              "(stage_overdue, delivery_at_risk, delivery_late, credit_hold, payment_overdue, "
              "die_overdue, qc_failed, delivery_failed, case_overdue, invoice_missing, "
              "out_of_sequence, unknown_order, feed_gap, short_produced, invoice_mismatch) or an "
              "exception id like E-3, got "
              "'credit' (step 1, line 4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    act: {do: task_done, task: "
                       "sales-desk}\n"),
              "steps[0].act.task: expected a department with an open task on the order, or a "
              "task id like T-2, got 'sales-desk' (step 1, line 4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    act: {do: resolve, task: sales}\n"),
              "steps[0].act.task: resolve names an exception, not a task (step 1, line 4)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - act: {do: ack, exception: qc_failed}\n"),
              "steps[0].act: names 'qc_failed' on an order, but no step so far names an order "
              "(step 1, line 3)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - order: SO-1\n    event: sales.order.cancelled\n    "
                       "act: {do: ack, exception: E-1}\n"),
              "steps[0].act: a step has an event or an act, not both (step 1, line 5)");
}

TEST_F(scenario_file, misspelt_names_in_expectations_are_errors) {
    EXPECT_EQ(error_of("name: a\nsteps:\n  - expect: {raised: [credit_hld]}\n"),
              "steps[0].expect.raised[0]: 'credit_hld' is not an exception kind (stage_overdue, "
              "delivery_at_risk, delivery_late, credit_hold, payment_overdue, die_overdue, "
              "qc_failed, delivery_failed, case_overdue, invoice_missing, out_of_sequence, "
              "unknown_order, feed_gap, short_produced, invoice_mismatch) (step 1, line 3)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - expect: {tasks_done: [shipping]}\n"),
              "steps[0].expect.tasks_done[0]: 'shipping' is not a department (sales, finance, "
              "production, logistics) (step 1, line 3)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - expect: {relayed: [sale.status]}\n"),
              "steps[0].expect.relayed[0]: 'sale.status' is not a relay topic "
              "(<department>.<request>, exception.<kind>, task.<department> or task.escalation) "
              "(step 1, line 3)");
    EXPECT_EQ(error_of("name: a\nsteps:\n  - expect: {raised: [{kind: qc_failed, severity: "
                       "urgent}]}\n"),
              "steps[0].expect.raised[0].severity: 'urgent' is not a severity (warning, low, "
              "medium, high, critical) (step 1, line 3)");
}

TEST_F(scenario_file, name_and_steps_are_required) {
    EXPECT_EQ(error_of("steps:\n  - at: 0s\n"), "name: required key is missing");
    EXPECT_EQ(error_of("name: a\n"), "steps: required key is missing");
    EXPECT_EQ(error_of("name: a\nsteps: []\n"),
              "steps: a scenario needs at least one step (line 2)");
    EXPECT_EQ(error_of("- a\n"), ": expected a map with `name` and `steps` (line 1)");
}

TEST_F(scenario_file, flow_and_customer_errors_come_from_their_own_parsers_with_the_scenario_line) {
    EXPECT_EQ(error_of("name: a\nflow:\n  auto_credit: maybe\nsteps:\n  - at: 0s\n"),
              "flow.auto_credit: expected true or false (line 3)");
    EXPECT_EQ(error_of("name: a\nflow: {warnings_at: 5%}\nsteps:\n  - at: 0s\n"),
              "flow.warnings_at: unknown key (expected one of: auto_credit, stages, warning_at, "
              "cases, task_due, tolerance, deposit, overdue_hold_cents, payment_days) (line 2)");
    EXPECT_EQ(error_of("name: a\nflow:\n  stages:\n    - {name: a, holder: sales, sla: 4h}\n    - "
                       "{name: b, holder: legal, sla: 4h, exit: paid}\nsteps:\n  - at: 0s\n"),
              "flow.stages[0].exit: required key is missing (line 4)");
    EXPECT_EQ(error_of("name: a\ncustomers:\n  - {id: C-1}\n  - {id: C-2, tier: Z}\nsteps:\n  - "
                       "at: 0s\n"),
              "customers[1].tier: expected key, A, B or C, got 'Z' (line 4)");
}

TEST(scenario_files, a_folder_gives_its_yaml_files_by_name) {
    testing::temp_dir dir;
    dir.write("b.yaml", "x");
    dir.write("a.yaml", "x");
    dir.write("notes.txt", "x");
    dir.write("single.yaml", "x");
    auto files = scenario_files({dir.path().string(), dir / "single.yaml"});
    EXPECT_EQ(files, (std::vector<std::string>{dir / "a.yaml", dir / "b.yaml", dir / "single.yaml",
                                               dir / "single.yaml"}));
    EXPECT_THROW(scenario_files({dir / "missing.yaml"}), config_error);
    testing::temp_dir empty;
    try {
        scenario_files({empty.path().string()});
        ADD_FAILURE() << "an empty folder must be refused";
    } catch (const config_error& e) {
        EXPECT_EQ(e.reason, "no *.yaml scenario files in this folder");
    }
}

}  // namespace
}  // namespace baton
