// Resolving config paths.
#include "paths.h"

#include <filesystem>

namespace baton {

std::string resolve_path(const std::string& base_dir, const std::string& path) {
    std::filesystem::path p(path);
    if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
    return p.lexically_normal().string();
}

}  // namespace baton
