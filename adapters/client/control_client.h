// The client side of the control socket (PROTOCOL.md "control"): one MessagePack map out, one
// back. Used by batonctl, the adapters and the tests.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "curve.h"
#include "value.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace baton::adapters {

class control_client {
public:
    control_client(zmq::context_t& context, const std::string& endpoint);
    // The same over CURVE, for a batond with security.curve on.
    control_client(zmq::context_t& context, const std::string& endpoint,
                   const curve_client_keys& curve);
    ~control_client();
    control_client(const control_client&) = delete;
    control_client& operator=(const control_client&) = delete;

    // Sends `request` and returns the reply, or nullopt when none came within `timeout` (the
    // socket is then reset so the next call starts clean). `error` gets why.
    std::optional<value> call(const value& request, std::chrono::milliseconds timeout,
                              std::string* error = nullptr);

private:
    void open();

    zmq::context_t& context_;
    std::string endpoint_;
    std::optional<curve_client_keys> curve_;
    std::unique_ptr<zmq::socket_t> socket_;
};

}  // namespace baton::adapters
