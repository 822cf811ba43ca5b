// Chunks go to the helper when it is idle and are decoded by the caller otherwise, so neither
// core waits for the other while there are rows to read.
#include "order_state_decoder.h"

#include "order_state.h"

namespace baton {

order_state_decoder::order_state_decoder(sink fn, std::size_t chunk_rows)
    : sink_(std::move(fn)), chunk_rows_(chunk_rows), helper_([this] { work(); }) {}

order_state_decoder::~order_state_decoder() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    helper_.join();
}

void order_state_decoder::decode(chunk& c) {
    c.rows.resize(c.states.size());
    order_map scratch;  // where each node is made, and taken out of at once
    for (std::size_t i = 0; i < c.states.size(); ++i) {
        decoded_order& row = c.rows[i];
        auto made = scratch.try_emplace(std::move(c.ids[i])).first;
        order& o = made->second;
        if (!decode_order_state(c.states[i], o, row.error)) {
            if (row.error.empty()) row.error = "unreadable";
        } else if (o.id != made->first) {
            // The map is keyed by the row's id: a state that names another order is not its state.
            row.error = "it is the state of order " + o.id;
        } else {
            row.placed = order_times::placed_entry(o);
            row.closed = order_times::closed_entry(o);
        }
        row.node = scratch.extract(made);
        std::string().swap(c.states[i]);  // the bytes are not needed any more
    }
}

void order_state_decoder::add(std::string_view id, std::string_view state) {
    filling_.ids.emplace_back(id);
    filling_.states.emplace_back(state);
    if (filling_.ids.size() >= chunk_rows_) dispatch();
}

void order_state_decoder::dispatch() {
    if (filling_.ids.empty()) return;
    chunk c = std::move(filling_);
    filling_ = chunk{};
    c.no = next_no_++;
    std::unique_lock lock(mutex_);
    if (!job_ && !helper_busy_) {
        job_ = std::move(c);
        lock.unlock();
        wake_.notify_all();
        lock.lock();
    } else {
        lock.unlock();
        decode(c);
        lock.lock();
        done_.emplace(c.no, std::move(c));
    }
    deliver_ready(lock);
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
        wake_.wait(lock, [this] { return stop_ || job_.has_value(); });
        if (stop_) return;
        chunk c = std::move(*job_);
        job_.reset();
        helper_busy_ = true;
        lock.unlock();
        decode(c);
        lock.lock();
        helper_busy_ = false;
        done_.emplace(c.no, std::move(c));
        wake_.notify_all();
    }
}

}  // namespace baton
