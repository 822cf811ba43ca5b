// Tests of milestone_map (daemon/orders/order.h): the bit kept per name of milestone_names must
// always agree with the map, through every way a milestone is added or removed, and names
// outside the table (read from old snapshots) must be found by searching.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "order.h"

namespace baton {
namespace {

// The answer of every question for every name of the table, against the map's own contents.
void expect_consistent(const milestone_map& m) {
    for (std::string_view name : milestone_names) {
        bool in_map = false;
        for (const auto& [n, ms] : m) in_map = in_map || n == name;
        EXPECT_EQ(m.contains(name), in_map) << name;
        EXPECT_EQ(m.count(name), in_map ? 1u : 0u) << name;
        EXPECT_EQ(m.find(name) != m.end(), in_map) << name;
    }
}

std::vector<std::string> names_of(const milestone_map& m) {
    std::vector<std::string> out;
    for (const auto& [name, ms] : m) out.push_back(name);
    return out;
}

TEST(milestone_map, every_name_of_the_table_has_its_own_number) {
    for (std::size_t i = 0; i < std::size(milestone_names); ++i)
        EXPECT_EQ(milestone_map::number_of(milestone_names[i]), static_cast<int>(i));
    EXPECT_EQ(milestone_map::number_of("quality_checked"), -1);
    EXPECT_EQ(milestone_map::number_of(""), -1);
    EXPECT_EQ(milestone_map::number_of("place"), -1);
    EXPECT_EQ(milestone_map::number_of("placed "), -1);
}

TEST(milestone_map, adds_and_removes_keep_every_answer_true_and_the_names_sorted) {
    milestone_map m;
    expect_consistent(m);
    EXPECT_TRUE(m.try_emplace("placed", {1, "e-1"}).second);
    EXPECT_FALSE(m.try_emplace("placed", {2, "e-2"}).second);  // the first proof stands
    EXPECT_EQ(m.at("placed").event_id, "e-1");
    EXPECT_TRUE(m.emplace("produced", {3, "e-3"}).second);
    EXPECT_FALSE(m.emplace("produced", {4, "e-4"}).second);
    m["dispatched"] = {5, "e-5"};
    m["dispatched"].at_ms = 6;
    expect_consistent(m);
    EXPECT_EQ(names_of(m), (std::vector<std::string>{"dispatched", "placed", "produced"}));
    EXPECT_EQ(m.at("dispatched").at_ms, 6);

    EXPECT_EQ(m.erase("produced"), 1u);
    EXPECT_EQ(m.erase("produced"), 0u);
    EXPECT_EQ(m.erase("invoiced"), 0u);
    expect_consistent(m);
    EXPECT_FALSE(m.contains("produced"));
    EXPECT_TRUE(m.try_emplace("produced", {7, "e-7"}).second);  // back after it was taken away
    EXPECT_EQ(m.at("produced").at_ms, 7);
    expect_consistent(m);

    milestone_map copy = m;
    m.clear();
    expect_consistent(m);
    EXPECT_TRUE(m.empty());
    expect_consistent(copy);
    EXPECT_EQ(copy.size(), 3u);
}

TEST(milestone_map, a_moved_from_map_is_empty_and_can_be_filled_again) {
    milestone_map m;
    m["placed"] = {1, "e-1"};
    m["produced"] = {2, "e-2"};
    milestone_map to(std::move(m));
    EXPECT_EQ(to.size(), 2u);
    expect_consistent(to);
    EXPECT_TRUE(m.empty());  // NOLINT(bugprone-use-after-move): what is left is specified
    expect_consistent(m);
    EXPECT_TRUE(m.try_emplace("placed", {3, "e-3"}).second);
    EXPECT_EQ(m.at("placed").at_ms, 3);

    milestone_map assigned;
    assigned["paid"] = {4, "e-4"};
    assigned = std::move(to);
    EXPECT_FALSE(assigned.contains("paid"));
    EXPECT_TRUE(assigned.contains("produced"));
    expect_consistent(assigned);
    EXPECT_TRUE(to.empty());  // NOLINT(bugprone-use-after-move)
    expect_consistent(to);
    EXPECT_TRUE(to.try_emplace("produced", {5, "e-5"}).second);
}

TEST(milestone_map, a_name_outside_the_table_is_found_by_searching) {
    milestone_map m;
    m["quality_checked"] = {1, "x"};
    EXPECT_TRUE(m.contains("quality_checked"));
    EXPECT_EQ(m.at("quality_checked").event_id, "x");
    EXPECT_FALSE(m.contains("placed"));
    EXPECT_EQ(m.erase("quality_checked"), 1u);
    EXPECT_FALSE(m.contains("quality_checked"));
    expect_consistent(m);
}

TEST(milestone_map, at_of_an_absent_milestone_throws_and_names_it) {
    milestone_map m;
    m["placed"] = {1, "e"};
    try {
        (void)m.at("delivered");
        FAIL() << "at() of an absent milestone returned";
    } catch (const std::out_of_range& e) {
        EXPECT_NE(std::string(e.what()).find("delivered"), std::string::npos) << e.what();
    }
    const milestone_map& c = m;
    EXPECT_THROW((void)c.at("quality_checked"), std::out_of_range);
}

TEST(milestone_map, an_order_answers_has_from_its_milestones) {
    order o;
    EXPECT_FALSE(o.has("placed"));
    o.milestones.try_emplace("placed", {1, "e"});
    EXPECT_TRUE(o.has("placed"));
    EXPECT_TRUE(o.has(std::string("placed")));
    EXPECT_FALSE(o.has("paid"));
}

}  // namespace
}  // namespace baton
