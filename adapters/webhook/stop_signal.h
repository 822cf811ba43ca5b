// SIGINT and SIGTERM for the adapters' mains, taken synchronously: blocked in every thread and
// collected with wait(), so no ZeroMQ poll or HTTP call is cut short by a signal handler.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace baton::adapters::webhook {

class stop_signal {
public:
    // Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards
    // (construct it first in main), and ignores SIGPIPE.
    stop_signal();
    // Waits up to `timeout`; the signal's number when one came, 0 otherwise.
    int wait(std::chrono::milliseconds timeout);
    // A thread that sets `stop` when a signal comes (logging "signal N: stopping <what>") and
    // ends once `stop` is set, by it or by the caller; join it before `stop` goes.
    std::thread watch(std::atomic<bool>& stop, std::string what);
};

}  // namespace baton::adapters::webhook
