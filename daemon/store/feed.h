// The exception log feed: one JSON object per line in a file, rotated by size. Lines are
// written after the transaction that stored them commits; at start the writer appends whatever
// the store has that the file lacks, so the file and the store hold the same lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace baton {

class clock_source;
class journal;

class feed_writer {
public:
    // While writes fail, one log line per this interval at most (the first failure and the
    // recovery are always logged).
    static constexpr std::int64_t error_log_interval_ms = 30000;

    // `max_bytes`: rotate when the file would grow past it; `keep`: rotated files kept
    // (path.1 newest ... path.N oldest). An empty `path` keeps no file: lines count as written
    // (`batond --test-flow`, which runs in memory). `clock` (not owned; null: the system clock)
    // dates the failures and spaces their log lines.
    feed_writer(std::string path, std::size_t max_bytes, int keep,
                const clock_source* clock = nullptr);
    ~feed_writer();
    feed_writer(const feed_writer&) = delete;
    feed_writer& operator=(const feed_writer&) = delete;

    // Appends (feed seq, JSON line) pairs, seqs following the last line written. Never
    // throws; a write error is counted and logged (rate-limited), what the failed write left of
    // its line is cut off, and that line and the ones after it are left to the next catch_up()
    // (including lines of later calls, so the file never skips a line).
    void append(const std::vector<std::pair<std::uint64_t, std::string>>& lines);
    // Writes the stored lines the file does not have yet.
    void catch_up(const journal& store);

    std::uint64_t last_seq() const { return last_seq_; }

    // The write state, for the daemon's status:
    // - failing(): the last attempt to open or write the file failed; true until a line is
    //   written again.
    // - last_error(): the most recent failure ("cannot write <path>: <reason>"), kept after a
    //   recovery; empty if there was none.
    // - failing_since_ms(): when the current run of failures began, ms since epoch; 0 when not
    //   failing.
    // - write_errors(): failed opens and writes since start.
    bool failing() const { return failing_; }
    const std::string& last_error() const { return last_error_; }
    std::int64_t failing_since_ms() const { return failing_ ? failing_since_ms_ : 0; }
    std::uint64_t write_errors() const { return write_errors_; }

private:
    void open_file();
    void close_file();
    void rotate();
    void write_lines(const std::vector<std::pair<std::uint64_t, std::string>>& lines,
                     bool from_store);
    bool write_line(const std::string& line);
    void drop_torn_tail();
    void failed(const char* what);
    void succeeded();
    std::uint64_t seq_of_last_line(const std::string& file) const;

    std::string path_;
    std::size_t max_bytes_;
    int keep_;
    const clock_source& clock_;
    int fd_ = -1;                 // opened for appending, or -1
    std::size_t size_ = 0;        // bytes in the file, all of them whole lines
    std::uint64_t last_seq_ = 0;  // the last feed seq written
    std::string buffer_;          // a line and its newline, written in one go

    std::uint64_t write_errors_ = 0;
    bool failing_ = false;
    std::string last_error_;
    std::int64_t failing_since_ms_ = 0;      // ms since epoch
    std::uint64_t failures_in_run_ = 0;      // since failing_ became true
    std::uint64_t failures_not_logged_ = 0;  // since the last log line
    std::int64_t last_log_us_ = 0;           // steady clock
};

}  // namespace baton
