// UTF-8 read one sequence at a time, and the control characters a terminal acts on: shared by
// the codec's checks, the envelope's name checks, nack reasons and text printed for people.
#pragma once

#include <cstddef>
#include <string_view>

namespace baton {

// The length (1 to 4) of the well-formed UTF-8 sequence that starts at s[at], with its code
// point in `cp`; 0 when the bytes there are not UTF-8 (a stray continuation byte, a sequence
// cut short, an overlong form, a surrogate, a value past U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t at, char32_t& cp);

// C0 (U+0000 to U+001F), DEL (U+007F) and C1 (U+0080 to U+009F): characters a terminal may
// act on rather than show.
constexpr bool is_control(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

// The byte offset of the first control character in `s` (its code point in `cp`), or npos.
// Bytes that are not UTF-8 are skipped: the codec refuses them before this is asked.
std::size_t find_control(std::string_view s, char32_t& cp);

}  // namespace baton
