// The control socket's commands (docs/protocol.md "control"): one table, each command with its
// arguments, the right a client needs for it and its handler. A request map in, a reply map
// out; the handlers are pure and get their answers through control_context. The rights check
// (security.h) and the fuzz harness read the same table, so a new command cannot be open to
// read-only clients by forgetting a second list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exceptions.h"
#include "kpi.h"
#include "security.h"
#include "value.h"

namespace baton {

struct orders_query {
    std::string stage;        // "" for any
    std::string holder;       // department, "" for any
    std::string customer;     // "" for any
    std::string salesperson;  // "" for any
    std::string customer_po;  // the customer's purchase order number; "" for any
    // Placed (first seen, for an order not placed) in [since_ms, until_ms), ms since epoch.
    std::int64_t since_ms = 0;
    std::int64_t until_ms = std::numeric_limits<std::int64_t>::max();
    std::size_t limit = 100;
};

// `exceptions`: the desk's filter, and what the control views filter on besides.
struct exceptions_query {
    exception_filter filter;  // state, kind, dept, order, assignee, limit
    std::string customer;     // "" for any
    std::string severity;     // "" for any; else warning, low, medium, high or critical
    std::string salesperson;  // of the exception's order; "" for any
    // Raised in [since_ms, until_ms), ms since epoch.
    std::int64_t since_ms = 0;
    std::int64_t until_ms = std::numeric_limits<std::int64_t>::max();
    std::size_t offset = 0;  // matches skipped before the first returned (paging)
};

// `customers`: which rows (every filter absent: all of them).
struct customers_query {
    std::string tier;                // "" for any
    std::optional<bool> blocked;     // blocked, or not
    std::optional<bool> overdue;     // something overdue (finance's figure or batond's invoices)
    std::optional<bool> over_limit;  // the exposure passes a credit limit that is set
    std::size_t limit = 1000;
};

inline constexpr std::size_t max_replay = 10000;  // messages in one replay reply

// What a person does to an exception or a task, as the control commands name it.
enum class desk_action { ack, resolve, task_done, assign, assign_task };
// "ack", "resolve", "task_done", "assign" (both assigns: the id's prefix tells which)
const char* desk_action_name(desk_action a);

class control_context {
public:
    virtual ~control_context() = default;
    virtual value status() = 0;                                        // `status` result keys
    virtual std::optional<value> order(const std::string& id) = 0;     // `order` map, or nullopt
    virtual value orders(const orders_query& q) = 0;                   // {orders: [...], total}
    virtual value replay(std::uint64_t since, std::size_t limit) = 0;  // {messages: [...]}
    virtual value exceptions(const exceptions_query& q) = 0;           // {exceptions: [...]}
    virtual value tasks(const task_filter& f) = 0;                     // {tasks: [...]}
    // A person acts; "" when done, else why it was refused. The change is durable before this
    // returns.
    // `to`: assign's person ("" for the other actions, or to give it back to its department).
    virtual std::string act(desk_action action, std::uint64_t id, const std::string& by,
                            const std::string& note, const std::string& to) = 0;
    // The KPI report; the context sets the query's now_ms.
    virtual value kpi(const kpi_query& q) = 0;
    // The `customer` map, or nullopt when the customer is not known.
    virtual std::optional<value> customer(const std::string& id) = 0;
    virtual value customers(const customers_query& q) = 0;  // {customers: [...], total}
    // Re-reads the config files, all or nothing; "" when applied, else why nothing changed.
    virtual std::string reload() = 0;
};

// One control command.
struct control_command {
    const char* name;
    std::vector<const char*> arguments;  // every key a request may carry besides `cmd`
    control_right right;                 // what a CURVE client needs to run it
    value (*handler)(const value& request, control_context& ctx);
};

// Every control command, in the order docs/protocol.md lists them.
const std::vector<control_command>& control_commands();
// The command named `name`, or null.
const control_command* find_control_command(std::string_view name);
// The right a request for `name` needs: its command's; read for an unknown name (which is
// then answered "unknown command").
control_right right_needed(std::string_view name);

// Handles one decoded request. Never throws for bad input: it becomes ok=false with an error.
value handle_control(const value& request, control_context& ctx);

// The reply for a request that could not be decoded.
value control_error(const std::string& error);

}  // namespace baton
