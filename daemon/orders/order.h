// An order as batond keeps it: the facts departments reported (milestones, each with its time and
// proving event), the commercial terms, holds, after-sale cases, and the derived stage and holder.
// Facts may arrive late, early, twice or out of order; the stage is derived, never forced.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "value.h"

namespace baton {

struct milestone {
    std::int64_t at_ms = 0;  // when batond received the proving event, ms since epoch
    std::string event_id;    // the event that proved it
};

// A complaint or a return, opened on an order and closed by its answering event.
struct order_case {
    std::string id;
    std::string kind;   // complaint or return
    std::string state;  // open or closed
    std::string detail;
    std::string resolution;
    std::int64_t opened_ms = 0;
    std::int64_t closed_ms = 0;
    std::vector<std::string> departments;  // who must answer it
};

// One stay of an order in a stage, for dwell times.
struct stage_visit {
    std::string stage;
    std::int64_t entered_ms = 0;
    std::int64_t left_ms = 0;  // 0 while the order is still there
};

struct order {
    std::string id;
    std::string customer;
    bool placed = false;  // sales.order.placed has arrived
    bool cancelled = false;
    std::string cancel_reason;
    std::int64_t amount_cents = 0;
    std::int64_t paid_cents = 0;
    double delivered_qty = 0;   // as the delivery note says (kg, pcs or m as the lines)
    std::string promised_date;  // YYYY-MM-DD
    std::string terms;          // credit or prepay
    bool new_die = false;
    value lines;                                  // the line items as last placed or amended
    std::string planned_start;                    // YYYY-MM-DD, from production.order.scheduled
    std::string planned_finish;                   // YYYY-MM-DD
    std::map<std::string, milestone> milestones;  // name -> when and by which event
    std::vector<std::string> holds;               // e.g. "credit"
    std::string stage;                            // derived: credit_review, ..., closed, cancelled
    std::string holder;  // derived: department holding the baton; "" when none
    std::int64_t stage_since_ms = 0;
    std::vector<std::string> departments;  // every department that has had it in hand
    std::vector<order_case> cases;
    std::vector<std::int64_t> events;  // journal seqs of its events, in arrival order
    std::vector<stage_visit> visits;   // every stage it entered, in order
    std::int64_t first_seen_ms = 0;

    bool has(const std::string& name) const { return milestones.count(name) != 0; }
    bool on_hold(const std::string& hold) const;
    bool open() const { return stage != "closed" && stage != "cancelled"; }
    order_case* find_case(const std::string& case_id);
};

// The milestone a topic proves ("" for topics that prove none).
const char* milestone_of(const std::string& topic);
// Whether `name` is a milestone some topic proves (a flow's exits must be).
bool is_milestone(const std::string& name);

// The whole state of an order as a value (and back), for snapshots and rebuild comparisons.
value to_value(const order& o);
order order_from_value(const value& v);

}  // namespace baton
