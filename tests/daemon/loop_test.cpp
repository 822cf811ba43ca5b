// Integration tests of batond's loop, in-process on ephemeral ports: acks after commit, every
// nack code, duplicates, many producers, restart, group commit, shutdown, subscribe, control.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <thread>
#include <zmq_addon.hpp>

#include "codec.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "log_capture.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::ingest_client;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;

value cmd(const char* name) {
    value r;
    r.set("cmd", name);
    return r;
}

value order_request(const std::string& id) {
    value r = cmd("order");
    r.set("id", id);
    return r;
}

std::uint64_t counter(const value& status, const char* name) {
    std::uint64_t n = 0;
    if (const value* c = status.find("counters"))
        if (const value* v = c->find(name)) v->to_uint64(n);
    return n;
}

// Sends raw frames on a DEALER and returns the single reply's frames.
std::vector<std::string> raw_exchange(daemon_harness& d, const std::vector<std::string>& frames) {
    zmq::socket_t s(d.context(), zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.connect(d.ingest());
    std::vector<zmq::const_buffer> out;
    for (const auto& f : frames) out.push_back(zmq::buffer(f.data(), f.size()));
    zmq::send_multipart(s, out);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    std::vector<std::string> reply;
    if (zmq::poll(&item, 1, 10s) == 0) return reply;
    std::vector<zmq::message_t> msgs;
    (void)zmq::recv_multipart(s, std::back_inserter(msgs));
    for (auto& m : msgs) reply.push_back(m.to_string());
    return reply;
}

TEST(loop, acks_an_event_once_it_is_committed_and_the_order_shows_it) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    ingest_client client(d.context(), d.ingest());
    auto reply = client.send_and_wait(testing::order_placed("ev-1", "SO-1"), 10s);
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->acked) << reply->reason;
    EXPECT_EQ(reply->id, "ev-1");

    value r = d.call(order_request("SO-1"));
    ASSERT_TRUE(r.find("ok") && r.find("ok")->as_bool())
        << (r.find("error") ? r.find("error")->as_string() : "");
    const value& o = *r.find("order");
    EXPECT_EQ(o.find("id")->as_string(), "SO-1");
    EXPECT_EQ(o.find("customer")->as_string(), "C-1001");
    ASSERT_EQ(o.find("history")->as_list().size(), 1u);
    const value& h = o.find("history")->as_list()[0];
    EXPECT_EQ(h.find("topic")->as_string(), "sales.order.placed");
    EXPECT_EQ(h.find("id")->as_string(), "ev-1");
    std::int64_t ts = 0;
    h.find("ts")->to_int64(ts);
    EXPECT_EQ(ts, 1795000000000);
    EXPECT_EQ(d.events(), 1);
}

// Process CPU time (all threads), for the idle test below.
std::chrono::nanoseconds process_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// The journal writer signals each commit through an eventfd the loop polls: once the acks are
// out, nothing may leave it readable, or an idle batond would spin at a full core.
TEST(loop, an_idle_loop_sleeps_after_its_commits) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    ingest_client client(d.context(), d.ingest());
    for (int i = 1; i <= 5; ++i) {
        auto reply = client.send_and_wait(
            testing::order_placed("idle-" + std::to_string(i), "SO-I" + std::to_string(i)), 10s);
        ASSERT_TRUE(reply && reply->acked);
    }
    std::this_thread::sleep_for(200ms);
    const auto before = process_cpu();
    std::this_thread::sleep_for(1s);
    const auto used = process_cpu() - before;
    EXPECT_LT(used, 250ms) << "the process used "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(used).count()
                           << " ms of CPU in a second of idleness";
}

TEST(loop, nacks_each_refusal_code_with_a_precise_reason) {
    temp_dir dir;
    config c = test_config(dir);
    c.limits.max_envelope_bytes = 4096;
    daemon_harness d(c);
    d.start();

    // decode: not MessagePack at all; the id cannot be read.
    auto r = raw_exchange(d, {"sales.order.placed", "\xc1\xc1garbage"});
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0], "nack");
    EXPECT_EQ(r[1], "");
    EXPECT_EQ(r[2].rfind("decode:", 0), 0u) << r[2];

    // decode: wrong frame count.
    r = raw_exchange(d, {"sales.order.placed"});
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[2], "decode: expected 2 frames [topic, envelope], got 1");

    // envelope: an unknown top-level key; the id is still named.
    {
        value m;
        m.set("v", 1);
        m.set("id", "ev-env");
        m.set("source", "x");
        m.set("topic", "sales.order.cancelled");
        m.set("ts", 1);
        m.set("order", "SO-9");
        m.set("data", value(value_map{}));
        m.set("colour", "red");
        r = raw_exchange(d, {"sales.order.cancelled", encode_msgpack(m)});
        ASSERT_EQ(r.size(), 3u);
        EXPECT_EQ(r[1], "ev-env");
        EXPECT_EQ(r[2], "envelope: unknown key 'colour'");
    }

    ingest_client client(d.context(), d.ingest());
    // schema: a line's qty is a string.
    auto bad = testing::order_placed("ev-schema", "SO-2");
    bad.data.as_map()[1].val.as_list()[1].set("qty", "lots");
    auto reply = client.send_and_wait(bad, 10s);
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->acked);
    EXPECT_EQ(reply->id, "ev-schema");
    EXPECT_EQ(reply->reason, "schema: data.lines[1].qty: expected number, got string");

    // topic: a topic no schema knows.
    reply = client.send_and_wait(
        testing::make_event("sales.order.teleported", "ev-topic", "SO-2", value()), 10s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->reason, "topic: unknown topic 'sales.order.teleported'");

    // forbidden: a topic only batond publishes.
    reply = client.send_and_wait(
        testing::make_event("finance.credit_check", "ev-forbidden", "SO-2", value()), 10s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->reason, "forbidden: topic 'finance.credit_check' is published by batond only");

    // limit: an envelope above max_envelope_bytes.
    auto big = testing::order_placed("ev-limit", "SO-3");
    big.data.set("notes", std::string(3000, 'x'));
    big.data.set("customer_po", std::string(60, 'y'));
    value_list lines;
    for (int i = 0; i < 40; ++i) lines.push_back(testing::line_item("D-" + std::to_string(i), 1.0));
    big.data.set("lines", std::move(lines));
    reply = client.send_and_wait(big, 10s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->reason.rfind("limit: envelope is ", 0), 0u) << reply->reason;

    // Resending a nacked event unchanged gets the same nack.
    reply = client.send_and_wait(bad, 10s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->reason, "schema: data.lines[1].qty: expected number, got string");

    value status = d.call(cmd("status"));
    const value& nacks = *status.find("counters")->find("nacks");
    std::uint64_t n = 0;
    nacks.find("decode")->to_uint64(n);
    EXPECT_EQ(n, 2u);
    nacks.find("schema")->to_uint64(n);
    EXPECT_EQ(n, 2u);
    for (const char* code : {"envelope", "topic", "forbidden", "limit"}) {
        nacks.find(code)->to_uint64(n);
        EXPECT_EQ(n, 1u) << code;
    }
    EXPECT_EQ(d.events(), 0);
}

TEST(loop, a_duplicate_is_acked_again_and_stored_once) {
    temp_dir dir;
    config c = test_config(dir);
    c.batch.max_wait_us = 200000;  // both copies land in the same open batch
    daemon_harness d(c);
    d.start();
    ingest_client client(d.context(), d.ingest());
    auto e = testing::order_placed("ev-dup", "SO-D");
    client.send(e);
    client.send(e);
    int acks = 0;
    while (auto r = client.receive(10s)) {
        EXPECT_TRUE(r->acked);
        EXPECT_EQ(r->id, "ev-dup");
        if (++acks == 2) break;
    }
    EXPECT_EQ(acks, 2);
    // And again after the commit: acked from the duplicate window.
    auto r = client.send_and_wait(e, 10s);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->acked);
    EXPECT_EQ(d.events(), 1);
    value o = d.call(order_request("SO-D"));
    EXPECT_EQ(o.find("order")->find("history")->as_list().size(), 1u);
    EXPECT_EQ(counter(d.call(cmd("status")), "duplicates"), 2u);
}

TEST(loop, many_events_in_flight_from_several_dealers_are_all_acked) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    constexpr int producers = 4, per_producer = 2000;
    std::vector<std::thread> threads;
    std::array<int, producers> acked{};
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&, p] {
            ingest_client client(d.context(), d.ingest());
            for (int i = 0; i < per_producer; ++i)
                client.send(testing::order_placed("p" + std::to_string(p) + "-" + std::to_string(i),
                                                  "SO-" + std::to_string(p * per_producer + i)));
            std::set<std::string> seen;
            while (static_cast<int>(seen.size()) < per_producer) {
                auto r = client.receive(20s);
                if (!r || !r->acked) break;
                seen.insert(r->id);
            }
            acked[p] = static_cast<int>(seen.size());
        });
    for (auto& t : threads) t.join();
    for (int p = 0; p < producers; ++p) EXPECT_EQ(acked[p], per_producer) << "producer " << p;
    EXPECT_EQ(d.events(), producers * per_producer);
    value status = d.call(cmd("status"));
    EXPECT_GT(counter(status, "batches"), 0u);
    EXPECT_EQ(counter(status, "accepted"), static_cast<std::uint64_t>(producers * per_producer));
}

TEST(loop, a_restart_keeps_the_events_and_the_duplicate_window) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    {
        ingest_client client(d.context(), d.ingest());
        for (int i = 0; i < 50; ++i)
            client.send(
                testing::order_placed("r-" + std::to_string(i), "SO-R" + std::to_string(i % 5)));
        for (int i = 0; i < 50; ++i) {
            auto r = client.receive(10s);
            ASSERT_TRUE(r && r->acked);
        }
    }
    d.stop();
    // The clean stop left the duplicate window for the next start, which reads it.
    EXPECT_TRUE(std::filesystem::exists(dir / "var/baton.dedup"));
    {
        testing::log_capture log;
        d.start();
        EXPECT_TRUE(log.contains("duplicate window: 50 ids, from the checkpoint at journal seq 50"))
            << log.text();
    }
    EXPECT_EQ(d.events(), 50);
    value o = d.call(order_request("SO-R3"));
    EXPECT_EQ(o.find("order")->find("history")->as_list().size(), 10u);
    EXPECT_EQ(o.find("order")->find("customer")->as_string(), "C-1001");
    ingest_client client(d.context(), d.ingest());
    for (int i = 0; i < 50; ++i) {
        auto r =
            client.send_and_wait(testing::order_placed("r-" + std::to_string(i), "SO-R0"), 10s);
        ASSERT_TRUE(r && r->acked);
    }
    EXPECT_EQ(d.events(), 50);
    auto r = client.send_and_wait(testing::order_placed("r-new", "SO-R0"), 10s);
    ASSERT_TRUE(r && r->acked);
    EXPECT_EQ(d.events(), 51);
}

TEST(loop, a_batch_closes_at_max_events_without_waiting_for_the_timer) {
    temp_dir dir;
    config c = test_config(dir);
    c.batch.max_events = 10;
    c.batch.max_wait_us = 30'000'000;  // 30 s: only the count can close the batch in time
    daemon_harness d(c);
    d.start();
    ingest_client client(d.context(), d.ingest());
    for (int i = 0; i < 10; ++i)
        client.send(testing::order_placed("b-" + std::to_string(i), "SO-B"));
    for (int i = 0; i < 10; ++i) {
        auto r = client.receive(10s);
        ASSERT_TRUE(r) << "ack " << i << " did not come";
        EXPECT_TRUE(r->acked);
    }
    // One more stays in the open batch: no ack until the timer or a stop.
    client.send(testing::order_placed("b-10", "SO-B"));
    EXPECT_FALSE(client.receive(500ms));
    d.stop();  // commits and acks the open batch
    auto r = client.receive(5s);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->acked);
    EXPECT_EQ(r->id, "b-10");
    d.start();
    EXPECT_EQ(d.events(), 11);
}

TEST(loop, a_subscribe_connector_feeds_the_journal_and_counts_seq_gaps) {
    temp_dir dir;
    zmq::context_t pub_context(1);
    zmq::socket_t pub(pub_context, zmq::socket_type::pub);
    pub.set(zmq::sockopt::linger, 0);
    pub.bind("tcp://127.0.0.1:*");
    config c = test_config(dir);
    c.bus.subscribe.push_back({pub.get(zmq::sockopt::last_endpoint), false, {"production."}});
    daemon_harness d(c);
    d.start();
    auto publish = [&](const std::string& id, std::uint64_t seq, const std::string& topic) {
        value data;
        data.set("line", "P3");
        auto e = testing::make_event(topic, id, "SO-S", data, "mes");
        e.seq = seq;
        std::string bytes = encode_envelope(e);
        std::array<zmq::const_buffer, 2> msg = {zmq::buffer(e.topic.data(), e.topic.size()),
                                                zmq::buffer(bytes.data(), bytes.size())};
        zmq::send_multipart(pub, msg);
    };
    // The subscription takes a moment to reach the publisher: repeat the first event (the
    // duplicate window stores it once) until it is in.
    for (int i = 0; i < 100 && d.events() < 1; ++i) {
        publish("s-1", 1, "production.order.started");
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(d.events(), 1);
    publish("s-2", 2, "production.order.started");
    publish("s-x", 3, "sales.order.cancelled");     // not subscribed: never arrives
    publish("s-4", 5, "production.order.started");  // seq 3 and 4 missing: a gap
    for (int i = 0; i < 100 && d.events() < 3; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(d.events(), 3);
    value status = d.call(cmd("status"));
    EXPECT_EQ(counter(status, "feed_gaps"), 1u);
    EXPECT_EQ(counter(status, "subscribed"), 3u);
}

TEST(loop, a_refused_subscribed_event_still_counts_for_its_source_seq) {
    temp_dir dir;
    zmq::context_t pub_context(1);
    zmq::socket_t pub(pub_context, zmq::socket_type::pub);
    pub.set(zmq::sockopt::linger, 0);
    pub.bind("tcp://127.0.0.1:*");
    config c = test_config(dir);
    c.bus.subscribe.push_back({pub.get(zmq::sockopt::last_endpoint), false, {}});
    daemon_harness d(c);
    d.start();
    auto publish = [&](const std::string& id, std::uint64_t seq, value data) {
        auto e =
            testing::make_event("production.order.started", id, "SO-S", std::move(data), "mes");
        e.seq = seq;
        std::string bytes = encode_envelope(e);
        std::array<zmq::const_buffer, 2> msg = {zmq::buffer(e.topic.data(), e.topic.size()),
                                                zmq::buffer(bytes.data(), bytes.size())};
        zmq::send_multipart(pub, msg);
    };
    value good;
    good.set("line", "P3");
    value bad;
    bad.set("line", 7);  // the schema wants a string: refused
    for (int i = 0; i < 100 && d.events() < 1; ++i) {
        publish("s-1", 1, good);
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(d.events(), 1);
    publish("s-2", 2, bad);   // read whole, refused: not lost
    publish("s-3", 3, good);  // follows on: no gap
    for (int i = 0; i < 100 && d.events() < 2; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(d.events(), 2);
    value status = d.call(cmd("status"));
    EXPECT_EQ(counter(status, "subscribe_refused"), 1u);
    EXPECT_EQ(counter(status, "feed_gaps"), 0u);
}

TEST(loop, control_answers_req_and_bare_dealer_clients_and_refuses_bad_requests) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    {
        zmq::socket_t req(d.context(), zmq::socket_type::req);
        req.set(zmq::sockopt::linger, 0);
        req.connect(d.control());
        std::string body = encode_msgpack(cmd("status"));
        req.send(zmq::buffer(body.data(), body.size()));
        zmq::message_t m;
        ASSERT_TRUE(req.recv(m));
        value reply;
        std::string error;
        ASSERT_TRUE(decode_msgpack(m.to_string_view(), decode_limits{}, reply, error)) << error;
        EXPECT_TRUE(reply.find("ok")->as_bool());
        for (const char* key : {"version", "uptime_s", "events", "orders_open", "exceptions_open",
                                "tasks_open", "relay_seq"})
            EXPECT_TRUE(reply.find(key)) << key;
    }
    value r = d.call(cmd("teleport"));
    EXPECT_FALSE(r.find("ok")->as_bool());
    EXPECT_EQ(r.find("error")->as_string(), "unknown command 'teleport'");
    r = d.call(order_request("SO-NONE"));
    EXPECT_FALSE(r.find("ok")->as_bool());
    {
        zmq::socket_t dealer(d.context(), zmq::socket_type::dealer);
        dealer.set(zmq::sockopt::linger, 0);
        dealer.connect(d.control());
        dealer.send(zmq::str_buffer("\xc1 not msgpack"));
        zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
        ASSERT_EQ(zmq::poll(&item, 1, 10s), 1);
        zmq::message_t m;
        ASSERT_TRUE(dealer.recv(m));
        value reply;
        std::string error;
        ASSERT_TRUE(decode_msgpack(m.to_string_view(), decode_limits{}, reply, error)) << error;
        EXPECT_FALSE(reply.find("ok")->as_bool());
        EXPECT_EQ(reply.find("error")->as_string().rfind("decode:", 0), 0u);
    }
}

TEST(loop, a_flooding_peer_does_not_starve_the_others) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    constexpr int flood = 60000;
    ingest_client flooder(d.context(), d.ingest());
    // A customer without a credit limit: the flood measures the loop's fairness, not 60,000
    // credit holds (a seeded customer would pass its limit after a hundred orders).
    for (int i = 0; i < flood; ++i)
        flooder.send(testing::order_placed("fl-" + std::to_string(i), "SO-FL" + std::to_string(i),
                                           "C-FLOOD"));
    // Another department sends one event after the flood is queued: the ROUTER reads its peers
    // fairly, so it is acked long before the flood is through.
    ingest_client other(d.context(), d.ingest());
    auto mine = other.send_and_wait(testing::credit_approved("other-1", "SO-FL1"), 30s);
    ASSERT_TRUE(mine && mine->acked);
    value status;
    status.set("cmd", "status");
    std::int64_t stored_when_acked = 0;
    d.call(status).find("events")->to_int64(stored_when_acked);
    std::printf("stored when the other peer was acked: %lld of %d\n",
                static_cast<long long>(stored_when_acked), flood);
    EXPECT_LT(stored_when_acked, flood / 2) << "the single event waited behind the flood";
    int acked = 0;
    while (acked < flood) {
        auto r = flooder.receive(30s);
        if (!r) break;
        acked += r->acked ? 1 : 0;
    }
    EXPECT_EQ(acked, flood);
}

}  // namespace
}  // namespace baton
