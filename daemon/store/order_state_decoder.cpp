// Chunks queue for the helpers; the caller delivers the decoded ones in order whenever it hands
// one out or waits, so neither side holds the other up longer than a chunk.
#include "order_state_decoder.h"

#include <algorithm>

#include "order_state.h"

namespace baton {

order_state_decoder::order_state_decoder(sink fn, std::size_t chunk_rows, std::size_t helpers)
    : sink_(std::move(fn)), chunk_rows_(chunk_rows) {
    if (helpers == 0)
        helpers = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, max_helpers);
    in_flight_max_ = 4 * helpers;
    try {
        for (std::size_t i = 0; i < helpers; ++i) helpers_.emplace_back([this] { work(); });
    } catch (...) {  // a thread that could not start: the ones that did are stopped
        stop_helpers();
        throw;
    }
}

order_state_decoder::~order_state_decoder() {
    stop_helpers();
}

void order_state_decoder::stop_helpers() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : helpers_) t.join();
}

void order_state_decoder::decode(chunk& c) {
    c.rows.resize(c.ids.size());
    order_map scratch;  // where each node is made, and taken out of at once
    std::size_t begin = 0;
    for (std::size_t i = 0; i < c.ids.size(); ++i) {
        const std::string_view state(c.states.data() + begin, c.ends[i] - begin);
        begin = c.ends[i];
        decoded_order& row = c.rows[i];
        auto made = scratch.try_emplace(std::move(c.ids[i])).first;
        order& o = made->second;
        // Nothing may escape a helper's thread (that ends the process): what throws makes the
        // row unreadable, and the caller says so.
        try {
            if (!decode_order_state(state, o, row.error)) {
                if (row.error.empty()) row.error = "unreadable";
            } else if (o.id != made->first) {
                // Keyed by the row's id: a state that names another order is not its state.
                row.error = "it is the state of order " + o.id;
            } else {
                row.placed = order_times::placed_entry(o);
                row.closed = order_times::closed_entry(o);
            }
        } catch (const std::exception& e) {
            row.error = e.what();
        }
        row.node = scratch.extract(made);
    }
    std::string().swap(c.states);  // the bytes are not needed any more
}

void order_state_decoder::add(std::string_view id, std::string_view state) {
    filling_.ids.emplace_back(id);
    filling_.states.append(state);
    filling_.ends.push_back(filling_.states.size());
    if (filling_.ids.size() >= chunk_rows_) dispatch();
}

void order_state_decoder::dispatch() {
    if (filling_.ids.empty()) return;
    chunk c = std::move(filling_);
    filling_ = chunk{};
    filling_.ids.reserve(chunk_rows_);
    filling_.ends.reserve(chunk_rows_);
    filling_.states.reserve(c.states.size());
    c.no = next_no_++;
    std::unique_lock lock(mutex_);
    jobs_.push_back(std::move(c));
    wake_.notify_all();
    // Room for the next: what is decoded goes to the sink meanwhile.
    for (;;) {
        deliver_ready(lock);
        if (next_no_ - delivered_no_ < in_flight_max_) return;
        wake_.wait(lock, [this] { return done_.count(delivered_no_) != 0; });
    }
}

void order_state_decoder::deliver_ready(std::unique_lock<std::mutex>& lock) {
    for (auto it = done_.find(delivered_no_); it != done_.end(); it = done_.find(delivered_no_)) {
        chunk c = std::move(it->second);
        done_.erase(it);
        ++delivered_no_;
        lock.unlock();
        for (decoded_order& row : c.rows) sink_(row);
        lock.lock();
    }
}

void order_state_decoder::finish() {
    dispatch();
    std::unique_lock lock(mutex_);
    for (;;) {
        deliver_ready(lock);
        if (delivered_no_ == next_no_) return;
        wake_.wait(lock, [this] { return done_.count(delivered_no_) != 0; });
    }
}

void order_state_decoder::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        chunk c = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        decode(c);
        lock.lock();
        done_.emplace(c.no, std::move(c));
        wake_.notify_all();
    }
}

}  // namespace baton
