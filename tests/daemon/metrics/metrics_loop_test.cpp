// Integration tests of the metrics listener with the loop in-process on ephemeral ports: what
// /metrics says matches what the ingest socket acked, orders are counted by stage, /healthz and
// /readyz answer (503 while storage fails), other paths and methods are refused, a second
// listener on the same port is a precise start-up error, and scraping in a tight loop while
// 20,000 events flow holds up no ack.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <thread>

#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "metrics_server.h"
#include "process.h"
#include "version.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::ingest_client;
using testing::temp_dir;
using testing::test_config;

// The loop on its own thread, with the metrics listener on a free loopback port.
class metrics_daemon {
public:
    explicit metrics_daemon(config c) {
        c.metrics.enabled = true;
        c.metrics.host = "127.0.0.1";
        c.metrics.port = 0;
        loop_ = std::make_unique<loop>(c, load_inputs(c), context_);
        thread_ = std::thread([this] { loop_->run(); });
    }
    ~metrics_daemon() {
        loop_->stop();
        thread_.join();
    }
    std::string ingest() const { return loop_->ingest_endpoint(); }
    zmq::context_t& context() { return context_; }
    httplib::Client http() const {
        httplib::Client c("127.0.0.1", loop_->metrics_port());
        c.set_connection_timeout(2);
        c.set_read_timeout(5);
        return c;
    }
    loop& daemon() { return *loop_; }

private:
    zmq::context_t context_{1};
    std::unique_ptr<loop> loop_;
    std::thread thread_;
};

// The value of the series `series` (name with its labels exactly as written), or -1.
double value_of(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l.size() > series.size() && l.compare(0, series.size(), series) == 0 &&
            l[series.size()] == ' ')
            return std::strtod(l.c_str() + series.size() + 1, nullptr);
    return -1;
}

std::string scrape(const metrics_daemon& d) {
    auto res = d.http().Get("/metrics");
    EXPECT_TRUE(res) << "no answer from /metrics";
    if (!res) return "";
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return res->body;
}

// Scrapes until `series` reads `expected` (label gauges may be counted a moment later), at most
// 5 s; returns the last text.
std::string scrape_until(const metrics_daemon& d, const std::string& series, double expected) {
    std::string text;
    for (int i = 0; i < 100; ++i) {
        text = scrape(d);
        if (value_of(text, series) == expected) break;
        std::this_thread::sleep_for(50ms);
    }
    return text;
}

TEST(metrics_loop, metrics_match_what_the_ingest_socket_acked_and_orders_by_stage) {
    temp_dir dir;
    metrics_daemon d(test_config(dir));
    ingest_client client(d.context(), d.ingest());
    for (int i = 1; i <= 5; ++i) {
        auto r = client.send_and_wait(
            testing::order_placed("e-" + std::to_string(i), "SO-" + std::to_string(i)), 10s);
        ASSERT_TRUE(r && r->acked);
    }
    auto approved = client.send_and_wait(testing::credit_approved("e-6", "SO-1"), 10s);
    ASSERT_TRUE(approved && approved->acked);
    auto duplicate = client.send_and_wait(testing::order_placed("e-2", "SO-2"), 10s);
    ASSERT_TRUE(duplicate && duplicate->acked);  // acked at once, not applied
    auto refused = client.send_and_wait(
        testing::make_event("sales.order.teleported", "e-8", "SO-1", value()), 10s);
    ASSERT_TRUE(refused && !refused->acked);
    const std::string code = refused->reason.substr(0, refused->reason.find(':'));

    std::string text =
        scrape_until(d, "baton_orders_open{holder=\"finance\",stage=\"credit_review\"}", 4);
    EXPECT_EQ(value_of(text, "baton_events_received_total"), 8) << text;
    EXPECT_EQ(value_of(text, "baton_events_acked_total"), 6) << text;
    EXPECT_EQ(value_of(text, "baton_duplicates_total"), 1) << text;
    EXPECT_EQ(value_of(text, "baton_nacks_total{code=\"" + code + "\"}"), 1) << text;
    EXPECT_EQ(value_of(text, "baton_journal_events"), 6) << text;
    EXPECT_EQ(value_of(text, "baton_orders_open{holder=\"finance\",stage=\"credit_review\"}"), 4)
        << text;
    double open_total = 0;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l.rfind("baton_orders_open{", 0) == 0)
            open_total += std::strtod(l.c_str() + l.rfind(' ') + 1, nullptr);
    EXPECT_EQ(open_total, 5) << text;
    // The six committed events were acked after their commits; the duplicate at once (left out).
    EXPECT_EQ(value_of(text, "baton_ack_latency_seconds_count"), 6) << text;
    EXPECT_EQ(value_of(text, "baton_ack_latency_seconds_bucket{le=\"+Inf\"}"), 6) << text;
    EXPECT_EQ(value_of(text, "baton_batch_events_sum"), 6) << text;
    EXPECT_EQ(value_of(text, "baton_batches_total"), value_of(text, "baton_batch_events_count"))
        << text;
    EXPECT_EQ(value_of(text, "baton_commit_seconds_count"), value_of(text, "baton_batches_total"))
        << text;
    EXPECT_EQ(value_of(text, "baton_ready"), 1) << text;
    EXPECT_EQ(value_of(text, "baton_storage_failing"), 0) << text;
    const double last_turn = value_of(text, "baton_loop_last_turn_timestamp_seconds");
    const double now = static_cast<double>(std::time(nullptr));
    EXPECT_GT(last_turn, now - 5) << text;
    EXPECT_LT(last_turn, now + 5) << text;
}

TEST(metrics_loop, healthz_and_readyz_answer_and_other_paths_and_methods_are_refused) {
    temp_dir dir;
    metrics_daemon d(test_config(dir));
    EXPECT_FALSE(d.daemon().metrics_endpoint().empty());
    EXPECT_EQ(d.daemon().metrics_endpoint(),
              "127.0.0.1:" + std::to_string(d.daemon().metrics_port()));
    auto health = d.http().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, "ok\n");
    auto ready = d.http().Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
    EXPECT_EQ(ready->body, "ready\n");
    auto head = d.http().Head("/metrics");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_TRUE(head->body.empty());
    auto unknown = d.http().Get("/orders");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    auto post = d.http().Post("/metrics", "x", "text/plain");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 405);
    EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
}

TEST(metrics_loop, readyz_is_503_while_storage_fails_and_metrics_show_the_waiting_batch) {
    temp_dir dir;
    config c = test_config(dir);
    c.storage_max_bytes = 1048576;
    c.batch.max_events = 50;
    metrics_daemon d(c);
    ingest_client client(d.context(), d.ingest());
    int sent = 0;
    std::string text;
    while (sent < 20000) {
        for (int i = 0; i < 100; ++i, ++sent)
            client.send(
                testing::order_placed("f-" + std::to_string(sent), "SO-F" + std::to_string(sent)));
        while (client.receive(200ms)) {
        }
        text = scrape(d);
        if (value_of(text, "baton_storage_failing") == 1) break;
    }
    ASSERT_EQ(value_of(text, "baton_storage_failing"), 1) << "the database never filled up";
    EXPECT_GT(value_of(text, "baton_batch_waiting_events"), 0) << text;
    EXPECT_GT(value_of(text, "baton_commit_failures_total"), 0) << text;
    EXPECT_EQ(value_of(text, "baton_ready"), 0) << text;
    auto ready = d.http().Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 503);
    EXPECT_EQ(ready->body.rfind("storage failing: ", 0), 0u) << ready->body;
    EXPECT_NE(ready->body.find("full"), std::string::npos) << ready->body;
    // The loop still turns (it retries once a second): alive, just not ready.
    auto health = d.http().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST(metrics_loop, while_the_state_loads_readyz_says_loading_and_healthz_is_ok) {
    temp_dir dir;
    config c = test_config(dir);
    { metrics_daemon first(c); }  // creates the database
    // Another connection holds the database: batond's start-up waits for it (busy timeout 5 s).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "var/baton.db").c_str(), &db), SQLITE_OK);
    // Out of WAL mode, an EXCLUSIVE transaction keeps every other connection out, readers too.
    ASSERT_EQ(
        sqlite3_exec(db, "PRAGMA journal_mode=DELETE; BEGIN EXCLUSIVE;", nullptr, nullptr, nullptr),
        SQLITE_OK);
    c.metrics.enabled = true;
    c.metrics.host = "127.0.0.1";
    c.metrics.port = testing::free_port();
    zmq::context_t ctx(1);
    std::unique_ptr<loop> started;
    std::string start_error;
    std::thread starting([&] {
        try {
            started = std::make_unique<loop>(c, load_inputs(c), ctx);
        } catch (const std::exception& e) {
            start_error = e.what();
        }
    });
    httplib::Client http("127.0.0.1", c.metrics.port);
    auto ready = http.Get("/readyz");
    for (int i = 0; i < 100 && !ready; ++i) {
        std::this_thread::sleep_for(10ms);
        ready = http.Get("/readyz");
    }
    ASSERT_TRUE(ready) << "the listener did not answer while the state loaded";
    EXPECT_EQ(ready->status, 503);
    EXPECT_EQ(ready->body, "loading state\n");
    auto health = http.Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, "ok: loading state\n");
    auto metrics = http.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(value_of(metrics->body, "baton_ready"), 0) << metrics->body;
    EXPECT_EQ(value_of(metrics->body, "baton_build_info{version=\"" + std::string(version) + "\"}"),
              1)
        << metrics->body;
    EXPECT_EQ(metrics->body.find("baton_events_acked_total"), std::string::npos);

    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(started) << "the state loaded while the database was held";
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    starting.join();
    ASSERT_TRUE(started) << start_error;
    ready = http.Get("/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200);
}

TEST(metrics_loop, a_second_listener_on_the_same_port_is_a_start_up_error_naming_the_address) {
    temp_dir dir1, dir2;
    metrics_daemon first(test_config(dir1));
    config c = test_config(dir2);
    c.metrics.enabled = true;
    c.metrics.host = "127.0.0.1";
    c.metrics.port = first.daemon().metrics_port();
    zmq::context_t ctx(1);
    try {
        loop second(c, load_inputs(c), ctx);
        FAIL() << "a second batond listened on the same metrics port";
    } catch (const metrics_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "metrics.listen: cannot listen on 127.0.0.1:" + std::to_string(c.metrics.port) +
                      " (in use, or not an address of this machine)");
    }
    // The first one still serves.
    auto health = first.http().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
}

TEST(metrics_loop, scraping_in_a_tight_loop_while_20000_events_flow_holds_up_no_ack) {
    temp_dir dir;
    metrics_daemon d(test_config(dir));
    std::atomic<bool> done{false};
    std::atomic<int> scrapes{0}, failed{0};
    std::thread scraper([&] {
        httplib::Client c = d.http();
        while (!done) {
            auto res = c.Get("/metrics");
            if (res && res->status == 200 &&
                res->body.find("baton_events_acked_total") != std::string::npos)
                ++scrapes;
            else
                ++failed;
        }
    });
    constexpr int producers = 2, per_producer = 10000;
    std::atomic<int> acked{0};
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < producers; ++t)
        threads.emplace_back([&, t] {
            ingest_client client(d.context(), d.ingest());
            std::set<std::string> mine;
            for (int i = 0; i < per_producer; ++i) {
                client.send(testing::order_placed("s" + std::to_string(t) + "-" + std::to_string(i),
                                                  "SO-S" + std::to_string(t * per_producer + i)));
                while (auto r = client.receive(0ms))
                    if (r->acked) mine.insert(r->id);
            }
            while (static_cast<int>(mine.size()) < per_producer)
                if (auto r = client.receive(10s); r && r->acked)
                    mine.insert(r->id);
                else if (!r)
                    break;
            acked += static_cast<int>(mine.size());
        });
    for (auto& th : threads) th.join();
    const auto took = std::chrono::steady_clock::now() - start;
    done = true;
    scraper.join();
    std::printf("%d events acked in %.2f s while %d scrapes were served\n", acked.load(),
                std::chrono::duration<double>(took).count(), scrapes.load());
    EXPECT_EQ(acked.load(), producers * per_producer);
    EXPECT_GT(scrapes.load(), 10);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_LT(took, 60s);
    std::string text = scrape(d);
    EXPECT_EQ(value_of(text, "baton_events_acked_total"), producers * per_producer) << text;
    EXPECT_EQ(value_of(text, "baton_ack_latency_seconds_count"), producers * per_producer) << text;
}

}  // namespace
}  // namespace baton
