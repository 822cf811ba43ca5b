// Tests of daemon/metrics/health: what /healthz and /readyz answer, on a fake clock.
#include "health.h"

#include <gtest/gtest.h>

#include "fake_clock.h"
#include "metrics_snapshot.h"

namespace baton {
namespace {

using testing::fake_clock;

constexpr std::int64_t ten_s = 10 * 1000000;

TEST(health, a_loop_that_turned_within_stall_after_is_healthy) {
    fake_clock clock;
    const std::int64_t turn = clock.steady_us();
    clock.advance_ms(9999);
    probe_answer a = check_health(true, turn, clock.steady_us(), ten_s);
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.text, "ok");
}

TEST(health, a_loop_that_has_not_turned_for_stall_after_is_unhealthy_with_how_long) {
    fake_clock clock;
    const std::int64_t turn = clock.steady_us();
    clock.advance_ms(12345);
    probe_answer a = check_health(true, turn, clock.steady_us(), ten_s);
    EXPECT_EQ(a.status, 503);
    EXPECT_EQ(a.text, "loop has not turned for 12.3 s");
    clock.advance_ms(-12345 + 10000);  // exactly stall_after: not alive any more
    EXPECT_EQ(check_health(true, turn, clock.steady_us(), ten_s).status, 503);
}

TEST(health, loading_the_state_counts_as_alive_however_long_it_takes) {
    fake_clock clock;
    clock.advance_ms(600000);
    probe_answer a = check_health(false, 0, clock.steady_us(), ten_s);
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.text, "ok: loading state");
}

TEST(health, ready_only_when_loaded_not_stopping_and_storage_writable) {
    probe_answer loading = check_ready(nullptr, false);
    EXPECT_EQ(loading.status, 503);
    EXPECT_EQ(loading.text, "loading state");

    metrics_snapshot m;
    EXPECT_EQ(check_ready(&m, false).status, 200);
    EXPECT_EQ(check_ready(&m, false).text, "ready");
    EXPECT_EQ(check_ready(&m, true).status, 503);
    EXPECT_EQ(check_ready(&m, true).text, "stopping");

    m.storage_failing = true;
    m.storage_error = "database or disk is full";
    probe_answer failing = check_ready(&m, false);
    EXPECT_EQ(failing.status, 503);
    EXPECT_EQ(failing.text, "storage failing: database or disk is full");
}

}  // namespace
}  // namespace baton
