// Runs batond's loop in-process on ephemeral loopback ports, over a temporary data folder, for
// integration tests; stop() and start() again to test a restart over the same data.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "config.h"
#include "control_client.h"
#include "loop.h"
#include "schema.h"
#include "temp_dir.h"

namespace baton::testing {

inline config test_config(const temp_dir& dir) {
    config c;
    c.file = dir / "baton.yaml";
    c.data_dir = dir / "var";
    c.schemas_dir = std::string(BATON_SOURCE_DIR) + "/schemas";
    c.flow_file = std::string(BATON_SOURCE_DIR) + "/config/flow.yaml";
    c.customers_file = std::string(BATON_SOURCE_DIR) + "/config/customers.yaml";
    c.feed_path = dir / "var/exceptions.jsonl";
    c.bus.ingest = "tcp://127.0.0.1:*";
    c.bus.relay = "tcp://127.0.0.1:*";
    c.bus.control = "tcp://127.0.0.1:*";
    c.batch.max_events = 256;
    c.batch.max_wait_us = 1000;
    return c;
}

class daemon_harness {
public:
    explicit daemon_harness(config c) : cfg_(std::move(c)) {}
    ~daemon_harness() { stop(); }

    void start() {
        loop_inputs in = load_inputs(cfg_);
        in.rebuild_state = rebuild_next_;
        rebuild_next_ = false;
        loop_ = std::make_unique<loop>(cfg_, std::move(in), context_);
        thread_ = std::thread([this] { loop_->run(); });
    }
    void stop() {
        if (!loop_) return;
        loop_->stop();
        thread_.join();
        loop_.reset();
    }

    std::string ingest() const { return loop_->ingest_endpoint(); }
    std::string control() const { return loop_->control_endpoint(); }
    std::string relay() const { return loop_->relay_endpoint(); }
    zmq::context_t& context() { return context_; }
    config& cfg() { return cfg_; }
    // The next start() throws away the stored order state and replays the whole journal.
    void rebuild_on_next_start() { rebuild_next_ = true; }

    // One control request; fails the test when no reply comes.
    value call(value request) {
        adapters::control_client client(context_, control());
        std::string error;
        auto reply = client.call(request, std::chrono::seconds(10), &error);
        EXPECT_TRUE(reply) << error;
        return reply ? *reply : value();
    }

    std::int64_t events() {
        value req;
        req.set("cmd", "status");
        value reply = call(req);
        std::int64_t n = -1;
        if (const value* e = reply.find("events")) e->to_int64(n);
        return n;
    }

private:
    config cfg_;
    zmq::context_t context_{1};
    std::unique_ptr<loop> loop_;
    std::thread thread_;
    bool rebuild_next_ = false;
};

}  // namespace baton::testing
