// The cells of one CSV row: each column names a path into the relayed envelope (`seq`, `topic`,
// `data.customer`, `data.lines[0].item`) and an optional format (cents, date, datetime, json).
// Paths are parsed once at config load; evaluating one never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "relay_follower.h"
#include "value.h"

namespace baton::adapters::csv_out {

enum class cell_format { text, cents, date, datetime, json };

// One step of a path: a map key or a list index.
using path_step = std::variant<std::string, std::size_t>;

struct column {
    std::string name;              // header text, UTF-8
    std::string value_path;        // as written in the config, for messages
    std::vector<path_step> steps;  // first step is an envelope key
    cell_format format = cell_format::text;
};

// Parses "data.lines[0].item" into steps; nullopt and `error` set when it is malformed or does
// not start with an envelope key (v, id, source, topic, ts, order, seq, cause, data).
std::optional<std::vector<path_step>> parse_value_path(const std::string& path, std::string& error);
// "cents", "date", "datetime", "json"; nullopt for others.
std::optional<cell_format> parse_cell_format(const std::string& name);

// The relayed envelope as one value map (v, id, source, topic, ts, order, seq, cause, data).
value envelope_as_value(const relayed_message& m);

// How times become text: UTC, or the process's local zone (TZ, set from `time_zone`).
struct clock_zone {
    bool local = false;
};
// "YYYYMMDD" / "YYYY-MM-DD" / "YYYY-MM-DD HH:MM:SS" of `ms` in the zone.
std::string compact_date(std::int64_t ms, clock_zone zone);
std::string iso_date(std::int64_t ms, clock_zone zone);
std::string iso_datetime(std::int64_t ms, clock_zone zone);

// The cell text (UTF-8) of `c` for the envelope value `env`: a missing path is an empty cell.
// A value its format cannot take (cents of a string) is an empty cell and `problem` says why.
std::string cell_text(const column& c, const value& env, clock_zone zone, std::string& problem);

}  // namespace baton::adapters::csv_out
