// The board's cache of batond's answers: one question asked once per live generation while many
// pages ask it at once; a new notice or age asks again; refusals are never kept.
#include "reply_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace baton::board {
namespace {

batond_reply ok_reply(int n) {
    batond_reply r;
    r.reached = true;
    r.ok = true;
    r.body.set("n", n);
    return r;
}

TEST(reply_cache, many_pages_at_once_ask_batond_once) {
    reply_cache cache(1000, 16);
    std::atomic<int> asked{0};
    std::vector<std::thread> pages;
    std::atomic<int> answered{0};
    for (int i = 0; i < 50; ++i)
        pages.emplace_back([&] {
            batond_reply r = cache.get("q", 7, 100, [&] {
                ++asked;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                return ok_reply(1);
            });
            if (r.ok && r.body.find("n")) ++answered;
        });
    for (auto& t : pages) t.join();
    EXPECT_EQ(asked.load(), 1);
    EXPECT_EQ(answered.load(), 50);
}

TEST(reply_cache, a_new_notice_or_age_asks_again_and_refusals_are_not_kept) {
    reply_cache cache(1000, 16);
    int asked = 0;
    auto fetch = [&] { return ok_reply(++asked); };
    cache.get("q", 1, 0, fetch);
    cache.get("q", 1, 500, fetch);
    EXPECT_EQ(asked, 1);
    cache.get("q", 2, 600, fetch);  // a notice came
    EXPECT_EQ(asked, 2);
    cache.get("q", 2, 1700, fetch);  // too old
    EXPECT_EQ(asked, 3);
    cache.get("other", 2, 1700, fetch);  // another question
    EXPECT_EQ(asked, 4);
    int refused = 0;
    auto refuse = [&] {
        ++refused;
        batond_reply r;
        r.reached = true;
        r.error = "no";
        return r;
    };
    cache.get("bad", 2, 1700, refuse);
    cache.get("bad", 2, 1700, refuse);
    EXPECT_EQ(refused, 2);
}

TEST(reply_cache, stays_within_its_size) {
    reply_cache cache(1000, 4);
    int asked = 0;
    auto fetch = [&] { return ok_reply(++asked); };
    for (int i = 0; i < 10; ++i) cache.get("q" + std::to_string(i), 1, i, fetch);
    EXPECT_EQ(asked, 10);
    cache.get("q9", 1, 10, fetch);  // the newest is still there
    EXPECT_EQ(asked, 10);
    cache.get("q0", 1, 10, fetch);  // the oldest went
    EXPECT_EQ(asked, 11);
}

}  // namespace
}  // namespace baton::board
