// baton-sql's configuration: which database and table to poll, by which watermark column, how
// rows become events (a column mapping), and where the events, the outbox and the watermark go.
// Parsed once, strictly (unknown keys are errors), into plain structs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "curve.h"
#include "mapping.h"

namespace baton::yaml {
class node;
}

namespace baton::adapters::sql {

enum class database_kind { sqlite, postgres, odbc };

// An ODBC data source: a DSN of odbc.ini or a driver connection string, and the credentials.
struct odbc_settings {
    std::string dsn;            // a name in odbc.ini, or ""
    std::string connection;     // "Driver=...;Server=...;" (without the password), or ""
    std::string user;           // "" : the DSN's or the string's own
    std::string password;       // read from password_file or password_env; never logged
    std::string password_from;  // "file /etc/baton/erp.pw", "env ERP_PW" (for messages)
    std::int64_t query_timeout_us = 30'000'000;  // SQL_ATTR_QUERY_TIMEOUT (whole seconds)
};

// How watermark values compare: as integers, or as text exactly as the database stores it
// (ISO timestamps compare correctly as text; PostgreSQL compares in the column's own type).
enum class watermark_type { integer, text };

// A column the adapter reads, with the config key that named it (for error messages).
struct column_use {
    std::string column;
    std::string file;  // the file holding the key: the config file or the mapping file
    std::string key;   // e.g. "watermark.column", "mappings[0].fields.amount_cents.column"
};

// The `database:` section, shared by baton-sql and baton-sql-out (one parser, one set of rules).
struct database_config {
    std::string file;  // absolute path of the config file

    database_kind kind = database_kind::sqlite;
    std::string sqlite_path;  // sqlite: the database file (baton-sql opens it read-only)
    std::string conninfo;     // postgres: a libpq connection string (may hold a password)
    odbc_settings odbc;       // odbc
    // database.time_zone: the zone of date-times stored without one ("Asia/Shanghai",
    // "+08:00", "UTC"); "" : the machine's (TZ). Applies to the mapping's ts column.
    std::string time_zone;
};

struct sql_config : database_config {
    std::string table;  // table or view: "name" or "schema.name"
    std::string watermark_column;
    watermark_type watermark_kind = watermark_type::integer;
    std::optional<std::string> start_after;  // without a state file: read rows after this value
    std::size_t batch = 500;                 // rows per query (see README: ties come along)
    std::int64_t poll_interval_us = 5'000'000;

    mapping row_mapping;       // the one mapping used; its `match` is ignored
    std::string mapping_file;  // where it came from (the config file when inline)
    std::string mapping_key;   // its key path there: "mappings[2]" or "mapping.inline"

    std::string ingest_endpoint = "tcp://127.0.0.1:7710";
    std::string outbox_path;
    std::int64_t resend_after_us = 5'000'000;
    std::size_t max_pending = 10'000;        // outbox backlog above which no new rows are read
    std::optional<curve_client_keys> curve;  // `curve:` keys, when batond runs with CURVE

    std::string state_path;  // the watermark, written atomically after each batch
    std::string log_level = "info";

    // Every column read: the watermark first, then the mapping's, each once.
    std::vector<column_use> columns() const;
};

// Reads a `database:` section (kind sqlite, postgres or odbc and their keys, time_zone) into
// `out`, whose `file` is already set; `base` is the folder relative paths start from.
void parse_database_section(const yaml::node& db, const std::string& base, database_config& out);

// Loads, checks and cross-checks a config file and its mapping; throws baton::config_error
// (file, key path, reason). Relative paths are relative to the config file's folder.
sql_config load_sql_config(const std::string& path);

const char* to_string(database_kind k);
const char* to_string(watermark_type t);

}  // namespace baton::adapters::sql
