// DEALER side of the ingest protocol.
#include "ingest_client.h"

#include <array>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace baton::adapters {

ingest_client::ingest_client(zmq::context_t& context, const std::string& endpoint)
    : ingest_client(context, endpoint, nullptr) {}

ingest_client::ingest_client(zmq::context_t& context, const std::string& endpoint,
                             const curve_client_keys& curve)
    : ingest_client(context, endpoint, &curve) {}

ingest_client::ingest_client(zmq::context_t& context, const std::string& endpoint,
                             const curve_client_keys* curve)
    : socket_(new zmq::socket_t(context, zmq::socket_type::dealer)) {
    if (curve) apply_curve_client(*socket_, *curve);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::sndhwm, 100000);
    socket_->set(zmq::sockopt::rcvhwm, 100000);
    socket_->connect(endpoint);
}

ingest_client::~ingest_client() = default;

void ingest_client::send(const std::string& topic, const std::string& envelope_bytes) {
    std::array<zmq::const_buffer, 2> msg = {
        zmq::buffer(topic.data(), topic.size()),
        zmq::buffer(envelope_bytes.data(), envelope_bytes.size())};
    zmq::send_multipart(*socket_, msg);
}

std::optional<ingest_reply> ingest_client::receive(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(*socket_, std::back_inserter(frames), zmq::recv_flags::dontwait))
        return std::nullopt;
    ingest_reply r;
    if (frames.size() == 2 && frames[0].to_string_view() == "ack") {
        r.acked = true;
        r.id = frames[1].to_string();
    } else if (frames.size() == 3 && frames[0].to_string_view() == "nack") {
        r.id = frames[1].to_string();
        r.reason = frames[2].to_string();
    } else {
        r.reason = "client: malformed reply";
    }
    return r;
}

std::optional<ingest_reply> ingest_client::send_and_wait(const envelope& e,
                                                         std::chrono::milliseconds timeout) {
    send(e);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto r = receive(left);
        if (!r) return std::nullopt;
        if (r->id == e.id || r->id.empty()) return r;
    }
}

}  // namespace baton::adapters
