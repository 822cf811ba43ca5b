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

std::string quote_identifier(std::string_view name) {
    assert(is_identifier(name, true));
    std::string out = "\"";
    for (char c : name) {
        if (c == '.')
            out += "\".\"";
        else
            out += c;
    }
    out += '"';
    return out;
}

std::string table_query::select_list() const {
    std::string s;
    for (const auto& c : columns) s += (s.empty() ? "" : ", ") + quote_identifier(c);
    return s;
}

std::string table_query::order_by() const {
    std::string s = " ORDER BY " + quote_identifier(watermark);
    if (order_ties)
        for (const auto& c : columns)
            if (c != watermark) s += ", " + quote_identifier(c);
    return s;
}

std::string table_query::select_first() const {
    return "SELECT " + select_list() + " FROM " + quote_identifier(table) + " WHERE " +
           quote_identifier(watermark) + " IS NOT NULL" + order_by() + " LIMIT " +
           std::to_string(batch);
}

std::string table_query::select_after() const {
    return "SELECT " + select_list() + " FROM " + quote_identifier(table) + " WHERE " +
           quote_identifier(watermark) + " > " + placeholder + order_by() + " LIMIT " +
           std::to_string(batch);
}

std::string table_query::select_equal() const {
    return "SELECT " + select_list() + " FROM " + quote_identifier(table) + " WHERE " +
           quote_identifier(watermark) + " = " + placeholder + order_by();
}

std::string table_query::probe_table() const {
    return "SELECT 1 FROM " + quote_identifier(table) + " LIMIT 0";
}

std::string table_query::probe_column(const std::string& column) const {
    return "SELECT " + quote_identifier(column) + " FROM " + quote_identifier(table) + " LIMIT 0";
}

}  // namespace baton::adapters::sql
