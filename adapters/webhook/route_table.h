// Where baton-http-out sends each relayed message: a table of topic prefix -> URL in which the
// longest matching prefix wins, so "finance.invoice_request" can go elsewhere than "finance.".
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace baton::adapters::webhook {

struct http_target {
    std::string scheme_host_port;  // "http://erp.plant.local:8080": what httplib::Client takes
    std::string path;              // "/baton/relay"; "/" when the URL names none
};

// Splits an http:// or https:// URL (no user info, no fragment). False with `error` otherwise.
bool parse_url(const std::string& url, http_target& out, std::string& error);

struct route {
    std::string prefix;  // topic prefix, e.g. "finance."; "" matches every topic
    std::string url;
    http_target target;
    std::vector<std::pair<std::string, std::string>> headers;  // sent with every POST
};

class route_table {
public:
    route_table() = default;
    explicit route_table(std::vector<route> routes) : routes_(std::move(routes)) {}

    // The route with the longest prefix of `topic`, or null when none matches.
    const route* match(const std::string& topic) const;
    // Every prefix, for the relay subscription.
    std::vector<std::string> prefixes() const;
    const std::vector<route>& routes() const { return routes_; }

private:
    std::vector<route> routes_;
};

}  // namespace baton::adapters::webhook
