// batond's event loop: one thread owns the sockets, the journal and the in-memory state. It
// admits events, groups them into batches, commits each batch in one transaction and only then
// acks; it answers control requests between batches.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config.h"
#include "customers.h"
#include "flow.h"
#include "schema.h"

namespace zmq {
class context_t;
}

namespace baton {

class clock_source;

// What the loop runs with besides the config: the compiled schemas, the flow, the seed
// customers, and whether to throw away the stored order state and rebuild it from the journal.
struct loop_inputs {
    schema_set schemas;
    flow_def flow;
    std::vector<customer> customers;
    bool rebuild_state = false;
};

// Loads the schemas, flow and customers files that `cfg` names; throws config_error.
loop_inputs load_inputs(const config& cfg);

class loop {
public:
    // Opens the journal, rebuilds the in-memory state from it and binds every socket. Throws
    // journal_error or zmq::error_t (e.g. address in use) when that fails.
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

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace baton
