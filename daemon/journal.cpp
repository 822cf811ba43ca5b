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
CREATE TABLE IF NOT EXISTS relay (        -- the outbox: every relayed message, by relay seq
    seq      INTEGER PRIMARY KEY,
    topic    TEXT NOT NULL,
    envelope BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS exceptions (       -- every exception, its latest state
    id     INTEGER PRIMARY KEY,
    record BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (            -- every coordination task, its latest state
    id     INTEGER PRIMARY KEY,
    record BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS feed (             -- the exception log feed, line by line
    seq  INTEGER PRIMARY KEY,
    line TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot_log (  -- derived order state, appended as orders change
    seq   INTEGER PRIMARY KEY,               -- appends only; the latest row of an id wins
    id    TEXT NOT NULL,
    state BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot_meta (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
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
        if (sqlite3_prepare_v2(db_, "INSERT INTO relay(seq, topic, envelope) VALUES(?,?,?)", -1,
                               &insert_relay_, nullptr) != SQLITE_OK)
            fail("prepare relay insert");
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, "SELECT max(seq) FROM journal", -1, &s, nullptr) != SQLITE_OK)
            fail("prepare max");
        if (sqlite3_step(s) == SQLITE_ROW) last_seq_ = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (sqlite3_prepare_v2(db_, "SELECT max(seq) FROM relay", -1, &s, nullptr) != SQLITE_OK)
            fail("prepare max");
        if (sqlite3_step(s) == SQLITE_ROW)
            last_relay_seq_ = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
        sqlite3_finalize(s);
        if (sqlite3_prepare_v2(db_, "SELECT max(seq) FROM feed", -1, &s, nullptr) != SQLITE_OK)
            fail("prepare max");
        if (sqlite3_step(s) == SQLITE_ROW)
            last_feed_seq_ = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
        sqlite3_finalize(s);
    } catch (...) {
        sqlite3_finalize(insert_relay_);
        sqlite3_finalize(insert_);
        sqlite3_finalize(read_);
        sqlite3_finalize(read_meta_);
        sqlite3_close(db_);
        throw;
    }
}

journal::~journal() {
    sqlite3_finalize(insert_relay_);
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
    append(entries, {});
}

void journal::append(const std::vector<journal_entry>& entries,
                     const std::vector<outbox_entry>& relayed) {
    journal_batch b;
    b.entries = entries;
    b.relayed = relayed;
    commit(b);
}

void journal::commit(const journal_batch& batch) {
    if (batch.empty()) return;
    const auto& entries = batch.entries;
    const auto& relayed = batch.relayed;
    assert(entries.empty() || entries.front().seq == last_seq_ + 1);
    assert(relayed.empty() || relayed.front().seq == last_relay_seq_ + 1);
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
        for (const auto& r : relayed) {
            statement_reset guard{insert_relay_};
            sqlite3_bind_int64(insert_relay_, 1, static_cast<sqlite3_int64>(r.seq));
            sqlite3_bind_text(insert_relay_, 2, r.topic.data(), static_cast<int>(r.topic.size()),
                              SQLITE_STATIC);
            sqlite3_bind_blob(insert_relay_, 3, r.envelope.data(),
                              static_cast<int>(r.envelope.size()), SQLITE_STATIC);
            if (sqlite3_step(insert_relay_) != SQLITE_DONE)
                fail("append relay message " + std::to_string(r.seq));
        }
        if (!batch.exceptions.empty() || !batch.tasks.empty() || !batch.feed.empty()) {
            auto upsert = [&](const char* sql, const auto& rows, bool text) {
                sqlite3_stmt* st = nullptr;
                if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) fail(sql);
                for (const auto& [id, bytes] : rows) {
                    sqlite3_reset(st);
                    sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(id));
                    if (text)
                        sqlite3_bind_text(st, 2, bytes.data(), static_cast<int>(bytes.size()),
                                          SQLITE_STATIC);
                    else
                        sqlite3_bind_blob(st, 2, bytes.data(), static_cast<int>(bytes.size()),
                                          SQLITE_STATIC);
                    if (sqlite3_step(st) != SQLITE_DONE) {
                        sqlite3_finalize(st);
                        fail(sql);
                    }
                }
                sqlite3_finalize(st);
            };
            upsert("INSERT OR REPLACE INTO exceptions(id, record) VALUES(?,?)", batch.exceptions,
                   false);
            upsert("INSERT OR REPLACE INTO tasks(id, record) VALUES(?,?)", batch.tasks, false);
            upsert("INSERT INTO feed(seq, line) VALUES(?,?)", batch.feed, true);
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    if (!entries.empty()) last_seq_ = entries.back().seq;
    if (!relayed.empty()) last_relay_seq_ = relayed.back().seq;
    if (!batch.feed.empty()) last_feed_seq_ = batch.feed.back().first;
}

void journal::load_records(const std::function<void(const std::string&)>& exception,
                           const std::function<void(const std::string&)>& task) const {
    for (auto [sql, fn] : {std::pair{"SELECT record FROM exceptions ORDER BY id", &exception},
                           std::pair{"SELECT record FROM tasks ORDER BY id", &task}}) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) fail(sql);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
            (*fn)(std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 0))));
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) fail(sql);
    }
}

void journal::read_feed(std::uint64_t after,
                        const std::function<void(std::uint64_t, const std::string&)>& fn) const {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT seq, line FROM feed WHERE seq > ? ORDER BY seq", -1, &st,
                           nullptr) != SQLITE_OK)
        fail("prepare feed read");
    sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(after));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(static_cast<std::uint64_t>(sqlite3_column_int64(st, 0)), column_text(st, 1));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) fail("feed read");
}

std::vector<outbox_entry> journal::read_outbox(std::uint64_t since, std::size_t limit) const {
    std::vector<outbox_entry> out;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "SELECT seq, topic, envelope FROM relay WHERE seq > ? ORDER BY seq "
                           "LIMIT ?",
                           -1, &s, nullptr) != SQLITE_OK)
        fail("prepare outbox read");
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(since));
    sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(limit));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        outbox_entry e;
        e.seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
        e.topic = column_text(s, 1);
        auto* p = static_cast<const char*>(sqlite3_column_blob(s, 2));
        e.envelope.assign(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 2)));
        out.push_back(std::move(e));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) fail("outbox read");
    return out;
}

void journal::write_snapshot(const snapshot_header& header,
                             const std::vector<std::pair<std::string, std::string>>& orders) {
    exec("BEGIN");
    sqlite3_stmt* put = nullptr;
    sqlite3_stmt* meta = nullptr;
    try {
        if (sqlite3_prepare_v2(db_, "INSERT INTO snapshot_log(id, state) VALUES(?,?)", -1, &put,
                               nullptr) != SQLITE_OK ||
            sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO snapshot_meta(key, value) VALUES(?,?)",
                               -1, &meta, nullptr) != SQLITE_OK)
            fail("prepare snapshot");
        for (const auto& [id, state] : orders) {
            sqlite3_reset(put);
            sqlite3_bind_text(put, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
            sqlite3_bind_blob(put, 2, state.data(), static_cast<int>(state.size()), SQLITE_STATIC);
            if (sqlite3_step(put) != SQLITE_DONE) fail("snapshot order " + id);
        }
        auto put_meta = [&](const char* key, auto bind) {
            sqlite3_reset(meta);
            sqlite3_bind_text(meta, 1, key, -1, SQLITE_STATIC);
            bind(meta);
            if (sqlite3_step(meta) != SQLITE_DONE) fail(std::string("snapshot ") + key);
        };
        put_meta("journal_seq",
                 [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 2, header.journal_seq); });
        put_meta("relay_seq", [&](sqlite3_stmt* st) {
            sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(header.relay_seq));
        });
        put_meta("customers", [&](sqlite3_stmt* st) {
            sqlite3_bind_blob(st, 2, header.customers.data(),
                              static_cast<int>(header.customers.size()), SQLITE_STATIC);
        });
        sqlite3_finalize(put);
        sqlite3_finalize(meta);
        put = meta = nullptr;
        exec("COMMIT");
    } catch (...) {
        sqlite3_finalize(put);
        sqlite3_finalize(meta);
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

snapshot_header journal::load_snapshot(
    const std::function<void(const std::string&, const std::string&)>& fn) const {
    snapshot_header h;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT key, value FROM snapshot_meta", -1, &s, nullptr) !=
        SQLITE_OK)
        fail("prepare snapshot read");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        std::string key = column_text(s, 0);
        if (key == "journal_seq") h.journal_seq = sqlite3_column_int64(s, 1);
        if (key == "relay_seq")
            h.relay_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 1));
        if (key == "customers") {
            auto* p = static_cast<const char*>(sqlite3_column_blob(s, 1));
            h.customers.assign(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 1)));
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) fail("snapshot read");
    if (h.journal_seq == 0) return h;
    if (sqlite3_prepare_v2(db_, "SELECT id, state FROM snapshot_log ORDER BY seq", -1, &s,
                           nullptr) != SQLITE_OK)
        fail("prepare snapshot read");
    try {
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            auto* p = static_cast<const char*>(sqlite3_column_blob(s, 1));
            fn(column_text(s, 0),
               std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, 1))));
        }
    } catch (...) {
        sqlite3_finalize(s);
        throw;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) fail("snapshot read");
    return h;
}

void journal::set_max_bytes(std::uint64_t max_bytes) {
    sqlite3_stmt* s = nullptr;
    std::int64_t page_size = 4096;
    if (sqlite3_prepare_v2(db_, "PRAGMA page_size", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        page_size = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    const std::uint64_t pages =
        max_bytes == 0 ? 4294967294ULL : std::max<std::uint64_t>(1, max_bytes / page_size);
    exec(("PRAGMA max_page_count=" + std::to_string(pages)).c_str());
}

void journal::compact_snapshot(const std::unordered_map<std::string, std::string>& latest) {
    exec("BEGIN");
    sqlite3_stmt* put = nullptr;
    try {
        exec("DELETE FROM snapshot_log");
        if (sqlite3_prepare_v2(db_, "INSERT INTO snapshot_log(id, state) VALUES(?,?)", -1, &put,
                               nullptr) != SQLITE_OK)
            fail("prepare snapshot compaction");
        for (const auto& [id, state] : latest) {
            sqlite3_reset(put);
            sqlite3_bind_text(put, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
            sqlite3_bind_blob(put, 2, state.data(), static_cast<int>(state.size()), SQLITE_STATIC);
            if (sqlite3_step(put) != SQLITE_DONE) fail("compact snapshot of " + id);
        }
        sqlite3_finalize(put);
        put = nullptr;
        exec("COMMIT");
    } catch (...) {
        sqlite3_finalize(put);
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void journal::clear_snapshot() {
    exec("BEGIN");
    try {
        exec("DELETE FROM snapshot_log");
        exec("DELETE FROM snapshot_meta");
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
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
