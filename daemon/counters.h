// What batond counts while it runs: the figures `status` reports under `counters`, and the
// Prometheus counters of the metrics listener (metrics_text.cpp).
#pragma once

#include <array>
#include <cstdint>

#include "ingest.h"

namespace baton {

struct counters {
    std::uint64_t received = 0;                        // envelopes read from ingest (metrics only)
    std::uint64_t accepted = 0;                        // events committed from ingest
    std::uint64_t duplicates = 0;                      // events acked again without being applied
    std::array<std::uint64_t, refusal_count> nacks{};  // by refusal code
    std::uint64_t subscribed = 0;                      // events committed from subscribe connectors
    std::uint64_t subscribe_refused = 0;
    std::uint64_t feed_gaps = 0;
    std::uint64_t batches = 0;
    std::uint64_t commit_failures = 0;
    std::uint64_t control_requests = 0;
    std::uint64_t control_forbidden = 0;  // control requests refused for want of rights
    std::uint64_t reloads = 0;
    std::uint64_t reloads_refused = 0;
};

}  // namespace baton
