// Strict YAML reading with file and key path in every error.
#include "yaml_util.h"

#include <algorithm>
#include <cstring>

#include "duration.h"

namespace baton::yaml {

YAML::Node load_file(const std::string& path) {
    try {
        return YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw config_error(path, "", "cannot open file");
    } catch (const YAML::Exception& e) {
        throw config_error(path, "",
                           "line " + std::to_string(e.mark.line + 1) + ", column " +
                               std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
}

void node::fail(const std::string& reason) const {
    std::string full = reason;
    if (n_.IsDefined() && n_.Mark().line >= 0)
        full += " (line " + std::to_string(n_.Mark().line + 1) + ")";
    throw config_error(file_, path_, full);
}

node node::child(const char* key) const {
    std::string p = path_.empty() ? key : path_ + "." + key;
    if (!n_.IsMap()) return node(YAML::Node(YAML::NodeType::Undefined), file_, p);
    return node(n_[key], file_, p);
}

node node::item(std::size_t i) const {
    return node(n_[i], file_, path_ + "[" + std::to_string(i) + "]");
}

std::vector<std::string> node::keys() const {
    expect_map();
    std::vector<std::string> out;
    for (const auto& kv : n_) out.push_back(kv.first.as<std::string>());
    return out;
}

void node::expect_map() const {
    if (!n_.IsMap()) fail("expected a map");
}

void node::expect_list() const {
    if (!n_.IsSequence()) fail("expected a list");
}

void node::expect_keys(std::initializer_list<const char*> allowed) const {
    expect_map();
    for (const auto& kv : n_) {
        std::string k = kv.first.Scalar();
        bool ok =
            std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; });
        if (!ok) {
            std::string list;
            for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            child(k.c_str()).fail("unknown key (expected one of: " + list + ")");
        }
    }
}

std::string node::as_string() const {
    if (!n_.IsScalar()) fail("expected a string");
    return n_.Scalar();
}

std::int64_t node::as_int() const {
    if (!n_.IsScalar()) fail("expected an integer");
    const std::string& s = n_.Scalar();
    try {
        std::size_t used = 0;
        long long v = std::stoll(s, &used, 10);
        if (used != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        fail("expected an integer, got '" + s + "'");
    }
}

double node::as_number() const {
    if (!n_.IsScalar()) fail("expected a number");
    const std::string& s = n_.Scalar();
    try {
        std::size_t used = 0;
        double v = std::stod(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        fail("expected a number, got '" + s + "'");
    }
}

bool node::as_bool() const {
    if (n_.IsScalar()) {
        const std::string& s = n_.Scalar();
        if (s == "true" || s == "yes" || s == "on") return true;
        if (s == "false" || s == "no" || s == "off") return false;
    }
    fail("expected true or false");
}

std::int64_t node::as_duration_us() const {
    if (!n_.IsScalar()) fail("expected a duration like 500ms, 30s, 15m, 4h or 10d");
    std::string error;
    auto us = parse_duration_us(n_.Scalar(), &error);
    if (!us) fail(error);
    return *us;
}

std::string node::get_string(const char* key, const std::string& fallback) const {
    return has(key) ? child(key).as_string() : fallback;
}

std::int64_t node::get_int(const char* key, std::int64_t fallback) const {
    return has(key) ? child(key).as_int() : fallback;
}

bool node::get_bool(const char* key, bool fallback) const {
    return has(key) ? child(key).as_bool() : fallback;
}

std::int64_t node::get_duration_us(const char* key, std::int64_t fallback) const {
    return has(key) ? child(key).as_duration_us() : fallback;
}

std::string node::require_string(const char* key) const {
    if (!has(key)) child(key).fail("required key is missing");
    std::string s = child(key).as_string();
    if (s.empty()) child(key).fail("must not be empty");
    return s;
}

}  // namespace baton::yaml
