// Integration tests of batond with CURVE on, in-process on ephemeral loopback ports: known
// clients publish their own topics and are refused another department's, unknown keys and plain
// clients cannot connect at all, and control rights separate reading from acting.
#include <gtest/gtest.h>

#include <chrono>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "relay_follower.h"
#include "reliable_sender.h"
#include "security.h"
#include "zap.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::control_client;
using adapters::ingest_client;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;

// Long enough for a CURVE handshake on loopback many times over; short enough to keep the
// "nothing arrives" tests quick.
constexpr auto silence = 1500ms;

client_acl client(const std::string& name, const curve_key_pair& pair,
                  std::vector<std::string> sources, std::vector<std::string> topics,
                  control_right control) {
    return client_acl{name, pair.public_key, std::move(sources), std::move(topics), control};
}

// A daemon with CURVE on and five identities: sales and finance systems that may publish their
// own department's topics, a read-only viewer, an operator, and a stranger batond does not know.
struct secured_daemon {
    temp_dir dir;
    curve_key_pair server = generate_curve_key_pair();
    curve_key_pair sales = generate_curve_key_pair();
    curve_key_pair finance = generate_curve_key_pair();
    curve_key_pair viewer = generate_curve_key_pair();
    curve_key_pair ops = generate_curve_key_pair();
    curve_key_pair stranger = generate_curve_key_pair();
    daemon_harness d{make_config()};

    secured_daemon() { d.start(); }

    config make_config() {
        config c = test_config(dir);
        c.security.curve = true;
        c.security.server_secret_key = server.secret_key;
        c.security.server_public_key = server.public_key;
        c.security.clients = {
            client("sales-erp", sales, {"sales-erp"}, {"sales."}, control_right::none),
            client("finance-erp", finance, {"finance-erp"}, {"finance."}, control_right::none),
            client("viewer", viewer, {}, {}, control_right::read),
            client("ops", ops, {}, {}, control_right::operator_)};
        return c;
    }

    curve_client_keys keys(const curve_key_pair& pair) const {
        return {server.public_key, pair.public_key, pair.secret_key};
    }

    // One control request as `who`; nullopt when no reply came.
    std::optional<value> call(const curve_key_pair& who, value request,
                              std::chrono::milliseconds timeout = 10s) {
        control_client c(d.context(), d.control(), keys(who));
        return c.call(request, timeout);
    }
};

value cmd(const char* name) {
    value r;
    r.set("cmd", name);
    return r;
}

std::uint64_t counter(const value& status, const char* name) {
    std::uint64_t n = 0;
    if (const value* c = status.find("counters"))
        if (const value* v = c->find(name)) v->to_uint64(n);
    return n;
}

bool ok(const value& reply) {
    const value* o = reply.find("ok");
    return o && o->is_bool() && o->as_bool();
}

std::string error_of(const value& reply) {
    const value* e = reply.find("error");
    return e && e->is_string() ? e->as_string() : "";
}

TEST(curve_loop, a_known_client_publishes_its_departments_topics) {
    secured_daemon s;
    ingest_client sales(s.d.context(), s.d.ingest(), s.keys(s.sales));
    auto reply = sales.send_and_wait(testing::order_placed("ev-1", "SO-1"), 10s);
    ASSERT_TRUE(reply) << "no reply over CURVE";
    EXPECT_TRUE(reply->acked) << reply->reason;

    ingest_client finance(s.d.context(), s.d.ingest(), s.keys(s.finance));
    reply = finance.send_and_wait(testing::credit_approved("ev-2", "SO-1"), 10s);
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->acked) << reply->reason;

    auto status = s.call(s.viewer, cmd("status"));
    ASSERT_TRUE(status);
    EXPECT_EQ(counter(*status, "accepted"), 2u);
    EXPECT_EQ(counter(*status, "auth_refused"), 0u);
}

TEST(curve_loop, another_departments_topic_or_source_is_forbidden) {
    secured_daemon s;
    ingest_client sales(s.d.context(), s.d.ingest(), s.keys(s.sales));
    // A well-formed finance event, signed by finance's source name: sales may not send it.
    auto reply = sales.send_and_wait(testing::credit_approved("ev-1", "SO-1"), 10s);
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->acked);
    EXPECT_EQ(reply->id, "ev-1");
    EXPECT_EQ(reply->reason,
              "forbidden: client 'sales-erp' may not publish topic 'finance.credit.approved'");

    // Its own topic under another system's source name is refused as well.
    envelope spoofed = testing::order_placed("ev-2", "SO-2");
    spoofed.source = "finance-erp";
    reply = sales.send_and_wait(spoofed, 10s);
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->acked);
    EXPECT_EQ(reply->reason, "forbidden: client 'sales-erp' may not use source 'finance-erp'");

    auto status = s.call(s.ops, cmd("status"));
    ASSERT_TRUE(status);
    EXPECT_EQ(counter(*status, "accepted"), 0u);
    const value* nacks = status->find("counters")->find("nacks");
    ASSERT_TRUE(nacks);
    std::uint64_t forbidden = 0;
    nacks->find("forbidden")->to_uint64(forbidden);
    EXPECT_EQ(forbidden, 2u);
}

TEST(curve_loop, an_unknown_key_cannot_connect_and_is_counted) {
    secured_daemon s;
    ingest_client stranger(s.d.context(), s.d.ingest(), s.keys(s.stranger));
    EXPECT_FALSE(stranger.send_and_wait(testing::order_placed("ev-1", "SO-1"), silence));
    EXPECT_FALSE(s.call(s.stranger, cmd("status"), silence));

    auto status = s.call(s.ops, cmd("status"));
    ASSERT_TRUE(status);
    EXPECT_GE(counter(*status, "auth_refused"), 1u);
    EXPECT_EQ(counter(*status, "accepted"), 0u);
}

TEST(curve_loop, a_client_without_curve_gets_nothing) {
    secured_daemon s;
    ingest_client plain(s.d.context(), s.d.ingest());
    EXPECT_FALSE(plain.send_and_wait(testing::order_placed("ev-1", "SO-1"), silence));
    control_client plain_control(s.d.context(), s.d.control());
    EXPECT_FALSE(plain_control.call(cmd("status"), silence));

    auto status = s.call(s.ops, cmd("status"));
    ASSERT_TRUE(status);
    EXPECT_EQ(counter(*status, "accepted"), 0u);
    EXPECT_GE(counter(*status, "handshakes_failed"), 1u);
}

TEST(curve_loop, a_client_with_the_wrong_server_key_gets_nothing) {
    secured_daemon s;
    curve_client_keys wrong = s.keys(s.sales);
    wrong.server_public_key = generate_curve_key_pair().public_key;
    ingest_client sales(s.d.context(), s.d.ingest(), wrong);
    EXPECT_FALSE(sales.send_and_wait(testing::order_placed("ev-1", "SO-1"), silence));
}

TEST(curve_loop, a_read_only_client_queries_but_cannot_ack_and_an_operator_can) {
    secured_daemon s;
    // An event about an order sales never placed raises an unknown_order exception.
    ingest_client finance(s.d.context(), s.d.ingest(), s.keys(s.finance));
    auto sent = finance.send_and_wait(testing::credit_approved("ev-1", "SO-404"), 10s);
    ASSERT_TRUE(sent && sent->acked);

    auto list = s.call(s.viewer, cmd("exceptions"));
    ASSERT_TRUE(list);
    ASSERT_TRUE(ok(*list)) << error_of(*list);
    const value& exceptions = *list->find("exceptions");
    ASSERT_EQ(exceptions.as_list().size(), 1u);
    const std::string id = exceptions.as_list()[0].find("id")->as_string();

    value ack = cmd("ack");
    ack.set("id", id);
    ack.set("by", "a.viewer");
    auto refused = s.call(s.viewer, ack);
    ASSERT_TRUE(refused);
    EXPECT_FALSE(ok(*refused));
    EXPECT_EQ(error_of(*refused), "forbidden: client 'viewer' is read-only");

    // A publishing system has no control rights at all.
    auto none = s.call(s.finance, cmd("status"));
    ASSERT_TRUE(none);
    EXPECT_EQ(error_of(*none), "forbidden: client 'finance-erp' may not use the control socket");

    auto done = s.call(s.ops, ack);
    ASSERT_TRUE(done);
    EXPECT_TRUE(ok(*done)) << error_of(*done);
    value acknowledged = cmd("exceptions");
    acknowledged.set("state", "acknowledged");
    auto after = s.call(s.viewer, acknowledged);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->find("exceptions")->as_list().size(), 1u);

    auto status = s.call(s.ops, cmd("status"));
    ASSERT_TRUE(status);
    EXPECT_EQ(counter(*status, "control_forbidden"), 2u);
}

TEST(curve_loop, the_relay_reaches_known_subscribers_only) {
    secured_daemon s;
    auto subscriber = [&](const curve_key_pair& who) {
        zmq::socket_t sub(s.d.context(), zmq::socket_type::sub);
        sub.set(zmq::sockopt::linger, 0);
        sub.set(zmq::sockopt::subscribe, "");
        apply_curve_client(sub, s.keys(who));
        sub.connect(s.d.relay());
        return sub;
    };
    zmq::socket_t known = subscriber(s.viewer);
    zmq::socket_t unknown = subscriber(s.stranger);
    std::this_thread::sleep_for(300ms);  // let the subscriptions arrive (PUB drops before)

    ingest_client sales(s.d.context(), s.d.ingest(), s.keys(s.sales));
    auto reply = sales.send_and_wait(testing::order_placed("ev-1", "SO-1"), 10s);
    ASSERT_TRUE(reply && reply->acked);

    zmq::pollitem_t item{known.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_EQ(zmq::poll(&item, 1, 10s), 1) << "the known subscriber got nothing";
    std::vector<zmq::message_t> frames;
    ASSERT_TRUE(zmq::recv_multipart(known, std::back_inserter(frames)));
    EXPECT_EQ(frames.size(), 2u);

    zmq::pollitem_t none{unknown.handle(), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq::poll(&none, 1, 500ms), 0) << "an unknown key received the relay";
}

TEST(curve_loop, the_reliable_sender_and_the_relay_follower_work_over_curve) {
    secured_daemon s;
    adapters::follower_options fo;
    fo.relay = s.d.relay();
    fo.control = s.d.control();
    fo.state_path = s.dir / "follower.seq";
    fo.curve = s.keys(s.viewer);  // replay needs read rights
    adapters::relay_follower follower(s.d.context(), fo);

    adapters::sender_options so;
    so.endpoint = s.d.ingest();
    so.outbox_path = s.dir / "outbox.db";
    so.curve = s.keys(s.sales);
    adapters::reliable_sender sender(s.d.context(), so);
    sender.submit(testing::order_placed("ev-1", "SO-1"));
    auto reply = sender.wait_for("ev-1", 10s);
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->acked) << reply->reason;

    std::vector<std::string> topics;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (topics.empty() && std::chrono::steady_clock::now() < deadline)
        follower.poll(200ms, [&](const adapters::relayed_message& m) {
            topics.push_back(m.topic);
            return true;
        });
    ASSERT_FALSE(topics.empty()) << "nothing relayed to a CURVE follower";
    EXPECT_GE(follower.last_seq(), 1u);
}

// Why batond binds a ZAP handler: libzmq on its own lets ANY client key complete a CURVE
// handshake; the server key only proves the server to the client, not the client to it.
TEST(curve_loop, without_a_zap_handler_curve_accepts_any_client_key) {
    zmq::context_t context(1);  // no handler bound in this context
    curve_key_pair server = generate_curve_key_pair();
    auto exchange = [&](bool enforce_domain) {
        zmq::socket_t router(context, zmq::socket_type::router);
        router.set(zmq::sockopt::linger, 0);
        router.set(zmq::sockopt::curve_server, true);
        router.set(zmq::sockopt::curve_secretkey, server.secret_key);
        if (enforce_domain) {
            security_config sec;
            sec.server_secret_key = server.secret_key;
            apply_curve_server(router, sec);  // what batond does: domain + enforcement
        }
        router.bind("tcp://127.0.0.1:*");
        curve_key_pair anyone = generate_curve_key_pair();  // known to nobody
        zmq::socket_t dealer(context, zmq::socket_type::dealer);
        dealer.set(zmq::sockopt::linger, 0);
        apply_curve_client(dealer, {server.public_key, anyone.public_key, anyone.secret_key});
        dealer.connect(router.get(zmq::sockopt::last_endpoint));
        dealer.send(zmq::str_buffer("hello"), zmq::send_flags::none);
        zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
        return zmq::poll(&item, 1, silence) == 1;
    };
    EXPECT_TRUE(exchange(false)) << "a stranger's key got through CURVE without ZAP";
    // With batond's domain enforcement, a missing handler fails closed instead.
    EXPECT_FALSE(exchange(true));
}

// A reload applies a changed client list at once: a removed client is cut off message by message
// on the connection it already has, and a new connection with its key is refused.
TEST(curve_loop, a_reload_revokes_a_removed_client) {
    temp_dir dir;
    const std::string folder = dir.path().string();
    const curve_key_pair server = write_key_pair(folder, "batond");
    const curve_key_pair sales = write_key_pair(folder, "sales-erp");
    const curve_key_pair ops = write_key_pair(folder, "ops");
    const std::string src = BATON_SOURCE_DIR;
    auto write_config = [&](bool with_sales) {
        dir.write("baton.yaml",
                  "data_dir: var\nschemas: " + src + "/schemas\nflow: " + src +
                      "/config/flow.yaml\ncustomers: " + src +
                      "/config/customers.yaml\n"
                      "bus: {ingest: 'tcp://127.0.0.1:*', relay: 'tcp://127.0.0.1:*', "
                      "control: 'tcp://127.0.0.1:*'}\n"
                      "security:\n"
                      "  curve: true\n"
                      "  server_secret_key: batond.secret\n"
                      "  clients:\n"
                      "    - {name: ops, public_key: ops.key, control: operator}\n" +
                      (with_sales ? "    - {name: sales-erp, public_key: sales-erp.key, "
                                    "sources: [sales-erp], topics: [sales.]}\n"
                                  : ""));
    };
    write_config(true);
    daemon_harness d(load_config(dir / "baton.yaml"));
    d.start();
    const curve_client_keys sales_keys{server.public_key, sales.public_key, sales.secret_key};
    const curve_client_keys ops_keys{server.public_key, ops.public_key, ops.secret_key};
    ingest_client connected(d.context(), d.ingest(), sales_keys);
    auto reply = connected.send_and_wait(testing::order_placed("ev-1", "SO-1"), 10s);
    ASSERT_TRUE(reply && reply->acked);

    write_config(false);
    control_client operator_client(d.context(), d.control(), ops_keys);
    auto reloaded = operator_client.call(cmd("reload"), 10s);
    ASSERT_TRUE(reloaded);
    ASSERT_TRUE(ok(*reloaded)) << error_of(*reloaded);

    reply = connected.send_and_wait(testing::order_placed("ev-2", "SO-2"), 10s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->reason, "forbidden: client 'sales-erp' is no longer in security.clients");
    ingest_client fresh(d.context(), d.ingest(), sales_keys);
    EXPECT_FALSE(fresh.send_and_wait(testing::order_placed("ev-3", "SO-3"), silence));
}

TEST(curve_loop, a_restart_binds_the_zap_handler_again) {
    secured_daemon s;
    s.d.stop();
    s.d.start();  // same context: the old handler must have let go of the ZAP endpoint
    ingest_client sales(s.d.context(), s.d.ingest(), s.keys(s.sales));
    auto reply = sales.send_and_wait(testing::order_placed("ev-1", "SO-1"), 10s);
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->acked) << reply->reason;
}

}  // namespace
}  // namespace baton
