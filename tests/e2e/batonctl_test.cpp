// End-to-end: batonctl against a running batond binary, as a customer-service clerk uses it.
#include <gtest/gtest.h>

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

class batonctl_test : public ::testing::Test {
protected:
    void SetUp() override {
        std::string src = BATON_SOURCE_DIR;
        control_ = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
        ingest_ = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
        std::string relay = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
        std::string cfg =
            dir_.write("baton.yaml", "data_dir: var\nschemas: " + src + "/schemas\nflow: " + src +
                                         "/config/flow.yaml\ncustomers: " + src +
                                         "/config/customers.yaml\nbus:\n  ingest: " + ingest_ +
                                         "\n  relay: " + relay + "\n  control: " + control_ + "\n");
        daemon_ = std::make_unique<child_process>(
            std::vector<std::string>{BATOND_PATH, "--config", cfg}, dir_ / "batond.log");
        bool ready = false;
        for (int i = 0; i < 100 && !ready; ++i) {
            adapters::control_client c(ctx_, control_);
            value req;
            req.set("cmd", "status");
            ready = c.call(req, 200ms).has_value();
        }
        ASSERT_TRUE(ready) << "batond did not start";
        adapters::ingest_client client(ctx_, ingest_);
        for (const auto& e : {testing::order_placed("e-1", "SO-100", "C-1001"),
                              testing::order_placed("e-2", "SO-200", "C-1002"),
                              testing::credit_approved("e-3", "SO-200")}) {
            auto r = client.send_and_wait(e, 10s);
            ASSERT_TRUE(r && r->acked);
        }
    }

    std::pair<int, std::string> ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {BATONCTL_PATH, "--control", control_});
        return testing::run_program(args, dir_ / ("out-" + std::to_string(++runs_) + ".txt"));
    }

    temp_dir dir_;
    zmq::context_t ctx_{1};
    std::string control_, ingest_;
    std::unique_ptr<child_process> daemon_;
    int runs_ = 0;
};

TEST_F(batonctl_test, order_tells_where_the_order_is_who_holds_it_and_since_when) {
    auto [status, out] = ctl({"order", "SO-200"});
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("Order SO-200 for C-1002"), std::string::npos) << out;
    EXPECT_NE(out.find("scheduling"), std::string::npos) << out;
    EXPECT_NE(out.find("production"), std::string::npos) << out;
    EXPECT_NE(out.find("ago)"), std::string::npos) << out;
    EXPECT_NE(out.find("credit_approved"), std::string::npos) << out;
    EXPECT_NE(out.find("finance.credit.approved"), std::string::npos) << out;
    EXPECT_NE(out.find("18,430.00"), std::string::npos) << out;
}

TEST_F(batonctl_test, orders_filters_by_holder_and_stage) {
    auto [status, out] = ctl({"orders", "--holder", "finance"});
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("SO-100"), std::string::npos) << out;
    EXPECT_EQ(out.find("SO-200"), std::string::npos) << out;
    auto [s2, out2] = ctl({"orders", "--stage", "scheduling"});
    EXPECT_EQ(s2, 0);
    EXPECT_NE(out2.find("SO-200"), std::string::npos) << out2;
    EXPECT_EQ(out2.find("SO-100"), std::string::npos) << out2;
}

TEST_F(batonctl_test, status_and_replay_print_tables_and_json) {
    auto [status, out] = ctl({"status"});
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("events"), std::string::npos);
    auto [s2, json] = ctl({"replay", "--since", "0", "--json"});
    EXPECT_EQ(s2, 0) << json;
    EXPECT_NE(json.find("\"ok\": true"), std::string::npos) << json;
    EXPECT_NE(json.find("\"finance.credit_check\""), std::string::npos) << json;
    auto [s3, table] = ctl({"replay", "--since", "2"});
    EXPECT_EQ(s3, 0);
    EXPECT_EQ(table.find("\n1 "), std::string::npos) << table;
    EXPECT_NE(table.find("SEQ"), std::string::npos) << table;
}

TEST_F(batonctl_test, errors_have_distinct_exit_codes) {
    auto [unknown, out] = ctl({"order", "SO-NOPE"});
    EXPECT_EQ(unknown, 1);
    EXPECT_NE(out.find("order 'SO-NOPE' is not known"), std::string::npos) << out;
    auto [usage, out2] = ctl({"orders", "--holder", "marketing"});
    EXPECT_EQ(usage, 2) << out2;
    std::string dead = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    auto [unreachable, out3] = testing::run_program(
        {BATONCTL_PATH, "--control", dead, "--timeout", "300", "status"}, dir_ / "dead.txt");
    EXPECT_EQ(unreachable, 3);
    EXPECT_NE(out3.find("is batond running?"), std::string::npos) << out3;
}

}  // namespace
}  // namespace baton
