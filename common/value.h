// A small self-describing value tree: what a MessagePack envelope, a control request or a
// reply holds once decoded. It keeps msgpack out of every header but the codec's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace baton {

struct value;
struct member;
using value_list = std::vector<value>;
using value_map = std::vector<member>;  // keeps wire order; maps here are small

struct value {
    using storage = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double,
                                 std::string, value_list, value_map>;
    storage v;

    value() = default;
    value(std::nullptr_t) {}
    value(bool b) : v(b) {}
    value(int i) : v(std::int64_t{i}) {}
    value(long i) : v(std::int64_t{i}) {}
    value(long long i) : v(std::int64_t{i}) {}
    value(unsigned u) : v(std::uint64_t{u}) {}
    value(unsigned long u) : v(std::uint64_t{u}) {}
    value(unsigned long long u) : v(std::uint64_t{u}) {}
    value(double d) : v(d) {}
    value(const char* s) : v(std::string(s)) {}
    value(std::string s) : v(std::move(s)) {}
    value(std::string_view s) : v(std::string(s)) {}
    value(value_list l) : v(std::move(l)) {}
    value(value_map m) : v(std::move(m)) {}

    bool is_nil() const { return std::holds_alternative<std::monostate>(v); }
    bool is_bool() const { return std::holds_alternative<bool>(v); }
    bool is_string() const { return std::holds_alternative<std::string>(v); }
    bool is_list() const { return std::holds_alternative<value_list>(v); }
    bool is_map() const { return std::holds_alternative<value_map>(v); }
    // Any integer, signed or not (msgpack encodes non-negative ints as uint).
    bool is_integer() const {
        return std::holds_alternative<std::int64_t>(v) || std::holds_alternative<std::uint64_t>(v);
    }
    bool is_number() const { return is_integer() || std::holds_alternative<double>(v); }

    const std::string& as_string() const { return std::get<std::string>(v); }
    std::string& as_string() { return std::get<std::string>(v); }
    const value_list& as_list() const { return std::get<value_list>(v); }
    const value_map& as_map() const { return std::get<value_map>(v); }
    value_list& as_list() { return std::get<value_list>(v); }
    value_map& as_map() { return std::get<value_map>(v); }
    bool as_bool() const { return std::get<bool>(v); }

    // The integer as int64 if it fits; false otherwise (not an integer, or a uint above
    // INT64_MAX).
    bool to_int64(std::int64_t& out) const;
    // The integer as uint64 if it is non-negative.
    bool to_uint64(std::uint64_t& out) const;
    double to_double() const;  // any number; 0 for others

    // Map lookup by key; nullptr when this is not a map or the key is absent.
    const value* find(std::string_view key) const;
    value* find(std::string_view key);
    // Map insert-or-assign (this must be a map or nil, which becomes a map).
    value& set(std::string_view key, value v);
};

struct member {
    std::string key;
    value val;
};

// The msgpack-ish name of a value's type, for error messages: "string", "int", "map", ...
const char* type_name(const value& v);

}  // namespace baton
