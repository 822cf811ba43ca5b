// File paths in config files: relative ones are relative to the config file's folder.
#pragma once

#include <string>

namespace baton {

// `path` made absolute against `base_dir` when relative; lexically normalised.
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace baton
