// baton-webhook's configuration (README.md "Configuration"), parsed once into a plain struct.
// Unknown keys are errors; relative paths are relative to the config file's folder.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "caller_auth.h"
#include "config_error.h"
#include "curve.h"
#include "https_server.h"

namespace baton::adapters::webhook {

struct webhook_config {
    std::string file;                    // absolute path of the config file itself
    std::string host = "127.0.0.1";      // HTTP listen address
    int port = 8480;                     // HTTP listen port
    std::size_t threads = 16;            // HTTP worker threads (each may wait reply_timeout)
    std::size_t max_body_bytes = 65536;  // larger bodies get 413
    std::chrono::milliseconds reply_timeout{5000};  // wait this long for batond, then 503
    std::string source;                // the department system's name; the envelope's source
    bool allow_source_header = false;  // X-Baton-Source may name the source per request
    std::string ingest = "tcp://127.0.0.1:7710";   // batond's ingest socket
    std::chrono::milliseconds resend_after{5000};  // unanswered this long: send again
    std::string outbox;                            // absolute path of the outbox file
    std::string log_level = "info";
    std::optional<curve_client_keys> curve;  // `curve:` keys, when batond runs with CURVE
    auth_config auth;                        // `auth:`; no callers: no authentication
    std::optional<tls_files> tls;            // `tls:`; HTTPS when set
    bool insecure = false;  // a non-loopback host without auth is allowed (and warned about)
};

// Reads and checks the file, the secret files it names and the TLS pair; throws
// baton::config_error (file, key path, reason). A host other machines can reach is refused
// without auth callers unless insecure is true.
webhook_config load_webhook_config(const std::string& path);

}  // namespace baton::adapters::webhook
