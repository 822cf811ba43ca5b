// The metrics listener: a small HTTP server (cpp-httplib) on its own threads, serving
// /metrics (Prometheus text), /healthz and /readyz from what the loop publishes on the
// metrics_board. It starts before the state loads, so a probe hears "loading state" meanwhile.
// No authentication: it shows counts and health, no order data; keep it on loopback or behind a
// firewall.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

namespace baton {

struct metrics_config;
class metrics_board;

// The listener could not start (its address is in use, or not an address of this machine).
struct metrics_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class metrics_server {
public:
    // Binds cfg.host:cfg.port (SO_REUSEADDR only, so a second batond cannot share the port) and
    // starts serving; throws metrics_error naming the address when it cannot bind.
    metrics_server(const metrics_config& cfg, metrics_board& board);
    // Stops serving and joins its threads.
    ~metrics_server();
    metrics_server(const metrics_server&) = delete;
    metrics_server& operator=(const metrics_server&) = delete;

    int port() const;              // the bound port (a configured 0 gets its real one)
    std::string endpoint() const;  // host:port as bound, e.g. 127.0.0.1:7790 or [::1]:7790

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// "host:port", with brackets around an IPv6 host.
std::string host_port(const std::string& host, int port);

}  // namespace baton
