// CurveZMQ security of batond: the `security` section of baton.yaml, CURVE key files, and the
// access rules that decide what an authenticated client (its ZAP User-Id) may publish on ingest
// and ask on control. Pure decisions; the ZAP handler is in zap.h, the sockets in the loop.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config_error.h"
#include "curve.h"
#include "endpoint.h"

namespace zmq {
class socket_t;
}

namespace baton {

namespace yaml {
class node;
}

inline constexpr const char* zap_domain = "baton";  // ZMQ_ZAP_DOMAIN of batond's sockets

// What a client may do on the control socket.
enum class control_right { none, read, operator_ };
const char* control_right_name(control_right r);  // "none", "read", "operator"

struct client_acl {
    std::string name;                  // the ZAP User-Id; shown in logs and refusals
    std::string public_key;            // Z85 text, 40 characters
    std::vector<std::string> sources;  // envelope sources it may use; "*" for any
    std::vector<std::string> topics;   // topic prefixes it may publish; "*" for any
    control_right control = control_right::none;
};

struct security_config {
    bool curve = false;                  // CURVE on the ingest, relay and control sockets
    std::string server_secret_key_file;  // absolute; empty when not configured
    std::string server_secret_key;       // Z85 text, read from that file
    std::string server_public_key;       // Z85 text, derived from the secret
    std::vector<client_acl> clients;
    bool insecure = false;  // allow non-loopback endpoints without CURVE (explicitly unsafe)
};

// Parses the `security` map of baton.yaml (key files relative to `base_dir`); throws
// config_error naming the file, the key path and the reason.
security_config parse_security(const yaml::node& n, const std::string& base_dir);

// --- access rules ---------------------------------------------------------------------------

// Who may do what, built once from the config and never changed (the ZAP thread and the loop
// share it read-only). With CURVE off it allows everything, as before security existed.
class access_policy {
public:
    explicit access_policy(const security_config& s);

    bool enabled() const { return enabled_; }
    // The client with this public key (32 bytes, binary), or null.
    const client_acl* find_key(std::string_view key_bytes) const;
    const client_acl* find_name(std::string_view name) const;

    // "" when `user` (the ZAP User-Id) may publish `topic` from `source`, else the reason,
    // starting with "forbidden:".
    std::string check_publish(std::string_view user, std::string_view topic,
                              std::string_view source) const;
    // "" when `user` has the right `needed` on the control socket (the command table in
    // control.h says which right each command needs), else a "forbidden: ..." reason.
    std::string check_control(std::string_view user, control_right needed) const;

private:
    bool enabled_ = false;
    std::vector<client_acl> clients_;
    std::map<std::string, std::size_t, std::less<>> by_key_;   // key bytes -> clients_ index
    std::map<std::string, std::size_t, std::less<>> by_name_;  // name -> clients_ index
};

}  // namespace baton
