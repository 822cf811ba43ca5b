// baton-http-out's configuration (README.md "baton-http-out"), parsed once into a plain struct.
// Unknown keys are errors; relative paths are relative to the config file's folder.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "backoff.h"
#include "config_error.h"
#include "curve.h"
#include "route_table.h"

namespace baton::adapters::webhook {

struct http_out_config {
    std::string file;                              // absolute path of the config file itself
    std::string relay = "tcp://127.0.0.1:7711";    // batond's relay socket
    std::string control = "tcp://127.0.0.1:7712";  // batond's control socket (replay)
    std::string state;                             // absolute: last delivered seq lives here
    route_table routes;
    backoff_policy retry;
    std::chrono::milliseconds request_timeout{10000};  // connect, send and read, each
    std::string log_level = "info";
    std::optional<curve_client_keys> curve;  // `curve:` keys, when batond runs with CURVE
};

// Reads and checks the file; throws baton::config_error (file, key path, reason).
http_out_config load_http_out_config(const std::string& path);

}  // namespace baton::adapters::webhook
