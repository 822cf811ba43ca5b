// Maps gateway answers to HTTP statuses and JSON bodies, and wires them into cpp-httplib. Every
// body, even httplib's own errors (404, 413 above the limit), is a JSON object with "error".
#include "webhook_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

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

// At most one line per second for a kind of trouble that a misbehaving client can repeat at
// will; the lines left out are counted in the next one.
class rate_limited_log {
public:
    void warn(const std::string& line) {
        auto now = std::chrono::steady_clock::now();
        std::uint64_t skipped = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (now - last_ < std::chrono::seconds(1)) {
                ++skipped_;
                return;
            }
            last_ = now;
            skipped = skipped_;
            skipped_ = 0;
        }
        if (skipped > 0)
            spdlog::warn("{} ({} similar line(s) left out)", line, skipped);
        else
            spdlog::warn("{}", line);
    }

private:
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_{};
    std::uint64_t skipped_ = 0;
};

rate_limited_log rejection_log;
rate_limited_log no_reply_log;

}  // namespace

webhook_service::webhook_service(const webhook_config& config, ingest_gateway& gateway)
    : config_(config), gateway_(gateway) {
    rules_.source = config.source;
    rules_.allow_source_header = config.allow_source_header;
    rules_.max_body_bytes = config.max_body_bytes;
}

http_answer webhook_service::handle_event(const event_request& request) {
    envelope e;
    if (auto bad = build_envelope(request, rules_, now_ms(), e)) {
        stats_.rejected.fetch_add(1);
        rejection_log.warn(fmt::format("refused POST /events/{}: {}", request.topic, bad->reason));
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
            no_reply_log.warn(
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

http_answer webhook_service::health() const {
    value v(value_map{});
    v.set("status", "ok");
    v.set("source", config_.source);
    v.set("outbox", static_cast<std::uint64_t>(gateway_.pending()));
    v.set("acked", gateway_.acked());
    v.set("nacked", gateway_.nacked());
    v.set("accepted", stats_.accepted.load());
    v.set("rejected", stats_.rejected.load());
    v.set("unanswered", stats_.unanswered.load());
    return {200, to_json(v), 0};
}

void webhook_service::install(httplib::Server& server) {
    const std::size_t threads = config_.threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_payload_max_length(config_.max_body_bytes);

    auto reply = [](httplib::Response& res, const http_answer& a) {
        res.status = a.status;
        if (a.retry_after_s > 0) res.set_header("Retry-After", std::to_string(a.retry_after_s));
        res.set_content(a.body, "application/json");
    };

    server.Post(R"(/events/([^/]*))",
                [this, reply](const httplib::Request& req, httplib::Response& res) {
                    event_request r;
                    r.topic = req.matches[1].str();
                    r.body = req.body;
                    if (req.has_header("X-Baton-Source"))
                        r.source_header = req.get_header_value("X-Baton-Source");
                    reply(res, handle_event(r));
                });
    server.Get("/health", [this, reply](const httplib::Request&, httplib::Response& res) {
        reply(res, health());
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
            std::string what = "unknown";
            try {
                if (ep) std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            spdlog::error("{} {}: {}", req.method, req.path, what);
            res.status = 500;
            res.set_content(error_body("internal: " + what, {}), "application/json");
        });
}

}  // namespace baton::adapters::webhook
