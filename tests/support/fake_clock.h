// A clock the test moves by hand: wall time for timestamps and SLAs, steady time for batching.
#pragma once

#include <cstdint>

#include "clock.h"

namespace baton::testing {

class fake_clock final : public clock_source {
public:
    explicit fake_clock(std::int64_t now_ms = 1795000000000) : now_ms_(now_ms) {}
    std::int64_t now_ms() const override { return now_ms_; }
    std::int64_t steady_us() const override { return steady_us_; }
    // Moves both clocks on by `ms`.
    void advance_ms(std::int64_t ms) {
        now_ms_ += ms;
        steady_us_ += ms * 1000;
    }
    void advance_us(std::int64_t us) {
        steady_us_ += us;
        now_ms_ += us / 1000;
    }

private:
    std::int64_t now_ms_;
    std::int64_t steady_us_ = 1000000;
};

}  // namespace baton::testing
