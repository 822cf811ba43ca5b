// Tests of daemon/store/dedup_checkpoint: the duplicate window written at a clean stop reads back
// as the same window (its keys, their seqs, its order of forgetting); a file that is missing,
// torn, damaged, from another program, or written with a smaller window than now configured is
// not used, says why, and leaves the window untouched.
#include "dedup_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace baton {
namespace {

constexpr std::int64_t hour_ms = 3600 * 1000;

std::uint64_t key_of(int i) {
    return dedup_window::key("sales-erp", "evt-" + std::to_string(i));
}

// Events 1..n, one a millisecond from `at`: a window of `max` forgets the oldest past it, so the
// ring has wrapped when n > max.
dedup_window filled(int n, std::size_t max, std::int64_t at = 1000) {
    dedup_window w(hour_ms, max);
    for (int i = 1; i <= n; ++i) w.insert(key_of(i), i, at + i);
    return w;
}

std::string bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void put(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(dedup_checkpoint, the_window_reads_back_as_it_was) {
    testing::temp_dir dir;
    const std::string path = dir / "baton.dedup";
    // 5000 events in a window of 3000: the oldest 2000 are forgotten and the ring has wrapped.
    const dedup_window w = filled(5000, 3000);
    std::string error;
    ASSERT_TRUE(dedup_checkpoint::write(path, w, error)) << error;
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

    dedup_window back(hour_ms, 3000);
    std::string why;
    const std::optional<dedup_mark> mark = dedup_checkpoint::read(path, back, why);
    ASSERT_TRUE(mark) << why;
    EXPECT_EQ(mark->seq, 5000);
    EXPECT_EQ(mark->received_ms, 6000);
    EXPECT_EQ(mark->key, key_of(5000));
    EXPECT_EQ(back.size(), 3000u);
    for (int i = 1; i <= 5000; ++i) {
        const std::optional<std::int64_t> seq = back.find(key_of(i));
        if (i <= 2000)
            EXPECT_FALSE(seq) << i;
        else
            EXPECT_EQ(seq, i) << i;
    }
    // It goes on as the window it was: the next insert forgets event 2001, then 2002.
    back.insert(key_of(5001), 5001, 6001);
    EXPECT_FALSE(back.find(key_of(2001)));
    EXPECT_EQ(back.find(key_of(2002)), 2002);
    // Forgetting by age, oldest first, as the window it was.
    back.expire(1000 + 3500 + hour_ms);
    EXPECT_FALSE(back.find(key_of(3499)));
    EXPECT_EQ(back.find(key_of(3500)), 3500);
}

TEST(dedup_checkpoint, the_mark_is_the_newest_entry_and_an_empty_window_has_none) {
    EXPECT_FALSE(dedup_checkpoint::mark_of(dedup_window(hour_ms, 10)));
    const std::optional<dedup_mark> mark = dedup_checkpoint::mark_of(filled(7, 10));
    ASSERT_TRUE(mark);
    EXPECT_EQ(mark->seq, 7);
    EXPECT_EQ(mark->received_ms, 1007);
    EXPECT_EQ(mark->key, key_of(7));
}

TEST(dedup_checkpoint, a_missing_file_is_no_checkpoint_and_no_complaint) {
    testing::temp_dir dir;
    dedup_window w(hour_ms, 10);
    std::string why = "left over";
    EXPECT_FALSE(dedup_checkpoint::read(dir / "baton.dedup", w, why));
    EXPECT_EQ(why, "");
}

TEST(dedup_checkpoint, the_file_sits_beside_the_store) {
    EXPECT_EQ(dedup_checkpoint::path_for("/var/lib/baton/baton.db"), "/var/lib/baton/baton.dedup");
}

// Every way a file can be wrong is refused with its reason, and the window stays empty.
TEST(dedup_checkpoint, a_torn_damaged_or_foreign_file_is_refused_and_says_why) {
    testing::temp_dir dir;
    const std::string path = dir / "baton.dedup";
    std::string error;
    ASSERT_TRUE(dedup_checkpoint::write(path, filled(500, 1000), error)) << error;
    const std::string good = bytes_of(path);
    ASSERT_GT(good.size(), 88u);

    struct bad_case {
        const char* name;
        std::string bytes;
        const char* reason;
    };
    std::string flipped_in_ring = good;
    flipped_in_ring[88 + 24 * 10 + 3] ^= 0x40;
    std::string flipped_in_index = good;
    flipped_in_index[good.size() - 5] ^= 0x01;
    std::string flipped_seed = good;
    flipped_seed[32] ^= 0x01;  // the seed: a wrong one would misplace every key
    std::string other_magic = good;
    other_magic[7] = '2';
    std::string other_order = good;
    other_order[8] = 0x01, other_order[9] = 0x02, other_order[10] = 0x03, other_order[11] = 0x04;
    std::string grown_ring = good;
    grown_ring[56] ^= 0x01;  // ring_size
    std::string other_layout = good;
    other_layout[72] ^= 0x01;  // the layout: as a build that places keys otherwise would write
    std::string head_past_tail = good;
    head_past_tail[40] = '\xff', head_past_tail[41] = '\xff';  // head (always 0 when written)
    const std::vector<bad_case> cases = {
        {"empty", "", "cannot read its header: the file ends early"},
        {"a header cut short", good.substr(0, 40), "cannot read its header"},
        {"torn after the header", good.substr(0, good.size() / 2), "does not match its header"},
        {"a byte more", good + "x", "does not match its header"},
        {"a byte flipped in the ring", flipped_in_ring, "checksum does not match"},
        {"a byte flipped in the index", flipped_in_index, "checksum does not match"},
        {"another seed", flipped_seed, "lays out or places"},
        {"another program's file", "GIF89a" + good.substr(6), "not a checkpoint"},
        {"another version", other_magic, "not a checkpoint"},
        {"another byte order", other_order, "another machine"},
        {"a ring size that does not fit the file", grown_ring, "does not match its header"},
        {"a head past the tail", head_past_tail, "inconsistent"},
        {"another build's placing of keys", other_layout, "lays out or places"},
    };
    for (const bad_case& c : cases) {
        put(path, c.bytes);
        dedup_window w(hour_ms, 1000);
        std::string why;
        EXPECT_FALSE(dedup_checkpoint::read(path, w, why)) << c.name;
        EXPECT_NE(why.find(c.reason), std::string::npos) << c.name << ": " << why;
        EXPECT_EQ(w.size(), 0u) << c.name;
        EXPECT_FALSE(w.find(key_of(500))) << c.name;
    }
}

// A checkpoint holds what its window kept: one written with a shorter window or fewer entries
// than now configured may lack what the journal still has, so it is not used. One written with
// a larger window is used, and forgets what the smaller one would not hold.
TEST(dedup_checkpoint, a_window_smaller_than_now_configured_is_not_used) {
    testing::temp_dir dir;
    const std::string path = dir / "baton.dedup";
    std::string error;
    ASSERT_TRUE(dedup_checkpoint::write(path, filled(100, 1000), error)) << error;
    std::string why;
    dedup_window more_entries(hour_ms, 2000);
    EXPECT_FALSE(dedup_checkpoint::read(path, more_entries, why));
    EXPECT_NE(why.find("smaller duplicate window"), std::string::npos) << why;
    dedup_window longer(2 * hour_ms, 1000);
    EXPECT_FALSE(dedup_checkpoint::read(path, longer, why));
    EXPECT_NE(why.find("smaller duplicate window"), std::string::npos) << why;

    dedup_window fewer(hour_ms, 40);
    ASSERT_TRUE(dedup_checkpoint::read(path, fewer, why)) << why;
    EXPECT_EQ(fewer.size(), 40u);
    EXPECT_FALSE(fewer.find(key_of(60)));
    EXPECT_EQ(fewer.find(key_of(61)), 61);
    EXPECT_EQ(fewer.find(key_of(100)), 100);
}

TEST(dedup_checkpoint, an_unwritable_place_fails_and_leaves_the_last_checkpoint) {
    testing::temp_dir dir;
    const std::string path = dir / "baton.dedup";
    std::string error;
    ASSERT_TRUE(dedup_checkpoint::write(path, filled(10, 100), error)) << error;
    EXPECT_FALSE(
        dedup_checkpoint::write(dir / "no-such-folder/baton.dedup", filled(20, 100), error));
    EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
    dedup_window w(hour_ms, 100);
    std::string why;
    const std::optional<dedup_mark> mark = dedup_checkpoint::read(path, w, why);
    ASSERT_TRUE(mark) << why;
    EXPECT_EQ(mark->seq, 10);
}

}  // namespace
}  // namespace baton
