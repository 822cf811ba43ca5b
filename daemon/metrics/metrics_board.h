// Where the loop and the metrics listener meet. The loop stores the time of every turn (one
// relaxed atomic store) and, when a scrape asked for figures (it writes wake_fd(), which the
// loop polls), publishes a snapshot: it holds the mutex only to swap a pointer. The listener's
// threads ask, wait a bounded time for the answer, and otherwise use the last one published:
// a busy or stalled loop never holds up a scrape, and a scrape never holds up the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "metrics_snapshot.h"

namespace baton {

class clock_source;

class metrics_board {
public:
    // Creates the wake descriptor (an eventfd); throws std::system_error when it cannot.
    explicit metrics_board(const clock_source& clock);
    ~metrics_board();
    metrics_board(const metrics_board&) = delete;
    metrics_board& operator=(const metrics_board&) = delete;

    // --- the loop's side -----------------------------------------------------------------
    void note_turn(std::int64_t steady_us) {
        last_turn_us_.store(steady_us, std::memory_order_relaxed);
    }
    // Readable when a scrape waits for a snapshot; take_requests() empties it.
    int wake_fd() const { return wake_fd_; }
    void take_requests();
    // The first publish also says the state is loaded (ready, as far as loading goes).
    void publish(std::shared_ptr<const metrics_snapshot> snapshot);
    // The loop stopped taking input (shutdown): /readyz says so.
    void mark_stopping() { stopping_.store(true); }

    // --- the listener's side ---------------------------------------------------------------
    // A snapshot the loop publishes after this call, or after `wait` the last one published;
    // null while the state is loading (nothing was published yet).
    std::shared_ptr<const metrics_snapshot> fresh(std::chrono::milliseconds wait);
    bool loaded() const { return loaded_.load(); }
    bool stopping() const { return stopping_.load(); }
    // Steady µs of the loop's last turn (0 before the first).
    std::int64_t last_turn_us() const { return last_turn_us_.load(std::memory_order_relaxed); }
    std::int64_t started_ms() const { return started_ms_; }  // ms since the epoch
    const clock_source& clock() const { return clock_; }

private:
    const clock_source& clock_;
    const std::int64_t started_ms_;
    int wake_fd_ = -1;
    std::atomic<std::int64_t> last_turn_us_{0};
    std::atomic<bool> loaded_{false};
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;  // guards latest_ and published_
    std::condition_variable published_cv_;
    std::shared_ptr<const metrics_snapshot> latest_;
    std::uint64_t published_ = 0;  // snapshots published so far
};

}  // namespace baton
