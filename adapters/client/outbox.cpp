// The outbox as one SQLite table. `seq` (AUTOINCREMENT, never reused) gives the send order and
// lets the sender ask for "what was put since I last looked"; `id` is UNIQUE so a second put of
// a pending event keeps the bytes that may already be on the wire.
#include "outbox.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "sqlite_statement.h"

namespace baton::adapters {

namespace {

const char* const create_sql = R"sql(
CREATE TABLE IF NOT EXISTS outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,  -- put order; never reused
    id        TEXT NOT NULL UNIQUE,               -- the envelope's id
    topic     TEXT NOT NULL,
    envelope  BLOB NOT NULL,                      -- the bytes sent every time
    queued_ms INTEGER NOT NULL                    -- when it was put, ms since the epoch
);
)sql";

}  // namespace

outbox::outbox(const std::string& path) : path_(path) {
    if (path_.empty()) throw std::runtime_error("outbox: no file given (outbox_path is empty)");
    std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec)
            throw std::runtime_error("outbox " + path_ +
                                     ": cannot create its folder: " + ec.message());
    }
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("outbox " + path_ + ": cannot open: " + msg);
    }
    try {
        sqlite3_busy_timeout(db_, 5000);
        sqlite_statement wal(db_, "PRAGMA journal_mode=WAL");
        if (!wal || wal.step() != SQLITE_ROW) fail("set WAL mode");
        if (wal.column_text(0) != "wal")
            throw std::runtime_error("outbox " + path_ + ": WAL mode refused (journal_mode is " +
                                     wal.column_text(0) + ")");
        exec("PRAGMA synchronous=FULL");
        exec(create_sql);
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

outbox::~outbox() {
    sqlite3_close(db_);
}

void outbox::exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw std::runtime_error("outbox " + path_ + ": " + msg);
    }
}

void outbox::fail(const std::string& what) const {
    throw std::runtime_error("outbox " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void outbox::insert(const outbox_event& e) {
    // OR IGNORE: a pending id keeps its first bytes (they may be on the wire already).
    sqlite_statement s(
        db_, "INSERT OR IGNORE INTO outbox(id, topic, envelope, queued_ms) VALUES(?,?,?,?)");
    if (!s) fail("prepare put");
    s.bind_text(1, e.id);
    s.bind_text(2, e.topic);
    s.bind_blob(3, e.envelope);
    s.bind_int64(4, e.queued_ms);
    if (s.step() != SQLITE_DONE) fail("put " + e.id);
}

void outbox::erase(const std::string& id) {
    sqlite_statement s(db_, "DELETE FROM outbox WHERE id = ?");
    if (!s) fail("prepare remove");
    s.bind_text(1, id);
    if (s.step() != SQLITE_DONE) fail("remove " + id);
}

void outbox::put(const outbox_event& e) {
    insert(e);
}

void outbox::put_all(const std::vector<outbox_event>& events) {
    if (events.empty()) return;
    exec("BEGIN IMMEDIATE");
    try {
        for (const auto& e : events) insert(e);
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void outbox::remove(const std::string& id) {
    erase(id);
}

void outbox::remove_all(const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    exec("BEGIN IMMEDIATE");
    try {
        for (const auto& id : ids) erase(id);
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

std::vector<outbox_event> outbox::select(std::int64_t after, std::size_t limit) const {
    std::vector<outbox_event> out;
    if (limit == 0) return out;
    sqlite_statement s(db_,
                       "SELECT seq, id, topic, envelope, queued_ms FROM outbox WHERE seq > ? "
                       "ORDER BY seq LIMIT ?");
    if (!s) fail("prepare pending");
    s.bind_int64(1, after);
    s.bind_int64(2, static_cast<std::int64_t>(
                        std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        outbox_event e;
        e.seq = s.column_int64(0);
        e.id = s.column_text(1);
        e.topic = s.column_text(2);
        e.envelope = s.column_blob(3);
        e.queued_ms = s.column_int64(4);
        out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) fail("read pending");
    return out;
}

std::vector<outbox_event> outbox::pending(std::size_t limit) const {
    return select(0, limit);
}

std::vector<outbox_event> outbox::pending_after(std::int64_t seq, std::size_t limit) const {
    return select(seq, limit);
}

std::size_t outbox::size() const {
    sqlite_statement s(db_, "SELECT count(*) FROM outbox");
    if (!s) fail("prepare size");
    if (s.step() != SQLITE_ROW) fail("count");
    return static_cast<std::size_t>(s.column_int64(0));
}

}  // namespace baton::adapters
