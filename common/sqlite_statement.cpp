// The prepared-statement holder over SQLite's C API.
#include "sqlite_statement.h"

#include <sqlite3.h>

#include <utility>

namespace baton {

sqlite_statement::sqlite_statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt_);  // null after a failed prepare; harmless either way
        stmt_ = nullptr;
    }
}

sqlite_statement::~sqlite_statement() {
    sqlite3_finalize(stmt_);
}

sqlite_statement::sqlite_statement(sqlite_statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)) {}

sqlite_statement& sqlite_statement::operator=(sqlite_statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

void sqlite_statement::bind_int64(int index, std::int64_t v) {
    sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(v));
}

void sqlite_statement::bind_text(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void sqlite_statement::bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
}

void sqlite_statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
}

int sqlite_statement::step() {
    return sqlite3_step(stmt_);
}

void sqlite_statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t sqlite_statement::column_int64(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

int sqlite_statement::column_int(int index) const {
    return sqlite3_column_int(stmt_, index);
}

std::string sqlite_statement::column_text(int index) const {
    const unsigned char* p = sqlite3_column_text(stmt_, index);  // before _bytes, as SQLite asks
    if (!p) return std::string();
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string_view sqlite_statement::column_text_view(int index) const {
    const unsigned char* p = sqlite3_column_text(stmt_, index);  // before _bytes, as SQLite asks
    if (!p) return std::string_view();
    return std::string_view(reinterpret_cast<const char*>(p),
                            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string_view sqlite_statement::column_blob_view(int index) const {
    const void* p = sqlite3_column_blob(stmt_, index);
    if (!p) return std::string_view();
    return std::string_view(static_cast<const char*>(p),
                            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string sqlite_statement::column_blob(int index) const {
    const void* p = sqlite3_column_blob(stmt_, index);
    if (!p) return std::string();
    return std::string(static_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

}  // namespace baton
