// The HTTP face of baton-webhook: POST /events/<topic> and GET /health on a cpp-httplib server.
// Answers are decided by handle_event(), which does no HTTP and is what the tests drive too.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "event_request.h"
#include "ingest_gateway.h"
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

    // 202 {"id"} once batond acked; 400 {"error", "id"} for a bad event or a nack; 413 for a
    // body above the limit; 503 {"error", "id"} when batond did not answer in time (the event
    // stays in the outbox and is delivered later); 500 when the outbox could not take it.
    http_answer handle_event(const event_request& request);
    http_answer health() const;

    // Routes, worker threads, body limit and JSON error bodies on `server`.
    void install(httplib::Server& server);

    struct counters {
        std::atomic<std::uint64_t> accepted{0};    // 202
        std::atomic<std::uint64_t> rejected{0};    // 400 and 413
        std::atomic<std::uint64_t> unanswered{0};  // 503 after queueing
        std::atomic<std::uint64_t> failed{0};      // 500, or 503 without queueing
    };
    const counters& stats() const { return stats_; }

private:
    webhook_config config_;
    event_rules rules_;
    ingest_gateway& gateway_;
    counters stats_;
};

}  // namespace baton::adapters::webhook
