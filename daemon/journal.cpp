// SQLite storage of the journal.
#include "journal.h"

#include <sqlite3.h>

#include <cassert>
#include <filesystem>

namespace baton {

namespace {

const char* const create_sql = R"sql(
CREATE TABLE IF NOT EXISTS journal (
    seq         INTEGER PRIMARY KEY,   -- arrival order; appends only
    received_ms INTEGER NOT NULL,
    ts_ms       INTEGER NOT NULL,
    topic       TEXT NOT NULL,
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    order_id    TEXT,
    origin      INTEGER NOT NULL,      -- 0 ingest (acked), 1 subscribe (at-most-once)
    envelope    BLOB NOT NULL
);
)sql";

struct statement_reset {
    sqlite3_stmt* s;
    ~statement_reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

std::string column_text(sqlite3_stmt* s, int i) {
    auto* p = sqlite3_column_text(s, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
             : std::string();
}

void fill(sqlite3_stmt* s, bool with_envelope, journal_entry& e) {
    e.seq = sqlite3_column_int64(s, 0);
    e.received_ms = sqlite3_column_int64(s, 1);
    e.ts_ms = sqlite3_column_int64(s, 2);
    e.topic = column_text(s, 3);
    e.source = column_text(s, 4);
    e.id = column_text(s, 5);
    e.order = column_text(s, 6);
    e.origin = static_cast<origin>(sqlite3_column_int(s, 7));
    if (with_envelope) {
        auto* p = static_cast<const char*>(sqlite3_column_blob(s, 8));
        e.envelope.assign(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 8)));
    } else {
        e.envelope.clear();
    }
}

}  // namespace

journal::journal(const std::string& data_dir) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) throw journal_error("cannot create data_dir " + data_dir + ": " + ec.message());
    path_ = (std::filesystem::path(data_dir) / "baton.db").string();
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw journal_error("cannot open " + path_ + ": " + msg);
    }
    try {
        sqlite3_busy_timeout(db_, 5000);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=FULL");
        exec("PRAGMA cache_size=-65536");  // 64 MiB of page cache
        int version = 0;
        {
            sqlite3_stmt* s = nullptr;
            if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK)
                fail("read schema version");
            if (sqlite3_step(s) == SQLITE_ROW) version = sqlite3_column_int(s, 0);
            sqlite3_finalize(s);
        }
        if (version > journal_schema_version)
            throw journal_error(path_ + " has schema version " + std::to_string(version) +
                                "; this batond knows up to " +
                                std::to_string(journal_schema_version) + " (downgrade refused)");
        exec(create_sql);
        if (version < journal_schema_version)
            exec(("PRAGMA user_version=" + std::to_string(journal_schema_version)).c_str());

        if (sqlite3_prepare_v2(db_,
                               "INSERT INTO journal(seq, received_ms, ts_ms, topic, source, "
                               "event_id, order_id, origin, envelope) VALUES(?,?,?,?,?,?,?,?,?)",
                               -1, &insert_, nullptr) != SQLITE_OK)
            fail("prepare insert");
        if (sqlite3_prepare_v2(db_,
                               "SELECT seq, received_ms, ts_ms, topic, source, event_id, "
                               "order_id, origin, envelope FROM journal WHERE seq = ?",
                               -1, &read_, nullptr) != SQLITE_OK)
            fail("prepare read");
        if (sqlite3_prepare_v2(db_,
                               "SELECT seq, received_ms, ts_ms, topic, source, event_id, "
                               "order_id, origin FROM journal WHERE seq = ?",
                               -1, &read_meta_, nullptr) != SQLITE_OK)
            fail("prepare read");
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, "SELECT max(seq) FROM journal", -1, &s, nullptr) != SQLITE_OK)
            fail("prepare max");
        if (sqlite3_step(s) == SQLITE_ROW) last_seq_ = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    } catch (...) {
        sqlite3_finalize(insert_);
        sqlite3_finalize(read_);
        sqlite3_finalize(read_meta_);
        sqlite3_close(db_);
        throw;
    }
}

journal::~journal() {
    sqlite3_finalize(insert_);
    sqlite3_finalize(read_);
    sqlite3_finalize(read_meta_);
    sqlite3_close(db_);
}

void journal::exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw journal_error(path_ + ": " + msg);
    }
}

void journal::fail(const std::string& what) const {
    throw journal_error(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void journal::append(const std::vector<journal_entry>& entries) {
    if (entries.empty()) return;
    assert(entries.front().seq == last_seq_ + 1);
    exec("BEGIN");
    try {
        for (const auto& e : entries) {
            statement_reset guard{insert_};
            sqlite3_bind_int64(insert_, 1, e.seq);
            sqlite3_bind_int64(insert_, 2, e.received_ms);
            sqlite3_bind_int64(insert_, 3, e.ts_ms);
            sqlite3_bind_text(insert_, 4, e.topic.data(), static_cast<int>(e.topic.size()),
                              SQLITE_STATIC);
            sqlite3_bind_text(insert_, 5, e.source.data(), static_cast<int>(e.source.size()),
                              SQLITE_STATIC);
            sqlite3_bind_text(insert_, 6, e.id.data(), static_cast<int>(e.id.size()),
                              SQLITE_STATIC);
            if (e.order.empty())
                sqlite3_bind_null(insert_, 7);
            else
                sqlite3_bind_text(insert_, 7, e.order.data(), static_cast<int>(e.order.size()),
                                  SQLITE_STATIC);
            sqlite3_bind_int(insert_, 8, static_cast<int>(e.origin));
            sqlite3_bind_blob(insert_, 9, e.envelope.data(), static_cast<int>(e.envelope.size()),
                              SQLITE_STATIC);
            if (sqlite3_step(insert_) != SQLITE_DONE) fail("append event " + e.id);
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    last_seq_ = entries.back().seq;
}

void journal::scan(std::int64_t after, bool with_envelope,
                   const std::function<void(const journal_entry&)>& fn) const {
    sqlite3_stmt* s = nullptr;
    const char* sql = with_envelope
                          ? "SELECT seq, received_ms, ts_ms, topic, source, event_id, order_id, "
                            "origin, envelope FROM journal WHERE seq > ? ORDER BY seq"
                          : "SELECT seq, received_ms, ts_ms, topic, source, event_id, order_id, "
                            "origin FROM journal WHERE seq > ? ORDER BY seq";
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) fail("prepare scan");
    sqlite3_bind_int64(s, 1, after);
    journal_entry e;
    int rc;
    try {
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            fill(s, with_envelope, e);
            fn(e);
        }
    } catch (...) {
        sqlite3_finalize(s);
        throw;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) fail("scan");
}

std::optional<journal_entry> journal::read(std::int64_t seq, bool with_envelope) const {
    sqlite3_stmt* s = with_envelope ? read_ : read_meta_;
    statement_reset guard{s};
    sqlite3_bind_int64(s, 1, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("read " + std::to_string(seq));
    journal_entry e;
    fill(s, with_envelope, e);
    return e;
}

}  // namespace baton
