// Tests of daemon/desk/timers: the timer heap pops what is due earliest first, leaves the rest, and
// keeps its entries when room is reserved for more (the exception desk reserves after a reload).
#include "timers.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace baton {
namespace {

timer_entry due_at(std::int64_t due_ms, std::int64_t stamp) {
    return {due_ms, nullptr, stamp, 0, timer_kind::task, 0};
}

std::vector<std::int64_t> pop_stamps(timer_queue& q, std::int64_t now_ms) {
    std::vector<std::int64_t> stamps;
    q.pop_due(now_ms, [&](const timer_entry& e) { stamps.push_back(e.stamp); });
    return stamps;
}

TEST(timer_queue, pops_the_due_entries_earliest_first_and_keeps_the_rest) {
    timer_queue q;
    q.push(due_at(300, 3));
    q.push(due_at(100, 1));
    q.push(due_at(500, 5));
    q.push(due_at(200, 2));
    EXPECT_EQ(q.next_due_ms(), 100);
    EXPECT_EQ(pop_stamps(q, 300), (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.next_due_ms(), 500);
    EXPECT_TRUE(pop_stamps(q, 499).empty());
}

TEST(timer_queue, reserve_keeps_the_entries_already_queued) {
    timer_queue q;
    q.push(due_at(200, 2));
    q.push(due_at(100, 1));
    q.push(due_at(300, 3));
    q.reserve(1000);
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.next_due_ms(), 100);
    q.push(due_at(150, 4));
    EXPECT_EQ(pop_stamps(q, 1000), (std::vector<std::int64_t>{1, 4, 2, 3}));
}

TEST(timer_queue, an_empty_queue_is_never_due) {
    timer_queue q;
    q.reserve(10);
    EXPECT_EQ(q.next_due_ms(), std::numeric_limits<std::int64_t>::max());
    q.push(due_at(5, 1));
    q.clear();
    EXPECT_EQ(q.size(), 0u);
    EXPECT_TRUE(pop_stamps(q, 1000).empty());
}

}  // namespace
}  // namespace baton
