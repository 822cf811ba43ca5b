// What the fuzz targets share: a broken property prints what and why and aborts, so libFuzzer
// and the replay driver both keep the input as a crash; and where the source tree is (the real
// schemas and the example mappings are read from it once).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace baton::fuzz {

// Control bytes and non-ASCII escaped as \xNN, so the detail shows what broke the property.
[[noreturn]] inline void fail(const char* property, std::string_view detail) {
    std::fprintf(stderr, "fuzz: property broken: %s\n  detail: ", property);
    for (unsigned char c : detail) {
        if (c < 0x20 || c >= 0x7f || c == '\\')
            std::fprintf(stderr, "\\x%02x", c);
        else
            std::fputc(c, stderr);
    }
    std::fputc('\n', stderr);
    std::abort();
}

inline void require(bool ok, const char* property, std::string_view detail = {}) {
    if (!ok) fail(property, detail);
}

// PROTOCOL.md: a nack reason is one line; a line break would also split the log line.
inline bool is_one_line(std::string_view s) {
    return s.find_first_of("\r\n") == std::string_view::npos;
}

// The repository; the environment variable BATON_SOURCE_DIR overrides the path compiled in,
// for a binary copied away from its build tree.
inline std::string source_dir() {
    const char* env = std::getenv("BATON_SOURCE_DIR");
    return env && *env ? std::string(env) : std::string(BATON_SOURCE_DIR);
}

}  // namespace baton::fuzz
