// Strict reading of an adapter config's `curve:` section and of the key files it names.
#include "curve_keys.h"

#include "paths.h"
#include "yaml_util.h"

namespace baton::adapters {

std::optional<curve_client_keys> parse_curve_section(const yaml::node& root,
                                                     const std::string& base_dir) {
    if (!root.has("curve")) return std::nullopt;
    const yaml::node curve = root.child("curve");
    curve.expect_map();
    curve.expect_keys({"server_key", "key"});
    std::string server_key = curve.require_string("server_key");
    std::string key = curve.require_string("key");
    if (!is_z85_key(server_key)) server_key = resolve_path(base_dir, server_key);
    key = resolve_path(base_dir, key);
    try {
        return load_client_keys(server_key, key);
    } catch (const config_error& e) {
        // e names the key file; report it under the config key that named that file.
        const char* at = e.key == "server key" ? "server_key" : "key";
        curve.child(at).fail(e.file + ": " + e.reason);
    }
}

}  // namespace baton::adapters
