// End-to-end: the real batond binary over real sockets, as a plant's systems would use it.
// kill -9 in the middle of a stream loses nothing that was acked; SIGTERM acks the open batch;
// --check-config, --help and --version behave as documented.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
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

struct ports {
    int ingest = testing::free_port(), relay = testing::free_port(), control = testing::free_port();
    std::string endpoint(int p) const { return "tcp://127.0.0.1:" + std::to_string(p); }
};

std::string write_config(const temp_dir& dir, const ports& p, const std::string& extra = "") {
    std::string src = BATON_SOURCE_DIR;
    return dir.write("etc/baton.yaml",
                     "data_dir: ../var\n"
                     "schemas: " +
                         src +
                         "/schemas\n"
                         "flow: " +
                         src +
                         "/config/flow.yaml\n"
                         "customers: " +
                         src +
                         "/config/customers.yaml\n"
                         "bus:\n"
                         "  ingest: " +
                         p.endpoint(p.ingest) +
                         "\n"
                         "  relay: " +
                         p.endpoint(p.relay) +
                         "\n"
                         "  control: " +
                         p.endpoint(p.control) +
                         "\n"
                         "feed:\n  path: ../var/exceptions.jsonl\n"
                         "log:\n  level: info\n" +
                         extra);
}

// A file's text (a daemon's log, for a failure's message).
std::string text_of(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Waits until batond answers `status`; when it never does, the failure shows its log.
::testing::AssertionResult wait_ready(zmq::context_t& ctx, const std::string& control,
                                      const std::filesystem::path& log) {
    for (int i = 0; i < 100; ++i) {
        adapters::control_client c(ctx, control);
        value req;
        req.set("cmd", "status");
        if (c.call(req, 200ms)) return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "no answer to status on " << control << " in 20 s; the daemon's log:\n"
           << text_of(log);
}

std::set<std::string> ids_of_order(adapters::control_client& c, const std::string& order) {
    value req;
    req.set("cmd", "order");
    req.set("id", order);
    std::set<std::string> ids;
    auto reply = c.call(req, 10s);
    if (!reply || !reply->find("ok")->as_bool()) return ids;
    for (const auto& h : reply->find("order")->find("history")->as_list())
        ids.insert(h.find("id")->as_string());
    return ids;
}

// batond runs on jemalloc (daemon/CMakeLists.txt: BATON_JEMALLOC; not under the sanitizers): its
// start-up log names the allocator jemalloc itself reports, and the running process has the
// library mapped.
TEST(batond, says_at_start_which_memory_allocator_it_runs_on) {
    temp_dir dir;
    ports p;
    const std::string cfg = write_config(dir, p);
    zmq::context_t ctx(1);
    child_process daemon({BATOND_PATH, "--config", cfg}, dir / "batond.log");
    ASSERT_TRUE(wait_ready(ctx, p.endpoint(p.control), dir / "batond.log"));
    const std::string maps = text_of("/proc/" + std::to_string(daemon.pid()) + "/maps");
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(), 0);
    const std::string text = text_of(dir / "batond.log");
#ifdef BATON_WITH_JEMALLOC
    EXPECT_NE(text.find("starting; memory allocator: jemalloc 5."), std::string::npos) << text;
    EXPECT_NE(maps.find("libjemalloc.so"), std::string::npos) << maps;
#else
    EXPECT_NE(text.find("starting; memory allocator: the C library's malloc"), std::string::npos)
        << text;
    EXPECT_EQ(maps.find("libjemalloc.so"), std::string::npos) << maps;
#endif
}

TEST(batond, kill_9_mid_stream_loses_no_acked_event) {
    temp_dir dir;
    ports p;
    std::string cfg = write_config(dir, p);
    zmq::context_t ctx(1);
    auto daemon = std::make_unique<child_process>(
        std::vector<std::string>{BATOND_PATH, "--config", cfg}, dir / "batond.log");
    ASSERT_TRUE(wait_ready(ctx, p.endpoint(p.control), dir / "batond.log"))
        << "batond did not start";

    // Two producers stream events; the daemon is killed while they are in flight.
    constexpr int producers = 2, per_producer = 20000;
    std::vector<std::set<std::string>> acked(producers);
    std::atomic<int> total_acked{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < producers; ++t)
        threads.emplace_back([&, t] {
            adapters::ingest_client client(ctx, p.endpoint(p.ingest));
            for (int i = 0; i < per_producer; ++i) {
                std::string id = "k" + std::to_string(t) + "-" + std::to_string(i);
                client.send(testing::order_placed(id, "SO-K" + std::to_string(i / 100)));
                while (auto r = client.receive(0ms))
                    if (r->acked) {
                        acked[t].insert(r->id);
                        ++total_acked;
                    }
            }
            while (auto r = client.receive(2s))
                if (r->acked) {
                    acked[t].insert(r->id);
                    ++total_acked;
                }
        });
    for (int waited = 0; total_acked < 2000 && waited < 30000; ++waited)
        std::this_thread::sleep_for(1ms);
    daemon->signal(SIGKILL);
    EXPECT_EQ(daemon->wait(), 128 + SIGKILL);
    for (auto& th : threads) th.join();
    int n_acked = total_acked;
    std::printf("acked before kill -9: %d of %d sent\n", n_acked, producers * per_producer);
    ASSERT_GE(n_acked, 2000);
    ASSERT_LT(n_acked, producers * per_producer) << "the kill came too late to prove anything";

    daemon = std::make_unique<child_process>(std::vector<std::string>{BATOND_PATH, "--config", cfg},
                                             dir / "batond.log");
    ASSERT_TRUE(wait_ready(ctx, p.endpoint(p.control), dir / "batond.log"))
        << "batond did not restart";
    adapters::control_client control(ctx, p.endpoint(p.control));
    std::set<std::string> stored;
    for (int o = 0; o < per_producer / 100; ++o)
        for (auto& id : ids_of_order(control, "SO-K" + std::to_string(o))) stored.insert(id);
    int missing = 0;
    for (const auto& set : acked)
        for (const auto& id : set)
            if (!stored.count(id)) ++missing;
    EXPECT_EQ(missing, 0) << "acked events missing after kill -9 (of " << n_acked << ")";

    // Every acked event resent after the restart is recognised as a duplicate.
    adapters::ingest_client client(ctx, p.endpoint(p.ingest));
    value req;
    req.set("cmd", "status");
    auto before = control.call(req, 10s);
    ASSERT_TRUE(before);
    std::int64_t events_before = 0;
    before->find("events")->to_int64(events_before);
    int resent = 0;
    for (const auto& id : acked[0]) {
        if (++resent > 500) break;
        auto dash = id.find('-');
        int i = std::stoi(id.substr(dash + 1));
        auto r =
            client.send_and_wait(testing::order_placed(id, "SO-K" + std::to_string(i / 100)), 10s);
        ASSERT_TRUE(r && r->acked);
    }
    auto after = control.call(req, 10s);
    ASSERT_TRUE(after);
    std::int64_t events_after = 0;
    after->find("events")->to_int64(events_after);
    EXPECT_EQ(events_after, events_before);
    daemon->signal(SIGTERM);
    EXPECT_EQ(daemon->wait(), 0);
}

TEST(batond, sigterm_commits_and_acks_the_open_batch_then_exits_0) {
    temp_dir dir;
    ports p;
    // A long batch timer: only the shutdown can close this batch.
    std::string cfg = write_config(dir, p, "batch:\n  max_events: 1000\n  max_wait_us: 60000000\n");
    zmq::context_t ctx(1);
    child_process daemon({BATOND_PATH, "--config", cfg}, dir / "batond.log");
    ASSERT_TRUE(wait_ready(ctx, p.endpoint(p.control), dir / "batond.log"));
    adapters::ingest_client client(ctx, p.endpoint(p.ingest));
    for (int i = 0; i < 5; ++i)
        client.send(testing::order_placed("t-" + std::to_string(i), "SO-T"));
    EXPECT_FALSE(client.receive(300ms)) << "acked before the batch could close";
    daemon.signal(SIGTERM);
    int acks = 0;
    while (auto r = client.receive(5s))
        if (r->acked && ++acks == 5) break;
    EXPECT_EQ(acks, 5);
    EXPECT_EQ(daemon.wait(), 0);

    child_process again({BATOND_PATH, "--config", cfg}, dir / "batond.log");
    ASSERT_TRUE(wait_ready(ctx, p.endpoint(p.control), dir / "batond.log"));
    adapters::control_client control(ctx, p.endpoint(p.control));
    EXPECT_EQ(ids_of_order(control, "SO-T").size(), 5u);
}

TEST(batond, check_config_accepts_the_default_config_and_names_file_key_and_reason) {
    temp_dir dir;
    auto [ok_status, ok_out] = testing::run_program(
        {BATOND_PATH, "--config", std::string(BATON_SOURCE_DIR) + "/config/baton.yaml",
         "--check-config"},
        dir / "ok.txt");
    EXPECT_EQ(ok_status, 0) << ok_out;
    EXPECT_NE(ok_out.find("ok"), std::string::npos);

    ports p;
    std::string cfg = write_config(dir, p, "batch:\n  max_event: 10\n");
    auto [bad_status, bad_out] =
        testing::run_program({BATOND_PATH, "--config", cfg, "--check-config"}, dir / "bad.txt");
    EXPECT_NE(bad_status, 0);
    EXPECT_NE(bad_out.find(cfg), std::string::npos) << bad_out;
    EXPECT_NE(bad_out.find("batch.max_event"), std::string::npos) << bad_out;
    EXPECT_NE(bad_out.find("unknown key"), std::string::npos) << bad_out;

    auto [help_status, help_out] = testing::run_program({BATOND_PATH, "--help"}, dir / "help.txt");
    EXPECT_EQ(help_status, 0);
    EXPECT_NE(help_out.find("--check-config"), std::string::npos);
    auto [v_status, v_out] = testing::run_program({BATOND_PATH, "--version"}, dir / "v.txt");
    EXPECT_EQ(v_status, 0);
    EXPECT_NE(v_out.find("batond "), std::string::npos);
}

// ZeroMQ binds to addresses only: a host name in a bound endpoint is a config error (exit 2,
// which the unit's RestartPreventExitStatus=2 does not restart), not a failed bind (exit 1).
TEST(batond, check_config_refuses_a_host_name_in_a_bound_endpoint_with_exit_2) {
    temp_dir dir;
    std::string src = BATON_SOURCE_DIR;
    const int port = testing::free_port();
    std::string cfg =
        dir.write("etc/baton.yaml", "data_dir: ../var\nschemas: " + src + "/schemas\nflow: " + src +
                                        "/config/flow.yaml\ncustomers: " + src +
                                        "/config/customers.yaml\nbus:\n  ingest: tcp://localhost:" +
                                        std::to_string(port) + "\n");
    const std::string expected = "bus.ingest: 'tcp://localhost:" + std::to_string(port) +
                                 "': batond binds to an address, not a host name; use "
                                 "tcp://127.0.0.1:" +
                                 std::to_string(port);
    auto [check_status, check_out] =
        testing::run_program({BATOND_PATH, "--config", cfg, "--check-config"}, dir / "check.txt");
    EXPECT_EQ(check_status, 2) << check_out;
    EXPECT_NE(check_out.find("batond: invalid configuration: " + cfg + ": " + expected),
              std::string::npos)
        << check_out;
    auto [run_status, run_out] =
        testing::run_program({BATOND_PATH, "--config", cfg}, dir / "run.txt");
    EXPECT_EQ(run_status, 2) << run_out;
    EXPECT_NE(run_out.find(expected), std::string::npos) << run_out;
}

TEST(batond, refuses_to_start_when_the_ingest_port_is_taken) {
    temp_dir dir;
    ports p;
    zmq::context_t ctx(1);
    zmq::socket_t squatter(ctx, zmq::socket_type::pull);
    squatter.bind(p.endpoint(p.ingest));
    std::string cfg = write_config(dir, p);
    auto [status, out] = testing::run_program({BATOND_PATH, "--config", cfg}, dir / "log.txt");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("Address already in use"), std::string::npos) << out;
}

TEST(batond, sighup_reloads_and_a_bad_file_keeps_the_running_version) {
    temp_dir dir;
    ports p;
    std::string cfg = write_config(dir, p, "log:\n  level: info\n");
    // write_config already has a log section; use a config whose level we can change.
    std::string src = BATON_SOURCE_DIR;
    auto config_text = [&](const std::string& level) {
        return "data_dir: ../var\nschemas: " + src + "/schemas\nflow: " + src +
               "/config/flow.yaml\ncustomers: customers.yaml\nbus:\n  ingest: " +
               p.endpoint(p.ingest) + "\n  relay: " + p.endpoint(p.relay) +
               "\n  control: " + p.endpoint(p.control) + "\nlog:\n  level: " + level + "\n";
    };
    dir.write("etc/customers.yaml", "customers:\n  - {id: C-1, tier: A}\n");
    cfg = dir.write("etc/baton.yaml", config_text("info"));
    zmq::context_t ctx(1);
    child_process daemon({BATOND_PATH, "--config", cfg}, dir / "batond.log");
    ASSERT_TRUE(wait_ready(ctx, p.endpoint(p.control), dir / "batond.log"));
    adapters::control_client control(ctx, p.endpoint(p.control));
    value status;
    status.set("cmd", "status");
    auto counter = [&](const char* name) {
        std::uint64_t n = 0;
        auto r = control.call(status, 10s);
        if (r) r->find("counters")->find(name)->to_uint64(n);
        return n;
    };

    dir.write("etc/customers.yaml", "customers:\n  - {id: C-1, tier: key}\n  - {id: C-2}\n");
    daemon.signal(SIGHUP);
    for (int i = 0; i < 100 && counter("reloads") < 1; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(counter("reloads"), 1u);

    dir.write("etc/customers.yaml", "customers:\n  - {id: C-1, tier: platinum}\n");
    daemon.signal(SIGHUP);
    for (int i = 0; i < 100 && counter("reloads_refused") < 1; ++i)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(counter("reloads_refused"), 1u);
    EXPECT_EQ(counter("reloads"), 1u);
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(), 0);
    const std::string text = text_of(dir / "batond.log");
    EXPECT_NE(text.find("reload refused, nothing changed"), std::string::npos) << text;
    EXPECT_NE(text.find("customers.yaml: customers[0].tier"), std::string::npos) << text;
}

}  // namespace
}  // namespace baton
