// The heart of baton-sql-out: follows batond's relay and hands each batch of messages to the
// table writer; the relay position is saved only after the batch's COMMIT. While the database
// is down the same messages are retried with capped exponential backoff, logged once per outage.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "backoff.h"
#include "relay_follower.h"
#include "sql_out_config.h"
#include "table_writer.h"

namespace zmq {
class context_t;
}

namespace baton::adapters::sql {

class sql_out {
public:
    sql_out(zmq::context_t& context, const sql_out_config& config);
    ~sql_out();
    sql_out(const sql_out&) = delete;
    sql_out& operator=(const sql_out&) = delete;

    // Writes until `stop` becomes true (checked at least every 100 ms).
    void run(const std::atomic<bool>& stop);
    // One step: sleeps out a pending backoff, or waits up to `wait` for a batch and writes it.
    void step(std::chrono::milliseconds wait);

    // Readable from other threads while run() goes on.
    std::uint64_t rows_written() const { return rows_.load(); }      // this run, committed
    std::uint64_t failed_batches() const { return failed_.load(); }  // to be retried
    std::uint64_t last_seq() const { return last_seq_.load(); }      // committed or skipped

private:
    bool write(const std::vector<relayed_message>& batch);

    sql_out_config config_;
    table_writer writer_;
    relay_follower follower_;
    webhook::backoff backoff_;
    std::chrono::steady_clock::time_point next_attempt_{};
    std::atomic<std::uint64_t> rows_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::uint64_t> last_seq_{0};
};

}  // namespace baton::adapters::sql
