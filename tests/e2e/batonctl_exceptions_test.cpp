// End-to-end: a customer-service lead works exceptions and tasks with batonctl against a real
// batond whose credit_review SLA is 2 s, while `batonctl tail` follows the changes live.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "control_client.h"
#include "events.h"
#include "ingest_client.h"
#include "process.h"
#include "temp_dir.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::child_process;
using testing::temp_dir;

// config/flow.yaml with a 2 s credit review, warned at half of it.
constexpr const char* fast_flow = R"(auto_credit: false
stages:
  - name: credit_review
    holder: finance
    sla: 2s
    exit: credit_approved
    relay: finance.credit_check
  - name: die_preparation
    holder: production
    sla: 10d
    exit: die_ready
    relay: production.die_request
    when: new_die
  - name: scheduling
    holder: production
    sla: 24h
    exit: scheduled
    relay: production.release
  - name: production
    holder: production
    sla: 1d
    sla_from: planned_finish
    exit: produced
  - name: payment
    holder: finance
    sla: 3d
    exit: paid
    relay: finance.payment_request
    when: prepay
  - name: shipping
    holder: logistics
    sla: 24h
    exit: dispatched
    relay: logistics.ship_request
  - name: in_transit
    holder: logistics
    sla: 3d
    exit: delivered
  - name: invoicing
    holder: finance
    sla: 7d
    exit: invoiced
    relay: finance.invoice_request
warning_at: 50%
cases:
  complaint: 5d
  return: 10d
task_due: 4h
)";

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The first line at or after `from` holding every one of `parts`; -1 when none does.
int line_with(const std::vector<std::string>& lines, std::vector<std::string> parts, int from = 0) {
    for (int i = from; i < static_cast<int>(lines.size()); ++i) {
        bool all = true;
        for (const auto& p : parts) all = all && has(lines[i], p);
        if (all) return i;
    }
    return -1;
}

class batonctl_exceptions_test : public ::testing::Test {
protected:
    void SetUp() override {
        std::string src = BATON_SOURCE_DIR;
        control_ = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
        ingest_ = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
        relay_ = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
        dir_.write("flow.yaml", fast_flow);
        std::string cfg = dir_.write(
            "baton.yaml", "data_dir: var\nschemas: " + src + "/schemas\nflow: flow.yaml\n" +
                              "customers: " + src + "/config/customers.yaml\nbus:\n  ingest: " +
                              ingest_ + "\n  relay: " + relay_ + "\n  control: " + control_ + "\n");
        daemon_ = std::make_unique<child_process>(
            std::vector<std::string>{BATOND_PATH, "--config", cfg}, dir_ / "batond.log");
        bool ready = false;
        for (int i = 0; i < 100 && !ready; ++i) {
            adapters::control_client c(ctx_, control_);
            value req;
            req.set("cmd", "status");
            ready = c.call(req, 200ms).has_value();
        }
        ASSERT_TRUE(ready) << "batond did not start: " << read_text(dir_ / "batond.log");
    }

    std::pair<int, std::string> ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {BATONCTL_PATH, "--control", control_});
        return testing::run_program(args, dir_ / ("out-" + std::to_string(++runs_) + ".txt"));
    }

    // Runs `args` until its output holds `part` or `limit` passes; returns the last output.
    std::string ctl_until(const std::vector<std::string>& args, const std::string& part,
                          std::chrono::milliseconds limit) {
        const auto end = std::chrono::steady_clock::now() + limit;
        std::string out;
        do {
            out = ctl(args).second;
            if (has(out, part)) break;
            std::this_thread::sleep_for(100ms);
        } while (std::chrono::steady_clock::now() < end);
        return out;
    }

    // The `id` of the first record of `key` in the reply to `request`.
    std::string first_id(value request, const char* key) {
        adapters::control_client c(ctx_, control_);
        auto reply = c.call(request, 2s);
        if (!reply) return "";
        const value* list = reply->find(key);
        if (!list || !list->is_list() || list->as_list().empty()) return "";
        const value* id = list->as_list().front().find("id");
        return id && id->is_string() ? id->as_string() : "";
    }

    temp_dir dir_;
    zmq::context_t ctx_{1};
    std::string control_, ingest_, relay_;
    std::unique_ptr<child_process> daemon_;
    int runs_ = 0;
};

TEST_F(batonctl_exceptions_test, lead_works_an_overdue_credit_review_while_tail_follows) {
    adapters::ingest_client client(ctx_, ingest_);
    auto placed = client.send_and_wait(testing::order_placed("e-1", "SO-300", "C-1001"), 10s);
    ASSERT_TRUE(placed && placed->acked);

    // Warned at 1 s (50% of 2 s), overdue at 2 s, when finance gets a task.
    std::string listed = ctl_until({"exceptions", "--kind", "stage_overdue"}, "SO-300", 4s);
    ASSERT_TRUE(has(listed, "stage_overdue")) << listed;
    EXPECT_TRUE(has(listed, "SEVERITY")) << listed;
    EXPECT_TRUE(has(listed, "C-1001")) << listed;
    EXPECT_TRUE(has(listed, "ago)")) << listed;
    std::string tasks = ctl_until({"tasks", "--dept", "finance"}, "SO-300", 4s);
    ASSERT_TRUE(has(tasks, "move SO-300 out of credit_review")) << tasks;
    EXPECT_TRUE(has(tasks, "(in 3h59m)") || has(tasks, "(in 4h0m)")) << tasks;

    value q;
    q.set("cmd", "exceptions");
    q.set("order", "SO-300");
    const std::string exception_id = first_id(q, "exceptions");
    ASSERT_FALSE(exception_id.empty());
    value t;
    t.set("cmd", "tasks");
    t.set("dept", "finance");
    const std::string task_id = first_id(t, "tasks");
    ASSERT_FALSE(task_id.empty());

    // tail, as text and as JSON lines, then the lead acts.
    const std::string tail_out = dir_ / "tail.txt", json_out = dir_ / "tail-json.txt";
    child_process tail(
        {BATONCTL_PATH, "--control", control_, "tail", "--no-color", "--relay", relay_}, tail_out);
    child_process json_tail(
        {BATONCTL_PATH, "--control", control_, "--json", "tail", "--relay", relay_}, json_out);
    for (int i = 0; i < 50 && !(has(read_text(tail_out), exception_id) &&
                                has(read_text(json_out), exception_id));
         ++i)
        std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(has(read_text(tail_out), exception_id)) << read_text(tail_out);

    auto [ack_status, ack_out] = ctl({"ack", exception_id, "--by", "lead", "--note", "x"});
    EXPECT_EQ(ack_status, 0) << ack_out;
    EXPECT_EQ(ack_out, exception_id + " acknowledged by lead\n");
    auto [done_status, done_out] = ctl({"task-done", task_id, "--by", "clerk"});
    EXPECT_EQ(done_status, 0) << done_out;
    EXPECT_EQ(done_out, task_id + " done by clerk\n");
    auto [res_status, res_out] = ctl({"resolve", exception_id, "--by", "lead", "--note", "y"});
    EXPECT_EQ(res_status, 0) << res_out;
    EXPECT_EQ(res_out, exception_id + " resolved by lead\n");

    auto [done_tasks_status, done_tasks] = ctl({"tasks", "--dept", "finance", "--state", "done"});
    EXPECT_EQ(done_tasks_status, 0);
    EXPECT_TRUE(has(done_tasks, task_id)) << done_tasks;
    auto [res_list_status, resolved] = ctl({"exceptions", "--state", "resolved"});
    EXPECT_EQ(res_list_status, 0);
    EXPECT_TRUE(has(resolved, exception_id)) << resolved;

    for (int i = 0; i < 40 && !(has(read_text(tail_out), "resolved by lead") &&
                                has(read_text(json_out), "\"resolved\""));
         ++i)
        std::this_thread::sleep_for(50ms);
    tail.signal(SIGTERM);
    json_tail.signal(SIGINT);
    EXPECT_EQ(tail.wait(), 0);
    EXPECT_EQ(json_tail.wait(), 0);

    // The open exception first, then its acknowledgement, then its resolution; no colours.
    const std::string text = read_text(tail_out);
    const auto lines = lines_of(text);
    const int header = line_with(lines, {"ID", "SEVERITY", "KIND", "DETAIL"});
    const int open = line_with(lines, {exception_id + " ", "stage_overdue", "SO-300", "open"});
    const int acked =
        line_with(lines, {"acknowledged", exception_id + " ", "(acknowledged by lead: x)"});
    const int resolved_line =
        line_with(lines, {"resolved", exception_id + " ", "(resolved by lead: y)"});
    EXPECT_GE(header, 0) << text;
    EXPECT_GT(open, header) << text;
    EXPECT_GT(acked, open) << text;
    EXPECT_GT(resolved_line, acked) << text;
    EXPECT_FALSE(has(text, "\033[")) << text;

    const std::string json = read_text(json_out);
    EXPECT_TRUE(has(json, "\"state\":\"acknowledged\"")) << json;
    EXPECT_TRUE(has(json, "\"state\":\"resolved\"")) << json;
    EXPECT_LT(json.find("\"state\":\"open\""), json.find("\"state\":\"acknowledged\"")) << json;

    // Refusals by batond exit 1 with its reason; a bad command line exits 2.
    auto [unknown, unknown_out] = ctl({"ack", "E-999", "--by", "lead"});
    EXPECT_EQ(unknown, 1);
    EXPECT_TRUE(has(unknown_out, "exception E-999 is not known")) << unknown_out;
    auto [again, again_out] = ctl({"resolve", exception_id, "--by", "lead"});
    EXPECT_EQ(again, 1);
    EXPECT_TRUE(has(again_out, "already resolved")) << again_out;
    auto [no_by, no_by_out] = ctl({"ack", exception_id});
    EXPECT_EQ(no_by, 2) << no_by_out;
    EXPECT_TRUE(has(no_by_out, "--by")) << no_by_out;
    auto [bad_id, bad_id_out] = ctl({"task-done", "E-1", "--by", "clerk"});
    EXPECT_EQ(bad_id, 2) << bad_id_out;
}

TEST_F(batonctl_exceptions_test, kpi_prints_tables_json_and_csv_and_refuses_bad_dates) {
    adapters::ingest_client client(ctx_, ingest_);
    for (const auto& e : {testing::order_placed("e-1", "SO-400", "C-1002"),
                          testing::credit_approved("e-2", "SO-400")}) {
        auto r = client.send_and_wait(e, 10s);
        ASSERT_TRUE(r && r->acked);
    }

    auto [table_status, table] = ctl({"kpi"});
    EXPECT_EQ(table_status, 0) << table;
    EXPECT_TRUE(has(table, "STAGE")) << table;
    EXPECT_TRUE(has(table, "WITHIN SLA %")) << table;
    EXPECT_TRUE(has(table, "credit_review")) << table;
    EXPECT_TRUE(has(table, "OTIF")) << table;
    auto [json_status, json] = ctl({"kpi", "--json"});
    EXPECT_EQ(json_status, 0) << json;
    EXPECT_TRUE(has(json, "\"stages\"")) << json;
    auto [csv_status, csv] =
        ctl({"kpi", "--csv", "--since", "2020-01-01", "--until", "2100-01-01"});
    EXPECT_EQ(csv_status, 0) << csv;
    EXPECT_TRUE(has(csv, "section,stage,holder,count,p50_ms,p90_ms,within_sla,open\n")) << csv;
    // SO-400 left credit review at once: one dwell, within its SLA.
    EXPECT_TRUE(has(csv, "\nstages,credit_review,finance,1,")) << csv;
    EXPECT_TRUE(has(csv, "\nstages,scheduling,production,0,0,0,0,1\n")) << csv;

    auto [bad_date, bad_out] = ctl({"kpi", "--since", "2026-02-30"});
    EXPECT_EQ(bad_date, 2);
    EXPECT_TRUE(has(bad_out, "expected a date YYYY-MM-DD, got '2026-02-30'")) << bad_out;
    auto [backwards, backwards_out] =
        ctl({"kpi", "--since", "2026-12-01", "--until", "2026-11-01"});
    EXPECT_EQ(backwards, 2) << backwards_out;
    auto [both, both_out] = ctl({"kpi", "--json", "--csv"});
    EXPECT_EQ(both, 2) << both_out;
}

}  // namespace
}  // namespace baton
