// Tests of daemon/metrics/histogram: which bucket an observation lands in (bounds are
// inclusive, as Prometheus' `le`), cumulative counts, sum and count, and copies.
#include "histogram.h"

#include <gtest/gtest.h>

namespace baton {
namespace {

const std::vector<double> bounds{1, 2, 5};

TEST(histogram, an_observation_on_a_bound_lands_in_that_bucket) {
    histogram h(bounds);
    h.observe(1);
    h.observe(2);
    h.observe(5);
    EXPECT_EQ(h.counts(), (std::vector<std::uint64_t>{1, 1, 1, 0}));
}

TEST(histogram, observations_fill_buckets_cumulatively_with_inf_last) {
    histogram h(bounds);
    for (double v : {0.0, 0.5, 1.5, 3.0, 4.9, 5.1, 100.0}) h.observe(v);
    EXPECT_EQ(h.counts(), (std::vector<std::uint64_t>{2, 1, 2, 2}));
    EXPECT_EQ(h.cumulative(0), 2u);
    EXPECT_EQ(h.cumulative(1), 3u);
    EXPECT_EQ(h.cumulative(2), 5u);
    EXPECT_EQ(h.cumulative(3), 7u);  // +Inf: all of them
    EXPECT_EQ(h.count(), 7u);
    EXPECT_DOUBLE_EQ(h.sum(), 0.0 + 0.5 + 1.5 + 3.0 + 4.9 + 5.1 + 100.0);
}

TEST(histogram, a_copy_keeps_its_counts_while_the_original_goes_on) {
    histogram h(bounds);
    h.observe(1.5);
    histogram copy = h;
    h.observe(1.5);
    EXPECT_EQ(copy.count(), 1u);
    EXPECT_EQ(h.count(), 2u);
    EXPECT_EQ(&copy.bounds(), &h.bounds());  // the bounds are shared, not copied
}

TEST(histogram, the_loop_histograms_use_the_documented_bounds) {
    loop_histograms h;
    ASSERT_EQ(h.ack_latency.bounds().size(), 14u);
    EXPECT_DOUBLE_EQ(h.ack_latency.bounds().front(), 0.0005);
    EXPECT_DOUBLE_EQ(h.ack_latency.bounds().back(), 10);
    ASSERT_EQ(h.batch_events.bounds().size(), 12u);
    EXPECT_DOUBLE_EQ(h.batch_events.bounds().back(), 5000);
    h.commit_seconds.observe(0.003);  // 2.5 ms < 3 ms <= 5 ms
    EXPECT_EQ(h.commit_seconds.counts()[3], 1u);
}

}  // namespace
}  // namespace baton
