// The heart of baton-http-out: follows batond's relay and POSTs each message to the URL its
// topic routes to, one at a time and in seq order. A failed POST is retried, the same message,
// with exponential backoff; nothing after it goes out first. The follower's state file makes a
// restart (or batond's replay after downtime) continue with the first undelivered message.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "backoff.h"
#include "http_out_config.h"
#include "relay_follower.h"

namespace httplib {
class Client;
}
namespace zmq {
class context_t;
}

namespace baton::adapters::webhook {

// The JSON body of one POST: {"seq": N, "topic": "...", "envelope": {v, id, source, topic, ts,
// order, seq, cause, data}}.
std::string relayed_message_json(const relayed_message& m);

struct post_outcome {
    bool delivered = false;  // the receiver answered 2xx
    std::string detail;      // "status 503", "connection refused", ... for the log
};

class relay_poster {
public:
    relay_poster(zmq::context_t& context, const http_out_config& config);
    ~relay_poster();
    relay_poster(const relay_poster&) = delete;
    relay_poster& operator=(const relay_poster&) = delete;

    // Delivers until `stop` becomes true (checked at least every 100 ms).
    void run(const std::atomic<bool>& stop);
    // One step: sleeps out a pending backoff, or waits up to `wait` for messages and delivers.
    void step(std::chrono::milliseconds wait, const std::atomic<bool>& stop);

    // Readable from other threads while run() goes on.
    std::uint64_t delivered() const { return delivered_.load(); }  // messages, this run
    std::uint64_t failed_posts() const { return failed_.load(); }  // attempts to be retried
    std::uint64_t last_seq() const { return follower_.last_seq(); }

private:
    bool deliver(const relayed_message& m, const std::atomic<bool>& stop);
    post_outcome post(const route& r, const relayed_message& m);

    http_out_config config_;
    relay_follower follower_;
    backoff backoff_;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::map<std::string, std::unique_ptr<httplib::Client>> clients_;  // by scheme_host_port
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> failed_{0};
};

}  // namespace baton::adapters::webhook
