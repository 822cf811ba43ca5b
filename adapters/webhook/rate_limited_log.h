// A warning that a client can trigger at will (a bad body, a wrong token), logged at most
// `per_second` times a second so that a flood cannot fill the disk; the first line after a
// pause says how many were left out meanwhile. common/log_limiter.h, shared by the HTTP worker
// threads behind a mutex.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "log_limiter.h"

namespace baton::adapters::webhook {

class rate_limited_log {
public:
    explicit rate_limited_log(int per_second) : limiter_(per_second) {}

    void warn(const std::string& line) {
        const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count();
        std::uint64_t suppressed = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!limiter_.allow(now_ms, suppressed)) return;
        }
        spdlog::warn("{}{}", line, log_limiter::more(suppressed));
    }

private:
    std::mutex mutex_;
    log_limiter limiter_;
};

}  // namespace baton::adapters::webhook
