// An order as batond keeps it: the facts departments reported (milestones, each with its time and
// proving event), the commercial terms, holds, after-sale cases, and the derived stage and holder.
// Facts may arrive late, early, twice or out of order; the stage is derived, never forced.
#pragma once

#include <boost/container/flat_map.hpp>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "event_ref.h"
#include "interned.h"
#include "value.h"

namespace baton {

struct milestone {
    std::int64_t at_ms = 0;  // when batond received the proving event, ms since epoch
    event_ref event_id;      // the event that proved it
};

// Every milestone, in the order of the default flow. A stored order state (order_state.h) names
// a milestone by its place here, so the table is only ever appended to.
inline constexpr std::string_view milestone_names[] = {
    "placed", "credit_approved", "die_ready", "scheduled", "started", "produced", "deposit_paid",
    "paid",   "dispatched",      "delivered", "invoiced"};

// An order's milestones: name -> when and by which event, sorted by name, in one block (a dozen
// at most). Beside the map, one bit per name of milestone_names says whether it is there, so
// the questions the rules ask of every event (has it been produced?) are answered without a
// search, and a search is made only for a milestone that is there. A name outside the table
// (read from an old snapshot) is searched for as before.
class milestone_map {
    // Names in the order of their text, as std::string sorts, compared with plain text too.
    struct by_text {
        using is_transparent = void;
        static std::string_view text(const interned& s) { return s.str(); }
        static std::string_view text(std::string_view s) { return s; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return text(a) < text(b);
        }
    };

public:
    // A name is interned (8 bytes, one copy for the process) rather than a std::string of its
    // own (32): eleven a closed order.
    using map_type = boost::container::flat_map<interned, milestone, by_text>;
    using iterator = map_type::iterator;
    using const_iterator = map_type::const_iterator;

    milestone_map() = default;
    milestone_map(const milestone_map&) = default;
    milestone_map& operator=(const milestone_map&) = default;
    // A moved-from map is empty, its bits too (they must never claim what the map lacks).
    milestone_map(milestone_map&& o) noexcept
        : map_(std::move(o.map_)), bits_(std::exchange(o.bits_, 0)) {
        o.map_.clear();
    }
    milestone_map& operator=(milestone_map&& o) noexcept {
        map_ = std::move(o.map_);
        bits_ = std::exchange(o.bits_, 0);
        o.map_.clear();
        return *this;
    }

    // The place of `name` in milestone_names, or -1.
    static int number_of(std::string_view name) {
        for (std::size_t i = 0; i < std::size(milestone_names); ++i)
            if (name == milestone_names[i]) return static_cast<int>(i);
        return -1;
    }

    bool contains(std::string_view name) const {
        const int n = number_of(name);
        return n >= 0 ? (bits_ >> n) & 1u : map_.find(name) != map_.end();
    }
    std::size_t count(std::string_view name) const { return contains(name) ? 1 : 0; }
    const_iterator find(std::string_view name) const {
        return maybe(name) ? map_.find(name) : map_.end();
    }
    iterator find(std::string_view name) { return maybe(name) ? map_.find(name) : map_.end(); }
    // Throws std::out_of_range when absent, as a map's at().
    const milestone& at(std::string_view name) const { return checked(find(name), name)->second; }
    milestone& at(std::string_view name) { return checked(find(name), name)->second; }

    std::pair<iterator, bool> try_emplace(std::string_view name, milestone m) {
        if (const int n = number_of(name); n >= 0 && ((bits_ >> n) & 1u))
            return {map_.find(name), false};
        auto r = map_.try_emplace(interned(name), std::move(m));
        if (r.second) mark(name, true);
        return r;
    }
    std::pair<iterator, bool> emplace(std::string_view name, milestone m) {
        auto r = map_.emplace(interned(name), std::move(m));
        if (r.second) mark(name, true);
        return r;
    }
    milestone& operator[](std::string_view name) {
        return try_emplace(name, milestone{}).first->second;
    }
    std::size_t erase(std::string_view name) {
        if (!maybe(name)) return 0;
        auto it = map_.find(name);
        if (it == map_.end()) return 0;
        map_.erase(it);
        mark(name, false);
        return 1;
    }

    const_iterator begin() const { return map_.begin(); }
    const_iterator end() const { return map_.end(); }
    iterator begin() { return map_.begin(); }
    iterator end() { return map_.end(); }
    std::size_t size() const { return map_.size(); }
    bool empty() const { return map_.empty(); }
    void reserve(std::size_t n) { map_.reserve(n); }
    void clear() {
        map_.clear();
        bits_ = 0;
    }

private:
    // Whether a search can find `name`: false when its bit says it is absent.
    bool maybe(std::string_view name) const {
        const int n = number_of(name);
        return n < 0 || ((bits_ >> n) & 1u);
    }
    void mark(std::string_view name, bool present) {
        if (const int n = number_of(name); n >= 0) {
            if (present)
                bits_ |= 1u << n;
            else
                bits_ &= ~(1u << n);
        }
    }
    template <typename It>
    It checked(It it, std::string_view name) const {
        if (it == map_.end())
            throw std::out_of_range("milestone " + std::string(name) + " is not proven");
        return it;
    }

    map_type map_;
    std::uint32_t bits_ = 0;
};
static_assert(std::size(milestone_names) <= 32, "milestone_map keeps one bit per name");

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
    std::string complaint_kind;            // complaints: dimension, surface, ... (schema enum)
    int line = 0;                          // 1-based order line concerned (0: none named)
    std::string outcome;                   // from sales.case.closed: credit_note, replacement, ...
    std::string root_cause;                // from production.case.resolved
    std::int64_t credit_cents = 0;         // credit note granted on closing
};

// Quantities are kept in thousandths of the line's unit (the schemas allow 0.001), so sums and
// tolerance checks are exact. A fact's quantity for one line; line 0: the fact named no line
// (the whole order for a fact without quantity, or the one line of a one-line order).
struct line_qty {
    int line = 0;
    std::int64_t milli = 0;
    interned unit;  // as the fact gave it ("" when it gave none)
};

// One order line as placed or amended: what was promised, in which unit, at what value.
struct order_line {
    int no = 0;  // 1-based, in the order the lines were listed
    interned item;
    interned die;
    interned unit;  // kg, pcs or m; never mixed with another
    std::int64_t ordered_milli = 0;
    std::int64_t amount_cents = -1;  // the line's value when the order gave it, else -1
};

// A production batch: one press run of some lines. Several per order; a fact that names no
// batch is about the order's unnamed batch ("").
struct production_batch {
    std::string id;
    std::string press_line;
    std::string planned_start, planned_finish;  // YYYY-MM-DD
    bool started = false;
    bool completed = false;
    bool whole = false;                 // completed without quantities: the whole order produced
    event_ref event_id;                 // the completion
    std::vector<line_qty> good, scrap;  // as completed (qc failures after it move good to scrap)
    int qc_failures = 0;
    std::int64_t scheduled_ms = 0, completed_ms = 0;
};

// A shipment: one dispatch, answered by one delivery or failure. A fact that names no shipment
// is about the order's unnamed shipment ("").
enum class shipment_state : std::uint8_t { on_road, delivered, failed };
struct shipment {
    std::string id;
    std::string vehicle, carrier;
    std::string expected_delivery;  // YYYY-MM-DD
    shipment_state state = shipment_state::on_road;
    bool whole = false;  // dispatched without naming lines on a multi-line order: all of it
    std::vector<line_qty> sent, received;
    std::int64_t dispatched_ms = 0, answered_ms = 0;
    std::string failure;          // why the last delivery failed
    event_ref event_id;           // the dispatch (or the delivery, when no dispatch came)
    bool dispatch_noted = false;  // its dispatch note arrived (it may come after the delivery)
};
const char* shipment_state_name(shipment_state s);

// An invoice, settled by payments (those naming it first, then the others oldest invoice
// first: see quantities.h `allocate_payments`).
struct invoice {
    std::string id;
    std::string shipment;  // the shipment it bills ("" : the order as a whole)
    std::int64_t amount_cents = 0;
    std::string invoice_date;  // YYYY-MM-DD (the day it arrived when not given)
    std::string due_date;      // YYYY-MM-DD: given, or invoice date + the customer's payment days
    std::int64_t issued_ms = 0;
    std::int64_t paid_cents = 0;  // derived: what the payments settle of it
    std::int64_t settled_ms = 0;  // derived: when it became fully paid (0 while not)
};

struct payment {
    std::string invoice;  // the invoice it names ("" : none)
    std::int64_t amount_cents = 0;
    std::int64_t at_ms = 0;
    event_ref event_id;
};

// One stay of an order in a stage, for dwell times.
struct stage_visit {
    interned stage;
    std::int64_t entered_ms = 0;
    std::int64_t left_ms = 0;  // 0 while the order is still there
};

struct order {
    std::string id;
    interned customer;
    bool placed = false;  // sales.order.placed has arrived
    bool cancelled = false;
    // Derived, not stored: some quantity of its facts cannot be counted (quantities.h
    // `order_totals::problems`); spares computing the totals twice per fact when none can't.
    bool quantity_problems = false;
    bool prepay_switched = false;  // credit refused, released against payment in advance
    bool new_die = false;
    std::string cancel_reason;
    std::int64_t amount_cents = 0;
    std::int64_t paid_cents = 0;          // every payment received for it
    std::int64_t charge_cents = 0;        // cancellation charge agreed with the customer
    std::int64_t deposit_cents = 0;       // due before production (flow `deposit`, prepay terms)
    std::int64_t open_counted_cents = 0;  // what it adds to its customer's open order value
    interned promised_date;               // YYYY-MM-DD
    interned terms;                       // credit or prepay
    interned salesperson;
    std::string customer_po;
    // The line items as last placed or amended, kept as their MessagePack bytes ("": none were
    // given), so that a large order costs about its encoded size, not a value tree's (lines_value).
    std::string lines;
    std::vector<order_line> line_items;     // the same, as quantities batond counts
    interned planned_start;                 // YYYY-MM-DD: earliest of the open batches
    interned planned_finish;                // YYYY-MM-DD: latest of the open batches
    std::vector<production_batch> batches;  // in the order first reported
    std::vector<shipment> shipments;        // in the order first reported
    std::vector<invoice> invoices;          // in the order issued
    std::vector<payment> payments;          // in the order received
    milestone_map milestones;
    std::vector<interned> holds;  // e.g. "credit"
    interned stage;               // derived: credit_review, ..., closed, cancelled
    interned holder;              // derived: department holding the baton; "" when none
    std::int64_t stage_since_ms = 0;
    std::vector<interned> departments;  // every department that has had it in hand
    std::vector<order_case> cases;
    std::vector<std::int64_t> events;  // journal seqs of its events, in arrival order
    std::vector<stage_visit> visits;   // every stage it entered, in order
    std::int64_t first_seen_ms = 0;

    bool has(std::string_view name) const { return milestones.contains(name); }
    bool on_hold(const std::string& hold) const;
    bool open() const { return stage != "closed" && stage != "cancelled"; }
    order_case* find_case(const std::string& case_id);
    production_batch* find_batch(const std::string& batch_id);
    shipment* find_shipment(const std::string& shipment_id);
    invoice* find_invoice(const std::string& invoice_id);
    std::int64_t invoiced_cents() const;
};

// The milestone a topic proves ("" for topics that prove none).
const char* milestone_of(const std::string& topic);
// Whether `name` is a milestone some topic proves (a flow's exits must be).
bool is_milestone(const std::string& name);

// The whole state of an order as a value (and back), for snapshots and rebuild comparisons.
// Snapshots carry a format number ("v"); an order stored by an older batond (no "v": format 1,
// before quantities) is read as the same order: its proven milestones stand, its lines are
// read from its line items, and what it had proven stands for the whole order.
inline constexpr int order_format = 2;
value to_value(const order& o);
order order_from_value(const value& v);

// The order lines of a `lines` list as placed or amended (items without a unit or a positive
// quantity are kept with what they have; the schema requires both).
std::vector<order_line> lines_of(const value& lines);
// The order's `lines` as a value: the list as given, nil when none was.
value lines_value(const order& o);
// Keeps `lines` (a value from an event or a snapshot) encoded on the order, with its line items.
void set_lines(order& o, const value& lines);

}  // namespace baton
