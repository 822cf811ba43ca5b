// The settings the HTTP programs read alike (config_parts.h).
#include "config_parts.h"

#include <spdlog/common.h>

#include "endpoint.h"
#include "paths.h"

namespace baton::adapters::webhook {

std::string zmq_endpoint(const yaml::node& n, const char* key, const std::string& fallback) {
    std::string e = n.get_string(key, fallback);
    if (!is_zmq_endpoint(e, false))
        n.child(key).fail("'" + e + "' is not a ZeroMQ endpoint (tcp://host:port or ipc://path)");
    return e;
}

std::chrono::milliseconds positive_ms(const yaml::node& n, const char* key,
                                      std::chrono::milliseconds fallback) {
    std::int64_t us = n.get_duration_us(key, fallback.count() * 1000);
    if (us < 1000) n.child(key).fail("must be at least 1ms");
    return std::chrono::milliseconds(us / 1000);
}

void check_log_level(const yaml::node& root, const std::string& level) {
    if (spdlog::level::from_str(level) == spdlog::level::off && level != "off")
        root.child("log_level")
            .fail("unknown level '" + level + "' (trace, debug, info, warn, error, critical, off)");
}

std::optional<tls_files> parse_tls(const yaml::node& root, const std::string& base) {
    if (!root.has("tls")) return std::nullopt;
    const yaml::node tls = root.child("tls");
    tls.expect_map();
    tls.expect_keys({"cert", "key"});
    tls_files files{resolve_path(base, tls.require_string("cert")),
                    resolve_path(base, tls.require_string("key"))};
    if (auto problem = check_tls_files(files)) tls.child(problem->key).fail(problem->reason);
    return files;
}

}  // namespace baton::adapters::webhook
