// ZeroMQ endpoint checks shared by batond and the clients' config parsers.
#pragma once

#include <string>

namespace baton {

// True for tcp://…, ipc://… and (when `allow_inproc`) inproc://… with something after the scheme.
bool is_zmq_endpoint(const std::string& endpoint, bool allow_inproc = true);

// True for 127.0.0.0/8, ::1 (also written ::ffff:127.x.y.z or in brackets) and "localhost":
// addresses other machines cannot reach. Anything else (0.0.0.0, ::, a host name) may be.
bool is_loopback_host(const std::string& host);

// True for ipc:// and inproc:// endpoints and tcp:// endpoints whose host is in 127.0.0.0/8,
// ::1 or localhost: nothing off this machine can reach them.
bool is_loopback_endpoint(const std::string& endpoint);

// Why a socket cannot bind `endpoint`, or "" when it can. ZeroMQ looks no host name up when it
// binds (tcp://localhost:7710 fails with "No such device"), so the host of a tcp:// endpoint
// must be `*`, an IPv4 or IPv6 address, or the name of a network interface of this machine.
// Other schemes are not checked here.
std::string bind_endpoint_problem(const std::string& endpoint);

}  // namespace baton
