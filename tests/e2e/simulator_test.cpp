// End-to-end: the simulated plant (adapters/simulator) drives the real batond binary; every order
// ends closed, cancelled, or with an open exception or task saying why not, batond refuses none
// of its events and raises what the plant's faults should raise (and nothing they should not);
// invoices carried over past due raise payment_overdue; baton-sim --print shows the same events
// for the same seed. The plant alone is tested in tests/adapters/simulator_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "control_client.h"
#include "plant.h"
#include "process.h"
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
    o.amend_after_schedule = 0.1;
    o.faults.credit_reject = 0.1;
    o.faults.qc_fail = 0.1;
    o.faults.short_run = 0.1;
    o.faults.late_die = 0.3;
    o.faults.slow_pay = 0.15;
    o.faults.late_pay = 0.15;
    o.faults.invoice_mismatch = 0.05;
    o.faults.delivery_fail = 0.1;
    o.faults.complaint = 0.1;
    o.faults.out_of_order = 0.05;
    o.faults.cancel = 0.05;
    o.faults.cancel_late = 0.05;
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

// Every exception kind batond ever raised (any state).
std::set<std::string> kinds_raised(batond_process& daemon) {
    value req;
    req.set("cmd", "exceptions");
    req.set("state", "all");
    req.set("limit", 100000);
    std::set<std::string> out;
    const value reply = daemon.call(req);
    for (const auto& e : list(reply, "exceptions")) out.insert(text(e, "kind"));
    return out;
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

    // The pieces' faults reached batond as the exceptions and tasks they stand for.
    const auto raised = kinds_raised(daemon);
    EXPECT_GT(raised.count("qc_failed"), 0u);
    EXPECT_GT(raised.count("short_produced"), 0u);
    EXPECT_GT(raised.count("delivery_failed"), 0u);
    EXPECT_GT(raised.count("invoice_mismatch"), 0u);
    EXPECT_GT(report.plant.late_cancellations, 0u);
    std::size_t follow_ups = 0;
    for (const auto& t : list(tasks, "tasks")) follow_ups += text(t, "exception").empty();
    EXPECT_GT(follow_ups, 0u) << "no follow-up task open after cancellations of made goods";
    std::printf("%s", adapters::simulator::summary_text(report, 2024).c_str());
}

// Without late events the plant keeps every rule batond checks: nothing out of sequence, no
// unknown order, and each fault's exception resolved by the plant's own answer (the invoice
// mismatches wait for a person, one per mismatched invoice).
TEST(simulator, a_plant_without_late_events_breaks_no_rule) {
    batond_process daemon;
    ASSERT_TRUE(daemon.wait_ready()) << "batond did not start";
    plant_options po = faulty_plant(77, 150, wall_now_ms());
    po.faults.out_of_order = 0;
    plant p(po);
    adapters::simulator::run_options ro;
    ro.ingest = daemon.ingest();
    ro.speed = 0;
    ro.final_wait = 20s;
    const auto report = adapters::simulator::run_simulation(p, daemon.context(), ro);
    ASSERT_TRUE(report.done());
    EXPECT_EQ(report.nacked, 0u);

    value req;
    req.set("cmd", "exceptions");
    req.set("state", "all");
    req.set("limit", 100000);
    std::map<std::string, int> open, all;
    const value reply = daemon.call(req);
    for (const auto& e : list(reply, "exceptions")) {
        ++all[text(e, "kind")];
        if (text(e, "state") != "resolved") ++open[text(e, "kind")];
    }
    EXPECT_EQ(all["out_of_sequence"], 0);
    EXPECT_EQ(all["unknown_order"], 0);
    EXPECT_GT(all["qc_failed"], 0);
    EXPECT_GT(all["short_produced"], 0);
    EXPECT_GT(all["delivery_failed"], 0);
    for (const char* kind : {"qc_failed", "short_produced", "delivery_failed"})
        EXPECT_EQ(open[kind], 0) << kind << " left open";
    EXPECT_EQ(all["invoice_mismatch"], static_cast<int>(report.plant.invoice_mismatches));
    EXPECT_EQ(open["credit_hold"], static_cast<int>(report.plant.on_hold));
}

// Invoices carried into a run that starts now are already past due: batond raises
// payment_overdue for each, in the ageing bucket of its days past due.
TEST(simulator, open_items_raise_payment_overdue_by_ageing_bucket) {
    batond_process daemon;
    ASSERT_TRUE(daemon.wait_ready()) << "batond did not start";
    plant_options po = faulty_plant(5, 5, wall_now_ms());
    po.open_items = 2;
    plant p(po);
    adapters::simulator::run_options ro;
    ro.ingest = daemon.ingest();
    ro.speed = 3600;  // the items are paid 2-40 simulated days later: minutes away
    ro.final_wait = 2s;
    std::atomic<bool> stop{false};
    std::thread stopper([&] {
        std::this_thread::sleep_for(3s);
        stop = true;
    });
    const auto report = adapters::simulator::run_simulation(p, daemon.context(), ro, &stop);
    stopper.join();
    EXPECT_EQ(report.nacked, 0u);
    ASSERT_EQ(report.plant.carried_over, 18u) << "two items for each of the 9 credit customers";

    value req;
    req.set("cmd", "exceptions");
    req.set("kind", "payment_overdue");
    req.set("limit", 1000);
    std::set<std::string> invoices, buckets;
    const value reply = daemon.call(req);
    for (const auto& e : list(reply, "exceptions")) {
        const std::string detail = text(e, "detail");
        const auto at = detail.find("INV-");
        ASSERT_NE(at, std::string::npos) << detail;
        invoices.insert(detail.substr(at, detail.find(' ', at) - at));
        buckets.insert(detail.substr(detail.rfind('(')));
    }
    EXPECT_EQ(invoices.size(), 18u);
    EXPECT_GE(buckets.size(), 3u) << "the items should age into several buckets";
}

TEST(simulator, baton_sim_print_shows_orders_in_pieces_the_same_for_the_same_seed) {
    temp_dir dir;
    const std::vector<std::string> argv = {BATON_SIM_PATH,
                                           "--print",
                                           "--orders",
                                           "40",
                                           "--seed",
                                           "9",
                                           "--start",
                                           "2026-03-02",
                                           "--qc-fail",
                                           "0.3",
                                           "--short",
                                           "0.3",
                                           "--delivery-fail",
                                           "0.3",
                                           "--late-pay",
                                           "0.5",
                                           "--amend-after-schedule",
                                           "0.5",
                                           "--credit-reject",
                                           "0.3",
                                           "--cancel-late",
                                           "0.2",
                                           "--invoice-mismatch",
                                           "0.2",
                                           "--open-items",
                                           "1"};
    auto [status, first] = testing::run_program(argv, dir / "first.jsonl");
    auto [status2, second] = testing::run_program(argv, dir / "second.jsonl");
    EXPECT_EQ(status, 0);
    EXPECT_EQ(status2, 0);
    EXPECT_EQ(first, second) << "the same seed and start printed different events";
    for (const char* piece :
         {"\"topic\":\"production.qc.failed\"", "\"batch\":\"B-",
          "\"order_lines\":[{\"line\":", "\"qty_good\":", "\"partial\":true", "\"shipment\":\"DN-",
          "\"topic\":\"logistics.delivery.failed\"", "\"invoice\":\"INV-",
          "\"overdue_cents\":", "\"rescheduled\":true",
          "\"prepay_accepted\":", "\"charge_cents\":", "\"topic\":\"sales.order.amended\""})
        EXPECT_NE(first.find(piece), std::string::npos) << "--print never showed " << piece;
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
