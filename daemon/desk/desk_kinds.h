// The exception kinds and their one table: for each kind its name (as common/record_id.h lists
// it for the wire, the feed and the clients), who owns it, how severe it is and what resolves
// it. The desk asks this table instead of comparing names; names appear only at the edges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>

#include "record_id.h"

namespace baton {

struct stage_def;

enum class severity : int { warning = 0, low = 1, medium = 2, high = 3, critical = 4 };
const char* severity_name(severity s);
std::optional<severity> severity_from(const std::string& name);
// `s` raised by `steps` levels, kept within warning..critical.
severity raise_by(severity s, int steps);

// In the order of `exception_kinds` (record_id.h); the table below checks that at compile time.
enum class exception_kind : std::uint8_t {
    stage_overdue,
    delivery_at_risk,
    delivery_late,
    credit_hold,
    payment_overdue,
    die_overdue,
    qc_failed,
    delivery_failed,
    case_overdue,
    invoice_missing,
    out_of_sequence,
    unknown_order,
    feed_gap,
    short_produced,
    invoice_mismatch,
};

// Who owns an exception of a kind.
enum class owner_rule : std::uint8_t {
    department,        // always `kind_rule::dept`
    stage_holder,      // the holder of the stage it watches
    current_holder,    // the order's holder when it is raised (`dept` when it has none)
    case_department,   // the case's first department (`dept` when the case lists none)
    topic_department,  // the department of the topic that revealed it
};

// How severe it is when raised. `base` is the customer's tier level: key high, A medium,
// B, C and unknown customers low.
enum class severity_rule : std::uint8_t {
    fixed,        // always `kind_rule::level`
    tier,         // base, plus `kind_rule::plus` levels
    stage_clock,  // warning before the deadline (step 0); base at it, one more per SLA period
};

// What resolves it besides a person (who may resolve any kind) and a cancel of its order.
enum class resolution : std::uint8_t {
    leaving_stage,  // the order leaves the stage it watches: the stage-bound kinds
    milestone,      // `kind_rule::milestone` is proved (delivery_late also: a new promise ahead)
    missing_facts,  // every milestone in the record's resolve_on is proved
    prediction,     // the plan meets the promised date again, or there is nothing to predict
    case_closing,   // its case (the record's scope) closes
    recheck,        // its rule finds the cause gone (the invoice, its scope, matches again)
    person_only,    // nothing but a person
};

struct kind_rule {
    exception_kind kind;
    const char* name;  // on the wire, in the feed and the store: one of `exception_kinds`
    owner_rule owner;
    const char* dept;  // owner_rule department: the owner; current_holder/case: the fallback
    severity_rule level_rule;
    severity level;  // severity_rule fixed
    int plus;        // severity_rule tier: levels above the base
    resolution resolved_by;
    const char* stage_exit;  // leaving_stage: the exit milestone of the stages it watches
                             // ("" for every stage no other stage-bound kind claims)
    const char* milestone;   // resolution milestone: the milestone that resolves it
    const char* note;        // resolution milestone: what baton writes when it resolves it
};

// Every kind, in enum order.
extern const kind_rule kind_rules[std::size(exception_kinds)];

const kind_rule& rule_of(exception_kind k);
const char* kind_name(exception_kind k);
std::optional<exception_kind> kind_from(const std::string& name);

// Bound to a stage's stay: resolved when the order leaves that stage.
bool stage_bound(exception_kind k);
// The kind a stage raises when it overruns its SLA (by the milestone that ends the stage).
exception_kind kind_for_stage(const stage_def& s);
// The severity of a new exception of kind `k` for a customer whose tier gives `base`; `step`
// is the stage clock's step (0 warning, 1 overdue, 2.. escalations) for stage-bound kinds.
severity severity_for(exception_kind k, severity base, int step = 0);

}  // namespace baton
