// The arithmetic of an order's pieces: per line what was ordered, produced good, scrapped,
// dispatched and delivered (in the line's unit, never one unit added to another), whether a
// measure covers the whole order within the flow's tolerance, what is missing (the backorder),
// the value of quantities, payments against invoices, and receivable ageing. Pure functions of
// the order's stored facts, so the result does not depend on the order the facts arrived in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flow.h"
#include "order.h"

namespace baton {

// a * b / c, rounded towards zero, without overflowing on the way (money times quantities).
std::int64_t mul_div(std::int64_t a, std::int64_t b, std::int64_t c);

// Thousandths of a unit from a fact's number (the schemas allow 0.001); negative reads as 0.
std::int64_t to_milli(double qty);
// "1250.5" from 1250500: a quantity as people read it, without trailing zeros.
std::string milli_text(std::int64_t milli);

// Whether `got` counts as `wanted` under a tolerance: at least wanted less the tolerance.
bool covers(std::int64_t got, std::int64_t wanted, int tolerance_bp);
// Whether `got` is `wanted` within the tolerance either way (in full, for OTIF).
bool within(std::int64_t got, std::int64_t wanted, int tolerance_bp);

struct line_totals {
    int no = 0;
    interned item;  // the order line's (interned: no copy of the text per call)
    interned unit;
    std::int64_t ordered = 0, good = 0, scrap = 0, dispatched = 0, delivered = 0;  // milli
    std::int64_t on_road = 0;  // dispatched on shipments not yet answered
};

// What a fact's quantity did not count for: it named a line the order does not have, or a unit
// other than the line's.
struct quantity_problem {
    std::string detail;
};

struct order_totals {
    std::vector<line_totals> lines;  // one per order line, in line order
    // A fact without quantities for a multi-line order covers the whole order.
    bool produced_whole = false, dispatched_whole = false, delivered_whole = false;
    std::vector<quantity_problem> problems;
};

// The per-line totals of an order's batches and shipments.
order_totals totals_of(const order& o);

enum class measure { good, dispatched, delivered };
// Every line of the order covered by `m` within the tolerance of its unit. False for an order
// without lines, unless a fact without quantities covered it whole.
bool covered(const order_totals& t, measure m, const tolerances& tol);
// What of `m` each line still lacks beyond its tolerance: "line 2 (P-40): 300 kg".
std::vector<std::string> shortfalls(const order_totals& t, measure m, const tolerances& tol);
// The lines some quantity of which is not yet dispatched (ordered - dispatched, > 0), as
// {line, unit, missing milli}: the backorder.
struct backorder_line {
    int no = 0;
    interned item;  // the order line's (interned: no copy of the text per call)
    interned unit;
    std::int64_t milli = 0;
};
std::vector<backorder_line> backorder(const order_totals& t);

// The value in cents of `milli` of line `l`: the line's amount pro rata when it has one, else
// the order's amount shared among the lines without one in proportion to their quantity (when
// they share a unit; evenly otherwise).
std::int64_t line_value_cents(const order& o, const line_totals& l, std::int64_t milli);
// The value of what was delivered (all shipments, or one shipment's received quantities).
std::int64_t delivered_value_cents(const order& o, const order_totals& t);
std::int64_t shipment_value_cents(const order& o, const order_totals& t, const shipment& s);

// Spreads the order's payments over its invoices: payments naming an invoice settle it first;
// the others settle the invoices oldest first. Sets each invoice's paid_cents and settled_ms
// (when the payment that completed it arrived). Returns what no invoice took (paid in advance).
std::int64_t allocate_payments(order& o);

// On-time-in-full per promised quantity: a line is OTIF when what of it arrived by the end of
// the promised day is its ordered quantity within the tolerance; the order when every line is.
// An order whose deliveries named no lines counts as a whole, by when it was delivered.
struct otif_result {
    bool delivered = false;  // the whole order arrived (the delivered milestone)
    bool on_time = false;    // it arrived by the end of the promised day
    bool in_full = false;    // every line within the tolerance of what was ordered
    bool otif = false;       // every line in full by the promised day
    std::size_t lines = 0, lines_otif = 0;
};
otif_result otif_of(const order& o, const tolerances& tol);

// Receivable ageing: the bucket of an invoice `days` past its due date: 0 for 0-30 days, 1 for
// 31-60, 2 for 61-90, 3 for more than 90; -1 when not yet due (days < 0).
int ageing_bucket(std::int64_t days_overdue);
// The buckets by name, not yet due first: receivable_buckets[ageing_bucket(days) + 1].
inline constexpr const char* receivable_buckets[] = {"not_due", "0-30", "31-60", "61-90", "90+"};
inline const char* ageing_name(int bucket) {
    return receivable_buckets[bucket < 0 ? 0 : bucket > 3 ? 4 : bucket + 1];
}
// Whole days since the end of the due day (negative before it ends); INT64_MIN for a bad date.
std::int64_t days_overdue(const std::string& due_date, std::int64_t now_ms);

}  // namespace baton
