// How tests print the exception desk's enums in a failure (by their names) and compare its
// records field by field.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "desk_records.h"

namespace baton {

inline void PrintTo(exception_kind k, std::ostream* os) {
    *os << kind_name(k);
}
inline void PrintTo(severity s, std::ostream* os) {
    *os << severity_name(s);
}
inline void PrintTo(exception_state s, std::ostream* os) {
    *os << state_name(s);
}
inline void PrintTo(task_state s, std::ostream* os) {
    *os << state_name(s);
}
inline void PrintTo(exception_transition t, std::ostream* os) {
    *os << transition_name(t);
}
inline void PrintTo(task_transition t, std::ostream* os) {
    *os << transition_name(t);
}

// A history's steps, field by field, as text (a difference prints both whole).
inline std::vector<std::string> steps_of(const std::vector<record_step>& history) {
    std::vector<std::string> out;
    for (const auto& h : history)
        out.push_back(std::to_string(h.at_ms) + "|" + h.by + "|" + h.what + "|" + h.to + "|" +
                      h.note);
    return out;
}

// Every field of two records is equal (each difference is its own failure).
inline void expect_same(const exception_record& a, const exception_record& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.order, b.order);
    EXPECT_EQ(a.customer, b.customer);
    EXPECT_EQ(a.dept, b.dept);
    EXPECT_EQ(a.level, b.level);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.detail, b.detail);
    EXPECT_EQ(a.stage, b.stage);
    EXPECT_EQ(a.since_ms, b.since_ms);
    EXPECT_EQ(a.scope, b.scope);
    EXPECT_EQ(a.resolve_on, b.resolve_on);
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.raised_ms, b.raised_ms);
    EXPECT_EQ(a.updated_ms, b.updated_ms);
    EXPECT_EQ(a.resolved_ms, b.resolved_ms);
    EXPECT_EQ(a.by, b.by);
    EXPECT_EQ(a.note, b.note);
    EXPECT_EQ(a.assignee, b.assignee);
    EXPECT_EQ(steps_of(a.history), steps_of(b.history));
}

inline void expect_same(const task_record& a, const task_record& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.dept, b.dept);
    EXPECT_EQ(a.order, b.order);
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.exception_id, b.exception_id);
    EXPECT_EQ(a.answer, b.answer);
    EXPECT_EQ(a.opened_ms, b.opened_ms);
    EXPECT_EQ(a.due_ms, b.due_ms);
    EXPECT_EQ(a.closed_ms, b.closed_ms);
    EXPECT_EQ(a.by, b.by);
    EXPECT_EQ(a.note, b.note);
    EXPECT_EQ(a.assignee, b.assignee);
    EXPECT_EQ(steps_of(a.history), steps_of(b.history));
}

}  // namespace baton
