// Parsing and cross-checking baton.yaml.
#include "config.h"

#include <arpa/inet.h>

#include <filesystem>

#include "endpoint.h"
#include "paths.h"
#include "yaml_util.h"

namespace baton {

namespace fs = std::filesystem;

namespace {

std::string endpoint(const yaml::node& bus, const char* key, const std::string& fallback) {
    std::string e = bus.get_string(key, fallback);
    if (!is_zmq_endpoint(e))
        bus.child(key).fail("'" + e + "' is not a ZeroMQ endpoint (tcp://host:port or ipc://path)");
    // batond binds these: a host name would pass here and fail at bind, in a restart loop.
    if (std::string problem = bind_endpoint_problem(e); !problem.empty())
        bus.child(key).fail(problem);
    return e;
}

std::size_t positive(const yaml::node& n, const char* key, std::size_t fallback) {
    std::int64_t v = n.get_int(key, static_cast<std::int64_t>(fallback));
    if (v <= 0) n.child(key).fail("must be a positive integer");
    return static_cast<std::size_t>(v);
}

// metrics.listen: "host:port" with an IP address, "[v6]:port" for IPv6; port 0 picks a free one.
void parse_listen(const yaml::node& n, metrics_config& m) {
    const std::string text = n.as_string();
    auto bad = [&](const std::string& why) {
        n.fail("'" + text + "': " + why + " (expected host:port with an IP address, e.g. " +
               "127.0.0.1:7790 or [::1]:7790)");
    };
    std::string host, port;
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            bad("an IPv6 address in brackets must be followed by :port");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        in6_addr a6{};
        if (inet_pton(AF_INET6, host.c_str(), &a6) != 1) bad("not an IPv6 address");
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) bad("no port");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) bad("write an IPv6 address in brackets");
        in_addr a4{};
        if (inet_pton(AF_INET, host.c_str(), &a4) != 1)
            bad(host.empty() ? "no host" : "'" + host + "' is not an IPv4 address");
    }
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos)
        bad("the port must be a number from 0 to 65535");
    const int p = std::stoi(port);
    if (p > 65535) bad("the port must be a number from 0 to 65535");
    m.host = host;
    m.port = p;
}

}  // namespace

config load_config(const std::string& path) {
    config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"data_dir", "schemas", "flow", "customers", "bus", "feed", "log", "batch",
                      "dedup", "limits", "snapshot", "retention", "storage", "security",
                      "metrics"});

    c.data_dir = resolve_path(base, root.require_string("data_dir"));
    c.schemas_dir = resolve_path(base, root.require_string("schemas"));
    c.flow_file = resolve_path(base, root.require_string("flow"));
    c.customers_file = resolve_path(base, root.require_string("customers"));

    if (root.has("bus")) {
        auto bus = root.child("bus");
        bus.expect_keys({"ingest", "relay", "control", "subscribe"});
        c.bus.ingest = endpoint(bus, "ingest", c.bus.ingest);
        c.bus.relay = endpoint(bus, "relay", c.bus.relay);
        c.bus.control = endpoint(bus, "control", c.bus.control);
        if (bus.has("subscribe")) {
            auto list = bus.child("subscribe");
            list.expect_list();
            for (std::size_t i = 0; i < list.size(); ++i) {
                auto s = list.item(i);
                s.expect_keys({"endpoint", "mode", "topics"});
                subscribe_config sc;
                sc.endpoint = s.require_string("endpoint");
                if (!is_zmq_endpoint(sc.endpoint))
                    s.child("endpoint").fail("'" + sc.endpoint + "' is not a ZeroMQ endpoint");
                std::string mode = s.get_string("mode", "connect");
                if (mode != "connect" && mode != "bind")
                    s.child("mode").fail("expected connect or bind, got '" + mode + "'");
                sc.bind = mode == "bind";
                if (std::string problem = bind_endpoint_problem(sc.endpoint);
                    sc.bind && !problem.empty())
                    s.child("endpoint").fail(problem);
                if (s.has("topics")) {
                    auto topics = s.child("topics");
                    topics.expect_list();
                    for (std::size_t t = 0; t < topics.size(); ++t)
                        sc.topics.push_back(topics.item(t).as_string());
                }
                c.bus.subscribe.push_back(std::move(sc));
            }
        }
    }

    if (root.has("feed")) {
        auto feed = root.child("feed");
        feed.expect_keys({"path", "max_bytes", "keep"});
        c.feed_path = resolve_path(base, feed.require_string("path"));
        c.feed_max_bytes = positive(feed, "max_bytes", c.feed_max_bytes);
        c.feed_keep = static_cast<int>(feed.get_int("keep", c.feed_keep));
        if (c.feed_keep < 0 || c.feed_keep > 1000)
            feed.child("keep").fail("expected 0 to 1000 rotated files");
    } else {
        c.feed_path = resolve_path(c.data_dir, "exceptions.jsonl");
    }

    if (root.has("log")) {
        auto log = root.child("log");
        log.expect_keys({"level"});
        c.log_level = log.get_string("level", c.log_level);
        bool known = false;
        for (const char* l : {"trace", "debug", "info", "warn", "error", "critical", "off"})
            known = known || c.log_level == l;
        if (!known)
            log.child("level").fail(
                "expected trace, debug, info, warn, error, critical or off, "
                "got '" +
                c.log_level + "'");
    }

    if (root.has("batch")) {
        auto batch = root.child("batch");
        batch.expect_keys({"max_events", "max_wait_us"});
        c.batch.max_events = positive(batch, "max_events", c.batch.max_events);
        c.batch.max_wait_us = static_cast<std::int64_t>(
            positive(batch, "max_wait_us", static_cast<std::size_t>(c.batch.max_wait_us)));
    }

    if (root.has("dedup")) {
        auto dedup = root.child("dedup");
        dedup.expect_keys({"window", "max_entries"});
        c.dedup.window_us = dedup.get_duration_us("window", c.dedup.window_us);
        if (c.dedup.window_us <= 0) dedup.child("window").fail("must be longer than 0");
        c.dedup.max_entries = positive(dedup, "max_entries", c.dedup.max_entries);
    }

    if (root.has("limits")) {
        auto l = root.child("limits");
        l.expect_keys({"max_message_bytes", "max_envelope_bytes", "max_array", "max_map",
                       "max_string", "max_depth"});
        c.limits.max_message_bytes = positive(l, "max_message_bytes", c.limits.max_message_bytes);
        c.limits.max_envelope_bytes =
            positive(l, "max_envelope_bytes", c.limits.max_envelope_bytes);
        c.limits.decode.max_array = positive(l, "max_array", c.limits.decode.max_array);
        c.limits.decode.max_map = positive(l, "max_map", c.limits.decode.max_map);
        c.limits.decode.max_string = positive(l, "max_string", c.limits.decode.max_string);
        c.limits.decode.max_depth = positive(l, "max_depth", c.limits.decode.max_depth);
        if (c.limits.max_envelope_bytes > c.limits.max_message_bytes)
            l.child("max_envelope_bytes")
                .fail("must not exceed limits.max_message_bytes (" +
                      std::to_string(c.limits.max_message_bytes) + ")");
    }

    if (root.has("snapshot")) {
        auto snap = root.child("snapshot");
        snap.expect_keys({"interval", "max_orders"});
        c.snapshot.interval_us = snap.get_duration_us("interval", c.snapshot.interval_us);
        c.snapshot.max_orders = positive(snap, "max_orders", c.snapshot.max_orders);
        if (c.snapshot.interval_us <= 0) snap.child("interval").fail("must be longer than 0");
    }

    if (root.has("retention")) {
        auto r = root.child("retention");
        r.expect_keys({"closed", "max_per_pass"});
        c.retention.closed_us = r.get_duration_us("closed", c.retention.closed_us);
        c.retention.max_per_pass = positive(r, "max_per_pass", c.retention.max_per_pass);
        if (c.retention.closed_us < 0)
            r.child("closed").fail("must be 0s (keep every order in memory) or a duration");
    }

    if (root.has("storage")) {
        auto storage = root.child("storage");
        storage.expect_keys({"max_bytes"});
        std::int64_t max = storage.get_int("max_bytes", 0);
        if (max < 0) storage.child("max_bytes").fail("must be 0 (no cap) or a size in bytes");
        if (max > 0 && max < (1 << 20))
            storage.child("max_bytes").fail("must be at least 1048576 (1 MiB) when set");
        c.storage_max_bytes = static_cast<std::uint64_t>(max);
    }

    if (root.has("security")) c.security = parse_security(root.child("security"), base);

    if (root.has("metrics")) {
        auto metrics = root.child("metrics");
        metrics.expect_keys({"listen", "stall_after"});
        if (!metrics.has("listen")) metrics.child("listen").fail("required in a metrics section");
        parse_listen(metrics.child("listen"), c.metrics);
        c.metrics.stall_after_us = metrics.get_duration_us("stall_after", c.metrics.stall_after_us);
        // The loop's poll wakes at least once a second: a shorter limit would fail a quiet loop.
        if (c.metrics.stall_after_us < 2000000)
            metrics.child("stall_after").fail("must be at least 2s (the loop wakes once a second)");
        c.metrics.enabled = true;
    }

    // Cross-field checks.
    // Two sockets cannot bind one endpoint; "host:*" picks a free port for each.
    auto clash = [](const std::string& a, const std::string& b) {
        return a == b && a.size() > 2 && a.compare(a.size() - 2, 2, ":*") != 0;
    };
    if (clash(c.bus.ingest, c.bus.relay) || clash(c.bus.ingest, c.bus.control) ||
        clash(c.bus.relay, c.bus.control))
        root.child("bus").fail("ingest, relay and control need three different endpoints");
    // Reachable from other machines only with CURVE, or when the config says so in as many words.
    for (auto [key, endpoint] :
         {std::pair{"ingest", &c.bus.ingest}, std::pair{"relay", &c.bus.relay},
          std::pair{"control", &c.bus.control}})
        if (!is_loopback_endpoint(*endpoint) && !c.security.curve && !c.security.insecure)
            root.child("bus").child(key).fail(
                "'" + *endpoint +
                "' is reachable from other machines: turn on security.curve, or set "
                "security.insecure: true to run without authentication");
    for (std::size_t i = 0; i < c.bus.subscribe.size(); ++i) {
        const subscribe_config& sc = c.bus.subscribe[i];
        if (!sc.bind || is_loopback_endpoint(sc.endpoint) || c.security.insecure) continue;
        auto entry = root.child("bus").child("subscribe").item(i);
        entry.child("endpoint")
            .fail("'" + sc.endpoint +
                  "' binds a subscribe socket (never CURVE) where other machines reach it: set "
                  "security.insecure: true to allow it");
    }
    return c;
}

}  // namespace baton
