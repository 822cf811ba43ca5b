// The order engine: the orders' state machine. It applies each department's facts to its order,
// derives the new stage, and writes the messages that hand the order on (the stage's request to
// its holder, sales.status on every stage change, cancels and amendments to every department
// concerned, after-sale cases). Pure: it sees events and their journal times, never a socket or
// a file, so replaying the journal rebuilds exactly the order state and the messages the live
// daemon relayed for them. ("relay" names only the PUB socket and the outbox.)
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "customers.h"
#include "envelope.h"
#include "flow.h"
#include "journal.h"
#include "order.h"
#include "quantities.h"

namespace baton {

class packed_writer;

// A relay message is what the outbox keeps: seq, topic, envelope bytes as published.
using relay_message = outbox_entry;

// A fact that contradicts the rules, and the milestone whose arrival makes it right again
// ("" when only a person can clear it).
struct anomaly {
    std::string detail;
    std::string cleared_by;
};

// What one event did to its order, for the exception desk.
struct order_change {
    const order* o = nullptr;    // null for events without an order
    std::string previous_stage;  // before the event ("" for a new order)
    std::string previous_holder;
    bool stage_changed = false;
    std::vector<anomaly> anomalies;  // facts that contradict the rules (out_of_sequence)
    bool promise_changed = false;    // placed, or the promised date was amended
    bool plan_changed = false;       // a batch was scheduled: the production deadline may move
    // An amendment that changed something after production scheduled the order (it must confirm
    // it), and whether it changed the amount (finance must confirm too).
    bool amended_after_scheduling = false;
    bool amount_amended = false;
    std::string subject;  // the batch, shipment or invoice the fact was about ("" for none)
};

// Where the orders go in the engine's two lists by time (each customer's orders in the
// order they were placed; the closed ones, for retention), in any order. A start gathers them
// as it reads the orders, while each order is in the cache; without them (`complete` false)
// restore walks the orders to find them.
struct order_times {
    // An order (in the map given to restore) and its time. Orders of the same millisecond go
    // by id: the id's first bytes are kept here, so that sorting a million of them seldom reads
    // an order (a cache miss each).
    struct entry {
        std::int64_t at = 0;
        order* o = nullptr;
        char id[22] = {};
        std::uint8_t id_size = 0;  // bytes of the id in `id`
        bool whole = false;        // `id` holds all of it
        entry(std::int64_t time, order* of);
        // By time, then by id, as std::string compares ids.
        friend bool operator<(const entry& a, const entry& b);
    };
    std::vector<entry> placed;  // placed, with a customer: when placed
    std::vector<entry> closed;  // closed or cancelled: since when
    // Orders noted and then replaced by a later row: restore drops their first entries and
    // notes them again as they are.
    std::vector<order*> again;
    bool complete = false;
    void note(order& o);  // o's entries, if it has any
    // The entries `note` makes for an order, each if it has it: where it goes in each list.
    // std::out_of_range for an order marked placed without its placed milestone.
    static std::optional<entry> placed_entry(order& o);
    static std::optional<entry> closed_entry(order& o);
};

class order_engine {
public:
    order_engine(flow_def flow, customer_book customers);
    // Moved, never copied: the index of orders by customer points into the engine's own orders.
    order_engine(order_engine&&) = default;
    order_engine& operator=(order_engine&&) = default;
    order_engine(const order_engine&) = delete;
    order_engine& operator=(const order_engine&) = delete;

    // Applies one admitted event that the journal holds (or is about to hold) at `seq`,
    // received at `received_ms`. Relay messages it causes are appended to `out`.
    order_change apply(std::int64_t seq, std::int64_t received_ms, const envelope& event,
                       std::vector<relay_message>& out);

    // Appends one message of the daemon's own (an exception or a task) to `out`, numbered
    // from the same relay sequence.
    void emit_notice(std::vector<relay_message>& out, const std::string& topic,
                     const std::string& order_id, const std::string& cause, std::int64_t now_ms,
                     value data);

    const order* find(const std::string& id) const;
    // The orders a customer placed, in the order placed.
    std::vector<const order*> orders_of(const std::string& customer) const;
    const std::unordered_map<std::string, order>& orders() const { return orders_; }
    const customer_book& customers() const { return customers_; }
    const flow_def& flow() const { return flow_; }
    std::size_t open_orders() const;

    // Retention (order_archive.h). Before an event about an order the engine does not hold
    // applies, the caller asks the archive: an order that left memory comes back as it left
    // (adopt), and the event applies to it as if it had never gone.
    const order& adopt(order o);
    // Up to `max` orders closed or cancelled at least `retention_ms` before `now_ms` whose last
    // event is at or before `stored_seq` (the journal seq the last stored snapshot reaches: it
    // holds them as they are), none with an open case, an unpaid invoice or what `busy` names
    // (the desk's open records), oldest closed first; at most `max` looked at. They stay until
    // take_out().
    std::vector<const order*> retirable(std::int64_t now_ms, std::int64_t retention_ms,
                                        std::size_t max, std::int64_t stored_seq,
                                        const std::function<bool(const order&)>& busy);
    // Moves the orders out of the engine (and its customer index).
    std::vector<order> take_out(const std::vector<const order*>& orders);
    // Orders back from the archive since the last call: the next snapshot stores them.
    std::vector<std::string> take_revived();
    void mark_revived(const std::vector<std::string>& ids);

    std::uint64_t relay_seq() const { return relay_seq_; }  // the last one assigned
    void set_relay_seq(std::uint64_t seq) { relay_seq_ = seq; }

    // Orders changed since the last call (for snapshots), and the state as one value: orders
    // sorted by id, customers, relay_seq. Two engines with equal state() are the same.
    std::vector<std::string> take_changed();
    void mark_changed(const std::string& id) { changed_.insert(id); }

    // Reload: a new flow applies to the next stage derivation; the seed file's master data
    // (name, tier, terms, limit) replaces what the book has for those customers.
    void set_flow(const flow_def& flow) { flow_ = flow; }
    void update_masters(const std::vector<customer>& seed);
    std::size_t changed_count() const { return changed_.size(); }

    // Snapshots without stopping the loop to copy thousands of orders: begin_capture() marks a
    // point (the orders changed since the last snapshot are to be copied as they are at that
    // point), capture(n) copies up to n of them, and an order about to change is copied first.
    // take_captured() hands the copies over once none is left to copy.
    void begin_capture();
    std::size_t capture(std::size_t n);  // copies up to n; how many are left
    bool capturing() const { return !to_capture_.empty(); }
    std::vector<order> take_captured();
    value state() const;
    value customers_value() const { return customers_.to_value(); }
    // The orders by id, as a start reads them from the snapshot log (taken whole: no order is
    // moved again), or as a list.
    void restore(std::unordered_map<std::string, order> orders, customer_book customers,
                 std::uint64_t relay_seq, order_times times = {});
    void restore(std::vector<order> orders, customer_book customers, std::uint64_t relay_seq);

private:
    std::vector<anomaly> anomalies_of(const order& o, const envelope& e) const;
    void on_receivable(const value& data);
    void on_customer_updated(const value& data);
    struct fact;
    void apply_order_fact(fact& f);
    void on_placed(fact& f);
    void on_amended(fact& f);
    void on_cancelled(fact& f);
    void on_credit_approved(fact& f);
    void on_credit_rejected(fact& f);
    void on_payment(fact& f);
    void on_invoiced(fact& f);
    void on_scheduled(fact& f);
    void on_started(fact& f);
    void on_completed(fact& f);
    void on_qc_failed(fact& f);
    void on_dispatched(fact& f);
    void on_delivered(fact& f);
    void on_delivery_failed(fact& f);
    void on_case_opened(fact& f);
    void on_case_closed(fact& f);
    void update_stage(order& o, std::int64_t received_ms, const envelope& cause,
                      std::vector<relay_message>& out);
    void emit(std::vector<relay_message>& out, const std::string& topic, const order& o,
              const envelope& cause, std::int64_t received_ms, value data);
    // A relay message about order `order_id` started in `out`: its envelope written up to the
    // key "data". The caller writes data's value into the returned bytes (packed_writer) before
    // anything else is added to `out`, which may move them.
    std::string& begin_relay(std::vector<relay_message>& out, const std::string& topic,
                             const std::string& order_id, const std::string& cause,
                             std::int64_t now_ms, std::size_t data_bytes);
    // The order as the department that holds it next receives it (`relay`: its topic).
    void write_summary(packed_writer& w, const order& o, const std::string& relay) const;
    void note_department(order& o, std::string_view dept);
    // Keeps the customer's open order value equal to what this order now adds to it.
    void sync_open(order& o);
    // Holds a new order must wait on (blocked customer, overdue beyond the flow's amount, over
    // the credit limit), or auto credit's approval.
    void decide_credit(fact& f);
    // The milestones the quantities prove (produced, dispatched, delivered, invoiced), and the
    // production plan of the open batches.
    void derive_from_pieces(order& o, const envelope& e, std::int64_t received_ms,
                            const std::vector<quantity_problem>& known,
                            std::vector<anomaly>& anomalies);
    int payment_days_of(const std::string& customer) const;
    // Before order `o` changes: its copy for the snapshot under way, when it still needs one.
    void capture_before_change(const order& o);

    flow_def flow_;
    customer_book customers_;
    std::unordered_map<std::string, order> orders_;
    // customer -> its orders, in the order placed (pointers into orders_, whose nodes stay put).
    std::unordered_map<interned, std::vector<order*>> by_customer_;
    std::unordered_set<std::string> changed_;     // sorted when taken
    std::unordered_set<std::string> to_capture_;  // changed before the capture point, not copied
    std::vector<order> captured_;
    std::uint64_t relay_seq_ = 0;
    // Orders as they closed or were cancelled, (when, id), mostly oldest first: retirable()
    // takes them from the front; an entry whose order changed stage since is dropped there.
    std::deque<std::pair<std::int64_t, std::string>> closed_;
    std::set<std::string> revived_;
};

}  // namespace baton
