// baton-csv-out's configuration (README.md), parsed once into plain structs. Unknown keys are
// errors; relative paths are relative to the config file's folder; every encoding is checked
// with iconv_open at load.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "columns.h"
#include "config_error.h"
#include "curve.h"

namespace baton::adapters::csv_out {

enum class rotation { day, rows };

// One `files:` entry: which topics, where, named how, rotated when, in which bytes.
struct file_output {
    std::string key;                  // "files[0]", for log lines
    std::vector<std::string> topics;  // prefixes; "" is every topic
    std::string folder;               // absolute; must exist
    std::string name;                 // pattern with {date}, {seq}, {n}
    rotation rotate = rotation::day;
    std::uint64_t rows = 0;          // rows per file, with rotation::rows
    std::string encoding = "utf-8";  // any iconv name
    char delimiter = ',';
    bool bom = false;               // byte-order mark first (UTF-8, UTF-16, UTF-32 only)
    std::string line_end = "\r\n";  // "\r\n" (crlf) or "\n" (lf)
    std::vector<column> columns;
};

struct csv_out_config {
    std::string file;                              // absolute path of the config file itself
    std::string relay = "tcp://127.0.0.1:7711";    // batond's relay socket
    std::string control = "tcp://127.0.0.1:7712";  // batond's control socket (replay)
    std::string state;                             // absolute: the follower's last seq
    std::string time_zone;  // IANA name for {date} and date formats; "" is UTC
    std::vector<file_output> files;
    std::string log_level = "info";
    std::optional<curve_client_keys> curve;  // `curve:` keys, when batond runs with CURVE
};

// Reads and checks the file; throws baton::config_error (file, key path, reason).
csv_out_config load_csv_out_config(const std::string& path);

// The relay topic prefixes to follow for all outputs: empty when one output takes every topic.
std::vector<std::string> followed_prefixes(const std::vector<file_output>& files);

}  // namespace baton::adapters::csv_out
