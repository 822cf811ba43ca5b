// UTF-8 sequences and control characters.
#include "utf8.h"

#include <cstdint>

namespace baton {

std::size_t utf8_sequence(std::string_view s, std::size_t at, char32_t& cp) {
    if (at >= s.size()) return 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const unsigned char c = p[at];
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    std::size_t len;
    std::uint32_t v;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (at + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((p[at + k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[at + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
        (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return 0;
    cp = static_cast<char32_t>(v);
    return len;
}

std::size_t find_control(std::string_view s, char32_t& cp) {
    std::size_t i = 0;
    while (i < s.size()) {
        if (const auto b = static_cast<unsigned char>(s[i]); b >= 0x20 && b < 0x7f) {
            ++i;  // printable ASCII: most of what plants send
            continue;
        }
        char32_t c = 0;
        const std::size_t len = utf8_sequence(s, i, c);
        if (len == 0) {
            ++i;
            continue;
        }
        if (is_control(c)) {
            cp = c;
            return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

}  // namespace baton
