// How batonctl shows batond's replies to a person: aligned tables and short text, times in the
// local time zone with how long ago. Pure functions of the reply, so they are tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "value.h"

namespace baton::ctl {

// "2026-11-26 14:02:11" in local time; "-" for 0.
std::string format_time(std::int64_t ms);
// "2h13m", "3d4h", "45s": a duration in the largest two units.
std::string format_age(std::int64_t ms);
// "18,430.00" from cents.
std::string format_cents(std::int64_t cents);
// The start of the local day "2026-11-26", ms since epoch; nullopt unless it is a real date.
std::optional<std::int64_t> local_midnight_ms(const std::string& date);

std::string render_status(const value& reply, std::int64_t now_ms);
// `order`: where it stands (what has left, what is still to ship, what is owed), then lines,
// batches, shipments, invoices, payments, milestones, cases and history.
std::string render_order(const value& reply, std::int64_t now_ms);
std::string render_orders(const value& reply, std::int64_t now_ms);
// `customer`: master data, exposure against the limit, receivables by age and the open
// invoices, open orders by stage with what is still to ship, open exceptions and cases.
std::string render_customer(const value& reply, std::int64_t now_ms);
// `customers`: one row per customer, exposure against the limit, overdue, open orders and
// exceptions, blocked.
std::string render_customers(const value& reply);
std::string render_replay(const value& reply);

// `exceptions`: ID, SEVERITY, KIND, DEPT, ORDER, CUSTOMER, STATE, RAISED (time and age), DETAIL
// (clipped to about 60 characters), in the daemon's order (most severe first, then oldest).
std::string render_exceptions(const value& reply, std::int64_t now_ms);
// `tasks`: ID, DEPT, ORDER, ACTION, DUE ("in 2h0m" or "3h0m overdue"), STATE.
std::string render_tasks(const value& reply, std::int64_t now_ms);
// "E-7 acknowledged by lead" after `ack`, `resolve` or `task_done` of record `id`.
std::string render_act(const std::string& cmd, const std::string& id, const std::string& by);
// "E-7 assigned to wang.fang by lena.w", or "given back to its department" when `to` is "".
std::string render_assign(const std::string& id, const std::string& to, const std::string& by);
// `kpi` as tables for a person: stages, cycle time, OTIF, exceptions, credit holds, die lead
// time, and (when batond sends them) OTIF per quantity, complaints, invoices against delivered
// value and receivables; a table per series (`every`) and the same report per group (`by`).
std::string render_kpi(const value& reply);
// `kpi` as CSV for a spreadsheet: per section one header line starting with "section", then rows
// whose first field is the section name; durations in ms, shares as fractions of 1. With groups
// or a series every header and row has `group` and `period` after the section name ("" for the
// plant and for the whole window).
std::string render_kpi_csv(const value& reply);
// One line of `batonctl tail` for the data of an exception.<kind> relay message (or a task's,
// for task.escalation): time, state, id, severity, kind, dept, order, detail. The time is
// data.ts when present (the envelope's ts, set by the caller), else updated_at. `colour` adds
// ANSI colours by severity and state; the line ends with a newline.
std::string render_feed_line(const value& data, bool colour);

}  // namespace baton::ctl
