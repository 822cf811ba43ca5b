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

namespace zmq {
class socket_t;
}

namespace baton {

namespace yaml {
class node;
}

inline constexpr std::size_t curve_key_bytes = 32;  // a CURVE key, binary
inline constexpr std::size_t curve_key_chars = 40;  // ... and as Z85 text
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

// True for ipc:// and inproc:// endpoints and tcp:// endpoints whose host is in 127.0.0.0/8,
// ::1 or localhost: nothing off this machine can reach them.
bool is_loopback_endpoint(const std::string& endpoint);

// --- keys ----------------------------------------------------------------------------------

// True when `text` is 40 characters of Z85 that decode to a 32-byte key.
bool is_z85_key(std::string_view text);
// The 32 bytes of a Z85 key; empty when `text` is not one.
std::string z85_key_bytes(std::string_view text);
// The Z85 text of 32 key bytes.
std::string z85_key_text(std::string_view bytes);

// Reads a key file: one Z85 key, whitespace around it ignored. Throws config_error naming
// `path` and `key` (the config key that named the file, may be empty).
std::string read_key_file(const std::string& path, const std::string& key = "");

// The public key belonging to a secret key, both Z85.
std::string curve_public_of(const std::string& secret_z85);

struct curve_key_pair {
    std::string public_key;  // Z85
    std::string secret_key;  // Z85
};
curve_key_pair generate_curve_key_pair();

// Writes `dir`/NAME.key (public, mode 0644) and `dir`/NAME.secret (secret, mode 0600), the
// format read_key_file reads; creates `dir` (mode 0700) when missing. Refuses (throws
// std::runtime_error, writes nothing) when NAME is not a plain file name or either file exists.
// Returns the pair written.
curve_key_pair write_key_pair(const std::string& dir, const std::string& name);

// --- the client side ---------------------------------------------------------------------

// What a CURVE client needs: the server's public key and its own pair, all Z85.
struct curve_client_keys {
    std::string server_public_key;
    std::string public_key;
    std::string secret_key;
};

// `server_key` is a Z85 key or a file holding one (e.g. batond.key); `key` names a pair
// written by write_key_pair, without the extension: `key`.key and `key`.secret are read.
// Throws config_error.
curve_client_keys load_client_keys(const std::string& server_key, const std::string& key);

// Sets a client socket (before connect) to CURVE with these keys.
void apply_curve_client(zmq::socket_t& socket, const curve_client_keys& keys);

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
    // "" when `user` may run the control command `cmd`, else a "forbidden: ..." reason.
    // Commands that change state (ack, resolve, task_done, reload) need operator; any other
    // (status, order, orders, exceptions, tasks, replay, kpi, unknown ones) needs read.
    std::string check_control(std::string_view user, std::string_view cmd) const;

private:
    bool enabled_ = false;
    std::vector<client_acl> clients_;
    std::map<std::string, std::size_t, std::less<>> by_key_;   // key bytes -> clients_ index
    std::map<std::string, std::size_t, std::less<>> by_name_;  // name -> clients_ index
};

// True for the control commands that change state (need operator rights).
bool is_operator_command(std::string_view cmd);

}  // namespace baton
