// Tests of daemon/recovery: start-up from the store. The state comes back as it was, the relay
// sequence continues from the outbox, the desk's notices since the snapshot are not mistaken for
// a flow change, and a stop asked for during a long rebuild ends it.
#include "recovery.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "batch.h"
#include "daemon_harness.h"
#include "events.h"
#include "fake_clock.h"
#include "log_capture.h"
#include "order_state.h"
#include "temp_dir.h"

namespace baton {
namespace {

using testing::fake_clock;

std::unique_ptr<daemon_state> open_state(const config& c, const clock_source& clock) {
    return std::make_unique<daemon_state>(c, load_inputs(c), clock);
}

admission accept(batch_stage& stage, const envelope& e) {
    const std::string peer = "p";
    return stage.accept(envelope(e), encode_envelope(e), origin::ingest, &peer);
}

// Starts again on the store: the snapshot reaches `snapshot_seq`, `replayed` events follow it,
// and the state is the one the daemon had (`before`).
void expect_restart(const config& c, const clock_source& clock, std::int64_t snapshot_seq,
                    std::size_t replayed, const value& before) {
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.snapshot_seq, snapshot_seq);
    EXPECT_EQ(r.replayed, replayed);
    EXPECT_EQ(encode_msgpack(s->engine.state()), encode_msgpack(before));
}

// Places an order, lets its stage run overdue (the desk raises and relays an exception) and
// commits both, so the outbox holds engine messages and notices after the last snapshot.
void run_an_order_overdue(daemon_state& s, fake_clock& clock) {
    batch_stage stage(s);
    accept(stage, testing::order_placed("e1", "SO-1"));
    ASSERT_TRUE(stage.commit());
    clock.advance_ms(30LL * 24 * 3600 * 1000);
    ASSERT_TRUE(stage.on_time());
    ASSERT_TRUE(stage.commit());
}

TEST(recovery, state_and_relay_seq_come_back_and_notices_are_not_a_flow_change) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    std::uint64_t relay_seq = 0;
    std::size_t open = 0;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        run_an_order_overdue(*s, clock);
        relay_seq = s->store.last_relay_seq();
        open = s->desk.open_exceptions();
        ASSERT_GT(open, 0u);
    }
    testing::log_capture log;
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.replayed, 1u);
    EXPECT_EQ(s->engine.relay_seq(), relay_seq);
    EXPECT_EQ(s->desk.open_exceptions(), open);
    EXPECT_EQ(r.feed_seq, s->store.last_feed_seq());
    EXPECT_FALSE(log.contains("[warning]")) << log.text();  // nothing changed, nothing to warn of
}

TEST(recovery, rebuild_state_replays_the_whole_journal_to_the_same_orders) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    value before;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        run_an_order_overdue(*s, clock);
        batch_stage(*s).write_snapshot(true);
        before = s->engine.state();
    }
    testing::log_capture log;
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, true);
    EXPECT_EQ(r.snapshot_seq, 0);
    EXPECT_EQ(r.replayed, 1u);
    EXPECT_EQ(encode_msgpack(s->engine.state()), encode_msgpack(before));
    EXPECT_TRUE(log.contains("rebuilding the order state from the journal")) << log.text();
    EXPECT_FALSE(log.contains("[warning]")) << log.text();  // nothing changed, nothing to warn of
}

// The snapshot encoder's rows come back while the next batch is open: they are stored with it,
// at the point their copies were taken, and a restart replays only what came after that point.
TEST(recovery, a_snapshot_encoded_while_batches_commit_restarts_to_the_same_state) {
    testing::temp_dir dir;
    config c = testing::test_config(dir);
    c.snapshot.max_orders = 5;
    fake_clock clock;
    value before;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        batch_stage stage(*s);
        for (int i = 1; i <= 10; ++i)
            accept(stage,
                   testing::order_placed("p" + std::to_string(i), "SO-" + std::to_string(i)));
        ASSERT_TRUE(stage.commit());  // 10 orders changed: their copies go to the encoder
        ASSERT_TRUE(stage.snapshot_in_flight());
        for (int i = 1; i <= 3; ++i)
            accept(stage,
                   testing::credit_approved("c" + std::to_string(i), "SO-" + std::to_string(i)));
        // The rows join the open batch; it holds events, so it is not committed for them alone.
        for (int n = 0; n < 5000 && stage.snapshot_in_flight(); ++n) {
            EXPECT_FALSE(stage.poll_snapshot());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ASSERT_FALSE(stage.snapshot_in_flight());
        EXPECT_EQ(s->store.last_seq(), 10);
        ASSERT_TRUE(stage.commit());  // events 11..13 and the snapshot at 10, one transaction
        EXPECT_EQ(s->store.last_seq(), 13);
        before = s->engine.state();
    }
    expect_restart(c, clock, 10, 3, before);
}

// Shutdown and reload store the snapshot at once: they wait for rows under way and add the
// orders changed since their copies were taken.
TEST(recovery, a_snapshot_written_at_once_takes_the_one_under_way_with_it) {
    testing::temp_dir dir;
    config c = testing::test_config(dir);
    c.snapshot.max_orders = 2;
    fake_clock clock;
    value before;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        batch_stage stage(*s);
        accept(stage, testing::order_placed("p1", "SO-1"));
        accept(stage, testing::order_placed("p2", "SO-2"));
        ASSERT_TRUE(stage.commit());
        ASSERT_TRUE(stage.snapshot_in_flight());
        accept(stage, testing::credit_approved("c1", "SO-1"));
        ASSERT_TRUE(stage.commit());
        stage.write_snapshot();
        EXPECT_FALSE(stage.snapshot_in_flight());
        before = s->engine.state();
    }
    expect_restart(c, clock, 3, 0, before);
}

// A large snapshot is stored in parts, each with a batch; only the last part writes the header.
// Parts of one that never completed are not read: the state comes from the snapshot before it
// and the journal after that (reading them would apply their orders' events twice).
void take_a_large_snapshot_in_parts(const config& c, fake_clock& clock, bool complete,
                                    value& before, std::size_t& parts) {
    auto s = open_state(c, clock);
    recover(*s, false);
    batch_stage stage(*s);
    accept(stage, testing::order_placed("first-1", "SO-A"));
    accept(stage, testing::order_placed("first-2", "SO-B"));
    ASSERT_TRUE(stage.commit());
    stage.write_snapshot();  // complete, at seq 2
    for (int i = 1; i <= 2000; ++i)
        accept(stage, testing::order_placed("p" + std::to_string(i), "SO-" + std::to_string(i)));
    ASSERT_TRUE(stage.commit());  // 2,000 orders changed: a capture begins
    ASSERT_TRUE(stage.snapshot_in_flight());
    parts = 0;
    for (int n = 0; n < 20000 && stage.snapshot_in_flight(); ++n) {
        if (!stage.poll_snapshot()) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            continue;
        }
        ASSERT_TRUE(stage.commit());  // a part alone: nothing else is open
        ++parts;
        if (!complete) break;
    }
    before = s->engine.state();
}

TEST(recovery, a_large_snapshot_is_stored_in_parts_and_restarts_from_its_last) {
    testing::temp_dir dir;
    config c = testing::test_config(dir);
    c.snapshot.max_orders = 500;
    fake_clock clock;
    value before;
    std::size_t parts = 0;
    take_a_large_snapshot_in_parts(c, clock, true, before, parts);
    EXPECT_GE(parts, 2u) << "2,000 orders should need more than one part of 256 KiB";
    expect_restart(c, clock, 2002, 0, before);
}

TEST(recovery, the_parts_of_a_snapshot_never_completed_are_not_read) {
    testing::temp_dir dir;
    config c = testing::test_config(dir);
    c.snapshot.max_orders = 500;
    fake_clock clock;
    value before;
    std::size_t parts = 0;
    {
        testing::log_capture log;
        take_a_large_snapshot_in_parts(c, clock, false, before, parts);
    }
    ASSERT_EQ(parts, 1u);
    testing::log_capture log;
    expect_restart(c, clock, 2, 2000, before);
    EXPECT_TRUE(log.contains("rows of an incomplete snapshot discarded")) << log.text();
    expect_restart(c, clock, 2, 2000, before);  // and gone: the next start reads the same
}

// Rewrites every order state of the snapshot log as batond of schema 3 stored it (a map,
// format 2), and marks the store as schema 3.
void store_as_schema_3(const std::string& db_path) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    std::vector<std::pair<std::int64_t, std::string>> rows;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT seq, state FROM snapshot_log", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const std::string bytes(static_cast<const char*>(sqlite3_column_blob(st, 1)),
                                static_cast<std::size_t>(sqlite3_column_bytes(st, 1)));
        order o;
        std::string error;
        ASSERT_TRUE(decode_order_state(bytes, o, error)) << error;
        rows.emplace_back(sqlite3_column_int64(st, 0), encode_msgpack(to_value(o)));
    }
    sqlite3_finalize(st);
    ASSERT_FALSE(rows.empty());
    sqlite3_prepare_v2(db, "UPDATE snapshot_log SET state = ? WHERE seq = ?", -1, &st, nullptr);
    for (const auto& [seq, bytes] : rows) {
        sqlite3_bind_blob(st, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, seq);
        ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=3", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

// The one integer a query of the store gives.
std::int64_t count_in(const std::string& db_path, const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    const std::int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

// How many of the snapshot log's rows are maps (formats 1 and 2) rather than format 3 arrays.
std::int64_t map_states(const std::string& db_path) {
    // A MessagePack map starts with 0x80-0x8f, 0xde or 0xdf.
    return count_in(db_path,
                    "SELECT count(*) FROM snapshot_log WHERE hex(substr(state, 1, 1)) "
                    "LIKE '8_' OR hex(substr(state, 1, 1)) IN ('DE', 'DF')");
}

// A store of schema 3 (order states as maps) opens, its orders come back as they were, and the
// next snapshot rewrites every one of them in format 3.
TEST(recovery, a_store_of_schema_3_is_read_and_its_states_rewritten_in_format_3) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    value before;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        batch_stage stage(*s);
        for (int i = 1; i <= 3; ++i)
            accept(stage,
                   testing::order_placed("e" + std::to_string(i), "SO-" + std::to_string(i)));
        ASSERT_TRUE(stage.commit());
        stage.write_snapshot(true);
        before = s->engine.state();
    }
    const std::string db = c.data_dir + "/baton.db";
    store_as_schema_3(db);
    ASSERT_EQ(map_states(db), 3);
    {
        testing::log_capture log;
        auto s = open_state(c, clock);
        EXPECT_EQ(s->store.migrated_from(), 3);
        const recovery_result r = recover(*s, false);
        EXPECT_EQ(r.replayed, 0u);
        EXPECT_EQ(encode_msgpack(s->engine.state()), encode_msgpack(before));
        EXPECT_TRUE(log.contains("store migrated from schema 3 to " +
                                 std::to_string(journal_schema_version) +
                                 ": the next snapshot stores 3 orders in format 3"))
            << log.text();
        batch_stage stage(*s);
        stage.write_snapshot(true);
    }
    expect_restart(c, clock, 3, 0, before);  // the newest rows, now format 3, are read
    auto s = open_state(c, clock);
    EXPECT_EQ(s->store.migrated_from(), 0);
    recover(*s, false);
    // The map rows are superseded; a start compacts them away once they are most of the log.
    EXPECT_LE(map_states(db), 3);
    EXPECT_EQ(count_in(db,
                       "SELECT count(*) FROM snapshot_log s WHERE seq = (SELECT max(seq) FROM "
                       "snapshot_log WHERE id = s.id) AND hex(substr(state, 1, 1)) = 'DC'"),
              3)
        << "each order's newest row is a format 3 array (array 16)";
}

// An unreadable order state in the snapshot stops the start, with its order named (the journal
// is the truth: --rebuild-state starts again from it).
TEST(recovery, an_unreadable_order_state_stops_the_start_and_names_the_order) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    {
        journal store(c.data_dir);
        std::vector<std::pair<std::string, std::string>> rows;
        for (int i = 1; i <= 1200; ++i) {
            order o;
            o.id = "SO-" + std::to_string(i);
            o.customer = "C-1001";
            rows.emplace_back(o.id, encode_msgpack(to_value(o)));
        }
        rows[900].second = "\xc1 not MessagePack";
        store.write_snapshot(snapshot_header{1, 0, encode_msgpack(customer_book().to_value())},
                             rows);
    }
    auto s = open_state(c, clock);
    try {
        recover(*s, false);
        FAIL() << "an unreadable order state was accepted";
    } catch (const journal_error& e) {
        EXPECT_NE(std::string(e.what()).find("snapshot of order SO-901 is unreadable"),
                  std::string::npos)
            << e.what();
    }
}

// The rows are decoded as they are read: an unreadable row that a later row of the same order
// replaces does not stop the start (only the newest state of an order counts), and a snapshot
// log mostly of superseded rows is compacted to one row per order.
TEST(recovery, an_unreadable_state_replaced_by_a_later_one_is_not_an_error) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    auto state_of = [](const std::string& id, const std::string& stage) {
        order o;
        o.id = id;
        o.customer = "C-1001";
        o.stage = stage;
        return encode_msgpack(to_value(o));
    };
    {
        journal store(c.data_dir);
        const std::string customers = encode_msgpack(customer_book().to_value());
        store.write_snapshot(snapshot_header{1, 0, customers},
                             {{"SO-1", "\xc1 not MessagePack"}, {"SO-2", state_of("SO-2", "a")}});
        for (const char* stage : {"b", "c", "d"})
            store.write_snapshot(
                snapshot_header{1, 0, customers},
                {{"SO-1", state_of("SO-1", stage)}, {"SO-2", state_of("SO-2", stage)}});
    }
    auto s = open_state(c, clock);
    recover(*s, false);
    ASSERT_EQ(s->engine.orders().size(), 2u);
    EXPECT_EQ(s->engine.find("SO-1")->stage, "d");
    EXPECT_EQ(s->engine.find("SO-2")->stage, "d");
    // 8 rows for 2 orders: compacted in place to the newest of each.
    EXPECT_EQ(count_in(c.data_dir + "/baton.db", "SELECT count(*) FROM snapshot_log"), 2);
    auto again = open_state(c, clock);
    recover(*again, false);
    EXPECT_EQ(again->engine.find("SO-1")->stage, "d");
}

// A snapshot row whose state names another order is not that order's state: the start stops
// and names the row's order (the engine's map is keyed by the row's id).
TEST(recovery, a_state_stored_under_another_orders_id_stops_the_start) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    {
        journal store(c.data_dir);
        order o;
        o.id = "SO-2";
        o.customer = "C-1001";
        store.write_snapshot(snapshot_header{1, 0, encode_msgpack(customer_book().to_value())},
                             {{"SO-1", encode_msgpack(to_value(o))}});
    }
    auto s = open_state(c, clock);
    try {
        recover(*s, false);
        FAIL() << "a state under another order's id was accepted";
    } catch (const journal_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "snapshot of order SO-1 is unreadable: it is the state of order SO-2");
    }
}

// A stored exception or task that cannot be read stops the start, naming what it is: the
// records are read on a thread of their own while the journal is replayed, and the error still
// reaches the caller.
TEST(recovery, an_unreadable_record_stops_the_start) {
    for (const bool task : {false, true}) {
        SCOPED_TRACE(task ? "task" : "exception");
        testing::temp_dir dir;
        const config c = testing::test_config(dir);
        fake_clock clock;
        {
            auto s = open_state(c, clock);
            recover(*s, false);
            run_an_order_overdue(*s, clock);  // events to replay beside the records
            journal_batch b;
            // A map with "id" twice: a value tree refused it, and so does the reader now.
            const std::string twice = std::string("\x82\xa2id\xa3") + (task ? "T-1" : "E-1") +
                                      "\xa2id\xa3" + (task ? "T-2" : "E-2");
            (task ? b.tasks : b.exceptions).emplace_back(1, twice);
            s->store.commit(b);
        }
        auto s = open_state(c, clock);
        try {
            recover(*s, false);
            FAIL() << "an unreadable record was accepted";
        } catch (const journal_error& e) {
            EXPECT_EQ(std::string(e.what()), std::string("a stored ") +
                                                 (task ? "task" : "exception") +
                                                 " is unreadable: decode: duplicate map key 'id'");
        }
    }
}

// The duplicate window is rebuilt from the journal's tail: what was received before the window
// is not read at all, and what is in it is still recognised.
TEST(recovery, the_duplicate_window_reads_only_the_journal_of_the_window) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        batch_stage stage(*s);
        auto commit = [&](const std::string& prefix, int n) {
            for (int i = 1; i <= n; ++i)
                accept(stage, testing::order_placed(prefix + std::to_string(i),
                                                    "SO-" + prefix + std::to_string(i)));
            ASSERT_TRUE(stage.commit());
        };
        commit("old-", 50);
        clock.advance_ms(c.dedup.window_us / 1000 + 2 * 3600 * 1000);  // past the window
        commit("new-", 5);
    }
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.dedup_read, 5u);
    EXPECT_EQ(s->dedup.size(), 5u);
    batch_stage stage(*s);
    EXPECT_EQ(accept(stage, testing::order_placed("new-3", "SO-new-3")),
              admission::duplicate_committed);
}

// Commits events `first`..`last` (ids "e<i>", orders "SO-<i>") in one batch.
void commit_events(daemon_state& s, int first, int last) {
    batch_stage stage(s);
    for (int i = first; i <= last; ++i)
        accept(stage, testing::order_placed("e" + std::to_string(i), "SO-" + std::to_string(i)));
    ASSERT_TRUE(stage.commit());
}

// Every event 1..n comes again after the restart and is known as a duplicate.
void expect_all_known(daemon_state& s, int n) {
    batch_stage stage(s);
    for (int i = 1; i <= n; ++i)
        EXPECT_EQ(accept(stage,
                         testing::order_placed("e" + std::to_string(i), "SO-" + std::to_string(i))),
                  admission::duplicate_committed)
            << i;
}

// A clean stop leaves the window for the next start, which reads only the journal after it. The
// daemon writing on after the checkpoint (and dying) leaves it valid: what came after is read.
TEST(recovery, the_duplicate_window_comes_back_from_the_checkpoint_and_the_journal_after_it) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        commit_events(*s, 1, 30);
        save_dedup_checkpoint(*s);
        commit_events(*s, 31, 42);  // then killed: no checkpoint of these
    }
    ASSERT_TRUE(std::filesystem::exists(dir / "var/baton.dedup"));
    testing::log_capture log;
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.dedup_checkpoint_seq, 30);
    EXPECT_EQ(r.dedup_read, 12u);
    EXPECT_EQ(s->dedup.size(), 42u);
    EXPECT_TRUE(log.contains("from the checkpoint at journal seq 30 and the 12 journal entries"))
        << log.text();
    EXPECT_FALSE(log.contains("[warning]")) << log.text();
    expect_all_known(*s, 42);
}

// A checkpoint that is not this journal's (a store restored from a backup, another plant's
// file) is not used: the window is read from the journal, and says why.
TEST(recovery, a_checkpoint_of_another_journal_is_not_used) {
    testing::temp_dir other_dir, dir;
    fake_clock clock;
    {
        auto s = open_state(testing::test_config(other_dir), clock);
        recover(*s, false);
        commit_events(*s, 101, 120);  // 20 events: seq 20 holds another event than here
        save_dedup_checkpoint(*s);
    }
    const config c = testing::test_config(dir);
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        commit_events(*s, 1, 25);
    }
    std::filesystem::copy_file(other_dir / "var/baton.dedup", dir / "var/baton.dedup");
    testing::log_capture log;
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.dedup_checkpoint_seq, 0);
    EXPECT_EQ(r.dedup_read, 25u);
    EXPECT_EQ(s->dedup.size(), 25u);
    EXPECT_TRUE(log.contains("its last entry (journal seq 20) is not in this journal"))
        << log.text();
    expect_all_known(*s, 25);
    batch_stage stage(*s);
    EXPECT_EQ(accept(stage, testing::order_placed("e101", "SO-101")), admission::batched);
}

// A checkpoint reaching past the journal's end (the store is older than the file) is not used.
TEST(recovery, a_checkpoint_past_the_end_of_the_journal_is_not_used) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    const std::string db = dir / "var/baton.db";
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        commit_events(*s, 1, 10);
        // A backup of the store as it is now: the file and its write-ahead log.
        std::filesystem::copy_file(db, dir / "backup.db");
        std::filesystem::copy_file(db + "-wal", dir / "backup.db-wal");
        commit_events(*s, 11, 20);
        save_dedup_checkpoint(*s);
    }
    std::filesystem::remove(db + "-shm");
    std::filesystem::rename(dir / "backup.db", db);
    std::filesystem::rename(dir / "backup.db-wal", db + "-wal");
    testing::log_capture log;
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.dedup_checkpoint_seq, 0);
    EXPECT_EQ(s->store.last_seq(), 10);
    EXPECT_EQ(s->dedup.size(), 10u);
    EXPECT_TRUE(log.contains("is not in this journal")) << log.text();
}

// A checkpoint whose every entry is older than the window is passed over without a warning.
TEST(recovery, a_checkpoint_older_than_the_window_is_not_read) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    fake_clock clock;
    {
        auto s = open_state(c, clock);
        recover(*s, false);
        commit_events(*s, 1, 10);
        save_dedup_checkpoint(*s);
        clock.advance_ms(c.dedup.window_us / 1000 + 2 * 3600 * 1000);
        commit_events(*s, 11, 13);
    }
    testing::log_capture log;
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.dedup_checkpoint_seq, 0);
    EXPECT_EQ(r.dedup_read, 3u);
    EXPECT_EQ(s->dedup.size(), 3u);
    EXPECT_TRUE(log.contains("ends before the window; not used")) << log.text();
    EXPECT_FALSE(log.contains("[warning]")) << log.text();
}

TEST(recovery, a_stop_asked_for_during_a_long_rebuild_ends_it) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    {
        journal store(c.data_dir);
        std::vector<journal_entry> entries;
        for (int i = 1; i <= 10000; ++i) {
            journal_entry e;
            e.seq = i;
            e.received_ms = 1795000000000;
            e.topic = "sales.order.placed";
            e.source = "sales-erp";
            e.id = "e" + std::to_string(i);
            e.order = "SO-" + std::to_string(i);
            e.envelope = "x";
            entries.push_back(std::move(e));
        }
        store.append(entries);
    }
    fake_clock clock;
    auto s = open_state(c, clock);
    std::atomic<bool> stop{true};
    EXPECT_THROW(recover(*s, true, &stop), recovery_cancelled);
    std::atomic<bool> go_on{false};
    auto again = open_state(c, clock);
    testing::log_capture log;  // the dummy envelopes are logged as unreadable, not fatal
    EXPECT_NO_THROW(recover(*again, true, &go_on));
}

}  // namespace
}  // namespace baton
