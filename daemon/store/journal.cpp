// SQLite storage of the journal.
#include "journal.h"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <limits>

#include <spdlog/spdlog.h>

#include "codec.h"
#include "dedup.h"
#include "envelope.h"
#include "envelope_compressor.h"
#include "envelope_packs.h"
#include "packed.h"
#include "wal_checkpointer.h"

namespace baton {

namespace {

const char* const create_sql = R"sql(
CREATE TABLE IF NOT EXISTS journal (
    seq         INTEGER PRIMARY KEY,   -- arrival order; appends only
    received_ms INTEGER NOT NULL,
    ts_ms       INTEGER NOT NULL,
    topic       TEXT NOT NULL,         -- these four are '' and NULL from schema 6 on: the
    source      TEXT NOT NULL,         -- envelope holds them (rows of before hold them here)
    event_id    TEXT NOT NULL,
    order_id    TEXT,
    origin      INTEGER NOT NULL,      -- 0 ingest (acked), 1 subscribe (at-most-once)
    envelope    BLOB NOT NULL,         -- a reference into a pack (envelope_packs.h)
    id_key      INTEGER                -- the duplicate window's key of (source, id) (dedup.h);
                                       -- NULL on the rows of schema 5 and before
);
CREATE TABLE IF NOT EXISTS relay (        -- the outbox: every relayed message, by relay seq
    seq      INTEGER PRIMARY KEY,
    topic    TEXT NOT NULL,
    envelope BLOB NOT NULL                -- as the journal's
);
CREATE TABLE IF NOT EXISTS packs (        -- a commit's envelopes, compressed together
    id    INTEGER PRIMARY KEY,
    bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_order (  -- which relay messages are about which order
    order_id TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (order_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS exceptions (       -- every exception, its latest state
    id       INTEGER PRIMARY KEY,
    record   BLOB NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0       -- 1: left memory with its order (retention)
);
CREATE TABLE IF NOT EXISTS tasks (            -- every coordination task, its latest state
    id       INTEGER PRIMARY KEY,
    record   BLOB NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS order_archive (  -- orders that left memory after their retention
    id         TEXT PRIMARY KEY,
    state      BLOB NOT NULL,               -- as the snapshot log stores it (order_state.h)
    exceptions BLOB NOT NULL,               -- MessagePack array of its exception ids
    tasks      BLOB NOT NULL                -- ... and of its task ids
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
CREATE TABLE IF NOT EXISTS dictionaries (  -- zstd dictionaries of the stored envelopes
    seq        INTEGER PRIMARY KEY,           -- the last is the one new envelopes are packed with
    id         INTEGER NOT NULL UNIQUE,       -- zstd's id, named by each frame packed with it
    dictionary BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot_meta (
    key   TEXT PRIMARY KEY,
    value
) WITHOUT ROWID;
)sql";

// What every read of journal rows selects, in the order read_row() reads it.
#define BATON_JOURNAL_COLUMNS \
    "seq, received_ms, ts_ms, topic, source, event_id, order_id, origin, id_key, envelope"

// The envelope's own topic, source, id and order into `e`. An envelope that cannot be read
// leaves them empty: whoever decodes the envelope reports it (a rebuild logs and skips it).
void meta_from_envelope(std::string_view bytes, journal_entry& e) {
    static constexpr std::string_view names[] = {"topic", "source", "id", "order"};
    std::string_view found[4];
    if (!packed_map_strings(bytes, names, 4, found)) found[0] = found[1] = found[2] = found[3] = {};
    e.topic = found[0];
    e.source = found[1];
    e.id = found[2];
    e.order = found[3];
}

// SQLite keeps count of the memory it holds (sqlite3_memory_used) under one global mutex taken
// on every allocation, dozens of times an event on the writer's thread; batond never reads the
// count. Off for the process, before SQLite's first use: after it SQLite refuses the call
// (MISUSE) and nothing changes, so a process that used SQLite before its first journal works.
void memory_statistics_off() {
    [[maybe_unused]] static const int refused = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

}  // namespace

journal::journal(const std::string& data_dir)
    : compressor_(std::make_unique<envelope_compressor>()),
      packs_(std::make_unique<pack_builder>()) {
    memory_statistics_off();
    if (data_dir == in_memory) {
        path_ = in_memory;  // SQLite's own name for a private in-memory database
    } else {
        std::error_code ec;
        std::filesystem::create_directories(data_dir, ec);
        if (ec) throw journal_error("cannot create data_dir " + data_dir + ": " + ec.message());
        path_ = (std::filesystem::path(data_dir) / "baton.db").string();
    }
    // NOMUTEX (SQLite's multi-thread mode) for a file: every use of the writer's connection
    // after this constructor holds write_mutex_, so SQLite's own lock per call (a bind, a step,
    // a reset: about 16 an event) would only repeat it. An in-memory journal reads through the
    // same connection from other threads too, and keeps SQLite's serialized mode.
    const int open_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                           (path_ == in_memory ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX);
    if (sqlite3_open_v2(path_.c_str(), &db_, open_flags, nullptr) != SQLITE_OK) {
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
            sqlite_statement s = prepare("PRAGMA user_version", "read schema version");
            if (s.step() == SQLITE_ROW) version = s.column_int(0);
        }
        if (version > journal_schema_version)
            throw journal_error(path_ + " has schema version " + std::to_string(version) +
                                "; this batond knows up to " +
                                std::to_string(journal_schema_version) + " (downgrade refused)");
        // 4 -> 5 adds `archived` to the records (order_archive is created with the rest).
        // 5 -> 6 adds id_key to the journal (packs are created with the rest).
        if (version > 0 && version < 6 && !has_column("journal", "id_key"))
            exec("ALTER TABLE journal ADD COLUMN id_key INTEGER");
        if (version > 0 && version < 5)
            for (const char* table : {"exceptions", "tasks"}) {
                if (!has_column(table, "archived"))
                    exec((std::string("ALTER TABLE ") + table +
                          " ADD COLUMN archived INTEGER NOT NULL DEFAULT 0")
                             .c_str());
            }
        exec(create_sql);
        // 1 -> 2 changes no table: what changed is the format of the order snapshots, which
        // recovery upgrades as it reads them. 2 -> 3 adds relay_order, filled here from the
        // relayed envelopes' `order`. 5 -> 6 adds packs; the rows stored before keep their
        // envelopes as they are, which the readers still read.
        load_dictionaries();
        if (version > 0 && version < 3) index_relay_orders();
        if (version < journal_schema_version) {
            if (version > 0) migrated_from_ = version;
            exec(("PRAGMA user_version=" + std::to_string(journal_schema_version)).c_str());
        }

        // Topic, source, id and order are the envelope's own: stored once, there.
        insert_ = prepare(
            "INSERT INTO journal(seq, received_ms, ts_ms, topic, source, event_id, order_id, "
            "origin, envelope, id_key) VALUES(?,?,?,'','','',NULL,?,?,?)",
            "prepare insert");
        open_reader();
        read_ = prepare_read("SELECT " BATON_JOURNAL_COLUMNS " FROM journal WHERE seq = ?",
                             "prepare read");
        read_packs_ = std::make_unique<pack_reader>(rdb_, *compressor_);
        insert_relay_ = prepare("INSERT INTO relay(seq, topic, envelope) VALUES(?,?,?)",
                                "prepare relay insert");
        insert_relay_order_ = prepare("INSERT INTO relay_order(order_id, seq) VALUES(?,?)",
                                      "prepare relay order insert");
        insert_pack_ = prepare("INSERT INTO packs(id, bytes) VALUES(?,?)", "prepare pack insert");
        auto max_of = [&](const char* sql) -> std::int64_t {
            sqlite_statement s = prepare(sql, "prepare max");
            return s.step() == SQLITE_ROW ? s.column_int64(0) : 0;
        };
        last_seq_ = max_of("SELECT max(seq) FROM journal");
        last_relay_seq_ = static_cast<std::uint64_t>(max_of("SELECT max(seq) FROM relay"));
        last_feed_seq_ = static_cast<std::uint64_t>(max_of("SELECT max(seq) FROM feed"));
        packs_->begin(max_of("SELECT max(id) FROM packs") + 1);
        archived_orders_ = static_cast<std::uint64_t>(max_of("SELECT count(*) FROM order_archive"));
        read_archived_ =
            prepare_read("SELECT state, exceptions, tasks FROM order_archive WHERE id = ?",
                         "prepare archive read");
        if (path_ != in_memory) {
            // Checkpoints off the thread that acks (wal_checkpointer.h).
            checkpointer_ = std::make_unique<wal_checkpointer>(path_);
            exec("PRAGMA wal_autocheckpoint=0");
            sqlite3_wal_hook(db_, &journal::on_wal_commit, this);
        }
    } catch (...) {
        // The statements prepared so far are finalised when their members go; close_v2 waits
        // for them.
        if (rdb_ != db_) sqlite3_close_v2(rdb_);
        sqlite3_close_v2(db_);
        throw;
    }
}

journal::~journal() {
    if (db_) sqlite3_wal_hook(db_, nullptr, nullptr);
    checkpointer_.reset();  // its thread stops before the writer's connection closes
    // The kept statements are finalised after this body, when the members go: close_v2 closes
    // each connection once the last of them is.
    if (rdb_ != db_) sqlite3_close_v2(rdb_);
    sqlite3_close_v2(db_);
}

// The readers' connection: a second one on the file, so reads never wait for a commit under
// way on the writer's thread and see only what was committed. query_only: it never writes.
void journal::open_reader() {
    if (path_ == in_memory) {  // a private in-memory database has no second connection
        rdb_ = db_;
        return;
    }
    // FULLMUTEX: reads come from more than one thread (the loop, the control queries, and at
    // start the duplicate window's scan beside the snapshot's).
    if (sqlite3_open_v2(path_.c_str(), &rdb_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string msg = rdb_ ? sqlite3_errmsg(rdb_) : "out of memory";
        sqlite3_close(rdb_);
        rdb_ = nullptr;
        throw journal_error("cannot open " + path_ + " for reading: " + msg);
    }
    sqlite3_busy_timeout(rdb_, 5000);
    for (const char* sql : {"PRAGMA query_only=1", "PRAGMA cache_size=-32768"})
        if (sqlite3_exec(rdb_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql, rdb_);
}

std::uint64_t journal::checkpoints() const {
    return checkpointer_ ? checkpointer_->checkpoints() : 0;
}

int journal::on_wal_commit(void* self, sqlite3* db, const char*, int pages) {
    auto* j = static_cast<journal*>(self);
    j->checkpointer_->wal_size(pages);
    // The checkpointer cannot keep up (a reader holds old frames, or the disk is slow): the
    // writer checkpoints, as SQLite would by itself, before the WAL grows without bound.
    constexpr int writer_pages = 4 * wal_checkpointer::start_pages;
    if (pages >= writer_pages && sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                           nullptr, nullptr) == SQLITE_OK)
        j->writer_checkpoints_.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
}

void journal::exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw journal_error(path_ + ": " + msg);
    }
}

void journal::fail(const std::string& what, sqlite3* db) const {
    throw journal_error(path_ + ": " + what + ": " + sqlite3_errmsg(db ? db : db_));
}

sqlite_statement journal::prepare(const char* sql, const std::string& what) const {
    sqlite_statement s(db_, sql);
    if (!s) fail(what);
    return s;
}

sqlite_statement journal::prepare_read(const char* sql, const std::string& what) const {
    sqlite_statement s(rdb_, sql);
    if (!s) fail(what, rdb_);
    return s;
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

void journal::put_pack(bool with_trained) {
    sqlite_reset_guard guard(insert_pack_);
    insert_pack_.bind_int64(1, packs_->id());
    insert_pack_.bind_blob(2, compressor_->pack(packs_->bytes(), with_trained));
    if (insert_pack_.step() != SQLITE_DONE) fail("store pack " + std::to_string(packs_->id()));
    packs_->next();
}

void journal::commit(const journal_batch& batch) {
    if (batch.empty()) return;
    const auto& entries = batch.entries;
    const auto& relayed = batch.relayed;
    assert(entries.empty() || entries.front().seq == last_seq() + 1);
    assert(relayed.empty() || relayed.front().seq == last_relay_seq() + 1);
    std::lock_guard lock(write_mutex_);
    // A dictionary trained since the last commit is stored with the first envelopes packed
    // with it, so no stored envelope ever names a dictionary the store does not hold.
    const envelope_dictionary* fresh = compressor_->trained();
    const std::int64_t first_pack = packs_->next_id();
    // The bytes a row stores for `envelope`: its reference into the open pack, which is stored
    // first when the envelope would take it past its size.
    auto stored = [&](std::string_view envelope) {
        compressor_->sample(envelope);
        if (packs_->full_for(envelope.size())) put_pack(fresh != nullptr);
        return packs_->add(envelope);
    };
    exec("BEGIN");
    try {
        if (fresh) {
            sqlite_statement st =
                prepare("INSERT INTO dictionaries(id, dictionary) VALUES(?,?)", "store dictionary");
            st.bind_int64(1, fresh->id);
            st.bind_blob(2, fresh->bytes);
            if (st.step() != SQLITE_DONE) fail("store dictionary");
        }
        for (const auto& e : entries) {
            sqlite_reset_guard guard(insert_);
            insert_.bind_int64(1, e.seq);
            insert_.bind_int64(2, e.received_ms);
            insert_.bind_int64(3, e.ts_ms);
            insert_.bind_int64(4, static_cast<int>(e.origin));
            insert_.bind_blob(5, stored(e.envelope));
            insert_.bind_int64(6, static_cast<std::int64_t>(dedup_window::key(e.source, e.id)));
            if (insert_.step() != SQLITE_DONE) fail("append event " + e.id);
        }
        for (const auto& r : relayed) {
            sqlite_reset_guard guard(insert_relay_);
            insert_relay_.bind_int64(1, static_cast<std::int64_t>(r.seq));
            insert_relay_.bind_text(2, r.topic);
            insert_relay_.bind_blob(3, stored(r.envelope));
            if (insert_relay_.step() != SQLITE_DONE)
                fail("append relay message " + std::to_string(r.seq));
            if (r.order.empty()) continue;
            sqlite_reset_guard order_guard(insert_relay_order_);
            insert_relay_order_.bind_text(1, r.order);
            insert_relay_order_.bind_int64(2, static_cast<std::int64_t>(r.seq));
            if (insert_relay_order_.step() != SQLITE_DONE)
                fail("index relay message " + std::to_string(r.seq));
        }
        if (!packs_->empty()) put_pack(fresh != nullptr);
        if (!batch.exceptions.empty() || !batch.tasks.empty() || !batch.feed.empty()) {
            auto upsert = [&](const char* sql, const auto& rows, bool text) {
                sqlite_statement st = prepare(sql, sql);
                for (const auto& [id, bytes] : rows) {
                    st.reset();
                    st.bind_int64(1, static_cast<std::int64_t>(id));
                    if (text)
                        st.bind_text(2, bytes);
                    else
                        st.bind_blob(2, bytes);
                    if (st.step() != SQLITE_DONE) fail(sql);
                }
            };
            upsert("INSERT OR REPLACE INTO exceptions(id, record) VALUES(?,?)", batch.exceptions,
                   false);
            upsert("INSERT OR REPLACE INTO tasks(id, record) VALUES(?,?)", batch.tasks, false);
            upsert("INSERT INTO feed(seq, line) VALUES(?,?)", batch.feed, true);
        }
        archive_delta_ = 0;
        if (batch.snapshot)
            put_snapshot(batch.snapshot->header, batch.snapshot->orders, batch.snapshot->complete);
        put_archive(batch);
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        packs_->begin(first_pack);  // the packs' ids are free again
        throw;                      // a fresh dictionary stays pending: the next commit stores it
    }
    if (fresh) {
        spdlog::info(
            "envelopes: a dictionary of {} bytes (id {}) was trained on the store's first "
            "envelopes; they are stored compressed from journal seq {} and relay seq {}",
            fresh->bytes.size(), fresh->id, entries.empty() ? last_seq() + 1 : entries.front().seq,
            relayed.empty() ? last_relay_seq() + 1 : relayed.front().seq);
        compressor_->promote();
        compressing_.store(true, std::memory_order_release);
    }
    if (!entries.empty()) last_seq_.store(entries.back().seq, std::memory_order_release);
    if (!relayed.empty()) last_relay_seq_.store(relayed.back().seq, std::memory_order_release);
    if (!batch.feed.empty())
        last_feed_seq_.store(batch.feed.back().first, std::memory_order_release);
    if (archive_delta_ != 0)
        archived_orders_.fetch_add(static_cast<std::uint64_t>(archive_delta_),
                                   std::memory_order_acq_rel);
}

namespace {

std::string packed_ids(const std::vector<std::uint64_t>& ids) {
    std::string out;
    packed_writer w(out);
    w.array(ids.size());
    for (std::uint64_t id : ids) w.integer(static_cast<std::int64_t>(id));
    return out;
}

std::vector<std::uint64_t> ids_of(std::string_view bytes, const std::string& what) {
    packed_document doc;
    std::string error;
    if (!doc.parse(bytes, error)) throw journal_error(what + ": " + error);
    std::vector<std::uint64_t> ids;
    try {
        const packed_value list = doc.root();
        ids.reserve(list.size());
        for (std::size_t i = 0; i < list.size(); ++i)
            ids.push_back(static_cast<std::uint64_t>(list.at(i).as_int()));
    } catch (const packed_error& e) {
        throw journal_error(what + ": " + e.what());
    }
    return ids;
}

}  // namespace

void journal::put_archive(const journal_batch& batch) {
    if (batch.archived.empty() && batch.readmitted_exceptions.empty() &&
        batch.readmitted_tasks.empty())
        return;
    auto mark = [&](const char* sql, const std::vector<std::uint64_t>& ids) {
        if (ids.empty()) return;
        sqlite_statement st = prepare(sql, sql);
        for (std::uint64_t id : ids) {
            st.reset();
            st.bind_int64(1, static_cast<std::int64_t>(id));
            if (st.step() != SQLITE_DONE) fail(sql);
        }
    };
    if (!batch.archived.empty()) {
        sqlite_statement put = prepare(
            "INSERT OR REPLACE INTO order_archive(id, state, exceptions, tasks) VALUES(?,?,?,?)",
            "prepare archive");
        sqlite_statement held =
            prepare("SELECT 1 FROM order_archive WHERE id = ?", "prepare archive lookup");
        for (const auto& row : batch.archived) {
            // A row replaced (archived again before its return was stored) counts once.
            held.reset();
            held.bind_text(1, row.id);
            const int found = held.step();
            if (found != SQLITE_ROW && found != SQLITE_DONE) fail("archive lookup " + row.id);
            if (found == SQLITE_DONE) ++archive_delta_;
            put.reset();
            put.bind_text(1, row.id);
            put.bind_blob(2, row.state);
            // Bound without a copy (SQLITE_STATIC): the bytes must live until the step.
            const std::string exceptions = packed_ids(row.exceptions);
            const std::string tasks = packed_ids(row.tasks);
            put.bind_blob(3, exceptions);
            put.bind_blob(4, tasks);
            if (put.step() != SQLITE_DONE) fail("archive order " + row.id);
            mark("UPDATE exceptions SET archived = 1 WHERE id = ?", row.exceptions);
            mark("UPDATE tasks SET archived = 1 WHERE id = ?", row.tasks);
        }
    }
    mark("UPDATE exceptions SET archived = 0 WHERE id = ?", batch.readmitted_exceptions);
    mark("UPDATE tasks SET archived = 0 WHERE id = ?", batch.readmitted_tasks);
}

std::optional<archived_order_row> journal::read_archived(const std::string& id) const {
    if (archived_orders() == 0) return std::nullopt;  // the common case: nothing to look up
    std::lock_guard lock(read_archived_mutex_);
    sqlite_reset_guard guard(read_archived_);
    read_archived_.bind_text(1, id);
    const int rc = read_archived_.step();
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("read archived order " + id, rdb_);
    archived_order_row row;
    row.id = id;
    row.state = read_archived_.column_blob(0);
    row.exceptions =
        ids_of(read_archived_.column_blob_view(1), "archived order " + id + " exceptions");
    row.tasks = ids_of(read_archived_.column_blob_view(2), "archived order " + id + " tasks");
    return row;
}

std::optional<std::string> journal::read_exception(std::uint64_t id) const {
    sqlite_statement st =
        prepare_read("SELECT record FROM exceptions WHERE id = ?", "read exception");
    st.bind_int64(1, static_cast<std::int64_t>(id));
    const int rc = st.step();
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("read exception " + std::to_string(id), rdb_);
    return st.column_blob(0);
}

std::optional<std::string> journal::read_task(std::uint64_t id) const {
    sqlite_statement st = prepare_read("SELECT record FROM tasks WHERE id = ?", "read task");
    st.bind_int64(1, static_cast<std::int64_t>(id));
    const int rc = st.step();
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("read task " + std::to_string(id), rdb_);
    return st.column_blob(0);
}

std::uint64_t journal::max_exception_id() const {
    sqlite_statement st = prepare_read("SELECT coalesce(max(id), 0) FROM exceptions", "max id");
    return st.step() == SQLITE_ROW ? static_cast<std::uint64_t>(st.column_int64(0)) : 0;
}

std::uint64_t journal::max_task_id() const {
    sqlite_statement st = prepare_read("SELECT coalesce(max(id), 0) FROM tasks", "max id");
    return st.step() == SQLITE_ROW ? static_cast<std::uint64_t>(st.column_int64(0)) : 0;
}

journal::private_reader::private_reader(const journal& j, const char* what) : db(j.rdb_) {
    if (j.path_ == in_memory) return;  // a private in-memory database has one connection
    // NOMUTEX: the connection lives within one call on one thread, so SQLite's locks per call
    // (a tenth of a start's id scan) buy nothing.
    if (sqlite3_open_v2(j.path_.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        throw journal_error("cannot open " + j.path_ + " for " + what + ": " + msg);
    }
    own = true;
    sqlite3_busy_timeout(db, 5000);
}

journal::private_reader::~private_reader() {
    if (own) sqlite3_close_v2(db);  // closes once the statements on it are finalised
}

void journal::load_records(const std::function<void(std::string_view)>& exception,
                           const std::function<void(std::string_view)>& task) const {
    // A connection of its own (for a file store): a start runs this beside the reading of the
    // orders.
    const private_reader reader(*this, "reading the exceptions and tasks");
    for (auto [sql, fn] :
         {std::pair{"SELECT record FROM exceptions WHERE archived = 0 ORDER BY id", &exception},
          std::pair{"SELECT record FROM tasks WHERE archived = 0 ORDER BY id", &task}}) {
        sqlite_statement st(reader.db, sql);
        if (!st) fail(sql, reader.db);
        int rc;
        while ((rc = st.step()) == SQLITE_ROW) (*fn)(st.column_blob_view(0));
        if (rc != SQLITE_DONE) fail(sql, reader.db);
    }
}

void journal::read_feed(std::uint64_t after,
                        const std::function<void(std::uint64_t, const std::string&)>& fn) const {
    sqlite_statement st =
        prepare_read("SELECT seq, line FROM feed WHERE seq > ? ORDER BY seq", "prepare feed read");
    st.bind_int64(1, static_cast<std::int64_t>(after));
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
        fn(static_cast<std::uint64_t>(st.column_int64(0)), st.column_text(1));
    if (rc != SQLITE_DONE) fail("feed read", rdb_);
}

void journal::load_dictionaries() {
    sqlite_statement s =
        prepare("SELECT id, dictionary FROM dictionaries ORDER BY seq", "read dictionaries");
    std::vector<envelope_dictionary> all;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
        all.push_back({static_cast<std::uint32_t>(s.column_int64(0)), s.column_blob(1)});
    if (rc != SQLITE_DONE) fail("read dictionaries");
    try {
        for (std::size_t i = 0; i < all.size(); ++i) compressor_->add(all[i], i + 1 == all.size());
    } catch (const std::exception& e) {
        throw journal_error(path_ + ": " + e.what());
    }
    compressing_.store(compressor_->writing(), std::memory_order_release);
}

void journal::train_dictionary_after(std::size_t bytes) {
    std::lock_guard lock(write_mutex_);
    compressor_->set_training_bytes(bytes);
}

bool journal::compressing() const {
    return compressing_.load(std::memory_order_acquire);
}

std::string journal::unpack(pack_reader& packs, std::string_view stored, const char* what,
                            std::int64_t seq) const {
    try {
        return packs.unpack(stored);
    } catch (const std::exception& e) {
        throw journal_error(path_ + ": " + what + " " + std::to_string(seq) + ": " + e.what());
    }
}

// The rows of a query of (seq, topic, envelope) from the outbox, each about `order`.
void journal::read_outbox_rows(sqlite_statement& s, const std::string& order,
                               std::vector<outbox_entry>& out) const {
    pack_reader packs(rdb_, *compressor_);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        outbox_entry e;
        e.seq = static_cast<std::uint64_t>(s.column_int64(0));
        e.topic = s.column_text(1);
        e.envelope =
            unpack(packs, s.column_blob_view(2), "relay message", static_cast<std::int64_t>(e.seq));
        e.order = order;
        out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) fail("outbox read", rdb_);
}

std::vector<outbox_entry> journal::read_outbox(std::uint64_t since, std::size_t limit) const {
    std::vector<outbox_entry> out;
    sqlite_statement s =
        prepare_read("SELECT seq, topic, envelope FROM relay WHERE seq > ? ORDER BY seq LIMIT ?",
                     "prepare outbox read");
    s.bind_int64(1, static_cast<std::int64_t>(since));
    s.bind_int64(2, static_cast<std::int64_t>(limit));
    read_outbox_rows(s, "", out);
    return out;
}

std::vector<outbox_entry> journal::read_relayed_of(const std::string& order,
                                                   std::size_t limit) const {
    std::vector<outbox_entry> out;
    sqlite_statement s = prepare_read(
        "SELECT r.seq, r.topic, r.envelope FROM relay_order o JOIN relay r ON r.seq = o.seq "
        "WHERE o.order_id = ? ORDER BY o.seq DESC LIMIT ?",
        "prepare relayed-of read");
    s.bind_text(1, order);
    s.bind_int64(2, static_cast<std::int64_t>(limit));
    read_outbox_rows(s, order, out);
    std::reverse(out.begin(), out.end());
    return out;
}

// Schema 3's index for a store written before it: every relayed envelope's `order`, once.
void journal::index_relay_orders() {
    exec("BEGIN");
    try {
        sqlite_statement read =
            prepare("SELECT seq, envelope FROM relay ORDER BY seq", "prepare relay scan");
        sqlite_statement insert =
            prepare("INSERT OR IGNORE INTO relay_order(order_id, seq) VALUES(?,?)",
                    "prepare relay order insert");
        decode_limits limits;
        pack_reader packs(db_, *compressor_);
        int rc;
        while ((rc = read.step()) == SQLITE_ROW) {
            envelope e;
            std::string error;
            const std::string bytes =
                unpack(packs, read.column_blob_view(1), "relay message", read.column_int64(0));
            if (!decode_relayed(bytes, limits, e, error) || !e.order || e.order->empty()) continue;
            insert.reset();
            insert.bind_text(1, *e.order);
            insert.bind_int64(2, read.column_int64(0));
            if (insert.step() != SQLITE_DONE) fail("index relay message");
        }
        if (rc != SQLITE_DONE) fail("relay scan");
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void journal::write_snapshot(const snapshot_rows& rows) {
    std::lock_guard lock(write_mutex_);
    exec("BEGIN");
    try {
        archive_delta_ = 0;
        put_snapshot(rows.header, rows.orders, true);
        exec("COMMIT");
        if (archive_delta_ != 0)
            archived_orders_.fetch_add(static_cast<std::uint64_t>(archive_delta_),
                                       std::memory_order_acq_rel);
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void journal::put_snapshot(const snapshot_header& header,
                           const std::vector<std::pair<std::string, std::string>>& orders,
                           bool complete) {
    sqlite_statement put =
        prepare("INSERT INTO snapshot_log(id, state) VALUES(?,?)", "prepare snapshot");
    for (const auto& [id, state] : orders) {
        put.reset();
        put.bind_text(1, id);
        put.bind_blob(2, state);
        if (put.step() != SQLITE_DONE) fail("snapshot order " + id);
    }
    if (!complete) return;
    sqlite_statement meta =
        prepare("INSERT OR REPLACE INTO snapshot_meta(key, value) VALUES(?,?)", "prepare snapshot");
    auto put_meta = [&](const char* key, auto bind) {
        meta.reset();
        meta.bind_text(1, key);
        bind(meta);
        if (meta.step() != SQLITE_DONE) fail(std::string("snapshot ") + key);
    };
    put_meta("journal_seq", [&](sqlite_statement& st) { st.bind_int64(2, header.journal_seq); });
    put_meta("relay_seq", [&](sqlite_statement& st) {
        st.bind_int64(2, static_cast<std::int64_t>(header.relay_seq));
    });
    put_meta("customers", [&](sqlite_statement& st) { st.bind_blob(2, header.customers); });
    put_meta("orders", [&](sqlite_statement& st) {
        st.bind_int64(2, static_cast<std::int64_t>(header.orders));
    });
    put_log_seq();
    if (!header.unarchived.empty()) {
        // Their state in this snapshot is newer than the archive's, and counts from now on.
        sqlite_statement del =
            prepare("DELETE FROM order_archive WHERE id = ?", "prepare archive delete");
        for (const auto& id : header.unarchived) {
            del.reset();
            del.bind_text(1, id);
            if (del.step() != SQLITE_DONE) fail("unarchive order " + id);
            archive_delta_ -= sqlite3_changes(db_);
        }
    }
}

void journal::put_log_seq() {
    exec(
        "INSERT OR REPLACE INTO snapshot_meta(key, value) "
        "SELECT 'log_seq', coalesce(max(seq), 0) FROM snapshot_log");
}

std::int64_t journal::discard_snapshot_rows_after(std::int64_t log_seq) {
    std::lock_guard lock(write_mutex_);
    sqlite_statement del = prepare("DELETE FROM snapshot_log WHERE seq > ?", "prepare discard");
    del.bind_int64(1, log_seq);
    if (del.step() != SQLITE_DONE) fail("discard incomplete snapshot rows");
    return sqlite3_changes(db_);
}

snapshot_header journal::load_snapshot(
    const std::function<void(std::string_view, std::string_view)>& fn,
    const std::function<void(std::size_t)>& expect) const {
    snapshot_header h;
    int rc;
    // A connection of its own, without SQLite's lock per call (a million rows, at start); one
    // read transaction for the header and the rows, which closing the connection ends.
    const private_reader reader(*this, "reading the snapshot log");
    if (reader.own) {
        sqlite_statement begin(reader.db, "BEGIN");
        if (!begin || begin.step() != SQLITE_DONE) fail("begin snapshot read", reader.db);
    }
    {
        sqlite_statement s(reader.db, "SELECT key, value FROM snapshot_meta");
        if (!s) fail("prepare snapshot read", reader.db);
        while ((rc = s.step()) == SQLITE_ROW) {
            const std::string key = s.column_text(0);
            if (key == "journal_seq") h.journal_seq = s.column_int64(1);
            if (key == "relay_seq") h.relay_seq = static_cast<std::uint64_t>(s.column_int64(1));
            if (key == "customers") h.customers = s.column_blob(1);
            if (key == "log_seq") h.log_seq = s.column_int64(1);
            if (key == "orders") h.orders = static_cast<std::uint64_t>(s.column_int64(1));
        }
        if (rc != SQLITE_DONE) fail("snapshot read", reader.db);
    }
    if (h.journal_seq == 0) return h;
    const std::int64_t last = h.log_seq > 0 ? h.log_seq : std::numeric_limits<std::int64_t>::max();
    if (expect && h.orders > 0) expect(static_cast<std::size_t>(h.orders));
    sqlite_statement s(reader.db,
                       "SELECT id, state FROM snapshot_log WHERE seq <= ? AND id NOT IN (SELECT "
                       "id FROM order_archive) ORDER BY seq");
    if (!s) fail("prepare snapshot read", reader.db);
    s.bind_int64(1, last);
    while ((rc = s.step()) == SQLITE_ROW) fn(s.column_text_view(0), s.column_blob_view(1));
    if (rc != SQLITE_DONE) fail("snapshot read", reader.db);
    return h;
}

void journal::set_max_bytes(std::uint64_t max_bytes) {
    std::lock_guard lock(write_mutex_);
    std::int64_t page_size = 4096;
    {
        sqlite_statement s(db_, "PRAGMA page_size");
        if (s && s.step() == SQLITE_ROW) page_size = s.column_int64(0);
    }
    const std::uint64_t pages =
        max_bytes == 0 ? 4294967294ULL : std::max<std::uint64_t>(1, max_bytes / page_size);
    exec(("PRAGMA max_page_count=" + std::to_string(pages)).c_str());
}

void journal::compact_snapshot() {
    std::lock_guard lock(write_mutex_);
    exec("BEGIN");
    try {
        // In place: the newest row of each id stays where it is (so the last row, and log_seq,
        // stay the same); nothing is copied out and written back.
        exec(
            "DELETE FROM snapshot_log WHERE seq NOT IN "
            "(SELECT max(seq) FROM snapshot_log GROUP BY id)");
        // An archived order's rows: its state is the archive's until it comes back.
        exec("DELETE FROM snapshot_log WHERE id IN (SELECT id FROM order_archive)");
        put_log_seq();
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void journal::clear_snapshot() {
    std::lock_guard lock(write_mutex_);
    exec("BEGIN");
    try {
        exec("DELETE FROM snapshot_log");
        exec("DELETE FROM snapshot_meta");
        // A rebuild applies every event again: no order is archived until it is retired again.
        exec("DELETE FROM order_archive");
        exec("UPDATE exceptions SET archived = 0 WHERE archived <> 0");
        exec("UPDATE tasks SET archived = 0 WHERE archived <> 0");
        exec("COMMIT");
        archived_orders_.store(0, std::memory_order_release);
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void journal::scan(std::int64_t after, bool with_envelope,
                   const std::function<void(const journal_entry&)>& fn) const {
    sqlite_statement s = prepare_read(
        "SELECT " BATON_JOURNAL_COLUMNS " FROM journal WHERE seq > ? ORDER BY seq", "prepare scan");
    s.bind_int64(1, after);
    journal_entry e;
    pack_reader packs(rdb_, *compressor_);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        read_row(s, packs, with_envelope, e);
        fn(e);
    }
    if (rc != SQLITE_DONE) fail("scan", rdb_);
}

namespace {
// The duplicate window's key of a row read as (id_key, source, event_id) from column `col` on.
// Rows of schema 5 and before have no key: it is made from their text.
std::uint64_t id_key_of(const sqlite_statement& s, int col) {
    return sqlite3_column_type(s.get(), col) == SQLITE_NULL
               ? dedup_window::key(s.column_text_view(col + 1), s.column_text_view(col + 2))
               : static_cast<std::uint64_t>(s.column_int64(col));
}
}  // namespace

void journal::scan_ids(
    std::int64_t after,
    const std::function<void(std::int64_t, std::int64_t, std::uint64_t)>& fn) const {
    // A connection of its own: a start runs this beside the reading of the snapshot log.
    const private_reader reader(*this, "the id scan");
    sqlite3* db = reader.db;
    sqlite_statement s(db,
                       "SELECT seq, received_ms, id_key, source, event_id FROM journal "
                       "WHERE seq > ? ORDER BY seq");
    if (!s) fail("prepare id scan", db);
    s.bind_int64(1, after);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) fn(s.column_int64(0), s.column_int64(1), id_key_of(s, 2));
    if (rc != SQLITE_DONE) fail("id scan", db);
}

std::optional<journal::id_row> journal::id_at(std::int64_t seq) const {
    const private_reader reader(*this, "the id check");
    sqlite_statement s(reader.db,
                       "SELECT received_ms, id_key, source, event_id FROM journal WHERE seq = ?");
    if (!s) fail("prepare id check", reader.db);
    s.bind_int64(1, seq);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("id check", reader.db);
    return id_row{s.column_int64(0), id_key_of(s, 1)};
}

std::int64_t journal::first_seq_received_from(std::int64_t ms) const {
    sqlite_statement s =
        prepare_read("SELECT seq, received_ms FROM journal WHERE seq >= ? ORDER BY seq LIMIT 1",
                     "prepare seq search");
    // The first entry at or after `seq`: its seq and received_ms, or nullopt past the end.
    auto at_or_after =
        [&](std::int64_t seq) -> std::optional<std::pair<std::int64_t, std::int64_t>> {
        s.reset();
        s.bind_int64(1, seq);
        const int rc = s.step();
        if (rc == SQLITE_DONE) return std::nullopt;
        if (rc != SQLITE_ROW) fail("seq search", rdb_);
        return std::pair{s.column_int64(0), s.column_int64(1)};
    };
    // Every entry before `lo` was received before `ms`; none from `hi` on was.
    std::int64_t lo = 1;
    std::int64_t hi = last_seq() + 1;
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        const auto e = at_or_after(mid);
        if (e && e->second < ms)
            lo = e->first + 1;  // it and every entry before it came earlier
        else
            hi = mid;  // past the end, or the first entry from `mid` on is not earlier
    }
    return lo;
}

std::optional<journal_entry> journal::read(std::int64_t seq, bool with_envelope) const {
    sqlite_reset_guard guard(read_);
    read_.bind_int64(1, seq);
    int rc = read_.step();
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("read " + std::to_string(seq), rdb_);
    journal_entry e;
    read_row(read_, *read_packs_, with_envelope, e);
    return e;
}

void journal::read_row(const sqlite_statement& s, pack_reader& packs, bool with_envelope,
                       journal_entry& e) const {
    e.seq = s.column_int64(0);
    e.received_ms = s.column_int64(1);
    e.ts_ms = s.column_int64(2);
    e.origin = static_cast<origin>(s.column_int(7));
    const bool in_envelope = sqlite3_column_type(s.get(), 8) != SQLITE_NULL;  // schema 6
    if (with_envelope || in_envelope) {
        e.envelope = unpack(packs, s.column_blob_view(9), "event", e.seq);
    } else {
        e.envelope.clear();
    }
    if (in_envelope) {
        meta_from_envelope(e.envelope, e);
    } else {
        e.topic = s.column_text(3);
        e.source = s.column_text(4);
        e.id = s.column_text(5);
        e.order = s.column_text(6);
    }
    if (!with_envelope) e.envelope.clear();
}

bool journal::has_column(const char* table, const char* column) const {
    sqlite_statement cols =
        prepare((std::string("PRAGMA table_info(") + table + ")").c_str(), "columns");
    while (cols.step() == SQLITE_ROW)
        if (cols.column_text(1) == column) return true;
    return false;
}

}  // namespace baton
