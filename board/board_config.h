// baton-board's configuration (board/README.md), parsed once into a plain struct. Unknown keys
// are errors; relative paths are relative to the config file's folder.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "curve.h"
#include "https_server.h"

namespace baton::board {

struct board_config {
    std::string file;  // absolute path of the config file itself
    // HTTP: loopback by default, like batond; TLS directly when `tls` is set.
    std::string host = "127.0.0.1";
    int port = 7780;
    std::size_t threads = 256;         // each open live page holds one while it is open
    std::size_t max_live_pages = 224;  // live pages beyond it get 503 (threads stay for pages)
    std::size_t max_body_bytes = 64 * 1024;
    std::optional<adapters::webhook::tls_files> tls;
    // Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (exact addresses).
    std::vector<std::string> trusted_proxies;
    // batond
    std::string control = "tcp://127.0.0.1:7712";
    std::string relay = "tcp://127.0.0.1:7711";
    std::chrono::milliseconds batond_timeout{5000};
    std::optional<curve_client_keys> curve;
    // People and sessions
    std::string users;  // absolute: the users file
    std::string state;  // absolute: the folder for the relay position
    std::int64_t session_idle_ms = 8LL * 3600 * 1000;
    std::int64_t session_max_ms = 24LL * 3600 * 1000;
    int login_max_failures = 5;
    std::int64_t login_window_ms = 15LL * 60 * 1000;
    // How pages read
    std::string time_zone;  // IANA name, e.g. Asia/Shanghai; "" the system's
    std::string currency = "CNY";
    std::size_t page_size = 50;
    std::string chart_js = "/usr/share/javascript/chart.js/chart.min.js";
    std::string log_level = "info";
};

// Reads and checks the file; throws baton::config_error (file, key path, reason).
board_config load_board_config(const std::string& path);

}  // namespace baton::board
