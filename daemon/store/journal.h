// The journal: batond's durable store, one SQLite file in WAL mode with synchronous=FULL.
// Every accepted event is appended in arrival order (rowid = seq) and nothing on the per-event
// path touches a B-tree at a random key; lookups that need speed go through memory.
//
// Two connections: the writes (commit, snapshots, pragmas) go through one, serialised by
// write_mutex_ (and opened without SQLite's own mutex, which would repeat it: every use of it
// after the constructor must hold write_mutex_), so the journal writer's thread
// (journal_writer.h) can commit while the loop reads;
// every read goes through the other, and in WAL a read sees only committed transactions. An
// in-memory journal has one connection for both (and is never written from another thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sqlite_statement.h"

struct sqlite3;

namespace baton {

// 1: the first store. 2: order snapshots hold quantities, batches, shipments and invoices
// (order format 2; format 1 snapshots are read and upgraded, see order.h). 3: relay_order.
// 4: order states are stored in format 3 (order_state.h), which a batond of schema 3 would
// misread; it still reads formats 1 and 2, so a store of schema 3 opens without a migration.
// 5: order_archive, and `archived` on exceptions and tasks (retention: order_archive.h).
// 6: packs: a commit's envelopes compressed together, the rows holding references into them
// (envelope_packs.h), which a batond of schema 5 would misread; the journal's rows keep topic,
// source, id and order only in the envelope, with the duplicate window's key in id_key. Rows of
// before stay as they are.
inline constexpr int journal_schema_version = 6;

struct journal_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class origin : int { ingest = 0, subscribe = 1 };

struct journal_entry {
    std::int64_t seq = 0;          // journal sequence (rowid), assigned by the caller
    std::int64_t received_ms = 0;  // when batond received it, ms since epoch
    std::int64_t ts_ms = 0;        // the envelope's ts
    // The envelope's own, as it holds them: the store keeps them only there (from schema 6 on;
    // the duplicate window's key of source and id is stored beside it).
    std::string topic;
    std::string source;
    std::string id;     // event id
    std::string order;  // empty for events without an order
    baton::origin origin = origin::ingest;
    std::string envelope;  // the MessagePack bytes as received
};

// A relay message as the outbox keeps it.
struct outbox_entry {
    std::uint64_t seq = 0;  // global relay sequence
    std::string topic;
    std::string envelope;  // MessagePack bytes
    std::string order;     // the order it is about ("" for none): indexed for an order's page
};

// The stored derived state: orders and customers as they were after journal entry `seq`.
struct snapshot_header {
    std::int64_t journal_seq = 0;  // state includes every entry up to here
    std::uint64_t relay_seq = 0;
    std::string customers;  // MessagePack bytes of the customer book
    // The orders in memory when it was taken: how many a start makes room for at once. 0 when
    // not known (a store written before it was kept).
    std::uint64_t orders = 0;
    // The last snapshot_log row of the snapshot: rows after it belong to one not yet complete
    // and are not read. 0 for a store written before snapshots were stored in parts (every
    // row counts). Set by the journal when it stores the header.
    std::int64_t log_seq = 0;
    // Orders read back from the archive whose new state this snapshot stores: their archive
    // rows go with the header (until it is stored, a restart reads them from the archive).
    std::vector<std::string> unarchived{};
};

// An order that left memory after its retention: its state as the snapshot stored it
// (order_state.h), and the ids of its exception and task records, which left with it.
struct archived_order_row {
    std::string id;
    std::string state;
    std::vector<std::uint64_t> exceptions;
    std::vector<std::uint64_t> tasks;
};

// Order states to append to the snapshot log (id, MessagePack state) with their header. A
// large snapshot is stored in parts, each with a batch; only the last (`complete`) writes the
// header, which makes all of them count.
struct snapshot_rows {
    snapshot_header header;
    std::vector<std::pair<std::string, std::string>> orders;
    bool complete = true;
};

// Everything one transaction stores: events, the relay messages they caused, exception and
// task records (upserted by id), the exception feed lines, and a snapshot that was encoded
// while the loop went on (it rides with the batch: no transaction and no fsync of its own).
struct journal_batch {
    std::vector<journal_entry> entries;
    std::vector<outbox_entry> relayed;
    std::vector<std::pair<std::uint64_t, std::string>> exceptions;  // id, MessagePack record
    std::vector<std::pair<std::uint64_t, std::string>> tasks;       // id, MessagePack record
    std::vector<std::pair<std::uint64_t, std::string>> feed;        // feed seq, JSON line
    std::optional<snapshot_rows> snapshot;
    // Orders leaving memory (their records marked archived), and records back in it.
    std::vector<archived_order_row> archived;
    std::vector<std::uint64_t> readmitted_exceptions, readmitted_tasks;
    bool empty() const {
        return entries.empty() && relayed.empty() && exceptions.empty() && tasks.empty() &&
               feed.empty() && !snapshot && archived.empty() && readmitted_exceptions.empty() &&
               readmitted_tasks.empty();
    }
    void clear() {
        entries.clear();
        relayed.clear();
        exceptions.clear();
        tasks.clear();
        feed.clear();
        snapshot.reset();
        archived.clear();
        readmitted_exceptions.clear();
        readmitted_tasks.clear();
    }
};

class wal_checkpointer;
class envelope_compressor;
class pack_builder;
class pack_reader;

class journal {
public:
    // Opens (creating if needed) `<data_dir>/baton.db`; throws journal_error. The data_dir
    // `in_memory` keeps the database in memory and writes no file (`batond --test-flow`).
    static constexpr const char* in_memory = ":memory:";
    explicit journal(const std::string& data_dir);
    ~journal();
    journal(const journal&) = delete;
    journal& operator=(const journal&) = delete;

    const std::string& path() const { return path_; }
    // WAL checkpoint passes run off the writer's thread so far (wal_checkpointer.h), and by
    // the writer itself when that thread fell far behind.
    std::uint64_t checkpoints() const;
    std::uint64_t writer_checkpoints() const {
        return writer_checkpoints_.load(std::memory_order_relaxed);
    }
    // The schema version the file had when it was opened, when it was older than this batond's
    // (and not new): 1 for a store written before quantities; 0 when nothing was migrated.
    int migrated_from() const { return migrated_from_; }
    // The last committed seq (safe from any thread; the writer's thread moves it).
    std::int64_t last_seq() const { return last_seq_.load(std::memory_order_acquire); }

    // Appends the entries in one transaction; durable when this returns. Their seq must follow
    // last_seq() contiguously. Throws journal_error (and rolls back) on failure.
    void append(const std::vector<journal_entry>& entries);
    // The same, plus the relay messages these entries caused, in the same transaction: a
    // message is never published unless it and its cause are durable.
    void append(const std::vector<journal_entry>& entries,
                const std::vector<outbox_entry>& relayed);

    // The whole batch in one transaction. Throws journal_error (and rolls back) on failure.
    // The writes may come from another thread than the reads (one writing thread at a time).
    void commit(const journal_batch& batch);

    // Stored exception and task records, in id order, but those archived with their order (the
    // bytes are valid during the call). Safe beside other reads: a file store is read through a
    // connection of its own (an in-memory one through the readers' shared, serialised one).
    void load_records(const std::function<void(std::string_view)>& exception,
                      const std::function<void(std::string_view)>& task) const;
    // The highest record ids ever stored, archived or not (0: none).
    std::uint64_t max_exception_id() const;
    std::uint64_t max_task_id() const;
    // One stored record by id (archived or not), or nullopt.
    std::optional<std::string> read_exception(std::uint64_t id) const;
    std::optional<std::string> read_task(std::uint64_t id) const;

    // An archived order by id, or nullopt (order_archive.h).
    std::optional<archived_order_row> read_archived(const std::string& id) const;
    // How many orders the archive holds (kept as commits add and remove them).
    std::uint64_t archived_orders() const {
        return archived_orders_.load(std::memory_order_acquire);
    }
    // The exception feed as stored: the last seq, and the lines after a seq.
    std::uint64_t last_feed_seq() const { return last_feed_seq_.load(std::memory_order_acquire); }
    void read_feed(std::uint64_t after,
                   const std::function<void(std::uint64_t, const std::string&)>& fn) const;

    // The last relay sequence in the outbox (0 when empty).
    std::uint64_t last_relay_seq() const { return last_relay_seq_.load(std::memory_order_acquire); }
    // Outbox messages with seq > since, in order, at most `limit`.
    std::vector<outbox_entry> read_outbox(std::uint64_t since, std::size_t limit) const;
    // The outbox messages about one order, oldest first, at most `limit` (the newest of them).
    std::vector<outbox_entry> read_relayed_of(const std::string& order, std::size_t limit) const;

    // Appends the changed orders (id, MessagePack state) and writes the header, in one
    // transaction (the rows' `complete` is not read: they are). Appending keeps the cost
    // sequential, like the journal's.
    void write_snapshot(const snapshot_rows& rows);
    void write_snapshot(const snapshot_header& header,
                        const std::vector<std::pair<std::string, std::string>>& orders) {
        write_snapshot(snapshot_rows{header, orders, true});
    }
    // Calls `fn(id, state)` for every stored order state of the last complete snapshot, in the
    // order written (a later state of an id replaces an earlier one; the views are valid during
    // the call only); returns the header (journal_seq 0 when none was written). Before the
    // rows, `expect` (when given) is told how many orders the snapshot holds, to make room,
    // when the header says.
    snapshot_header load_snapshot(
        const std::function<void(std::string_view id, std::string_view state)>& fn,
        const std::function<void(std::size_t orders)>& expect = {}) const;
    // Envelopes are stored compressed once a dictionary has been trained on the first
    // `bytes` of them (envelope_compressor.h); for tests, before the first commit.
    void train_dictionary_after(std::size_t bytes);
    // Whether new packs are compressed with a dictionary (one was trained or loaded); before,
    // they are compressed without one.
    bool compressing() const;

    // Caps the database file (0: no cap). Past it every commit fails as on a full disk, until
    // the cap is raised or space is freed.
    void set_max_bytes(std::uint64_t max_bytes);

    // Keeps only the newest row of each order in the snapshot log, in one transaction.
    void compact_snapshot();
    // Forgets the rows of a snapshot that was never completed (after `log_seq`); how many.
    std::int64_t discard_snapshot_rows_after(std::int64_t log_seq);

    // Forgets the stored state (the archive too), so the next start rebuilds it from the journal.
    void clear_snapshot();

    // Calls `fn` for every entry with seq > after, in order. With `with_envelope` false the
    // entries carry no envelope bytes (rows of schema 6 still unpack theirs for topic, source,
    // id and order).
    void scan(std::int64_t after, bool with_envelope,
              const std::function<void(const journal_entry&)>& fn) const;

    // What the duplicate window needs of every entry with seq > after, in order: its key of
    // (source, id) (dedup_window::key), stored with the row, so a start reads millions of them
    // without their text.
    void scan_ids(std::int64_t after,
                  const std::function<void(std::int64_t seq, std::int64_t received_ms,
                                           std::uint64_t key)>& fn) const;

    // What scan_ids gives of the entry `seq`, or nullopt when there is none: to check that a
    // checkpoint of the duplicate window belongs to this journal. Its own connection.
    struct id_row {
        std::int64_t received_ms;
        std::uint64_t key;
    };
    std::optional<id_row> id_at(std::int64_t seq) const;

    // The first seq received at or after `ms` (last_seq() + 1 when none), by binary search on
    // the seq: received_ms grows with it, except where the clock was stepped back, so callers
    // search with a margin.
    std::int64_t first_seq_received_from(std::int64_t ms) const;

    // One entry by seq, or nullopt. One thread at a time (the loop's: admission's duplicate
    // check and the order view): the statement and the pack reader are kept for it.
    std::optional<journal_entry> read(std::int64_t seq, bool with_envelope) const;

private:
    // SQLite's wal hook: after each commit, with the WAL's size in pages.
    static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
    // The snapshot rows, and with `complete` the header, inside the caller's transaction.
    void put_snapshot(const snapshot_header& header,
                      const std::vector<std::pair<std::string, std::string>>& orders,
                      bool complete = true);
    void put_log_seq();  // the header's log_seq: the snapshot log's last row
    void put_archive(const journal_batch& batch);  // archived and readmitted, in the transaction
    std::int64_t archive_delta_ = 0;               // rows the transaction added (- removed)
    void exec(const char* sql) const;
    // Throws journal_error with `what` and the connection's message (the writer's by default).
    [[noreturn]] void fail(const std::string& what, sqlite3* db = nullptr) const;
    void index_relay_orders();
    void read_outbox_rows(sqlite_statement& s, const std::string& order,
                          std::vector<outbox_entry>& out) const;
    // The statement for `sql` on the writer's connection, or on the readers' (prepare_read);
    // throws journal_error naming `what` when SQLite refuses it.
    sqlite_statement prepare(const char* sql, const std::string& what) const;
    sqlite_statement prepare_read(const char* sql, const std::string& what) const;
    void open_reader();
    // A read-only connection for one long read that runs beside others at start-up (the
    // readers' connection itself for an in-memory journal); closed when it goes.
    struct private_reader {
        private_reader(const journal& j, const char* what);
        ~private_reader();
        private_reader(const private_reader&) = delete;
        private_reader& operator=(const private_reader&) = delete;
        sqlite3* db;
        bool own = false;
    };
    void load_dictionaries();
    // The envelope as received, from a stored blob; journal_error naming `what` when it
    // cannot be read.
    std::string unpack(pack_reader& packs, std::string_view stored, const char* what,
                       std::int64_t seq) const;
    // Stores the open pack (compressed) inside the caller's transaction.
    void put_pack(bool with_trained);
    // The entry of a row of BATON_JOURNAL_COLUMNS (journal.cpp). From schema 6 on, topic,
    // source, id and order are read from the envelope, which is then unpacked even without
    // `with_envelope` (it is only kept with it).
    void read_row(const sqlite_statement& s, pack_reader& packs, bool with_envelope,
                  journal_entry& e) const;
    bool has_column(const char* table, const char* column) const;

    std::string path_;
    sqlite3* db_ = nullptr;           // the writes
    sqlite3* rdb_ = nullptr;          // the reads (db_ itself for an in-memory journal)
    mutable std::mutex write_mutex_;  // held by every use of db_ after the constructor
    // Kept prepared for the per-event path (the reads are mutable: read() is const but steps
    // them).
    sqlite_statement insert_;
    mutable sqlite_statement read_;
    std::unique_ptr<pack_reader> read_packs_;  // read()'s, keeps its last pack
    sqlite_statement insert_relay_;
    sqlite_statement insert_relay_order_;
    sqlite_statement insert_pack_;
    mutable sqlite_statement read_archived_;
    mutable std::mutex read_archived_mutex_;  // views and the loop share it
    std::atomic<std::int64_t> last_seq_{0};
    std::atomic<std::uint64_t> last_relay_seq_{0};
    std::atomic<std::uint64_t> last_feed_seq_{0};
    std::atomic<std::uint64_t> archived_orders_{0};
    int migrated_from_ = 0;
    std::atomic<std::uint64_t> writer_checkpoints_{0};
    std::unique_ptr<wal_checkpointer> checkpointer_;  // none for an in-memory database
    std::unique_ptr<envelope_compressor> compressor_;
    std::unique_ptr<pack_builder> packs_;  // the writer's; used under write_mutex_
    std::atomic<bool> compressing_{false};
};

}  // namespace baton
