// Exceptions and coordination tasks: what a customer-service lead must see and who must act.
// The exception desk watches every order change and the clock, raises one exception per
// (order, kind) while it is open, resolves it itself when its cause goes away, escalates with
// time and customer tier, and opens tasks for the departments that must answer. Pure: time
// comes in as numbers, changes go out as events for the store, the feed and the relay.
// Its parts: the records (desk_records.h), the kind table (desk_kinds.h), the rule of each
// kind for facts (desk_rules.cpp), a handler per timer kind (desk_timers.cpp); this file's
// source keeps the records, their indexes, what people do, and the queries.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "customers.h"
#include "desk_records.h"
#include "envelope.h"
#include "flow.h"
#include "order_engine.h"
#include "record_id.h"
#include "timers.h"

namespace baton {

// One change, as the store, the feed and the relay see it.
struct exception_event {
    exception_transition state;  // raised, acknowledged, escalated, resolved; updated: stored only
    exception_record record;
    std::string cause;  // id of the event that caused it ("" for time and people)
};
struct task_event {
    task_transition state;  // opened, escalated or done
    task_record record;
    std::string cause;
};
struct desk_output {
    std::vector<exception_event> exceptions;
    std::vector<task_event> tasks;
    bool empty() const { return exceptions.empty() && tasks.empty(); }
};

struct exception_filter {
    std::string state = "open";  // open (open + acknowledged), acknowledged, resolved, all
    std::string kind, dept, order;
    std::string assignee;  // "": anyone's
    std::uint64_t id = 0;  // that one record only; 0: any
    std::size_t limit = 1000;
};
struct task_filter {
    std::string state = "open";  // open (open + escalated), escalated, done, all
    std::string dept, order;
    std::string assignee;  // "": anyone's
    std::uint64_t id = 0;  // that one record only; 0: any
    std::size_t limit = 1000;
};

class exception_desk {
public:
    explicit exception_desk(const flow_def& flow);

    // After the order engine applied `event` to an order (`change.o`), at `now_ms`.
    void on_event(const order_change& change, const envelope& event, const order_engine& engine,
                  std::int64_t now_ms, desk_output& out);
    // Fires every timer due at or before `now_ms`.
    void on_time(std::int64_t now_ms, const order_engine& engine, desk_output& out);
    // When the next timer is due (INT64_MAX when none).
    std::int64_t next_due_ms() const { return timers_.next_due_ms(); }
    std::size_t pending_timers() const { return timers_.size(); }

    // A source's seq jumped: feed_gap, owned by the department of the topic.
    void on_feed_gap(const std::string& source, const std::string& topic, std::uint64_t expected,
                     std::uint64_t got, std::int64_t now_ms, desk_output& out);

    // People, through the control socket. False with `error` set when refused.
    bool acknowledge(std::uint64_t id, const std::string& by, const std::string& note,
                     std::int64_t now_ms, desk_output& out, std::string& error);
    bool resolve(std::uint64_t id, const std::string& by, const std::string& note,
                 std::int64_t now_ms, desk_output& out, std::string& error);
    bool task_done(std::uint64_t id, const std::string& by, const std::string& note,
                   std::int64_t now_ms, desk_output& out, std::string& error);
    // Gives an open exception or task to a person (`to`; "" gives it back to its department).
    bool assign(std::uint64_t id, const std::string& to, const std::string& by,
                const std::string& note, std::int64_t now_ms, desk_output& out, std::string& error);
    bool assign_task(std::uint64_t id, const std::string& to, const std::string& by,
                     const std::string& note, std::int64_t now_ms, desk_output& out,
                     std::string& error);

    std::vector<const exception_record*> exceptions(const exception_filter& f) const;
    std::vector<const task_record*> tasks(const task_filter& f) const;
    std::vector<const exception_record*> exceptions_of(const std::string& order) const;
    std::vector<const task_record*> tasks_of(const std::string& order) const;
    const std::map<std::uint64_t, exception_record>& all_exceptions() const { return exceptions_; }
    std::size_t open_exceptions() const { return open_by_key_.size(); }
    std::size_t open_tasks() const { return open_tasks_; }
    // The open and acknowledged exceptions, in no order (a walk of the records or a lookup of
    // each open one from the index, whichever is cheaper).
    std::vector<const exception_record*> open_exception_records() const;
    const std::map<std::uint64_t, task_record>& all_tasks() const { return tasks_; }

    // Retention (order_archive.h): whether an exception or task of the order is still open.
    bool has_open(const std::string& order) const;
    // The orders leave memory: their records (all resolved and done) are moved out, with their
    // timers. Call before the orders themselves go (timers point at them).
    struct retired_records {
        std::vector<exception_record> exceptions;
        std::vector<task_record> tasks;
    };
    std::vector<retired_records> forget(const std::vector<const order*>& orders);
    // An order back from the archive (already in the engine): its records back, and its timers.
    void readmit(const order& o, std::vector<exception_record> exceptions,
                 std::vector<task_record> tasks);
    // Record ids continue after these (ids of records archived with their orders stay taken).
    void reserve_ids(std::uint64_t last_exception_id, std::uint64_t last_task_id);

    // Start-up: stored records back, then timers for every open order, case and task.
    void restore(std::vector<exception_record> exceptions, std::vector<task_record> tasks,
                 const order_engine& engine, std::int64_t now_ms);
    // The same in two halves: the records, their indexes and the tasks' timers, which need no
    // order (a start does this on another thread while the engine takes its orders), then the
    // timers of every order.
    void restore_records(std::vector<exception_record> exceptions, std::vector<task_record> tasks);
    void schedule_orders(const order_engine& engine);
    // New flow (reload): every stage, promise and case timer is scheduled again with its SLAs;
    // open exceptions and tasks stay as they are.
    void set_flow(const flow_def& flow, const order_engine& engine, std::int64_t now_ms);

private:
    // What one fact brings to the rules.
    struct fact {
        const order_change& change;
        const order& o;
        const envelope& event;
        const order_engine& engine;
        severity base;  // the customer's tier level
        std::int64_t now_ms;
        desk_output& out;
        const std::string& cause() const { return event.id; }
        const std::string& topic() const { return event.topic; }
    };
    // Everything that decides a new exception; raise() takes its owner and severity from the
    // kind table (desk_kinds.h) and this.
    struct raise_request {
        exception_kind kind = exception_kind::stage_overdue;
        const order* o = nullptr;       // null for feed_gap
        severity base = severity::low;  // the customer's tier level (severity_rule tier, stage)
        std::string detail;
        std::string cause;                     // id of the event that caused it ("" for time)
        const stage_def* stage = nullptr;      // stage-bound kinds: the stage `o` is in now
        int step = 0;                          // stage-bound kinds: the stage clock's step
        const order_case* for_case = nullptr;  // case_overdue: the case (the scope)
        std::string topic;                     // topic_department owners: the topic
        std::string scope;                     // feed_gap: the source
        std::vector<std::string> resolve_on;   // out_of_sequence: what clears it
        std::string owner;  // payment_overdue on an invoice (no stage): who owns it
    };
    // All records of one order, ids ascending: what a fact, a cancel or a query walks.
    struct order_records {
        std::vector<std::uint64_t> exceptions;
        std::vector<std::uint64_t> tasks;
    };

    // Records and their indexes (exceptions.cpp).
    exception_record* find_open(const std::string& order, exception_kind kind,
                                const std::string& scope = "");
    bool has_records(const std::string& order);
    static std::string owner_of(const raise_request& r);
    exception_record& raise(const raise_request& r, std::int64_t now_ms, desk_output& out);
    void resolve_record(exception_record& e, const std::string& by, const std::string& why,
                        std::int64_t now_ms, const std::string& cause, desk_output& out);
    // Resolves the open exception of `kind` on `order`, if any, as baton.
    void settle(const std::string& order, exception_kind kind, const std::string& why,
                std::int64_t now_ms, const std::string& cause, desk_output& out,
                const std::string& scope = "");
    void escalate(exception_record& e, severity level, const std::string& detail, int step,
                  std::int64_t now_ms, desk_output& out);
    void open_task(const exception_record& e, const std::string& dept, const std::string& action,
                   std::int64_t now_ms, const std::string& cause, desk_output& out);
    // A task that follows a fact rather than an exception, closed by `answer` on its order (or
    // by a person).
    void open_follow_up(const order& o, const std::string& dept, const std::string& action,
                        const std::string& answer, std::int64_t now_ms, const std::string& cause,
                        desk_output& out);
    // The record a person may act on, or null with `error` saying why not (unknown, or over).
    exception_record* unresolved(std::uint64_t id, std::string& error);
    task_record* undone(std::uint64_t id, std::string& error);
    // Both of the above: a task of `exception_id` (0: a follow-up) or with an `answer`.
    void new_task(const std::string& order, const std::string& dept, const std::string& action,
                  std::uint64_t exception_id, const std::string& answer, std::int64_t now_ms,
                  const std::string& cause, desk_output& out);
    // Resolves every open exception of `kind` on `order`, whatever its scope.
    void settle_all(const std::string& order, exception_kind kind, const std::string& why,
                    std::int64_t now_ms, const std::string& cause, desk_output& out);
    void close_task(task_record& t, const std::string& by, const std::string& why,
                    std::int64_t now_ms, const std::string& cause, desk_output& out);
    void close_tasks_of(std::uint64_t exception_id, const std::string& by, const std::string& why,
                        std::int64_t now_ms, const std::string& cause, desk_output& out);
    void index(const exception_record& e);
    void index(const task_record& t);
    // Whether a person resolved the stage-bound exception of the stay that began at `since_ms`.
    bool silenced(const std::string& order, exception_kind kind, std::int64_t since_ms) const;
    severity base_severity(const std::string& customer, const customer_book& customers) const;
    const stage_def* stage_named(const std::string& name) const;

    // One rule per exception kind for facts, in the order on_event calls them
    // (desk_rules.cpp).
    void rule_unknown_order(const fact& f);
    void rule_out_of_sequence(const fact& f);
    void rule_credit_hold(const fact& f);
    void rule_qc_failed(const fact& f);
    void rule_short_produced(const fact& f);
    void rule_delivery_failed(const fact& f);
    void rule_invoices(const fact& f);
    void rule_follow_ups(const fact& f);
    void rule_delivered_late(const fact& f);
    void rule_cases(const fact& f);
    void rule_cancelled(const fact& f);
    void rule_stage_change(const fact& f);
    void rule_new_promise(const fact& f);
    void rule_delivery_risk(const fact& f);
    // Resolves an open exception of a resolution::milestone kind once its milestone is proved.
    void settle_when_proved(exception_kind kind, const fact& f);

    // One handler per timer kind, and the scheduling (desk_timers.cpp).
    void on_stage_timer(const timer_entry& t, const customer_book& customers, std::int64_t now_ms,
                        std::vector<timer_entry>& later, desk_output& out);
    void on_promise_timer(const timer_entry& t, const customer_book& customers, std::int64_t now_ms,
                          desk_output& out);
    void on_case_timer(const timer_entry& t, const customer_book& customers, std::int64_t now_ms,
                       desk_output& out);
    void on_task_timer(const timer_entry& t, std::int64_t now_ms, desk_output& out);
    void on_invoice_timer(const timer_entry& t, const customer_book& customers, std::int64_t now_ms,
                          desk_output& out);
    void schedule_invoice(const order& o, std::uint32_t index, int step);
    // Whether invoice `inv` of `o` bills what was delivered (within the amount tolerance);
    // `detail` says how far apart they are when not.
    bool invoice_matches(const order& o, const invoice& inv, std::string& detail) const;
    void open_stage_tasks(const exception_record& e, const order& o, const stage_def& s,
                          std::int64_t now_ms, desk_output& out);
    void schedule_stage(const order& o, int step);
    // The stage clock's next step for the order's current stay (after its open exception's).
    int next_stage_step(const order& o, const stage_def& s);
    void schedule_promise(const order& o, std::int64_t promised_day_start_ms);
    void schedule_case(const order& o, std::uint32_t index);
    void schedule_task(const task_record& t);
    void schedule_order(const order& o);
    std::int64_t stage_deadline(const order& o, const stage_def& s) const;

    flow_def flow_;
    std::map<std::uint64_t, exception_record> exceptions_;  // by id
    std::map<std::uint64_t, task_record> tasks_;            // by id
    // Open (or acknowledged) exceptions by order + kind + scope: one at a time.
    std::unordered_map<std::string, std::uint64_t> open_by_key_;
    std::string key_buf_;  // find_open's key, its capacity kept
    // Every record of an order (not of feed_gap, which has none).
    std::unordered_map<std::string, order_records> by_order_;
    // Whether the order asked last has records: the rules ask for one order many times per
    // event, and most orders have none (has_records). Reset whenever by_order_ changes.
    struct records_probe {
        bool valid = false;
        std::string order;
        bool has = false;
    } probe_;
    // The tasks each exception opened, ids ascending.
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> tasks_by_exception_;
    std::size_t open_tasks_ = 0;  // open or escalated
    // order + kind -> stage entry time: a person resolved that stay's exception; keep quiet.
    std::unordered_map<std::string, std::int64_t> silenced_;
    std::uint64_t next_exception_id_ = 1;
    std::uint64_t next_task_id_ = 1;
    timer_queue timers_;
};

}  // namespace baton
