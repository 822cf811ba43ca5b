// baton-alerts' configuration (README.md "Configuration"), parsed once into plain structs.
// Unknown keys are errors; relative paths are relative to the config file's folder; the
// password file is read at load, so a missing one fails --check-config.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backoff.h"
#include "config_error.h"
#include "curve.h"

namespace baton::adapters::alerts {

// One Alertmanager: where its API is, split as httplib::Client wants it.
struct alertmanager_url {
    std::string url;               // as configured, for log lines
    std::string scheme_host_port;  // "http://127.0.0.1:9093"
    std::string path_prefix;       // "" or "/alertmanager" (a --web.route-prefix), no trailing /
};

struct basic_auth {
    std::string username;
    std::string password;  // read from password_file at load
};

struct alerts_config {
    std::string file;                                // absolute path of the config file itself
    std::string control = "tcp://127.0.0.1:7712";    // batond's control socket
    std::string relay = "tcp://127.0.0.1:7711";      // batond's relay socket
    std::chrono::milliseconds batond_timeout{5000};  // one control request
    std::optional<curve_client_keys> curve;          // `curve:` keys, when batond runs with CURVE
    std::string state;                               // absolute folder: relay.seq, alerts.json

    std::vector<alertmanager_url> alertmanagers;   // every one gets every alert
    std::chrono::milliseconds post_timeout{5000};  // connect, send and read of one POST, each
    webhook::backoff_policy retry{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000),
                                  2.0};
    std::optional<basic_auth> auth;
    std::string tls_ca;  // CA file for https:// URLs; "" uses the system's

    std::string board_url = "http://127.0.0.1:7780";  // no trailing slash
    std::chrono::milliseconds resend_every{60000};
    std::chrono::milliseconds ends_after{300000};
    std::map<std::string, std::string> extra_labels;  // alerts.labels
    std::string log_level = "info";
};

// Reads and checks the file; throws baton::config_error (file, key path, reason).
alerts_config load_alerts_config(const std::string& path);

// The labels baton-alerts sets itself, which alerts.labels may not name.
const std::vector<std::string>& mapped_label_names();

// Whether `name` is a label name Alertmanager accepts ([a-zA-Z_][a-zA-Z0-9_]*, not "__...").
bool valid_label_name(const std::string& name);

}  // namespace baton::adapters::alerts
