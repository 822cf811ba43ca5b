// The SQLite source: the sqlite3 C API on a read-only connection for baton-sql, so it can never
// change the department's database (read-write only for baton-sql-out, which writes a middle
// table), with a busy timeout for databases being written to.
#pragma once

#include <string>

#include "source.h"

struct sqlite3;

namespace baton::adapters::sql {

class sqlite_source final : public source {
public:
    // Throws source_error when the file cannot be opened or is not a SQLite database.
    explicit sqlite_source(const std::string& path, bool writable = false);
    ~sqlite_source() override;
    sqlite_source(const sqlite_source&) = delete;
    sqlite_source& operator=(const sqlite_source&) = delete;

    std::string placeholder(int index) const override;
    sql_rows query(const std::string& sql, const std::vector<sql_param>& params) override;
    std::string describe() const override { return "sqlite " + path_; }
    std::string dbms() const override { return "SQLite"; }
    void begin() override;
    void commit() override;
    void rollback() noexcept override;

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace baton::adapters::sql
