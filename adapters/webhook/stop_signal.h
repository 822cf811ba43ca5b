// SIGINT and SIGTERM for the adapters' mains, taken synchronously: blocked in every thread and
// collected with wait(), so no ZeroMQ poll or HTTP call is cut short by a signal handler.
#pragma once

#include <chrono>

namespace baton::adapters::webhook {

class stop_signal {
public:
    // Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards
    // (construct it first in main), and ignores SIGPIPE.
    stop_signal();
    // Waits up to `timeout`; the signal's number when one came, 0 otherwise.
    int wait(std::chrono::milliseconds timeout);
};

}  // namespace baton::adapters::webhook
