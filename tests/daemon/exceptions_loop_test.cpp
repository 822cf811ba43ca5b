// Integration: exceptions through the real loop with a flow whose SLAs are seconds. A stalled
// order raises stage_overdue in the feed file and on the relay; people ack and resolve it over
// the control socket; the feed holds the whole lifecycle; a restart keeps what is open and the
// timers still fire.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>
#include <zmq_addon.hpp>

#include "codec.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::ingest_client;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;

const char* fast_flow =
    "warning_at: 50%\n"
    "task_due: 1h\n"
    "stages:\n"
    "  - {name: credit_review, holder: finance, sla: 1s, exit: credit_approved, relay: "
    "finance.credit_check}\n"
    "  - {name: scheduling, holder: production, sla: 1h, exit: scheduled, relay: "
    "production.release}\n"
    "  - {name: production, holder: production, sla: 1d, sla_from: planned_finish, exit: "
    "produced}\n"
    "  - {name: shipping, holder: logistics, sla: 1h, exit: dispatched, relay: "
    "logistics.ship_request}\n"
    "  - {name: in_transit, holder: logistics, sla: 3d, exit: delivered}\n";

std::vector<value> feed_lines(const std::string& path) {
    std::vector<value> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        // The feed is JSON; the checks below only need a few fields, read by hand.
        value v;
        auto field = [&](const char* key) {
            std::string k = std::string("\"") + key + "\":\"";
            auto at = line.find(k);
            if (at == std::string::npos) return std::string();
            at += k.size();
            return line.substr(at, line.find('"', at) - at);
        };
        for (const char* key : {"state", "id", "kind", "severity", "order", "detail", "by"})
            v.set(key, field(key));
        out.push_back(std::move(v));
    }
    return out;
}

value cmd(const char* name) {
    value r;
    r.set("cmd", name);
    return r;
}

value open_exceptions(daemon_harness& d) {
    return *d.call(cmd("exceptions")).find("exceptions");
}

TEST(exceptions_loop, a_stalled_order_raises_stage_overdue_in_the_feed_and_on_the_relay) {
    temp_dir dir;
    config c = test_config(dir);
    c.flow_file = dir.write("flow.yaml", fast_flow);
    daemon_harness d(c);
    d.start();
    zmq::socket_t sub(d.context(), zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, "exception.");
    sub.connect(d.relay());
    std::this_thread::sleep_for(200ms);

    ingest_client client(d.context(), d.ingest());
    auto r = client.send_and_wait(testing::order_placed("ev-1", "SO-STUCK"), 10s);
    ASSERT_TRUE(r && r->acked);
    // Warning at 0.5 s, overdue at 1 s (key account: high), escalated at 2 s (critical).
    std::vector<std::string> states;
    std::string id;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (states.size() < 3 && std::chrono::steady_clock::now() < deadline) {
        zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, 500ms) == 0) continue;
        std::vector<zmq::message_t> frames;
        (void)zmq::recv_multipart(sub, std::back_inserter(frames));
        EXPECT_EQ(frames[0].to_string(), "exception.stage_overdue");
        envelope e;
        std::string reason;
        ASSERT_TRUE(decode_relayed(frames[1].to_string_view(), decode_limits{}, e, reason));
        states.push_back(e.data.find("state")->as_string() + "/" +
                         e.data.find("severity")->as_string());
        id = e.data.find("id")->as_string();
        EXPECT_EQ(e.order, "SO-STUCK");
    }
    EXPECT_EQ(states,
              (std::vector<std::string>{"raised/warning", "escalated/high", "escalated/critical"}));

    value open = open_exceptions(d);
    ASSERT_EQ(open.as_list().size(), 1u);
    EXPECT_EQ(open.as_list()[0].find("id")->as_string(), id);
    EXPECT_EQ(open.as_list()[0].find("dept")->as_string(), "finance");
    EXPECT_NE(open.as_list()[0].find("detail")->as_string().find(
                  "SO-STUCK has been in credit_review for"),
              std::string::npos);
    value tasks = *d.call(cmd("tasks")).find("tasks");
    ASSERT_EQ(tasks.as_list().size(), 1u);
    EXPECT_EQ(tasks.as_list()[0].find("dept")->as_string(), "finance");

    // A person acknowledges, then resolves.
    value ack = cmd("ack");
    ack.set("id", id);
    ack.set("by", "cs.lead");
    ack.set("note", "called finance");
    EXPECT_TRUE(d.call(ack).find("ok")->as_bool());
    EXPECT_FALSE(d.call(ack).find("ok")->as_bool()) << "acknowledged twice";
    value resolve = cmd("resolve");
    resolve.set("id", id);
    resolve.set("by", "cs.lead");
    EXPECT_TRUE(d.call(resolve).find("ok")->as_bool());
    EXPECT_TRUE(open_exceptions(d).as_list().empty());

    auto lines = feed_lines(c.feed_path);
    std::vector<std::string> fed;
    for (const auto& l : lines) fed.push_back(l.find("state")->as_string());
    EXPECT_EQ(fed, (std::vector<std::string>{"raised", "escalated", "escalated", "acknowledged",
                                             "resolved"}));
    for (const auto& l : lines) {
        EXPECT_EQ(l.find("id")->as_string(), id);
        EXPECT_EQ(l.find("kind")->as_string(), "stage_overdue");
        EXPECT_EQ(l.find("order")->as_string(), "SO-STUCK");
    }
    EXPECT_EQ(lines.back().find("by")->as_string(), "cs.lead");
}

TEST(exceptions_loop, the_stage_moving_on_resolves_it_and_closes_the_task) {
    temp_dir dir;
    config c = test_config(dir);
    c.flow_file = dir.write("flow.yaml", fast_flow);
    daemon_harness d(c);
    d.start();
    ingest_client client(d.context(), d.ingest());
    ASSERT_TRUE(client.send_and_wait(testing::order_placed("ev-1", "SO-LATE"), 10s)->acked);
    for (int i = 0; i < 100 && d.call(cmd("tasks")).find("tasks")->as_list().empty(); ++i)
        std::this_thread::sleep_for(50ms);
    ASSERT_EQ(open_exceptions(d).as_list().size(), 1u);
    ASSERT_TRUE(client.send_and_wait(testing::credit_approved("ev-2", "SO-LATE"), 10s)->acked);
    EXPECT_TRUE(open_exceptions(d).as_list().empty());
    EXPECT_TRUE(d.call(cmd("tasks")).find("tasks")->as_list().empty());
    value all = cmd("exceptions");
    all.set("state", "resolved");
    value resolved = *d.call(all).find("exceptions");
    ASSERT_EQ(resolved.as_list().size(), 1u);
    EXPECT_EQ(resolved.as_list()[0].find("note")->as_string(), "moved on to scheduling");
    EXPECT_EQ(resolved.as_list()[0].find("by")->as_string(), "baton");
}

TEST(exceptions_loop, a_restart_keeps_open_exceptions_and_pending_timers) {
    temp_dir dir;
    config c = test_config(dir);
    c.flow_file = dir.write("flow.yaml", std::string(fast_flow).replace(
                                             std::string(fast_flow).find("sla: 1s"), 7, "sla: 3s"));
    daemon_harness d(c);
    d.start();
    ingest_client client(d.context(), d.ingest());
    ASSERT_TRUE(client.send_and_wait(testing::order_placed("ev-1", "SO-A"), 10s)->acked);
    // The warning (at 1.5 s) arrives before the restart; the deadline (3 s) after it.
    for (int i = 0; i < 100 && open_exceptions(d).as_list().empty(); ++i)
        std::this_thread::sleep_for(50ms);
    value before = open_exceptions(d);
    ASSERT_EQ(before.as_list().size(), 1u);
    EXPECT_EQ(before.as_list()[0].find("severity")->as_string(), "warning");
    d.stop();
    d.start();
    value after = open_exceptions(d);
    ASSERT_EQ(after.as_list().size(), 1u);
    EXPECT_EQ(after.as_list()[0].find("id")->as_string(),
              before.as_list()[0].find("id")->as_string());
    // The deadline timer was rebuilt: the same exception escalates once the SLA is used up.
    std::string severity;
    for (int i = 0; i < 100; ++i) {
        severity = open_exceptions(d).as_list()[0].find("severity")->as_string();
        if (severity != "warning") break;
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(severity, "high");
    auto lines = feed_lines(c.feed_path);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].find("state")->as_string(), "raised");
    EXPECT_EQ(lines[1].find("state")->as_string(), "escalated");
    value status = d.call(cmd("status"));
    std::int64_t open_tasks = 0;
    status.find("tasks_open")->to_int64(open_tasks);
    EXPECT_EQ(open_tasks, 1);
}

}  // namespace
}  // namespace baton
