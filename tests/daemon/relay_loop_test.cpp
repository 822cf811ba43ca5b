// Integration: whole order lifecycles through the real sockets. A SUB client watches the relay:
// each department gets exactly its messages, seq is contiguous, `replay` returns what was
// published, and seq continues after a restart.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>
#include <zmq_addon.hpp>

#include "codec.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::ingest_client;
using testing::daemon_harness;
using testing::make_event;
using testing::temp_dir;
using testing::test_config;

struct received {
    std::uint64_t seq;
    std::string topic;
    std::string bytes;
    envelope env;
};

// A subscriber to every relay topic.
class relay_watcher {
public:
    relay_watcher(zmq::context_t& ctx, const std::string& endpoint)
        : sub_(ctx, zmq::socket_type::sub) {
        sub_.set(zmq::sockopt::linger, 0);
        sub_.set(zmq::sockopt::subscribe, "");
        sub_.connect(endpoint);
    }
    // Everything that arrives within `quiet` of the last message.
    std::vector<received> drain(std::chrono::milliseconds quiet = 300ms) {
        std::vector<received> out;
        for (;;) {
            zmq::pollitem_t item{sub_.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, quiet) == 0) break;
            std::vector<zmq::message_t> frames;
            (void)zmq::recv_multipart(sub_, std::back_inserter(frames));
            received r;
            r.topic = frames[0].to_string();
            r.bytes = frames[1].to_string();
            std::string reason;
            EXPECT_TRUE(decode_relayed(r.bytes, decode_limits{}, r.env, reason)) << reason;
            r.seq = r.env.seq.value_or(0);
            out.push_back(std::move(r));
        }
        return out;
    }

private:
    zmq::socket_t sub_;
};

value data_of(std::initializer_list<std::pair<const char*, value>> fields) {
    value d(value_map{});
    for (const auto& [k, v] : fields) d.set(k, v);
    return d;
}

void send_all(ingest_client& client, const std::vector<envelope>& events) {
    for (const auto& e : events) {
        auto r = client.send_and_wait(e, 10s);
        ASSERT_TRUE(r) << e.id;
        ASSERT_TRUE(r->acked) << e.id << ": " << r->reason;
    }
}

std::vector<envelope> lifecycle(const std::string& order, const std::string& customer,
                                const std::string& terms) {
    auto placed = testing::order_placed(order + "-placed", order, customer);
    placed.data.set("terms", terms);
    std::vector<envelope> events = {
        placed,
        testing::credit_approved(order + "-credit", order),
        make_event("production.order.scheduled", order + "-sched", order,
                   data_of({{"planned_start", "2026-12-01"},
                            {"planned_finish", "2026-12-04"},
                            {"line", "P2"}}),
                   "mes"),
        make_event("production.order.started", order + "-start", order, data_of({{"line", "P2"}}),
                   "mes"),
        make_event("production.order.completed", order + "-done", order,
                   data_of({{"qty_good", 1550.5}}), "mes"),
    };
    if (terms == "prepay")
        events.push_back(make_event("finance.payment.received", order + "-paid", order,
                                    data_of({{"amount_cents", 1843000}}), "finance-erp"));
    events.push_back(make_event("logistics.shipment.dispatched", order + "-disp", order,
                                data_of({{"vehicle", "TRK-7"}, {"qty", 1550.5}}), "tms"));
    events.push_back(make_event("logistics.shipment.delivered", order + "-deliv", order,
                                data_of({{"qty", 1550.5}, {"received_by", "J. Novak"}}), "tms"));
    events.push_back(make_event("finance.invoice.issued", order + "-inv", order,
                                data_of({{"invoice", "INV-" + order}, {"amount_cents", 1843000}}),
                                "finance-erp"));
    return events;
}

std::vector<std::string> topics_of(const std::vector<received>& msgs, const std::string& order) {
    std::vector<std::string> out;
    for (const auto& m : msgs)
        if (m.env.order == order) out.push_back(m.topic);
    return out;
}

TEST(relay_loop, two_lifecycles_relay_each_department_its_messages_in_seq_order) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    relay_watcher watcher(d.context(), d.relay());
    std::this_thread::sleep_for(200ms);  // let the subscription reach the publisher
    ingest_client client(d.context(), d.ingest());
    send_all(client, lifecycle("SO-C", "C-1001", "credit"));
    send_all(client, lifecycle("SO-P", "C-1004", "prepay"));
    auto msgs = watcher.drain();

    EXPECT_EQ(topics_of(msgs, "SO-C"),
              (std::vector<std::string>{"sales.status", "finance.credit_check", "sales.status",
                                        "production.release", "sales.status", "sales.status",
                                        "logistics.ship_request", "sales.status", "sales.status",
                                        "finance.invoice_request", "sales.status"}));
    EXPECT_EQ(topics_of(msgs, "SO-P"),
              (std::vector<std::string>{"sales.status", "finance.credit_check", "sales.status",
                                        "production.release", "sales.status", "sales.status",
                                        "finance.payment_request", "sales.status",
                                        "logistics.ship_request", "sales.status", "sales.status",
                                        "finance.invoice_request", "sales.status"}));
    ASSERT_FALSE(msgs.empty());
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        EXPECT_EQ(msgs[i].seq, i + 1) << "seq must be contiguous from 1";
        EXPECT_EQ(msgs[i].env.source, "baton");
        EXPECT_EQ(msgs[i].env.topic, msgs[i].topic);
        EXPECT_TRUE(msgs[i].env.cause && !msgs[i].env.cause->empty());
    }
    // The last status of each order says closed.
    EXPECT_EQ(msgs.back().env.data.find("stage")->as_string(), "closed");

    // replay returns exactly what was published, in order.
    value req;
    req.set("cmd", "replay");
    req.set("since", 0);
    req.set("limit", 1000);
    value reply = d.call(req);
    const auto& replayed = reply.find("messages")->as_list();
    ASSERT_EQ(replayed.size(), msgs.size());
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        std::uint64_t seq = 0;
        replayed[i].find("seq")->to_uint64(seq);
        EXPECT_EQ(seq, msgs[i].seq);
        EXPECT_EQ(replayed[i].find("topic")->as_string(), msgs[i].topic);
        EXPECT_EQ(encode_msgpack(*replayed[i].find("envelope")), msgs[i].bytes);
    }
    req.set("since", 5);
    req.set("limit", 3);
    reply = d.call(req);
    ASSERT_EQ(reply.find("messages")->as_list().size(), 3u);
    std::uint64_t first = 0;
    reply.find("messages")->as_list()[0].find("seq")->to_uint64(first);
    EXPECT_EQ(first, 6u);

    // The order view tells a clerk where it is.
    value q;
    q.set("cmd", "order");
    q.set("id", "SO-P");
    value o = *d.call(q).find("order");
    EXPECT_EQ(o.find("stage")->as_string(), "closed");
    for (const char* m : {"placed", "credit_approved", "scheduled", "started", "produced", "paid",
                          "dispatched", "delivered", "invoiced"})
        EXPECT_TRUE(o.find("milestones")->find(m)) << m;
    EXPECT_EQ(o.find("history")->as_list().size(), 9u);
}

TEST(relay_loop, relay_seq_continues_after_a_restart_and_state_survives_it) {
    temp_dir dir;
    config c = test_config(dir);
    daemon_harness d(c);
    d.start();
    {
        ingest_client client(d.context(), d.ingest());
        auto events = lifecycle("SO-R", "C-1002", "credit");
        events.resize(3);  // placed, credit approved, scheduled: now in production
        send_all(client, events);
    }
    value status;
    status.set("cmd", "status");
    std::uint64_t seq_before = 0;
    d.call(status).find("relay_seq")->to_uint64(seq_before);
    EXPECT_EQ(seq_before, 5u);  // status, credit_check, status, release, status
    value q;
    q.set("cmd", "order");
    q.set("id", "SO-R");
    value before = *d.call(q).find("order");
    d.stop();

    d.start();
    relay_watcher watcher(d.context(), d.relay());
    std::this_thread::sleep_for(200ms);
    value after = *d.call(q).find("order");
    EXPECT_EQ(encode_msgpack(after), encode_msgpack(before)) << "state changed over the restart";
    ingest_client client(d.context(), d.ingest());
    send_all(client, {make_event("production.order.completed", "SO-R-done", "SO-R",
                                 data_of({{"qty_good", 1200.0}}), "mes")});
    auto msgs = watcher.drain();
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].seq, seq_before + 1);
    EXPECT_EQ(msgs[1].seq, seq_before + 2);
    EXPECT_EQ(msgs[1].topic, "logistics.ship_request");

    // Rebuilt from the journal alone, the state is the same as the snapshot-based one.
    value live = *d.call(q).find("order");
    d.stop();
    d.rebuild_on_next_start();
    d.start();
    value rebuilt = *d.call(q).find("order");
    EXPECT_EQ(encode_msgpack(rebuilt), encode_msgpack(live));
    std::uint64_t seq_rebuilt = 0;
    d.call(status).find("relay_seq")->to_uint64(seq_rebuilt);
    EXPECT_EQ(seq_rebuilt, seq_before + 2);
}

TEST(relay_loop, small_frequent_snapshots_rebuild_the_same_state) {
    temp_dir dir;
    config c = test_config(dir);
    c.snapshot.max_orders = 3;  // a snapshot after almost every batch: many rows per order
    c.batch.max_events = 4;
    daemon_harness d(c);
    d.start();
    ingest_client client(d.context(), d.ingest());
    // Step k of every order, then step k+1: each order changes in many snapshots.
    std::vector<std::vector<envelope>> orders;
    for (int i = 0; i < 6; ++i) {
        orders.push_back(lifecycle("SO-S" + std::to_string(i), "C-1002", "credit"));
        orders.back().resize(static_cast<std::size_t>(2 + i % 5));
    }
    for (std::size_t step = 0; step < 6; ++step)
        for (const auto& events : orders)
            if (step < events.size()) send_all(client, {events[step]});
    value q;
    q.set("cmd", "orders");
    q.set("limit", 100);
    value before = d.call(q);
    d.stop();
    auto scalar = [&](const char* sql) {
        sqlite3* db = nullptr;
        sqlite3_open((c.data_dir + "/baton.db").c_str(), &db);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
        std::int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_finalize(st);
        sqlite3_close(db);
        return n;
    };
    auto snapshot_rows = [&] { return scalar("SELECT count(*) FROM snapshot_log"); };
    EXPECT_GT(snapshot_rows(), 12) << "the test should leave superseded rows to compact";
    d.start();  // loads the newest row of each order and compacts the log
    EXPECT_EQ(encode_msgpack(*d.call(q).find("orders")), encode_msgpack(*before.find("orders")));
    d.stop();
    EXPECT_EQ(snapshot_rows(), 6);
    d.start();
    EXPECT_EQ(encode_msgpack(*d.call(q).find("orders")), encode_msgpack(*before.find("orders")));
    d.stop();
    d.rebuild_on_next_start();
    d.start();
    // The rebuilt state is stored before the loop serves anything (at start-up, not in the way
    // of the first queries and events).
    EXPECT_EQ(scalar("SELECT value FROM snapshot_meta WHERE key = 'journal_seq'"),
              scalar("SELECT max(seq) FROM journal"));
    EXPECT_EQ(encode_msgpack(*d.call(q).find("orders")), encode_msgpack(*before.find("orders")));
}

// Retention through the real loop: a closed, paid order leaves memory a second after it
// closed (an unpaid one stays), `order` still answers for it from the store, a complaint about
// it brings it back, and a restart keeps all of that.
TEST(relay_loop, a_closed_order_leaves_memory_after_its_retention_and_an_event_brings_it_back) {
    temp_dir dir;
    config c = test_config(dir);
    c.retention.closed_us = 1000000;
    c.snapshot.interval_us = 200000;
    daemon_harness d(c);
    d.start();
    ingest_client client(d.context(), d.ingest());
    send_all(client, lifecycle("SO-A", "C-1004", "prepay"));  // closed and paid
    send_all(client, lifecycle("SO-B", "C-1001", "credit"));  // closed, its invoice unpaid
    value status;
    status.set("cmd", "status");
    auto figure = [&](const value& reply, const char* key) {
        std::uint64_t n = 0;
        if (const value* v = reply.find(key)) v->to_uint64(n);
        return n;
    };
    value reply;
    for (int i = 0; i < 100; ++i) {  // a pass a second, after a snapshot: well within 10 s
        reply = d.call(status);
        if (figure(reply, "orders_archived") > 0) break;
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(figure(reply, "orders_archived"), 1u);
    EXPECT_EQ(figure(reply, "orders"), 1u) << "SO-B, still owed money, stays";
    EXPECT_EQ(figure(*reply.find("counters"), "orders_retired"), 1u);

    value q;
    q.set("cmd", "order");
    q.set("id", "SO-A");
    value archived = *d.call(q).find("order");
    EXPECT_TRUE(archived.find("archived")->as_bool());
    EXPECT_EQ(archived.find("stage")->as_string(), "closed");
    EXPECT_EQ(archived.find("history")->as_list().size(), 9u);
    EXPECT_FALSE(archived.find("relayed")->as_list().empty());

    send_all(client, {testing::complaint("SO-A-complaint", "SO-A", "CASE-1")});
    value back = *d.call(q).find("order");
    EXPECT_FALSE(back.find("archived")->as_bool());
    EXPECT_EQ(back.find("cases")->as_list().size(), 1u);
    EXPECT_EQ(back.find("history")->as_list().size(), 10u);
    EXPECT_EQ(figure(*d.call(status).find("counters"), "orders_revived"), 1u);
    d.stop();

    d.start();
    value after = *d.call(q).find("order");
    EXPECT_FALSE(after.find("archived")->as_bool());
    EXPECT_EQ(after.find("cases")->as_list().size(), 1u);
    EXPECT_EQ(after.find("history")->as_list().size(), 10u);
}

}  // namespace
}  // namespace baton
