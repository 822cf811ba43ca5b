// The work of baton-csv: watch the drop folder, read each completely written file that a
// mapping matches, send its rows as events through the outbox, and move the file to done/
// with a report of the rows that did not go in. Callable one pass at a time (--once, tests).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "csv_config.h"
#include "mapping.h"

namespace zmq {
class context_t;
}

namespace baton::adapters {
class reliable_sender;
struct ingest_reply;
}  // namespace baton::adapters

namespace baton::adapters::csv {

enum class file_outcome {
    done,     // sent and answered; moved to done/ (bad rows in <name>.errors.csv beside it)
    failed,   // not readable as a table for its mapping; moved to failed/ with the reason
    waiting,  // batond has not answered every event yet; the file stays for the next pass
};

const char* to_string(file_outcome o);

struct file_report {
    std::string file;     // name in the drop folder
    std::string mapping;  // the mapping that matched it
    file_outcome outcome = file_outcome::done;
    std::size_t rows = 0;      // data rows in the file (header and blank rows not counted)
    std::size_t events = 0;    // events batond acked (new or already known)
    std::size_t bad_rows = 0;  // rows in the error report
    std::string moved_to;      // the file's path in done/ or failed/
    std::string error_report;  // path of the .errors.csv, "" when every row went in
    std::string reason;        // failed or waiting: why
};

class drop_folder {
public:
    // Opens the outbox (throws std::runtime_error naming the file when it cannot).
    drop_folder(zmq::context_t& context, adapter_config config, std::vector<mapping> mappings);
    ~drop_folder();
    drop_folder(const drop_folder&) = delete;
    drop_folder& operator=(const drop_folder&) = delete;

    // One pass over the folder, oldest file first: every complete file that a mapping matches
    // is processed. When batond does not answer, the pass ends there (the rest waits).
    std::vector<file_report> scan_once();

    // Passes every poll_interval until `stop` is set (also checked while waiting for acks).
    void run(const std::atomic<bool>& stop);

    // Reads, sends and moves one file now, complete or not.
    file_report process_file(const std::filesystem::path& path, const mapping& m);

    std::size_t pending() const;  // events in the outbox, not yet answered
    const adapter_config& config() const { return config_; }

private:
    struct attempt;  // the events of the file being sent and the answers received
    struct observation {
        std::uintmax_t size = 0;
        std::filesystem::file_time_type mtime;
        std::chrono::steady_clock::time_point unchanged_since;
    };

    bool is_complete(const std::string& name, std::uintmax_t size,
                     std::filesystem::file_time_type mtime);
    bool wait_for_answers(attempt& a);
    file_report fail_file(file_report rep, const std::filesystem::path& path, std::size_t line,
                          const std::string& reason);

    adapter_config config_;
    std::vector<mapping> mappings_;
    std::unique_ptr<reliable_sender> sender_;
    attempt* current_ = nullptr;
    const std::atomic<bool>* stop_ = nullptr;
    std::unordered_map<std::string, observation> seen_;  // by file name
    std::set<std::string> unmatched_logged_;             // "no mapping" is said once per file
    std::string folder_error_;                           // the last listing error, said once
};

}  // namespace baton::adapters::csv
