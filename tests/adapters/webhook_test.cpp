// The HTTP adapters: JSON bodies into envelopes, the webhook's answers (202 after batond's ack,
// 400 with its nack reason, 503 while it is down and success once it is back), and baton-http-out
// delivering every relayed message in seq order across receiver downtime and its own restart.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <zmq.hpp>

#include "daemon_harness.h"
#include "events.h"
#include "http_out_config.h"
#include "ingest_client.h"
#include "ingest_gateway.h"
#include "json.h"
#include "json_value.h"
#include "process.h"
#include "relay_poster.h"
#include "route_table.h"
#include "webhook_config.h"
#include "webhook_server.h"

namespace baton::adapters::webhook {
namespace {

using namespace std::chrono_literals;
using testing::daemon_harness;
using testing::make_event;
using testing::temp_dir;
using testing::test_config;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

value parse(const std::string& json) {
    value v;
    std::string error;
    EXPECT_TRUE(json_to_value(json, v, error)) << error << " in " << json;
    return v;
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
}

std::string str(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : std::string("<no ") + key + ">";
}

// ---------------------------------------------------------------- JSON and envelopes

TEST(webhook_json, converts_every_json_type_keeping_key_order) {
    value v =
        parse(R"({"z": 1, "neg": -5, "big": 18446744073709551615, "f": 2.5, "s": "é", "t": true,)"
              R"( "n": null, "list": [1, "x", {"k": false}], "a": {}})");
    ASSERT_TRUE(v.is_map());
    EXPECT_EQ(v.as_map()[0].key, "z");  // file order, not sorted
    std::int64_t i = 0;
    EXPECT_TRUE(v.find("neg")->to_int64(i));
    EXPECT_EQ(i, -5);
    std::uint64_t u = 0;
    EXPECT_TRUE(v.find("big")->to_uint64(u));
    EXPECT_EQ(u, 18446744073709551615ULL);
    EXPECT_DOUBLE_EQ(v.find("f")->to_double(), 2.5);
    EXPECT_EQ(str(v, "s"), "é");
    EXPECT_TRUE(v.find("t")->as_bool());
    EXPECT_TRUE(v.find("n")->is_nil());
    ASSERT_EQ(v.find("list")->as_list().size(), 3u);
    EXPECT_FALSE(v.find("list")->as_list()[2].find("k")->as_bool());
    EXPECT_TRUE(v.find("a")->is_map());
}

TEST(webhook_json, invalid_or_too_deep_json_is_a_decode_error) {
    value v;
    std::string error;
    EXPECT_FALSE(json_to_value("{\"order\": ", v, error));
    EXPECT_EQ(error.rfind("decode: ", 0), 0u) << error;
    EXPECT_NE(error.find("parse error"), std::string::npos) << error;
    EXPECT_FALSE(json_to_value("{\"a\": \"\xff\"}", v, error));
    EXPECT_EQ(error.rfind("decode: ", 0), 0u) << error;
    std::string deep = std::string(100, '[') + std::string(100, ']');
    EXPECT_FALSE(json_to_value(deep, v, error));
    EXPECT_EQ(error, "decode: JSON nested deeper than 32 levels");
}

event_rules sales_rules() {
    event_rules r;
    r.source = "sales-crm";
    return r;
}

TEST(webhook_envelope, fills_v_source_topic_and_defaults_for_id_and_ts) {
    envelope e;
    event_request r{"sales.order.cancelled", R"({"order": "SO-1", "data": {"reason": "dup"}})",
                    std::nullopt};
    ASSERT_FALSE(build_envelope(r, sales_rules(), 1795000000123, e));
    EXPECT_EQ(e.v, 1u);
    EXPECT_EQ(e.source, "sales-crm");
    EXPECT_EQ(e.topic, "sales.order.cancelled");
    EXPECT_EQ(e.ts_ms, 1795000000123);
    EXPECT_EQ(e.order.value_or(""), "SO-1");
    EXPECT_EQ(str(e.data, "reason"), "dup");
    // A random UUID v4 as id.
    ASSERT_EQ(e.id.size(), 36u);
    EXPECT_EQ(e.id[14], '4');
    EXPECT_NE(std::string("89ab").find(e.id[19]), std::string::npos);
    envelope other;
    ASSERT_FALSE(build_envelope(r, sales_rules(), 0, other));
    EXPECT_NE(other.id, e.id);

    event_request with_id{"finance.receivable.updated",
                          R"({"id": "AR-7", "ts": 1700000000000, "data": {}})", std::nullopt};
    ASSERT_FALSE(build_envelope(with_id, sales_rules(), 5, e));
    EXPECT_EQ(e.id, "AR-7");
    EXPECT_EQ(e.ts_ms, 1700000000000);
    EXPECT_FALSE(e.order);
}

TEST(webhook_envelope, source_header_counts_only_when_the_config_allows_it) {
    envelope e;
    event_request r{"sales.order.cancelled", R"({"order": "SO-1", "data": {}})", "shop-eu"};
    ASSERT_FALSE(build_envelope(r, sales_rules(), 0, e));
    EXPECT_EQ(e.source, "sales-crm");
    event_rules open = sales_rules();
    open.allow_source_header = true;
    ASSERT_FALSE(build_envelope(r, open, 0, e));
    EXPECT_EQ(e.source, "shop-eu");
    open.source.clear();
    r.source_header.reset();
    auto bad = build_envelope(r, open, 0, e);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->reason, "envelope: source: missing; send the X-Baton-Source header");
}

TEST(webhook_envelope, bad_bodies_are_refused_with_a_code_and_the_event_id) {
    auto reason_of = [](const std::string& topic, const std::string& body) {
        envelope e;
        auto bad = build_envelope({topic, body, std::nullopt}, sales_rules(), 0, e);
        return bad ? std::to_string(bad->status) + " " + bad->reason + " [" + bad->id + "]"
                   : std::string("accepted");
    };
    EXPECT_EQ(reason_of("sales.order.placed", "[1]"),
              "400 envelope: body must be a JSON object, got array []");
    EXPECT_EQ(reason_of("sales.order.placed", R"({"id": "E1", "extra": 1})"),
              "400 envelope: unknown key 'extra' (expected order, data, id, ts) [E1]");
    // A generated id is not named for an event that was never accepted.
    EXPECT_EQ(reason_of("sales.order.placed", R"({"extra": 1})"),
              "400 envelope: unknown key 'extra' (expected order, data, id, ts) []");
    EXPECT_EQ(reason_of("sales.order.placed", R"({"id": "E1", "order": 7})"),
              "400 envelope: order: expected string, got integer [E1]");
    EXPECT_EQ(reason_of("sales.order.placed", R"({"id": "E1", "data": [1]})"),
              "400 envelope: data: expected object, got array [E1]");
    EXPECT_EQ(reason_of("sales.order.placed", R"({"id": "E1", "ts": "yesterday"})"),
              "400 envelope: ts: expected milliseconds since the epoch (a non-negative integer), "
              "got string [E1]");
    EXPECT_EQ(reason_of("sales.order.placed", R"({"id": ""})"),
              "400 envelope: id: expected 1-64 bytes, got 0 []");
    EXPECT_PRED2(starts_with, reason_of("sales order", "{}"), "400 topic:");
    EXPECT_PRED2(starts_with, reason_of("", "{}"), "400 topic:");
    EXPECT_PRED2(starts_with, reason_of("sales.order.placed", "{nope"), "400 decode: ");
    std::string huge = R"({"data": {"notes": ")" + std::string(70000, 'x') + "\"}}";
    EXPECT_EQ(reason_of("sales.order.placed", huge),
              "413 limit: body of 70023 bytes is larger than 65536 []");
}

// ---------------------------------------------------------------- routes, backoff, configs

TEST(http_out_routes, longest_prefix_wins_and_unrouted_topics_match_nothing) {
    std::vector<route> routes;
    for (auto [prefix, url] : {std::pair{"finance.", "http://erp/fin"},
                               std::pair{"finance.invoice_request", "http://erp/inv"},
                               std::pair{"sales.", "https://crm:8443/a/b?x=1"}}) {
        route r;
        r.prefix = prefix;
        r.url = url;
        std::string error;
        ASSERT_TRUE(parse_url(r.url, r.target, error)) << error;
        routes.push_back(r);
    }
    route_table table(routes);
    EXPECT_EQ(table.match("finance.credit_check")->url, "http://erp/fin");
    EXPECT_EQ(table.match("finance.invoice_request")->url, "http://erp/inv");
    EXPECT_EQ(table.match("sales.status")->target.scheme_host_port, "https://crm:8443");
    EXPECT_EQ(table.match("sales.status")->target.path, "/a/b?x=1");
    EXPECT_EQ(table.match("production.release"), nullptr);
    EXPECT_EQ(table.match("finance"), nullptr);
}

TEST(http_out_routes, parse_url_refuses_what_it_cannot_post_to) {
    http_target t;
    std::string error;
    ASSERT_TRUE(parse_url("http://10.0.0.5:8080", t, error));
    EXPECT_EQ(t.scheme_host_port, "http://10.0.0.5:8080");
    EXPECT_EQ(t.path, "/");
    EXPECT_FALSE(parse_url("ftp://x/y", t, error));
    EXPECT_EQ(error, "'ftp://x/y' is not an http:// or https:// URL");
    EXPECT_FALSE(parse_url("http:///path", t, error));
    EXPECT_FALSE(parse_url("http://host:99999/", t, error));
    EXPECT_FALSE(parse_url("http://user:pw@host/", t, error));
    EXPECT_FALSE(parse_url("http://host/a b", t, error));
}

TEST(http_out_backoff, doubles_from_half_a_second_to_the_cap_and_resets_on_success) {
    backoff b;  // 500ms doubling, at most 30s
    std::vector<std::int64_t> got;
    for (int i = 0; i < 9; ++i) got.push_back(b.next().count());
    EXPECT_EQ(got,
              (std::vector<std::int64_t>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
    EXPECT_EQ(b.failures(), 9u);
    b.reset();
    EXPECT_EQ(b.next().count(), 500);
}

TEST(webhook_config, example_files_load) {
    auto w = load_webhook_config(std::string(BATON_SOURCE_DIR) +
                                 "/adapters/webhook/example/webhook.yaml");
    EXPECT_EQ(w.source, "sales-crm");
    EXPECT_EQ(w.max_body_bytes, 65536u);
    EXPECT_EQ(w.reply_timeout, 5000ms);
    EXPECT_EQ(w.outbox.front(), '/');  // resolved against the file's folder
    auto h = load_http_out_config(std::string(BATON_SOURCE_DIR) +
                                  "/adapters/webhook/example/http-out.yaml");
    EXPECT_GE(h.routes.routes().size(), 2u);
    EXPECT_EQ(h.retry.initial, 500ms);
    EXPECT_EQ(h.retry.max, 30000ms);
    EXPECT_EQ(h.state.front(), '/');
}

std::string config_error_of(const std::function<void()>& load) {
    try {
        load();
    } catch (const config_error& e) {
        return e.key + ": " + e.reason;
    }
    return "loaded";
}

TEST(webhook_config, mistakes_name_the_key_and_the_reason) {
    temp_dir dir;
    auto webhook = [&](const std::string& text) {
        std::string p = dir.write("w.yaml", text);
        return config_error_of([&] { load_webhook_config(p); });
    };
    EXPECT_EQ(webhook("outbox: o.db\n"),
              "source: required: the name of the department system posting here (e.g. "
              "sales-crm), unless allow_source_header is true");
    EXPECT_PRED2(starts_with, webhook("source: crm\n"), "outbox: required key is missing");
    EXPECT_PRED2(starts_with, webhook("source: crm\noutbox: o\nhttp: {prot: 1}\n"),
                 "http.prot: unknown key");
    EXPECT_PRED2(starts_with, webhook("source: crm\noutbox: o\nhttp: {reply_timeout: soon}\n"),
                 "http.reply_timeout:");
    EXPECT_PRED2(starts_with, webhook("source: crm\noutbox: o\nbatond: {ingest: localhost:7710}\n"),
                 "batond.ingest:");

    auto out = [&](const std::string& text) {
        std::string p = dir.write("o.yaml", text);
        return config_error_of([&] { load_http_out_config(p); });
    };
    EXPECT_PRED2(starts_with, out("state: s\nroutes: []\n"), "routes: needs at least one route");
    EXPECT_PRED2(starts_with, out("state: s\nroutes: [{prefix: a., url: 'ftp://x'}]\n"),
                 "routes[0].url: 'ftp://x' is not an http://");
    EXPECT_PRED2(starts_with,
                 out("state: s\nroutes: [{prefix: a., url: 'http://x'}, {prefix: a., url: "
                     "'http://y'}]\n"),
                 "routes[1].prefix: prefix 'a.' appears tw");
    EXPECT_PRED2(starts_with,
                 out("state: s\nroutes: [{prefix: a., url: 'http://x'}]\nretry: {initial: 2s, max: "
                     "1s}\n"),
                 "retry.max: must not be shorter than retry.initi");
}

// ---------------------------------------------------------------- the webhook, in-process

webhook_config hook_config(const temp_dir& dir, const std::string& ingest) {
    webhook_config c;
    c.host = "127.0.0.1";
    c.port = 0;
    c.threads = 4;
    c.source = "sales-crm";
    c.ingest = ingest;
    c.outbox = dir / "webhook.outbox";
    c.reply_timeout = 5s;
    c.resend_after = 1s;
    return c;
}

// baton-webhook without main(): gateway, service and an httplib server on an ephemeral port.
class webhook_under_test {
public:
    explicit webhook_under_test(const webhook_config& c)
        : gateway_(context_, sender_of(c)), service_(c, gateway_) {
        service_.install(server_);
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        wait_until([this] { return server_.is_running(); }, 5s);
    }
    ~webhook_under_test() {
        server_.stop();
        thread_.join();
        gateway_.stop();
    }

    httplib::Result post(const std::string& topic, const std::string& body,
                         const httplib::Headers& headers = {}) {
        httplib::Client client("127.0.0.1", port_);
        client.set_read_timeout(30s);
        return client.Post(("/events/" + topic).c_str(), headers, body, "application/json");
    }
    httplib::Result get(const std::string& path) {
        httplib::Client client("127.0.0.1", port_);
        return client.Get(path.c_str());
    }
    ingest_gateway& gateway() { return gateway_; }

private:
    static sender_options sender_of(const webhook_config& c) {
        sender_options o;
        o.endpoint = c.ingest;
        o.outbox_path = c.outbox;
        o.resend_after = c.resend_after;
        return o;
    }

    zmq::context_t context_{1};
    ingest_gateway gateway_;
    webhook_service service_;
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
};

// The JSON body a CRM would post for testing::order_placed.
std::string placed_body(const std::string& id, const std::string& order) {
    value body(value_map{});
    if (!id.empty()) body.set("id", id);
    body.set("order", order);
    body.set("data", testing::order_placed(id, order).data);
    return to_json(body);
}

value order_view(daemon_harness& d, const std::string& order) {
    value q;
    q.set("cmd", "order");
    q.set("id", order);
    value reply = d.call(q);
    const value* o = reply.find("order");
    return o ? *o : value();
}

std::vector<std::string> history_ids(daemon_harness& d, const std::string& order) {
    std::vector<std::string> ids;
    value o = order_view(d, order);
    if (const value* h = o.find("history"))
        for (const auto& entry : h->as_list()) ids.push_back(str(entry, "id"));
    return ids;
}

TEST(webhook_in, answers_202_only_after_batond_acked_and_the_order_is_in_batond) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    webhook_under_test hook(hook_config(dir, d.ingest()));

    auto res = hook.post("sales.order.placed", placed_body("CRM-1", "SO-W1"));
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(str(parse(res->body), "id"), "CRM-1");

    value o = order_view(d, "SO-W1");
    EXPECT_EQ(str(o, "customer"), "C-1001");
    EXPECT_EQ(history_ids(d, "SO-W1"), std::vector<std::string>{"CRM-1"});
    EXPECT_EQ(hook.gateway().pending(), 0u);  // acked events leave the outbox

    // No id in the body: the adapter names the event, and says how.
    res = hook.post("sales.order.cancelled", R"({"order": "SO-W1", "data": {"reason": "dup"}})");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    std::string generated = str(parse(res->body), "id");
    EXPECT_EQ(generated.size(), 36u);
    EXPECT_EQ(history_ids(d, "SO-W1"), (std::vector<std::string>{"CRM-1", generated}));

    res = hook.get("/health");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    value health = parse(res->body);
    EXPECT_EQ(str(health, "status"), "ok");
    std::uint64_t accepted = 0;
    health.find("accepted")->to_uint64(accepted);
    EXPECT_EQ(accepted, 2u);
}

TEST(webhook_in, concurrent_posts_are_each_answered_for_their_own_event) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    webhook_under_test hook(hook_config(dir, d.ingest()));
    std::vector<std::thread> clients;
    std::atomic<int> accepted{0};
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                std::string id = "CC-" + std::to_string(t) + "-" + std::to_string(i);
                auto res = hook.post("sales.order.placed", placed_body(id, "SO-" + id));
                if (res && res->status == 202 && str(parse(res->body), "id") == id) ++accepted;
            }
        });
    for (auto& c : clients) c.join();
    EXPECT_EQ(accepted.load(), 40);
    EXPECT_EQ(d.events(), 40);
}

TEST(webhook_in, answers_400_with_batonds_nack_reason_for_a_schema_error) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    webhook_under_test hook(hook_config(dir, d.ingest()));

    value body = parse(placed_body("CRM-BAD", "SO-W2"));
    value data(value_map{});  // everything but the required customer
    for (const auto& m : body.find("data")->as_map())
        if (m.key != "customer") data.set(m.key, m.val);
    body.set("data", data);
    auto res = hook.post("sales.order.placed", to_json(body));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    value answer = parse(res->body);
    EXPECT_EQ(str(answer, "id"), "CRM-BAD");
    EXPECT_EQ(str(answer, "error").rfind("schema: ", 0), 0u) << res->body;
    EXPECT_NE(str(answer, "error").find("customer"), std::string::npos) << res->body;
    EXPECT_EQ(d.events(), 0);
    EXPECT_EQ(hook.gateway().pending(), 0u);  // a nacked event is not resent

    // batond's topic check comes back the same way.
    res = hook.post("sales.order.shredded", R"({"order": "SO-W2", "data": {}})");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(str(parse(res->body), "error").rfind("topic: ", 0), 0u) << res->body;

    // The adapter's own checks answer without asking batond.
    res = hook.post("sales.order.placed", "{\"order\": ");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(str(parse(res->body), "error").rfind("decode: ", 0), 0u) << res->body;

    res = hook.post("sales.order.placed", std::string(65537, ' '));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(str(parse(res->body), "error"), "limit: body larger than 65536 bytes");

    res = hook.get("/events/sales.order.placed");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
    EXPECT_EQ(str(parse(res->body), "error").rfind("not found: GET /events/", 0), 0u);
}

TEST(webhook_in, answers_503_while_batond_is_down_then_delivers_and_succeeds_once_it_is_back) {
    temp_dir dir;
    const int port = testing::free_port();
    const std::string ingest = "tcp://127.0.0.1:" + std::to_string(port);
    webhook_config c = hook_config(dir, ingest);
    c.reply_timeout = 400ms;
    webhook_under_test hook(c);

    auto res = hook.post("sales.order.placed", placed_body("CRM-DOWN", "SO-W3"));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503) << res->body;
    value answer = parse(res->body);
    EXPECT_EQ(str(answer, "error"), no_reply_message);
    EXPECT_EQ(str(answer, "id"), "CRM-DOWN");
    EXPECT_FALSE(res->get_header_value("Retry-After").empty());
    EXPECT_EQ(hook.gateway().pending(), 1u);  // accepted into the outbox: not lost

    // batond comes up on the port the adapter points at: the queued event goes in by itself.
    config dc = test_config(dir);
    dc.bus.ingest = ingest;
    daemon_harness d(dc);
    d.start();
    ASSERT_TRUE(wait_until([&] { return hook.gateway().pending() == 0; }, 20s));
    EXPECT_EQ(history_ids(d, "SO-W3"), std::vector<std::string>{"CRM-DOWN"});

    // The client retries with the same id: 202, and batond's dedup keeps it once.
    res = hook.post("sales.order.placed", placed_body("CRM-DOWN", "SO-W3"));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(history_ids(d, "SO-W3"), std::vector<std::string>{"CRM-DOWN"});
    EXPECT_EQ(d.events(), 1);

    // And new events are simply accepted.
    res = hook.post("sales.order.placed", placed_body("CRM-UP", "SO-W4"));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(d.events(), 2);
}

TEST(webhook_in, an_event_queued_before_a_restart_is_delivered_by_the_next_run) {
    temp_dir dir;
    const int port = testing::free_port();
    const std::string ingest = "tcp://127.0.0.1:" + std::to_string(port);
    webhook_config c = hook_config(dir, ingest);
    c.reply_timeout = 200ms;
    {
        webhook_under_test hook(c);
        auto res = hook.post("sales.order.placed", placed_body("CRM-KEPT", "SO-W5"));
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 503);
    }
    config dc = test_config(dir);
    dc.bus.ingest = ingest;
    daemon_harness d(dc);
    d.start();
    webhook_under_test again(c);
    ASSERT_TRUE(wait_until([&] { return again.gateway().pending() == 0; }, 20s));
    EXPECT_EQ(history_ids(d, "SO-W5"), std::vector<std::string>{"CRM-KEPT"});
}

// ---------------------------------------------------------------- baton-http-out, in-process

value data_of(std::initializer_list<std::pair<const char*, value>> fields) {
    value d(value_map{});
    for (const auto& [k, v] : fields) d.set(k, v);
    return d;
}

// Events that walk an order from placement to invoicing: relay messages for finance, production,
// logistics and sales.
std::vector<envelope> lifecycle(const std::string& order) {
    return {
        testing::order_placed(order + "-placed", order),
        testing::credit_approved(order + "-credit", order),
        make_event("production.order.scheduled", order + "-sched", order,
                   data_of({{"planned_start", "2026-12-01"},
                            {"planned_finish", "2026-12-04"},
                            {"line", "P2"}}),
                   "mes"),
        make_event("production.order.completed", order + "-done", order,
                   data_of({{"qty_good", 1550.5}}), "mes"),
        make_event("logistics.shipment.dispatched", order + "-disp", order,
                   data_of({{"vehicle", "TRK-7"}, {"qty", 1550.5}}), "tms"),
        make_event("logistics.shipment.delivered", order + "-deliv", order,
                   data_of({{"qty", 1550.5}, {"received_by", "J. Novak"}}), "tms"),
    };
}

void send_all(daemon_harness& d, const std::vector<envelope>& events) {
    ingest_client client(d.context(), d.ingest());
    for (const auto& e : events) {
        auto r = client.send_and_wait(e, 10s);
        ASSERT_TRUE(r) << e.id;
        ASSERT_TRUE(r->acked) << e.id << ": " << r->reason;
    }
}

struct posted {
    std::uint64_t seq = 0;
    std::string topic;
    std::string path;
    bool operator==(const posted& o) const {
        return seq == o.seq && topic == o.topic && path == o.path;
    }
};

std::ostream& operator<<(std::ostream& os, const posted& p) {
    return os << p.seq << " " << p.topic << " -> " << p.path;
}

// What batond relayed so far, routed the way http_out_config() routes it.
std::vector<posted> expected_posts(daemon_harness& d) {
    value req;
    req.set("cmd", "replay");
    req.set("since", 0);
    req.set("limit", 10000);
    value reply = d.call(req);
    std::vector<posted> out;
    for (const auto& m : reply.find("messages")->as_list()) {
        posted p;
        m.find("seq")->to_uint64(p.seq);
        p.topic = str(m, "topic");
        if (p.topic == "finance.invoice_request")
            p.path = "/invoices";
        else if (p.topic.rfind("finance.", 0) == 0)
            p.path = "/finance";
        else if (p.topic.rfind("sales.", 0) == 0)
            p.path = "/sales";
        else
            continue;
        out.push_back(p);
    }
    return out;
}

// A department's HTTP endpoint: refuses the first `refuse` POSTs with 503, records the rest.
class receiver {
public:
    explicit receiver(int refuse = 0) : refuse_(refuse) {
        auto handle = [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard<std::mutex> lock(mutex_);
            ++requests_;
            if (refuse_ > 0) {
                --refuse_;
                res.status = 503;
                res.set_content("{\"error\": \"maintenance\"}", "application/json");
                return;
            }
            value body = parse(req.body);
            posted p;
            if (const value* seq = body.find("seq")) seq->to_uint64(p.seq);
            p.topic = str(body, "topic");
            p.path = req.path;
            const value* env = body.find("envelope");
            bool consistent = env && str(*env, "topic") == p.topic &&
                              str(*env, "source") == "baton" &&
                              req.get_header_value("Content-Type") == "application/json" &&
                              req.get_header_value("X-Baton-Seq") == std::to_string(p.seq) &&
                              req.get_header_value("Authorization") == "Bearer t0ken";
            if (!consistent) ++inconsistent_;
            got_.push_back(p);
            res.status = 200;
        };
        for (const char* path : {"/finance", "/invoices", "/sales"}) server_.Post(path, handle);
    }
    ~receiver() { stop(); }

    int listen_any() {
        int port = server_.bind_to_any_port("127.0.0.1");
        start();
        return port;
    }
    void listen_on(int port) {
        ASSERT_TRUE(server_.bind_to_port("127.0.0.1", port));
        start();
    }
    void stop() {
        if (!thread_.joinable()) return;
        server_.stop();
        thread_.join();
    }

    std::vector<posted> got() {
        std::lock_guard<std::mutex> lock(mutex_);
        return got_;
    }
    int requests() {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }
    int inconsistent() {
        std::lock_guard<std::mutex> lock(mutex_);
        return inconsistent_;
    }

private:
    void start() {
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        wait_until([this] { return server_.is_running(); }, 5s);
    }

    httplib::Server server_;
    std::thread thread_;
    std::mutex mutex_;
    int refuse_;
    int requests_ = 0;
    int inconsistent_ = 0;
    std::vector<posted> got_;
};

http_out_config out_config(const temp_dir& dir, daemon_harness& d, int receiver_port) {
    http_out_config c;
    c.relay = d.relay();
    c.control = d.control();
    c.state = dir / "http-out.state";
    std::string base = "http://127.0.0.1:" + std::to_string(receiver_port);
    std::vector<route> routes;
    for (auto [prefix, path] :
         {std::pair{"finance.", "/finance"}, std::pair{"finance.invoice_request", "/invoices"},
          std::pair{"sales.", "/sales"}}) {
        route r;
        r.prefix = prefix;
        r.url = base + path;
        std::string error;
        EXPECT_TRUE(parse_url(r.url, r.target, error)) << error;
        r.headers.emplace_back("Authorization", "Bearer t0ken");
        routes.push_back(r);
    }
    c.routes = route_table(routes);
    c.retry.initial = 50ms;
    c.retry.max = 200ms;
    c.request_timeout = 2s;
    return c;
}

// baton-http-out without main(): a poster running on its own thread until stopped.
class poster_under_test {
public:
    explicit poster_under_test(const http_out_config& c) : poster_(context_, c) {
        thread_ = std::thread([this] { poster_.run(stop_); });
    }
    ~poster_under_test() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    const relay_poster& poster() const { return poster_; }

private:
    zmq::context_t context_{1};
    std::atomic<bool> stop_{false};
    relay_poster poster_;
    std::thread thread_;
};

TEST(http_out, message_json_carries_seq_topic_and_the_whole_envelope) {
    relayed_message m;
    m.seq = 42;
    m.topic = "finance.credit_check";
    m.env =
        make_event("finance.credit_check", "r-42", "SO-1", data_of({{"amount_cents", 5}}), "baton");
    m.env.seq = 42;
    m.env.cause = "SO-1-placed";
    EXPECT_EQ(relayed_message_json(m),
              R"({"seq":42,"topic":"finance.credit_check","envelope":{"v":1,"id":"r-42",)"
              R"("source":"baton","topic":"finance.credit_check","ts":1795000000000,)"
              R"("order":"SO-1","seq":42,"cause":"SO-1-placed","data":{"amount_cents":5}}})");
}

TEST(http_out, delivers_every_relayed_message_in_seq_order_after_the_receiver_refused_a_while) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    receiver dept(/*refuse=*/4);
    int port = dept.listen_any();
    poster_under_test out(out_config(dir, d, port));
    std::this_thread::sleep_for(200ms);  // let the subscription reach the publisher

    send_all(d, lifecycle("SO-H1"));
    send_all(d, lifecycle("SO-H2"));
    auto expected = expected_posts(d);
    ASSERT_GE(expected.size(), 16u);
    ASSERT_TRUE(wait_until([&] { return dept.got().size() >= expected.size(); }, 30s))
        << dept.got().size() << " of " << expected.size();
    EXPECT_EQ(dept.got(), expected);  // in seq order, each once, to its route's URL
    EXPECT_EQ(dept.requests(), static_cast<int>(expected.size()) + 4);
    EXPECT_EQ(dept.inconsistent(), 0);
    EXPECT_EQ(out.poster().failed_posts(), 4u);
}

TEST(http_out, catches_up_in_order_when_the_receiver_comes_up_late_and_after_its_own_restart) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    // Relayed before baton-http-out ever ran: it catches up through replay.
    send_all(d, lifecycle("SO-L1"));

    const int port = testing::free_port();
    receiver dept;
    auto config = out_config(dir, d, port);
    {
        poster_under_test out(config);
        // The receiver is not listening yet: connection refused, retried with backoff.
        ASSERT_TRUE(wait_until([&] { return out.poster().failed_posts() >= 3; }, 10s));
        EXPECT_EQ(out.poster().delivered(), 0u);
        send_all(d, lifecycle("SO-L2"));  // more piles up meanwhile

        dept.listen_on(port);
        auto expected = expected_posts(d);
        ASSERT_TRUE(wait_until([&] { return dept.got().size() >= expected.size(); }, 30s))
            << dept.got().size() << " of " << expected.size();
        EXPECT_EQ(dept.got(), expected);
    }

    // Stopped; batond relays more; the next run starts after the last delivered seq.
    send_all(d, lifecycle("SO-L3"));
    {
        poster_under_test again(config);
        auto expected = expected_posts(d);
        ASSERT_TRUE(wait_until([&] { return dept.got().size() >= expected.size(); }, 30s))
            << dept.got().size() << " of " << expected.size();
        std::this_thread::sleep_for(300ms);  // nothing more (no re-delivery) arrives
        EXPECT_EQ(dept.got(), expected);
    }
    EXPECT_EQ(dept.inconsistent(), 0);
}

// ---------------------------------------------------------------- the binaries

std::string run_output(const temp_dir& dir, const std::vector<std::string>& argv, int& status) {
    auto [st, out] = testing::run_program(argv, dir / "out.txt");
    std::filesystem::remove(dir / "out.txt");
    status = st;
    return out;
}

TEST(webhook_binaries, help_and_bad_configs_are_clear) {
    temp_dir dir;
    int status = -1;
    std::string out = run_output(dir, {BATON_WEBHOOK_PATH, "--help"}, status);
    EXPECT_EQ(status, 0);
    EXPECT_NE(out.find("--config"), std::string::npos) << out;
    EXPECT_NE(out.find("POST /events/<topic>"), std::string::npos) << out;
    out = run_output(dir, {BATON_HTTP_OUT_PATH, "--help"}, status);
    EXPECT_EQ(status, 0);
    EXPECT_NE(out.find("--config"), std::string::npos) << out;

    std::string bad = dir.write("bad.yaml", "source: crm\noutbox: o\nhttp: {port: 99999}\n");
    out = run_output(dir, {BATON_WEBHOOK_PATH, "--config", bad}, status);
    EXPECT_EQ(status, 2);
    EXPECT_NE(out.find("bad.yaml: http.port: expected a port, 0-65535"), std::string::npos) << out;
    std::string bad_out = dir.write("bad-out.yaml", "state: s\nroutes: [{url: 'http://x'}]\n");
    out = run_output(dir, {BATON_HTTP_OUT_PATH, "--config", bad_out}, status);
    EXPECT_EQ(status, 2);
    EXPECT_NE(out.find("bad-out.yaml: routes[0].prefix: required key is missing"),
              std::string::npos)
        << out;
    out = run_output(dir, {BATON_WEBHOOK_PATH, "--config", dir / "missing.yaml"}, status);
    EXPECT_EQ(status, 2);
    EXPECT_NE(out.find("missing.yaml: cannot open file"), std::string::npos) << out;
}

TEST(webhook_binaries, webhook_serves_and_stops_cleanly_on_sigterm) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    const int port = testing::free_port();
    std::string cfg =
        dir.write("hook.yaml", "http: {host: 127.0.0.1, port: " + std::to_string(port) +
                                   "}\nsource: sales-crm\nbatond: {ingest: '" + d.ingest() +
                                   "'}\noutbox: var/hook.outbox\n");
    testing::child_process hook({BATON_WEBHOOK_PATH, "--config", cfg}, dir / "hook.log");
    httplib::Client client("127.0.0.1", port);
    ASSERT_TRUE(wait_until(
        [&] {
            auto res = client.Get("/health");
            return res && res->status == 200;
        },
        10s));
    auto res = client.Post("/events/sales.order.placed", placed_body("BIN-1", "SO-B1"),
                           "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(history_ids(d, "SO-B1"), std::vector<std::string>{"BIN-1"});
    auto started = std::chrono::steady_clock::now();
    hook.signal(SIGTERM);
    EXPECT_EQ(hook.wait(), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST(webhook_binaries, http_out_delivers_and_stops_cleanly_on_sigterm) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    receiver dept;
    int port = dept.listen_any();
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    std::string cfg =
        dir.write("out.yaml", "batond: {relay: '" + d.relay() + "', control: '" + d.control() +
                                  "'}\nstate: var/out.state\nroutes:\n"
                                  "  - {prefix: finance., url: '" +
                                  base +
                                  "/finance', headers: "
                                  "{Authorization: Bearer t0ken}}\n"
                                  "  - {prefix: finance.invoice_request, url: '" +
                                  base +
                                  "/invoices', "
                                  "headers: {Authorization: Bearer t0ken}}\n"
                                  "  - {prefix: sales., url: '" +
                                  base +
                                  "/sales', headers: "
                                  "{Authorization: Bearer t0ken}}\n");
    testing::child_process out({BATON_HTTP_OUT_PATH, "--config", cfg}, dir / "out.log");
    send_all(d, lifecycle("SO-B2"));
    auto expected = expected_posts(d);
    ASSERT_TRUE(wait_until([&] { return dept.got().size() >= expected.size(); }, 30s))
        << dept.got().size() << " of " << expected.size();
    EXPECT_EQ(dept.got(), expected);
    EXPECT_EQ(dept.inconsistent(), 0);
    out.signal(SIGTERM);
    EXPECT_EQ(out.wait(), 0);
}

}  // namespace
}  // namespace baton::adapters::webhook
