// The client side of the ingest socket (PROTOCOL.md "ingest"): build an envelope, send it on a
// DEALER, and read the acks and nacks that come back. Shared by the adapters, the benchmark and
// the tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "curve.h"
#include "envelope.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace baton::adapters {

struct ingest_reply {
    bool acked = false;
    std::string id;
    std::string reason;  // for a nack: "schema: data.qty: ..."
};

class ingest_client {
public:
    ingest_client(zmq::context_t& context, const std::string& endpoint);
    // The same over CURVE, for a batond with security.curve on.
    ingest_client(zmq::context_t& context, const std::string& endpoint,
                  const curve_client_keys& curve);
    ~ingest_client();
    ingest_client(const ingest_client&) = delete;
    ingest_client& operator=(const ingest_client&) = delete;

    // Queues one event; many may be in flight.
    void send(const std::string& topic, const std::string& envelope_bytes);
    void send(const envelope& e) { send(e.topic, encode_envelope(e)); }

    // The next ack or nack, or nullopt after `timeout`. A reply that is not an ack or nack is
    // returned as a nack with reason "client: malformed reply".
    std::optional<ingest_reply> receive(std::chrono::milliseconds timeout);

    // Sends and waits for the reply to this event's id (other replies are dropped).
    std::optional<ingest_reply> send_and_wait(const envelope& e, std::chrono::milliseconds timeout);

    zmq::socket_t& socket() { return *socket_; }

private:
    ingest_client(zmq::context_t& context, const std::string& endpoint,
                  const curve_client_keys* curve);

    std::unique_ptr<zmq::socket_t> socket_;
};

}  // namespace baton::adapters
