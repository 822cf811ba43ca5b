// Live updates: a thread follows batond's relay (the client library's relay_follower: gaps
// filled with `replay`) and hands each exception and task notice to the hub; every open board
// page waits on the hub through its server-sent-event stream and refreshes what changed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "relay_follower.h"

namespace zmq {
class context_t;
}

namespace baton::board {

// One notice as the pages receive it: the SSE event name (`exception` or `task`) and a small
// JSON object (id, state, dept, order, assignee).
struct live_event {
    std::uint64_t seq = 0;  // the hub's own count of notices (set by publish)
    std::string type;
    std::string json;
};

class live_hub {
public:
    explicit live_hub(std::size_t keep = 4096) : keep_(keep) {}

    void publish(live_event e);
    // The events after `after`, waiting up to `timeout` for one. `gap` is set when some of them
    // are no longer kept (the page then reloads its part as a whole); `stopped` when the hub is
    // shutting down.
    std::vector<live_event> wait(std::uint64_t after, std::chrono::milliseconds timeout, bool& gap,
                                 bool& stopped);
    std::uint64_t last() const;
    void stop();

    // Open streams, for the log and the benchmark.
    void opened() { ++streams_; }
    void closed() { --streams_; }
    int streams() const { return streams_.load(); }

private:
    const std::size_t keep_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<live_event> events_;
    std::uint64_t last_ = 0;
    bool stopped_ = false;
    std::atomic<int> streams_{0};
};

// The notice a relayed `exception.*` or `task.*` message becomes; false for other topics.
bool live_event_of(const adapters::relayed_message& m, live_event& out);

// Follows the relay on a thread of its own from batond's current relay seq (pages load the
// present from the control socket; only what happens next matters here).
class live_feed {
public:
    // `start_seq` asks batond's current relay seq (nullopt while it does not answer).
    live_feed(zmq::context_t& context, adapters::follower_options options, live_hub& hub,
              std::function<std::optional<std::uint64_t>()> start_seq);
    ~live_feed();
    live_feed(const live_feed&) = delete;
    live_feed& operator=(const live_feed&) = delete;

    void start();
    void stop();
    bool following() const { return following_.load(); }

private:
    void run();

    zmq::context_t& context_;
    adapters::follower_options options_;
    live_hub& hub_;
    std::function<std::optional<std::uint64_t>()> start_seq_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> following_{false};
    std::thread thread_;
};

}  // namespace baton::board
