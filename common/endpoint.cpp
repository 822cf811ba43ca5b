// ZeroMQ endpoint checks shared by batond and the clients.
#include "endpoint.h"

#include <arpa/inet.h>

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

}  // namespace baton
