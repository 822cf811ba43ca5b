// Exponential backoff for retrying one delivery: the first retry after `initial`, each next one
// `factor` times later, never more than `max`. Success resets it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace baton::adapters::webhook {

struct backoff_policy {
    std::chrono::milliseconds initial{500};
    std::chrono::milliseconds max{30000};
    double factor = 2.0;
};

class backoff {
public:
    explicit backoff(backoff_policy policy = {}) : policy_(policy), delay_(policy.initial) {}

    // The wait before the next attempt; the one after will be longer.
    std::chrono::milliseconds next() {
        auto now = std::min(delay_, policy_.max);
        auto grown = static_cast<double>(now.count()) * policy_.factor;
        delay_ = std::chrono::milliseconds(
            static_cast<std::int64_t>(std::min(grown, static_cast<double>(policy_.max.count()))));
        ++failures_;
        return now;
    }
    void reset() {
        delay_ = policy_.initial;
        failures_ = 0;
    }
    std::uint32_t failures() const { return failures_; }  // since the last success

private:
    backoff_policy policy_;
    std::chrono::milliseconds delay_;
    std::uint32_t failures_ = 0;
};

}  // namespace baton::adapters::webhook
