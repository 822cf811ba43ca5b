// Tests of daemon/orders/interned: one copy per value, compared and ordered as text, safe to
// intern from several threads.
#include "interned.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace baton {
namespace {

TEST(interned, equal_values_share_one_copy_and_compare_as_text) {
    const interned a = std::string("production");
    const interned b = "production";
    const interned c = std::string_view("logistics");
    EXPECT_EQ(&a.str(), &b.str());
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_TRUE(a == "production");
    EXPECT_TRUE("production" == a);
    EXPECT_TRUE(a == std::string("production"));
    EXPECT_TRUE(std::string("logistics") == c);
    EXPECT_TRUE(a != std::string_view("product"));
    EXPECT_TRUE(c < a);  // by the text, as std::string orders
    EXPECT_EQ(a + "/" + c, "production/logistics");
}

TEST(interned, existing_finds_a_value_without_adding_one) {
    const interned kept = "interned-test-existing";
    const std::size_t before = interned::pool_size();
    EXPECT_FALSE(interned::existing("interned-test-never-given"));
    EXPECT_EQ(interned::pool_size(), before);
    auto found = interned::existing("interned-test-existing");
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, kept);
    EXPECT_EQ(&found->str(), &kept.str());
    EXPECT_TRUE(interned::existing(""));
}

TEST(interned, the_empty_value_is_the_default_and_adds_nothing_to_the_pool) {
    const std::size_t before = interned::pool_size();
    interned none;
    interned also = "";
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none, also);
    EXPECT_EQ(none.str(), "");
    EXPECT_EQ(interned::pool_size(), before);
}

TEST(interned, a_value_is_stored_once_however_often_it_is_given) {
    const std::size_t before = interned::pool_size();
    std::vector<interned> stages;
    for (int i = 0; i < 1000; ++i)
        stages.emplace_back(std::string("interned-test-stage-") + std::to_string(i % 10));
    EXPECT_EQ(interned::pool_size(), before + 10);
    // Longer than a std::string holds inline: still one copy, still the same text.
    const std::string long_text(100, 'x');
    interned one = long_text, two = std::string(long_text);
    EXPECT_EQ(&one.str(), &two.str());
    EXPECT_EQ(one.str(), long_text);
}

// Enough values to grow every shard's table several times: each is found again, with the copy
// it got first (the copies never move), and one that was never given is still not there.
TEST(interned, many_values_are_each_found_again_after_the_pool_grows) {
    const std::size_t before = interned::pool_size();
    constexpr int n = 50000;
    std::vector<const std::string*> first;
    first.reserve(n);
    for (int i = 0; i < n; ++i)
        first.push_back(&interned("interned-test-many-" + std::to_string(i)).str());
    EXPECT_EQ(interned::pool_size(), before + n);
    for (int i = 0; i < n; ++i) {
        const std::string text = "interned-test-many-" + std::to_string(i);
        auto found = interned::existing(text);
        ASSERT_TRUE(found) << text;
        ASSERT_EQ(&found->str(), first[static_cast<std::size_t>(i)]) << text;
        ASSERT_EQ(&interned(text).str(), first[static_cast<std::size_t>(i)]) << text;
    }
    EXPECT_FALSE(interned::existing("interned-test-many-" + std::to_string(n)));
    EXPECT_EQ(interned::pool_size(), before + n);
}

TEST(interned, threads_interning_the_same_values_get_the_same_copies) {
    constexpr int per_thread = 2000;
    std::vector<std::vector<const std::string*>> seen(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < seen.size(); ++t)
        threads.emplace_back([&seen, t] {
            for (int i = 0; i < per_thread; ++i)
                seen[t].push_back(
                    &interned("interned-test-thread-" + std::to_string(i % 97)).str());
        });
    for (auto& t : threads) t.join();
    for (std::size_t t = 1; t < seen.size(); ++t) EXPECT_EQ(seen[t], seen[0]);
    EXPECT_EQ(*seen[0][5], "interned-test-thread-5");
}

}  // namespace
}  // namespace baton
