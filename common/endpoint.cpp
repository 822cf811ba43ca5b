// ZeroMQ endpoint checks shared by batond and the clients.
#include "endpoint.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cctype>
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

bool is_loopback_host(const std::string& host) {
    std::string h = host;
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    std::string lower = h;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "localhost") return true;
    in_addr v4{};
    if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, h.c_str(), &v6) != 1) return false;  // a name: may be anywhere
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool is_loopback_endpoint(const std::string& endpoint) {
    if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
    if (endpoint.rfind("tcp://", 0) != 0) return false;
    const std::string address = endpoint.substr(6);
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    return is_loopback_host(address.substr(0, colon));  // "*", an interface, a name: maybe not
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
