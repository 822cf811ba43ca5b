// Reading batond's replies on a page: a missing or wrongly typed key gives an empty value, so a
// reply from an older or newer batond still renders.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "value.h"

namespace baton::board {

inline const std::string& str_of(const value& v, std::string_view key) {
    static const std::string none;
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : none;
}

inline std::int64_t int_of(const value& v, std::string_view key) {
    const value* f = v.find(key);
    std::int64_t n = 0;
    if (f && f->to_int64(n)) return n;
    return f && f->is_number() ? static_cast<std::int64_t>(f->to_double()) : 0;
}

inline double num_of(const value& v, std::string_view key) {
    const value* f = v.find(key);
    return f ? f->to_double() : 0.0;
}

// A figure that may be missing: NaN then, which fmt_number and fmt_percent write as "—" (num_of
// reads 0, which a page would show as a real zero).
inline double figure_of(const value& v, std::string_view key) {
    const value* f = v.find(key);
    return f && f->is_number() ? f->to_double() : std::nan("");
}

// An integer only when the reply holds one: money and counts that are absent show "—", not 0.
inline std::optional<std::int64_t> maybe_int_of(const value& v, std::string_view key) {
    const value* f = v.find(key);
    std::int64_t n = 0;
    if (f && f->to_int64(n)) return n;
    return std::nullopt;
}

inline bool flag_of(const value& v, std::string_view key) {
    const value* f = v.find(key);
    return f && f->is_bool() && f->as_bool();
}

inline const value& map_of(const value& v, std::string_view key) {
    static const value none;
    const value* f = v.find(key);
    return f && f->is_map() ? *f : none;
}

inline const value_list& list_of(const value& v, std::string_view key) {
    static const value_list none;
    const value* f = v.find(key);
    return f && f->is_list() ? f->as_list() : none;
}

}  // namespace baton::board
