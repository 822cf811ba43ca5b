// Department KPIs (DESIGN.md "Measuring departments"): dwell times per stage against the SLA,
// order cycle time, on-time-in-full, exceptions with time to resolve, credit holds and die lead
// time. Pure: computed from the orders' stage visits and milestones and the exception records.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>

#include "value.h"

namespace baton {

struct order;
struct exception_record;
struct flow_def;

// The half-open time range [since_ms, until_ms) a KPI report covers, ms since epoch.
struct kpi_window {
    std::int64_t since_ms = 0;
    std::int64_t until_ms = std::numeric_limits<std::int64_t>::max();
};

// The KPI report as the control command `kpi` returns it (times in ms): `stages` (in flow order:
// stage, holder, count, p50_ms, p90_ms, within_sla, open), `cycle_time` (count, p50_ms, p90_ms),
// `otif` (delivered, on_time, in_full, otif, share), `exceptions` (per kind and dept: kind, dept,
// raised, resolved, mean_resolve_ms), `credit_holds` (count, resolved, mean_resolve_ms),
// `die_lead_time` (count, p50_ms, p90_ms) and `window` (since, until). On time and in full are
// per promised quantity (quantities.h `otif_of`), within the flow's tolerance per unit.
value compute_kpis(const std::unordered_map<std::string, order>& orders,
                   const std::map<std::uint64_t, exception_record>& exceptions,
                   const flow_def& flow, const kpi_window& window);

}  // namespace baton
