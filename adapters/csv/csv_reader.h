// A small CSV reader and writer for department exports (RFC 4180 plus what Excel and ERPs do:
// ';' as delimiter, a UTF-8 byte-order mark, CRLF; other encodings are decoded before, by
// text_decoder.h). Each row keeps the line it starts on, so error reports point at the line a
// person sees in an editor.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace baton::adapters::csv {

struct record {
    std::size_t line = 0;  // line of the file where the row starts; the first line is 1
    std::vector<std::string> cells;
    std::string error;  // why the row cannot be used ("" when it can)
};

struct table {
    std::vector<std::string> header;  // column names, trimmed
    std::size_t header_line = 0;
    std::vector<record> records;  // the rows after the header; blank rows are left out
};

// Reads CSV text: quoted cells may hold the delimiter, line breaks and doubled quotes ("").
// A malformed row (unclosed quote, text after a closing quote, wrong number of cells, invalid
// UTF-8) gets `error` and reading goes on. Only a file without a usable header row fails:
// false, with `error` set.
bool read_table(std::string_view text, char delimiter, table& out, std::string& error);

// One row as CSV, cells quoted where needed, ending with "\n".
std::string format_record(const std::vector<std::string>& cells, char delimiter);

bool is_valid_utf8(std::string_view s);

}  // namespace baton::adapters::csv
