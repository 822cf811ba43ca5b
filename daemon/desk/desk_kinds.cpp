// The exception-kind table (docs/design.md, "Exceptions and coordination tasks") and the
// severity names.
#include "desk_kinds.h"

#include <algorithm>
#include <cassert>

#include "flow.h"

namespace baton {

namespace {

using o = owner_rule;
using l = severity_rule;
using r = resolution;
using k = exception_kind;
constexpr severity none = severity::low;  // the level column of kinds that do not use it

}  // namespace

// clang-format off
// Each row: kind, name, owner rule, department;
//     severity rule, level, plus, resolved by, stage exit, milestone, note.
constexpr kind_rule kind_rules[std::size(exception_kinds)] = {
    {k::stage_overdue,    "stage_overdue",    o::stage_holder,       "",
        l::stage_clock, none,             0, r::leaving_stage, "",          "",                ""},
    {k::delivery_at_risk, "delivery_at_risk", o::department,         "production",
        l::tier,        none,             0, r::prediction,    "",          "",                ""},
    {k::delivery_late,    "delivery_late",    o::current_holder,     "logistics",
        l::tier,        none,             1, r::milestone,     "",          "delivered",       "delivered"},
    {k::credit_hold,      "credit_hold",      o::department,         "finance",
        l::tier,        none,             0, r::milestone,     "",          "credit_approved", "credit approved"},
    {k::payment_overdue,  "payment_overdue",  o::stage_holder,       "",
        l::stage_clock, none,             0, r::leaving_stage, "paid",      "",                ""},
    {k::die_overdue,      "die_overdue",      o::stage_holder,       "",
        l::stage_clock, none,             0, r::leaving_stage, "die_ready", "",                ""},
    {k::qc_failed,        "qc_failed",        o::department,         "production",
        l::tier,        none,             1, r::milestone,     "",          "produced",        "production completed"},
    {k::delivery_failed,  "delivery_failed",  o::department,         "logistics",
        l::tier,        none,             1, r::milestone,     "",          "delivered",       "delivered"},
    {k::case_overdue,     "case_overdue",     o::case_department,    "production",
        l::tier,        none,             1, r::case_closing,  "",          "",                ""},
    {k::invoice_missing,  "invoice_missing",  o::stage_holder,       "",
        l::stage_clock, none,             0, r::leaving_stage, "invoiced",  "",                ""},
    {k::out_of_sequence,  "out_of_sequence",  o::topic_department,   "",
        l::fixed,       severity::low,    0, r::missing_facts, "",          "",                ""},
    {k::unknown_order,    "unknown_order",    o::department,         "sales",
        l::fixed,       severity::medium, 0, r::milestone,     "",          "placed",          "the order was placed"},
    {k::feed_gap,         "feed_gap",         o::topic_department,   "",
        l::fixed,       severity::medium, 0, r::person_only,   "",          "",                ""},
    {k::short_produced,   "short_produced",   o::department,         "production",
        l::tier,        none,             1, r::milestone,     "",          "produced",        "the whole order produced"},
    {k::invoice_mismatch, "invoice_mismatch", o::department,         "finance",
        l::tier,        none,             0, r::recheck,       "",          "",                ""},
};
// clang-format on

namespace {

constexpr bool same_text(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return *a == *b;
}

// The table is the enum, row by row, and its names are the clients' list, name by name.
constexpr bool table_matches_the_names() {
    constexpr std::size_t n = std::size(exception_kinds);
    for (std::size_t i = 0; i < n; ++i)
        if (static_cast<std::size_t>(kind_rules[i].kind) != i || !kind_rules[i].name ||
            !same_text(kind_rules[i].name, exception_kinds[i]))
            return false;
    return true;
}
static_assert(table_matches_the_names(),
              "kind_rules: one row per exception_kind, in enum order, named as exception_kinds");

}  // namespace

const char* severity_name(severity s) {
    switch (s) {
        case severity::warning: return "warning";
        case severity::low: return "low";
        case severity::medium: return "medium";
        case severity::high: return "high";
        case severity::critical: return "critical";
    }
    return "low";
}

std::optional<severity> severity_from(const std::string& name) {
    for (auto s :
         {severity::warning, severity::low, severity::medium, severity::high, severity::critical})
        if (name == severity_name(s)) return s;
    return std::nullopt;
}

severity raise_by(severity s, int steps) {
    int v = static_cast<int>(s) + steps;
    return static_cast<severity>(std::clamp(v, 0, static_cast<int>(severity::critical)));
}

const kind_rule& rule_of(exception_kind kind) {
    const kind_rule& rule = kind_rules[static_cast<std::size_t>(kind)];
    assert(rule.kind == kind);
    return rule;
}

const char* kind_name(exception_kind kind) {
    return rule_of(kind).name;
}

std::optional<exception_kind> kind_from(const std::string& name) {
    for (const kind_rule& rule : kind_rules)
        if (name == rule.name) return rule.kind;
    return std::nullopt;
}

bool stage_bound(exception_kind kind) {
    return rule_of(kind).resolved_by == resolution::leaving_stage;
}

exception_kind kind_for_stage(const stage_def& s) {
    for (const kind_rule& rule : kind_rules)
        if (rule.resolved_by == resolution::leaving_stage && *rule.stage_exit &&
            s.exit == rule.stage_exit)
            return rule.kind;
    return exception_kind::stage_overdue;
}

severity severity_for(exception_kind kind, severity base, int step) {
    const kind_rule& rule = rule_of(kind);
    switch (rule.level_rule) {
        case severity_rule::fixed: return rule.level;
        case severity_rule::tier: return raise_by(base, rule.plus);
        case severity_rule::stage_clock:
            return step == 0 ? severity::warning : raise_by(base, step - 1);
    }
    return base;
}

}  // namespace baton
