// batond's configuration (baton.yaml), parsed once into plain structs with defaults. Unknown
// keys are errors; relative paths are resolved against the config file's folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "codec.h"
#include "config_error.h"
#include "paths.h"
#include "security.h"

namespace baton {

struct subscribe_config {
    std::string endpoint;             // e.g. tcp://10.0.0.5:5556
    bool bind = false;                // connect (default) or bind
    std::vector<std::string> topics;  // topic prefixes; empty means every topic
};

struct bus_config {
    std::string ingest = "tcp://127.0.0.1:7710";
    std::string relay = "tcp://127.0.0.1:7711";
    std::string control = "tcp://127.0.0.1:7712";
    std::vector<subscribe_config> subscribe;
};

struct batch_config {
    std::size_t max_events = 1000;    // a batch closes at this many events...
    std::int64_t max_wait_us = 2000;  // ...or this long after its first event, whichever first
};

struct dedup_config {
    std::int64_t window_us = 24LL * 3600 * 1000000;  // how long a (source, id) is remembered
    std::size_t max_entries = 10000000;              // and at most this many of them
};

struct limits_config {
    std::size_t max_message_bytes = 1 << 20;  // ZMQ_MAXMSGSIZE: larger frames drop the peer
    std::size_t max_envelope_bytes = 65536;   // larger envelopes get "limit:"
    decode_limits decode;
};

struct snapshot_config {
    std::int64_t interval_us = 60LL * 1000000;  // how often changed orders are stored
    std::size_t max_orders = 2000;              // ...and as soon as this many have changed
};

// Retention: a closed or cancelled order, with its exceptions and tasks once none is open,
// leaves memory this long after it closed; the store keeps it (order_archive.h), and a query
// or a late event about it reads it back from there. 0 keeps every order in memory.
struct retention_config {
    std::int64_t closed_us = 30LL * 86400 * 1000000;
    std::size_t max_per_pass = 20000;  // orders archived at most per pass (one a second at most)
};

// The metrics listener (Prometheus /metrics, /healthz, /readyz over HTTP); off unless set.
struct metrics_config {
    bool enabled = false;
    std::string host;                              // an IP address (IPv6 without brackets)
    int port = 0;                                  // 0: a free port the system picks (tests)
    std::int64_t stall_after_us = 10LL * 1000000;  // /healthz fails when the loop idles this long
};

struct config {
    std::string file;                        // absolute path of the config file itself
    std::string data_dir;                    // absolute
    std::string schemas_dir;                 // absolute
    std::string flow_file;                   // absolute
    std::string customers_file;              // absolute
    std::string feed_path;                   // absolute
    std::size_t feed_max_bytes = 64u << 20;  // rotate the feed file past this size
    int feed_keep = 5;                       // rotated feed files kept
    std::string log_level = "info";
    bus_config bus;
    batch_config batch;
    dedup_config dedup;
    limits_config limits;
    snapshot_config snapshot;
    retention_config retention;
    std::uint64_t storage_max_bytes = 0;  // the database may not grow past this; 0: no cap
    // CURVE, client keys and rights (off by default).
    security_config security;
    metrics_config metrics;
};

// Reads and checks a config file; throws config_error naming file, key path and reason.
config load_config(const std::string& path);

}  // namespace baton
