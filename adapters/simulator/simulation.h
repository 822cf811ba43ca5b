// Runs the plant against batond: takes its events in order, paces them by simulated time (or
// sends as fast as batond acks), keeps a window of events in flight, resends what got no answer
// and counts acks and nacks. Used by baton-sim, the end-to-end tests and load runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "curve.h"
#include "plant.h"

namespace zmq {
class context_t;
}

namespace baton::adapters::simulator {

struct run_options {
    std::string ingest = "tcp://127.0.0.1:7710";  // batond's ingest socket
    double speed = 600;          // simulated seconds per real second; 0: as fast as possible
    std::int64_t warmup_ms = 0;  // simulated time from the start sent fast-forward, then paced
    double warmup_speedup = 50;  // the warm-up runs this many times faster than `speed`
    std::size_t window = 1000;   // events sent and not yet answered
    std::chrono::milliseconds resend_after{5000};    // no answer this long: send it again
    int max_sends = 5;                               // then give up on it (counted as unanswered)
    std::chrono::milliseconds final_wait{30000};     // at the end, wait this long for answers
    std::chrono::milliseconds progress_every{5000};  // a progress line this often; 0: none
    std::size_t nacks_kept = 5;                      // nack reasons kept for the summary
    std::optional<curve_client_keys> curve;  // --server-key/--key, when batond runs with CURVE
};

struct run_report {
    plant_stats plant;
    std::string run_tag;
    std::uint64_t sent = 0;  // events sent at least once
    std::uint64_t acked = 0;
    std::uint64_t nacked = 0;
    std::uint64_t resent = 0;              // sends after the first
    std::uint64_t unanswered = 0;          // never answered (given up, or still out at the end)
    std::vector<std::string> first_nacks;  // "id topic: reason"
    double real_seconds = 0;
    std::int64_t simulated_ms = 0;  // simulated time covered
    bool interrupted = false;       // stopped before the plant was done
    bool done() const { return !interrupted && unanswered == 0; }
};

// Runs until the plant is done and every event is answered, or `stop` turns true (then the
// plant stops placing orders and the run ends after a short wait for answers). Progress lines
// and warnings go to `log` (nullptr: silent).
run_report run_simulation(plant& p, zmq::context_t& context, const run_options& options,
                          const std::atomic<bool>* stop = nullptr, std::FILE* log = nullptr);

// One line: simulated time, orders placed/closed/cancelled/on hold, events and answers.
std::string progress_line(const run_report& r, std::int64_t simulated_now_ms);
// The summary printed at the end: orders, events, faults, first nacks.
std::string summary_text(const run_report& r, std::uint64_t seed);

}  // namespace baton::adapters::simulator
