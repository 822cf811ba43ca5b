// One `files:` output of baton-csv-out: rows go to a hidden temporary file in the folder
// (`.<final name>.tmp`), made durable (fsync) one by one, and the file is renamed to its final
// name when complete (its day is over, or it holds `rows` rows). A side state file in the
// folder remembers the open file, its length and the last relay seq written, so a crash or a
// stop neither loses nor repeats a row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "columns.h"
#include "csv_out_config.h"
#include "csv_text.h"
#include "log_limiter.h"
#include "relay_follower.h"

namespace baton::adapters::csv_out {

class output_file {
public:
    // Loads the side state; an open temporary file is cut back to the length last recorded
    // (a row written but not recorded comes again from the relay), or completed as it is when
    // its header no longer matches the config. Throws std::runtime_error on I/O errors.
    output_file(const file_output& config, clock_zone zone);
    ~output_file();
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;

    bool wants(const std::string& topic) const;
    // Appends `m` as one row, durably, unless its seq was written already. `now_ms` picks the
    // day. Throws std::runtime_error on I/O errors (disk full): nothing is recorded then.
    void write(const relayed_message& m, std::int64_t now_ms);
    // Completes the open file when its day is over at `now_ms` (rotate: day).
    void tick(std::int64_t now_ms);

    const file_output& config() const { return config_; }
    std::uint64_t last_seq() const { return last_seq_; }
    std::uint64_t rows_written() const { return rows_written_; }        // this run
    std::uint64_t files_completed() const { return files_completed_; }  // this run
    std::uint64_t replaced_characters() const { return replaced_; }     // written as '?'
    std::uint64_t cell_problems() const { return cell_problems_; }      // empty by format
    // The temporary file's name while one is open, "" otherwise.
    std::string open_name() const { return open_ ? open_->tmp : ""; }

private:
    struct open_file {
        std::string tmp;    // ".<final>.tmp", in the folder
        std::string final;  // its name once complete
        std::string day;    // YYYYMMDD it was opened on
        std::uint64_t rows = 0;
        std::uint64_t bytes = 0;  // durable length
    };

    std::string header_bytes();
    std::string row_bytes(const relayed_message& m);
    void open_new(std::uint64_t seq, std::int64_t now_ms);
    void complete();
    void save_state();
    void load_state();
    std::string path(const std::string& name) const;

    file_output config_;
    clock_zone zone_;
    text_encoder encoder_;
    std::string state_path_;
    std::optional<open_file> open_;
    int fd_ = -1;  // the open temporary file
    std::uint64_t last_seq_ = 0;
    std::uint64_t next_n_ = 1;
    std::uint64_t rows_written_ = 0;
    std::uint64_t files_completed_ = 0;
    std::uint64_t replaced_ = 0;
    std::uint64_t cell_problems_ = 0;
    log_limiter log_limit_{5};
};

// The final name of a file: `pattern` with {date}, {seq} and {n} filled in.
std::string file_name(const std::string& pattern, const std::string& date, std::uint64_t seq,
                      std::uint64_t n);

}  // namespace baton::adapters::csv_out
