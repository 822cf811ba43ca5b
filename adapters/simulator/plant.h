// The simulated extrusion plant: customers, orders and the four departments as a discrete-event
// model in simulated time. Pure and deterministic: the same options (seed, start) give the same
// events in the same order; it opens no socket and reads no clock.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "customers_file.h"
#include "dates.h"
#include "envelope.h"

namespace baton::adapters::simulator {

// How often things go wrong. Each is a probability in [0, 1].
struct fault_rates {
    double credit_reject = 0.05;     // orders finance rejects at first (credit_hold)
    double qc_fail = 0.05;           // batches that fail quality control, then are re-run
    double short_run = 0.05;         // orders whose last batch comes out short (short_produced)
    double late_die = 0.1;           // new dies that come after the die SLA (10 days)
    double slow_pay = 0.1;           // prepay orders paid after the 3-day payment SLA
    double late_pay = 0.1;           // credit invoices paid 10-100 days after their due date
    double invoice_mismatch = 0.02;  // invoices that do not bill what their shipment carried
    double delivery_fail = 0.05;     // shipments whose delivery fails, then dispatched again
    double complaint = 0.03;         // delivered orders the customer complains about
    double out_of_order = 0.02;      // order events that reach batond after a later one
    double cancel = 0.02;            // orders sales cancels before dispatch
    double cancel_late = 0.02;       // orders cancelled once produced, 2 in 3 with a charge
    double slow_answer = 0.05;       // department answers that overrun their usual time
    static fault_rates none() {      // --no-faults: every order takes the happy path
        fault_rates f;
        f.credit_reject = f.qc_fail = f.short_run = f.late_die = f.slow_pay = f.late_pay =
            f.invoice_mismatch = f.delivery_fail = f.complaint = f.out_of_order = f.cancel =
                f.cancel_late = f.slow_answer = 0;
        return f;
    }
};

struct plant_options {
    std::uint64_t seed = 1;
    std::int64_t start_ms = 0;  // simulated start, ms since the epoch (required)
    std::string run_tag;        // in every id, so runs never collide; "" derives one
    std::size_t customers = 12;
    std::vector<customer> known_customers;  // used first (a customers.yaml); then generated
    std::uint64_t orders = 0;               // orders to place; 0: no limit
    double orders_per_hour = 2;             // arrival rate, per simulated hour
    double new_die = 0.15;                  // orders that need a new die
    int batches_max = 3;  // press runs an order is split into (by die and alloy), re-runs aside
    int trucks_max = 3;   // shipments an order leaves the plant in
    double amend = 0.03;  // orders whose promised date moves (the customer's site is late)
    double amend_after_schedule = 0.05;  // orders amended once scheduled: quantity, price, date
    double prepay_switch = 0.3;          // credit rejections the customer answers by prepaying
    double prepay_early = 0.3;           // prepay orders paid before production is done
    int open_items = 0;  // unpaid invoices per credit customer from before the start, past due
    fault_rates faults;
};

// The department systems that report, one source each.
enum class department : int { sales = 0, finance = 1, production = 2, logistics = 3 };
inline constexpr int department_count = 4;
const char* source_name(department d);  // sales-erp, finance-ledger, production-mes, ...

enum class order_outcome { in_progress, closed, cancelled, on_hold };
const char* outcome_name(order_outcome o);

// One event as it leaves the plant: its envelope (ts = when it happened) and when, in
// simulated time, it reaches batond (later than ts for an out-of-order event).
struct plant_event {
    std::int64_t send_ms = 0;
    envelope event;
};

struct plant_stats {
    std::uint64_t events = 0;
    std::uint64_t orders_placed = 0;
    std::uint64_t closed = 0;     // invoiced (and delivered)
    std::uint64_t cancelled = 0;  // by sales, before dispatch
    std::uint64_t on_hold = 0;    // left on credit hold: finance never approved
    std::uint64_t in_progress() const { return orders_placed - closed - cancelled - on_hold; }
    std::uint64_t finished() const { return closed + cancelled + on_hold; }
    // The pieces orders came in.
    std::uint64_t carried_over = 0;  // of the orders, those of open items from before the start
    std::uint64_t lines = 0, batches = 0, reruns = 0, shipments = 0, split_orders = 0, invoices = 0,
                  payments = 0;
    // Faults and business events as they happened.
    std::uint64_t credit_rejections = 0, prepay_switches = 0, qc_failures = 0, short_runs = 0,
                  short_reruns = 0, short_amended = 0, new_dies = 0, late_dies = 0,
                  slow_payments = 0, late_payments = 0, invoice_mismatches = 0,
                  failed_deliveries = 0, complaints = 0, returns = 0, credit_notes = 0,
                  out_of_order = 0, cancellations = 0, late_cancellations = 0,
                  cancellation_charges = 0, amendments = 0, amended_after_schedule = 0,
                  confirmations = 0, slow_answers = 0;
};

class plant {
public:
    explicit plant(plant_options options);
    ~plant();
    plant(const plant&) = delete;
    plant& operator=(const plant&) = delete;

    // When the next event reaches batond (simulated ms), or nullopt when the plant is done:
    // every order placed and finished, every event out.
    std::optional<std::int64_t> next_send_ms();
    // Takes the next event; false when done.
    bool next(plant_event& out);

    // Places no new order from now on; orders in progress go on.
    void stop_placing() { placing_ = false; }

    const plant_stats& stats() const { return stats_; }
    const std::string& run_tag() const { return tag_; }
    std::int64_t start_ms() const { return options_.start_ms; }
    std::int64_t now_ms() const { return now_ms_; }  // simulated time of the last action
    const std::vector<customer>& customers() const { return customers_; }
    // Every order placed so far, with what the plant did to it.
    std::vector<std::pair<std::string, order_outcome>> outcomes() const;

private:
    struct sim_order;
    struct account;
    enum class action_kind : int;
    struct action {
        std::int64_t at_ms;
        std::uint64_t tie;  // scheduling order: equal times keep it, so runs repeat exactly
        std::uint32_t order;
        std::uint32_t item;  // the batch, shipment or invoice of the order it is about
        action_kind kind;
        bool operator>(const action& o) const {
            return at_ms != o.at_ms ? at_ms > o.at_ms : tie > o.tie;
        }
    };

    // The engine (plant.cpp).
    void build_customers();
    void announce_customers();
    sim_order& new_order(std::size_t customer, bool may_need_die);
    value placed_data(const sim_order& o, std::int64_t day);
    void place_order();
    void carry_over_open_item(std::size_t customer);
    void run(const action& a);
    void schedule(std::uint32_t order, action_kind kind, std::int64_t at_ms,
                  std::uint32_t item = 0);
    envelope make(department d, const std::string& topic, const sim_order* o, value data);
    void emit(envelope e, sim_order* o, bool may_be_late);
    void release_late(sim_order& o);
    void set_outcome(sim_order& o, order_outcome next);
    std::int64_t answer_after(double low_h, double high_h, double slow_high_h);
    std::int64_t today() const;
    // Sales (plant_sales.cpp): amendments, cancellations, after-sale cases.
    value order_lines(const sim_order& o) const;
    void amend_promised_date(sim_order& o);
    void amend_after_schedule(sim_order& o);
    void amend_short_down(sim_order& o);
    void send_amendment(sim_order& o, const std::string& reason, bool lines, bool amount,
                        bool promised);
    void cancel(sim_order& o, const std::string& reason, bool late);
    void file_complaint(sim_order& o);
    void request_return(sim_order& o);
    void close_complaint(sim_order& o);
    void explain_complaint(sim_order& o);
    void close_return(sim_order& o);
    // Finance (plant_finance.cpp): credit, payments, invoices, receivables.
    void decide_credit(sim_order& o);
    void review_credit_again(sim_order& o);
    void confirm_amount(sim_order& o);
    void receive_prepayment(sim_order& o);
    void invoice_shipment(sim_order& o, std::uint32_t truck);
    void invoice_order(sim_order& o);
    void invoice_falls_due(sim_order& o, std::uint32_t bill);
    void receive_payment(sim_order& o, std::uint32_t bill);
    void update_receivable(account& a);
    // Production (plant_production.cpp): dies, batches, quality control, short runs.
    void after_credit(sim_order& o);
    void die_ready(sim_order& o);
    void plan_batches(sim_order& o);
    std::uint32_t add_batch(sim_order& o, std::vector<std::size_t> lines, bool rerun,
                            std::int64_t first_day);
    void announce_batch(sim_order& o, std::uint32_t b, bool rescheduled);
    void start_batch(sim_order& o, std::uint32_t b);
    void fail_qc(sim_order& o, std::uint32_t b);
    void complete_batch(sim_order& o, std::uint32_t b);
    void remedy_short(sim_order& o);
    void confirm_plan(sim_order& o);
    void after_production(sim_order& o);
    // Logistics (plant_logistics.cpp): trucks, deliveries.
    void plan_trucks(sim_order& o);
    void dispatch(sim_order& o, std::uint32_t truck);
    void deliver(sim_order& o, std::uint32_t truck);
    // Random numbers (splitmix64, so the same seed gives the same plant everywhere).
    std::uint64_t next_random();
    double uniform();
    std::int64_t between(std::int64_t low, std::int64_t high);
    bool chance(double p) { return uniform() < p; }
    std::int64_t hours(double low, double high);

    plant_options options_;
    std::string tag_;
    std::uint64_t rng_state_;
    std::int64_t now_ms_ = 0;
    bool placing_ = true;
    std::vector<customer> customers_;
    std::vector<account> accounts_;
    std::vector<sim_order> orders_;
    std::priority_queue<action, std::vector<action>, std::greater<action>> actions_;
    std::uint64_t next_tie_ = 0;
    std::deque<plant_event> ready_;  // emitted, in send order
    std::uint64_t source_seq_[department_count] = {};
    std::uint64_t next_case_ = 0, next_shipment_ = 0, next_invoice_ = 0, next_die_ = 0,
                  next_batch_ = 0;
    plant_stats stats_;
};

using baton::civil_date;  // "2026-03-14" for a day counted from 1970-01-01 (common/dates.h)

}  // namespace baton::adapters::simulator
