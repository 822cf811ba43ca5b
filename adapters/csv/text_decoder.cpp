// Decoding of whole files to UTF-8 through glibc's iconv (held by an RAII converter, so no path
// leaks a descriptor), with the line and byte of the first sequence that does not decode,
// counted in the original bytes.
#include "text_decoder.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>

namespace baton::adapters::csv {
namespace {

// "UTF-16LE", "utf_16le", "utf16le" -> "utf16le": for recognising the names handled here.
std::string key_of(std::string_view name) {
    std::string key;
    for (char c : name)
        if (c != '-' && c != '_')
            key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

bool is_windows1252(const std::string& encoding) {
    const std::string key = key_of(encoding);
    return key == "windows1252" || key == "cp1252";
}

// The code unit of UTF-16 and UTF-32 files: line breaks are counted in units, not bytes, and
// the byte-order mark decides the byte order.
struct wide_form {
    std::size_t width = 1;  // bytes per code unit; 1 for 8-bit and multibyte encodings
    bool big_endian = false;
};

wide_form wide_form_of(const std::string& encoding) {
    const std::string key = key_of(encoding);
    wide_form f;
    if (key.rfind("utf16", 0) == 0)
        f.width = 2;
    else if (key.rfind("utf32", 0) == 0)
        f.width = 4;
    else
        return f;
    f.big_endian = key.size() > 5 && key.substr(5) == "be";
    return f;
}

// One iconv descriptor from `from` to UTF-8, closed when it goes out of scope.
class converter {
public:
    explicit converter(const std::string& from) : cd_(::iconv_open("UTF-8", from.c_str())) {}
    ~converter() {
        if (ok()) ::iconv_close(cd_);
    }
    converter(const converter&) = delete;
    converter& operator=(const converter&) = delete;

    bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

    // Converts all of `in` into `out`. On failure: false, `offset` where the sequence that
    // does not decode starts, `error` EILSEQ (invalid) or EINVAL (cut off by the end).
    bool convert(std::string_view in, std::string& out, std::size_t& offset, int& error) {
        out.assign(in.size() + in.size() / 2 + 16, '\0');
        char* in_ptr = const_cast<char*>(in.data());  // iconv's signature; it does not write
        std::size_t in_left = in.size();
        std::size_t written = 0;
        bool flushing = false;  // the last call puts the converter back in its initial state
        for (;;) {
            char* out_ptr = out.data() + written;
            std::size_t out_left = out.size() - written;
            std::size_t r = flushing ? ::iconv(cd_, nullptr, nullptr, &out_ptr, &out_left)
                                     : ::iconv(cd_, &in_ptr, &in_left, &out_ptr, &out_left);
            written = static_cast<std::size_t>(out_ptr - out.data());
            if (r != static_cast<std::size_t>(-1)) {
                if (flushing) break;
                flushing = true;
                continue;
            }
            if (errno == E2BIG) {
                out.resize(out.size() * 2);
                continue;
            }
            error = errno;
            offset = in.size() - in_left;
            out.resize(written);
            return false;
        }
        out.resize(written);
        return true;
    }

private:
    iconv_t cd_;
};

std::string hex_bytes(std::string_view bytes) {
    std::string out = bytes.size() == 1 ? "byte" : "bytes";
    for (unsigned char b : bytes) {
        char buf[8];
        std::snprintf(buf, sizeof buf, " 0x%02x", b);
        out += buf;
    }
    return out;
}

// Where `offset` lies in the original file: lines are counted by U+000A code units.
decode_failure locate(std::string_view bytes, std::size_t offset, wide_form f) {
    decode_failure d;
    d.line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i + f.width <= offset; i += f.width) {
        bool newline = true;
        for (std::size_t k = 0; k < f.width; ++k) {
            const std::size_t significance = f.big_endian ? f.width - 1 - k : k;
            newline &= static_cast<unsigned char>(bytes[i + k]) == (significance == 0 ? 0x0A : 0);
        }
        if (newline) {
            ++d.line;
            line_start = i + f.width;
        }
    }
    d.line_byte = offset - line_start + 1;
    d.file_byte = offset + 1;
    return d;
}

}  // namespace

std::string normalise_encoding(std::string_view name) {
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string check_encoding(const std::string& encoding) {
    // "gb18030//IGNORE" would pass iconv_open, but it is not the name of an encoding.
    if (!encoding.empty() && encoding.find('/') == std::string::npos && converter(encoding).ok())
        return "";
    return "'" + encoding +
           "' is not an encoding iconv knows (e.g. gb18030, gbk, big5, shift_jis, windows-1252, "
           "utf-16)";
}

bool is_utf8_encoding(const std::string& encoding) {
    return key_of(encoding) == "utf8";
}

bool decode_to_utf8(std::string_view bytes, const std::string& encoding, std::string& out,
                    decode_failure& failure) {
    // A UTF-8 byte-order mark says what the file is, whatever the config expected (Excel's
    // "CSV UTF-8"); the CSV reader drops the mark and checks the rows.
    if (is_utf8_encoding(encoding) || bytes.substr(0, 3) == "\xEF\xBB\xBF") {
        out.assign(bytes);
        return true;
    }
    if (is_windows1252(encoding)) {
        out = windows1252_to_utf8(bytes);
        return true;
    }

    wide_form form = wide_form_of(encoding);
    std::string from = encoding;
    std::size_t mark = 0;  // bytes of the byte-order mark, left out of the conversion
    if (form.width > 1) {
        const std::string_view le =
            form.width == 2 ? std::string_view("\xFF\xFE", 2) : std::string_view("\xFF\xFE\0\0", 4);
        const std::string_view be =
            form.width == 2 ? std::string_view("\xFE\xFF", 2) : std::string_view("\0\0\xFE\xFF", 4);
        if (bytes.substr(0, form.width) == le) {
            form.big_endian = false;
            mark = form.width;
        } else if (bytes.substr(0, form.width) == be) {
            form.big_endian = true;
            mark = form.width;
        }
        from = std::string(form.width == 2 ? "UTF-16" : "UTF-32") + (form.big_endian ? "BE" : "LE");
    }

    converter c(from);
    if (!c.ok()) {  // checked at config load; only a hand-made config gets here
        failure = decode_failure{};
        failure.reason = check_encoding(encoding);
        return false;
    }
    std::size_t offset = 0;
    int error = 0;
    if (c.convert(bytes.substr(mark), out, offset, error)) return true;

    offset += mark;
    failure = locate(bytes, offset, form);
    const std::string_view shown = bytes.substr(offset, 2 * form.width);
    std::string what;
    if (error == EINVAL)
        what = "the file ends inside a " + encoding + " character: " + hex_bytes(shown);
    else if (error == EILSEQ)
        what = "not valid " + encoding + ": " + hex_bytes(shown);
    else
        what = "cannot be decoded as " + encoding + " (error " + std::to_string(error) + ")";
    failure.reason = "line " + std::to_string(failure.line) + ", byte " +
                     std::to_string(failure.line_byte) + " (file byte " +
                     std::to_string(failure.file_byte) + "): " + what;
    out.clear();
    return false;
}

std::string windows1252_to_utf8(std::string_view text) {
    // 0x80-0x9F; the five unassigned bytes keep their C1 code points (iconv would refuse them).
    static constexpr char16_t high[32] = {
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (unsigned char b : text) {
        char32_t cp = b >= 0x80 && b < 0xA0 ? high[b - 0x80] : b;
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

}  // namespace baton::adapters::csv
