// Batches, retries and the outage log of baton-sql-out.
#include "sql_out.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace baton::adapters::sql {

namespace {

using namespace std::chrono_literals;

follower_options follower_options_of(const sql_out_config& c) {
    follower_options o;
    o.relay = c.relay;
    o.control = c.control;
    o.topics = c.topics();
    o.state_path = c.state_path;
    o.curve = c.curve;
    return o;
}

}  // namespace

sql_out::sql_out(zmq::context_t& context, const sql_out_config& config)
    : config_(config),
      writer_(config),
      follower_(context, follower_options_of(config)),
      backoff_(config.retry) {
    last_seq_ = follower_.last_seq();
}

sql_out::~sql_out() = default;

void sql_out::run(const std::atomic<bool>& stop) {
    while (!stop.load()) step(std::min<std::chrono::milliseconds>(config_.batch_wait, 100ms));
}

void sql_out::step(std::chrono::milliseconds wait) {
    auto now = std::chrono::steady_clock::now();
    if (now < next_attempt_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
        std::this_thread::sleep_for(std::min(left + 1ms, wait));
        return;
    }
    follower_.poll_batch(wait, config_.batch_rows,
                         [&](const std::vector<relayed_message>& batch) { return write(batch); });
    last_seq_ = follower_.last_seq();
}

bool sql_out::write(const std::vector<relayed_message>& batch) {
    write_outcome out = writer_.write(batch);
    if (out.committed) {
        if (backoff_.failures() > 0)
            spdlog::info("{}: database back after {} failed attempt(s); wrote seq {}..{}",
                         writer_.describe(), backoff_.failures(), batch.front().seq,
                         batch.back().seq);
        backoff_.reset();
        rows_ += out.rows;
        spdlog::debug("committed {} row(s) for seq {}..{}", out.rows, batch.front().seq,
                      batch.back().seq);
        return true;
    }
    ++failed_;
    const bool first = backoff_.failures() == 0;
    auto delay = backoff_.next();
    next_attempt_ = std::chrono::steady_clock::now() + delay;
    // Once per outage; the retries in between only at debug level.
    if (first)
        spdlog::warn(
            "{}: cannot write seq {}..{}: {}; the relay position is kept, the same messages "
            "are retried with backoff (first in {} ms, then up to every {} ms)",
            writer_.describe(), batch.front().seq, batch.back().seq, out.error, delay.count(),
            config_.retry.max.count());
    else
        spdlog::debug("retry {} failed: {}; next in {} ms", backoff_.failures(), out.error,
                      delay.count());
    return false;
}

}  // namespace baton::adapters::sql
