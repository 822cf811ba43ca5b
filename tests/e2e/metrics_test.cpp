// End-to-end: the real batond with its metrics listener, scraped over HTTP as Prometheus would.
// The text passes `promtool check metrics` (syntax and lint; any complaint fails the test), and
// a second batond on the same metrics port refuses to start, naming the address.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <fstream>
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

constexpr const char* promtool = "/usr/bin/promtool";

struct ports {
    int ingest = testing::free_port(), relay = testing::free_port(), control = testing::free_port(),
        metrics = testing::free_port();
    std::string endpoint(int p) const { return "tcp://127.0.0.1:" + std::to_string(p); }
};

std::string write_config(const temp_dir& dir, const ports& p, const std::string& name) {
    std::string src = BATON_SOURCE_DIR;
    return dir.write(name, "data_dir: var-" + name + "\nschemas: " + src +
                               "/schemas\nflow: " + src + "/config/flow.yaml\ncustomers: " + src +
                               "/config/customers.yaml\nbus:\n  ingest: " + p.endpoint(p.ingest) +
                               "\n  relay: " + p.endpoint(p.relay) +
                               "\n  control: " + p.endpoint(p.control) +
                               "\nmetrics:\n  listen: 127.0.0.1:" + std::to_string(p.metrics) +
                               "\n  stall_after: 10s\n");
}

// GETs `path` until batond answers 200 (it binds the listener first, then loads its state).
std::optional<httplib::Result> get_when_up(int port, const std::string& path) {
    for (int i = 0; i < 200; ++i) {
        httplib::Client c("127.0.0.1", port);
        c.set_connection_timeout(1);
        auto res = c.Get(path.c_str());
        if (res && res->status == 200) return res;
        std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
}

TEST(batond_metrics, a_scrape_of_the_real_batond_passes_promtool_check_metrics) {
    if (::access(promtool, X_OK) != 0)
        GTEST_SKIP() << promtool << " is not installed (Debian package prometheus; scripts/deps "
                     << "installs it)";
    temp_dir dir;
    ports p;
    std::string cfg = write_config(dir, p, "baton.yaml");
    child_process daemon({BATOND_PATH, "--config", cfg}, dir / "batond.log");
    ASSERT_TRUE(get_when_up(p.metrics, "/readyz")) << "batond did not become ready";

    zmq::context_t ctx(1);
    adapters::ingest_client client(ctx, p.endpoint(p.ingest));
    for (int i = 0; i < 5; ++i) {
        auto r = client.send_and_wait(
            testing::order_placed("m-" + std::to_string(i), "SO-M" + std::to_string(i)), 10s);
        ASSERT_TRUE(r && r->acked);
    }
    ASSERT_TRUE(client.send_and_wait(testing::credit_rejected("m-9", "SO-M0"), 10s)->acked);

    httplib::Client http("127.0.0.1", p.metrics);
    auto res = http.Get("/metrics");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    const std::string& body = res->body;
    EXPECT_NE(body.find("\nbaton_events_acked_total 6\n"), std::string::npos) << body;
    EXPECT_NE(body.find("baton_exceptions_open{"), std::string::npos) << body;
    EXPECT_NE(body.find("baton_ack_latency_seconds_bucket{le=\"+Inf\"} 6"), std::string::npos)
        << body;

    dir.write("scrape.txt", body);
    auto [status, output] = testing::run_program(
        {"/bin/sh", "-c", std::string(promtool) + " check metrics < " + (dir / "scrape.txt")},
        dir / "promtool.txt");
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "") << "promtool check metrics complained:\n" << output;

    auto health = http.Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    daemon.signal(SIGTERM);
    EXPECT_EQ(daemon.wait(), 0);
}

TEST(batond_metrics, a_second_batond_on_the_same_metrics_port_exits_1_naming_the_address) {
    temp_dir dir;
    ports first_ports;
    child_process first({BATOND_PATH, "--config", write_config(dir, first_ports, "first.yaml")},
                        dir / "first.log");
    ASSERT_TRUE(get_when_up(first_ports.metrics, "/healthz")) << "the first batond did not start";
    ports second_ports;
    second_ports.metrics = first_ports.metrics;
    auto [status, output] = testing::run_program(
        {BATOND_PATH, "--config", write_config(dir, second_ports, "second.yaml")},
        dir / "second.log");
    EXPECT_EQ(status, 1) << output;
    EXPECT_NE(output.find("metrics.listen: cannot listen on 127.0.0.1:" +
                          std::to_string(first_ports.metrics)),
              std::string::npos)
        << output;
    // The first still serves its scrapes.
    httplib::Client http("127.0.0.1", first_ports.metrics);
    auto res = http.Get("/healthz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    first.signal(SIGTERM);
    EXPECT_EQ(first.wait(), 0);
}

}  // namespace
}  // namespace baton
