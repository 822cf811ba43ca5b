// The HTTP adapters: JSON bodies into envelopes, the webhook's answers (202 after batond's ack,
// 400 with its nack reason, 503 while it is down and success once it is back), its callers'
// credentials (401/403) and HTTPS, and baton-http-out delivering every relayed message in seq
// order across receiver downtime and its own restart.
#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <zmq.hpp>

#include "caller_auth.h"
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

// ---------------------------------------------------------------- callers' credentials

const std::string crm_token = "crm-token-0123456789abcdef";
const std::string shop_secret = "shop-secret-0123456789abcdef";

// A bearer caller "crm" (publishes as sales-crm) and an HMAC caller "shop" (shop-eu, shop-us).
auth_config two_callers() {
    auth_config a;
    a.callers.push_back({"crm", caller_scheme::bearer, crm_token, {"sales-crm"}});
    a.callers.push_back({"shop", caller_scheme::hmac, shop_secret, {"shop-eu", "shop-us"}});
    return a;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The `openssl` program (scripts/deps installs it): certificates and the README's recipe.
std::string openssl_program() {
    for (const char* p : {"/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"})
        if (std::filesystem::exists(p)) return p;
    return "openssl-not-found";
}

TEST(webhook_auth,
     signature_is_hmac_sha256_of_timestamp_dot_body_as_python_and_openssl_compute_it) {
    const std::string body = R"({"order":"SO-1","data":{}})";
    // Python: hmac.new(secret, b'1795000000.' + body, hashlib.sha256).hexdigest()
    EXPECT_EQ(body_signature(shop_secret, 1795000000, body),
              "ef94b24aee576c5ae6878e63b69768f8115a8a1df566464b74f70ab8aac4d897");
    EXPECT_EQ(signature_header_value(shop_secret, 1795000000, body),
              "t=1795000000,v1=ef94b24aee576c5ae6878e63b69768f8115a8a1df566464b74f70ab8aac4d897");
    EXPECT_NE(body_signature(shop_secret, 1795000001, body),
              body_signature(shop_secret, 1795000000, body));

    // The shell recipe of README.md "Signing a request", run as a caller would run it.
    temp_dir dir;
    std::string script = "t=1795000123; body='" + body + "'; printf '%s.%s' \"$t\" \"$body\" | " +
                         openssl_program() + " dgst -sha256 -hmac '" + shop_secret +
                         "' -r | cut -d' ' -f1";
    auto [status, out] = testing::run_program({"/bin/sh", "-c", script}, dir / "out.txt");
    ASSERT_EQ(status, 0) << out;
    EXPECT_EQ(out, body_signature(shop_secret, 1795000123, body) + "\n");
}

TEST(webhook_auth, authenticate_names_the_caller_or_the_reason_without_echoing_secrets) {
    caller_auth auth(two_callers());
    ASSERT_TRUE(auth.enabled());
    EXPECT_FALSE(caller_auth(auth_config{}).enabled());
    const std::int64_t now = 1795000000;
    const std::string body = "{}";
    auto check = [&](const credentials& c, std::string_view b = "{}") {
        const caller* who = nullptr;
        auto refusal = auth.authenticate(c, b, now, who);
        if (refusal) {
            EXPECT_EQ(who, nullptr);
            return std::to_string(refusal->status) + " " + refusal->reason;
        }
        return "caller " + (who ? who->name : std::string("<none>"));
    };
    EXPECT_EQ(check({"Bearer " + crm_token, std::nullopt}), "caller crm");
    EXPECT_EQ(check({"bearer   " + crm_token + " ", std::nullopt}), "caller crm");
    EXPECT_EQ(check({std::nullopt, signature_header_value(shop_secret, now, body)}), "caller shop");
    EXPECT_EQ(check({std::nullopt, "t=" + std::to_string(now - 10) +
                                       ", v0=abc, v1=" + std::string(64, '0') +
                                       ",v1=" + body_signature(shop_secret, now - 10, body)}),
              "caller shop");  // another scheme skipped; a second v1 (a rotated secret) counts

    EXPECT_EQ(check({}),
              "401 auth: missing credentials: send Authorization: Bearer <token>, or "
              "X-Baton-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">");
    EXPECT_EQ(check({"Bearer " + crm_token + "x", std::nullopt}), "401 auth: unknown token");
    EXPECT_EQ(check({"Bearer " + shop_secret, std::nullopt}), "401 auth: unknown token");
    EXPECT_EQ(check({"Basic " + crm_token, std::nullopt}),
              "401 auth: malformed Authorization header (expected 'Bearer <token>')");
    EXPECT_EQ(check({"Bearer", std::nullopt}),
              "401 auth: malformed Authorization header (expected 'Bearer <token>')");

    const std::string malformed =
        "401 auth: malformed X-Baton-Signature header (expected t=<unix seconds>,v1=<64 hex "
        "digits of HMAC-SHA256>)";
    const std::string good_v1 = body_signature(shop_secret, now, body);
    for (const std::string& header :
         {std::string("v1=") + good_v1, "t=" + std::to_string(now), "t=abc,v1=" + good_v1,
          "t=" + std::to_string(now) + ",v1=" + good_v1.substr(2),
          "t=" + std::to_string(now) + ",v1=" + std::string(64, 'g'), std::string("sha256=x"),
          "t=1,t=2,v1=" + good_v1, std::string()})
        EXPECT_EQ(check({std::nullopt, header}), malformed) << header;

    EXPECT_EQ(check({std::nullopt, signature_header_value("another-secret-0123456789", now, body)}),
              "401 auth: bad signature: no caller's secret signs this timestamp and body (sign "
              "the exact bytes sent, as HMAC-SHA256 of \"<t>.<body>\")");
    EXPECT_PRED2(starts_with,
                 check({std::nullopt, signature_header_value(shop_secret, now, body)}, "{ }"),
                 "401 auth: bad signature");  // one byte of the body changed
    EXPECT_EQ(check({std::nullopt, signature_header_value(shop_secret, now - 301, body)}),
              "401 auth: stale timestamp: signed 301 s ago, more than the tolerance of 300 s (a "
              "replayed request, or the caller's clock is off)");
    EXPECT_EQ(check({std::nullopt, signature_header_value(shop_secret, now + 301, body)}),
              "401 auth: timestamp 301 s in the future, more than the tolerance of 300 s (the "
              "caller's clock is off)");
    EXPECT_EQ(check({std::nullopt, signature_header_value(shop_secret, now - 300, body)}),
              "caller shop");  // the edge of the window
    // A bearer token does not sign: a signature made with the token is no credential.
    EXPECT_PRED2(starts_with, check({std::nullopt, signature_header_value(crm_token, now, body)}),
                 "401 auth: bad signature");
    // With both headers, the signature decides.
    EXPECT_PRED2(starts_with, check({"Bearer " + crm_token, "t=1,v1=" + good_v1}),
                 "401 auth: stale timestamp");

    EXPECT_EQ(auth.challenge(),
              "Bearer realm=\"baton-webhook\", Baton-HMAC realm=\"baton-webhook\"");
}

TEST(webhook_auth, a_caller_publishes_as_its_first_source_or_one_it_names_among_its_own) {
    const auth_config a = two_callers();
    const caller& shop = a.callers[1];
    auto source_of = [&](const std::optional<std::string>& header, bool allow) {
        std::string source;
        auto refusal = choose_source(shop, {"sales.order.placed", "{}", header}, allow, source);
        return refusal ? std::to_string(refusal->status) + " " + refusal->reason : source;
    };
    EXPECT_EQ(source_of(std::nullopt, true), "shop-eu");
    EXPECT_EQ(source_of("shop-us", true), "shop-us");
    EXPECT_EQ(source_of("shop-us", false), "shop-eu");  // the header only counts when allowed
    EXPECT_EQ(source_of("sales-crm", true),
              "403 auth: caller 'shop' may not publish as 'sales-crm' (its sources: shop-eu, "
              "shop-us)");
    EXPECT_EQ(source_of("x\ny", true),
              "403 auth: caller 'shop' may not publish as 'x?y' (its sources: shop-eu, shop-us)");
}

TEST(webhook_auth, loopback_is_127_0_0_0_8_and_ipv6_one_and_localhost_only) {
    for (const char* host :
         {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LocalHost", "::ffff:127.0.0.1"})
        EXPECT_TRUE(is_loopback_host(host)) << host;
    for (const char* host : {"0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "::ffff:10.0.0.1",
                             "plant-gw.local", "localhost.example.com", "*", ""})
        EXPECT_FALSE(is_loopback_host(host)) << host;
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
    // Works as shipped: loopback, two callers whose secrets are the example files.
    EXPECT_EQ(w.host, "127.0.0.1");
    ASSERT_EQ(w.auth.callers.size(), 2u);
    EXPECT_EQ(w.auth.callers[0].scheme, caller_scheme::bearer);
    EXPECT_EQ(w.auth.callers[0].sources, std::vector<std::string>{"sales-crm"});
    EXPECT_EQ(w.auth.callers[1].scheme, caller_scheme::hmac);
    EXPECT_EQ(w.auth.callers[1].sources, (std::vector<std::string>{"shop-eu", "shop-us"}));
    EXPECT_GE(w.auth.callers[1].secret.size(), 16u);
    EXPECT_FALSE(w.tls);
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

// A config error without its " (line N)" suffix, for comparing whole reasons.
std::string without_line(const std::string& error) {
    auto at = error.rfind(" (line ");
    return at != std::string::npos && error.back() == ')' ? error.substr(0, at) : error;
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

TEST(webhook_config, auth_callers_read_their_secrets_from_files_or_the_environment) {
    temp_dir dir;
    dir.write("secrets/crm.token", crm_token + "\n");  // as `echo` writes it
    ::setenv("BATON_TEST_SHOP_SECRET", shop_secret.c_str(), 1);
    std::string p = dir.write(
        "w.yaml",
        "source: sales-crm\noutbox: o\nallow_source_header: true\n"
        "auth:\n  timestamp_tolerance: 2m\n  callers:\n"
        "    - {name: crm, token_file: secrets/crm.token}\n"
        "    - {name: shop, secret_env: BATON_TEST_SHOP_SECRET, sources: [shop-eu, shop-us]}\n");
    webhook_config c = load_webhook_config(p);
    ::unsetenv("BATON_TEST_SHOP_SECRET");
    ASSERT_EQ(c.auth.callers.size(), 2u);
    EXPECT_EQ(c.auth.timestamp_tolerance, std::chrono::seconds(120));
    const caller& crm = c.auth.callers[0];
    EXPECT_EQ(crm.name, "crm");
    EXPECT_EQ(crm.scheme, caller_scheme::bearer);
    EXPECT_EQ(crm.secret, crm_token);
    EXPECT_EQ(crm.sources, std::vector<std::string>{"sales-crm"});  // the top-level source
    const caller& shop = c.auth.callers[1];
    EXPECT_EQ(shop.scheme, caller_scheme::hmac);
    EXPECT_EQ(shop.secret, shop_secret);
    EXPECT_EQ(shop.sources, (std::vector<std::string>{"shop-eu", "shop-us"}));

    // Callers with their own sources need no top-level source.
    p = dir.write("w2.yaml",
                  "outbox: o\nauth: {callers: [{name: crm, token_file: "
                  "secrets/crm.token, sources: [sales-crm]}]}\n");
    EXPECT_EQ(load_webhook_config(p).auth.callers[0].sources,
              std::vector<std::string>{"sales-crm"});
    // No auth section: no callers, the default tolerance.
    p = dir.write("w3.yaml", "source: sales-crm\noutbox: o\n");
    c = load_webhook_config(p);
    EXPECT_TRUE(c.auth.callers.empty());
    EXPECT_EQ(c.auth.timestamp_tolerance, std::chrono::seconds(300));
    EXPECT_FALSE(c.tls);
    EXPECT_FALSE(c.insecure);
}

TEST(webhook_config, auth_mistakes_name_the_key_and_the_reason_but_never_the_secret) {
    temp_dir dir;
    dir.write("crm.token", crm_token);
    dir.write("shop.secret", shop_secret);
    dir.write("short.token", "abc12\n");
    dir.write("spaced.token", "a token with spaces in it");
    ::unsetenv("BATON_TEST_UNSET_SECRET");
    auto webhook = [&](const std::string& callers, const std::string& more = "") {
        std::string p = dir.write("w.yaml", "source: sales-crm\noutbox: o\nauth:\n" + more +
                                                "  callers: " + callers + "\n");
        return without_line(config_error_of([&] { load_webhook_config(p); }));
    };
    EXPECT_EQ(webhook("[{name: crm, token_file: crm.token, secret_file: shop.secret}]"),
              "auth.callers[0]: needs exactly one of token_file or token_env (Authorization: "
              "Bearer), secret_file or secret_env (X-Baton-Signature); got 2");
    EXPECT_PRED2(starts_with, webhook("[{name: crm}]"), "auth.callers[0]: needs exactly one of");
    EXPECT_EQ(webhook("[{name: crm, token_file: nope.token}]"),
              "auth.callers[0].token_file: " + dir / "nope.token" +
                  ": cannot open: No such file or directory");
    EXPECT_EQ(
        webhook("[{name: shop, secret_env: BATON_TEST_UNSET_SECRET}]"),
        "auth.callers[0].secret_env: environment variable BATON_TEST_UNSET_SECRET is not set");
    EXPECT_EQ(webhook("[{name: crm, token_file: short.token}]"),
              "auth.callers[0].token_file: " + dir / "short.token" +
                  ": the secret has 5 bytes; use 16-4096 (e.g. openssl rand -hex 32)");
    EXPECT_EQ(webhook("[{name: crm, token_file: spaced.token}]"),
              "auth.callers[0].token_file: " + dir / "spaced.token" +
                  ": a token travels in a header: printable ASCII without spaces");
    EXPECT_EQ(
        webhook("[{name: crm, token_file: crm.token}, {name: crm, secret_file: shop.secret}]"),
        "auth.callers[1].name: caller 'crm' appears twice");
    EXPECT_EQ(webhook("[{name: crm, token_file: crm.token}, {name: erp, token_file: crm.token}]"),
              "auth.callers[1]: has the same secret as caller 'crm': each caller needs its own, "
              "or the adapter could not tell them apart");
    EXPECT_EQ(webhook("[]"), "auth.callers: needs at least one caller");
    EXPECT_PRED2(starts_with, webhook("[{name: crm, tokn_file: crm.token}]"),
                 "auth.callers[0].tokn_file: unknown key");
    EXPECT_EQ(webhook("[{name: crm, token_file: crm.token, sources: [baton]}]"),
              "auth.callers[0].sources[0]: 'baton' is reserved for batond");
    EXPECT_EQ(webhook("[{name: crm, token_file: crm.token, sources: []}]"),
              "auth.callers[0].sources: needs at least one source");
    EXPECT_EQ(webhook("[{name: crm, token_file: crm.token}]", "  timestamp_tolerance: 2h\n"),
              "auth.timestamp_tolerance: expected 1s-1h");
    std::string p = dir.write("nosource.yaml",
                              "outbox: o\nauth: {callers: [{name: crm, token_file: crm.token}]}\n");
    EXPECT_EQ(without_line(config_error_of([&] { load_webhook_config(p); })),
              "auth.callers[0].sources: required: the source(s) caller 'crm' may publish as, "
              "since the top-level source is not set");
    p = dir.write("nocallers.yaml", "source: s\noutbox: o\nauth: {timestamp_tolerance: 1m}\n");
    EXPECT_PRED2(starts_with, config_error_of([&] { load_webhook_config(p); }),
                 "auth.callers: required: the calling systems");
}

TEST(webhook_config, a_listen_address_other_machines_reach_needs_auth_callers_or_insecure) {
    temp_dir dir;
    dir.write("crm.token", crm_token);
    auto webhook = [&](const std::string& host, const std::string& more = "") {
        std::string p = dir.write(
            "w.yaml", "http: {host: '" + host + "'}\nsource: sales-crm\noutbox: o\n" + more);
        return without_line(config_error_of([&] { load_webhook_config(p); }));
    };
    EXPECT_EQ(webhook("0.0.0.0"),
              "http.host: '0.0.0.0' is reachable from other machines: add auth callers (a token "
              "or an HMAC secret each), or set insecure: true to take events from anyone who "
              "reaches the port");
    for (const char* host : {"::", "10.1.2.3", "plant-gw.local"})
        EXPECT_PRED2(starts_with, webhook(host),
                     "http.host: '" + std::string(host) + "' is reachable");
    for (const char* host : {"127.0.0.1", "127.0.0.2", "::1", "localhost"})
        EXPECT_EQ(webhook(host), "loaded") << host;
    EXPECT_EQ(webhook("0.0.0.0", "insecure: true\n"), "loaded");
    EXPECT_PRED2(starts_with, webhook("0.0.0.0", "insecure: false\n"), "http.host: '0.0.0.0'");
    EXPECT_EQ(webhook("0.0.0.0", "auth: {callers: [{name: crm, token_file: crm.token}]}\n"),
              "loaded");
    std::string p =
        dir.write("w.yaml", "http: {host: 0.0.0.0}\nsource: s\noutbox: o\ninsecure: true\n");
    EXPECT_TRUE(load_webhook_config(p).insecure);
}

// A self-signed certificate for 127.0.0.1 and localhost: <name>-cert.pem, <name>-key.pem.
void make_certificate(const temp_dir& dir, const std::string& name) {
    auto [status, out] = testing::run_program(
        {openssl_program(), "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir / (name + "-key.pem"), "-out",
         dir / (name + "-cert.pem"), "-days", "2", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=IP:127.0.0.1,DNS:localhost"},
        dir / "openssl.txt");
    ASSERT_EQ(status, 0) << out;
}

TEST(webhook_config, tls_certificate_and_key_are_checked_with_a_precise_error) {
    temp_dir dir;
    make_certificate(dir, "hook");
    make_certificate(dir, "other");
    dir.write("garbage.pem", "not a certificate\n");
    auto [status, out] = testing::run_program(
        {openssl_program(), "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-aes256", "-pass", "pass:secret", "-out", dir / "enc-key.pem"},
        dir / "openssl.txt");
    ASSERT_EQ(status, 0) << out;
    auto webhook = [&](const std::string& tls) {
        std::string p = dir.write("w.yaml", "source: s\noutbox: o\ntls: " + tls + "\n");
        return without_line(config_error_of([&] { load_webhook_config(p); }));
    };
    EXPECT_EQ(webhook("{cert: missing.pem, key: hook-key.pem}"),
              "tls.cert: " + dir / "missing.pem" + ": cannot open: No such file or directory");
    EXPECT_PRED2(starts_with, webhook("{cert: garbage.pem, key: hook-key.pem}"),
                 "tls.cert: " + dir / "garbage.pem" + ": not a PEM certificate (OpenSSL: ");
    EXPECT_EQ(webhook("{cert: hook-cert.pem, key: missing.pem}"),
              "tls.key: " + dir / "missing.pem" + ": cannot open: No such file or directory");
    EXPECT_PRED2(
        starts_with, webhook("{cert: hook-cert.pem, key: garbage.pem}"),
        "tls.key: " + dir / "garbage.pem" + ": not a PEM private key, or an encrypted one");
    // Refused, not a passphrase prompt on the terminal.
    EXPECT_PRED2(
        starts_with, webhook("{cert: hook-cert.pem, key: enc-key.pem}"),
        "tls.key: " + dir / "enc-key.pem" + ": not a PEM private key, or an encrypted one");
    EXPECT_EQ(webhook("{cert: hook-cert.pem, key: other-key.pem}"),
              "tls.key: " + dir / "other-key.pem" + ": does not match the certificate " +
                  dir / "hook-cert.pem");
    EXPECT_EQ(webhook("{cert: hook-cert.pem}"), "tls.key: required key is missing");
    EXPECT_PRED2(starts_with, webhook("{cert: hook-cert.pem, key: hook-key.pem, ca: x}"),
                 "tls.ca: unknown key");
    EXPECT_EQ(webhook("{cert: hook-cert.pem, key: hook-key.pem}"), "loaded");
    std::string p = dir.write(
        "ok.yaml", "source: s\noutbox: o\ntls: {cert: hook-cert.pem, key: hook-key.pem}\n");
    webhook_config c = load_webhook_config(p);
    ASSERT_TRUE(c.tls);
    EXPECT_EQ(c.tls->cert, dir / "hook-cert.pem");
    EXPECT_EQ(c.tls->key, dir / "hook-key.pem");
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
    webhook_service& service() { return service_; }

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
    // Acked events leave the outbox (counted by the sender thread just after it answers).
    EXPECT_TRUE(wait_until([&] { return hook.gateway().pending() == 0; }, 5s));

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
    // A nacked event is not resent: it leaves the outbox. The sender thread counts the outbox
    // after it has answered the request, so the count may lag the answer a moment.
    EXPECT_TRUE(wait_until([&] { return hook.gateway().pending() == 0; }, 5s));

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

// ---------------------------------------------------------------- callers, in-process

webhook_config auth_hook_config(const temp_dir& dir, const std::string& ingest) {
    webhook_config c = hook_config(dir, ingest);
    c.allow_source_header = true;
    c.auth = two_callers();
    return c;
}

httplib::Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

httplib::Headers signed_by(const std::string& secret, std::int64_t t, const std::string& body) {
    return {{"X-Baton-Signature", signature_header_value(secret, t, body)}};
}

std::uint64_t health_counter(webhook_under_test& hook, const char* name) {
    auto res = hook.get("/health");
    if (!res || res->status != 200) return 999999;
    std::uint64_t n = 999999;
    const value health = parse(res->body);  // kept: find() points into it
    if (const value* v = health.find(name)) v->to_uint64(n);
    return n;
}

std::vector<std::string> history_sources(daemon_harness& d, const std::string& order) {
    std::vector<std::string> sources;
    value o = order_view(d, order);
    if (const value* h = o.find("history"))
        for (const auto& entry : h->as_list()) sources.push_back(str(entry, "source"));
    return sources;
}

// A 401 with the JSON body {"error": "auth: ..."} and a challenge; returns the error.
std::string refusal_of(const httplib::Result& res, int status = 401) {
    if (!res) return "no answer: " + httplib::to_string(res.error());
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    if (status == 401) {
        EXPECT_NE(res->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);
    }
    value body = parse(res->body);
    EXPECT_FALSE(body.find("id")) << res->body;
    return str(body, "error");
}

TEST(webhook_auth, a_bearer_token_is_accepted_and_a_missing_or_wrong_one_gets_401_and_is_counted) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    webhook_under_test hook(auth_hook_config(dir, d.ingest()));

    auto res = hook.post("sales.order.placed", placed_body("CRM-T1", "SO-A1"), bearer(crm_token));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(history_sources(d, "SO-A1"), std::vector<std::string>{"sales-crm"});

    EXPECT_PRED2(starts_with,
                 refusal_of(hook.post("sales.order.placed", placed_body("CRM-T2", "SO-A2"))),
                 "auth: missing credentials");
    EXPECT_EQ(refusal_of(hook.post("sales.order.placed", placed_body("CRM-T3", "SO-A3"),
                                   bearer(crm_token + "-not"))),
              "auth: unknown token");
    EXPECT_EQ(refusal_of(hook.post("sales.order.placed", placed_body("CRM-T4", "SO-A4"),
                                   {{"Authorization", "Basic " + crm_token}})),
              "auth: malformed Authorization header (expected 'Bearer <token>')");
    // Not even a bad body is looked at before the caller is known.
    EXPECT_EQ(refusal_of(hook.post("sales.order.placed", "{nope", bearer("nope-0123456789abcdef"))),
              "auth: unknown token");

    EXPECT_EQ(d.events(), 1);
    EXPECT_EQ(health_counter(hook, "unauthorized"), 4u);
    EXPECT_EQ(health_counter(hook, "accepted"), 1u);
    EXPECT_EQ(health_counter(hook, "rejected"), 0u);
    EXPECT_TRUE(wait_until([&] { return hook.gateway().pending() == 0; }, 5s));
}

TEST(webhook_auth, a_signed_body_is_accepted_and_bad_stale_future_or_tampered_ones_get_401) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    webhook_under_test hook(auth_hook_config(dir, d.ingest()));
    const std::string body = placed_body("SHOP-1", "SO-S1");
    auto post_signed = [&](const std::string& sent, const std::string& secret, std::int64_t t) {
        return hook.post("sales.order.placed", sent, signed_by(secret, t, body));
    };

    auto res = post_signed(body, shop_secret, unix_now());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(history_sources(d, "SO-S1"), std::vector<std::string>{"shop-eu"});

    EXPECT_PRED2(starts_with, refusal_of(post_signed(body, "wrong-secret-0123456789", unix_now())),
                 "auth: bad signature");
    EXPECT_PRED2(starts_with, refusal_of(post_signed(body, shop_secret, unix_now() - 400)),
                 "auth: stale timestamp: signed 40");
    EXPECT_PRED2(starts_with, refusal_of(post_signed(body, shop_secret, unix_now() + 400)),
                 "auth: timestamp 40");
    // The body changed after signing: same length, another order.
    std::string tampered = placed_body("SHOP-1", "SO-S9");
    ASSERT_EQ(tampered.size(), body.size());
    EXPECT_PRED2(starts_with, refusal_of(post_signed(tampered, shop_secret, unix_now())),
                 "auth: bad signature");
    EXPECT_PRED2(starts_with,
                 refusal_of(hook.post("sales.order.placed", body,
                                      {{"X-Baton-Signature", "t=now,v1=deadbeef"}})),
                 "auth: malformed X-Baton-Signature header");

    // Within the tolerance is fine: a caller's clock may be a little behind.
    const std::string late = placed_body("SHOP-2", "SO-S2");
    res = hook.post("sales.order.placed", late, signed_by(shop_secret, unix_now() - 200, late));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;

    EXPECT_EQ(d.events(), 2);
    EXPECT_TRUE(history_ids(d, "SO-S9").empty());
    EXPECT_EQ(health_counter(hook, "unauthorized"), 5u);
}

TEST(webhook_auth, a_caller_picks_among_its_own_sources_and_gets_403_for_another) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    webhook_under_test hook(auth_hook_config(dir, d.ingest()));
    auto post_as = [&](const std::string& id, const std::string& order, const std::string& source,
                       bool shop) {
        std::string body = placed_body(id, order);
        httplib::Headers h = shop ? signed_by(shop_secret, unix_now(), body) : bearer(crm_token);
        h.emplace("X-Baton-Source", source);
        return hook.post("sales.order.placed", body, h);
    };
    auto res = post_as("SHOP-US-1", "SO-P1", "shop-us", true);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(history_sources(d, "SO-P1"), std::vector<std::string>{"shop-us"});

    EXPECT_EQ(refusal_of(post_as("SHOP-X", "SO-P2", "sales-crm", true), 403),
              "auth: caller 'shop' may not publish as 'sales-crm' (its sources: shop-eu, shop-us)");
    EXPECT_EQ(refusal_of(post_as("CRM-X", "SO-P3", "shop-eu", false), 403),
              "auth: caller 'crm' may not publish as 'shop-eu' (its sources: sales-crm)");
    EXPECT_EQ(d.events(), 1);
    EXPECT_EQ(health_counter(hook, "forbidden"), 2u);
    EXPECT_EQ(health_counter(hook, "unauthorized"), 0u);
}

TEST(webhook_auth, health_is_open_on_loopback_and_needs_credentials_from_other_machines) {
    temp_dir dir;
    webhook_under_test hook(auth_hook_config(dir, "tcp://127.0.0.1:1"));
    webhook_service& service = hook.service();
    EXPECT_EQ(service.health({}, "127.0.0.1").status, 200);
    EXPECT_EQ(service.health({}, "::1").status, 200);
    http_answer a = service.health({}, "10.0.0.7");
    EXPECT_EQ(a.status, 401);
    EXPECT_PRED2(starts_with, str(parse(a.body), "error"), "auth: missing credentials");
    EXPECT_EQ(service.health({"Bearer " + crm_token, std::nullopt}, "10.0.0.7").status, 200);
    EXPECT_EQ(
        service
            .health({std::nullopt, signature_header_value(shop_secret, unix_now(), "")}, "10.0.0.7")
            .status,
        200);  // HMAC callers sign the empty body
    EXPECT_EQ(service.health({"Bearer " + shop_secret, std::nullopt}, "10.0.0.7").status, 401);
    EXPECT_EQ(service.stats().unauthorized.load(), 2u);
    value health = parse(service.health({}, "127.0.0.1").body);
    EXPECT_TRUE(health.find("auth")->as_bool());

    // Without callers (loopback, or insecure: true) it is open to everyone, as before.
    webhook_service open(hook_config(dir, "tcp://127.0.0.1:1"), hook.gateway());
    EXPECT_EQ(open.health({}, "10.0.0.7").status, 200);
    EXPECT_FALSE(parse(open.health({}, "10.0.0.7").body).find("auth")->as_bool());
}

TEST(webhook_auth, refusals_are_logged_at_most_five_a_second_then_counted_and_secrets_stay_out) {
    temp_dir dir;
    webhook_config c = auth_hook_config(dir, "tcp://127.0.0.1:1");
    c.reply_timeout = 100ms;  // should a refusal ever reach the gateway, fail fast
    webhook_under_test hook(c);
    auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    auto lines = [&] {
        std::vector<std::string> refused;
        for (const auto& line : sink->last_formatted())
            if (line.find("refused POST /events/") != std::string::npos) refused.push_back(line);
        return refused;
    };

    const std::string wrong = "Bearer " + crm_token + "-typo";
    for (int i = 0; i < 40; ++i) {
        http_answer a = hook.service().handle_event({"sales.order.placed", "{}", std::nullopt},
                                                    {wrong, std::nullopt}, "10.9.8.7");
        EXPECT_EQ(a.status, 401);
    }
    std::vector<std::string> logged = lines();
    EXPECT_EQ(logged.size(), 5u);
    EXPECT_EQ(hook.service().stats().unauthorized.load(), 40u);
    std::this_thread::sleep_for(1100ms);
    hook.service().handle_event({"sales.order\n.placed", "{}", std::nullopt}, {}, "10.9.8.7");
    logged = lines();
    spdlog::set_default_logger(previous);

    ASSERT_EQ(logged.size(), 6u);
    EXPECT_NE(logged[0].find("refused POST /events/sales.order.placed from 10.9.8.7: auth: "
                             "unknown token"),
              std::string::npos)
        << logged[0];
    EXPECT_NE(logged[5].find("refused POST /events/sales.order?.placed from 10.9.8.7: auth: "
                             "missing credentials"),
              std::string::npos)
        << logged[5];
    EXPECT_NE(logged[5].find("(35 more not logged)"), std::string::npos) << logged[5];
    for (const auto& line : sink->last_formatted())
        EXPECT_EQ(line.find(crm_token), std::string::npos) << line;
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

TEST(webhook_binaries, check_config_refuses_an_open_listen_address_and_a_missing_certificate) {
    temp_dir dir;
    int status = -1;
    std::string open = dir.write("open.yaml", "http: {host: 0.0.0.0}\nsource: crm\noutbox: o\n");
    std::string out =
        run_output(dir, {BATON_WEBHOOK_PATH, "--config", open, "--check-config"}, status);
    EXPECT_EQ(status, 2);
    EXPECT_NE(out.find("open.yaml: http.host: '0.0.0.0' is reachable from other machines: add auth "
                       "callers"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("insecure: true"), std::string::npos) << out;

    std::string insecure =
        dir.write("insecure.yaml",
                  "http: {host: 0.0.0.0, port: 8480}\nsource: crm\noutbox: o\ninsecure: true\n");
    out = run_output(dir, {BATON_WEBHOOK_PATH, "--config", insecure, "--check-config"}, status);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("ok (listen http://0.0.0.0:8480, no auth (insecure: true)"),
              std::string::npos)
        << out;

    dir.write("crm.token", crm_token);
    std::string no_cert = dir.write(
        "nocert.yaml",
        "source: crm\noutbox: o\ntls: {cert: tls/missing.pem, key: tls/missing-key.pem}\n");
    out = run_output(dir, {BATON_WEBHOOK_PATH, "--config", no_cert, "--check-config"}, status);
    EXPECT_EQ(status, 2);
    EXPECT_NE(out.find("nocert.yaml: tls.cert: " + dir / "tls/missing.pem" +
                       ": cannot open: No such file or directory"),
              std::string::npos)
        << out;

    make_certificate(dir, "hook");
    std::string good = dir.write(
        "good.yaml",
        "http: {host: 0.0.0.0, port: 8443}\nsource: crm\noutbox: o\ntls: {cert: hook-cert.pem, "
        "key: hook-key.pem}\nauth: {callers: [{name: crm, token_file: crm.token}]}\n");
    out = run_output(dir, {BATON_WEBHOOK_PATH, "--config", good, "--check-config"}, status);
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("ok (listen https://0.0.0.0:8443, auth callers crm (token)"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find(crm_token), std::string::npos) << out;
}

TEST(webhook_binaries, https_round_trip_with_a_self_signed_certificate_and_a_token) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    make_certificate(dir, "hook");
    dir.write("secrets/crm.token", crm_token + "\n");
    const int port = testing::free_port();
    std::string cfg = dir.write(
        "hook.yaml", "http: {host: 127.0.0.1, port: " + std::to_string(port) +
                         "}\nsource: sales-crm\nbatond: {ingest: '" + d.ingest() +
                         "'}\noutbox: var/hook.outbox\ntls: {cert: hook-cert.pem, key: "
                         "hook-key.pem}\nauth:\n  callers:\n    - {name: crm, token_file: "
                         "secrets/crm.token}\n");
    testing::child_process hook({BATON_WEBHOOK_PATH, "--config", cfg}, dir / "hook.log");

    httplib::SSLClient client("127.0.0.1", port);
    client.set_ca_cert_path(dir / "hook-cert.pem");  // trust exactly the generated certificate
    client.enable_server_certificate_verification(true);
    ASSERT_TRUE(wait_until(
        [&] {
            auto res = client.Get("/health");
            return res && res->status == 200;
        },
        10s));

    auto res = client.Post("/events/sales.order.placed", bearer(crm_token),
                           placed_body("TLS-1", "SO-T1"), "application/json");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(history_ids(d, "SO-T1"), std::vector<std::string>{"TLS-1"});
    EXPECT_EQ(history_sources(d, "SO-T1"), std::vector<std::string>{"sales-crm"});

    res = client.Post("/events/sales.order.placed", placed_body("TLS-2", "SO-T2"),
                      "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_PRED2(starts_with, str(parse(res->body), "error"), "auth: missing credentials");

    // Plain HTTP gets no answer from the HTTPS port, and a client that does not trust the
    // certificate refuses the connection: the server really speaks TLS with that certificate.
    httplib::Client plain("127.0.0.1", port);
    plain.set_read_timeout(2s);
    EXPECT_FALSE(plain.Get("/health"));
    httplib::SSLClient stranger("127.0.0.1", port);
    stranger.enable_server_certificate_verification(true);
    auto refused = stranger.Get("/health");
    EXPECT_FALSE(refused);
    EXPECT_EQ(refused.error(), httplib::Error::SSLServerVerification);

    hook.signal(SIGTERM);
    EXPECT_EQ(hook.wait(), 0);
    std::ifstream log_file(dir / "hook.log");
    std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
    EXPECT_NE(log.find("listening on https://127.0.0.1:"), std::string::npos) << log;
    EXPECT_NE(log.find("refused POST /events/sales.order.placed from 127.0.0.1: auth: missing"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("1 unauthorized"), std::string::npos) << log;
    EXPECT_EQ(log.find(crm_token), std::string::npos) << log;
}

TEST(webhook_binaries, insecure_listen_on_every_interface_starts_with_a_warning) {
    temp_dir dir;
    const int port = testing::free_port();
    std::string cfg = dir.write("hook.yaml", "http: {host: 0.0.0.0, port: " + std::to_string(port) +
                                                 "}\nsource: sales-crm\noutbox: var/hook.outbox\n"
                                                 "batond: {ingest: 'tcp://127.0.0.1:1'}\n"
                                                 "insecure: true\n");
    testing::child_process hook({BATON_WEBHOOK_PATH, "--config", cfg}, dir / "hook.log");
    httplib::Client client("127.0.0.1", port);
    ASSERT_TRUE(wait_until(
        [&] {
            auto res = client.Get("/health");
            return res && res->status == 200;
        },
        10s));
    hook.signal(SIGTERM);
    EXPECT_EQ(hook.wait(), 0);
    std::ifstream log_file(dir / "hook.log");
    std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
    EXPECT_NE(log.find("listening on 0.0.0.0 without authentication (insecure: true): anyone who "
                       "reaches port " +
                       std::to_string(port) + " can publish events as sales-crm"),
              std::string::npos)
        << log;
}

}  // namespace
}  // namespace baton::adapters::webhook
