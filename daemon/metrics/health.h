// What /healthz and /readyz answer, decided from plain values so a unit test can drive them
// with a fake clock. Liveness: the loop turned within `stall_after` (its poll wakes at least
// once a second). While the state loads (recovery, which may take minutes on a large journal)
// there is no loop yet and batond counts as alive: recovery is progressing or start-up fails
// with an error, and readiness says "loading state". Readiness: loaded, not stopping, storage
// writable.
#pragma once

#include <cstdint>
#include <string>

namespace baton {

struct metrics_snapshot;

struct probe_answer {
    int status = 200;  // HTTP status: 200 or 503
    std::string text;  // one line, without the newline
};

// `last_turn_us` and `now_us` are steady µs; `loaded` turns true when recovery finished.
probe_answer check_health(bool loaded, std::int64_t last_turn_us, std::int64_t now_us,
                          std::int64_t stall_after_us);

// `m` is the latest snapshot (null while loading).
probe_answer check_ready(const metrics_snapshot* m, bool stopping);

}  // namespace baton
