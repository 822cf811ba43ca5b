// Time as the core sees it: wall time for timestamps and SLAs, a monotonic clock for batching.
// Tests pass a fake; the daemon uses system_clock_source.
#pragma once

#include <chrono>
#include <cstdint>

namespace baton {

class clock_source {
public:
    virtual ~clock_source() = default;
    virtual std::int64_t now_ms() const = 0;     // ms since the Unix epoch
    virtual std::int64_t steady_us() const = 0;  // monotonic µs, arbitrary origin
};

class system_clock_source final : public clock_source {
public:
    std::int64_t now_ms() const override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    std::int64_t steady_us() const override {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

}  // namespace baton
