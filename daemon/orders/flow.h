// The flow definition (flow.yaml): the stages an order passes through, who holds the baton in
// each, how long they may hold it, which milestone ends the stage and what is relayed on entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_error.h"
#include "dates.h"

namespace baton {

// Departments that can hold the baton or receive relay messages.
inline constexpr const char* departments[] = {"sales", "finance", "production", "logistics"};
bool is_department(const std::string& name);

struct stage_def {
    std::string name;         // e.g. credit_review
    std::string holder;       // department holding the baton in this stage
    std::int64_t sla_us = 0;  // how long the holder may hold it
    std::string sla_from;  // "" (stage entry) or a date field the SLA counts from: planned_finish
    std::string exit;      // milestone that ends the stage, e.g. credit_approved
    std::string relay;     // topic relayed to the holder on entry, e.g. finance.credit_check
    std::string when;      // "" (always), "new_die", "prepay" or "deposit": condition for the stage
};

// How far a quantity or an amount may fall short of (or pass) what was ordered and still count
// as the whole, in basis points (1/100 %) per unit. Extrusion is sold by weight: ±2 % is common.
struct tolerances {
    int kg_bp = 200;
    int m_bp = 100;
    int pcs_bp = 0;
    int amount_bp = 50;  // invoices against the delivered value
    // The tolerance of a unit (kg, m, pcs; 0 for any other).
    int of(const std::string& unit) const;
};

struct flow_def {
    bool auto_credit = false;  // approve within-limit orders of credit-terms customers
    tolerances tolerance;
    int deposit_bp = 0;  // `when: deposit` stages: share of the amount paid before production
    std::int64_t overdue_hold_cents =
        0;                  // customers overdue beyond this: new orders on hold (0: off)
    int payment_days = 30;  // invoices of customers with no payment_days of their own
    std::vector<stage_def> stages;
    int warning_percent = 75;                           // warn when this much of an SLA is used
    std::int64_t complaint_sla_us = 5LL * 86400000000;  // a complaint must be answered in
    std::int64_t return_sla_us = 10LL * 86400000000;    // a return must be closed in
    std::int64_t task_due_us = 4LL * 3600000000;        // a coordination task is due in
};

// Reads and checks a flow file; throws config_error naming file, key path and reason.
flow_def load_flow(const std::string& path);

struct order;

// Where an order stands: the first stage of the flow that applies to it and whose exit
// milestone is missing. Terminal positions: "awaiting_order" (facts arrived before the order
// was placed; holder sales), "cancelled" and "closed" (holder "").
struct stage_position {
    std::string_view stage;  // the flow's name for it, or a literal: valid while the flow lives
    std::string_view holder;
    const stage_def* def = nullptr;  // null for the terminal positions
};
stage_position derive_stage(const order& o, const flow_def& flow);

// Whether a stage applies to an order at all (its `when` condition).
bool stage_applies(const stage_def& s, const order& o);

// When an order that entered stage `s` at `entered_ms` must have left it, ms since epoch:
// entry + SLA, or (sla_from: planned_finish) the end of the planned finish day + SLA.
std::int64_t stage_deadline_ms(const order& o, const stage_def& s, std::int64_t entered_ms);

}  // namespace baton
