// The configuration of baton-csv (its --config file): the folder to watch, the mapping file,
// where batond listens, and how long a file must rest before it counts as completely written.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config_error.h"
#include "curve.h"
#include "mapping.h"

namespace baton::adapters::csv {

struct adapter_config {
    std::string file;           // the config file itself
    std::string folder;         // the drop folder the department system exports into
    std::string mappings_file;  // mapping.h's YAML
    std::string done_dir;       // processed files go here (default <folder>/done)
    std::string failed_dir;     // unreadable files go here (default <folder>/failed)
    std::string ingest = "tcp://127.0.0.1:7710";    // batond's ingest socket
    std::string outbox;                             // the adapter's outbox file (SQLite)
    std::chrono::milliseconds poll_interval{1000};  // between two passes over the folder
    std::chrono::milliseconds settle{2000};         // a file unchanged this long is complete
    std::chrono::milliseconds ack_timeout{30000};   // wait this long for batond per file
    std::chrono::milliseconds resend_after{5000};   // resend an unanswered event after this
    char delimiter = ',';                           // ',' ';' or '\t'
    std::string encoding = "utf-8";                 // for mappings without their own
    std::uint64_t max_file_bytes = 256ull << 20;    // larger files are refused
    std::string log_level = "info";
    std::optional<curve_client_keys> curve;  // `curve:` keys, when batond runs with CURVE
};

// Reads and checks the file; relative paths are relative to its folder (done and failed:
// relative to the drop folder). Throws baton::config_error (file, key path, reason).
adapter_config load_config(const std::string& path);

// Loads the mapping file named by the config and checks each mapping's `encoding` (lower-cased,
// refused when iconv does not know it: config_error with "mappings[1].encoding").
std::vector<mapping> load_csv_mappings(const adapter_config& c);

// The encoding of the files `m` matches: its own, else the config's.
const std::string& encoding_for(const adapter_config& c, const mapping& m);

}  // namespace baton::adapters::csv
