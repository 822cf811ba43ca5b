// Column mappings: how rows of a department system's export (CSV files, SQL tables) become
// batond events. Written in YAML by a plant's IT person, one mapping per file pattern or
// table; shared by the CSV and SQL adapters.
//
//   mappings:
//     - name: sales-orders
//       match: "orders_*.csv"          # CSV: file name glob; SQL: ignored
//       encoding: gb18030               # CSV: the files' encoding (default: the adapter's)
//       topic: sales.order.placed
//       source: sales-erp               # the envelope's source
//       order: order_no                 # column holding the order id
//       id: order_no                    # column(s) making a stable event id; default: file+row
//       ts: created_at                  # optional column with the event time
//       group_by: order_no              # optional: rows with the same key make one event
//       fields:
//         customer: {column: customer_no}
//         amount_cents: {column: total, type: cents}        # "1.234,50" -> 123450
//         promised_date: {column: due, type: date, format: "%d.%m.%Y"}
//         new_die: {column: new_die, type: bool}
//         terms: {value: credit}                            # a constant
//         lines[].item: {column: article}                   # one list item per grouped row
//         lines[].qty: {column: qty, type: number}
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config_error.h"
#include "value.h"

namespace baton::adapters {

struct field_rule {
    std::string field;   // data field; "lines[].qty" is field qty of each item of list lines
    std::string column;  // source column ("" when `constant` is used)
    std::string type = "string";  // string, int, number, bool, date, cents
    std::string format;           // date: strftime-style input format (default %Y-%m-%d)
    bool required = true;         // an empty cell is an error (false: the field is left out)
    std::optional<std::string> constant;  // a fixed value instead of a column
};

struct mapping {
    std::string name;
    std::string match;     // file name glob (CSV)
    std::string encoding;  // CSV: encoding of the matched files, "" = the adapter's
    std::string topic;
    std::string source;
    std::string order_column;             // "" for topics without an order
    std::vector<std::string> id_columns;  // empty: the caller's position-based id
    std::string ts_column;                // "" : now
    std::string ts_format;                // strftime-style; default ISO date-time or date
    std::string group_by;                 // "" : one event per row
    char decimal = '.';                   // decimal separator of numbers and cents
    std::vector<field_rule> fields;
};

// Loads and checks a mapping file; throws baton::config_error (file, key path, reason).
std::vector<mapping> load_mappings(const std::string& path);

// The first mapping whose `match` glob matches `file_name`, or null.
const mapping* match_file(const std::vector<mapping>& mappings, const std::string& file_name);

// A row: column name -> cell text.
using row = std::map<std::string, std::string>;

struct mapped_event {
    std::string id;          // stable: from the id columns, or `fallback_id`
    std::string order;       // "" when the mapping has no order column
    std::int64_t ts_ms = 0;  // from the ts column, or 0 (caller uses now)
    value data;
    std::vector<std::size_t> rows;  // indexes of the rows that made it (for error reports)
};

struct row_error {
    std::size_t row = 0;  // index in the input
    std::string reason;   // "column 'qty': expected a number, got 'abc'"
};

// Maps rows (grouped when the mapping says so). Rows that fail are reported in `errors` and
// left out; the good ones still become events. `fallback_id(i)` names row i's event when the
// mapping has no id columns (e.g. "orders_0611.csv:17").
std::vector<mapped_event> map_rows(const mapping& m, const std::vector<row>& rows,
                                   const std::function<std::string(std::size_t)>& fallback_id,
                                   std::vector<row_error>& errors);

}  // namespace baton::adapters
