// baton-sql-out's configuration: which relay topics become rows of which middle table, through
// which column mapping, in which database (the same `database:` section as baton-sql). Parsed
// once, strictly (unknown keys are errors), into plain structs.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "backoff.h"
#include "column_values.h"
#include "curve.h"
#include "sql_config.h"

namespace baton::adapters::sql {

// One column of a middle table and what goes into it.
struct column_value {
    std::string column;
    value_path path;
    value_format format = value_format::as_is;
};

// A middle table fed by some relay topics: one row per message, keyed by its relay seq.
struct table_target {
    std::vector<std::string> topics;  // prefixes; a message matching any gets a row here
    std::string table;                // "name" or "schema.name"
    std::string seq_column;           // holds the relay seq; UNIQUE or PRIMARY KEY in the table
    std::vector<column_value> columns;
    // Written on insert only; the department system changes it when it has read the row.
    std::string status_column;  // "" : none
    std::string status_value;

    bool wants(const std::string& topic) const;
};

struct sql_out_config {
    std::string file;                              // absolute path of the config file
    std::string relay = "tcp://127.0.0.1:7711";    // batond's relay socket
    std::string control = "tcp://127.0.0.1:7712";  // batond's control socket (replay)
    std::optional<curve_client_keys> curve;        // `curve:` keys, when batond runs with CURVE
    std::string state_path;                        // the last committed relay seq
    database_config database;
    std::vector<table_target> tables;
    std::size_t batch_rows = 500;  // messages per transaction, at most
    // How long to wait for the first message of a batch; what arrived by then is taken.
    std::chrono::milliseconds batch_wait{200};
    webhook::backoff_policy retry{std::chrono::seconds(1), std::chrono::seconds(60), 2.0};
    std::string log_level = "info";

    // Every table's topic prefixes, each once (what the relay follower hands over).
    std::vector<std::string> topics() const;
};

// Loads and checks the file; throws baton::config_error (file, key path, reason). Relative
// paths are relative to the config file's folder.
sql_out_config load_sql_out_config(const std::string& path);

}  // namespace baton::adapters::sql
