// The liveness and readiness decisions of the metrics listener.
#include "health.h"

#include <cstdio>

#include "metrics_snapshot.h"

namespace baton {

probe_answer check_health(bool loaded, std::int64_t last_turn_us, std::int64_t now_us,
                          std::int64_t stall_after_us) {
    if (!loaded) return {200, "ok: loading state"};
    const std::int64_t idle_us = now_us - last_turn_us;
    if (idle_us < stall_after_us) return {200, "ok"};
    char text[96];
    std::snprintf(text, sizeof text, "loop has not turned for %.1f s",
                  static_cast<double>(idle_us) / 1e6);
    return {503, text};
}

probe_answer check_ready(const metrics_snapshot* m, bool stopping) {
    if (!m) return {503, "loading state"};
    if (stopping) return {503, "stopping"};
    if (m->storage_failing) return {503, "storage failing: " + m->storage_error};
    return {200, "ready"};
}

}  // namespace baton
