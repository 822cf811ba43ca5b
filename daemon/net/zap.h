// The ZAP handler (ZeroMQ RFC 27) of batond: libzmq asks it, for every CURVE handshake on the
// ingest, relay and control sockets, whether the client's public key may connect; it answers
// from the access policy and names the client (the User-Id the loop reads off each message).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "security.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace baton {

// libzmq sends its authentication requests to this endpoint of the socket's own context.
inline constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";

// Runs on its own thread, so a handshake is never kept waiting behind a commit of the loop; it
// touches no loop state, only an immutable access_policy snapshot (swapped whole, under a
// mutex, by set_policy when the loop reloads) and its own atomic counters. Construct it BEFORE any
// server socket binds: with ZMQ_ZAP_ENFORCE_DOMAIN a CURVE handshake without a handler fails, and
// without enforcement it would let anyone in.
class zap_handler {
public:
    // Binds the ZAP endpoint on `context` (throws zmq::error_t when another handler holds it),
    // sets up a monitor on each of `watched` (name, server socket; called from the thread that
    // owns those sockets) to count handshakes that fail before ZAP is asked, and starts.
    zap_handler(zmq::context_t& context, std::shared_ptr<const access_policy> policy,
                const std::vector<std::pair<std::string, zmq::socket_t*>>& watched);
    // Stops the thread and the monitors and unbinds the endpoint, so a new handler may bind it
    // at once. Destroy it before the watched sockets.
    ~zap_handler();
    zap_handler(const zap_handler&) = delete;
    zap_handler& operator=(const zap_handler&) = delete;

    // Handshakes from now on are judged by `policy` (a reload changed the client list).
    void set_policy(std::shared_ptr<const access_policy> policy);

    std::uint64_t accepted() const { return accepted_.load(); }  // handshakes answered 200
    std::uint64_t refused() const { return refused_.load(); }    // ... answered 400 (or 500)
    // Handshakes libzmq broke off before asking ZAP: a client without CURVE, a client that
    // does not know the server's public key, garbage on the port.
    std::uint64_t handshakes_failed() const { return failed_.load(); }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> refused_{0};
    std::atomic<std::uint64_t> failed_{0};
};

// Makes a socket (before it binds) a CURVE server with the configured secret key, in the ZAP
// domain "baton" with domain enforcement, so no handshake completes without the handler's 200.
void apply_curve_server(zmq::socket_t& socket, const security_config& security);

}  // namespace baton
