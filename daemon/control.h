// The control socket's commands (PROTOCOL.md "control"): a request map in, a reply map out.
// The handler is pure; the loop supplies the answers through control_context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "exceptions.h"
#include "value.h"

namespace baton {

struct orders_query {
    std::string stage;     // "" for any
    std::string holder;    // department, "" for any
    std::string customer;  // "" for any
    std::size_t limit = 100;
};

inline constexpr std::size_t max_replay = 10000;  // messages in one replay reply

class control_context {
public:
    virtual ~control_context() = default;
    virtual value status() = 0;                                        // `status` result keys
    virtual std::optional<value> order(const std::string& id) = 0;     // `order` map, or nullopt
    virtual value orders(const orders_query& q) = 0;                   // {orders: [...], total}
    virtual value replay(std::uint64_t since, std::size_t limit) = 0;  // {messages: [...]}
    virtual value exceptions(const exception_filter& f) = 0;           // {exceptions: [...]}
    virtual value tasks(const task_filter& f) = 0;                     // {tasks: [...]}
    // A person acts (ack, resolve, task_done); "" when done, else why it was refused. The
    // change is durable before this returns.
    virtual std::string act(const std::string& cmd, std::uint64_t id, const std::string& by,
                            const std::string& note) = 0;
    virtual value kpi(std::int64_t since_ms, std::int64_t until_ms) = 0;
};

// Handles one decoded request. Never throws for bad input: it becomes ok=false with an error.
value handle_control(const value& request, control_context& ctx);

// The reply for a request that could not be decoded.
value control_error(const std::string& error);

}  // namespace baton
