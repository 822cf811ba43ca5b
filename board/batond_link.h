// The board's line to batond's control socket: a few REQ clients shared by the HTTP threads
// (a ZeroMQ socket belongs to one thread at a time), each call with the configured timeout.
// Replies come back as batond wrote them; `ok: false` is the caller's to show.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "curve.h"
#include "value.h"

namespace zmq {
class context_t;
}

namespace baton::adapters {
class control_client;
}

namespace baton::board {

struct batond_reply {
    bool reached = false;  // false: no answer (error says why)
    bool ok = false;       // batond's `ok`
    value body;            // the whole reply map
    std::string error;     // batond's `error`, or why it was not reached
};

class batond_link {
public:
    batond_link(zmq::context_t& context, std::string endpoint,
                std::optional<curve_client_keys> curve, std::chrono::milliseconds timeout,
                std::size_t clients = 4);
    ~batond_link();
    batond_link(const batond_link&) = delete;
    batond_link& operator=(const batond_link&) = delete;

    batond_reply call(const value& request);
    const std::string& endpoint() const { return endpoint_; }

private:
    std::string endpoint_;
    std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::condition_variable free_;
    std::vector<std::unique_ptr<adapters::control_client>> idle_;
};

// A request map: {cmd, key: value, ...}.
value request(const char* cmd);

}  // namespace baton::board
