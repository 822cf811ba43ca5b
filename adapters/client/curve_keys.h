// The optional `curve:` section every adapter config has (README.md "Security: CurveZMQ"):
//
//   curve:
//     server_key: /etc/baton/keys/batond.key   # batond's public key (file or Z85 text)
//     key: /etc/baton/keys/sales-erp           # this adapter's pair: <key>.key, <key>.secret
//
// The keys are read by baton::load_client_keys (security.h), the loader batonctl uses too.
#pragma once

#include <optional>
#include <string>

#include "curve.h"

namespace baton::yaml {
class node;
}

namespace baton::adapters {

// Reads `root`'s `curve` map, when present: both keys required, no others. Relative paths are
// relative to `base_dir` (the config file's folder); a Z85 server_key is used as it is. Throws
// config_error naming the config file, "curve.server_key" or "curve.key", and the reason (with
// the key file's path when that file is missing or wrong). nullopt without a `curve` section.
std::optional<curve_client_keys> parse_curve_section(const yaml::node& root,
                                                     const std::string& base_dir);

}  // namespace baton::adapters
