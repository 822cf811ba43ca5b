// Department KPIs from orders and exception records: one pass over the orders for stage dwell,
// cycle time, OTIF and die lead time, one over the exceptions. Percentiles are nearest-rank, so
// every figure is a time that actually occurred.
#include "kpi.h"

#include "quantities.h"

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "exceptions.h"
#include "flow.h"
#include "order.h"
#include "quantities.h"

namespace baton {

namespace {

bool in_window(const kpi_window& w, std::int64_t t_ms) {
    return t_ms >= w.since_ms && t_ms < w.until_ms;
}

// Nearest rank: the smallest sample at or above `percent` of the sorted samples; 0 when none.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, int percent) {
    if (sorted.empty()) return 0;
    std::size_t rank = (sorted.size() * static_cast<std::size_t>(percent) + 99) / 100;
    if (rank == 0) rank = 1;
    return sorted[rank - 1];
}

value count_of(std::size_t n) {
    return value(static_cast<std::int64_t>(n));
}

// Sets count, p50_ms and p90_ms of a set of durations into `out`; sorts them.
void put_spread(value& out, std::vector<std::int64_t>& durations_ms) {
    std::sort(durations_ms.begin(), durations_ms.end());
    out.set("count", count_of(durations_ms.size()));
    out.set("p50_ms", percentile(durations_ms, 50));
    out.set("p90_ms", percentile(durations_ms, 90));
}

value spread(std::vector<std::int64_t>& durations_ms) {
    value out;
    put_spread(out, durations_ms);
    return out;
}

double share(std::size_t part, std::size_t whole) {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

struct stage_tally {
    std::vector<std::int64_t> dwell_ms;
    std::size_t within_sla = 0;
    std::size_t open = 0;
};

struct resolve_tally {
    std::size_t raised = 0;
    std::size_t resolved = 0;
    std::int64_t resolve_total_ms = 0;

    void add(const exception_record& e) {
        ++raised;
        if (e.state != exception_state::resolved) return;
        ++resolved;
        resolve_total_ms += std::max<std::int64_t>(0, e.resolved_ms - e.raised_ms);
    }
    std::int64_t mean_resolve_ms() const {
        return resolved == 0 ? 0 : resolve_total_ms / static_cast<std::int64_t>(resolved);
    }
};

}  // namespace

value compute_kpis(const std::unordered_map<std::string, order>& orders,
                   const std::map<std::uint64_t, exception_record>& exceptions,
                   const flow_def& flow, const kpi_window& window) {
    std::map<std::string, std::size_t> stage_index;  // stage name -> position in the flow
    for (std::size_t i = 0; i < flow.stages.size(); ++i)
        stage_index.emplace(flow.stages[i].name, i);
    const stage_def* die_stage = nullptr;
    for (const auto& s : flow.stages)
        if (s.exit == "die_ready") {
            die_stage = &s;
            break;
        }

    std::vector<stage_tally> stages(flow.stages.size());
    std::vector<std::int64_t> cycle_ms, die_lead_ms;
    std::size_t delivered = 0, on_time = 0, in_full = 0, otif = 0;

    for (const auto& [id, o] : orders) {
        for (const auto& visit : o.visits) {
            auto it = stage_index.find(visit.stage);
            if (it == stage_index.end()) continue;  // terminal positions have no SLA
            stage_tally& tally = stages[it->second];
            if (visit.left_ms == 0) {
                ++tally.open;
                continue;
            }
            if (!in_window(window, visit.left_ms)) continue;
            tally.dwell_ms.push_back(visit.left_ms - visit.entered_ms);
            const stage_def& def = flow.stages[it->second];
            if (visit.left_ms <= stage_deadline_ms(o, def, visit.entered_ms)) ++tally.within_sla;
        }

        auto delivered_it = o.milestones.find("delivered");
        if (delivered_it != o.milestones.end() && in_window(window, delivered_it->second.at_ms)) {
            const std::int64_t delivered_ms = delivered_it->second.at_ms;
            if (auto placed_it = o.milestones.find("placed"); placed_it != o.milestones.end())
                cycle_ms.push_back(
                    std::max<std::int64_t>(0, delivered_ms - placed_it->second.at_ms));
            const otif_result r = otif_of(o, flow.tolerance);
            const bool timely = r.on_time;
            const bool full = r.in_full;
            ++delivered;
            on_time += timely ? 1 : 0;
            in_full += full ? 1 : 0;
            otif += timely && full ? 1 : 0;
        }

        auto die_it = o.milestones.find("die_ready");
        if (die_stage && die_it != o.milestones.end() && in_window(window, die_it->second.at_ms)) {
            // From the first entry into the die stage: the lead time the customer waits for.
            for (const auto& visit : o.visits)
                if (visit.stage == die_stage->name && visit.entered_ms <= die_it->second.at_ms) {
                    die_lead_ms.push_back(die_it->second.at_ms - visit.entered_ms);
                    break;
                }
        }
    }

    value_list stage_rows;
    for (std::size_t i = 0; i < flow.stages.size(); ++i) {
        stage_tally& tally = stages[i];
        value row;
        row.set("stage", flow.stages[i].name);
        row.set("holder", flow.stages[i].holder);
        put_spread(row, tally.dwell_ms);
        row.set("within_sla", share(tally.within_sla, tally.dwell_ms.size()));
        row.set("open", count_of(tally.open));
        stage_rows.push_back(std::move(row));
    }

    std::map<std::pair<std::string, std::string>, resolve_tally> by_kind;  // (kind, dept)
    resolve_tally credit_holds;
    for (const auto& [id, e] : exceptions) {
        if (!in_window(window, e.raised_ms)) continue;
        by_kind[{kind_name(e.kind), e.dept}].add(e);
        if (e.kind == exception_kind::credit_hold) credit_holds.add(e);
    }
    value_list exception_rows;
    for (const auto& [key, tally] : by_kind) {
        value row;
        row.set("kind", key.first);
        row.set("dept", key.second);
        row.set("raised", count_of(tally.raised));
        row.set("resolved", count_of(tally.resolved));
        row.set("mean_resolve_ms", tally.mean_resolve_ms());
        exception_rows.push_back(std::move(row));
    }

    value otif_row;
    otif_row.set("delivered", count_of(delivered));
    otif_row.set("on_time", count_of(on_time));
    otif_row.set("in_full", count_of(in_full));
    otif_row.set("otif", count_of(otif));
    otif_row.set("share", share(otif, delivered));

    value credit_row;
    credit_row.set("count", count_of(credit_holds.raised));
    credit_row.set("resolved", count_of(credit_holds.resolved));
    credit_row.set("mean_resolve_ms", credit_holds.mean_resolve_ms());

    value window_row;
    window_row.set("since", window.since_ms);
    window_row.set("until", window.until_ms);

    value result;
    result.set("stages", value(std::move(stage_rows)));
    result.set("cycle_time", spread(cycle_ms));
    result.set("otif", std::move(otif_row));
    result.set("exceptions", value(std::move(exception_rows)));
    result.set("credit_holds", std::move(credit_row));
    result.set("die_lead_time", spread(die_lead_ms));
    result.set("window", std::move(window_row));
    return result;
}

}  // namespace baton
