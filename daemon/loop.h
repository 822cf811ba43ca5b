// batond's event loop: one thread owns the sockets and the daemon's state. It polls, reads
// frames and hands every step to a named part: admission (ingest.h), the batch stage (group
// commit, batch.h), the control views (control_views.h), recovery at start (recovery.h) and
// reload (reload.h); then it sends what they hand back (acks, relay messages, replies). When
// configured, it publishes figures for the metrics listener (metrics/metrics_board.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "daemon_state.h"

namespace zmq {
class context_t;
}

namespace baton {

class clock_source;

class loop {
public:
    // Starts the metrics listener (when configured), opens the journal, rebuilds the in-memory
    // state from it and binds every socket. Throws metrics_error (the listener's address is in
    // use), journal_error or zmq::error_t (e.g. address in use) when that fails, and
    // recovery_cancelled when `inputs.stop_requested` turned true during the rebuild.
    loop(const config& cfg, loop_inputs inputs, zmq::context_t& context,
         const clock_source* clock = nullptr);
    ~loop();
    loop(const loop&) = delete;
    loop& operator=(const loop&) = delete;

    // Runs until stop(); on stop it stops reading, commits and acks the open batch and returns.
    void run();
    // Asks run() to finish. Thread-safe and async-signal-safe.
    void stop();
    // Asks run() to re-read schemas, flow, customers and the log level, all or nothing (SIGHUP).
    // Thread-safe and async-signal-safe.
    void reload();

    // Calls `fn` from the loop thread at least every `interval_ms` while run() is running (for
    // the systemd watchdog: a loop that stops turning stops calling it).
    void set_heartbeat(std::function<void()> fn, std::int64_t interval_ms);

    // The endpoints actually bound (a "tcp://127.0.0.1:*" config gets its real port here).
    std::string ingest_endpoint() const;
    std::string relay_endpoint() const;
    std::string control_endpoint() const;
    // The metrics listener's host:port as bound ("" and 0 when `metrics` is not configured).
    std::string metrics_endpoint() const;
    int metrics_port() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace baton
