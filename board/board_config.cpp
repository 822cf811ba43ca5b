// Parsing and cross-checking baton-board's YAML file.
#include "board_config.h"

#include <filesystem>

#include "config_parts.h"
#include "curve_keys.h"
#include "endpoint.h"
#include "paths.h"
#include "yaml_util.h"

namespace baton::board {

namespace {

using adapters::webhook::positive_ms;
using adapters::webhook::zmq_endpoint;

std::size_t bounded(const yaml::node& n, const char* key, std::size_t fallback, std::int64_t lo,
                    std::int64_t hi) {
    const std::int64_t v = n.get_int(key, static_cast<std::int64_t>(fallback));
    if (v < lo || v > hi)
        n.child(key).fail("expected " + std::to_string(lo) + " to " + std::to_string(hi) +
                          ", got " + std::to_string(v));
    return static_cast<std::size_t>(v);
}

}  // namespace

board_config load_board_config(const std::string& path) {
    namespace fs = std::filesystem;
    board_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"http", "tls", "trusted_proxies", "batond", "curve", "users", "state",
                      "sessions", "login", "time_zone", "currency", "page_size", "chart_js",
                      "log_level"});

    if (root.has("http")) {
        auto http = root.child("http");
        http.expect_keys({"host", "port", "threads", "max_live_pages", "max_body_bytes"});
        c.host = http.get_string("host", c.host);
        if (c.host.empty()) http.child("host").fail("must not be empty");
        c.port =
            static_cast<int>(bounded(http, "port", static_cast<std::size_t>(c.port), 0, 65535));
        c.threads = bounded(http, "threads", c.threads, 8, 4096);
        // By default seven in eight threads may serve live pages; the rest serve pages.
        c.max_live_pages = bounded(http, "max_live_pages", c.threads - c.threads / 8, 0, 4096);
        if (c.max_live_pages + 4 > c.threads)
            http.child("max_live_pages")
                .fail("must leave at least 4 of the " + std::to_string(c.threads) +
                      " threads for pages (at most " + std::to_string(c.threads - 4) + ")");
        c.max_body_bytes = bounded(http, "max_body_bytes", c.max_body_bytes, 1024, 16 << 20);
    }
    c.tls = adapters::webhook::parse_tls(root, base);
    if (root.has("trusted_proxies")) {
        auto list = root.child("trusted_proxies");
        list.expect_list();
        for (std::size_t i = 0; i < list.size(); ++i) {
            std::string a = list.item(i).as_string();
            if (a.empty() || a.find_first_of(" /,") != std::string::npos)
                list.item(i).fail("expected one IP address as the proxy connects from, got '" + a +
                                  "'");
            c.trusted_proxies.push_back(a);
        }
    }
    if (root.has("batond")) {
        auto bd = root.child("batond");
        bd.expect_keys({"control", "relay", "timeout"});
        c.control = zmq_endpoint(bd, "control", c.control);
        c.relay = zmq_endpoint(bd, "relay", c.relay);
        c.batond_timeout = positive_ms(bd, "timeout", c.batond_timeout);
    }
    c.curve = adapters::parse_curve_section(root, base);
    c.users = resolve_path(base, root.require_string("users"));
    c.state = resolve_path(base, root.require_string("state"));
    if (root.has("sessions")) {
        auto s = root.child("sessions");
        s.expect_keys({"idle", "max"});
        c.session_idle_ms =
            positive_ms(s, "idle", std::chrono::milliseconds(c.session_idle_ms)).count();
        c.session_max_ms =
            positive_ms(s, "max", std::chrono::milliseconds(c.session_max_ms)).count();
        if (c.session_max_ms < c.session_idle_ms)
            s.child("max").fail("must not be shorter than sessions.idle");
    }
    if (root.has("login")) {
        auto l = root.child("login");
        l.expect_keys({"max_failures", "window"});
        c.login_max_failures = static_cast<int>(bounded(l, "max_failures", 5, 1, 1000));
        c.login_window_ms =
            positive_ms(l, "window", std::chrono::milliseconds(c.login_window_ms)).count();
    }
    c.time_zone = root.get_string("time_zone", c.time_zone);
    if (!c.time_zone.empty()) {
        std::error_code ec;
        if (c.time_zone.find("..") != std::string::npos ||
            !fs::is_regular_file(fs::path("/usr/share/zoneinfo") / c.time_zone, ec))
            root.child("time_zone")
                .fail("'" + c.time_zone +
                      "' is not a time zone of /usr/share/zoneinfo (e.g. Asia/Shanghai)");
    }
    c.currency = root.get_string("currency", c.currency);
    if (c.currency.empty() || c.currency.size() > 8)
        root.child("currency").fail("expected a currency code like CNY (1-8 bytes)");
    c.page_size = bounded(root, "page_size", c.page_size, 5, 1000);
    c.chart_js = resolve_path(base, root.get_string("chart_js", c.chart_js));
    c.log_level = root.get_string("log_level", c.log_level);
    adapters::webhook::check_log_level(root, c.log_level);
    return c;
}

}  // namespace baton::board
