// End-to-end: batond and baton-board as systemd runs them. The real batond tells a test
// NOTIFY_SOCKET READY (once the control socket answers), WATCHDOG from its loop and STOPPING on
// SIGTERM, in that order; baton-board READY once it serves; config/batond.service,
// config/baton-board.service and config/baton-alerts.service pass systemd-analyze verify; the
// shipped board configs check; cmake --install lays out a working tree.
#include <gtest/gtest.h>
#include <netinet/in.h>
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

// The whole answer (status line, headers, body) to GET `path` from 127.0.0.1:`port`; "" when
// nothing answers within 5 s.
std::string http_get(int port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval wait{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string request =
            "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size())) {
            char buf[4096];
            for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
                out.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return out;
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

// config/`name` as installed, with ExecStart on the built program instead of `installed`
// (verify checks that it exists); "" when there is no `ExecStart=<installed> ` line.
std::string unit_for_built(const std::string& name, const std::string& installed,
                           const std::string& built) {
    std::string unit = read_file(std::string(BATON_SOURCE_DIR) + "/config/" + name);
    const std::string exec = "ExecStart=" + installed + " ";
    auto at = unit.find(exec);
    if (at == std::string::npos) return "";
    return unit.replace(at, exec.size(), "ExecStart=" + built + " ");
}

TEST(service, unit_file_passes_systemd_analyze_verify) {
    auto analyze = find_program("systemd-analyze");
    if (!analyze) GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd)";
    temp_dir dir;
    std::string unit = unit_for_built("batond.service", "/usr/bin/batond", BATOND_PATH);
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

TEST(service, board_unit_file_passes_systemd_analyze_verify) {
    auto analyze = find_program("systemd-analyze");
    if (!analyze) GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd)";
    temp_dir dir;
    std::string unit = unit_for_built("baton-board.service", "/usr/bin/baton-board", BOARD_PATH);
    ASSERT_FALSE(unit.empty())
        << "config/baton-board.service: no 'ExecStart=/usr/bin/baton-board ' line";
    for (const char* line :
         {" -c /etc/baton/board.yaml\n", "Type=notify\n", "NotifyAccess=main\n", "User=baton\n",
          "Wants=batond.service", "After=batond.service", "StateDirectory=baton/board\n",
          "Restart=on-failure\n", "RestartPreventExitStatus=2\n", "ProtectSystem=strict\n",
          "ProtectHome=yes\n", "PrivateTmp=yes\n", "NoNewPrivileges=yes\n"})
        EXPECT_NE(unit.find(line), std::string::npos) << "missing " << line;
    EXPECT_EQ(unit.find("WatchdogSec="), std::string::npos) << "the board sends no WATCHDOG=1";

    auto [status, out] = verify_unit(analyze.value(), dir.write("baton-board.service", unit), dir);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out, "") << "systemd-analyze verify is not clean";

    std::string typo = unit;
    typo.replace(typo.find("PrivateTmp="), 11, "PrivatTmp=");
    auto [typo_status, typo_out] =
        verify_unit(analyze.value(), dir.write("typo/baton-board.service", typo), dir);
    EXPECT_NE(typo_out.find("PrivatTmp"), std::string::npos) << typo_status << typo_out;
}

TEST(service, alerts_unit_file_passes_systemd_analyze_verify) {
    auto analyze = find_program("systemd-analyze");
    if (!analyze) GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd)";
    temp_dir dir;
    std::string unit =
        unit_for_built("baton-alerts.service", "/usr/bin/baton-alerts", BATON_ALERTS_PATH);
    ASSERT_FALSE(unit.empty())
        << "config/baton-alerts.service: no 'ExecStart=/usr/bin/baton-alerts ' line";
    for (const char* line :
         {" -c /etc/baton/alerts.yaml\n", "Type=simple\n", "User=baton\n", "Wants=batond.service",
          "After=batond.service", "StateDirectory=baton/alerts\n", "Restart=on-failure\n",
          "RestartPreventExitStatus=2\n", "ProtectSystem=strict\n", "ProtectHome=yes\n",
          "PrivateTmp=yes\n", "NoNewPrivileges=yes\n"})
        EXPECT_NE(unit.find(line), std::string::npos) << "missing " << line;
    EXPECT_EQ(unit.find("WatchdogSec="), std::string::npos) << "baton-alerts sends no WATCHDOG=1";

    auto [status, out] = verify_unit(analyze.value(), dir.write("baton-alerts.service", unit), dir);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out, "") << "systemd-analyze verify is not clean";

    std::string typo = unit;
    typo.replace(typo.find("PrivateTmp="), 11, "PrivatTmp=");
    auto [typo_status, typo_out] =
        verify_unit(analyze.value(), dir.write("typo/baton-alerts.service", typo), dir);
    EXPECT_NE(typo_out.find("PrivatTmp"), std::string::npos) << typo_status << typo_out;
}

// The middle-table and file writers run one instance per config: template units, checked as an
// instance (verify refuses a bare template), each with its program's real path.
TEST(service, adapter_template_units_pass_systemd_analyze_verify) {
    auto analyze = find_program("systemd-analyze");
    if (!analyze) GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd)";
    struct one {
        const char* name;
        const char* installed;
        const char* built;
        const char* config;
    };
    for (const one& u : {one{"baton-sql-out@.service", "/usr/bin/baton-sql-out", SQL_OUT_PATH,
                             " -c /etc/baton/sql-out/%i.yaml\n"},
                         one{"baton-csv-out@.service", "/usr/bin/baton-csv-out", CSV_OUT_PATH,
                             " -c /etc/baton/csv-out/%i.yaml\n"}}) {
        temp_dir dir;  // one each: verify reads the folder's other units too
        std::string unit = unit_for_built(u.name, u.installed, u.built);
        ASSERT_FALSE(unit.empty()) << u.name << ": no 'ExecStart=" << u.installed << " ' line";
        for (const char* line :
             {u.config, "User=baton\n", "Restart=on-failure\n", "RestartPreventExitStatus=2\n",
              "ProtectSystem=strict\n", "NoNewPrivileges=yes\n"})
            EXPECT_NE(unit.find(line), std::string::npos) << u.name << " misses " << line;
        std::string instance = u.name;
        instance.insert(instance.find('@') + 1, "finance");
        auto [status, out] = verify_unit(analyze.value(), dir.write(instance, unit), dir);
        EXPECT_EQ(status, 0) << out;
        EXPECT_EQ(out, "") << u.name << ": systemd-analyze verify is not clean";
        std::string typo = unit;
        typo.replace(typo.find("PrivateTmp="), 11, "PrivatTmp=");
        auto [typo_status, typo_out] =
            verify_unit(analyze.value(), dir.write("typo/" + instance, typo), dir);
        EXPECT_NE(typo_out.find("PrivatTmp"), std::string::npos) << typo_status << typo_out;
    }
}

// A copy of the shipped board config `rel` (config/board.yaml) at the same place under `dir`,
// so that its relative paths (../var/board) point into `dir`.
std::string copy_shipped(const temp_dir& dir, const std::string& rel) {
    return dir.write(rel, read_file(std::string(BATON_SOURCE_DIR) + "/" + rel));
}

TEST(service, shipped_board_config_checks_once_its_users_file_exists) {
    temp_dir dir;
    const std::string cfg = copy_shipped(dir, "config/board.yaml");
    const std::string users = dir / "var/board/users.yaml";  // users: ../var/board/users.yaml
    auto check = [&](const std::string& config, const char* name) {
        return testing::run_program({BOARD_PATH, "-c", config, "--check-config"}, dir / name);
    };

    // No users file yet: refused like any bad config, naming it (the .deb's postinst makes one).
    auto [missing_status, missing_out] = check(cfg, "missing.txt");
    EXPECT_EQ(missing_status, 2) << missing_out;
    EXPECT_NE(missing_out.find(users), std::string::npos) << missing_out;

    // The first user, added through the config as an operator would, in the folder the .deb's
    // postinst makes (adduser makes the file, not its folder).
    fs::create_directories(dir / "var/board");
    const std::string password = dir.write("password", "correct horse battery\n");
    auto [add_status, add_out] = testing::run_program(
        {BOARD_PATH, "adduser", "-c", cfg, "li.na", "--display", "李娜", "--dept",
         "customer_service", "--role", "admin", "--lang", "zh", "--password-file", password},
        dir / "adduser.txt");
    ASSERT_EQ(add_status, 0) << add_out;
    ASSERT_TRUE(fs::exists(users)) << add_out;

    auto [status, out] = check(cfg, "check.txt");
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find(cfg +
                       ": ok (listen http://127.0.0.1:7780, batond tcp://127.0.0.1:7712, 1 "
                       "active users in " +
                       users + ")"),
              std::string::npos)
        << out;

    // The demo's board config too (scripts/run --demo), with users in var/demo/board.
    const std::string demo = copy_shipped(dir, "config/demo/board.yaml");
    dir.write("var/demo/board/users.yaml", "users: []\n");
    auto [demo_status, demo_out] = check(demo, "demo.txt");
    EXPECT_EQ(demo_status, 0) << demo_out;
    EXPECT_NE(demo_out.find("listen http://127.0.0.1:7780, batond tcp://127.0.0.1:7722, 0 active "
                            "users in " +
                            (dir / "var/demo/board/users.yaml")),
              std::string::npos)
        << demo_out;
}

TEST(service, board_config_with_an_unknown_key_fails_with_exit_2_naming_file_and_key) {
    temp_dir dir;
    dir.write("var/board/users.yaml", "users: []\n");
    std::string text = read_file(std::string(BATON_SOURCE_DIR) + "/config/board.yaml");
    const std::string good = dir.write("config/board.yaml", text);
    auto [good_status, good_out] =
        testing::run_program({BOARD_PATH, "-c", good, "--check-config"}, dir / "good.txt");
    ASSERT_EQ(good_status, 0) << good_out;

    // A misspelt top-level key, and one inside a section.
    const std::string top = dir.write("config/top.yaml", text + "page_sise: 20\n");
    auto [top_status, top_out] =
        testing::run_program({BOARD_PATH, "-c", top, "--check-config"}, dir / "top.txt");
    EXPECT_EQ(top_status, 2) << top_out;
    EXPECT_NE(top_out.find(top + ": page_sise: unknown key"), std::string::npos) << top_out;

    const std::string port_line = "\n  port: 7780";
    ASSERT_NE(text.find(port_line), std::string::npos) << text;
    std::string nested_text = text;
    nested_text.replace(nested_text.find(port_line), port_line.size(), "\n  prot: 7780");
    const std::string nested = dir.write("config/nested.yaml", nested_text);
    auto [nested_status, nested_out] =
        testing::run_program({BOARD_PATH, "-c", nested, "--check-config"}, dir / "nested.txt");
    EXPECT_EQ(nested_status, 2) << nested_out;
    EXPECT_NE(nested_out.find(nested + ": http.prot: unknown key"), std::string::npos)
        << nested_out;
}

TEST(service, board_notifies_ready_once_it_serves_and_stopping_on_sigterm) {
    temp_dir dir;
    const int port = testing::free_port();
    dir.write("users.yaml", "users: []\n");
    // batond need not run: pages say it is unreachable, the board itself serves.
    std::string text = "http:\n  port: " + std::to_string(port) + "\n";
    text += "batond:\n  control: " + endpoint(testing::free_port()) + "\n";
    text += "  relay: " + endpoint(testing::free_port()) + "\n";
    text += "users: users.yaml\nstate: state\n";
    const std::string cfg = dir.write("board.yaml", text);
    notify_socket manager(dir / "notify.sock");
    std::unique_ptr<child_process> board;
    {
        scoped_env socket_env("NOTIFY_SOCKET", manager.path().c_str());
        board = std::make_unique<child_process>(std::vector<std::string>{BOARD_PATH, "-c", cfg},
                                                dir / "board.log");
    }
    auto has = [](const std::string& prefix) {
        return [=](const std::vector<std::string>& m) { return count_of(m, prefix) >= 1; };
    };
    ASSERT_TRUE(manager.receive_until(has("READY=1"), 30s)) << "no READY=1; board log:\n"
                                                            << read_file(dir / "board.log");
    const std::string health = http_get(port, "/healthz");
    EXPECT_TRUE(starts_with(health, "HTTP/1.1 200 "))
        << "READY=1 before the board answers: " << health;
    EXPECT_NE(health.find("\r\n\r\nok\n"), std::string::npos) << health;
    const std::string ready = manager.received()[positions(manager.received(), "READY=1").front()];
    EXPECT_NE(ready.find("STATUS=serving on http://127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << ready;

    board->signal(SIGTERM);
    ASSERT_TRUE(manager.receive_until(has("STOPPING=1"), 20s)) << "no STOPPING=1";
    EXPECT_EQ(board->wait(), 0) << read_file(dir / "board.log");
    EXPECT_EQ(count_of(manager.received(), "WATCHDOG=1"), 0);
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

    // The board: users and state in the unit's StateDirectory, the unit on the installed paths.
    for (const char* file :
         {"bin/baton-board", "etc/baton/board.yaml", "lib/systemd/system/baton-board.service",
          "share/doc/baton/board/README.md"})
        EXPECT_TRUE(fs::exists(fs::path(root) / file)) << file;
    std::string board = read_file(root + "/etc/baton/board.yaml");
    for (const char* line :
         {"\nusers: /var/lib/baton/board/users.yaml ", "\nstate: /var/lib/baton/board "})
        EXPECT_NE(board.find(line), std::string::npos) << line << " not in\n" << board;
    EXPECT_EQ(board.find("../"), std::string::npos) << board;
    std::string board_unit = read_file(root + "/lib/systemd/system/baton-board.service");
    EXPECT_NE(board_unit.find("\nExecStart=" + root + "/bin/baton-board -c " + root +
                              "/etc/baton/board.yaml\n"),
              std::string::npos)
        << board_unit;
    // Everything else in the installed board config checks, with its users and state moved here.
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"\nusers: /var/lib/baton/board/users.yaml ",
                                              "\nusers: " + (dir / "board/users.yaml") + " "},
          {"\nstate: /var/lib/baton/board ", "\nstate: " + (dir / "board") + " "}}) {
        const auto at = board.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        board.replace(at, from.size(), to);
    }
    dir.write("board/users.yaml", "users: []\n");
    auto [board_status, board_out] = testing::run_program(
        {root + "/bin/baton-board", "-c", dir.write("board.yaml", board), "--check-config"},
        dir / "board-check.txt");
    EXPECT_EQ(board_status, 0) << board_out;

    // baton-alerts: its state in the unit's StateDirectory, the unit on the installed paths,
    // the README its unit names, and the installed config checks with the state moved here.
    for (const char* file :
         {"bin/baton-alerts", "etc/baton/alerts.yaml", "lib/systemd/system/baton-alerts.service",
          "share/doc/baton/adapters/alerts/README.md"})
        EXPECT_TRUE(fs::exists(fs::path(root) / file)) << file;
    std::string alerts = read_file(root + "/etc/baton/alerts.yaml");
    EXPECT_EQ(alerts.find("../"), std::string::npos) << alerts;
    std::string alerts_unit = read_file(root + "/lib/systemd/system/baton-alerts.service");
    EXPECT_NE(alerts_unit.find("\nExecStart=" + root + "/bin/baton-alerts -c " + root +
                               "/etc/baton/alerts.yaml\n"),
              std::string::npos)
        << alerts_unit;
    {
        const std::string from = "\nstate: /var/lib/baton/alerts ";
        const auto at = alerts.find(from);
        ASSERT_NE(at, std::string::npos) << alerts;
        alerts.replace(at, from.size(), "\nstate: " + (dir / "alerts") + " ");
        auto [alerts_status, alerts_out] = testing::run_program(
            {root + "/bin/baton-alerts", "-c", dir.write("alerts.yaml", alerts), "--check-config"},
            dir / "alerts-check.txt");
        EXPECT_EQ(alerts_status, 0) << alerts_out;
    }

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
