// Parsing and cross-checking baton-http-out's YAML file.
#include "http_out_config.h"

#include <spdlog/common.h>

#include <filesystem>
#include <set>

#include "config_parts.h"
#include "curve_keys.h"
#include "endpoint.h"
#include "paths.h"
#include "yaml_util.h"

namespace baton::adapters::webhook {

namespace {

bool valid_header_text(const std::string& s) {
    for (char c : s)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

route read_route(const yaml::node& n) {
    n.expect_keys({"prefix", "url", "headers"});
    route r;
    if (!n.has("prefix")) n.child("prefix").fail("required key is missing (\"\" for every topic)");
    r.prefix = n.child("prefix").as_string();
    r.url = n.require_string("url");
    std::string error;
    if (!parse_url(r.url, r.target, error)) n.child("url").fail(error);
    if (n.has("headers")) {
        auto headers = n.child("headers");
        for (const auto& name : headers.keys()) {
            std::string v = headers.child(name.c_str()).as_string();
            if (name.empty() || !valid_header_text(name) || !valid_header_text(v) ||
                name.find(':') != std::string::npos || name.find(' ') != std::string::npos)
                headers.child(name.c_str()).fail("not a valid HTTP header");
            r.headers.emplace_back(name, v);
        }
    }
    return r;
}

}  // namespace

http_out_config load_http_out_config(const std::string& path) {
    namespace fs = std::filesystem;
    http_out_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys(
        {"batond", "state", "routes", "retry", "request_timeout", "log_level", "curve"});

    if (root.has("batond")) {
        auto bd = root.child("batond");
        bd.expect_keys({"relay", "control"});
        c.relay = zmq_endpoint(bd, "relay", c.relay);
        c.control = zmq_endpoint(bd, "control", c.control);
    }
    c.state = resolve_path(base, root.require_string("state"));

    if (!root.has("routes")) root.child("routes").fail("required key is missing");
    auto list = root.child("routes");
    list.expect_list();
    if (list.size() == 0) list.fail("needs at least one route");
    std::vector<route> routes;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        routes.push_back(read_route(list.item(i)));
        if (!seen.insert(routes.back().prefix).second)
            list.item(i).child("prefix").fail("prefix '" + routes.back().prefix +
                                              "' appears twice");
    }
    c.routes = route_table(std::move(routes));

    if (root.has("retry")) {
        auto retry = root.child("retry");
        retry.expect_keys({"initial", "max"});
        c.retry.initial = positive_ms(retry, "initial", c.retry.initial);
        c.retry.max = positive_ms(retry, "max", c.retry.max);
        if (c.retry.max < c.retry.initial)
            retry.child("max").fail("must not be shorter than retry.initial");
    }
    c.request_timeout = positive_ms(root, "request_timeout", c.request_timeout);
    c.log_level = root.get_string("log_level", c.log_level);
    check_log_level(root, c.log_level);
    c.curve = parse_curve_section(root, base);
    return c;
}

}  // namespace baton::adapters::webhook
