// A warning that a client can trigger at will (a bad body, a wrong token), logged at most
// `per_second` times a second so that a flood cannot fill the disk; the first line after a
// pause says how many were left out meanwhile.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace baton::adapters::webhook {

class rate_limited_log {
public:
    explicit rate_limited_log(int per_second) : per_second_(per_second) {}

    void warn(const std::string& line) {
        const auto now = std::chrono::steady_clock::now();
        std::uint64_t skipped = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (now - window_start_ >= std::chrono::seconds(1)) {
                window_start_ = now;
                in_window_ = 0;
            }
            if (in_window_ >= per_second_) {
                ++skipped_;
                return;
            }
            ++in_window_;
            skipped = skipped_;
            skipped_ = 0;
        }
        if (skipped > 0)
            spdlog::warn("{} ({} more not logged)", line, skipped);
        else
            spdlog::warn("{}", line);
    }

private:
    std::mutex mutex_;
    const int per_second_;
    std::chrono::steady_clock::time_point window_start_{};
    int in_window_ = 0;
    std::uint64_t skipped_ = 0;
};

}  // namespace baton::adapters::webhook
