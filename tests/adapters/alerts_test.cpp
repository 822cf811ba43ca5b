// baton-alerts against batond's loop in-process and stand-in Alertmanagers (httplib servers on
// ephemeral ports that record every POSTed alert): a QC failure fires one alert with its labels,
// resolving it posts endsAt = now, a 503 is retried after the backoff, an HA pair both get it,
// a restart posts what was resolved meanwhile; and the binary itself.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <zmq.hpp>

#include "alert_forwarder.h"
#include "alerts_config.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "process.h"

namespace baton::adapters::alerts {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;
namespace fs = std::filesystem;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// RFC 3339 with milliseconds in UTC, as baton-alerts writes it, back to ms.
std::int64_t ms_of(const std::string& t) {
    std::tm tm{};
    int ms = 0;
    EXPECT_EQ(std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                          &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms),
              7)
        << t;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

// A stand-in Alertmanager: answers POST /api/v2/alerts with `status` and records each alert
// it accepted, with when it came.
class stand_in_alertmanager {
public:
    struct received {
        json alert;
        std::int64_t at_ms;
    };

    stand_in_alertmanager() {
        server_.Post("/api/v2/alerts", [this](const httplib::Request& req, httplib::Response& res) {
            ++requests_;
            const int status = status_.load();
            res.status = status;
            if (status != 200) {
                res.set_content("{\"error\":\"stand-in says " + std::to_string(status) + "\"}",
                                "application/json");
                return;
            }
            json body = json::parse(req.body, nullptr, false);
            if (!body.is_array()) {
                res.status = 400;
                return;
            }
            std::lock_guard<std::mutex> lock(mutex_);
            for (auto& a : body) alerts_.push_back({a, now_ms()});
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(5ms);
    }
    ~stand_in_alertmanager() {
        server_.stop();
        thread_.join();
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    void answer(int status) { status_ = status; }
    int requests() const { return requests_.load(); }
    std::vector<received> alerts() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return alerts_;
    }
    // The alerts received whose label `key` is `v`.
    std::vector<received> with(const std::string& key, const std::string& v) const {
        std::vector<received> out;
        for (const auto& r : alerts())
            if (r.alert["labels"].value(key, "") == v) out.push_back(r);
        return out;
    }
    // Whether an alert for `order` came that is resolved (endsAt not after when it came).
    bool resolved(const std::string& order) const {
        for (const auto& r : with("order", order))
            if (ms_of(r.alert["endsAt"]) <= r.at_ms + 1000) return true;
        return false;
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::atomic<int> status_{200};
    std::atomic<int> requests_{0};
    mutable std::mutex mutex_;
    std::vector<received> alerts_;
};

// baton-alerts without main(): a forwarder on its own thread until stopped.
class forwarder_under_test {
public:
    explicit forwarder_under_test(const alerts_config& c) : forwarder_(context_, c, clock_) {
        thread_ = std::thread([this] { forwarder_.run(stop_); });
    }
    ~forwarder_under_test() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    const alert_forwarder& forwarder() const { return forwarder_; }

private:
    zmq::context_t context_{1};
    system_clock_source clock_;
    std::atomic<bool> stop_{false};
    alert_forwarder forwarder_;
    std::thread thread_;
};

alerts_config config_for(const temp_dir& dir, daemon_harness& d,
                         const std::vector<const stand_in_alertmanager*>& ams) {
    alerts_config c;
    c.control = d.control();
    c.relay = d.relay();
    c.batond_timeout = 5s;
    c.state = dir / "alerts-state";
    for (const auto* am : ams) c.alertmanagers.push_back({am->url(), am->url(), ""});
    c.post_timeout = 2s;
    c.retry = {300ms, 2s, 2.0};
    c.board_url = "http://board.test:7780";
    c.extra_labels = {{"plant", "foshan-1"}};
    return c;
}

void send_all(daemon_harness& d, const std::vector<envelope>& events) {
    ingest_client client(d.context(), d.ingest());
    for (const auto& e : events) {
        auto r = client.send_and_wait(e, 10s);
        ASSERT_TRUE(r) << e.id;
        ASSERT_TRUE(r->acked) << e.id << ": " << r->reason;
    }
}

envelope qc_failed_event(const std::string& id, const std::string& so) {
    value data;
    data.set("detail", "blisters on the anodised surface");
    data.set("qty", 200.0);
    data.set("unit", "kg");
    data.set("batch", "B2");
    return testing::make_event("production.qc.failed", id, so, std::move(data), "mes");
}

// An order placed by key account C-1001 whose batch B2 failed QC: one qc_failed.
void raise_qc_failed(daemon_harness& d, const std::string& so) {
    send_all(d, {testing::placed(so + "-placed", so, "C-1001"), qc_failed_event(so + "-qc", so)});
}

bool resolve(daemon_harness& d, const std::string& id) {
    value req;
    req.set("cmd", "resolve");
    req.set("id", id);
    req.set("by", "cs.lead");
    req.set("note", "re-run passed");
    value reply = d.call(req);
    const value* ok = reply.find("ok");
    return ok && ok->is_bool() && ok->as_bool();
}

TEST(alerts, a_qc_failure_fires_one_alert_with_its_labels_and_resolving_it_posts_ends_at_now) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    stand_in_alertmanager am;
    forwarder_under_test fw(config_for(dir, d, {&am}));
    ASSERT_TRUE(wait_until([&] { return fw.forwarder().reconciled(); }, 10s));

    const std::int64_t before = now_ms();
    raise_qc_failed(d, "SO-A1");
    ASSERT_TRUE(wait_until([&] { return !am.with("order", "SO-A1").empty(); }, 10s));
    std::this_thread::sleep_for(300ms);  // nothing else comes
    auto got = am.with("order", "SO-A1");
    ASSERT_EQ(got.size(), 1u) << am.alerts().size();
    const json& a = got[0].alert;
    EXPECT_EQ(a["labels"], json({{"alertname", "qc_failed"},
                                 {"severity", a["labels"]["severity"]},
                                 {"dept", "production"},
                                 {"tier", "key"},
                                 {"stage", "credit_review"},
                                 {"customer", "C-1001"},
                                 {"order", "SO-A1"},
                                 {"scope", "B2"},
                                 {"source", "baton"},
                                 {"plant", "foshan-1"}}))
        << a.dump();
    EXPECT_FALSE(a["labels"]["severity"].get<std::string>().empty());
    EXPECT_EQ(a["annotations"]["order_url"], "http://board.test:7780/order/SO-A1");
    EXPECT_EQ(a["annotations"]["customer_name"], "Nordfassaden GmbH");
    EXPECT_EQ(a["annotations"]["summary"], "qc_failed on SO-A1 for Nordfassaden GmbH");
    EXPECT_EQ(a["generatorURL"], "http://board.test:7780/order/SO-A1");
    const std::int64_t starts = ms_of(a["startsAt"]);
    EXPECT_GE(starts, before - 1000);
    EXPECT_LE(starts, got[0].at_ms);
    EXPECT_NEAR(static_cast<double>(ms_of(a["endsAt"])),
                static_cast<double>(got[0].at_ms + 5 * 60000), 2000.0)
        << "firing: endsAt = now + ends_after";
    EXPECT_EQ(fw.forwarder().open_alerts(), 1u);

    // A person resolves it: the same label set comes again, ended now.
    const std::string id = a["annotations"]["exception"];
    ASSERT_TRUE(resolve(d, id));
    ASSERT_TRUE(wait_until([&] { return am.with("order", "SO-A1").size() >= 2; }, 10s));
    auto both = am.with("order", "SO-A1");
    const json& r = both.back().alert;
    EXPECT_EQ(r["labels"], a["labels"]);
    EXPECT_NEAR(static_cast<double>(ms_of(r["endsAt"])), static_cast<double>(both.back().at_ms),
                2000.0)
        << "resolved: endsAt = now";
    EXPECT_TRUE(wait_until([&] { return fw.forwarder().open_alerts() == 0; }, 5s));
    EXPECT_EQ(fw.forwarder().skipped_messages(), 0u);
}

TEST(alerts, an_alertmanager_answering_503_gets_the_alert_after_the_backoff) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    stand_in_alertmanager am;
    am.answer(503);
    forwarder_under_test fw(config_for(dir, d, {&am}));
    ASSERT_TRUE(wait_until([&] { return fw.forwarder().reconciled(); }, 10s));
    raise_qc_failed(d, "SO-B1");
    // Retries after 300 ms, 600 ms, 1.2 s, ...: at least two refused by now.
    ASSERT_TRUE(wait_until([&] { return fw.forwarder().failed_posts() >= 2; }, 10s));
    EXPECT_TRUE(am.alerts().empty());
    const int refused = am.requests();
    std::this_thread::sleep_for(250ms);
    EXPECT_LE(am.requests(), refused + 1) << "backing off, not hammering";

    am.answer(200);
    ASSERT_TRUE(wait_until([&] { return !am.with("order", "SO-B1").empty(); }, 10s));
    EXPECT_EQ(am.with("order", "SO-B1")[0].alert["labels"]["alertname"], "qc_failed");
    EXPECT_TRUE(wait_until([&] { return fw.forwarder().posts() >= 1; }, 5s));
}

TEST(alerts, both_alertmanagers_of_an_ha_pair_get_every_alert) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    stand_in_alertmanager am1, am2;
    forwarder_under_test fw(config_for(dir, d, {&am1, &am2}));
    ASSERT_TRUE(wait_until([&] { return fw.forwarder().reconciled(); }, 10s));
    raise_qc_failed(d, "SO-C1");
    ASSERT_TRUE(wait_until(
        [&] { return !am1.with("order", "SO-C1").empty() && !am2.with("order", "SO-C1").empty(); },
        10s));
    EXPECT_EQ(am1.with("order", "SO-C1")[0].alert["labels"],
              am2.with("order", "SO-C1")[0].alert["labels"]);

    // One of them goes down; the other keeps getting changes, and the first catches up.
    am2.answer(503);
    const std::string id = am1.with("order", "SO-C1")[0].alert["annotations"]["exception"];
    ASSERT_TRUE(resolve(d, id));
    ASSERT_TRUE(wait_until([&] { return am1.resolved("SO-C1"); }, 10s));
    EXPECT_FALSE(am2.resolved("SO-C1"));
    am2.answer(200);
    EXPECT_TRUE(wait_until([&] { return am2.resolved("SO-C1"); }, 10s));
}

TEST(alerts, a_restart_posts_what_was_resolved_while_baton_alerts_was_stopped) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    stand_in_alertmanager am;
    const alerts_config cfg = config_for(dir, d, {&am});
    std::string id;
    {
        forwarder_under_test fw(cfg);
        ASSERT_TRUE(wait_until([&] { return fw.forwarder().reconciled(); }, 10s));
        raise_qc_failed(d, "SO-D1");
        raise_qc_failed(d, "SO-D2");
        ASSERT_TRUE(wait_until(
            [&] {
                return !am.with("order", "SO-D1").empty() && !am.with("order", "SO-D2").empty();
            },
            10s));
        id = am.with("order", "SO-D1")[0].alert["annotations"]["exception"];
    }
    EXPECT_TRUE(fs::exists(cfg.state + "/alerts.json"));
    EXPECT_TRUE(fs::exists(cfg.state + "/relay.seq"));

    // While it is stopped: SO-D1's exception is resolved, and its relay message is long gone
    // from the SUB socket. The saved book and the open set at start tell it.
    ASSERT_TRUE(resolve(d, id));
    EXPECT_FALSE(am.resolved("SO-D1"));
    forwarder_under_test again(cfg);
    ASSERT_TRUE(wait_until([&] { return am.resolved("SO-D1"); }, 10s));
    EXPECT_FALSE(am.resolved("SO-D2"));
    EXPECT_TRUE(wait_until([&] { return again.forwarder().open_alerts() == 1; }, 5s));
    // The other alert was posted again, still firing.
    EXPECT_GE(am.with("order", "SO-D2").size(), 2u);
}

TEST(alerts_binary, help_version_check_config_and_a_run_until_sigterm) {
    temp_dir dir;
    auto [st, out] = testing::run_program({BATON_ALERTS_PATH, "--help"}, dir / "o.txt");
    EXPECT_EQ(st, 0);
    EXPECT_NE(out.find("--check-config"), std::string::npos) << out;
    EXPECT_NE(out.find("Alertmanager"), std::string::npos) << out;
    std::tie(st, out) = testing::run_program({BATON_ALERTS_PATH, "-V"}, dir / "v.txt");
    EXPECT_EQ(st, 0);
    EXPECT_EQ(out.rfind("baton-alerts ", 0), 0u) << out;

    // The shipped config checks as it is.
    const std::string shipped = std::string(BATON_SOURCE_DIR) + "/config/alerts.yaml";
    std::tie(st, out) =
        testing::run_program({BATON_ALERTS_PATH, "-c", shipped, "--check-config"}, dir / "s.txt");
    EXPECT_EQ(st, 0) << out;
    EXPECT_NE(out.find("alerts.yaml: ok (1 Alertmanager(s)"), std::string::npos) << out;

    // A broken one: exit 2, the file, the key path and the reason.
    std::string bad = dir.write("bad.yaml",
                                "state: s\nalertmanager: {urls: [http://127.0.0.1:9093]}\n"
                                "alerts: {resend_every: 1m, ends_after: 70s}\n");
    std::tie(st, out) =
        testing::run_program({BATON_ALERTS_PATH, "-c", bad, "--check-config"}, dir / "b.txt");
    EXPECT_EQ(st, 2) << out;
    EXPECT_NE(out.find("bad.yaml: alerts.ends_after: must be at least twice resend_every"),
              std::string::npos)
        << out;

    // A run: an alert reaches the stand-in; SIGTERM stops it with 0.
    daemon_harness d(test_config(dir));
    d.start();
    stand_in_alertmanager am;
    std::string good =
        dir.write("good.yaml", "batond: {relay: '" + d.relay() + "', control: '" + d.control() +
                                   "'}\nstate: var/alerts\nalertmanager: {urls: ['" + am.url() +
                                   "'], retry: {initial: 200ms, max: 1s}}\n");
    testing::child_process p({BATON_ALERTS_PATH, "-c", good}, dir / "run.log");
    raise_qc_failed(d, "SO-E1");
    EXPECT_TRUE(wait_until([&] { return !am.with("order", "SO-E1").empty(); }, 15s))
        << testing::run_program({"/bin/cat", dir / "run.log"}, dir / "cat.txt").second;
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(), 0);
    EXPECT_TRUE(fs::exists(dir / "var/alerts/alerts.json"));
}

}  // namespace
}  // namespace baton::adapters::alerts
