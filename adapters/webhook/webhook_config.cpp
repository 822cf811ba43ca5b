// Parsing and cross-checking baton-webhook's YAML file.
#include "webhook_config.h"

#include <spdlog/common.h>

#include <filesystem>

#include "curve_keys.h"
#include "paths.h"
#include "yaml_util.h"

namespace baton::adapters::webhook {

namespace {

void check_log_level(const yaml::node& root, const std::string& level) {
    if (spdlog::level::from_str(level) == spdlog::level::off && level != "off")
        root.child("log_level")
            .fail("unknown level '" + level + "' (trace, debug, info, warn, error, critical, off)");
}

std::chrono::milliseconds positive_ms(const yaml::node& n, const char* key,
                                      std::chrono::milliseconds fallback) {
    std::int64_t us = n.get_duration_us(key, fallback.count() * 1000);
    if (us < 1000) n.child(key).fail("must be at least 1ms");
    return std::chrono::milliseconds(us / 1000);
}

}  // namespace

webhook_config load_webhook_config(const std::string& path) {
    namespace fs = std::filesystem;
    webhook_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys(
        {"http", "source", "allow_source_header", "batond", "outbox", "log_level", "curve"});

    if (root.has("http")) {
        auto http = root.child("http");
        http.expect_keys({"host", "port", "threads", "max_body_bytes", "reply_timeout"});
        c.host = http.get_string("host", c.host);
        if (c.host.empty()) http.child("host").fail("must not be empty");
        std::int64_t port = http.get_int("port", c.port);
        if (port < 0 || port > 65535) http.child("port").fail("expected a port, 0-65535");
        c.port = static_cast<int>(port);
        std::int64_t threads = http.get_int("threads", static_cast<std::int64_t>(c.threads));
        if (threads < 1 || threads > 1024) http.child("threads").fail("expected 1-1024");
        c.threads = static_cast<std::size_t>(threads);
        std::int64_t max_body =
            http.get_int("max_body_bytes", static_cast<std::int64_t>(c.max_body_bytes));
        if (max_body < 1 || max_body > (1 << 20))
            http.child("max_body_bytes").fail("expected 1-1048576 bytes");
        c.max_body_bytes = static_cast<std::size_t>(max_body);
        c.reply_timeout = positive_ms(http, "reply_timeout", c.reply_timeout);
    }

    c.source = root.get_string("source", "");
    c.allow_source_header = root.get_bool("allow_source_header", false);
    if (c.source.empty() && !c.allow_source_header)
        root.child("source").fail(
            "required: the name of the department system posting here (e.g. sales-crm), unless "
            "allow_source_header is true");
    if (c.source.size() > 64) root.child("source").fail("longer than 64 bytes");
    if (c.source == "baton") root.child("source").fail("'baton' is reserved for batond");

    if (root.has("batond")) {
        auto bd = root.child("batond");
        bd.expect_keys({"ingest", "resend_after"});
        c.ingest = bd.get_string("ingest", c.ingest);
        if (c.ingest.rfind("tcp://", 0) != 0 && c.ingest.rfind("ipc://", 0) != 0)
            bd.child("ingest").fail("'" + c.ingest +
                                    "' is not a ZeroMQ endpoint (tcp://host:port or ipc://path)");
        c.resend_after = positive_ms(bd, "resend_after", c.resend_after);
    }

    c.outbox = resolve_path(base, root.require_string("outbox"));
    c.log_level = root.get_string("log_level", c.log_level);
    check_log_level(root, c.log_level);
    c.curve = parse_curve_section(root, base);
    return c;
}

}  // namespace baton::adapters::webhook
