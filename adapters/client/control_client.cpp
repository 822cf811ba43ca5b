// A DEALER with an empty delimiter frame, so a lost reply never wedges the socket as REQ would.
#include "control_client.h"

#include <array>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "codec.h"

namespace baton::adapters {

control_client::control_client(zmq::context_t& context, const std::string& endpoint)
    : context_(context), endpoint_(endpoint) {
    open();
}

control_client::control_client(zmq::context_t& context, const std::string& endpoint,
                               const curve_client_keys& curve)
    : context_(context), endpoint_(endpoint), curve_(curve) {
    open();
}

control_client::~control_client() = default;

void control_client::open() {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    if (curve_) apply_curve_client(*socket_, *curve_);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->connect(endpoint_);
}

std::optional<value> control_client::call(const value& request, std::chrono::milliseconds timeout,
                                          std::string* error) {
    std::string body = encode_msgpack(request);
    std::array<zmq::const_buffer, 2> msg = {zmq::const_buffer(),
                                            zmq::buffer(body.data(), body.size())};
    zmq::send_multipart(*socket_, msg);
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) {
        if (error)
            *error = "no reply from " + endpoint_ + " within " + std::to_string(timeout.count()) +
                     (curve_ ? " ms (is batond running, and does it know this CURVE key?)"
                             : " ms (is batond running?)");
        open();
        return std::nullopt;
    }
    std::vector<zmq::message_t> frames;
    (void)zmq::recv_multipart(*socket_, std::back_inserter(frames));
    if (frames.size() != 2 || frames[0].size() != 0) {
        if (error) *error = "malformed reply from " + endpoint_;
        return std::nullopt;
    }
    value reply;
    std::string decode_error;
    decode_limits limits;
    limits.max_array = 1 << 20;  // replies (replay, orders) may be long; the daemon is trusted
    limits.max_map = 1 << 16;
    limits.max_string = 1 << 24;
    limits.max_depth = 32;
    if (!decode_msgpack(frames[1].to_string_view(), limits, reply, decode_error)) {
        if (error) *error = "unreadable reply: " + decode_error;
        return std::nullopt;
    }
    return reply;
}

}  // namespace baton::adapters
