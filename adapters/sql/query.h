// The SQL text baton-sql sends: identifiers from the config are validated and quoted, values
// (the watermark) only ever travel as bound parameters, never inside the text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace baton::adapters::sql {

// Letters, digits and _ only; with `allow_schema`, also one "schema.name" dot.
bool is_identifier(std::string_view name, bool allow_schema = false);

// An integer watermark value as text: optional '-', digits, within int64.
bool is_integer_watermark(const std::string& text);

// "payments" -> "\"payments\"", "fin.payments" -> "\"fin\".\"payments\"". Only for names that
// passed is_identifier. `quote` is the database's identifier quote (MySQL's is a backtick).
std::string quote_identifier(std::string_view name, char quote = '"');

// How a database writes what the standard leaves open: the identifier quote and the row limit
// (SQL Server knows only "SELECT TOP n", the others "LIMIT n").
struct sql_dialect {
    char quote = '"';
    bool top = false;  // "SELECT TOP n ..." instead of "... LIMIT n"
};

// The queries of one polled table. `placeholder` is the database's first parameter: "?" for
// SQLite, "$1" for PostgreSQL.
struct table_query {
    std::string table;
    std::vector<std::string> columns;  // selected, in this order; includes the watermark
    std::string watermark;
    std::size_t batch = 500;
    // Order rows sharing a watermark value by every selected column too, so that their
    // position (which then names their events) is the same on every read.
    bool order_ties = false;
    std::string placeholder = "?";
    sql_dialect dialect;

    // The first read: every row with a watermark, oldest first, at most `batch`.
    std::string select_first() const;
    // The next rows: watermark > the parameter, oldest first, at most `batch`.
    std::string select_after() const;
    // All rows whose watermark equals the parameter (to complete a batch that ended in a tie).
    std::string select_equal() const;
    // Probes that fail when the table, or one column of it, does not exist.
    std::string probe_table() const;
    std::string probe_column(const std::string& column) const;

private:
    std::string select_list() const;
    std::string order_by() const;
    std::string quoted(std::string_view name) const;
    std::string select_limited(const std::string& where, std::size_t limit) const;
};

}  // namespace baton::adapters::sql
