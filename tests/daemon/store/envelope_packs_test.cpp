// Packs of envelopes: references read back exactly what was written and refuse any other bytes;
// the builder closes a pack before it passes its size; the reader slices envelopes out of packs
// on a real SQLite connection, unpacks each pack once for a scan in order, and names what is
// wrong with a missing pack or a reference past a pack's end.
#include "envelope_packs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "envelope_compressor.h"

namespace baton {
namespace {

TEST(pack_ref, written_references_read_back_exactly) {
    const std::int64_t max_id = std::numeric_limits<std::int64_t>::max();
    const std::uint64_t max_u = std::numeric_limits<std::uint64_t>::max();
    for (const pack_ref r :
         {pack_ref{1, 0, 0}, pack_ref{127, 127, 128}, pack_ref{128, 16383, 16384},
          pack_ref{max_id, max_u, max_u}, pack_ref{300000, 32767, 581}}) {
        std::string bytes;
        write_pack_ref(r, bytes);
        EXPECT_TRUE(is_pack_ref(bytes));
        const auto got = read_pack_ref(bytes);
        ASSERT_TRUE(got.has_value()) << r.pack;
        EXPECT_EQ(got->pack, r.pack);
        EXPECT_EQ(got->offset, r.offset);
        EXPECT_EQ(got->size, r.size);
    }
    std::string small;
    write_pack_ref({5, 100, 300}, small);
    EXPECT_EQ(small, std::string("\xc1\x05\x64\xac\x02", 5));
}

TEST(pack_ref, bytes_that_are_not_one_whole_reference_are_refused) {
    std::string good;
    write_pack_ref({70000, 20000, 400}, good);
    for (std::size_t cut = 0; cut < good.size(); ++cut)
        EXPECT_FALSE(read_pack_ref(good.substr(0, cut)).has_value()) << cut;
    EXPECT_FALSE(read_pack_ref(good + '\x00').has_value());                       // trailing bytes
    EXPECT_FALSE(read_pack_ref(std::string("\xc1\x00\x00\x00", 4)).has_value());  // pack 0
    // 2^64 and more does not fit; nor does a pack id past int64.
    EXPECT_FALSE(
        read_pack_ref(std::string("\xc1\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00", 13))
            .has_value());
    EXPECT_FALSE(
        read_pack_ref(std::string("\xc1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00", 13))
            .has_value());
    EXPECT_FALSE(is_pack_ref(std::string("\x85\xa1v", 3)));  // a MessagePack map
    EXPECT_FALSE(is_pack_ref(""));
}

TEST(pack_builder, a_pack_closes_before_it_passes_its_size_and_ids_follow_on) {
    pack_builder b;
    b.begin(7);
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.next_id(), 7);
    EXPECT_FALSE(b.full_for(10 * pack_builder::pack_bytes));  // an empty pack takes anything
    const std::string a(1000, 'a');
    auto ref = read_pack_ref(b.add(a));
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(ref->pack, 7);
    EXPECT_EQ(ref->offset, 0u);
    EXPECT_EQ(ref->size, 1000u);
    ref = read_pack_ref(b.add("xyz"));
    EXPECT_EQ(ref->offset, 1000u);
    EXPECT_EQ(ref->size, 3u);
    EXPECT_EQ(b.bytes(), a + "xyz");
    EXPECT_EQ(b.next_id(), 8);
    EXPECT_FALSE(b.full_for(pack_builder::pack_bytes - 1003));
    EXPECT_TRUE(b.full_for(pack_builder::pack_bytes - 1002));
    b.next();
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.id(), 8);
    EXPECT_EQ(read_pack_ref(b.add("q"))->pack, 8);
    b.begin(8);  // a commit rolled back: its ids are free again
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.next_id(), 8);
}

// An in-memory database with a packs table, and what the reader needs.
struct packs_db {
    packs_db() {
        EXPECT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
        EXPECT_EQ(
            sqlite3_exec(db, "CREATE TABLE packs(id INTEGER PRIMARY KEY, bytes BLOB NOT NULL)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
    }
    ~packs_db() { sqlite3_close(db); }
    void put(std::int64_t id, std::string_view bytes) {
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(
            sqlite3_prepare_v2(db, "INSERT INTO packs(id, bytes) VALUES(?,?)", -1, &st, nullptr),
            SQLITE_OK);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_blob(st, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
        EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
    }
    void drop(std::int64_t id) {
        const std::string sql = "DELETE FROM packs WHERE id = " + std::to_string(id);
        EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    }
    sqlite3* db = nullptr;
    envelope_compressor compressor;
};

std::string error_of(pack_reader& r, std::string_view stored) {
    try {
        (void)r.unpack(stored);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "no error";
}

TEST(pack_reader, envelopes_come_out_of_their_packs_each_pack_unpacked_once_in_a_scan) {
    packs_db d;
    pack_builder b;
    b.begin(1);
    std::vector<std::string> envelopes, refs;
    for (int i = 0; i < 200; ++i) {
        envelopes.push_back(
            "\x83\xa2id\xa9"
            "evt-" +
            std::to_string(10000 + i) + "\xa5topic" +
            std::string(static_cast<std::size_t>(300 + i % 17), 't'));
        if (b.full_for(envelopes.back().size())) {
            d.put(b.id(), d.compressor.pack(b.bytes()));
            b.next();
        }
        refs.emplace_back(b.add(envelopes.back()));
    }
    d.put(b.id(), d.compressor.pack(b.bytes()));
    ASSERT_GE(b.id(), 2);  // 200 envelopes of about 330 bytes: more than one pack
    pack_reader r(d.db, d.compressor);
    for (std::size_t i = 0; i < refs.size(); ++i) ASSERT_EQ(r.unpack(refs[i]), envelopes[i]) << i;
    // The last pack is kept: gone from the table, its envelopes still read; another is missing.
    d.drop(1);
    EXPECT_EQ(r.unpack(refs.back()), envelopes.back());
    EXPECT_EQ(error_of(r, refs.front()), "its pack 1 is missing");
    // Rows of before packs: a single frame, or the envelope as it is.
    EXPECT_EQ(r.unpack(envelopes[3]), envelopes[3]);
    EXPECT_EQ(error_of(r, std::string("\xc1\x01", 2)), "a damaged reference to a pack");
    // An empty envelope needs no pack (a commit of only empty ones stores none).
    std::string empty;
    write_pack_ref({99, 0, 0}, empty);
    EXPECT_EQ(r.unpack(empty), "");
    std::string past;
    write_pack_ref({1, 0, 1}, past);
    d.put(1, "");
    pack_reader fresh(d.db, d.compressor);
    EXPECT_EQ(error_of(fresh, past), "bytes 0+1 lie past the end of pack 1 (0 bytes)");
}

}  // namespace
}  // namespace baton
