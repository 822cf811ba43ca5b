// Test input in the encodings department programs write (GB18030, Big5, UTF-16, ...): UTF-8
// text from the test converted with glibc's iconv, so a test states its rows as readable text.
#pragma once

#include <iconv.h>

#include <stdexcept>
#include <string>

namespace baton::testing {

// `utf8` in `encoding` (an iconv name such as "GB18030"); throws when iconv cannot do it.
inline std::string encoded(const std::string& utf8, const char* encoding) {
    iconv_t cd = ::iconv_open(encoding, "UTF-8");
    if (cd == reinterpret_cast<iconv_t>(-1))
        throw std::runtime_error(std::string("iconv does not know ") + encoding);
    std::string out(utf8.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(utf8.data());  // iconv's signature; it does not write
    std::size_t in_left = utf8.size();
    char* o = out.data();
    std::size_t out_left = out.size();
    std::size_t r = ::iconv(cd, &in, &in_left, &o, &out_left);
    ::iconv_close(cd);
    if (r == static_cast<std::size_t>(-1))
        throw std::runtime_error(std::string("cannot write the text in ") + encoding);
    out.resize(out.size() - out_left);
    return out;
}

}  // namespace baton::testing
