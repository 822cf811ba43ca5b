// The control socket's commands (PROTOCOL.md "control"): a request map in, a reply map out.
// The handler is pure; the loop supplies the answers through control_context.
#pragma once

#include <optional>
#include <string>

#include "value.h"

namespace baton {

class control_context {
public:
    virtual ~control_context() = default;
    virtual value status() = 0;                              // the `status` result keys
    virtual std::optional<value> order(const std::string& id) = 0;  // `order` map, or nullopt
};

// Handles one decoded request. Never throws for bad input: it becomes ok=false with an error.
value handle_control(const value& request, control_context& ctx);

// The reply for a request that could not be decoded.
value control_error(const std::string& error);

}  // namespace baton
