// Accessors of the value tree.
#include "value.h"

#include <cassert>
#include <limits>
#include <utility>

namespace baton {

bool value::to_int64(std::int64_t& out) const {
    if (auto* i = std::get_if<std::int64_t>(&v)) {
        out = *i;
        return true;
    }
    if (auto* u = std::get_if<std::uint64_t>(&v)) {
        if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
        out = static_cast<std::int64_t>(*u);
        return true;
    }
    return false;
}

bool value::to_uint64(std::uint64_t& out) const {
    if (auto* u = std::get_if<std::uint64_t>(&v)) {
        out = *u;
        return true;
    }
    if (auto* i = std::get_if<std::int64_t>(&v)) {
        if (*i < 0) return false;
        out = static_cast<std::uint64_t>(*i);
        return true;
    }
    return false;
}

double value::to_double() const {
    if (auto* d = std::get_if<double>(&v)) return *d;
    if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
    return 0.0;
}

const value* value::find(std::string_view key) const {
    auto* m = std::get_if<value_map>(&v);
    if (!m) return nullptr;
    for (const auto& e : *m)
        if (e.key == key) return &e.val;
    return nullptr;
}

value* value::find(std::string_view key) {
    return const_cast<value*>(std::as_const(*this).find(key));
}

value& value::set(std::string_view key, value val) {
    if (is_nil()) v = value_map{};
    assert(is_map());
    auto& m = as_map();
    for (auto& e : m)
        if (e.key == key) {
            e.val = std::move(val);
            return e.val;
        }
    m.push_back(member{std::string(key), std::move(val)});
    return m.back().val;
}

const char* type_name(const value& v) {
    switch (v.v.index()) {
        case 0: return "nil";
        case 1: return "bool";
        case 2:
        case 3: return "int";
        case 4: return "float";
        case 5: return "string";
        case 6: return "array";
        case 7: return "map";
    }
    return "unknown";
}

}  // namespace baton
