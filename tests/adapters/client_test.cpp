// Integration: the adapters' client library against batond's loop in-process on ephemeral
// ports. The outbox survives a crash between send and ack, a resend is not applied twice, a
// nack leaves the outbox, and the relay follower hands over every seq once, in order.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <zmq_addon.hpp>

#include "daemon_harness.h"
#include "events.h"
#include "outbox.h"
#include "process.h"
#include "relay_follower.h"
#include "reliable_sender.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::follower_options;
using adapters::ingest_reply;
using adapters::outbox;
using adapters::outbox_event;
using adapters::relay_follower;
using adapters::relayed_message;
using adapters::reliable_sender;
using adapters::sender_options;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;

value status_of(daemon_harness& d) {
    value req;
    req.set("cmd", "status");
    return d.call(req);
}

std::uint64_t relay_seq(daemon_harness& d) {
    std::uint64_t n = 0;
    const value s = status_of(d);  // kept: find() points into it
    if (const value* v = s.find("relay_seq")) v->to_uint64(n);
    return n;
}

std::uint64_t duplicates(daemon_harness& d) {
    std::uint64_t n = 0;
    value s = status_of(d);
    if (const value* c = s.find("counters"))
        if (const value* v = c->find("duplicates")) v->to_uint64(n);
    return n;
}

std::vector<envelope> orders(const std::string& prefix, int n) {
    std::vector<envelope> out;
    for (int i = 1; i <= n; ++i)
        out.push_back(testing::order_placed(prefix + "-" + std::to_string(i),
                                            "SO-" + prefix + "-" + std::to_string(i)));
    return out;
}

// Waits until batond has journaled `n` events.
bool wait_for_events(daemon_harness& d, std::int64_t n, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (d.events() >= n) return true;
        std::this_thread::sleep_for(20ms);
    }
    return d.events() >= n;
}

// Sends events through a sender of its own and waits until all are acked.
void send_acked(daemon_harness& d, const temp_dir& dir, const std::vector<envelope>& events) {
    sender_options o;
    o.endpoint = d.ingest();
    o.outbox_path = dir / "feeder/outbox.db";
    reliable_sender s(d.context(), o);
    s.submit_all(events);
    ASSERT_TRUE(s.flush(10s));
}

std::vector<std::uint64_t> one_to(std::uint64_t n) {
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = 1; i <= n; ++i) v.push_back(i);
    return v;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Polls until the follower has processed `seq` (or 10 s passed).
void follow_to(relay_follower& f, std::uint64_t seq,
               const std::function<bool(const relayed_message&)>& handle) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (f.last_seq() < seq && std::chrono::steady_clock::now() < deadline) f.poll(50ms, handle);
}

TEST(client, outbox_keeps_the_first_bytes_of_a_pending_id_and_lists_oldest_first) {
    temp_dir dir;
    const std::string path = dir / "spool/outbox.db";
    {
        outbox box(path);
        box.put({"a", "sales.order.placed", "first bytes", 1});
        box.put({"b", "sales.order.placed", "b bytes", 2});
        box.put({"a", "sales.order.placed", "second bytes", 3});
        ASSERT_EQ(box.size(), 2u);
        auto all = box.pending(10);
        ASSERT_EQ(all.size(), 2u);
        EXPECT_EQ(all[0].id, "a");
        EXPECT_EQ(all[0].envelope, "first bytes");
        EXPECT_EQ(all[0].queued_ms, 1);
        EXPECT_EQ(all[1].id, "b");
        EXPECT_LT(all[0].seq, all[1].seq);
        ASSERT_EQ(box.pending(1).size(), 1u);
        EXPECT_EQ(box.pending(1)[0].id, "a");
        auto after_a = box.pending_after(all[0].seq, 10);
        ASSERT_EQ(after_a.size(), 1u);
        EXPECT_EQ(after_a[0].id, "b");

        box.remove("a");
        box.put_all({{"c", "t", std::string("\0\x01\xff", 3), 4}, {"d", "t", "d", 5}});
        EXPECT_EQ(box.size(), 3u);
        // A removed id put again is new: it goes to the back.
        box.put({"a", "t", "again", 6});
        auto order = box.pending(10);
        ASSERT_EQ(order.size(), 4u);
        EXPECT_EQ(order[0].id, "b");
        EXPECT_EQ(order[1].envelope, std::string("\0\x01\xff", 3)) << "binary bytes kept exactly";
        EXPECT_EQ(order[3].id, "a");
        EXPECT_EQ(order[3].envelope, "again");
    }
    outbox reopened(path);
    EXPECT_EQ(reopened.size(), 4u);
    reopened.remove_all({"a", "b", "c", "d"});
    EXPECT_EQ(reopened.size(), 0u);
}

TEST(client, outbox_that_cannot_be_opened_names_its_path) {
    temp_dir dir;
    std::string blocker = dir.write("blocker", "a file, not a folder");
    const std::string path = blocker + "/outbox.db";
    try {
        outbox box(path);
        FAIL() << "opened an outbox under a file";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
}

TEST(client, outbox_survives_a_crash_between_send_and_ack) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    const auto events = orders("crash", 10);
    sender_options o;
    o.outbox_path = dir / "adapter/outbox.db";
    o.resend_after = 50ms;

    // First run: batond is not where the adapter looks; it crashes with everything pending.
    o.endpoint = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    {
        reliable_sender s(d.context(), o);
        for (int i = 0; i < 5; ++i) s.submit(events[i]);
        s.poll(200ms);
        EXPECT_EQ(s.pending(), 5u);
    }
    EXPECT_EQ(outbox(o.outbox_path).size(), 5u);

    // Second run: it reaches batond, sends everything, and crashes before reading any ack.
    o.endpoint = d.ingest();
    {
        reliable_sender s(d.context(), o);
        std::this_thread::sleep_for(200ms);  // connected, so submit sends at once
        for (int i = 5; i < 10; ++i) s.submit(events[i]);
        ASSERT_TRUE(wait_for_events(d, 10, 10s)) << "batond got " << d.events();
        EXPECT_EQ(s.pending(), 10u);
    }
    EXPECT_EQ(outbox(o.outbox_path).size(), 10u);

    // Third run: every event is resent and acked; batond applied each once.
    reliable_sender s(d.context(), o);
    EXPECT_EQ(s.pending(), 10u);
    std::set<std::string> acked;
    s.on_reply([&](const ingest_reply& r) {
        EXPECT_TRUE(r.acked) << r.id << ": " << r.reason;
        EXPECT_TRUE(acked.insert(r.id).second) << r.id << " answered twice";
    });
    ASSERT_TRUE(s.flush(10s));
    EXPECT_EQ(s.pending(), 0u);
    EXPECT_EQ(acked.size(), 10u);
    EXPECT_EQ(outbox(o.outbox_path).size(), 0u);
    EXPECT_EQ(d.events(), 10);
    EXPECT_GE(duplicates(d), 10u);
}

TEST(client, an_event_resent_before_its_ack_is_applied_once) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    sender_options o;
    o.endpoint = d.ingest();
    o.outbox_path = dir / "adapter/outbox.db";
    o.resend_after = 1ms;
    reliable_sender s(d.context(), o);
    int replies = 0;
    s.on_reply([&](const ingest_reply& r) {
        ++replies;
        EXPECT_TRUE(r.acked) << r.id << ": " << r.reason;
    });
    std::this_thread::sleep_for(200ms);  // connected, so submit sends at once
    const auto events = orders("resend", 20);
    for (const auto& e : events) s.submit(e);
    // batond has applied them and its acks wait unread: the first poll resends every one.
    ASSERT_TRUE(wait_for_events(d, 20, 10s)) << "batond got " << d.events();
    ASSERT_TRUE(s.flush(10s));
    s.poll(300ms);  // late acks of the copies change nothing
    EXPECT_EQ(replies, 20) << "one answer per event, however often it was sent";
    EXPECT_EQ(s.pending(), 0u);
    EXPECT_EQ(d.events(), 20);
    EXPECT_GE(duplicates(d), 20u);
}

TEST(client, a_nack_removes_the_event_from_the_outbox_and_reports_its_reason) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    sender_options o;
    o.endpoint = d.ingest();
    o.outbox_path = dir / "adapter/outbox.db";
    reliable_sender s(d.context(), o);
    std::vector<ingest_reply> replies;
    s.on_reply([&](const ingest_reply& r) { replies.push_back(r); });

    envelope bad = testing::order_placed("bad-1", "SO-BAD");
    bad.data.set("amount_cents", "a lot");
    s.submit(bad);
    s.submit(testing::order_placed("good-1", "SO-GOOD"));

    auto r = s.wait_for("bad-1", 10s);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->acked);
    EXPECT_EQ(r->id, "bad-1");
    EXPECT_EQ(r->reason.rfind("schema:", 0), 0u) << r->reason;
    EXPECT_NE(r->reason.find("amount_cents"), std::string::npos) << r->reason;
    auto g = s.wait_for("good-1", 10s);
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->acked) << g->reason;

    EXPECT_EQ(s.pending(), 0u);
    EXPECT_EQ(outbox(o.outbox_path).size(), 0u);
    ASSERT_EQ(replies.size(), 2u);
    const ingest_reply& reported = replies[0].id == "bad-1" ? replies[0] : replies[1];
    EXPECT_FALSE(reported.acked);
    EXPECT_EQ(reported.reason, r->reason);
    EXPECT_EQ(d.events(), 1);
    EXPECT_FALSE(s.wait_for("bad-1", 50ms)) << "an answer is handed out once";
}

TEST(client, an_event_id_batond_could_not_name_is_refused_before_the_outbox) {
    temp_dir dir;
    sender_options o;
    o.endpoint = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    o.outbox_path = dir / "adapter/outbox.db";
    zmq::context_t ctx;
    reliable_sender s(ctx, o);
    EXPECT_THROW(s.submit(testing::order_placed("", "SO-1")), std::invalid_argument);
    EXPECT_THROW(s.submit(testing::order_placed(std::string(65, 'x'), "SO-1")),
                 std::invalid_argument);
    EXPECT_EQ(s.pending(), 0u);
}

TEST(client, relay_follower_delivers_every_seq_once_in_order_and_resumes_from_its_state) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    // Relayed before the follower existed: its state (none yet) is seq 0.
    send_acked(d, dir, orders("early", 3));
    const std::uint64_t first = relay_seq(d);
    ASSERT_GE(first, 6u);

    follower_options fo;
    fo.relay = d.relay();
    fo.control = d.control();
    fo.state_path = dir / "follower/last_seq";
    std::vector<std::uint64_t> seen;
    auto record = [&](const relayed_message& m) {
        EXPECT_EQ(m.env.seq, m.seq);
        EXPECT_EQ(m.env.source, "baton");
        EXPECT_EQ(m.env.topic, m.topic);
        seen.push_back(m.seq);
        return true;
    };
    {
        relay_follower f(d.context(), fo);
        EXPECT_EQ(f.last_seq(), 0u);
        follow_to(f, first, record);
        EXPECT_EQ(seen, one_to(first));
        EXPECT_EQ(f.gaps_filled(), 0u) << "the first catch-up is not a gap";
        f.poll(300ms, record);
        EXPECT_EQ(seen.size(), first) << "nothing new, nothing again";
    }  // killed
    EXPECT_EQ(read_text(fo.state_path), std::to_string(first) + "\n");

    // While no follower runs, more is relayed; a new one continues from the saved seq.
    send_acked(d, dir, orders("later", 2));
    const std::uint64_t second = relay_seq(d);
    ASSERT_GT(second, first);
    relay_follower f(d.context(), fo);
    EXPECT_EQ(f.last_seq(), first);
    follow_to(f, second, record);
    EXPECT_EQ(seen, one_to(second));

    // Now live: new messages come over the SUB.
    std::this_thread::sleep_for(200ms);
    send_acked(d, dir, orders("live", 2));
    const std::uint64_t third = relay_seq(d);
    ASSERT_GT(third, second);
    follow_to(f, third, record);
    EXPECT_EQ(seen, one_to(third));
    EXPECT_EQ(read_text(fo.state_path), std::to_string(third) + "\n");
}

TEST(client, relay_follower_redelivers_the_message_its_handler_refused) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    follower_options fo;
    fo.relay = d.relay();
    fo.control = d.control();
    fo.state_path = dir / "follower/last_seq";
    relay_follower f(d.context(), fo);
    f.poll(50ms, [](const relayed_message&) { return true; });
    std::this_thread::sleep_for(200ms);
    send_acked(d, dir, orders("refuse", 2));
    const std::uint64_t head = relay_seq(d);
    ASSERT_GE(head, 4u);

    std::vector<std::uint64_t> attempts;
    bool refused = false;
    auto handle = [&](const relayed_message& m) {
        attempts.push_back(m.seq);
        if (m.seq == 2 && !refused) {
            refused = true;
            return false;  // e.g. the department's system is down
        }
        return true;
    };
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!refused && std::chrono::steady_clock::now() < deadline) f.poll(50ms, handle);
    ASSERT_TRUE(refused);
    EXPECT_EQ(attempts, (std::vector<std::uint64_t>{1, 2})) << "delivery stops at the refusal";
    EXPECT_EQ(f.last_seq(), 1u);
    EXPECT_EQ(read_text(fo.state_path), "1\n");

    f.poll(50ms, handle);
    ASSERT_GE(attempts.size(), 3u);
    EXPECT_EQ(attempts[2], 2u) << "the next poll starts again from the refused message";
    follow_to(f, head, handle);
    std::vector<std::uint64_t> expected = {1, 2};
    for (std::uint64_t s = 2; s <= head; ++s) expected.push_back(s);
    EXPECT_EQ(attempts, expected);
}

TEST(client, relay_follower_fills_a_gap_in_live_traffic_from_replay_and_filters_by_prefix) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    // The follower listens to a PUB of the test's, which forwards batond's relay minus some
    // messages: a deterministic gap.
    zmq::socket_t watcher(d.context(), zmq::socket_type::sub);
    watcher.set(zmq::sockopt::linger, 0);
    watcher.set(zmq::sockopt::subscribe, "");
    watcher.connect(d.relay());
    zmq::socket_t proxy(d.context(), zmq::socket_type::pub);
    proxy.set(zmq::sockopt::linger, 0);
    proxy.bind("tcp://127.0.0.1:*");

    follower_options fo;
    fo.relay = proxy.get(zmq::sockopt::last_endpoint);
    fo.control = d.control();
    fo.topics = {"finance."};
    fo.state_path = dir / "follower/last_seq";
    relay_follower f(d.context(), fo);
    std::vector<std::pair<std::uint64_t, std::string>> handled;
    auto handle = [&](const relayed_message& m) {
        handled.emplace_back(m.seq, m.topic);
        return true;
    };
    f.poll(50ms, handle);  // caught up (nothing yet)
    std::this_thread::sleep_for(300ms);

    send_acked(d, dir, orders("gap", 3));
    const std::uint64_t head = relay_seq(d);
    ASSERT_GE(head, 6u);
    std::vector<std::pair<std::uint64_t, std::string>> expected;
    std::uint64_t forwarded = 0;
    for (std::uint64_t n = 0; n < head;) {
        zmq::pollitem_t item{watcher.handle(), 0, ZMQ_POLLIN, 0};
        ASSERT_GT(zmq::poll(&item, 1, 5s), 0) << "relay message " << n + 1 << " never came";
        std::vector<zmq::message_t> frames;
        ASSERT_TRUE(zmq::recv_multipart(watcher, std::back_inserter(frames)));
        ASSERT_EQ(frames.size(), 2u);
        ++n;
        std::string topic = frames[0].to_string();
        if (topic.rfind("finance.", 0) == 0) expected.emplace_back(n, topic);
        if (n == 2 || n == 3) continue;  // lost on the way
        zmq::send_multipart(proxy, frames);
        ++forwarded;
    }
    ASSERT_FALSE(expected.empty());
    follow_to(f, head, handle);
    EXPECT_EQ(f.last_seq(), head);
    EXPECT_EQ(handled, expected) << "every finance.* message once, in seq order";
    EXPECT_GE(f.gaps_filled(), 2u) << "seqs 2 and 3 came from replay";
    EXPECT_EQ(read_text(fo.state_path), std::to_string(head) + "\n");
}

}  // namespace
}  // namespace baton
