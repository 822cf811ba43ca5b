// One polled table end to end: read the rows after the watermark, map them to events, put the
// events in the outbox (durable), then advance the watermark, and let the reliable sender
// deliver them. A crash at any point neither skips a row nor loses an event (see README).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "reliable_sender.h"
#include "source.h"
#include "sql_config.h"
#include "table_reader.h"
#include "time_zone.h"

namespace zmq {
class context_t;
}

namespace baton::adapters::sql {

struct adapter_counters {
    std::uint64_t rows_read = 0;
    std::uint64_t events_submitted = 0;  // put in the outbox
    std::uint64_t rows_rejected = 0;     // the mapping refused them: reported and skipped
    std::uint64_t acked = 0;
    std::uint64_t nacked = 0;       // batond refused them: reported
    std::uint64_t read_errors = 0;  // polls that failed in the database
};

struct poll_result {
    std::size_t rows = 0;
    std::size_t events = 0;
    std::size_t rejected = 0;
    bool more = false;  // the batch was full: read again without waiting
};

// Where reading starts: the state file's watermark, else watermark.start_after, else nullopt
// (from the first row). Throws baton::config_error when the state file is damaged or belongs
// to another table, column or watermark type.
std::optional<std::string> start_watermark(const sql_config& config);

class sql_adapter {
public:
    // Opens the database, checks the table and columns, loads the watermark and opens the
    // outbox. Throws baton::config_error (bad database, table, column or state file) or
    // std::runtime_error (the outbox).
    sql_adapter(sql_config config, zmq::context_t& context);
    ~sql_adapter();
    sql_adapter(const sql_adapter&) = delete;
    sql_adapter& operator=(const sql_adapter&) = delete;

    // Reads one batch, submits its events and stores the new watermark. Throws source_error
    // when the database fails (nothing advanced), std::runtime_error when the watermark file
    // cannot be written (the events are in the outbox; a restart re-reads them harmlessly).
    poll_result poll_batch();

    // --once: reads until no new row is left, then waits up to `timeout` for batond to answer
    // every event. False when some are still unanswered (they stay in the outbox).
    bool drain(std::chrono::milliseconds timeout);

    // Polls every poll_interval and keeps sending until `stop` is set. While the database fails,
    // the wait doubles from poll_interval up to retry_backoff_cap (or poll_interval if longer).
    void run(const std::atomic<bool>& stop);

    const std::optional<std::string>& watermark() const { return watermark_; }
    const adapter_counters& counters() const { return counters_; }
    std::size_t pending() const { return sender_->pending(); }
    const sql_config& config() const { return config_; }
    const source& database() const { return *db_; }

private:
    std::string fallback_id(const std::string& watermark, std::size_t tie) const;
    void apply_time_zone(const row_batch& batch, std::vector<mapped_event>& events) const;

    sql_config config_;
    std::unique_ptr<source> db_;
    std::unique_ptr<table_reader> reader_;
    std::unique_ptr<reliable_sender> sender_;
    std::optional<std::string> watermark_;
    adapter_counters counters_;
    bool warned_ties_ = false;
    std::optional<time_zone> zone_;  // database.time_zone, when given
};

// The longest wait between two attempts to read a failing database.
inline constexpr std::chrono::seconds retry_backoff_cap{60};

// The wait before the next attempt after `failures` failed ones in a row (1, 2, ...).
std::chrono::microseconds retry_delay(std::chrono::microseconds interval, int failures);

}  // namespace baton::adapters::sql
