// Identifier checks and the text of baton-sql's queries.
#include "query.h"

#include <cassert>
#include <cerrno>
#include <cstdlib>

namespace baton::adapters::sql {

namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_plain_name(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;  // 63: PostgreSQL's NAMEDATALEN - 1
    for (char c : s)
        if (!is_name_char(c)) return false;
    return true;
}

}  // namespace

bool is_identifier(std::string_view name, bool allow_schema) {
    auto dot = name.find('.');
    if (dot == std::string_view::npos) return is_plain_name(name);
    if (!allow_schema) return false;
    return is_plain_name(name.substr(0, dot)) && is_plain_name(name.substr(dot + 1));
}

bool is_integer_watermark(const std::string& text) {
    if (text.empty() || text[0] == '+' || text[0] == ' ') return false;
    char* end = nullptr;
    errno = 0;
    std::strtoll(text.c_str(), &end, 10);
    return errno == 0 && end == text.c_str() + text.size();
}

std::string quote_identifier(std::string_view name, char quote) {
    assert(is_identifier(name, true));
    std::string out(1, quote);
    for (char c : name) {
        if (c == '.') {
            out += quote;
            out += '.';
            out += quote;
        } else {
            out += c;
        }
    }
    out += quote;
    return out;
}

std::string table_query::quoted(std::string_view name) const {
    return quote_identifier(name, dialect.quote);
}

// "SELECT <columns> FROM <table> WHERE <where> ORDER BY ... LIMIT n", or with TOP n.
std::string table_query::select_limited(const std::string& where, std::size_t limit) const {
    const std::string n = std::to_string(limit);
    std::string s = "SELECT ";
    if (dialect.top) s += "TOP " + n + " ";
    s += select_list() + " FROM " + quoted(table) + " WHERE " + where + order_by();
    if (!dialect.top) s += " LIMIT " + n;
    return s;
}

std::string table_query::select_list() const {
    std::string s;
    for (const auto& c : columns) s += (s.empty() ? "" : ", ") + quoted(c);
    return s;
}

std::string table_query::order_by() const {
    std::string s = " ORDER BY " + quoted(watermark);
    if (order_ties)
        for (const auto& c : columns)
            if (c != watermark) s += ", " + quoted(c);
    return s;
}

std::string table_query::select_first() const {
    return select_limited(quoted(watermark) + " IS NOT NULL", batch);
}

std::string table_query::select_after() const {
    return select_limited(quoted(watermark) + " > " + placeholder, batch);
}

std::string table_query::select_equal() const {
    return "SELECT " + select_list() + " FROM " + quoted(table) + " WHERE " + quoted(watermark) +
           " = " + placeholder + order_by();
}

std::string table_query::probe_table() const {
    if (dialect.top) return "SELECT TOP 0 1 FROM " + quoted(table);
    return "SELECT 1 FROM " + quoted(table) + " LIMIT 0";
}

std::string table_query::probe_column(const std::string& column) const {
    if (dialect.top) return "SELECT TOP 0 " + quoted(column) + " FROM " + quoted(table);
    return "SELECT " + quoted(column) + " FROM " + quoted(table) + " LIMIT 0";
}

}  // namespace baton::adapters::sql
