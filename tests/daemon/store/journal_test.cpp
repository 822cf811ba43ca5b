// Tests of daemon/journal: appended entries read back field for field, scans from a seq with
// and without envelopes, last_seq and data survive a reopen, and a journal written by a newer
// batond (higher PRAGMA user_version) is refused rather than downgraded.
#include "journal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dedup.h"
#include "envelope.h"
#include "envelope_packs.h"
#include "events.h"
#include "temp_dir.h"

namespace baton {
namespace {

using baton::testing::temp_dir;

// The entry's envelope, made from its fields (the store keeps topic, source, id and order only
// in the envelope).
journal_entry sealed(journal_entry e, const std::string& pad = "") {
    envelope env;
    env.id = e.id;
    env.source = e.source;
    env.topic = e.topic;
    env.ts_ms = e.ts_ms;
    env.seq = e.seq;
    if (!e.order.empty()) env.order = e.order;
    value data;
    data.set("n", static_cast<long long>(e.seq));
    if (!pad.empty()) data.set("pad", pad);
    env.data = std::move(data);
    e.envelope = encode_envelope(env);
    return e;
}

journal_entry entry(std::int64_t seq, const std::string& order = "SO-1") {
    journal_entry e;
    e.seq = seq;
    e.received_ms = 1700000000000LL + seq;
    e.ts_ms = 1690000000000LL + seq * 10;
    e.topic = "sales.order.placed";
    e.source = "sales-erp";
    e.id = "evt-" + std::to_string(seq);
    e.order = order;
    e.origin = origin::ingest;
    return sealed(e);
}

void expect_same(const journal_entry& got, const journal_entry& want, bool with_envelope) {
    EXPECT_EQ(got.seq, want.seq);
    EXPECT_EQ(got.received_ms, want.received_ms);
    EXPECT_EQ(got.ts_ms, want.ts_ms);
    EXPECT_EQ(got.topic, want.topic);
    EXPECT_EQ(got.source, want.source);
    EXPECT_EQ(got.id, want.id);
    EXPECT_EQ(got.order, want.order);
    EXPECT_EQ(got.origin, want.origin);
    EXPECT_EQ(got.envelope, with_envelope ? want.envelope : std::string());
}

std::vector<journal_entry> scan_all(const journal& j, std::int64_t after, bool with_envelope) {
    std::vector<journal_entry> out;
    j.scan(after, with_envelope, [&](const journal_entry& e) { out.push_back(e); });
    return out;
}

TEST(journal, new_journal_is_empty_and_creates_its_folder) {
    temp_dir dir;
    journal j(dir / "var/state");
    EXPECT_EQ(j.last_seq(), 0);
    EXPECT_EQ(j.path(), dir / "var/state/baton.db");
    EXPECT_TRUE(std::filesystem::exists(j.path()));
    EXPECT_TRUE(scan_all(j, 0, true).empty());
    EXPECT_FALSE(j.read(1, true).has_value());
}

TEST(journal, appended_entry_reads_back_every_field) {
    temp_dir dir;
    journal j(dir.path().string());
    journal_entry e = entry(1);
    e.origin = origin::subscribe;
    j.append({e});
    EXPECT_EQ(j.last_seq(), 1);
    auto got = j.read(1, true);
    ASSERT_TRUE(got.has_value());
    expect_same(*got, e, true);
}

TEST(journal, read_without_envelope_leaves_it_empty) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1)});
    auto got = j.read(1, false);
    ASSERT_TRUE(got.has_value());
    expect_same(*got, entry(1), false);
}

TEST(journal, entry_without_order_reads_back_empty_order) {
    temp_dir dir;
    journal j(dir.path().string());
    journal_entry e = entry(1, "");
    e.topic = "finance.receivable.updated";
    e = sealed(e);
    j.append({e});
    auto got = j.read(1, true);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->order, "");
    EXPECT_EQ(got->topic, "finance.receivable.updated");
}

TEST(journal, envelope_bytes_with_nul_are_kept_exactly) {
    temp_dir dir;
    journal j(dir.path().string());
    journal_entry e = entry(1);
    e.envelope = std::string("\x00\x01\x00\xc1\xff", 5);
    j.append({e});
    EXPECT_EQ(j.read(1, true)->envelope, e.envelope);
    // Not an envelope: what it would say of itself stays empty, and reading is no error.
    const auto meta = j.read(1, false);
    ASSERT_TRUE(meta.has_value());
    EXPECT_EQ(meta->topic + meta->source + meta->id + meta->order, "");
    EXPECT_EQ(meta->received_ms, e.received_ms);
}

// A commit whose only envelope is empty stores no pack; the envelope still reads back empty.
TEST(journal, an_empty_envelope_reads_back_empty_without_a_pack) {
    temp_dir dir;
    journal j(dir.path().string());
    journal_entry e = entry(1);
    e.envelope.clear();
    j.append({e});
    EXPECT_EQ(j.read(1, true)->envelope, "");
    j.append({entry(2)});  // the next commit's pack takes the id the empty one's reference names
    EXPECT_EQ(j.read(1, true)->envelope, "");
    expect_same(*j.read(2, true), entry(2), true);
}

TEST(journal, read_of_an_absent_seq_is_nullopt) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1), entry(2)});
    EXPECT_FALSE(j.read(0, true).has_value());
    EXPECT_FALSE(j.read(3, false).has_value());
    EXPECT_TRUE(j.read(2, false).has_value());
}

TEST(journal, batch_append_advances_last_seq_to_its_end) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1), entry(2), entry(3)});
    EXPECT_EQ(j.last_seq(), 3);
    j.append({entry(4)});
    EXPECT_EQ(j.last_seq(), 4);
    j.append({});
    EXPECT_EQ(j.last_seq(), 4);
}

TEST(journal, scan_from_a_seq_returns_later_entries_in_order_with_envelopes) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1), entry(2), entry(3), entry(4), entry(5)});
    auto got = scan_all(j, 2, true);
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t i = 0; i < got.size(); ++i)
        expect_same(got[i], entry(static_cast<std::int64_t>(i) + 3), true);
}

TEST(journal, scan_without_envelopes_returns_metadata_only) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1), entry(2), entry(3)});
    auto got = scan_all(j, 0, false);
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t i = 0; i < got.size(); ++i)
        expect_same(got[i], entry(static_cast<std::int64_t>(i) + 1), false);
}

TEST(journal, id_scan_gives_each_later_entry_s_seq_time_and_key_in_order) {
    temp_dir dir;
    journal j(dir.path().string());
    journal_entry other = entry(3);
    other.source = "mes";
    other.id = std::string(300, 'x');
    j.append({entry(1), entry(2), sealed(other), entry(4)});
    std::vector<std::pair<std::int64_t, std::uint64_t>> got;
    j.scan_ids(1, [&](std::int64_t seq, std::int64_t received_ms, std::uint64_t key) {
        EXPECT_EQ(received_ms, 1700000000000LL + seq);
        got.emplace_back(seq, key);
    });
    const std::vector<std::pair<std::int64_t, std::uint64_t>> want = {
        {2, dedup_window::key("sales-erp", "evt-2")},
        {3, dedup_window::key("mes", std::string(300, 'x'))},
        {4, dedup_window::key("sales-erp", "evt-4")}};
    EXPECT_EQ(got, want);
    got.clear();
    j.scan_ids(4, [&](std::int64_t, std::int64_t, std::uint64_t k) { got.emplace_back(0, k); });
    EXPECT_TRUE(got.empty());
}

TEST(journal, scan_from_the_last_seq_returns_nothing) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1), entry(2)});
    EXPECT_TRUE(scan_all(j, 2, true).empty());
    EXPECT_TRUE(scan_all(j, 100, false).empty());
}

TEST(journal, exception_from_the_scan_callback_propagates_and_the_journal_still_works) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1), entry(2)});
    EXPECT_THROW(j.scan(0, true, [](const journal_entry&) { throw std::runtime_error("stop"); }),
                 std::runtime_error);
    EXPECT_EQ(scan_all(j, 0, true).size(), 2u);
    j.append({entry(3)});
    EXPECT_EQ(j.last_seq(), 3);
}

// Descriptors this process holds open on files under `folder` (the database, its -wal, -shm).
int open_files_under(const std::filesystem::path& folder) {
    int n = 0;
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        std::error_code link_ec;
        const auto target = std::filesystem::read_symlink(fd.path(), link_ec);
        if (!link_ec && target.string().rfind(folder.string(), 0) == 0) ++n;
    }
    return n;
}

// A statement left unfinalised keeps the connection (and its files) open after sqlite3_close.
// Every read whose callback throws must still finalise its statement.
TEST(journal, a_throwing_callback_leaks_no_statement_and_the_files_close) {
    temp_dir dir;
    {
        journal j(dir / "var");
        journal_batch b;
        b.entries = {entry(1), entry(2)};
        b.exceptions = {{1, "x"}, {2, "y"}};
        b.tasks = {{1, "t"}};
        b.feed = {{1, "{}"}, {2, "{}"}};
        j.commit(b);
        j.write_snapshot(snapshot_header{2, 0, "c"}, {{"SO-1", "s"}});
        struct stop : std::runtime_error {
            stop() : std::runtime_error("stop") {}
        };
        EXPECT_THROW(
            j.load_records([](std::string_view) { throw stop(); }, [](std::string_view) {}), stop);
        EXPECT_THROW(
            j.load_records([](std::string_view) {}, [](std::string_view) { throw stop(); }), stop);
        EXPECT_THROW(j.read_feed(0, [](std::uint64_t, const std::string&) { throw stop(); }), stop);
        EXPECT_THROW(j.load_snapshot([](std::string_view, std::string_view) { throw stop(); }),
                     stop);
        EXPECT_THROW(j.scan(0, true, [](const journal_entry&) { throw stop(); }), stop);
        // Still usable.
        EXPECT_EQ(j.read_outbox(0, 10).size(), 0u);
        EXPECT_GT(open_files_under(dir / "var"), 0);
    }
    EXPECT_EQ(open_files_under(dir / "var"), 0);
}

TEST(journal, duplicate_seq_is_refused_and_rolled_back) {
    temp_dir dir;
    journal j(dir.path().string());
    j.append({entry(1)});
    // seq 2 then seq 2 again: the primary key refuses the second, and the first must not stay.
    EXPECT_THROW(j.append({entry(2), entry(2)}), journal_error);
    EXPECT_EQ(j.last_seq(), 1);
    EXPECT_FALSE(j.read(2, false).has_value());
    j.append({entry(2)});
    EXPECT_EQ(j.last_seq(), 2);
}

TEST(journal, last_seq_survives_reopen) {
    temp_dir dir;
    {
        journal j(dir.path().string());
        j.append({entry(1), entry(2)});
        j.append({entry(3)});
    }
    journal j(dir.path().string());
    EXPECT_EQ(j.last_seq(), 3);
    j.append({entry(4)});
    EXPECT_EQ(j.last_seq(), 4);
}

TEST(journal, data_survives_reopen) {
    temp_dir dir;
    {
        journal j(dir.path().string());
        j.append({entry(1), entry(2, "")});
    }
    journal j(dir.path().string());
    auto got = scan_all(j, 0, true);
    ASSERT_EQ(got.size(), 2u);
    expect_same(got[0], entry(1), true);
    expect_same(got[1], entry(2, ""), true);
}

// Sets PRAGMA user_version of an existing database file.
void set_user_version(const std::string& path, int version) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string sql = "PRAGMA user_version=" + std::to_string(version);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

int user_version(const std::string& path) {
    sqlite3* db = nullptr;
    int version = -1;
    if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            version = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return version;
}

TEST(journal, new_journal_records_its_schema_version) {
    temp_dir dir;
    std::string path;
    {
        journal j(dir.path().string());
        path = j.path();
    }
    EXPECT_EQ(user_version(path), journal_schema_version);
}

// A relayed envelope about an order, as the order engine makes one.
outbox_entry relayed_about(std::uint64_t seq, const std::string& order) {
    envelope e;
    e.seq = seq;
    e.id = "baton-" + std::to_string(seq);
    e.source = "baton";
    e.topic = "sales.status";
    e.ts_ms = 1000 + static_cast<std::int64_t>(seq);
    if (!order.empty()) e.order = order;
    e.data = value(value_map{});
    return {seq, e.topic, encode_envelope(e), order};
}

TEST(journal, relayed_messages_are_found_by_order_also_after_an_upgrade_from_schema_2) {
    temp_dir dir;
    std::string path;
    auto seqs_of = [](const std::vector<outbox_entry>& list) {
        std::vector<std::uint64_t> out;
        for (const auto& m : list) out.push_back(m.seq);
        return out;
    };
    {
        journal j(dir.path().string());
        journal_batch b;
        b.relayed = {relayed_about(1, "SO-1"), relayed_about(2, "SO-2"), relayed_about(3, ""),
                     relayed_about(4, "SO-1")};
        j.commit(b);
        EXPECT_EQ(seqs_of(j.read_relayed_of("SO-1", 10)), (std::vector<std::uint64_t>{1, 4}));
        EXPECT_EQ(seqs_of(j.read_relayed_of("SO-1", 1)), std::vector<std::uint64_t>{4});
        EXPECT_TRUE(j.read_relayed_of("SO-9", 10).empty());
        path = j.path();
    }
    // A store of schema 2 had no index: drop it and say 2; opening builds it from the envelopes.
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(db, "DROP TABLE relay_order", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    set_user_version(path, 2);
    journal j(dir.path().string());
    EXPECT_EQ(j.migrated_from(), 2);
    EXPECT_EQ(user_version(path), journal_schema_version);
    EXPECT_EQ(seqs_of(j.read_relayed_of("SO-1", 10)), (std::vector<std::uint64_t>{1, 4}));
    EXPECT_EQ(seqs_of(j.read_relayed_of("SO-2", 10)), std::vector<std::uint64_t>{2});
}

TEST(journal, journal_of_a_newer_version_is_refused) {
    temp_dir dir;
    std::string path;
    {
        journal j(dir.path().string());
        j.append({entry(1)});
        path = j.path();
    }
    set_user_version(path, 99);
    try {
        journal j(dir.path().string());
        FAIL() << "a journal of schema version 99 was opened";
    } catch (const journal_error& e) {
        EXPECT_EQ(std::string(e.what()), path + " has schema version 99; this batond knows up to " +
                                             std::to_string(journal_schema_version) +
                                             " (downgrade refused)");
    }
    // Refusing must not touch the file: its version is still 99.
    EXPECT_EQ(user_version(path), 99);
}

// Checkpoints run on the checkpointer's thread, not in the writer's commits: after far more
// data than a WAL of the automatic threshold holds, the WAL file is still small (it starts over
// once a checkpoint caught up) and the writer never had to checkpoint itself.
TEST(journal, the_write_ahead_log_is_checkpointed_off_the_writers_thread_and_reused) {
    temp_dir dir;
    journal j(dir.path().string());
    const std::string wal = j.path() + "-wal";
    // About a page per event, of bytes no compression shrinks (the journal packs envelopes).
    std::uint64_t state = 88172645463325252ull;
    auto noise = [&] {
        std::string b(4000, '\0');
        for (auto& c : b) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            c = static_cast<char>(state);
        }
        return b;
    };
    std::int64_t seq = 0;
    std::uintmax_t largest = 0;
    for (int batch = 0; batch < 200; ++batch) {  // ~6,000 pages: 6 times the threshold
        std::vector<journal_entry> entries;
        for (int i = 0; i < 30; ++i) {
            journal_entry e = entry(++seq);
            e.envelope = noise();
            entries.push_back(std::move(e));
        }
        j.append(entries);
        largest = std::max(largest, std::filesystem::file_size(wal));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // as the loop fills a batch
    }
    EXPECT_GT(j.checkpoints(), 0u);
    EXPECT_EQ(j.writer_checkpoints(), 0u);
    // A WAL that was never reset would hold every page written: 200 × 30 × 4 KB = 24 MB; the
    // writer's own fallback starts at 4,000 pages (16 MB).
    EXPECT_LT(largest, 12u << 20) << "largest WAL: " << largest << " bytes";
    EXPECT_EQ(scan_all(j, 0, false).size(), static_cast<std::size_t>(seq));
}

TEST(journal, the_first_seq_received_from_a_time_is_found_by_binary_search) {
    temp_dir dir;
    journal j(dir.path().string());
    EXPECT_EQ(j.first_seq_received_from(0), 1);  // empty: last_seq + 1
    std::vector<journal_entry> entries;
    for (std::int64_t seq = 1; seq <= 1000; ++seq) entries.push_back(entry(seq));
    j.append(entries);
    const std::int64_t base = entry(0).received_ms;  // entry n was received at base + n
    EXPECT_EQ(j.first_seq_received_from(0), 1);
    EXPECT_EQ(j.first_seq_received_from(base + 1), 1);
    EXPECT_EQ(j.first_seq_received_from(base + 2), 2);
    EXPECT_EQ(j.first_seq_received_from(base + 617), 617);
    EXPECT_EQ(j.first_seq_received_from(base + 1000), 1000);
    EXPECT_EQ(j.first_seq_received_from(base + 1001), 1001);
}

TEST(journal, unopenable_data_dir_is_a_journal_error) {
    temp_dir dir;
    std::string file = dir.write("not_a_dir", "x");
    EXPECT_THROW(journal j(file + "/sub"), journal_error);
}

}  // namespace
}  // namespace baton

namespace baton {
namespace {

// An entry carrying a real envelope, as batond journals it.
journal_entry plant_entry(std::int64_t seq) {
    const envelope e =
        (seq % 2)
            ? testing::order_placed("p-" + std::to_string(seq), "SO-" + std::to_string(seq / 2))
            : testing::credit_approved("c-" + std::to_string(seq), "SO-" + std::to_string(seq / 2));
    journal_entry j = entry(seq, *e.order);
    j.topic = e.topic;
    j.source = e.source;
    j.id = e.id;
    j.envelope = encode_envelope(e);
    return j;
}

outbox_entry relay_of(const journal_entry& e, std::uint64_t seq) {
    return {seq, "sales.status", e.envelope + std::string(1, '\x01'), e.order};
}

std::int64_t count_of(const std::string& db, const std::string& sql) {
    sqlite3* h = nullptr;
    EXPECT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    const std::int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

// Topic, source, id and order are stored once, in the envelope: the row's own columns for
// them stay empty, and the duplicate window's key of (source, id) is beside them.
TEST(journal, the_envelope_s_fields_are_stored_once_in_the_envelope) {
    temp_dir dir;
    std::string path;
    {
        journal j(dir.path().string());
        j.append({entry(1), entry(2, ""), entry(3)});
        path = j.path();
        expect_same(*j.read(2, false), entry(2, ""), false);
    }
    EXPECT_EQ(count_of(path,
                       "SELECT count(*) FROM journal WHERE topic = '' AND source = '' AND "
                       "event_id = '' AND order_id IS NULL AND id_key IS NOT NULL"),
              3);
    EXPECT_EQ(count_of(path, "SELECT id_key FROM journal WHERE seq = 3"),
              static_cast<std::int64_t>(dedup_window::key("sales-erp", "evt-3")));
}

// Appends batches of 100 entries (each with a relay message) until the journal compresses,
// then `more` entries; returns every entry and relay message appended.
void fill_until_compressing(journal& j, std::int64_t more, std::vector<journal_entry>& entries,
                            std::vector<outbox_entry>& relayed) {
    std::int64_t seq = j.last_seq();
    auto append_batch = [&](std::int64_t n) {
        std::vector<journal_entry> es;
        std::vector<outbox_entry> rs;
        for (std::int64_t i = 0; i < n; ++i) {
            es.push_back(plant_entry(++seq));
            rs.push_back(relay_of(es.back(), static_cast<std::uint64_t>(seq)));
        }
        j.append(es, rs);
        entries.insert(entries.end(), es.begin(), es.end());
        relayed.insert(relayed.end(), rs.begin(), rs.end());
    };
    for (int i = 0; i < 3000 && !j.compressing(); ++i) {
        append_batch(100);
        if (!j.compressing()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(j.compressing());
    append_batch(more);
}

// Envelopes are stored in packs, one zstd frame for a commit's envelopes, and the rows hold
// references into them; once a dictionary is trained on the first envelopes, packs are
// compressed with it. Every read gives the envelopes back byte for byte, and so does the store
// reopened.
TEST(journal, envelopes_are_stored_in_compressed_packs_and_read_back_byte_for_byte) {
    temp_dir dir;
    std::vector<journal_entry> entries;
    std::vector<outbox_entry> relayed;
    std::string path;
    {
        journal j(dir.path().string());
        j.train_dictionary_after(64 * 1024);
        EXPECT_FALSE(j.compressing());
        fill_until_compressing(j, 500, entries, relayed);
        path = j.path();
        const auto all = scan_all(j, 0, true);
        ASSERT_EQ(all.size(), entries.size());
        for (std::size_t i = 0; i < all.size(); ++i) expect_same(all[i], entries[i], true);
        const auto outbox = j.read_outbox(0, relayed.size() + 1);
        ASSERT_EQ(outbox.size(), relayed.size());
        for (std::size_t i = 0; i < outbox.size(); ++i)
            ASSERT_EQ(outbox[i].envelope, relayed[i].envelope) << i;
    }
    EXPECT_EQ(count_of(path, "SELECT count(*) FROM dictionaries"), 1);
    const auto n = static_cast<std::int64_t>(entries.size());
    EXPECT_EQ(count_of(path,
                       "SELECT count(*) FROM journal WHERE hex(substr(envelope, 1, 1)) = "
                       "'C1' AND length(envelope) < 12"),
              n);
    EXPECT_EQ(count_of(path,
                       "SELECT count(*) FROM relay WHERE hex(substr(envelope, 1, 1)) = "
                       "'C1' AND length(envelope) < 12"),
              n);
    // Every pack is a zstd frame, and all of them take less than a fifth of the envelopes' bytes.
    EXPECT_EQ(count_of(path,
                       "SELECT count(*) FROM packs WHERE hex(substr(bytes, 1, 4)) <> "
                       "'28B52FFD'"),
              0);
    std::int64_t raw = 0;
    for (std::size_t i = 0; i < entries.size(); ++i)
        raw += static_cast<std::int64_t>(entries[i].envelope.size() + relayed[i].envelope.size());
    EXPECT_LT(5 * count_of(path, "SELECT sum(length(bytes)) FROM packs"), raw);

    journal j(dir.path().string());
    EXPECT_TRUE(j.compressing());  // the dictionary comes from the store
    const auto e = j.read(entries.back().seq, true);
    ASSERT_TRUE(e.has_value());
    expect_same(*e, entries.back(), true);
    const auto of = j.read_relayed_of(relayed.back().order, 10);
    ASSERT_FALSE(of.empty());
    EXPECT_EQ(of.back().envelope, relayed.back().envelope);
    // New envelopes go to a new pack, packed with the same dictionary: no second one is trained.
    const std::int64_t packs = count_of(path, "SELECT count(*) FROM packs");
    std::vector<journal_entry> more = {plant_entry(j.last_seq() + 1)};
    j.append(more);
    EXPECT_EQ(j.read(more[0].seq, true)->envelope, more[0].envelope);
    EXPECT_EQ(count_of(path, "SELECT count(*) FROM dictionaries"), 1);
    EXPECT_EQ(count_of(path, "SELECT count(*) FROM packs"), packs + 1);
}

// A commit of more envelopes than a pack holds spans several packs, each at most pack_bytes
// unless one envelope alone is larger; the reads across their boundaries, in order and one by
// one, give every envelope back, also after a reopen, and the next commit's packs follow on.
TEST(journal, a_commit_larger_than_a_pack_spans_several_and_reads_back_across_them) {
    temp_dir dir;
    journal_batch b;
    for (std::int64_t seq = 1; seq <= 300; ++seq) {
        // Distinct bytes of about 1 KiB, so that zstd cannot fold them all into one.
        std::string pad;
        for (std::int64_t k = 0; k < 60; ++k) pad += std::to_string(seq * 7919 + k * 104729);
        if (seq == 150) pad.append(3 * pack_builder::pack_bytes, 'x');  // a pack of its own
        const journal_entry e = sealed(entry(seq, "SO-" + std::to_string(seq / 2)), pad);
        b.entries.push_back(e);
        b.relayed.push_back(relay_of(e, static_cast<std::uint64_t>(seq)));
    }
    std::string path;
    std::int64_t packs = 0;
    {
        journal j(dir.path().string());
        j.commit(b);
        path = j.path();
        packs = count_of(path, "SELECT count(*) FROM packs");
        // The large event and its relay message have a pack each; the rest fill packs.
        std::size_t rest = 0;
        for (std::size_t i = 0; i < b.entries.size(); ++i)
            if (i != 149) rest += b.entries[i].envelope.size() + b.relayed[i].envelope.size();
        EXPECT_GE(static_cast<std::size_t>(packs), rest / pack_builder::pack_bytes + 2);
        const auto all = scan_all(j, 0, true);
        ASSERT_EQ(all.size(), b.entries.size());
        for (std::size_t i = 0; i < all.size(); ++i) expect_same(all[i], b.entries[i], true);
        for (std::int64_t seq : {300, 1, 150, 151, 149, 77})
            expect_same(*j.read(seq, true), b.entries[static_cast<std::size_t>(seq - 1)], true);
    }
    journal j(dir.path().string());
    const auto outbox = j.read_outbox(0, 1000);
    ASSERT_EQ(outbox.size(), b.relayed.size());
    for (std::size_t i = 0; i < outbox.size(); ++i)
        ASSERT_EQ(outbox[i].envelope, b.relayed[i].envelope) << i;
    const auto of = j.read_relayed_of(b.relayed[149].order, 10);
    ASSERT_FALSE(of.empty());
    EXPECT_EQ(of.back().envelope, b.relayed[150].envelope);  // SO-75: seqs 150 and 151
    j.append({plant_entry(301)});
    EXPECT_EQ(count_of(path, "SELECT count(*) FROM packs"), packs + 1);
    EXPECT_EQ(j.read(301, true)->envelope, plant_entry(301).envelope);
}

// A store of schema 5 holds its envelopes in the rows themselves (as received, or one zstd
// frame each): opened by this batond it becomes schema 6, those rows read as before, and new
// rows go to packs, in one scan with the old ones.
TEST(journal, rows_of_a_schema_5_store_read_as_before_and_new_ones_go_to_packs) {
    temp_dir dir;
    std::string path;
    const journal_entry old1 = plant_entry(1), old2 = plant_entry(2);
    {
        journal j(dir.path().string());
        path = j.path();
    }
    {
        sqlite3* h = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
        // Schema 5's journal: no id_key column (SQLite 3.35 and later drop one).
        ASSERT_EQ(sqlite3_exec(h,
                               "DROP TABLE packs; ALTER TABLE journal DROP COLUMN id_key; "
                               "PRAGMA user_version=5",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(
            sqlite3_prepare_v2(h,
                               "INSERT INTO journal(seq, received_ms, ts_ms, topic, source, "
                               "event_id, order_id, origin, envelope) VALUES(?,?,?,?,?,?,?,0,?)",
                               -1, &st, nullptr),
            SQLITE_OK);
        for (const journal_entry* e : {&old1, &old2}) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, e->seq);
            sqlite3_bind_int64(st, 2, e->received_ms);
            sqlite3_bind_int64(st, 3, e->ts_ms);
            sqlite3_bind_text(st, 4, e->topic.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 5, e->source.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 6, e->id.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 7, e->order.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(st, 8, e->envelope.data(), static_cast<int>(e->envelope.size()),
                              SQLITE_TRANSIENT);
            ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
        }
        sqlite3_finalize(st);
        sqlite3_close(h);
    }
    journal j(dir.path().string());
    EXPECT_EQ(j.migrated_from(), 5);
    EXPECT_EQ(user_version(path), journal_schema_version);
    EXPECT_EQ(j.last_seq(), 2);
    const journal_entry fresh = plant_entry(3);
    j.append({fresh});
    EXPECT_EQ(count_of(path, "SELECT count(*) FROM packs"), 1);
    const auto all = scan_all(j, 0, true);
    ASSERT_EQ(all.size(), 3u);
    expect_same(all[0], old1, true);
    expect_same(all[1], old2, true);
    expect_same(all[2], fresh, true);
    // Metadata of the old rows from their columns, of the new from the envelope.
    expect_same(*j.read(1, false), old1, false);
    expect_same(*j.read(3, false), fresh, false);
    // The old rows have no stored key: the id scan makes it from their text.
    std::vector<std::uint64_t> keys;
    j.scan_ids(0, [&](std::int64_t, std::int64_t, std::uint64_t k) { keys.push_back(k); });
    EXPECT_EQ(keys, (std::vector<std::uint64_t>{dedup_window::key(old1.source, old1.id),
                                                dedup_window::key(old2.source, old2.id),
                                                dedup_window::key(fresh.source, fresh.id)}));
}

// Sets the stored envelope of journal row `seq` to `bytes`.
void store_envelope(const std::string& path, std::int64_t seq, const std::string& bytes) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(h, "UPDATE journal SET envelope = ? WHERE seq = ?", -1, &st, nullptr),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, seq);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

std::string read_error(const journal& j, std::int64_t seq) {
    try {
        (void)j.read(seq, true);
    } catch (const journal_error& e) {
        return e.what();
    }
    return "no error";
}

// A damaged reference, a reference past its pack's end and a missing pack are errors that name
// the event and what is wrong; the rows' keys still read.
TEST(journal, a_damaged_reference_or_a_missing_pack_is_an_error_naming_the_event) {
    temp_dir dir;
    std::string path;
    {
        journal j(dir.path().string());
        j.append({entry(1), entry(2), entry(3)});
        path = j.path();
    }
    store_envelope(path, 1, std::string("\xc1\x01\x80", 3));  // cut in its offset
    std::string past;
    write_pack_ref({1, 5, 4096}, past);
    store_envelope(path, 2, past);
    {
        journal j(dir.path().string());
        EXPECT_EQ(read_error(j, 1), path + ": event 1: a damaged reference to a pack");
        EXPECT_EQ(read_error(j, 2),
                  path + ": event 2: bytes 5+4096 lie past the end of pack 1 (" +
                      std::to_string(entry(1).envelope.size() + entry(2).envelope.size() +
                                     entry(3).envelope.size()) +
                      " bytes)");
        expect_same(*j.read(3, true), entry(3), true);
        // The row's topic, source and id are in its envelope: they cannot be read either.
        EXPECT_THROW((void)j.read(1, false), journal_error);
    }
    ASSERT_EQ(count_of(path, "SELECT count(*) FROM packs"), 1);
    {
        sqlite3* h = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(h, "DELETE FROM packs", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(h);
    }
    journal j(dir.path().string());
    EXPECT_EQ(read_error(j, 3), path + ": event 3: its pack 1 is missing");
    EXPECT_THROW(scan_all(j, 0, true), journal_error);
    EXPECT_THROW(scan_all(j, 0, false), journal_error);
    // The duplicate window's keys are the row's own: a start still reads them all.
    std::size_t keys = 0;
    j.scan_ids(0, [&](std::int64_t, std::int64_t, std::uint64_t) { ++keys; });
    EXPECT_EQ(keys, 3u);
}

// A pack whose dictionary the store lost cannot be read: the error names the row and the pack.
// Packs stored before the dictionary, compressed plainly, still read.
TEST(journal, a_pack_without_its_dictionary_is_an_error_naming_the_event) {
    temp_dir dir;
    std::vector<journal_entry> entries;
    std::vector<outbox_entry> relayed;
    std::string path;
    {
        journal j(dir.path().string());
        j.train_dictionary_after(64 * 1024);
        fill_until_compressing(j, 10, entries, relayed);
        path = j.path();
    }
    {
        sqlite3* h = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(h, "DELETE FROM dictionaries", nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(h);
    }
    journal j(dir.path().string());
    EXPECT_FALSE(j.compressing());
    EXPECT_EQ(j.read(1, true)->envelope, entries[0].envelope);  // packed before: plainly
    const std::string what = read_error(j, entries.back().seq);
    EXPECT_NE(what.find("event " + std::to_string(entries.back().seq) + ": pack "),
              std::string::npos)
        << what;
    EXPECT_NE(what.find(": stored compressed with dictionary "), std::string::npos) << what;
}

// The archive: rows by id with their records' ids, the records marked and left out of a start,
// marked back when readmitted; the count follows rows added, replaced and removed, also over a
// reopen, and a snapshot that stores an order again removes its row with its header.
TEST(journal, archived_orders_are_kept_by_id_counted_and_removed_with_the_snapshot_header) {
    temp_dir dir;
    auto records = [](journal& j) {
        std::vector<std::string> out;
        j.load_records([&](std::string_view e) { out.push_back("e:" + std::string(e)); },
                       [&](std::string_view t) { out.push_back("t:" + std::string(t)); });
        return out;
    };
    {
        journal j(dir / "var");
        EXPECT_FALSE(j.read_archived("SO-1"));
        journal_batch b;
        b.entries = {entry(1)};
        b.exceptions = {{1, "x1"}, {2, "x2"}};
        b.tasks = {{1, "t1"}};
        j.commit(b);
        b.clear();
        b.archived = {{"SO-1", "state-1", {1, 2}, {1}}};
        j.commit(b);
        EXPECT_EQ(j.archived_orders(), 1u);
        EXPECT_TRUE(records(j).empty());
        b.archived = {{"SO-1", "state-1b", {1, 2}, {1}}};  // replaced: still one
        j.commit(b);
        EXPECT_EQ(j.archived_orders(), 1u);
        const auto row = j.read_archived("SO-1");
        ASSERT_TRUE(row);
        EXPECT_EQ(row->state, "state-1b");
        EXPECT_EQ(row->exceptions, (std::vector<std::uint64_t>{1, 2}));
        EXPECT_EQ(row->tasks, (std::vector<std::uint64_t>{1}));
        EXPECT_EQ(j.read_exception(2), std::optional<std::string>("x2"));
        EXPECT_EQ(j.read_task(1), std::optional<std::string>("t1"));
        EXPECT_EQ(j.max_exception_id(), 2u);
        EXPECT_EQ(j.max_task_id(), 1u);
        b.clear();
        b.readmitted_exceptions = {2};
        j.commit(b);
        EXPECT_EQ(records(j), (std::vector<std::string>{"e:x2"}));
    }
    journal j(dir / "var");
    EXPECT_EQ(j.archived_orders(), 1u);
    snapshot_header h{1, 0, "c"};
    h.unarchived = {"SO-1", "SO-9"};  // SO-9 was never archived: nothing to remove
    j.write_snapshot(h, {{"SO-1", "state-2"}});
    EXPECT_EQ(j.archived_orders(), 0u);
    EXPECT_FALSE(j.read_archived("SO-1"));
    journal_batch b;
    b.archived = {{"SO-2", "s", {}, {}}};
    j.commit(b);
    EXPECT_EQ(j.archived_orders(), 1u);
    j.clear_snapshot();
    EXPECT_EQ(j.archived_orders(), 0u);
    EXPECT_EQ(records(j).size(), 3u) << "a rebuild counts every record again";
}

}  // namespace
}  // namespace baton
