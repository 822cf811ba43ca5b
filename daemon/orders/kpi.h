// Department KPIs (DESIGN.md "Measuring departments"): dwell times per stage against the SLA,
// order cycle time, on-time-in-full, exceptions with time to resolve, credit holds, die lead
// time, complaints, invoices against delivered value and receivables ageing; for the whole
// plant, per customer, tier or salesperson, and as a series per ISO week or calendar month.
// Pure: computed from the orders' stage visits, milestones and pieces and the exception records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "value.h"

namespace baton {

struct order;
struct exception_record;
struct flow_def;
struct otif_result;
class customer_book;

// The half-open time range [since_ms, until_ms) a KPI report covers, ms since epoch.
struct kpi_window {
    std::int64_t since_ms = 0;
    std::int64_t until_ms = std::numeric_limits<std::int64_t>::max();
};

// What `kpi` may break a report down by, and the periods of a series, as the wire names them.
inline constexpr const char* kpi_groupings[] = {"customer", "tier", "salesperson"};
inline constexpr const char* kpi_periods[] = {"week", "month"};
bool is_kpi_grouping(const std::string& by);
bool is_kpi_period(const std::string& every);

struct kpi_query {
    kpi_window window;
    std::string by;           // "" (the plant as a whole), customer, tier or salesperson
    std::string every;        // "" (one report), week (ISO, Monday) or month; days in UTC
    std::int64_t now_ms = 0;  // receivables are aged at this moment; an open series ends here
};

// One period of a series: "2026-W45" or "2026-11", and its part of the window.
struct kpi_period {
    std::string name;
    kpi_window window;
};
// The ISO weeks or calendar months (UTC) from the one holding `w.since_ms` to the one holding
// `w.until_ms - 1`, each clipped to `w`, oldest first.
std::vector<kpi_period> periods_of(const std::string& every, const kpi_window& w);

// The KPI report as the control command `kpi` returns it (times in ms): `stages` (in flow order:
// stage, holder, count, p50_ms, p90_ms, within_sla, open), `cycle_time` (count, p50_ms, p90_ms),
// `otif` (delivered, on_time, in_full, otif, share), `exceptions` (per kind and dept: kind, dept,
// raised, resolved, mean_resolve_ms), `credit_holds` (count, resolved, mean_resolve_ms),
// `die_lead_time` (count, p50_ms, p90_ms), `window` (since, until), `otif_quantity` (orders,
// orders_otif, share, lines, lines_otif, lines_share), `complaints` (count, credit_cents,
// by_kind, by_root_cause, by_die), `invoiced_vs_delivered` (orders, invoiced_cents,
// delivered_value_cents, difference_cents, uninvoiced) and `receivables` (as_of, open_cents,
// buckets). On time and in full are per promised quantity (quantities.h `otif_of`), within the
// flow's tolerance per unit. With `by`: `by` and `groups` (the same report per group, `group`
// first); with `every`: `every` and `series` (the same report per period, `period` first; each
// group gets its own `series` too). docs/protocol.md "kpi" has every key.
value compute_kpis(const std::unordered_map<std::string, order>& orders,
                   const std::map<std::uint64_t, exception_record>& exceptions,
                   const customer_book& customers, const flow_def& flow, const kpi_query& query);

// Nearest rank: the smallest sample at or above `percent` of the sorted samples; 0 when none.
std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted, int percent);

// Cycle time and on-time-in-full of delivered orders, as the `cycle_time`, `otif` and
// `otif_quantity` sections show them (the customer view shares it).
struct delivery_tally {
    std::vector<std::int64_t> cycle_ms;  // placed -> delivered
    std::size_t delivered = 0, on_time = 0, in_full = 0, otif = 0;
    std::size_t orders_otif = 0, lines = 0, lines_otif = 0;  // per promised quantity

    // A delivered order and its otif_of.
    void add(const order& o, const otif_result& r);
    value cycle_time() const;  // count, p50_ms, p90_ms
    value otif_section() const;
    value otif_quantity_section() const;
};

}  // namespace baton
