// Tests of daemon/control: handle_control against a fake control_context. Good requests pass
// the context's answers through with ok=true; every malformed request gets ok=false and one
// precise error, and never reaches the context.
#include "control.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace baton {
namespace {

// Answers from fixed data and remembers what it was asked.
class fake_context : public control_context {
public:
    value status() override {
        ++status_calls;
        value s;
        s.set("version", value("0.1.0"));
        s.set("uptime_s", value(12ULL));
        s.set("events", value(345ULL));
        s.set("relay_seq", value(99ULL));
        return s;
    }
    std::optional<value> order(const std::string& id) override {
        asked_orders.push_back(id);
        auto it = known_orders.find(id);
        if (it == known_orders.end()) return std::nullopt;
        return it->second;
    }
    value orders(const orders_query& q) override {
        asked_queries.push_back(q);
        value r;
        r.set("orders", value(value_list{}));
        return r;
    }
    value replay(std::uint64_t since, std::size_t limit) override {
        replays.emplace_back(since, limit);
        value r;
        r.set("messages", value(value_list{}));
        return r;
    }

    value exceptions(const exceptions_query& q) override {
        asked_exceptions.push_back(q);
        value r;
        r.set("exceptions", value(value_list{}));
        return r;
    }
    value tasks(const task_filter& f) override {
        asked_tasks.push_back(f);
        value r;
        r.set("tasks", value(value_list{}));
        return r;
    }
    std::string act(desk_action action, std::uint64_t id, const std::string& by,
                    const std::string& note, const std::string& to) override {
        acts.push_back(std::string(desk_action_name(action)) + " " + std::to_string(id) + " " + by +
                       " " + note + (to.empty() ? "" : " -> " + to));
        return id == 404 ? "exception E-404 is not known" : "";
    }
    std::string reload() override {
        ++reloads;
        return reload_refusal;
    }
    value kpi(const kpi_query& q) override {
        kpi_windows.emplace_back(q.window.since_ms, q.window.until_ms);
        kpi_queries.push_back(q);
        value r;
        r.set("stages", value(value_list{}));
        return r;
    }
    std::optional<value> customer(const std::string& id) override {
        asked_customers.push_back(id);
        if (id != "C-1001") return std::nullopt;
        value c;
        c.set("id", id);
        c.set("tier", "key");
        return c;
    }
    value customers(const customers_query& q) override {
        customer_queries.push_back(q);
        value r;
        r.set("customers", value(value_list{}));
        r.set("total", 0);
        return r;
    }

    std::vector<exceptions_query> asked_exceptions;
    std::vector<kpi_query> kpi_queries;
    std::vector<std::string> asked_customers;
    std::vector<customers_query> customer_queries;
    std::vector<task_filter> asked_tasks;
    std::vector<std::string> acts;
    std::vector<std::pair<std::int64_t, std::int64_t>> kpi_windows;
    std::map<std::string, value> known_orders;
    std::vector<orders_query> asked_queries;
    std::vector<std::pair<std::uint64_t, std::size_t>> replays;
    std::vector<std::string> asked_orders;
    int status_calls = 0;
    int reloads = 0;
    std::string reload_refusal;
};

value request(const char* cmd) {
    value r;
    r.set("cmd", value(cmd));
    return r;
}

value request(const char* cmd, const char* key, value arg) {
    value r = request(cmd);
    r.set(key, std::move(arg));
    return r;
}

bool ok_of(const value& reply) {
    const value* ok = reply.find("ok");
    EXPECT_NE(ok, nullptr);
    EXPECT_TRUE(ok && ok->is_bool());
    return ok && ok->is_bool() && ok->as_bool();
}

// The error of a refused request; checks the reply has exactly ok=false and error.
std::string error_of(const value& reply) {
    EXPECT_FALSE(ok_of(reply));
    const value* error = reply.find("error");
    EXPECT_NE(error, nullptr);
    if (!error || !error->is_string()) return "<no error string>";
    EXPECT_TRUE(reply.is_map() && reply.as_map().size() == 2u);
    return error->as_string();
}

value an_order() {
    value o;
    o.set("id", value("SO-1"));
    o.set("customer", value("C-1001"));
    o.set("stage", value("credit_review"));
    o.set("holder", value("finance"));
    return o;
}

TEST(control, status_passes_the_context_answer_through_with_ok) {
    fake_context ctx;
    value reply = handle_control(request("status"), ctx);
    EXPECT_TRUE(ok_of(reply));
    EXPECT_EQ(ctx.status_calls, 1);
    ASSERT_NE(reply.find("version"), nullptr);
    EXPECT_EQ(reply.find("version")->as_string(), "0.1.0");
    std::uint64_t seq = 0;
    ASSERT_NE(reply.find("relay_seq"), nullptr);
    EXPECT_TRUE(reply.find("relay_seq")->to_uint64(seq));
    EXPECT_EQ(seq, 99u);
    EXPECT_EQ(reply.find("error"), nullptr);
    EXPECT_EQ(reply.as_map().size(), 5u);  // ok + the four status keys
    EXPECT_EQ(reply.as_map()[0].key, "ok");
}

TEST(control, status_with_an_argument_is_refused) {
    fake_context ctx;
    value reply = handle_control(request("status", "verbose", value(true)), ctx);
    EXPECT_EQ(error_of(reply), "unknown argument 'verbose'");
    EXPECT_EQ(ctx.status_calls, 0);
}

TEST(control, order_with_a_known_id_returns_the_order_map) {
    fake_context ctx;
    ctx.known_orders["SO-1"] = an_order();
    value reply = handle_control(request("order", "id", value("SO-1")), ctx);
    EXPECT_TRUE(ok_of(reply));
    EXPECT_EQ(ctx.asked_orders, std::vector<std::string>{"SO-1"});
    const value* order = reply.find("order");
    ASSERT_NE(order, nullptr);
    ASSERT_TRUE(order->is_map());
    EXPECT_EQ(order->find("id")->as_string(), "SO-1");
    EXPECT_EQ(order->find("stage")->as_string(), "credit_review");
    EXPECT_EQ(order->find("holder")->as_string(), "finance");
    EXPECT_EQ(reply.as_map().size(), 2u);  // ok, order
}

TEST(control, order_without_id_is_refused) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(request("order"), ctx)), "order: 'id' (string) is required");
    EXPECT_TRUE(ctx.asked_orders.empty());
}

TEST(control, order_with_non_string_id_is_refused) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(request("order", "id", value(1001ULL)), ctx)),
              "order: 'id' (string) is required");
    EXPECT_EQ(error_of(handle_control(request("order", "id", value()), ctx)),
              "order: 'id' (string) is required");
    EXPECT_TRUE(ctx.asked_orders.empty());
}

TEST(control, order_with_empty_id_is_refused) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(request("order", "id", value("")), ctx)),
              "order: 'id' (string) is required");
    EXPECT_TRUE(ctx.asked_orders.empty());
}

TEST(control, order_with_unknown_id_is_refused_and_named) {
    fake_context ctx;
    ctx.known_orders["SO-1"] = an_order();
    EXPECT_EQ(error_of(handle_control(request("order", "id", value("SO-2")), ctx)),
              "order 'SO-2' is not known");
    EXPECT_EQ(ctx.asked_orders, std::vector<std::string>{"SO-2"});
}

TEST(control, order_with_an_unknown_argument_is_refused) {
    fake_context ctx;
    ctx.known_orders["SO-1"] = an_order();
    value r = request("order", "id", value("SO-1"));
    r.set("verbose", value(true));
    EXPECT_EQ(error_of(handle_control(r, ctx)), "unknown argument 'verbose'");
    EXPECT_TRUE(ctx.asked_orders.empty());
}

TEST(control, unknown_command_is_refused_and_named) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(request("x"), ctx)), "unknown command 'x'");
    EXPECT_EQ(error_of(handle_control(request("STATUS"), ctx)), "unknown command 'STATUS'");
    EXPECT_EQ(ctx.status_calls, 0);
}

TEST(control, request_that_is_not_a_map_is_refused) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(value(value_list{value("status")}), ctx)),
              "request must be a map, got array");
    EXPECT_EQ(error_of(handle_control(value("status"), ctx)), "request must be a map, got string");
    EXPECT_EQ(error_of(handle_control(value(), ctx)), "request must be a map, got nil");
}

TEST(control, request_without_cmd_is_refused) {
    fake_context ctx;
    value r;
    r.set("id", value("SO-1"));
    EXPECT_EQ(error_of(handle_control(r, ctx)), "missing 'cmd'");
    EXPECT_EQ(error_of(handle_control(value(value_map{}), ctx)), "missing 'cmd'");
}

TEST(control, non_string_cmd_is_refused) {
    fake_context ctx;
    value r;
    r.set("cmd", value(1ULL));
    EXPECT_EQ(error_of(handle_control(r, ctx)), "'cmd' must be a string");
    r.set("cmd", value(value_list{value("status")}));
    EXPECT_EQ(error_of(handle_control(r, ctx)), "'cmd' must be a string");
    EXPECT_EQ(ctx.status_calls, 0);
}

TEST(control, control_error_builds_a_refusal_reply) {
    value reply = control_error("decode: empty frame");
    EXPECT_EQ(error_of(reply), "decode: empty frame");
    EXPECT_EQ(reply.as_map()[0].key, "ok");
}

TEST(control, orders_passes_the_filters_and_limit_to_the_context) {
    fake_context ctx;
    value req = request("orders", "stage", value("credit_review"));
    req.set("holder", "finance");
    req.set("customer", "C-1001");
    req.set("limit", 5);
    EXPECT_TRUE(ok_of(handle_control(req, ctx)));
    ASSERT_EQ(ctx.asked_queries.size(), 1u);
    EXPECT_EQ(ctx.asked_queries[0].stage, "credit_review");
    EXPECT_EQ(ctx.asked_queries[0].holder, "finance");
    EXPECT_EQ(ctx.asked_queries[0].customer, "C-1001");
    EXPECT_EQ(ctx.asked_queries[0].limit, 5u);
}

TEST(control, orders_refuses_bad_filters) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(request("orders", "stage", value(3)), ctx)),
              "orders: 'stage' must be a string");
    EXPECT_EQ(error_of(handle_control(request("orders", "limit", value(0)), ctx)),
              "orders: 'limit' must be a positive integer");
    EXPECT_EQ(error_of(handle_control(request("orders", "colour", value("red")), ctx)),
              "unknown argument 'colour'");
    EXPECT_TRUE(ctx.asked_queries.empty());
}

TEST(control, replay_needs_since_and_caps_the_limit) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(request("replay"), ctx)),
              "replay: 'since' (the last seq you processed, 0 for all) is required");
    EXPECT_EQ(error_of(handle_control(request("replay", "since", value(-1)), ctx)),
              "replay: 'since' must be the last seq you processed (0 for all), an integer from 0 "
              "to 9223372036854775807, got -1");
    EXPECT_TRUE(ok_of(handle_control(request("replay", "since", value(7)), ctx)));
    value big = request("replay", "since", value(0));
    big.set("limit", 1000000);
    EXPECT_TRUE(ok_of(handle_control(big, ctx)));
    ASSERT_EQ(ctx.replays.size(), 2u);
    EXPECT_EQ(ctx.replays[0], (std::pair<std::uint64_t, std::size_t>{7, 1000}));
    EXPECT_EQ(ctx.replays[1].second, max_replay);
}

TEST(control, exceptions_passes_filters_and_refuses_bad_ones) {
    fake_context ctx;
    value req = request("exceptions", "state", value("all"));
    req.set("kind", "credit_hold");
    req.set("dept", "finance");
    EXPECT_TRUE(ok_of(handle_control(req, ctx)));
    ASSERT_EQ(ctx.asked_exceptions.size(), 1u);
    EXPECT_EQ(ctx.asked_exceptions[0].filter.state, "all");
    EXPECT_EQ(ctx.asked_exceptions[0].filter.kind, "credit_hold");
    EXPECT_EQ(ctx.asked_exceptions[0].filter.dept, "finance");
    EXPECT_EQ(error_of(handle_control(request("exceptions", "state", value("closed")), ctx)),
              "exceptions: 'state' must be open, acknowledged, resolved or all, got 'closed'");
    EXPECT_EQ(error_of(handle_control(request("exceptions", "kind", value("fire")), ctx)),
              "exceptions: unknown kind 'fire'");
    EXPECT_EQ(ctx.asked_exceptions.size(), 1u);
}

TEST(control, ack_resolve_and_task_done_need_an_id_and_who) {
    fake_context ctx;
    value ack = request("ack", "id", value("E-7"));
    ack.set("by", "m.weber");
    ack.set("note", "calling the customer");
    EXPECT_TRUE(ok_of(handle_control(ack, ctx)));
    value done = request("task_done", "id", value("T-3"));
    done.set("by", "k.ito");
    EXPECT_TRUE(ok_of(handle_control(done, ctx)));
    ASSERT_EQ(ctx.acts.size(), 2u);
    EXPECT_EQ(ctx.acts[0], "ack 7 m.weber calling the customer");
    EXPECT_EQ(ctx.acts[1], "task_done 3 k.ito ");
    EXPECT_EQ(error_of(handle_control(request("resolve", "id", value("E-7")), ctx)),
              "resolve: 'by' (who you are) is required");
    value bad = request("ack", "id", value("T-7x"));
    bad.set("by", "m.weber");
    EXPECT_EQ(error_of(handle_control(bad, ctx)), "ack: 'id' must be an exception id like E-7");
    value unknown = request("resolve", "id", value(404));
    unknown.set("by", "m.weber");
    EXPECT_EQ(error_of(handle_control(unknown, ctx)), "exception E-404 is not known");
}

TEST(control, assign_gives_an_exception_or_a_task_to_a_person) {
    fake_context ctx;
    value e = request("assign", "id", value("E-7"));
    e.set("to", "wang.fang");
    e.set("by", "lena.w");
    e.set("note", "your customer");
    EXPECT_TRUE(ok_of(handle_control(e, ctx)));
    value t = request("assign", "id", value("t-3"));
    t.set("to", "");  // back to the department
    t.set("by", "lena.w");
    EXPECT_TRUE(ok_of(handle_control(t, ctx)));
    ASSERT_EQ(ctx.acts.size(), 2u);
    EXPECT_EQ(ctx.acts[0], "assign 7 lena.w your customer -> wang.fang");
    EXPECT_EQ(ctx.acts[1], "assign 3 lena.w ");
    value no_to = request("assign", "id", value("E-7"));
    no_to.set("by", "lena.w");
    EXPECT_EQ(error_of(handle_control(no_to, ctx)),
              "assign: 'to' (the person, or \"\" for the department) is required");
    value no_by = request("assign", "id", value("E-7"));
    no_by.set("to", "x");
    EXPECT_EQ(error_of(handle_control(no_by, ctx)), "assign: 'by' (who you are) is required");
    value bare = request("assign", "id", value(7));
    bare.set("to", "x");
    bare.set("by", "y");
    EXPECT_EQ(error_of(handle_control(bare, ctx)),
              "assign: 'id' must be an exception id like E-7 or a task id like T-12");
    value long_to = request("assign", "id", value("E-7"));
    long_to.set("to", std::string(65, 'x'));
    long_to.set("by", "y");
    EXPECT_EQ(error_of(handle_control(long_to, ctx)),
              "assign: 'to' and 'by' are limited to 64 bytes and 'note' to 2000");
    EXPECT_EQ(right_needed("assign"), control_right::operator_);
}

TEST(control, kpi_takes_an_optional_window) {
    fake_context ctx;
    EXPECT_TRUE(ok_of(handle_control(request("kpi"), ctx)));
    value w = request("kpi", "since", value(1000));
    w.set("until", 5000);
    EXPECT_TRUE(ok_of(handle_control(w, ctx)));
    ASSERT_EQ(ctx.kpi_windows.size(), 2u);
    EXPECT_EQ(ctx.kpi_windows[1], (std::pair<std::int64_t, std::int64_t>{1000, 5000}));
    value backwards = request("kpi", "since", value(5000));
    backwards.set("until", 1000);
    EXPECT_EQ(error_of(handle_control(backwards, ctx)), "kpi: 'until' must be after 'since'");
}

TEST(control, replay_refuses_a_since_beyond_int64_instead_of_wrapping) {
    fake_context ctx;
    EXPECT_EQ(
        error_of(handle_control(request("replay", "since", value(9223372036854775808ULL)), ctx)),
        "replay: 'since' must be the last seq you processed (0 for all), an integer from 0 "
        "to 9223372036854775807, got 9223372036854775808");
    EXPECT_EQ(error_of(handle_control(request("replay", "since", value("7")), ctx)),
              "replay: 'since' must be the last seq you processed (0 for all), an integer from 0 "
              "to 9223372036854775807, got string");
    EXPECT_TRUE(
        ok_of(handle_control(request("replay", "since", value(9223372036854775807ULL)), ctx)));
    ASSERT_EQ(ctx.replays.size(), 1u);
    EXPECT_EQ(ctx.replays[0].first, 9223372036854775807ULL);
}

TEST(control, every_integer_argument_is_range_checked) {
    fake_context ctx;
    EXPECT_EQ(error_of(handle_control(request("kpi", "since", value(-5)), ctx)),
              "kpi: 'since' must be ms since the epoch, an integer from 0 to "
              "9223372036854775807, got -5");
    EXPECT_EQ(
        error_of(handle_control(request("kpi", "until", value(18446744073709551615ULL)), ctx)),
        "kpi: 'until' must be ms since the epoch, an integer from 0 to "
        "9223372036854775807, got 18446744073709551615");
    EXPECT_EQ(error_of(handle_control(request("kpi", "until", value(1.5)), ctx)),
              "kpi: 'until' must be ms since the epoch, an integer from 0 to "
              "9223372036854775807, got float");
    EXPECT_EQ(error_of(handle_control(request("orders", "limit", value(-3)), ctx)),
              "orders: 'limit' must be a positive integer");
    value huge_id = request("ack", "id", value(18446744073709551615ULL));
    huge_id.set("by", "m.weber");
    EXPECT_EQ(error_of(handle_control(huge_id, ctx)), "ack: 'id' must be an exception id like E-7");
    value negative_id = request("task_done", "id", value(-1));
    negative_id.set("by", "m.weber");
    EXPECT_EQ(error_of(handle_control(negative_id, ctx)),
              "task_done: 'id' must be a task id like T-12");
    EXPECT_TRUE(ctx.kpi_windows.empty());
    EXPECT_TRUE(ctx.acts.empty());
}

TEST(control, the_table_names_each_command_once_with_its_right) {
    std::set<std::string> names;
    for (const auto& c : control_commands()) {
        EXPECT_TRUE(names.insert(c.name).second) << c.name;
        EXPECT_NE(c.handler, nullptr) << c.name;
        EXPECT_NE(c.right, control_right::none) << c.name;
    }
    // Every command that changes state needs operator rights; the others read.
    for (const char* cmd : {"ack", "resolve", "task_done", "assign", "reload"})
        EXPECT_EQ(right_needed(cmd), control_right::operator_) << cmd;
    for (const char* cmd : {"status", "order", "orders", "exceptions", "tasks", "replay", "kpi",
                            "customer", "customers"})
        EXPECT_EQ(right_needed(cmd), control_right::read) << cmd;
    EXPECT_EQ(right_needed("no-such-command"), control_right::read);
    EXPECT_EQ(names.size(), 14u);
}

TEST(control, reload_goes_to_the_context_and_says_why_it_was_refused) {
    fake_context ctx;
    EXPECT_TRUE(ok_of(handle_control(request("reload"), ctx)));
    ctx.reload_refusal = "flow.yaml: stages[1].sla: expected a duration";
    EXPECT_EQ(error_of(handle_control(request("reload"), ctx)),
              "reload: flow.yaml: stages[1].sla: expected a duration");
    EXPECT_EQ(error_of(handle_control(request("reload", "now", value(true)), ctx)),
              "unknown argument 'now'");
    EXPECT_EQ(ctx.reloads, 2);
}

// --- filters by customer, severity, salesperson and time; customers; KPI breakdowns -----------

constexpr std::int64_t nov_1 = 1793491200000;  // 2026-11-01 00:00 UTC, ms

TEST(control, orders_filters_by_salesperson_and_a_window_in_ms_or_days) {
    fake_context ctx;
    value req = request("orders", "salesperson", value("k.ito"));
    req.set("since", "2026-11-01");
    req.set("until", nov_1 + 86400000);
    EXPECT_TRUE(ok_of(handle_control(req, ctx)));
    ASSERT_EQ(ctx.asked_queries.size(), 1u);
    EXPECT_EQ(ctx.asked_queries[0].salesperson, "k.ito");
    EXPECT_EQ(ctx.asked_queries[0].since_ms, nov_1);
    EXPECT_EQ(ctx.asked_queries[0].until_ms, nov_1 + 86400000);
    // Without them: everything.
    EXPECT_TRUE(ok_of(handle_control(request("orders"), ctx)));
    EXPECT_EQ(ctx.asked_queries[1].since_ms, 0);
    EXPECT_EQ(ctx.asked_queries[1].until_ms, std::numeric_limits<std::int64_t>::max());
}

TEST(control, orders_refuses_bad_windows_precisely) {
    fake_context ctx;
    const std::string must =
        "orders: 'since' must be ms since the epoch (an integer from 0 to 9223372036854775807) "
        "or a date YYYY-MM-DD, got ";
    EXPECT_EQ(error_of(handle_control(request("orders", "since", value(-5)), ctx)), must + "-5");
    EXPECT_EQ(error_of(handle_control(request("orders", "since", value("2026-02-30")), ctx)),
              must + "'2026-02-30'");
    EXPECT_EQ(error_of(handle_control(request("orders", "since", value("yesterday")), ctx)),
              must + "'yesterday'");
    EXPECT_EQ(error_of(handle_control(request("orders", "since", value(1.5)), ctx)),
              must + "float");
    EXPECT_EQ(error_of(handle_control(request("orders", "since", value(true)), ctx)),
              must + "bool");
    value backwards = request("orders", "since", value("2026-11-02"));
    backwards.set("until", "2026-11-01");
    EXPECT_EQ(error_of(handle_control(backwards, ctx)), "orders: 'until' must be after 'since'");
    value same = request("orders", "since", value("2026-11-01"));
    same.set("until", nov_1);
    EXPECT_EQ(error_of(handle_control(same, ctx)), "orders: 'until' must be after 'since'");
    EXPECT_EQ(error_of(handle_control(request("orders", "salesperson", value(7)), ctx)),
              "orders: 'salesperson' must be a string");
    EXPECT_TRUE(ctx.asked_queries.empty());
}

TEST(control, exceptions_filters_by_customer_severity_salesperson_and_raised_time) {
    fake_context ctx;
    value req = request("exceptions", "customer", value("C-1001"));
    req.set("severity", "high");
    req.set("salesperson", "k.ito");
    req.set("since", nov_1);
    req.set("until", "2026-12-01");
    req.set("limit", 7);
    EXPECT_TRUE(ok_of(handle_control(req, ctx)));
    ASSERT_EQ(ctx.asked_exceptions.size(), 1u);
    const exceptions_query& q = ctx.asked_exceptions[0];
    EXPECT_EQ(q.customer, "C-1001");
    EXPECT_EQ(q.severity, "high");
    EXPECT_EQ(q.salesperson, "k.ito");
    EXPECT_EQ(q.since_ms, nov_1);
    EXPECT_EQ(q.until_ms, nov_1 + 30LL * 86400000);
    EXPECT_EQ(q.filter.limit, 7u);
    EXPECT_EQ(q.filter.state, "open");

    EXPECT_EQ(error_of(handle_control(request("exceptions", "severity", value("urgent")), ctx)),
              "exceptions: 'severity' must be warning, low, medium, high or critical, got "
              "'urgent'");
    EXPECT_EQ(error_of(handle_control(request("exceptions", "severity", value(3)), ctx)),
              "exceptions: 'severity' must be warning, low, medium, high or critical, got int");
    EXPECT_EQ(error_of(handle_control(request("exceptions", "until", value("2026-13-01")), ctx)),
              "exceptions: 'until' must be ms since the epoch (an integer from 0 to "
              "9223372036854775807) or a date YYYY-MM-DD, got '2026-13-01'");
    value backwards = request("exceptions", "since", value(nov_1));
    backwards.set("until", nov_1 - 1);
    EXPECT_EQ(error_of(handle_control(backwards, ctx)),
              "exceptions: 'until' must be after 'since'");
    EXPECT_EQ(error_of(handle_control(request("exceptions", "customer", value(1001)), ctx)),
              "exceptions: 'customer' must be a string");
    EXPECT_EQ(error_of(handle_control(request("exceptions", "offset", value(-1)), ctx)),
              "exceptions: 'offset' must be an integer from 0 to 9223372036854775807, got -1");
    EXPECT_EQ(error_of(handle_control(request("exceptions", "offset", value("50")), ctx)),
              "exceptions: 'offset' must be an integer from 0 to 9223372036854775807, got string");
    EXPECT_EQ(ctx.asked_exceptions.size(), 1u);
    EXPECT_TRUE(ok_of(handle_control(request("exceptions", "offset", value(50)), ctx)));
    ASSERT_EQ(ctx.asked_exceptions.size(), 2u);
    EXPECT_EQ(ctx.asked_exceptions.back().offset, 50u);
    EXPECT_TRUE(ok_of(handle_control(request("exceptions", "id", value("E-7")), ctx)));
    ASSERT_EQ(ctx.asked_exceptions.size(), 3u);
    EXPECT_EQ(ctx.asked_exceptions.back().filter.id, 7u);
    EXPECT_EQ(error_of(handle_control(request("exceptions", "id", value("T-7")), ctx)),
              "exceptions: 'id' must be an exception id like E-7");
    EXPECT_EQ(error_of(handle_control(request("tasks", "id", value(7)), ctx)),
              "tasks: 'id' must be a task id like T-12");
}

TEST(control, customer_needs_a_known_id) {
    fake_context ctx;
    value reply = handle_control(request("customer", "id", value("C-1001")), ctx);
    EXPECT_TRUE(ok_of(reply));
    ASSERT_NE(reply.find("customer"), nullptr);
    EXPECT_EQ(reply.find("customer")->find("tier")->as_string(), "key");
    EXPECT_EQ(error_of(handle_control(request("customer", "id", value("C-9")), ctx)),
              "customer 'C-9' is not known");
    EXPECT_EQ(error_of(handle_control(request("customer"), ctx)),
              "customer: 'id' (string) is required");
    EXPECT_EQ(error_of(handle_control(request("customer", "id", value("")), ctx)),
              "customer: 'id' (string) is required");
    EXPECT_EQ(error_of(handle_control(request("customer", "id", value(1001)), ctx)),
              "customer: 'id' (string) is required");
    EXPECT_EQ(error_of(handle_control(request("customer", "tier", value("A")), ctx)),
              "unknown argument 'tier'");
    EXPECT_EQ(ctx.asked_customers, (std::vector<std::string>{"C-1001", "C-9"}));
}

TEST(control, customers_passes_its_filters_and_refuses_bad_ones) {
    fake_context ctx;
    value req = request("customers", "tier", value("key"));
    req.set("blocked", false);
    req.set("overdue", true);
    req.set("over_limit", true);
    req.set("limit", 3);
    EXPECT_TRUE(ok_of(handle_control(req, ctx)));
    EXPECT_TRUE(ok_of(handle_control(request("customers"), ctx)));
    ASSERT_EQ(ctx.customer_queries.size(), 2u);
    const customers_query& q = ctx.customer_queries[0];
    EXPECT_EQ(q.tier, "key");
    EXPECT_EQ(q.blocked, std::optional<bool>(false));
    EXPECT_EQ(q.overdue, std::optional<bool>(true));
    EXPECT_EQ(q.over_limit, std::optional<bool>(true));
    EXPECT_EQ(q.limit, 3u);
    EXPECT_FALSE(ctx.customer_queries[1].blocked.has_value());
    EXPECT_EQ(ctx.customer_queries[1].limit, 1000u);

    EXPECT_EQ(error_of(handle_control(request("customers", "tier", value("D")), ctx)),
              "customers: 'tier' must be key, A, B or C, got 'D'");
    EXPECT_EQ(error_of(handle_control(request("customers", "blocked", value("yes")), ctx)),
              "customers: 'blocked' must be true or false, got string");
    EXPECT_EQ(error_of(handle_control(request("customers", "overdue", value(1)), ctx)),
              "customers: 'overdue' must be true or false, got int");
    EXPECT_EQ(error_of(handle_control(request("customers", "limit", value(0)), ctx)),
              "customers: 'limit' must be a positive integer");
    EXPECT_EQ(ctx.customer_queries.size(), 2u);
}

TEST(control, kpi_takes_a_grouping_and_a_period) {
    fake_context ctx;
    value req = request("kpi", "by", value("tier"));
    req.set("every", "month");
    EXPECT_TRUE(ok_of(handle_control(req, ctx)));
    ASSERT_EQ(ctx.kpi_queries.size(), 1u);
    EXPECT_EQ(ctx.kpi_queries[0].by, "tier");
    EXPECT_EQ(ctx.kpi_queries[0].every, "month");
    EXPECT_EQ(error_of(handle_control(request("kpi", "by", value("region")), ctx)),
              "kpi: 'by' must be customer, tier or salesperson, got 'region'");
    EXPECT_EQ(error_of(handle_control(request("kpi", "every", value("day")), ctx)),
              "kpi: 'every' must be week or month, got 'day'");
    EXPECT_EQ(error_of(handle_control(request("kpi", "every", value(7)), ctx)),
              "kpi: 'every' must be week or month, got int");
    EXPECT_EQ(ctx.kpi_queries.size(), 1u);
}

}  // namespace
}  // namespace baton
