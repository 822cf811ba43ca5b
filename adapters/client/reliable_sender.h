// Sends events to batond's ingest socket reliably (PROTOCOL.md "ingest"): each event goes to
// the outbox first, is sent over a DEALER, resent with the same id after a timeout, and leaves
// the outbox only on ack (or on a nack: an unchanged resend would get the same nack). Shared by
// every adapter.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "envelope.h"
#include "ingest_client.h"
#include "outbox.h"

namespace zmq {
class context_t;
}

namespace baton::adapters {

struct sender_options {
    std::string endpoint = "tcp://127.0.0.1:7710";  // batond's ingest socket
    std::string outbox_path;                        // required: the outbox file
    std::chrono::milliseconds resend_after{5000};   // no reply this long: send again
    std::size_t max_in_flight = 1000;               // sent but not yet answered
    std::optional<curve_client_keys> curve;         // when batond runs with security.curve
};

class reliable_sender {
public:
    reliable_sender(zmq::context_t& context, sender_options options);
    ~reliable_sender();
    reliable_sender(const reliable_sender&) = delete;
    reliable_sender& operator=(const reliable_sender&) = delete;

    // Writes the event to the outbox (durable on return) and sends it when the window allows.
    // Throws std::invalid_argument for an id batond could not name in its reply (empty or over
    // 64 bytes), std::runtime_error when the outbox cannot be written.
    void submit(const envelope& e);
    void submit_all(const std::vector<envelope>& events);  // one outbox transaction

    // Sends what the window allows, resends what timed out, reads replies for up to `wait`.
    void poll(std::chrono::milliseconds wait);
    // Polls until `id` is answered; nullopt on timeout (it stays in the outbox).
    std::optional<ingest_reply> wait_for(const std::string& id, std::chrono::milliseconds timeout);
    // Polls until the outbox is empty; false on timeout.
    bool flush(std::chrono::milliseconds timeout);

    std::size_t pending() const;  // events in the outbox
    // Called once per answer (after the outbox forgot the event).
    void on_reply(std::function<void(const ingest_reply&)> fn) { on_reply_ = std::move(fn); }

private:
    struct in_flight {
        std::chrono::steady_clock::time_point sent;  // last (re)send
        std::int64_t seq = 0;                        // outbox position: resends keep the order
        std::string topic;
        std::string envelope;  // the outbox bytes, resent unchanged
    };
    void send_pending();
    bool transmit(const std::string& topic, const std::string& envelope_bytes);
    void handle_replies(std::vector<ingest_reply>& replies);
    std::chrono::steady_clock::time_point next_resend() const;

    sender_options options_;
    outbox outbox_;
    std::unique_ptr<ingest_client> client_;
    std::unordered_map<std::string, in_flight> in_flight_;
    std::unordered_map<std::string, ingest_reply> answered_;  // for wait_for
    std::deque<std::string> answered_order_;                  // oldest first, bounds answered_
    std::int64_t loaded_seq_ = 0;  // outbox seq up to which every event is in flight or gone
    bool blocked_ = false;         // the socket refused a send (batond not connected)
    std::function<void(const ingest_reply&)> on_reply_;
};

}  // namespace baton::adapters
