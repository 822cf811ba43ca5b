// The settings every HTTP program of baton reads alike (baton-webhook, baton-http-out,
// baton-board): a ZeroMQ endpoint, a positive duration, the log level and the `tls:` section.
// Each fails with the file, the key path and the reason. Included only by config parsers.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "https_server.h"
#include "yaml_util.h"

namespace baton::adapters::webhook {

// `key` of `n` as a ZeroMQ endpoint (tcp://host:port or ipc://path), `fallback` when absent.
std::string zmq_endpoint(const yaml::node& n, const char* key, const std::string& fallback);
// `key` of `n` as a duration of at least 1ms, `fallback` when absent.
std::chrono::milliseconds positive_ms(const yaml::node& n, const char* key,
                                      std::chrono::milliseconds fallback);
// Fails on `root.log_level` when `level` is not one of spdlog's names.
void check_log_level(const yaml::node& root, const std::string& level);
// The optional `tls:` section (cert, key; relative to `base`), checked as the server loads it.
std::optional<tls_files> parse_tls(const yaml::node& root, const std::string& base);

}  // namespace baton::adapters::webhook
