// Reads a table or view in watermark order: the rows after the last watermark, a batch at a
// time. A batch never ends in the middle of rows sharing one watermark value (they would be
// skipped by the next "> watermark" query), so it may run a little past `batch`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mapping.h"
#include "query.h"
#include "source.h"
#include "sql_config.h"

namespace baton::adapters::sql {

struct row_batch {
    std::vector<row> rows;                // column -> text, NULL as ""
    std::vector<std::string> watermarks;  // each row's watermark value, ascending
    bool full = false;                    // the query hit `batch`: more rows may be waiting
};

class table_reader {
public:
    table_reader(source& db, const sql_config& config);

    // Proves the table and every configured column exist. Throws baton::config_error with the
    // key that named the missing one and the database's own message.
    void check() const;

    // The rows after `after` (every row with a watermark when nullopt), oldest first. Throws
    // source_error when the database fails, or when an integer watermark holds a non-integer.
    row_batch read(const std::optional<std::string>& after);

    const table_query& query() const { return query_; }

private:
    sql_param watermark_param(const std::string& value) const;
    void append(const sql_rows& rows, row_batch& out) const;

    source& db_;
    const sql_config& config_;
    table_query query_;
    std::size_t watermark_index_ = 0;  // position of the watermark in query_.columns
};

}  // namespace baton::adapters::sql
