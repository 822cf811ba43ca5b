// Maps gateway answers to HTTP statuses and JSON bodies, and wires them into cpp-httplib. Every
// body, even httplib's own errors (404, 413 above the limit), is a JSON object with "error".
#include "webhook_server.h"

#include "https_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "json.h"

namespace baton::adapters::webhook {

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string error_body(const std::string& error, const std::string& id) {
    value v(value_map{});
    v.set("error", error);
    if (!id.empty()) v.set("id", id);
    return to_json(v);
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Client-chosen text for a log line: control characters (a decoded %0a in a path) could forge
// lines, and a long one would flood it.
std::string printable(const std::string& text) {
    std::string s = text.substr(0, 160);
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return s;
}

credentials credentials_of(const httplib::Request& req) {
    credentials c;
    if (req.has_header("Authorization")) c.authorization = req.get_header_value("Authorization");
    if (req.has_header(signature_header_name))
        c.signature = req.get_header_value(signature_header_name);
    return c;
}

}  // namespace

webhook_service::webhook_service(const webhook_config& config, ingest_gateway& gateway)
    : config_(config), auth_(config.auth), gateway_(gateway) {
    rules_.source = config.source;
    rules_.allow_source_header = config.allow_source_header;
    rules_.max_body_bytes = config.max_body_bytes;
}

http_answer webhook_service::refuse(const event_rejection& refusal, const std::string& what,
                                    const std::string& peer) {
    (refusal.status == 401 ? stats_.unauthorized : stats_.forbidden).fetch_add(1);
    auth_log_.warn(fmt::format("refused {} from {}: {}", printable(what), peer.empty() ? "?" : peer,
                               refusal.reason));
    return {refusal.status, error_body(refusal.reason, {}), 0};
}

http_answer webhook_service::handle_event(const event_request& request,
                                          const credentials& presented, const std::string& peer) {
    // Who is asking comes first: a stranger learns nothing about what a good body looks like.
    event_rules rules = rules_;
    if (auth_.enabled()) {
        const caller* who = nullptr;
        auto refusal = auth_.authenticate(presented, request.body, now_s(), who);
        std::string source;
        if (!refusal) refusal = choose_source(*who, request, config_.allow_source_header, source);
        if (refusal) return refuse(*refusal, "POST /events/" + request.topic, peer);
        rules.source = source;
        rules.allow_source_header = false;  // choose_source has read it
    }

    envelope e;
    if (auto bad = build_envelope(request, rules, now_ms(), e)) {
        stats_.rejected.fetch_add(1);
        rejection_log_.warn(fmt::format("refused POST /events/{} from {}: {}",
                                        printable(request.topic), peer, bad->reason));
        return {bad->status, error_body(bad->reason, bad->id), 0};
    }
    gateway_answer answer = gateway_.submit(e, config_.reply_timeout);
    switch (answer.what) {
        case gateway_answer::kind::acked: {
            stats_.accepted.fetch_add(1);
            spdlog::debug("event {} on {} acked", e.id, e.topic);
            value v(value_map{});
            v.set("id", e.id);
            return {202, to_json(v), 0};
        }
        case gateway_answer::kind::nacked:
            stats_.rejected.fetch_add(1);
            return {400, error_body(answer.reason, e.id), 0};
        case gateway_answer::kind::no_reply: {
            stats_.unanswered.fetch_add(1);
            no_reply_log_.warn(
                fmt::format("no answer from batond at {} within {} ms; event {} stays queued",
                            config_.ingest, config_.reply_timeout.count(), e.id));
            auto retry = std::chrono::duration_cast<std::chrono::seconds>(config_.resend_after);
            return {503, error_body(no_reply_message, e.id),
                    static_cast<int>(std::max<std::int64_t>(1, retry.count()))};
        }
        case gateway_answer::kind::not_queued:
            stats_.failed.fetch_add(1);
            if (answer.reason.rfind("outbox:", 0) == 0) {
                spdlog::error("event {} not accepted: {}", e.id, answer.reason);
                return {500, error_body(answer.reason + "; the event was not accepted", e.id), 0};
            }
            return {503, error_body(answer.reason + "; the event was not accepted", e.id), 1};
    }
    return {500, error_body("internal: unexpected answer", e.id), 0};
}

http_answer webhook_service::health(const credentials& presented, const std::string& peer) {
    if (auth_.enabled() && !is_loopback_host(peer)) {
        const caller* who = nullptr;
        if (auto refusal = auth_.authenticate(presented, {}, now_s(), who))
            return refuse(*refusal, "GET /health", peer);
    }
    value v(value_map{});
    v.set("status", "ok");
    v.set("source", config_.source);
    v.set("outbox", static_cast<std::uint64_t>(gateway_.pending()));
    v.set("acked", gateway_.acked());
    v.set("nacked", gateway_.nacked());
    v.set("accepted", stats_.accepted.load());
    v.set("rejected", stats_.rejected.load());
    v.set("unanswered", stats_.unanswered.load());
    v.set("auth", auth_.enabled());
    v.set("unauthorized", stats_.unauthorized.load());
    v.set("forbidden", stats_.forbidden.load());
    return {200, to_json(v), 0};
}

void webhook_service::install(httplib::Server& server) {
    const std::size_t threads = config_.threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_payload_max_length(config_.max_body_bytes);

    auto reply = [this](httplib::Response& res, const http_answer& a) {
        res.status = a.status;
        if (a.retry_after_s > 0) res.set_header("Retry-After", std::to_string(a.retry_after_s));
        if (a.status == 401) res.set_header("WWW-Authenticate", auth_.challenge());
        res.set_content(a.body, "application/json");
    };

    server.Post(R"(/events/([^/]*))",
                [this, reply](const httplib::Request& req, httplib::Response& res) {
                    event_request r;
                    r.topic = req.matches[1].str();
                    r.body = req.body;
                    if (req.has_header("X-Baton-Source"))
                        r.source_header = req.get_header_value("X-Baton-Source");
                    reply(res, handle_event(r, credentials_of(req), req.remote_addr));
                });
    server.Get("/health", [this, reply](const httplib::Request& req, httplib::Response& res) {
        reply(res, health(credentials_of(req), req.remote_addr));
    });

    const std::size_t max_body = config_.max_body_bytes;
    server.set_error_handler([max_body](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;  // a handler's own answer
        std::string error;
        if (res.status == 404)
            error = "not found: " + req.method + " " + req.path +
                    " (use POST /events/<topic> or GET /health)";
        else if (res.status == 413)
            error = "limit: body larger than " + std::to_string(max_body) + " bytes";
        else
            error = "http: status " + std::to_string(res.status);
        res.set_content(error_body(error, {}), "application/json");
    });
    server.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
            const std::string what = what_of(ep);
            spdlog::error("{} {}: {}", req.method, req.path, what);
            res.status = 500;
            res.set_content(error_body("internal: " + what, {}), "application/json");
        });
}

}  // namespace baton::adapters::webhook
