// Reading batond's replies on a page: a missing or wrongly typed key gives an empty value, so a
// reply from an older or newer batond still renders.
#pragma once

#include <cstdint>
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

inline const value_list& list_of(const value& v, std::string_view key) {
    static const value_list none;
    const value* f = v.find(key);
    return f && f->is_list() ? f->as_list() : none;
}

}  // namespace baton::board
