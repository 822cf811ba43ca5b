// One copy of the figures batond exposes as Prometheus metrics, taken by the loop when a scrape
// asks (metrics_collect.h) and read by the listener's threads (metrics_board.h). Plain values:
// the HTTP threads never touch the loop's state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "counters.h"
#include "histogram.h"

namespace baton {

// The labelled gauges, counted by walking the orders and the desk. Label values come from the
// flow (stage, holder, dept) and the fixed kind and severity tables: never an order or customer.
struct label_gauges {
    struct stage_count {
        std::string stage, holder;
        std::uint64_t orders = 0;  // open orders in this stage with this holder
    };
    struct exception_count {
        std::string kind, severity, dept;
        std::uint64_t open = 0;  // open or acknowledged
    };
    struct task_count {
        std::string dept;
        std::uint64_t open = 0;  // open or escalated
    };
    std::vector<stage_count> orders;
    std::vector<exception_count> exceptions;
    std::vector<task_count> tasks;
};

struct metrics_snapshot {
    counters stats;
    std::uint64_t auth_refused = 0;       // ZAP refused a CURVE key
    std::uint64_t handshakes_failed = 0;  // peers without CURVE or with the wrong server key
    std::uint64_t feed_write_errors = 0;
    std::uint64_t dedup_entries = 0;
    std::uint64_t timers_pending = 0;
    std::uint64_t relay_seq = 0;      // last committed relay message
    std::int64_t journal_events = 0;  // last journal seq
    std::uint64_t batch_waiting = 0;  // events admitted, not yet committed and acked
    bool storage_failing = false;
    std::string storage_error;  // why, while failing
    bool feed_failing = false;
    loop_histograms histograms;
    // Shared between snapshots while it is not counted again (see metrics_collector).
    std::shared_ptr<const label_gauges> labels;
};

}  // namespace baton
