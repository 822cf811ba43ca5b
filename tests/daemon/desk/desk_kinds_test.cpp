// Tests of daemon/desk_kinds: the exception-kind table maps every name the clients know to one
// kind and back, and its owner, severity and resolution columns say what docs/design.md says.
#include "desk_kinds.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "desk_print.h"
#include "flow.h"
#include "order.h"
#include "record_id.h"

namespace baton {
namespace {

constexpr exception_kind stage_kinds[] = {
    exception_kind::stage_overdue, exception_kind::die_overdue, exception_kind::payment_overdue,
    exception_kind::invoice_missing};

TEST(desk_kinds, every_client_name_maps_to_one_kind_and_back) {
    std::set<exception_kind> seen;
    for (const char* name : exception_kinds) {
        SCOPED_TRACE(name);
        const std::optional<exception_kind> kind = kind_from(name);
        ASSERT_TRUE(kind.has_value());
        EXPECT_EQ(std::string(kind_name(*kind)), name);
        EXPECT_EQ(rule_of(*kind).kind, *kind);
        EXPECT_TRUE(seen.insert(*kind).second) << "two names for one kind";
    }
    EXPECT_EQ(seen.size(), sizeof(kind_rules) / sizeof(kind_rules[0]));
    for (const kind_rule& rule : kind_rules) EXPECT_TRUE(is_exception_kind(rule.name));
}

TEST(desk_kinds, unknown_or_differently_written_names_are_no_kind) {
    EXPECT_EQ(kind_from(""), std::nullopt);
    EXPECT_EQ(kind_from("stage overdue"), std::nullopt);
    EXPECT_EQ(kind_from("Credit_Hold"), std::nullopt);
    EXPECT_EQ(kind_from("credit_hold "), std::nullopt);
}

TEST(desk_kinds, the_stage_bound_kinds_are_the_four_stage_clocks) {
    for (const kind_rule& rule : kind_rules) {
        const bool expected = std::find(std::begin(stage_kinds), std::end(stage_kinds),
                                        rule.kind) != std::end(stage_kinds);
        EXPECT_EQ(stage_bound(rule.kind), expected) << rule.name;
        EXPECT_EQ(rule.level_rule == severity_rule::stage_clock, expected) << rule.name;
        EXPECT_EQ(rule.owner == owner_rule::stage_holder, expected) << rule.name;
    }
}

TEST(desk_kinds, a_stage_raises_the_kind_of_the_milestone_that_ends_it) {
    stage_def s;
    const std::pair<const char*, exception_kind> cases[] = {
        {"die_ready", exception_kind::die_overdue},
        {"paid", exception_kind::payment_overdue},
        {"invoiced", exception_kind::invoice_missing},
        {"credit_approved", exception_kind::stage_overdue},
        {"scheduled", exception_kind::stage_overdue},
        {"produced", exception_kind::stage_overdue},
        {"dispatched", exception_kind::stage_overdue},
        {"delivered", exception_kind::stage_overdue},
    };
    for (const auto& [exit, kind] : cases) {
        s.exit = exit;
        EXPECT_EQ(kind_for_stage(s), kind) << exit;
    }
}

TEST(desk_kinds, severity_follows_the_rule_of_each_kind) {
    for (severity base : {severity::low, severity::medium, severity::high}) {
        SCOPED_TRACE(severity_name(base));
        const severity one_up = raise_by(base, 1);
        EXPECT_EQ(severity_for(exception_kind::credit_hold, base), base);
        EXPECT_EQ(severity_for(exception_kind::delivery_at_risk, base), base);
        EXPECT_EQ(severity_for(exception_kind::delivery_late, base), one_up);
        EXPECT_EQ(severity_for(exception_kind::qc_failed, base), one_up);
        EXPECT_EQ(severity_for(exception_kind::delivery_failed, base), one_up);
        EXPECT_EQ(severity_for(exception_kind::case_overdue, base), one_up);
        EXPECT_EQ(severity_for(exception_kind::out_of_sequence, base), severity::low);
        EXPECT_EQ(severity_for(exception_kind::unknown_order, base), severity::medium);
        EXPECT_EQ(severity_for(exception_kind::feed_gap, base), severity::medium);
        for (exception_kind k : stage_kinds) {
            EXPECT_EQ(severity_for(k, base, 0), severity::warning) << kind_name(k);
            EXPECT_EQ(severity_for(k, base, 1), base) << kind_name(k);
            EXPECT_EQ(severity_for(k, base, 2), one_up) << kind_name(k);
            EXPECT_EQ(severity_for(k, base, 9), severity::critical) << kind_name(k);
        }
    }
}

TEST(desk_kinds, owners_are_fixed_departments_only_where_the_design_says_so) {
    EXPECT_EQ(std::string(rule_of(exception_kind::credit_hold).dept), "finance");
    EXPECT_EQ(std::string(rule_of(exception_kind::qc_failed).dept), "production");
    EXPECT_EQ(std::string(rule_of(exception_kind::delivery_failed).dept), "logistics");
    EXPECT_EQ(std::string(rule_of(exception_kind::delivery_at_risk).dept), "production");
    EXPECT_EQ(std::string(rule_of(exception_kind::unknown_order).dept), "sales");
    EXPECT_EQ(rule_of(exception_kind::delivery_late).owner, owner_rule::current_holder);
    EXPECT_EQ(std::string(rule_of(exception_kind::delivery_late).dept), "logistics");
    EXPECT_EQ(rule_of(exception_kind::case_overdue).owner, owner_rule::case_department);
    EXPECT_EQ(rule_of(exception_kind::out_of_sequence).owner, owner_rule::topic_department);
    EXPECT_EQ(rule_of(exception_kind::feed_gap).owner, owner_rule::topic_department);
    for (const kind_rule& rule : kind_rules) {
        if (rule.owner == owner_rule::department) {
            EXPECT_TRUE(is_department(rule.dept)) << rule.name;
        }
    }
}

TEST(desk_kinds, milestone_kinds_name_a_real_milestone_and_a_note) {
    int count = 0;
    for (const kind_rule& rule : kind_rules) {
        if (rule.resolved_by != resolution::milestone) continue;
        ++count;
        EXPECT_TRUE(is_milestone(rule.milestone)) << rule.name << ": " << rule.milestone;
        EXPECT_NE(std::string(rule.note), "") << rule.name;
    }
    EXPECT_EQ(count, 6);  // credit_hold, qc_failed, delivery_failed, delivery_late, unknown_order,
                          // short_produced
    EXPECT_EQ(rule_of(exception_kind::feed_gap).resolved_by, resolution::person_only);
    EXPECT_EQ(rule_of(exception_kind::out_of_sequence).resolved_by, resolution::missing_facts);
}

TEST(desk_kinds, severity_names_round_trip_and_raising_stays_within_the_levels) {
    for (severity s :
         {severity::warning, severity::low, severity::medium, severity::high, severity::critical})
        EXPECT_EQ(severity_from(severity_name(s)), s);
    EXPECT_EQ(severity_from("urgent"), std::nullopt);
    EXPECT_EQ(raise_by(severity::high, 5), severity::critical);
    EXPECT_EQ(raise_by(severity::low, -3), severity::warning);
}

}  // namespace
}  // namespace baton
