// The heart of baton-csv-out: follows batond's relay and hands every message, in seq order, to
// each output whose topics it matches. A message counts as processed (the follower moves on)
// only once every such output has written it durably; an I/O error (disk full) stops delivery
// there and the same message is tried again a second later.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "csv_out_config.h"
#include "output_file.h"
#include "relay_follower.h"

namespace zmq {
class context_t;
}

namespace baton::adapters::csv_out {

class csv_export {
public:
    using wall_clock = std::function<std::int64_t()>;  // ms since the epoch
    // `zone` says how {date} and date formats read times (the caller sets TZ for local).
    csv_export(zmq::context_t& context, const csv_out_config& config, clock_zone zone,
               wall_clock now = {});

    // Writes until `stop` becomes true (checked at least every 100 ms).
    void run(const std::atomic<bool>& stop);
    // One step: waits up to `wait` for messages, writes them, then rotates by the clock.
    void step(std::chrono::milliseconds wait, const std::atomic<bool>& stop);

    std::uint64_t last_seq() const { return follower_.last_seq(); }
    std::uint64_t rows_written() const;  // this run, every output
    std::uint64_t write_errors() const { return write_errors_.load(); }
    const std::vector<std::unique_ptr<output_file>>& outputs() const { return outputs_; }

private:
    bool write(const relayed_message& m, const std::atomic<bool>& stop);

    std::vector<std::unique_ptr<output_file>> outputs_;
    relay_follower follower_;
    wall_clock now_;
    std::chrono::steady_clock::time_point retry_at_{};
    std::atomic<std::uint64_t> write_errors_{0};
};

}  // namespace baton::adapters::csv_out
