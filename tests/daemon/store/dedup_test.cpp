// Tests of daemon/dedup: the in-memory duplicate window remembers committed (source, id) keys
// with their journal seq, forgets them by age and by count, oldest first, and never lets an
// older slot erase a newer event that shares its key.
#include "dedup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <tuple>
#include <vector>

#include <cstdint>
#include <set>
#include <string>

namespace baton {
namespace {

constexpr std::int64_t hour_ms = 3600 * 1000;

TEST(dedup, inserted_key_is_found_with_its_seq) {
    dedup_window w(hour_ms, 100);
    auto k = dedup_window::key("sales-erp", "evt-1");
    EXPECT_FALSE(w.find(k).has_value());
    w.insert(k, 17, 1000);
    ASSERT_TRUE(w.find(k).has_value());
    EXPECT_EQ(*w.find(k), 17);
    EXPECT_EQ(w.size(), 1u);
}

TEST(dedup, other_keys_are_not_found) {
    dedup_window w(hour_ms, 100);
    w.insert(dedup_window::key("sales-erp", "evt-1"), 1, 1000);
    EXPECT_FALSE(w.find(dedup_window::key("sales-erp", "evt-2")).has_value());
    EXPECT_FALSE(w.find(dedup_window::key("mes", "evt-1")).has_value());
}

TEST(dedup, key_is_stable_for_the_same_pair) {
    EXPECT_EQ(dedup_window::key("sales-erp", "evt-1"), dedup_window::key("sales-erp", "evt-1"));
}

TEST(dedup, key_separates_source_from_id) {
    EXPECT_NE(dedup_window::key("ab", "c"), dedup_window::key("a", "bc"));
    EXPECT_NE(dedup_window::key("", "abc"), dedup_window::key("abc", ""));
    EXPECT_NE(dedup_window::key("a", ""), dedup_window::key("", "a"));
}

TEST(dedup, keys_of_similar_ids_are_all_different) {
    std::set<std::uint64_t> keys;
    for (int i = 0; i < 10000; ++i) keys.insert(dedup_window::key("sales-erp", std::to_string(i)));
    EXPECT_EQ(keys.size(), 10000u);
}

TEST(dedup, entries_inside_the_window_survive_expiry) {
    dedup_window w(1000, 100);
    auto k = dedup_window::key("s", "a");
    w.insert(k, 1, 5000);
    w.expire(6000);  // exactly window old: still remembered
    EXPECT_TRUE(w.find(k).has_value());
}

TEST(dedup, entries_older_than_the_window_expire) {
    dedup_window w(1000, 100);
    auto a = dedup_window::key("s", "a");
    auto b = dedup_window::key("s", "b");
    w.insert(a, 1, 5000);
    w.insert(b, 2, 5600);
    w.expire(6001);
    EXPECT_FALSE(w.find(a).has_value());
    ASSERT_TRUE(w.find(b).has_value());
    EXPECT_EQ(*w.find(b), 2);
    EXPECT_EQ(w.size(), 1u);
    w.expire(6601);
    EXPECT_FALSE(w.find(b).has_value());
    EXPECT_EQ(w.size(), 0u);
}

TEST(dedup, expiring_an_empty_window_is_harmless) {
    dedup_window w(1000, 100);
    w.expire(1000000);
    EXPECT_EQ(w.size(), 0u);
}

TEST(dedup, max_entries_evicts_the_oldest) {
    dedup_window w(hour_ms, 2);
    auto a = dedup_window::key("s", "a");
    auto b = dedup_window::key("s", "b");
    auto c = dedup_window::key("s", "c");
    w.insert(a, 1, 100);
    w.insert(b, 2, 200);
    EXPECT_EQ(w.size(), 2u);
    w.insert(c, 3, 300);
    EXPECT_EQ(w.size(), 2u);
    EXPECT_FALSE(w.find(a).has_value());
    EXPECT_EQ(w.find(b), std::optional<std::int64_t>(2));
    EXPECT_EQ(w.find(c), std::optional<std::int64_t>(3));
}

TEST(dedup, colliding_inserts_are_both_remembered) {
    dedup_window w(hour_ms, 10);
    auto k = dedup_window::key("s", "a");
    w.insert(k, 1, 100);
    w.insert(k, 2, 200);  // another (source, id) with the same hash
    EXPECT_EQ(w.find(k), std::optional<std::int64_t>(2));
    auto all = w.find_all(k);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(w.size(), 2u);
}

TEST(dedup, colliding_insert_survives_expiry_of_the_older_slot) {
    dedup_window w(1000, 10);
    auto k = dedup_window::key("s", "a");
    w.insert(k, 1, 0);
    w.insert(k, 2, 800);
    w.expire(1500);  // the first slot (t=0) is past the window, the second (t=800) is not
    ASSERT_TRUE(w.find(k).has_value());
    EXPECT_EQ(*w.find(k), 2);
    w.expire(1801);
    EXPECT_FALSE(w.find(k).has_value());
}

TEST(dedup, colliding_insert_survives_eviction_of_the_older_slot) {
    dedup_window w(hour_ms, 2);
    auto k = dedup_window::key("s", "a");
    auto b = dedup_window::key("s", "b");
    auto c = dedup_window::key("s", "c");
    w.insert(k, 1, 100);
    w.insert(b, 2, 200);
    w.insert(k, 3, 300);  // same key, newer seq: still two keys
    EXPECT_EQ(w.size(), 2u);
    w.insert(c, 4, 400);  // evicts the oldest slot (k, 1) without touching (k, 3), then b
    EXPECT_EQ(w.find(k), std::optional<std::int64_t>(3));
    EXPECT_FALSE(w.find(b).has_value());
    EXPECT_EQ(w.find(c), std::optional<std::int64_t>(4));
    EXPECT_EQ(w.size(), 2u);
}

// The ring and the index against a plain model, through growth, eviction by count and by age,
// and many keys sharing a hash (a small key space): every key's seqs, after every step.
TEST(dedup, matches_a_plain_model_through_growth_eviction_expiry_and_collisions) {
    constexpr std::size_t max_entries = 3000;
    dedup_window w(10000, max_entries);
    std::deque<std::tuple<std::uint64_t, std::int64_t, std::int64_t>> model;  // key, seq, ms
    std::mt19937_64 rng(7);
    std::int64_t now = 0;
    for (std::int64_t seq = 1; seq <= 40000; ++seq) {
        now += static_cast<std::int64_t>(rng() % 5);
        const std::uint64_t k = dedup_window::key("s", std::to_string(rng() % 2500));
        w.insert(k, seq, now);
        model.emplace_back(k, seq, now);
        while (model.size() > max_entries) model.pop_front();
        if (seq % 997 == 0) {
            w.expire(now);
            while (!model.empty() && std::get<2>(model.front()) < now - 10000) model.pop_front();
        }
        ASSERT_EQ(w.size(), model.size()) << seq;
        if (seq % 101 != 0) continue;
        for (int probe = 0; probe < 2500; probe += 7) {
            const std::uint64_t pk = dedup_window::key("s", std::to_string(probe));
            std::vector<std::int64_t> want;
            for (const auto& [mk, ms, mt] : model)
                if (mk == pk) want.push_back(ms);
            std::vector<std::int64_t> got = w.find_all(pk);
            std::sort(got.begin(), got.end());
            ASSERT_EQ(got, want) << "key " << probe << " after seq " << seq;
        }
    }
    // Full, the window holds its memory: it grows no more.
    const std::size_t bytes = w.bytes();
    for (std::int64_t seq = 40001; seq <= 50000; ++seq)
        w.insert(dedup_window::key("s", std::to_string(seq)), seq, now);
    EXPECT_EQ(w.bytes(), bytes);
    EXPECT_EQ(w.size(), max_entries);
}

}  // namespace
}  // namespace baton
