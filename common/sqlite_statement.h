// One prepared SQLite statement, finalised when its holder goes: the journal and the adapters'
// outbox prepare, bind, step, read and reset through it, so no early return or throw leaks one.
// Errors are the caller's to word (it knows the file): prepare leaves the holder empty.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace baton {

class sqlite_statement {
public:
    sqlite_statement() = default;
    // Prepares `sql` on `db`; empty (false) when SQLite refuses it: sqlite3_errmsg(db) says why.
    sqlite_statement(sqlite3* db, const char* sql);
    ~sqlite_statement();
    sqlite_statement(sqlite_statement&& other) noexcept;
    sqlite_statement& operator=(sqlite_statement&& other) noexcept;
    sqlite_statement(const sqlite_statement&) = delete;
    sqlite_statement& operator=(const sqlite_statement&) = delete;

    explicit operator bool() const { return stmt_ != nullptr; }
    sqlite3_stmt* get() const { return stmt_; }

    // Parameters count from 1. Text and blobs are not copied: they must outlive the step().
    void bind_int64(int index, std::int64_t v);
    void bind_text(int index, std::string_view text);
    void bind_blob(int index, std::string_view bytes);
    void bind_null(int index);

    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step();
    // Ready to run again, with no parameters bound.
    void reset();

    // Columns count from 0, of the row the last step() returned.
    std::int64_t column_int64(int index) const;
    int column_int(int index) const;
    std::string column_text(int index) const;  // "" for NULL
    // The same without a copy: valid until the next step() or reset().
    std::string_view column_text_view(int index) const;
    std::string column_blob(int index) const;            // "" for NULL
    std::string_view column_blob_view(int index) const;  // valid until step() or reset()

private:
    sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement kept for reuse on every way out of the scope that bound and stepped it.
class sqlite_reset_guard {
public:
    explicit sqlite_reset_guard(sqlite_statement& s) : s_(s) {}
    ~sqlite_reset_guard() { s_.reset(); }
    sqlite_reset_guard(const sqlite_reset_guard&) = delete;
    sqlite_reset_guard& operator=(const sqlite_reset_guard&) = delete;

private:
    sqlite_statement& s_;
};

}  // namespace baton
