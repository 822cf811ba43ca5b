// End-to-end: batond as systemd runs it. The real binary tells a test NOTIFY_SOCKET READY (once
// the control socket answers), WATCHDOG from its loop and STOPPING on SIGTERM, in that order;
// config/batond.service passes systemd-analyze verify; cmake --install lays out a working tree.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <zmq.hpp>

#include "control_client.h"
#include "notify_socket.h"
#include "process.h"
#include "temp_dir.h"

namespace baton {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::child_process;
using testing::notify_socket;
using testing::scoped_env;
using testing::temp_dir;

std::string endpoint(int port) {
    return "tcp://127.0.0.1:" + std::to_string(port);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The absolute path of `program` on PATH, or nothing.
std::optional<std::string> find_program(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
        if (::access(candidate.c_str(), X_OK) == 0) return fs::absolute(candidate).string();
    }
    return std::nullopt;
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

std::ptrdiff_t count_of(const std::vector<std::string>& messages, const std::string& prefix) {
    return std::count_if(messages.begin(), messages.end(),
                         [&](const std::string& m) { return starts_with(m, prefix); });
}

// Indexes of the messages that start with `prefix`.
std::vector<std::size_t> positions(const std::vector<std::string>& messages,
                                   const std::string& prefix) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < messages.size(); ++i)
        if (starts_with(messages[i], prefix)) out.push_back(i);
    return out;
}

// A batond config in `dir` on free loopback ports (as in batond_test.cpp).
std::string write_config(const temp_dir& dir, int control_port) {
    const std::string src = BATON_SOURCE_DIR;
    std::string text = "data_dir: ../var\n";
    text += "schemas: " + src + "/schemas\n";
    text += "flow: " + src + "/config/flow.yaml\n";
    text += "customers: " + src + "/config/customers.yaml\n";
    text += "bus:\n";
    text += "  ingest: " + endpoint(testing::free_port()) + "\n";
    text += "  relay: " + endpoint(testing::free_port()) + "\n";
    text += "  control: " + endpoint(control_port) + "\n";
    text += "feed:\n  path: ../var/exceptions.jsonl\n";
    text += "log:\n  level: info\n";
    return dir.write("etc/baton.yaml", text);
}

bool control_answers(zmq::context_t& ctx, const std::string& control) {
    adapters::control_client c(ctx, control);
    value req;
    req.set("cmd", "status");
    auto reply = c.call(req, 2s);
    return reply && reply->find("ok") && reply->find("ok")->as_bool();
}

TEST(service, batond_notifies_ready_then_watchdog_then_stopping) {
    temp_dir dir;
    int control_port = testing::free_port();
    std::string cfg = write_config(dir, control_port);
    notify_socket manager(dir / "notify.sock");
    std::unique_ptr<child_process> daemon;
    {
        // What systemd sets for Type=notify with WatchdogSec=400ms; WATCHDOG_PID unset means
        // "this process" to sd_watchdog_enabled.
        scoped_env socket_env("NOTIFY_SOCKET", manager.path().c_str());
        scoped_env usec_env("WATCHDOG_USEC", "400000");
        scoped_env pid_env("WATCHDOG_PID", nullptr);
        daemon = std::make_unique<child_process>(
            std::vector<std::string>{BATOND_PATH, "--config", cfg}, dir / "batond.log");
    }
    auto has = [](const std::string& prefix, std::ptrdiff_t n) {
        return [=](const std::vector<std::string>& m) { return count_of(m, prefix) >= n; };
    };

    ASSERT_TRUE(manager.receive_until(has("READY=1", 1), 30s)) << "no READY=1; batond log:\n"
                                                               << read_file(dir / "batond.log");
    zmq::context_t ctx(1);
    EXPECT_TRUE(control_answers(ctx, endpoint(control_port))) << "READY before the control socket";
    std::string ready = manager.received()[positions(manager.received(), "READY=1").front()];
    EXPECT_NE(ready.find("\nSTATUS=ingest tcp://127.0.0.1:"), std::string::npos) << ready;
    EXPECT_NE(ready.find("control " + endpoint(control_port)), std::string::npos) << ready;

    // 400 ms watchdog: a ping every 200 ms.
    ASSERT_TRUE(manager.receive_until(has("WATCHDOG=1", 2), 5s)) << "fewer than 2 WATCHDOG=1";

    daemon->signal(SIGTERM);
    ASSERT_TRUE(manager.receive_until(has("STOPPING=1", 1), 20s)) << "no STOPPING=1";
    EXPECT_EQ(daemon->wait(), 0);
    manager.receive_until(has("never", 1), 100ms);  // anything sent late

    const auto& all = manager.received();
    auto readies = positions(all, "READY=1");
    auto pings = positions(all, "WATCHDOG=1");
    auto stops = positions(all, "STOPPING=1");
    ASSERT_EQ(readies.size(), 1u);
    ASSERT_EQ(stops.size(), 1u);
    ASSERT_GE(pings.size(), 2u);
    EXPECT_LT(readies.front(), pings.front()) << "WATCHDOG=1 before READY=1";
    EXPECT_LT(pings.back(), stops.front()) << "WATCHDOG=1 after STOPPING=1";
    EXPECT_EQ(stops.front(), all.size() - 1) << "a message after STOPPING=1: " << all.back();
}

TEST(service, batond_sends_no_watchdog_when_systemd_watches_another_process) {
    temp_dir dir;
    int control_port = testing::free_port();
    std::string cfg = write_config(dir, control_port);
    notify_socket manager(dir / "notify.sock");
    std::unique_ptr<child_process> daemon;
    {
        scoped_env socket_env("NOTIFY_SOCKET", manager.path().c_str());
        scoped_env usec_env("WATCHDOG_USEC", "400000");
        scoped_env pid_env("WATCHDOG_PID", std::to_string(::getpid()).c_str());  // the test's
        daemon = std::make_unique<child_process>(
            std::vector<std::string>{BATOND_PATH, "--config", cfg}, dir / "batond.log");
    }
    auto has = [](const std::string& prefix) {
        return [=](const std::vector<std::string>& m) { return count_of(m, prefix) >= 1; };
    };
    ASSERT_TRUE(manager.receive_until(has("READY=1"), 30s)) << read_file(dir / "batond.log");
    EXPECT_FALSE(manager.receive_until(has("WATCHDOG=1"), 1s));
    daemon->signal(SIGTERM);
    EXPECT_TRUE(manager.receive_until(has("STOPPING=1"), 20s));
    EXPECT_EQ(daemon->wait(), 0);
}

// Runs `systemd-analyze verify` on `unit`; returns {status, everything it printed}.
std::pair<int, std::string> verify_unit(const std::string& analyze, const std::string& unit,
                                        const temp_dir& dir) {
    return testing::run_program({analyze, "verify", unit}, dir / "verify.txt");
}

// The unit as installed, with ExecStart on the built batond (verify checks that it exists).
std::string unit_for_built_batond() {
    std::string unit = read_file(std::string(BATON_SOURCE_DIR) + "/config/batond.service");
    const std::string installed = "ExecStart=/usr/bin/batond ";
    auto at = unit.find(installed);
    if (at == std::string::npos) return "";
    return unit.replace(at, installed.size(), std::string("ExecStart=") + BATOND_PATH + " ");
}

TEST(service, unit_file_passes_systemd_analyze_verify) {
    auto analyze = find_program("systemd-analyze");
    if (!analyze) GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd)";
    temp_dir dir;
    std::string unit = unit_for_built_batond();
    ASSERT_FALSE(unit.empty()) << "config/batond.service: no 'ExecStart=/usr/bin/batond ' line";
    for (const char* line : {"Type=notify\n", "NotifyAccess=main\n", "User=baton\n",
                             "StateDirectory=baton\n", "WatchdogSec=", "Restart=on-failure\n",
                             "ProtectSystem=strict\n", "NoNewPrivileges=yes\n"})
        EXPECT_NE(unit.find(line), std::string::npos) << "missing " << line;

    // Clean means no output at all: verify reports unknown keys and bad values as warnings
    // with exit status 0, and a missing User= is not checked (the .deb's postinst makes it).
    auto [status, out] = verify_unit(analyze.value(), dir.write("batond.service", unit), dir);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out, "") << "systemd-analyze verify is not clean";

    // The same check notices a misspelt key, so a clean result above means something.
    std::string typo = unit;
    typo.replace(typo.find("ProtectSystem="), 14, "ProtectSystm=");
    auto [typo_status, typo_out] =
        verify_unit(analyze.value(), dir.write("typo/batond.service", typo), dir);
    EXPECT_NE(typo_out.find("ProtectSystm"), std::string::npos) << typo_status << typo_out;
}

TEST(service, cmake_install_lays_out_a_tree_whose_config_checks) {
    // BATOND_PATH is <build>/daemon/batond; install that build tree under a temp prefix.
    fs::path build = fs::path(BATOND_PATH).parent_path().parent_path();
    auto cmake = find_program("cmake");
    if (!cmake || !fs::exists(build / "cmake_install.cmake"))
        GTEST_SKIP() << "no cmake on PATH or no cmake_install.cmake in " << build;
    temp_dir dir;
    const std::string root = dir / "root";
    auto install = [&] {
        return testing::run_program({*cmake, "--install", build.string(), "--prefix", root},
                                    dir / "install.txt");
    };
    auto [status, out] = install();
    ASSERT_EQ(status, 0) << out;

    for (const char* file :
         {"bin/batond", "bin/batonctl", "bin/baton-csv", "bin/baton-webhook", "bin/baton-http-out",
          "bin/baton-sql", "bin/baton-sim", "share/baton/schemas/sales.yaml",
          "share/baton/schemas/finance.yaml", "share/baton/schemas/production.yaml",
          "share/baton/schemas/logistics.yaml", "share/doc/baton/README.md",
          "share/doc/baton/adapters/csv/README.md", "etc/baton/baton.yaml", "etc/baton/flow.yaml",
          "etc/baton/customers.yaml", "lib/systemd/system/batond.service",
          "share/doc/baton/scenarios.md", "share/doc/baton/scenarios/01-happy-path.yaml"})
        EXPECT_TRUE(fs::exists(fs::path(root) / file)) << file;

    // Absolute paths: systemd's state and log folders, the installed schemas and flow.
    std::string config = read_file(root + "/etc/baton/baton.yaml");
    for (const std::string& line : std::vector<std::string>{
             "\ndata_dir: /var/lib/baton ", "\nschemas: " + root + "/share/baton/schemas ",
             "\nflow: " + root + "/etc/baton/flow.yaml ",
             "\ncustomers: " + root + "/etc/baton/customers.yaml ",
             "\n  path: /var/log/baton/exceptions.jsonl "})
        EXPECT_NE(config.find(line), std::string::npos) << line << " not in\n" << config;
    EXPECT_EQ(config.find("../"), std::string::npos) << config;
    std::string unit = read_file(root + "/lib/systemd/system/batond.service");
    EXPECT_NE(unit.find("\nExecStart=" + root + "/bin/batond --config " + root +
                        "/etc/baton/baton.yaml\n"),
              std::string::npos)
        << unit;

    auto [check_status, check_out] = testing::run_program(
        {root + "/bin/batond", "--config", root + "/etc/baton/baton.yaml", "--check-config"},
        dir / "check.txt");
    EXPECT_EQ(check_status, 0) << check_out;
    // The shipped scenarios pass against the installed flow, as a plant runs them before a
    // reload.
    auto [flow_status, flow_out] =
        testing::run_program({root + "/bin/batond", "--config", root + "/etc/baton/baton.yaml",
                              "--test-flow", root + "/share/doc/baton/scenarios"},
                             dir / "test-flow.txt");
    EXPECT_EQ(flow_status, 0) << flow_out;
    EXPECT_NE(flow_out.find(" passed, 0 failed"), std::string::npos) << flow_out;

    // A second install keeps a config file the plant edited and puts the new default beside it.
    std::ofstream(root + "/etc/baton/flow.yaml", std::ios::app) << "# edited by the plant\n";
    auto [again_status, again_out] = install();
    ASSERT_EQ(again_status, 0) << again_out;
    EXPECT_NE(read_file(root + "/etc/baton/flow.yaml").find("# edited by the plant"),
              std::string::npos);
    EXPECT_TRUE(fs::exists(root + "/etc/baton/flow.yaml.new"));
    EXPECT_FALSE(fs::exists(root + "/etc/baton/baton.yaml.new")) << "unchanged file was renamed";
}

}  // namespace
}  // namespace baton
