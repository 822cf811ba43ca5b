// URL splitting and longest-prefix routing for baton-http-out. A handful of routes per adapter:
// a linear scan is clearer than a trie and fast enough.
#include "route_table.h"

namespace baton::adapters::webhook {

bool parse_url(const std::string& url, http_target& out, std::string& error) {
    std::string rest;
    std::string scheme;
    if (url.rfind("http://", 0) == 0) {
        scheme = "http://";
    } else if (url.rfind("https://", 0) == 0) {
        scheme = "https://";
    } else {
        error = "'" + url + "' is not an http:// or https:// URL";
        return false;
    }
    rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    if (authority.empty()) {
        error = "'" + url + "' names no host";
        return false;
    }
    if (authority.find('@') != std::string::npos) {
        error = "'" + url + "': user info in URLs is not supported; use a header";
        return false;
    }
    if (path.find('#') != std::string::npos) {
        error = "'" + url + "': fragments are not supported";
        return false;
    }
    for (char c : url)
        if (static_cast<unsigned char>(c) <= ' ') {
            error = "'" + url + "' holds a space or control character";
            return false;
        }
    // The port, when given, must be a number 1-65535 (IPv6 literals keep their brackets).
    auto bracket = authority.rfind(']');
    auto colon = authority.rfind(':');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
        std::string port = authority.substr(colon + 1);
        bool digits = !port.empty() && port.size() <= 5 &&
                      port.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
            error = "'" + url + "': bad port '" + port + "'";
            return false;
        }
        if (colon == 0) {
            error = "'" + url + "' names no host";
            return false;
        }
    }
    out.scheme_host_port = scheme + authority;
    out.path = path;
    return true;
}

const route* route_table::match(const std::string& topic) const {
    const route* best = nullptr;
    for (const auto& r : routes_)
        if (topic.compare(0, r.prefix.size(), r.prefix) == 0 &&
            (!best || r.prefix.size() > best->prefix.size()))
            best = &r;
    return best;
}

std::vector<std::string> route_table::prefixes() const {
    std::vector<std::string> out;
    for (const auto& r : routes_) out.push_back(r.prefix);
    return out;
}

}  // namespace baton::adapters::webhook
