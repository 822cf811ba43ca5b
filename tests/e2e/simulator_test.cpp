// End-to-end: the simulated plant (adapters/simulator) drives the real batond binary; every order
// ends closed, cancelled, or with an open exception or task saying why not, and batond refuses
// none of its events. Also: same seed, same events; every event passes the schemas.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <zmq.hpp>

#include "control_client.h"
#include "ingest.h"
#include "plant.h"
#include "process.h"
#include "schema.h"
#include "simulation.h"
#include "temp_dir.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::simulator::order_outcome;
using adapters::simulator::plant;
using adapters::simulator::plant_event;
using adapters::simulator::plant_options;
using testing::child_process;
using testing::temp_dir;

constexpr std::int64_t march_2_2026 = 1772438400000;  // 2026-03-02T08:00:00Z

// Every fault well above its default, so 100 orders meet each of them.
plant_options faulty_plant(std::uint64_t seed, std::uint64_t orders, std::int64_t start_ms) {
    plant_options o;
    o.seed = seed;
    o.start_ms = start_ms;
    o.orders = orders;
    o.orders_per_hour = 4;
    o.faults.credit_reject = 0.1;
    o.faults.qc_fail = 0.1;
    o.faults.late_die = 0.3;
    o.faults.slow_pay = 0.15;
    o.faults.delivery_fail = 0.1;
    o.faults.complaint = 0.1;
    o.faults.out_of_order = 0.05;
    o.faults.cancel = 0.05;
    o.faults.slow_answer = 0.1;
    return o;
}

std::int64_t wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct ports {
    int ingest = testing::free_port(), relay = testing::free_port(), control = testing::free_port();
    static std::string endpoint(int p) { return "tcp://127.0.0.1:" + std::to_string(p); }
};

// batond with the default flow, schemas and customers, on free ports, over a temporary folder.
class batond_process {
public:
    batond_process() {
        const std::string src = BATON_SOURCE_DIR;
        std::string yaml = "data_dir: ../var\n";
        yaml += "schemas: " + src + "/schemas\n";
        yaml += "flow: " + src + "/config/flow.yaml\n";
        yaml += "customers: " + src + "/config/customers.yaml\n";
        yaml += "bus:\n";
        yaml += "  ingest: " + ports::endpoint(ports_.ingest) + "\n";
        yaml += "  relay: " + ports::endpoint(ports_.relay) + "\n";
        yaml += "  control: " + ports::endpoint(ports_.control) + "\n";
        yaml += "feed:\n  path: ../var/exceptions.jsonl\n";
        yaml += "log:\n  level: warn\n";
        const std::string cfg = dir_.write("etc/baton.yaml", yaml);
        process_ = std::make_unique<child_process>(
            std::vector<std::string>{BATOND_PATH, "--config", cfg}, dir_ / "batond.log");
    }
    ~batond_process() {
        if (process_) {
            process_->signal(SIGTERM);
            process_->wait();
        }
    }

    std::string ingest() const { return ports::endpoint(ports_.ingest); }
    std::string control() const { return ports::endpoint(ports_.control); }
    zmq::context_t& context() { return context_; }

    // True once batond answers `status`.
    bool wait_ready() {
        for (int i = 0; i < 100; ++i) {
            value req;
            req.set("cmd", "status");
            adapters::control_client c(context_, control());
            if (c.call(req, 200ms)) return true;
        }
        return false;
    }

    value call(const value& request) {
        adapters::control_client c(context_, control());
        std::string error;
        auto reply = c.call(request, 10s, &error);
        EXPECT_TRUE(reply) << error;
        if (!reply) return value();
        const value* ok = reply->find("ok");
        EXPECT_TRUE(ok && ok->is_bool() && ok->as_bool()) << "control refused the request";
        return *reply;
    }

private:
    temp_dir dir_;
    ports ports_;
    zmq::context_t context_{1};
    std::unique_ptr<child_process> process_;
};

std::string text(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : std::string();
}

const value_list& list(const value& reply, const char* key) {
    static const value_list empty;
    const value* l = reply.find(key);
    return l && l->is_list() ? l->as_list() : empty;
}

TEST(simulator, same_seed_and_start_give_the_same_events) {
    auto events_of = [](std::uint64_t seed) {
        plant p(faulty_plant(seed, 30, march_2_2026));
        std::vector<std::pair<std::int64_t, std::string>> out;
        plant_event ev;
        while (p.next(ev)) out.emplace_back(ev.send_ms, encode_envelope(ev.event));
        return out;
    };
    const auto a = events_of(42), b = events_of(42), c = events_of(43);
    ASSERT_GT(a.size(), 30u * 8);
    EXPECT_TRUE(a == b) << "two runs with seed 42 differ";
    EXPECT_FALSE(a == c) << "seeds 42 and 43 gave the same events";
    for (std::size_t i = 1; i < a.size(); ++i)
        ASSERT_LE(a[i - 1].first, a[i].first) << "events leave the plant out of send order";
}

TEST(simulator, every_event_passes_the_schemas_and_ids_are_unique_per_source) {
    const schema_set schemas = schema_set::load(std::string(BATON_SOURCE_DIR) + "/schemas");
    ingest_rules rules;
    rules.schemas = &schemas;
    plant p(faulty_plant(7, 400, march_2_2026));
    std::set<std::pair<std::string, std::string>> ids;
    std::map<std::string, std::uint64_t> last_seq;
    std::set<std::string> topics;
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
    }
    EXPECT_EQ(p.stats().events, n);
    EXPECT_EQ(p.stats().in_progress(), 0u) << "the plant stopped with orders in progress";
    // Every topic a department publishes, faults included.
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
        EXPECT_TRUE(topics.count(t)) << "400 faulty orders never produced " << t;
}

TEST(simulator, hundred_orders_through_batond_end_closed_cancelled_or_explained) {
    batond_process daemon;
    ASSERT_TRUE(daemon.wait_ready()) << "batond did not start";

    plant p(faulty_plant(2024, 100, wall_now_ms()));
    adapters::simulator::run_options ro;
    ro.ingest = daemon.ingest();
    ro.speed = 0;  // as fast as possible
    ro.final_wait = 20s;
    const auto report = adapters::simulator::run_simulation(p, daemon.context(), ro);

    EXPECT_EQ(report.nacked, 0u) << (report.first_nacks.empty() ? "" : report.first_nacks[0]);
    EXPECT_EQ(report.unanswered, 0u);
    ASSERT_TRUE(report.done()) << "the simulator did not finish";
    EXPECT_EQ(report.acked, report.sent);
    EXPECT_EQ(report.acked, report.plant.events);
    ASSERT_EQ(report.plant.orders_placed, 100u);
    EXPECT_EQ(report.plant.in_progress(), 0u);
    // The faults the test is about happened.
    EXPECT_GT(report.plant.credit_rejections, 0u);
    EXPECT_GT(report.plant.qc_failures, 0u);
    EXPECT_GT(report.plant.failed_deliveries, 0u);
    EXPECT_GT(report.plant.out_of_order, 0u);
    EXPECT_GT(report.plant.cancellations, 0u);
    EXPECT_GT(report.plant.complaints, 0u);

    value req;
    req.set("cmd", "status");
    std::int64_t events = -1;
    if (const value* e = daemon.call(req).find("events")) e->to_int64(events);
    EXPECT_EQ(events, static_cast<std::int64_t>(report.acked)) << "batond journaled a different "
                                                                  "number of events";

    value orders_req;
    orders_req.set("cmd", "orders");
    orders_req.set("limit", 100000);
    std::map<std::string, std::string> stage_of;
    const value orders = daemon.call(orders_req);
    for (const auto& o : list(orders, "orders")) stage_of[text(o, "id")] = text(o, "stage");

    value exceptions_req;
    exceptions_req.set("cmd", "exceptions");
    exceptions_req.set("state", "open");
    exceptions_req.set("limit", 100000);
    std::map<std::string, std::vector<std::string>> open_exceptions;  // order -> kinds
    const value exceptions = daemon.call(exceptions_req);
    for (const auto& e : list(exceptions, "exceptions"))
        open_exceptions[text(e, "order")].push_back(text(e, "kind"));

    value tasks_req;
    tasks_req.set("cmd", "tasks");
    tasks_req.set("state", "open");
    tasks_req.set("limit", 100000);
    std::set<std::string> open_tasks;
    const value tasks = daemon.call(tasks_req);
    for (const auto& t : list(tasks, "tasks")) open_tasks.insert(text(t, "order"));

    std::map<std::string, int> stages;
    for (const auto& [id, outcome] : p.outcomes()) {
        SCOPED_TRACE(id);
        ASSERT_TRUE(stage_of.count(id)) << "batond does not know the order";
        const std::string& stage = stage_of[id];
        ++stages[stage];
        const bool explained = open_exceptions.count(id) || open_tasks.count(id);
        EXPECT_TRUE(stage == "closed" || stage == "cancelled" || explained)
            << "stuck in " << stage << " with no open exception or task naming it";
        // And batond agrees with what the plant did to it.
        switch (outcome) {
            case order_outcome::closed: EXPECT_EQ(stage, "closed"); break;
            case order_outcome::cancelled: EXPECT_EQ(stage, "cancelled"); break;
            case order_outcome::on_hold: {
                EXPECT_EQ(stage, "credit_review");
                const auto& kinds = open_exceptions[id];
                EXPECT_NE(std::find(kinds.begin(), kinds.end(), "credit_hold"), kinds.end())
                    << "left on credit hold, but no open credit_hold exception";
                break;
            }
            case order_outcome::in_progress: ADD_FAILURE() << "the plant left it in progress";
        }
    }
    EXPECT_EQ(stages["closed"], static_cast<int>(report.plant.closed));
    EXPECT_EQ(stages["cancelled"], static_cast<int>(report.plant.cancelled));
    std::printf("%s", adapters::simulator::summary_text(report, 2024).c_str());
}

TEST(simulator, baton_sim_binary_sends_every_event_and_exits_zero) {
    batond_process daemon;
    ASSERT_TRUE(daemon.wait_ready()) << "batond did not start";
    temp_dir dir;
    auto [status, output] = testing::run_program(
        {BATON_SIM_PATH, "--ingest", daemon.ingest(), "--as-fast-as-possible", "--orders", "20",
         "--seed", "5", "--credit-reject", "0.2", "--delivery-fail", "0.2"},
        dir / "baton-sim.log");
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("20 placed"), std::string::npos) << output;
    EXPECT_NE(output.find(" 0 nacked"), std::string::npos) << output;

    value req;
    req.set("cmd", "orders");
    req.set("limit", 1000);
    const value orders = daemon.call(req);
    EXPECT_EQ(list(orders, "orders").size(), 20u);
}

}  // namespace
}  // namespace baton
