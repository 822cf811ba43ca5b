// Strict reading of YAML files into plain structs: every error carries the file, the key path
// and the reason. Included only by the .cpp files that parse configuration (it pulls yaml-cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "config_error.h"

namespace baton::yaml {

// Parses a whole file; a missing file or a syntax error becomes a config_error.
YAML::Node load_file(const std::string& path);

// A node with the file it came from and its key path, e.g. "bus.subscribe[1]".
class node {
public:
    node(YAML::Node n, std::string file, std::string path)
        : n_(std::move(n)), file_(std::move(file)), path_(std::move(path)) {}

    const YAML::Node& raw() const { return n_; }
    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }

    bool is_map() const { return n_.IsMap(); }
    bool is_list() const { return n_.IsSequence(); }
    bool has(const char* key) const {
        return n_.IsMap() && n_[key].IsDefined() && !n_[key].IsNull();
    }

    node child(const char* key) const;  // may be undefined; check has() first
    node item(std::size_t i) const;
    std::size_t size() const { return n_.size(); }
    // Keys of a map, in file order; a non-map is an error.
    std::vector<std::string> keys() const;

    // Fails when the map has a key not in `allowed` (typos must not pass silently).
    void expect_keys(std::initializer_list<const char*> allowed) const;
    void expect_map() const;
    void expect_list() const;

    // Scalars of this node.
    std::string as_string() const;
    std::int64_t as_int() const;
    double as_number() const;
    bool as_bool() const;
    std::int64_t as_duration_us() const;  // "500ms", "4h", ...

    // Child scalars with defaults (absent or null keeps the default).
    std::string get_string(const char* key, const std::string& fallback) const;
    std::int64_t get_int(const char* key, std::int64_t fallback) const;
    bool get_bool(const char* key, bool fallback) const;
    std::int64_t get_duration_us(const char* key, std::int64_t fallback) const;
    std::string require_string(const char* key) const;

    [[noreturn]] void fail(const std::string& reason) const;

private:
    YAML::Node n_;
    std::string file_;
    std::string path_;
};

}  // namespace baton::yaml
