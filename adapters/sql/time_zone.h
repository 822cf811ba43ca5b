// The time zone a database keeps its date-times in (SQL Server's DATETIME, MySQL's DATETIME
// carry none): a fixed offset or an IANA zone read from the system's zoneinfo files, so the
// event time of a row means the same instant whatever the zone of the machine running baton-sql.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::adapters::sql {

class time_zone {
public:
    // A fixed offset east of UTC, in seconds.
    static time_zone fixed(std::string name, std::int64_t offset_s);

    // The instant (ms since the epoch, UTC) of a wall-clock time in this zone, given as ms since
    // the epoch as if it were UTC. In a gap (clocks going forward) or an overlap (back), the
    // offset in force just before the change is used.
    std::int64_t to_utc_ms(std::int64_t wall_ms) const;
    // The reverse: the wall-clock time in this zone of an instant, as ms since the epoch as if
    // it were UTC (what baton-sql-out writes into a DATETIME column).
    std::int64_t to_wall_ms(std::int64_t utc_ms) const;
    const std::string& name() const { return name_; }

private:
    friend std::optional<time_zone> load_time_zone(const std::string&, std::string&);
    std::int64_t offset_at(std::int64_t utc_s) const;

    std::string name_;
    std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
    std::vector<std::int32_t> offsets_;      // offset in force from each transition on
    std::int32_t initial_offset_ = 0;        // before the first transition
};

// "UTC", "+08:00", "-0500", or an IANA name ("Asia/Shanghai") read from $TZDIR or
// /usr/share/zoneinfo. nullopt with `why` when it is none of these.
std::optional<time_zone> load_time_zone(const std::string& name, std::string& why);

// A date-time written without a zone ("2026-11-20 10:00:00", "...T10:00", "....250"), as ms
// since the epoch as if it were UTC; nullopt for anything else (a date alone, a zone given).
std::optional<std::int64_t> wall_clock_ms(std::string_view text);

}  // namespace baton::adapters::sql
