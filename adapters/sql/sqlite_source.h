// The SQLite source: the sqlite3 C API on a read-only connection, so the adapter can never
// change the department's database, with a busy timeout for databases being written to.
#pragma once

#include <string>

#include "source.h"

struct sqlite3;

namespace baton::adapters::sql {

class sqlite_source final : public source {
public:
    // Throws source_error when the file cannot be opened or is not a SQLite database.
    explicit sqlite_source(const std::string& path);
    ~sqlite_source() override;
    sqlite_source(const sqlite_source&) = delete;
    sqlite_source& operator=(const sqlite_source&) = delete;

    std::string placeholder(int index) const override;
    sql_rows query(const std::string& sql, const std::vector<sql_param>& params) override;
    std::string describe() const override { return "sqlite " + path_; }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace baton::adapters::sql
