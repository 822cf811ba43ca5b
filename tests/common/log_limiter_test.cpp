// Tests of common/log_limiter: at most N lines a second, a burst across a second boundary is
// not split, and the next line written says how many were left out.
#include "log_limiter.h"

#include <gtest/gtest.h>

namespace baton {
namespace {

int allowed_in(log_limiter& l, std::int64_t from_ms, int calls, std::int64_t step_ms) {
    int n = 0;
    std::uint64_t suppressed = 0;
    for (int i = 0; i < calls; ++i) n += l.allow(from_ms + i * step_ms, suppressed) ? 1 : 0;
    return n;
}

TEST(log_limiter, a_burst_across_a_second_boundary_is_limited_once) {
    log_limiter l(5);
    // 40 lines from 999.5 s to 1000.3 s: one window, five lines.
    EXPECT_EQ(allowed_in(l, 999500, 40, 20), 5);
}

TEST(log_limiter, the_next_window_says_how_many_were_left_out) {
    log_limiter l(5);
    EXPECT_EQ(allowed_in(l, 1000, 40, 1), 5);
    std::uint64_t suppressed = 0;
    EXPECT_FALSE(l.allow(1999, suppressed));
    EXPECT_TRUE(l.allow(2000, suppressed));
    EXPECT_EQ(suppressed, 36u);
    EXPECT_EQ(log_limiter::more(suppressed), " (36 more not logged)");
    EXPECT_EQ(log_limiter::more(0), "");
}

}  // namespace
}  // namespace baton
