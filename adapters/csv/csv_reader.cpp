// CSV reading (RFC 4180 with the habits of Excel and ERP exports) and writing for error reports.
#include "csv_reader.h"

#include <algorithm>
#include <set>

namespace baton::adapters::csv {
namespace {

struct cursor {
    std::string_view text;
    std::size_t pos = 0;
    std::size_t line = 1;

    bool done() const { return pos >= text.size(); }
    char peek() const { return text[pos]; }
    bool at_line_end() const { return done() || text[pos] == '\n' || text[pos] == '\r'; }
    // Steps over "\r\n", "\n" or a lone "\r".
    void skip_line_end() {
        if (done()) return;
        if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
        ++pos;
        ++line;
    }
};

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

record read_record(cursor& c, char delimiter) {
    record r;
    r.line = c.line;
    for (;;) {
        std::string cell;
        if (!c.done() && c.peek() == '"') {
            const std::size_t opened = c.line;
            bool closed = false;
            ++c.pos;
            while (!c.done()) {
                char ch = c.peek();
                if (ch == '"') {
                    if (c.pos + 1 < c.text.size() && c.text[c.pos + 1] == '"') {
                        cell += '"';
                        c.pos += 2;
                        continue;
                    }
                    ++c.pos;
                    closed = true;
                    break;
                }
                if (ch == '\n' ||
                    (ch == '\r' && !(c.pos + 1 < c.text.size() && c.text[c.pos + 1] == '\n')))
                    ++c.line;
                cell += ch;
                ++c.pos;
            }
            if (!closed) {
                r.error = "the quoted cell " + std::to_string(r.cells.size() + 1) +
                          " opened on line " + std::to_string(opened) +
                          " is not closed before the end of the file";
                r.cells.push_back(std::move(cell));
                return r;
            }
            while (!c.done() && (c.peek() == ' ' || c.peek() == '\t')) ++c.pos;
            if (!c.at_line_end() && c.peek() != delimiter) {
                if (r.error.empty())
                    r.error = "text after the closing quote of cell " +
                              std::to_string(r.cells.size() + 1);
                while (!c.at_line_end() && c.peek() != delimiter) cell += c.text[c.pos++];
            }
        } else {
            while (!c.at_line_end() && c.peek() != delimiter) cell += c.text[c.pos++];
        }
        r.cells.push_back(std::move(cell));
        if (!c.done() && c.peek() == delimiter) {
            ++c.pos;
            continue;
        }
        c.skip_line_end();
        return r;
    }
}

// Checks a data row against the header; sets its error when it does not fit.
void check_record(record& r, std::size_t columns) {
    if (!r.error.empty()) return;
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
        if (!is_valid_utf8(r.cells[i])) {
            r.error = "cell " + std::to_string(i + 1) +
                      " is not valid UTF-8 (for files from Windows programs set encoding, e.g. "
                      "windows-1252 or gb18030)";
            return;
        }
    }
    // Some exporters end every row with a delimiter: empty cells past the header are harmless.
    while (r.cells.size() > columns && is_blank(r.cells.back())) r.cells.pop_back();
    if (r.cells.size() != columns)
        r.error = "has " + std::to_string(r.cells.size()) + " cells, the header has " +
                  std::to_string(columns);
}

}  // namespace

bool read_table(std::string_view text, char delimiter, table& out, std::string& error) {
    out = table{};
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte-order mark
    cursor c{text};
    bool have_header = false;
    while (!c.done()) {
        record r = read_record(c, delimiter);
        bool blank =
            r.error.empty() && std::all_of(r.cells.begin(), r.cells.end(),
                                           [](const std::string& s) { return is_blank(s); });
        if (blank) continue;
        if (!have_header) {
            if (!r.error.empty()) {
                error = "line " + std::to_string(r.line) + " (the header row): " + r.error;
                return false;
            }
            std::set<std::string> seen;
            for (const auto& cell : r.cells) {
                std::string name = trimmed(cell);
                if (!is_valid_utf8(name)) {
                    error = "line " + std::to_string(r.line) +
                            " (the header row): not valid UTF-8 (for files from Windows "
                            "programs set encoding, e.g. windows-1252 or gb18030)";
                    return false;
                }
                if (!name.empty() && !seen.insert(name).second) {
                    error = "line " + std::to_string(r.line) + " (the header row): column '" +
                            name + "' appears twice";
                    return false;
                }
                out.header.push_back(std::move(name));
            }
            out.header_line = r.line;
            have_header = true;
            continue;
        }
        check_record(r, out.header.size());
        out.records.push_back(std::move(r));
    }
    if (!have_header) {
        error = "the file is empty (no header row)";
        return false;
    }
    return true;
}

std::string format_record(const std::vector<std::string>& cells, char delimiter) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) out += delimiter;
        const std::string& cell = cells[i];
        bool quote = cell.find_first_of(std::string("\"\r\n") + delimiter) != std::string::npos ||
                     (!cell.empty() && (cell.front() == ' ' || cell.back() == ' '));
        if (!quote) {
            out += cell;
            continue;
        }
        out += '"';
        for (char ch : cell) {
            if (ch == '"') out += '"';
            out += ch;
        }
        out += '"';
    }
    out += '\n';
    return out;
}

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t extra;
        char32_t cp;
        if ((b & 0xE0) == 0xC0) {
            extra = 1;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            extra = 2;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            extra = 3;
            cp = b & 0x07;
        } else {
            return false;
        }
        if (i + extra >= s.size()) return false;  // cut short
        for (std::size_t k = 1; k <= extra; ++k) {
            unsigned char cb = static_cast<unsigned char>(s[i + k]);
            if ((cb & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cb & 0x3F);
        }
        static constexpr char32_t least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += extra + 1;
    }
    return true;
}

}  // namespace baton::adapters::csv
