// Histograms as Prometheus counts them: fixed upper bounds, one count per bucket, a sum and a
// count. The loop owns them as plain values (no atomics, no locks) and hands copies to the
// metrics listener (metrics_board.h); loop_histograms are the three batond keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace baton {

class histogram {
public:
    // `bounds`: ascending upper bounds (inclusive, Prometheus' `le`); +Inf is implied after the
    // last. It must outlive the histogram and its copies (the sets below are static).
    explicit histogram(const std::vector<double>& bounds);

    void observe(double v);

    const std::vector<double>& bounds() const { return *bounds_; }
    // Observations per bucket, not cumulative: bounds().size() + 1 entries, the last for +Inf.
    const std::vector<std::uint64_t>& counts() const { return counts_; }
    // Observations at or below bounds()[i] (i == bounds().size(): all of them).
    std::uint64_t cumulative(std::size_t i) const;
    std::uint64_t count() const { return count_; }
    double sum() const { return sum_; }

private:
    const std::vector<double>* bounds_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

// Bucket bounds: seconds for latencies and commit times, events for batch sizes.
const std::vector<double>& seconds_bounds();
const std::vector<double>& batch_size_bounds();

// What the loop times, for baton_ack_latency_seconds, baton_batch_events, baton_commit_seconds.
struct loop_histograms {
    histogram ack_latency{seconds_bounds()};      // event read -> its ack sent, seconds
    histogram batch_events{batch_size_bounds()};  // events per committed batch
    histogram commit_seconds{seconds_bounds()};   // one batch's transaction incl. fsync
};

}  // namespace baton
