// What baton-sql-out writes into one column: a path into the relayed envelope ("seq", "order",
// "data.customer", "data.lines[0].item") and a format that turns its value into the SQL text a
// middle table expects (cents as exact DECIMAL text, ms as a local DATETIME, JSON).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "relay_follower.h"
#include "source.h"
#include "time_zone.h"

namespace baton::adapters::sql {

enum class value_format {
    as_is,     // strings as they are, integers as integers, bools 1/0, maps and lists as JSON
    cents,     // integer cents -> "1234.56" (exact, no floating point)
    datetime,  // ms since the epoch -> "YYYY-MM-DD HH:MM:SS[.mmm]" in database.time_zone
    date,      // ms since the epoch -> "YYYY-MM-DD" there; a "YYYY-MM-DD" string as it is
    json,      // any value as JSON text
};

// A parsed path: the envelope key first (seq, topic, ts, order, id, cause, source, data), then
// map keys and list indexes below `data`.
struct value_path {
    std::string text;                                           // as written in the config
    std::string head;                                           // the envelope key
    std::vector<std::variant<std::string, std::size_t>> steps;  // below data: key or [index]
};

// nullopt with `why` when `text` is not a path into an envelope.
std::optional<value_path> parse_value_path(const std::string& text, std::string& why);
// nullopt with `why` for a name other than cents, datetime, date, json.
std::optional<value_format> parse_value_format(const std::string& name, std::string& why);
const char* to_string(value_format f);

// The value the path names in the message; nil when the message does not have it.
value value_at(const value_path& path, const relayed_message& m);

// The SQL parameter for `v` in format `f` (nil becomes NULL). false with `why` when the value
// does not fit the format ("cents: expected an integer, got string"). `zone` nullopt: the
// machine's zone.
bool column_param(const value& v, value_format f, const std::optional<time_zone>& zone,
                  sql_param& out, std::string& why);

// 123456 -> "1234.56", -5 -> "-0.05".
std::string cents_text(std::int64_t cents);

}  // namespace baton::adapters::sql
