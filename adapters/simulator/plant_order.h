// Inside the plant: an order as the departments know it (lines, batches, trucks, invoices), a
// customer account, the kinds of action the plant schedules, and the quantity arithmetic batond
// judges the pieces by. Shared by plant.cpp and the department files (plant_*.cpp) only.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "plant.h"

namespace baton::adapters::simulator {

inline constexpr std::int64_t hour_ms = 3600 * 1000;

// --- small helpers and the tables more than one department uses ----------------------------

inline std::string pad(std::uint64_t n, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(n));
    return buf;
}
inline long long ll(std::int64_t n) {
    return static_cast<long long>(n);
}
inline std::int64_t day_of(std::int64_t ms) {
    return ms >= 0 ? ms / day_ms : (ms - day_ms + 1) / day_ms;
}
inline std::string money_text(std::int64_t cents) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "EUR %lld", static_cast<long long>(cents / 100));
    return buf;
}
// Rounded to a multiple of `step` (0.1, 0.01), as the nearest double of the decimal.
inline double round_to(double x, double step) {
    const double per_unit = std::round(1.0 / step);
    return std::round(x * per_unit) / per_unit;
}

inline constexpr std::array<const char*, 4> inspectors = {"qc.hoffmann", "qc.lindqvist", "qc.baran",
                                                          "qc.costa"};
struct complaint_kind {
    const char* kind;
    const char* detail;
    const char* root_cause;
};
inline constexpr std::array<complaint_kind, 5> complaint_kinds = {{
    {"surface", "scratches on the visible faces of several bars after unpacking",
     "interleaving paper missing at packing"},
    {"colour", "shade differs between two bundles of the same order",
     "two anodising batches mixed in one delivery"},
    {"dimension", "profiles do not fit the gasket: wall too thick at one leg",
     "die wear, corrected and die re-nitrided"},
    {"quantity", "one bundle fewer than on the delivery note",
     "bundle left at the depot, picking error"},
    {"packaging", "bundles not strapped to the agreed standard, bars bent",
     "new packer not trained on the customer's standard"},
}};

// What the plant's departments know about a customer beyond the master data.
struct plant::account {
    std::string country, city, manager;
    int payment_days = 30;           // days net on credit terms
    int weight = 1;                  // how many orders it places, relatively (key accounts more)
    std::vector<int> dies;           // its profiles' die numbers
    std::int64_t balance_cents = 0;  // receivable: the opening balance plus unpaid invoices
    std::int64_t overdue_cents = 0;  // of it, invoices past their due date
    std::int64_t open_cents = 0;     // orders placed, not yet invoiced or cancelled
};

struct plant::sim_order {
    struct line {
        int die = 0;
        std::string alloy, temper, finish, colour;
        int length_mm = 6000;
        double weight_kg_m = 1;
        std::string unit = "kg";  // kg, or pcs (cut bars counted)
        double qty = 0;           // ordered, in the unit
        std::int64_t amount_cents = 0;
        double good = 0;  // produced good so far, in the unit
        double bar_kg() const { return weight_kg_m * length_mm / 1000.0; }
        double kg(double q) const { return unit == "kg" ? q : q * bar_kg(); }
    };
    // One press run of some lines.
    struct batch {
        std::string id;
        std::vector<std::size_t> lines;  // indexes into `lines`
        std::vector<double> rejected;    // per entry of `lines`: what QC rejected in this run
        bool rerun = false;     // makes up a QC failure or a short run (its plan is set at once)
        bool fails_qc = false;  // drawn when planned
        std::vector<double> planned;  // per entry of `lines`: what the run is to make
        int press_line = 1;
        std::int64_t planned_start_day = 0, planned_finish_day = 0;
        std::int64_t complete_ms = 0;  // when it is done, once started
        bool started = false, completed = false;
    };
    struct load {
        std::size_t line = 0;  // index into `lines`
        double qty = 0;        // in the line's unit
    };
    // One shipment (delivery note): what one truck carries.
    struct truck {
        std::string shipment;
        std::vector<load> loads;
        bool fails = false;  // the first delivery fails; dispatched again later
        int attempts = 0;
        bool delivered = false;
    };
    struct bill {
        std::string invoice;
        std::int64_t amount_cents = 0;
        std::int64_t due_ms = 0;
        bool receivable = false;  // credit terms: on the customer's account until paid
        bool overdue = false;     // counted in the account's overdue_cents
    };

    std::string id;
    std::uint32_t index = 0;
    std::size_t customer = 0;
    std::vector<line> lines;
    std::int64_t amount_cents = 0;  // the lines' amounts, as last placed or amended
    std::int64_t promised_day = 0;
    bool new_die = false;
    bool prepay = false;  // pays before shipment (its terms, or credit refused and prepaid)
    // What will happen to it, drawn when it is placed.
    bool reject = false;
    int after_reject = 0;  // 0 approved after review, 1 cancelled, 2 left on hold, 3 prepay
    bool late_die = false;
    bool short_run = false;
    bool slow_pay = false;
    bool complaint = false;
    bool with_return = false;
    bool pays_early = false;
    bool cancel_late = false;
    bool amend_after_schedule = false;
    // What has happened.
    bool cancelled = false, scheduled = false, produced = false, paid = false;
    bool payment_planned = false, short_done = false, trucks_planned = false;
    bool delivered = false, invoiced = false;
    std::int64_t open_cents = 0;  // what it adds to its customer's open_cents
    std::vector<batch> batches;
    std::vector<truck> trucks;
    std::vector<bill> bills;
    std::string complaint_case, return_case;
    int complaint_type = 0;  // index into the complaint kinds
    int complaint_line = 0;  // 1-based
    std::int64_t claimed_cents = 0;
    int pending = 0;  // scheduled actions not yet run
    order_outcome outcome = order_outcome::in_progress;
    std::vector<plant_event> held;   // events on their way late (out of order), oldest first
    std::size_t held_overtaken = 0;  // of those, how many a later event has overtaken

    bool dispatched_any() const {
        for (const auto& t : trucks)
            if (t.attempts > 0) return true;
        return false;
    }
    bool all_batches_completed() const {
        for (const auto& b : batches)
            if (!b.completed) return false;
        return true;
    }
};

enum class plant::action_kind : int {
    arrival,              // the next order comes in
    credit_decision,      // finance approves or rejects
    credit_review_again,  // after a rejection: approve, or sales cancels
    die_ready,
    plan_batches,      // production schedules the order's batches
    start_batch,       // item: the batch
    qc_fail,           // item: the batch
    complete_batch,    // item: the batch
    remedy_short,      // short after the last batch: a re-run, or sales amends down
    confirm_plan,      // production answers an amendment with the plan
    confirm_amount,    // finance answers an amended amount
    prepayment,        // prepay: the customer pays (early, or after the payment request)
    plan_trucks,       // logistics splits the goods into trucks
    dispatch,          // item: the truck
    deliver,           // item: the truck arrives: delivered, or the delivery fails
    invoice_shipment,  // item: the truck (credit terms)
    invoice_order,     // prepay: one invoice once all is delivered
    invoice_due,       // item: the invoice's due date passes unpaid (late payers)
    payment,           // item: the invoice is paid
    complaint,
    return_request,
    close_complaint,    // sales closes it (credit note, replacement, rejected)
    explain_complaint,  // production reports the root cause
    close_return,
    amend,                 // the promised date moves
    amend_after_schedule,  // quantity, price or date changed once production planned it
    cancel,                // before dispatch
    cancel_late,           // once produced, before dispatch
    release_late,          // an out-of-order event finally reaches batond
};

// --- quantities, as batond counts them (daemon/orders/quantities.cpp) ----------------------

// Thousandths of a unit: batond's exact measure.
inline std::int64_t to_milli(double q) {
    return q > 0 ? std::llround(q * 1000.0) : 0;
}
// batond's default tolerance in basis points: kg 2 %, m 1 %, pcs exact.
inline int tolerance_bp(const std::string& unit) {
    return unit == "kg" ? 200 : unit == "m" ? 100 : 0;
}
// Whether `got` counts as `wanted` (at least wanted less the tolerance).
inline bool covers(double got, double wanted, const std::string& unit) {
    const std::int64_t w = to_milli(wanted);  // at most 1e10: times 10000 still fits
    return to_milli(got) >= w - w * tolerance_bp(unit) / 10000;
}
// A quantity as a line's unit is counted: kg to 0.1 kg, pieces whole.
inline double in_unit(const std::string& unit, double q) {
    return unit == "pcs" ? std::round(q) : std::round(q * 10.0) / 10.0;
}
// The value of `q` of a line of `ordered` worth `amount_cents`: pro rata, as batond values
// shipments for invoices.
inline std::int64_t value_of(std::int64_t amount_cents, double ordered, double q) {
    const std::int64_t o = to_milli(ordered);
    if (o <= 0) return 0;
    return static_cast<std::int64_t>(static_cast<long double>(amount_cents) *
                                     static_cast<long double>(to_milli(q)) /
                                     static_cast<long double>(o));
}

}  // namespace baton::adapters::simulator
