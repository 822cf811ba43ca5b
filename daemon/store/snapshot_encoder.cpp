// The snapshot encoder's thread: MessagePack of each copied order, off the loop thread.
#include "snapshot_encoder.h"

#include "codec.h"
#include "order_state.h"

namespace baton {

snapshot_encoder::snapshot_encoder() : thread_([this] { work(); }) {}

snapshot_encoder::~snapshot_encoder() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void snapshot_encoder::submit(snapshot_job job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = std::move(job);
    }
    busy_ = true;
    wake_.notify_all();
}

std::optional<snapshot_rows> snapshot_encoder::take() {
    std::optional<snapshot_rows> out;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        out.swap(done_);
    }
    if (out) busy_ = false;
    return out;
}

snapshot_rows snapshot_encoder::wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return done_.has_value(); });
    snapshot_rows out = std::move(*done_);
    done_.reset();
    busy_ = false;
    return out;
}

void snapshot_encoder::work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || job_.has_value(); });
        if (stop_) return;
        snapshot_job job = std::move(*job_);
        job_.reset();
        lock.unlock();
        snapshot_rows rows;
        rows.header = std::move(job.header);
        rows.orders.reserve(job.orders.size());
        for (const order& o : job.orders) rows.orders.emplace_back(o.id, encode_order_state(o));
        job.orders.clear();  // freed here, not on the loop thread
        lock.lock();
        done_ = std::move(rows);
        wake_.notify_all();
    }
}

}  // namespace baton
