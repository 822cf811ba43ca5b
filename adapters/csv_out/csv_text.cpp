// RFC 4180 quoting and iconv conversion (csv_text.h).
#include "csv_text.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace baton::adapters::csv_out {

namespace {

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    return s;
}

// The iconv name actually opened: plain UTF-16/32 would write a BOM at every call, so the
// little-endian form is used and the BOM written once by the file.
std::string iconv_name(const std::string& encoding) {
    std::string u = upper(encoding);
    if (u == "UTF16") return "UTF-16LE";
    if (u == "UTF32") return "UTF-32LE";
    return encoding;
}

std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

}  // namespace

std::string quote_cell(std::string_view cell, char delimiter) {
    bool quote = cell.find_first_of(std::string{delimiter, '"', '\r', '\n'}) != cell.npos ||
                 (!cell.empty() && (cell.front() == ' ' || cell.back() == ' '));
    if (!quote) return std::string(cell);
    std::string out = "\"";
    for (char c : cell) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string csv_line(const std::vector<std::string>& cells, char delimiter,
                     std::string_view line_end) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i) out += delimiter;
        out += quote_cell(cells[i], delimiter);
    }
    out += line_end;
    return out;
}

text_encoder::text_encoder(const std::string& encoding) {
    std::string name = iconv_name(encoding);
    cd_ = iconv_open(name.c_str(), "UTF-8");
    if (static_cast<iconv_t>(cd_) == reinterpret_cast<iconv_t>(-1))
        throw std::runtime_error("iconv does not know the encoding '" + encoding + "'");
    std::string u = upper(name);
    if (u == "UTF8") bom_ = "\xEF\xBB\xBF";
    if (u == "UTF16LE") bom_ = std::string("\xFF\xFE", 2);
    if (u == "UTF16BE") bom_ = std::string("\xFE\xFF", 2);
    if (u == "UTF32LE") bom_ = std::string("\xFF\xFE\0\0", 4);
    if (u == "UTF32BE") bom_ = std::string("\0\0\xFE\xFF", 4);
    unicode_ = !bom_.empty();
    std::uint64_t none = 0;
    question_ = encode("?", none);
}

text_encoder::~text_encoder() {
    iconv_close(static_cast<iconv_t>(cd_));
}

std::string text_encoder::encode(std::string_view utf8, std::uint64_t& replaced) {
    iconv_t cd = static_cast<iconv_t>(cd_);
    std::string out;
    char buf[4096];
    char* in = const_cast<char*>(utf8.data());
    std::size_t in_left = utf8.size();
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // initial shift state
    while (in_left > 0) {
        char* o = buf;
        std::size_t o_left = sizeof buf;
        std::size_t r = iconv(cd, &in, &in_left, &o, &o_left);
        out.append(buf, static_cast<std::size_t>(o - buf));
        if (r != static_cast<std::size_t>(-1)) continue;
        if (errno == E2BIG) continue;
        // EILSEQ (not representable, or not UTF-8) or EINVAL (a cut-off character at the end):
        // one '?' for the character, then go on after it.
        std::size_t skip = std::min(in_left, utf8_length(static_cast<unsigned char>(*in)));
        in += skip;
        in_left -= skip;
        ++replaced;
        out += question_;
    }
    char* o = buf;
    std::size_t o_left = sizeof buf;
    iconv(cd, nullptr, nullptr, &o, &o_left);  // back to the initial shift state
    out.append(buf, static_cast<std::size_t>(o - buf));
    return out;
}

std::optional<std::string> check_encoding(const std::string& encoding) {
    iconv_t cd = iconv_open(iconv_name(encoding).c_str(), "UTF-8");
    if (cd == reinterpret_cast<iconv_t>(-1))
        return "iconv does not know the encoding '" + encoding + "' (iconv --list names them)";
    iconv_close(cd);
    return std::nullopt;
}

}  // namespace baton::adapters::csv_out
