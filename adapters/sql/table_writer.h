// Writes batches of relayed messages as rows of middle tables, one transaction per batch, each
// row an INSERT that does nothing when its relay seq is already there, so a batch written twice
// (a crash between COMMIT and saving the relay position) leaves one row per message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "log_limiter.h"
#include "relay_follower.h"
#include "source.h"
#include "sql_out_config.h"
#include "time_zone.h"

namespace baton::adapters::sql {

// How a database says "insert unless this seq is there" (README "baton-sql-out").
enum class insert_style {
    on_conflict,       // PostgreSQL, SQLite: INSERT ... ON CONFLICT (seq) DO NOTHING
    on_duplicate_key,  // MySQL, MariaDB: INSERT ... ON DUPLICATE KEY UPDATE seq = seq
    where_not_exists,  // anything else (SQL Server): INSERT ... SELECT ... WHERE NOT EXISTS
};

// By the product name a source reports (source::dbms()).
insert_style insert_style_for(const std::string& dbms);

// The INSERT of one table for `style`; parameters in the order of insert_params().
std::string insert_sql(const table_target& t, insert_style style, const source& db);

struct write_outcome {
    bool committed = false;
    std::size_t rows = 0;  // INSERTs sent (rows already there included)
    std::string error;     // the database's message when not committed (no password)
};

class table_writer {
public:
    // Does not connect: the first write() does, so a database that is down at start-up is
    // retried like one that goes down later.
    explicit table_writer(const sql_out_config& config);
    // For tests: write through an open source.
    table_writer(const sql_out_config& config, std::unique_ptr<source> db);
    ~table_writer();

    // Every message, for every table whose topics it matches, in one transaction.
    write_outcome write(const std::vector<relayed_message>& batch);

    // Connects now (when not yet connected) and checks that every table and column exists;
    // throws source_error or config_error.
    void check_tables();

    // Values that did not fit their column's format and were written as NULL.
    std::uint64_t value_errors() const { return value_errors_; }
    std::string describe() const;

private:
    source& connected();
    std::vector<sql_param> params_of(const table_target& t, const relayed_message& m);

    sql_out_config config_;
    std::unique_ptr<source> db_;
    std::optional<time_zone> zone_;
    std::vector<std::string> inserts_;  // per table, for the connected database
    insert_style style_ = insert_style::on_conflict;
    std::uint64_t value_errors_ = 0;
    log_limiter value_log_{5};  // lines a second about values that did not fit
};

}  // namespace baton::adapters::sql
