// ZeroMQ endpoint checks shared by batond and the clients.
#include "endpoint.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstring>
#include <string>

namespace baton {

bool is_zmq_endpoint(const std::string& endpoint, bool allow_inproc) {
    for (const char* scheme : {"tcp://", "ipc://", "inproc://"}) {
        if (!allow_inproc && std::strcmp(scheme, "inproc://") == 0) continue;
        if (endpoint.rfind(scheme, 0) == 0 && endpoint.size() > std::strlen(scheme)) return true;
    }
    return false;
}

bool is_loopback_endpoint(const std::string& endpoint) {
    if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
    if (endpoint.rfind("tcp://", 0) != 0) return false;
    std::string address = endpoint.substr(6);
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    std::string host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost") return true;
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        in6_addr loop = IN6ADDR_LOOPBACK_INIT;
        return std::memcmp(&v6, &loop, sizeof v6) == 0;
    }
    return false;  // "*", an interface name, a host name: may be reachable from elsewhere
}

std::string bind_endpoint_problem(const std::string& endpoint) {
    if (endpoint.rfind("tcp://", 0) != 0) return "";
    const std::string address = endpoint.substr(6);
    const auto colon = address.rfind(':');
    if (colon == std::string::npos)
        return "'" + endpoint + "': expected tcp://address:port, e.g. tcp://127.0.0.1:7710";
    const std::string host = address.substr(0, colon);
    const std::string port = address.substr(colon + 1);
    if (host.empty())
        return "'" + endpoint + "': no address to bind; use e.g. tcp://127.0.0.1:" + port;
    if (host == "*") return "";
    std::string literal = host;
    if (literal.size() >= 2 && literal.front() == '[' && literal.back() == ']')
        literal = literal.substr(1, literal.size() - 2);
    literal = literal.substr(0, literal.find('%'));  // an IPv6 zone: fe80::1%eth0
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, literal.c_str(), &v4) == 1 ||
        ::inet_pton(AF_INET6, literal.c_str(), &v6) == 1)
        return "";
    if (::if_nametoindex(host.c_str()) != 0) return "";  // an interface: tcp://eth0:7710
    return "'" + endpoint + "': batond binds to an address, not a host name; use " +
           (host == "localhost" ? "tcp://127.0.0.1:" + port
                                : "an address of this machine, * or an interface name, e.g. "
                                  "tcp://127.0.0.1:" +
                                      port);
}

}  // namespace baton
