// Bytes of a CSV file as importers read them: RFC 4180 quoting of a UTF-8 row, and the
// conversion of that text to the file's encoding with iconv. A character the encoding cannot
// hold becomes '?' and is counted; conversion never throws for text it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::adapters::csv_out {

// The cell quoted when it holds the delimiter, a quote, CR or LF (or starts/ends with a space),
// with quotes doubled.
std::string quote_cell(std::string_view cell, char delimiter);
// The cells quoted and joined by `delimiter`, followed by `line_end`.
std::string csv_line(const std::vector<std::string>& cells, char delimiter,
                     std::string_view line_end);

// UTF-8 -> `encoding` with glibc's iconv. "utf-16"/"utf-32" write little-endian (what Excel
// reads); their byte-order mark is bom_bytes().
class text_encoder {
public:
    // Throws std::runtime_error when iconv does not know `encoding`.
    explicit text_encoder(const std::string& encoding);
    ~text_encoder();
    text_encoder(const text_encoder&) = delete;
    text_encoder& operator=(const text_encoder&) = delete;

    // `utf8` in the target encoding; each character it cannot represent (or byte that is not
    // UTF-8) becomes '?' and adds one to `replaced`.
    std::string encode(std::string_view utf8, std::uint64_t& replaced);
    // The byte-order mark of a Unicode encoding (UTF-8, UTF-16, UTF-32); "" for the others.
    std::string bom_bytes() const { return bom_; }
    bool is_unicode() const { return unicode_; }

private:
    void* cd_;  // iconv_t
    std::string bom_;
    std::string question_;  // "?" in the target encoding
    bool unicode_ = false;
};

// Empty when iconv can convert UTF-8 to `encoding`; otherwise the reason.
std::optional<std::string> check_encoding(const std::string& encoding);

}  // namespace baton::adapters::csv_out
