// How batonctl shows batond's replies to a person: aligned tables and short text, times in the
// local time zone with how long ago. Pure functions of the reply, so they are tested directly.
#pragma once

#include <cstdint>
#include <string>

#include "value.h"

namespace baton::ctl {

// "2026-11-26 14:02:11" in local time; "-" for 0.
std::string format_time(std::int64_t ms);
// "2h13m", "3d4h", "45s": a duration in the largest two units.
std::string format_age(std::int64_t ms);
// "18,430.00" from cents.
std::string format_cents(std::int64_t cents);

std::string render_status(const value& reply, std::int64_t now_ms);
std::string render_order(const value& reply, std::int64_t now_ms);
std::string render_orders(const value& reply, std::int64_t now_ms);
std::string render_replay(const value& reply);

}  // namespace baton::ctl
