// Exceptions and coordination tasks: what a customer-service lead must see and who must act.
// The exception desk watches every order change and the clock, raises one exception per
// (order, kind) while it is open, resolves it itself when its cause goes away, escalates with
// time and customer tier, and opens tasks for the departments that must answer. Pure: time
// comes in as numbers, changes go out as events for the store, the feed and the relay.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "customers.h"
#include "envelope.h"
#include "flow.h"
#include "order_engine.h"
#include "record_id.h"
#include "timers.h"

namespace baton {

enum class severity : int { warning = 0, low = 1, medium = 2, high = 3, critical = 4 };
const char* severity_name(severity s);
std::optional<severity> severity_from(const std::string& name);

struct exception_record {
    std::uint64_t id = 0;
    std::string kind;
    std::string order;  // "" for feed_gap
    std::string customer;
    std::string dept;  // the department that owns it
    severity level = severity::low;
    std::string state;                    // open, acknowledged or resolved
    std::string detail;                   // one line a person understands
    std::string stage;                    // stage-bound kinds: the stage it watches
    std::int64_t since_ms = 0;            // stage-bound kinds: when the order entered that stage
    std::string scope;                    // feed_gap: the source; cases: the case id
    std::vector<std::string> resolve_on;  // milestones whose arrival removes the cause
    int step = 0;  // timer steps taken: 0 warning, 1 overdue, 2.. escalations
    std::int64_t raised_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t resolved_ms = 0;
    std::string by;  // who acknowledged or resolved it ("baton" when it resolved itself)
    std::string note;
};

struct task_record {
    std::uint64_t id = 0;
    std::string dept;
    std::string order;
    std::string action;  // "finance: review credit hold on SO-123"
    std::string state;   // open, escalated or done
    std::uint64_t exception_id = 0;
    std::int64_t opened_ms = 0;
    std::int64_t due_ms = 0;
    std::int64_t closed_ms = 0;
    std::string by;
    std::string note;
};

value to_value(const exception_record& e);
exception_record exception_from_value(const value& v);
value to_value(const task_record& t);
task_record task_from_value(const value& v);

// One change, as the store, the feed and the relay see it.
struct exception_event {
    std::string state;  // raised, acknowledged, escalated, resolved; "updated": stored only
    exception_record record;
    std::string cause;  // id of the event that caused it ("" for time and people)
};
struct task_event {
    std::string state;  // opened, escalated or done
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
    std::size_t limit = 1000;
};
struct task_filter {
    std::string state = "open";  // open (open + escalated), escalated, done, all
    std::string dept, order;
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

    std::vector<const exception_record*> exceptions(const exception_filter& f) const;
    std::vector<const task_record*> tasks(const task_filter& f) const;
    std::vector<const exception_record*> exceptions_of(const std::string& order) const;
    std::vector<const task_record*> tasks_of(const std::string& order) const;
    const std::map<std::uint64_t, exception_record>& all_exceptions() const { return exceptions_; }
    std::size_t open_exceptions() const;
    std::size_t open_tasks() const;

    // Start-up: stored records back, then timers for every open order, case and task.
    void restore(std::vector<exception_record> exceptions, std::vector<task_record> tasks,
                 const order_engine& engine, std::int64_t now_ms);
    // New flow (reload): every stage, promise and case timer is scheduled again with its SLAs;
    // open exceptions and tasks stay as they are.
    void set_flow(const flow_def& flow, const order_engine& engine, std::int64_t now_ms);

private:
    struct open_key_hash;
    exception_record* find_open(const std::string& order, const std::string& kind,
                                const std::string& scope = "");
    exception_record& raise(const std::string& kind, const order* o, const std::string& customer,
                            const std::string& dept, severity level, const std::string& detail,
                            std::int64_t now_ms, const std::string& cause, desk_output& out);
    void resolve_record(exception_record& e, const std::string& by, const std::string& why,
                        std::int64_t now_ms, const std::string& cause, desk_output& out);
    void escalate(exception_record& e, severity level, const std::string& detail,
                  std::int64_t now_ms, desk_output& out);
    void open_task(const exception_record& e, const std::string& dept, const std::string& action,
                   std::int64_t now_ms, const std::string& cause, desk_output& out);
    void close_tasks_of(std::uint64_t exception_id, const std::string& by, const std::string& why,
                        std::int64_t now_ms, const std::string& cause, desk_output& out);
    void schedule_stage(const order& o, int step);
    void schedule_order(const order& o, std::int64_t now_ms);
    void check_delivery_risk(const order& o, const customer_book& customers, std::int64_t now_ms,
                             const std::string& cause, desk_output& out);
    severity base_severity(const std::string& customer, const customer_book& customers) const;
    std::int64_t stage_deadline(const order& o, const stage_def& s) const;
    const stage_def* stage_named(const std::string& name) const;

    flow_def flow_;
    std::map<std::uint64_t, exception_record> exceptions_;  // by id
    std::map<std::uint64_t, task_record> tasks_;            // by id
    // Open (or acknowledged) exceptions by order + kind + scope: one at a time.
    std::unordered_map<std::string, std::uint64_t> open_by_key_;
    // order + kind -> stage entry time: a person resolved that stay's exception; keep quiet.
    std::unordered_map<std::string, std::int64_t> silenced_;
    std::uint64_t next_exception_id_ = 1;
    std::uint64_t next_task_id_ = 1;
    timer_queue timers_;
};

}  // namespace baton
