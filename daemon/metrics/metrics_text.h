// batond's metrics in the Prometheus text exposition format (0.0.4): the families, their names,
// HELP, labels and units (docs/protocol.md, "metrics"), built from a snapshot on the listener's
// thread and written by prometheus-cpp's TextSerializer. The names are a contract: alert rules
// are written against them.
#pragma once

#include <cstdint>
#include <string>

namespace baton {

struct metrics_snapshot;

inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// What the scrape adds to the snapshot, read at scrape time.
struct scrape_facts {
    std::string version;
    std::int64_t started_ms = 0;    // process start, ms since the epoch
    std::int64_t last_turn_ms = 0;  // the loop's last turn, ms since the epoch (0: none yet)
    bool ready = false;             // what /readyz answers
};

// `m` is null while the state loads: then only baton_build_info, baton_start_time_seconds,
// baton_ready and baton_loop_last_turn_timestamp_seconds (when the loop turned) are written.
std::string render_metrics(const metrics_snapshot* m, const scrape_facts& facts);

}  // namespace baton
