// Where rows come from: a database behind one small interface, so the watermark logic does not
// care whether it talks to SQLite (built in), PostgreSQL (libpq) or anything with an ODBC driver
// (unixODBC); the latter two when the build found them.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "query.h"
#include "sql_config.h"

namespace baton::adapters::sql {

// A failed query or connection, with the database's own message (one line).
struct source_error : std::runtime_error {
    explicit source_error(const std::string& message) : std::runtime_error(message) {}
};

// A bound parameter; the text of an integer is bound as an integer where that matters (SQLite).
struct sql_param {
    std::string text;
    bool integer = false;
    bool null = false;  // bound as SQL NULL; `text` is ignored
};

using sql_cell = std::optional<std::string>;  // nullopt: NULL
using sql_rows = std::vector<std::vector<sql_cell>>;

class source {
public:
    virtual ~source() = default;

    // The text of parameter `index` (1-based) in this database's SQL: "?" or "$1".
    virtual std::string placeholder(int index) const = 0;
    // Runs one query; every cell comes back as text. Throws source_error. A lost connection is
    // re-established by the next call.
    virtual sql_rows query(const std::string& sql, const std::vector<sql_param>& params) = 0;
    // The identifier quote and row-limit syntax of this database.
    virtual sql_dialect dialect() const { return {}; }
    // The database product: "SQLite", "PostgreSQL", or what the ODBC driver reports
    // (SQL_DBMS_NAME: "MariaDB", "MySQL", "Microsoft SQL Server", ...).
    virtual std::string dbms() const = 0;

    // One transaction (baton-sql-out writes a batch of rows in one): begin() connects when
    // needed and starts it; commit() ends it. Each throws source_error. A connection lost inside
    // a transaction is not silently re-established by the next query: that query throws, so
    // the caller rolls back and repeats the whole batch. rollback() never throws.
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;
    // For log lines: "sqlite /var/lib/erp/finance.db", "postgres finance@db1:5432" (no secrets).
    virtual std::string describe() const = 0;
};

// Whether this build can talk to PostgreSQL (libpq was found when it was built).
bool postgres_supported();

// Whether this build can talk to ODBC databases (unixODBC was found when it was built).
bool odbc_supported();

enum class source_access { read_only, read_write };

// Opens the configured database; throws baton::config_error naming the database key when it
// cannot be opened or reached, or when the build lacks the asked-for kind. Only SQLite is opened
// read-only by the connection itself (baton-sql); the others rely on the database user's rights.
std::unique_ptr<source> open_source(const database_config& config,
                                    source_access access = source_access::read_only);

}  // namespace baton::adapters::sql
