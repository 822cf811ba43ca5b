// Delivery, retries and the POST itself. One keep-alive client per receiver; a client is thrown
// away after a failure so the retry starts from a fresh connection.
#include "relay_poster.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "json.h"

namespace baton::adapters::webhook {

namespace {

using namespace std::chrono_literals;

value envelope_value(const envelope& e) {
    value v(value_map{});
    v.set("v", e.v);
    v.set("id", e.id);
    v.set("source", e.source);
    v.set("topic", e.topic);
    v.set("ts", e.ts_ms);
    if (e.order) v.set("order", *e.order);
    if (e.seq) v.set("seq", *e.seq);
    if (e.cause) v.set("cause", *e.cause);
    v.set("data", e.data);
    return v;
}

follower_options follower_options_of(const http_out_config& c) {
    follower_options o;
    o.relay = c.relay;
    o.control = c.control;
    o.topics = c.routes.prefixes();
    o.state_path = c.state;
    o.curve = c.curve;
    return o;
}

std::string excerpt(const std::string& body) {
    std::string s = body.substr(0, 200);
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return body.size() > 200 ? s + "..." : s;
}

// httplib's error names ("Connection", "Read") say little in a log line on their own.
std::string describe(httplib::Error e) {
    switch (e) {
        case httplib::Error::Connection: return "cannot connect (refused or unreachable)";
        case httplib::Error::ConnectionTimeout: return "connect timed out";
        case httplib::Error::Read: return "no answer (read failed or timed out)";
        case httplib::Error::Write: return "sending the request failed";
        case httplib::Error::SSLConnection: return "TLS handshake failed";
        case httplib::Error::SSLServerVerification: return "TLS certificate not trusted";
        default: return "HTTP error: " + httplib::to_string(e);
    }
}

}  // namespace

std::string relayed_message_json(const relayed_message& m) {
    value v(value_map{});
    v.set("seq", m.seq);
    v.set("topic", m.topic);
    v.set("envelope", envelope_value(m.env));
    return to_json(v);
}

relay_poster::relay_poster(zmq::context_t& context, const http_out_config& config)
    : config_(config), follower_(context, follower_options_of(config)), backoff_(config.retry) {}

relay_poster::~relay_poster() = default;

void relay_poster::run(const std::atomic<bool>& stop) {
    while (!stop.load()) step(100ms, stop);
}

void relay_poster::step(std::chrono::milliseconds wait, const std::atomic<bool>& stop) {
    auto now = std::chrono::steady_clock::now();
    if (now < next_attempt_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
        std::this_thread::sleep_for(std::min(left + 1ms, wait));
        return;
    }
    follower_.poll(wait, [&](const relayed_message& m) { return deliver(m, stop); });
}

bool relay_poster::deliver(const relayed_message& m, const std::atomic<bool>& stop) {
    if (stop.load()) return false;  // not processed: the next run starts with it
    const route* r = config_.routes.match(m.topic);
    if (!r) {
        // The subscription uses the same prefixes, so this is only a message the follower
        // handed over through a broader replay: nobody wants it.
        spdlog::debug("seq {} ({}) matches no route; skipped", m.seq, m.topic);
        return true;
    }
    post_outcome out = post(*r, m);
    if (out.delivered) {
        if (backoff_.failures() > 0)
            spdlog::info("{} accepted seq {} after {} failed attempt(s); delivering in order again",
                         r->url, m.seq, backoff_.failures());
        backoff_.reset();
        ++delivered_;
        spdlog::debug("delivered seq {} ({}) to {}", m.seq, m.topic, r->url);
        return true;
    }
    ++failed_;
    auto delay = backoff_.next();
    next_attempt_ = std::chrono::steady_clock::now() + delay;
    spdlog::warn("POST seq {} ({}) to {} failed: {}; retrying the same message in {} ms", m.seq,
                 m.topic, r->url, out.detail, delay.count());
    return false;
}

post_outcome relay_poster::post(const route& r, const relayed_message& m) {
    auto& client = clients_[r.target.scheme_host_port];
    if (!client) {
        client = std::make_unique<httplib::Client>(r.target.scheme_host_port);
        auto t = config_.request_timeout;
        client->set_connection_timeout(t);
        client->set_read_timeout(t);
        client->set_write_timeout(t);
        client->set_keep_alive(true);
    }
    httplib::Headers headers;
    for (const auto& [name, v] : r.headers) headers.emplace(name, v);
    headers.emplace("X-Baton-Seq", std::to_string(m.seq));
    headers.emplace("X-Baton-Topic", m.topic);
    std::string body = relayed_message_json(m);

    post_outcome out;
    auto res = client->Post(r.target.path, headers, body, "application/json");
    if (!res) {
        out.detail = describe(res.error());
    } else if (res->status >= 200 && res->status < 300) {
        out.delivered = true;
        return out;
    } else {
        out.detail = "status " + std::to_string(res->status);
        if (!res->body.empty()) out.detail += ": " + excerpt(res->body);
    }
    client.reset();  // start the retry from a fresh connection
    return out;
}

}  // namespace baton::adapters::webhook
