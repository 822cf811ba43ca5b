// SQLite source: read-only connection, one prepared statement per query, cells as text.
#include "sqlite_source.h"

#include <sqlite3.h>

#include <cstdlib>

namespace baton::adapters::sql {

namespace {

constexpr int busy_timeout_ms = 5000;  // a writer holding the lock this long is an error

// Finalizes the statement however the query ends.
struct statement {
    sqlite3_stmt* s = nullptr;
    ~statement() { sqlite3_finalize(s); }
};

}  // namespace

sqlite_source::sqlite_source(const std::string& path, bool writable) : path_(path) {
    const int mode = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    int rc = sqlite3_open_v2(path.c_str(), &db_, mode | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw source_error(msg);
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // Without this, SQLite reads "missing_column" in double quotes as a string literal, and a
    // misspelt column would silently become a constant instead of an error.
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
    try {
        query("SELECT count(*) FROM sqlite_master", {});  // "file is not a database" shows here
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

sqlite_source::~sqlite_source() {
    sqlite3_close(db_);
}

void sqlite_source::begin() {
    query("BEGIN IMMEDIATE", {});  // takes the write lock now, not at the first INSERT
}

void sqlite_source::commit() {
    query("COMMIT", {});
}

void sqlite_source::rollback() noexcept {
    if (sqlite3_get_autocommit(db_)) return;  // no transaction open (or SQLite ended it)
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

std::string sqlite_source::placeholder(int index) const {
    return "?" + std::to_string(index);
}

sql_rows sqlite_source::query(const std::string& sql, const std::vector<sql_param>& params) {
    statement st;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &st.s, nullptr) !=
        SQLITE_OK)
        throw source_error(sqlite3_errmsg(db_));
    for (std::size_t i = 0; i < params.size(); ++i) {
        const auto& p = params[i];
        int index = static_cast<int>(i + 1);
        int rc;
        if (p.null)
            rc = sqlite3_bind_null(st.s, index);
        else if (p.integer)
            rc = sqlite3_bind_int64(st.s, index, std::strtoll(p.text.c_str(), nullptr, 10));
        else
            rc = sqlite3_bind_text(st.s, index, p.text.data(), static_cast<int>(p.text.size()),
                                   SQLITE_TRANSIENT);
        if (rc != SQLITE_OK) throw source_error(sqlite3_errmsg(db_));
    }
    sql_rows rows;
    const int n = sqlite3_column_count(st.s);
    for (;;) {
        int rc = sqlite3_step(st.s);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) throw source_error(sqlite3_errmsg(db_));
        std::vector<sql_cell> r;
        r.reserve(static_cast<std::size_t>(n));
        for (int c = 0; c < n; ++c) {
            if (sqlite3_column_type(st.s, c) == SQLITE_NULL) {
                r.emplace_back(std::nullopt);
                continue;
            }
            const auto* text = sqlite3_column_text(st.s, c);
            int bytes = sqlite3_column_bytes(st.s, c);
            r.emplace_back(
                std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes)));
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

}  // namespace baton::adapters::sql
