// End-to-end: CURVE as an administrator sets it up. batonctl keygen writes the key pairs,
// batond starts with them and refuses clients without keys; batonctl talks to it with
// --server-key/--key or $BATON_CURVE_*, with the rights its key was given.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <zmq.hpp>

#include "control_client.h"
#include "process.h"
#include "security.h"
#include "temp_dir.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::child_process;
using testing::temp_dir;

class batonctl_curve_test : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name : {"batond", "ops", "viewer"}) {
            auto [status, out] = run({BATONCTL_PATH, "keygen", name, "--dir", dir_ / "keys"});
            ASSERT_EQ(status, 0) << out;
        }
        const std::string src = BATON_SOURCE_DIR;
        control_ = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
        const std::string cfg = dir_.write(
            "baton.yaml", "data_dir: var\nschemas: " + src + "/schemas\nflow: " + src +
                              "/config/flow.yaml\ncustomers: " + src +
                              "/config/customers.yaml\nbus:\n"
                              "  ingest: tcp://127.0.0.1:" +
                              std::to_string(testing::free_port()) + "\n  relay: tcp://127.0.0.1:" +
                              std::to_string(testing::free_port()) + "\n  control: " + control_ +
                              "\nsecurity:\n"
                              "  curve: true\n"
                              "  server_secret_key: keys/batond.secret\n"
                              "  clients:\n"
                              "    - {name: ops, public_key: keys/ops.key, control: operator}\n"
                              "    - {name: viewer, public_key: keys/viewer.key, control: read}\n");
        daemon_ = std::make_unique<child_process>(
            std::vector<std::string>{BATOND_PATH, "--config", cfg}, dir_ / "batond.log");
        const curve_client_keys ops = load_client_keys(dir_ / "keys/batond.key", dir_ / "keys/ops");
        bool ready = false;
        for (int i = 0; i < 100 && !ready; ++i) {
            adapters::control_client c(ctx_, control_, ops);
            value req;
            req.set("cmd", "status");
            ready = c.call(req, 200ms).has_value();
        }
        ASSERT_TRUE(ready) << "batond did not start with CURVE";
    }

    std::pair<int, std::string> run(const std::vector<std::string>& args) {
        return testing::run_program(args, dir_ / ("out-" + std::to_string(++runs_) + ".txt"));
    }
    std::pair<int, std::string> ctl(std::vector<std::string> args) {
        args.insert(args.begin(), {BATONCTL_PATH, "--control", control_, "--timeout", "1500"});
        return run(args);
    }

    temp_dir dir_;
    zmq::context_t ctx_{1};
    std::string control_;
    std::unique_ptr<child_process> daemon_;
    int runs_ = 0;
};

TEST_F(batonctl_curve_test, keygen_writes_a_private_secret_and_never_overwrites_it) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "keys/ops.secret").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir_ / "keys/ops.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    const std::string before = read_key_file(dir_ / "keys/ops.secret");

    auto [status, out] = run({BATONCTL_PATH, "keygen", "ops", "--dir", dir_ / "keys"});
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("exists; refusing to overwrite a key"), std::string::npos) << out;
    EXPECT_EQ(read_key_file(dir_ / "keys/ops.secret"), before);
}

TEST_F(batonctl_curve_test, keygen_prints_the_public_key_it_wrote) {
    auto [status, out] = run({BATONCTL_PATH, "keygen", "sales-erp", "--dir", dir_ / "keys"});
    ASSERT_EQ(status, 0) << out;
    EXPECT_NE(out.find(read_key_file(dir_ / "keys/sales-erp.key")), std::string::npos) << out;
}

TEST_F(batonctl_curve_test, without_keys_batonctl_gets_no_answer) {
    auto [status, out] = ctl({"status"});
    EXPECT_EQ(status, 3) << out;  // unreachable: the handshake never completes
}

TEST_F(batonctl_curve_test, with_keys_on_the_command_line_or_in_the_environment_it_works) {
    auto [status, out] =
        ctl({"--server-key", dir_ / "keys/batond.key", "--key", dir_ / "keys/viewer", "status"});
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("auth_refused"), std::string::npos) << out;

    ::setenv("BATON_CURVE_SERVER_KEY", (dir_ / "keys/batond.key").c_str(), 1);
    ::setenv("BATON_CURVE_KEY", (dir_ / "keys/viewer").c_str(), 1);
    auto [s2, out2] = ctl({"ack", "E-1", "--by", "a.viewer"});
    ::unsetenv("BATON_CURVE_SERVER_KEY");
    ::unsetenv("BATON_CURVE_KEY");
    EXPECT_EQ(s2, 1) << out2;
    EXPECT_NE(out2.find("forbidden: client 'viewer' is read-only"), std::string::npos) << out2;
}

TEST_F(batonctl_curve_test, half_a_key_setting_is_a_usage_error) {
    auto [status, out] = ctl({"--key", dir_ / "keys/ops", "status"});
    EXPECT_EQ(status, 2) << out;
    EXPECT_NE(out.find("CURVE needs both --server-key and --key"), std::string::npos) << out;
}

}  // namespace
}  // namespace baton
