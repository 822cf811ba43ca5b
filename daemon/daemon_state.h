// The state batond's named parts share: the configuration and what it loaded (schemas, flow,
// seed customers), the journal, the duplicate window, the order engine, the exception desk, the
// feed file, the counters and histograms. One thread owns it (the loop's); the parts — batch stage,
// notices, recovery, control views, reload — each take it by reference and do one job with it.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "clock.h"
#include "config.h"
#include "counters.h"
#include "customers.h"
#include "dedup.h"
#include "exceptions.h"
#include "feed.h"
#include "flow.h"
#include "histogram.h"
#include "ingest.h"
#include "journal.h"
#include "order_engine.h"
#include "schema.h"

namespace baton {

// What batond runs with besides the config: the compiled schemas, the flow, the seed
// customers, whether to throw away the stored order state and rebuild it from the journal, and
// a flag a signal handler may set to stop batond before its loop runs (during a long rebuild).
struct loop_inputs {
    schema_set schemas;
    flow_def flow;
    std::vector<customer> customers;
    bool rebuild_state = false;
    const std::atomic<bool>* stop_requested = nullptr;
};

// Loads the schemas, flow and customers files that `cfg` names; throws config_error.
loop_inputs load_inputs(const config& cfg);

struct daemon_state {
    // Opens the journal (throws journal_error) and the feed file; the order state is empty
    // until recovery rebuilds it.
    daemon_state(const config& c, loop_inputs in, const clock_source& clk);
    daemon_state(const daemon_state&) = delete;
    daemon_state& operator=(const daemon_state&) = delete;

    config cfg;
    schema_set schemas;
    flow_def flow;
    std::vector<customer> seed_customers;
    ingest_rules rules;  // points at `schemas`
    const clock_source& clock;
    journal store;
    dedup_window dedup;
    order_engine engine;
    exception_desk desk;
    feed_writer feed;
    counters stats;
    loop_histograms histograms;  // ack latency, batch sizes, commit times (metrics)
    std::int64_t started_ms = 0;
};

}  // namespace baton
