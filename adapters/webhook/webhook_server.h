// The HTTP face of baton-webhook: POST /events/<topic> and GET /health on a cpp-httplib server
// (HTTP or HTTPS). Answers are decided by handle_event() and health(), which do no HTTP: who
// the caller is (caller_auth), what it sent (build_envelope), what batond said (the gateway).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "caller_auth.h"
#include "event_request.h"
#include "ingest_gateway.h"
#include "rate_limited_log.h"
#include "webhook_config.h"

namespace httplib {
class Server;
}

namespace baton::adapters::webhook {

inline const char* const no_reply_message =
    "batond did not answer; the event is queued and will be delivered";

struct http_answer {
    int status = 500;
    std::string body;       // JSON
    int retry_after_s = 0;  // > 0: send a Retry-After header
};

class webhook_service {
public:
    webhook_service(const webhook_config& config, ingest_gateway& gateway);

    // With auth callers configured: 401 {"error": "auth: ..."} unless `presented` proves a
    // caller, 403 when the caller may not publish as the X-Baton-Source it names. Then 202
    // {"id"} once batond acked; 400 {"error", "id"} for a bad event or a nack; 413 for a body
    // above the limit; 503 {"error", "id"} when batond did not answer in time (the event stays
    // in the outbox and is delivered later); 500 when the outbox could not take it. `peer` is
    // the client's address, for the log.
    http_answer handle_event(const event_request& request, const credentials& presented,
                             const std::string& peer);
    // 200 with the counters. With auth callers configured, a request from another machine
    // needs credentials too (HMAC callers sign the empty body); from loopback it does not.
    http_answer health(const credentials& presented, const std::string& peer);

    // Routes, worker threads, body limit and JSON error bodies on `server`.
    void install(httplib::Server& server);

    struct counters {
        std::atomic<std::uint64_t> accepted{0};      // 202
        std::atomic<std::uint64_t> rejected{0};      // 400 and 413
        std::atomic<std::uint64_t> unanswered{0};    // 503 after queueing
        std::atomic<std::uint64_t> failed{0};        // 500, or 503 without queueing
        std::atomic<std::uint64_t> unauthorized{0};  // 401: no or wrong credentials
        std::atomic<std::uint64_t> forbidden{0};     // 403: a source the caller may not use
    };
    const counters& stats() const { return stats_; }

private:
    // Counts and logs an auth refusal of `what` ("POST /events/x") and makes its answer.
    http_answer refuse(const event_rejection& refusal, const std::string& what,
                       const std::string& peer);

    webhook_config config_;
    event_rules rules_;
    caller_auth auth_;
    ingest_gateway& gateway_;
    counters stats_;
    rate_limited_log rejection_log_{1};  // bad bodies
    rate_limited_log no_reply_log_{1};   // batond not answering
    rate_limited_log auth_log_{5};       // refused credentials
};

}  // namespace baton::adapters::webhook
