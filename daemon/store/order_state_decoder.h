// Order states of the snapshot log decoded on every core at start-up: the caller reads rows
// and hands them over in chunks; helper threads decode the chunks, and the results come back
// to the caller in the order the rows were given (a later row of an order replaces an earlier
// one, so the order matters). The caller only reads and links: it is the one thread that
// cannot be shared out, so it takes no decoding. Chunks in flight are bounded, so a caller
// that reads faster than the helpers decode waits rather than holding the whole log.
//
// Each order is decoded straight into a node of the engine's map, made on the thread that
// decodes it, with its places in the engine's lists by time beside it: the caller only links
// the node into the map (no order moved, nothing of it read on the caller's core).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "order.h"
#include "order_engine.h"

namespace baton {

using order_map = std::unordered_map<std::string, order>;

// One row, decoded.
struct decoded_order {
    order_map::node_type node;  // keyed by the row's id; the order, when `error` is empty
    // Why the row's state is not that order's: it cannot be read, or it names another order.
    std::string error;
    // The order's entries in the engine's lists by time (order_times), when it has them.
    std::optional<order_times::entry> placed, closed;
};

class order_state_decoder {
public:
    // Called on the caller's thread, row by row in the given order.
    using sink = std::function<void(decoded_order& row)>;

    // `helpers` threads decode (0: as many as the machine has cores, from two to eight); the
    // caller's thread reads the rows and links what they give.
    explicit order_state_decoder(sink fn, std::size_t chunk_rows = 2048, std::size_t helpers = 0);
    ~order_state_decoder();
    order_state_decoder(const order_state_decoder&) = delete;
    order_state_decoder& operator=(const order_state_decoder&) = delete;

    void add(std::string_view id, std::string_view state);
    // Decodes what is left and delivers every row; the decoder is done after it.
    void finish();

private:
    struct chunk {
        std::size_t no = 0;
        std::vector<std::string> ids;
        std::string states;             // the rows' states, end to end
        std::vector<std::size_t> ends;  // where each ends in `states`
        std::vector<decoded_order> rows;
    };
    static void decode(chunk& c);
    void dispatch();
    void deliver_ready(std::unique_lock<std::mutex>& lock);
    void work();
    void stop_helpers();

    static constexpr std::size_t max_helpers = 8;

    sink sink_;
    std::size_t chunk_rows_;
    std::size_t in_flight_max_;  // chunks handed out and not yet delivered, at most
    chunk filling_;
    std::size_t next_no_ = 0;       // the next chunk to hand out
    std::size_t delivered_no_ = 0;  // the next chunk to deliver
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<chunk> jobs_;             // handed out, not yet taken by a helper
    std::map<std::size_t, chunk> done_;  // decoded, waiting for the chunks before them
    bool stop_ = false;
    std::vector<std::thread> helpers_;
};

}  // namespace baton
