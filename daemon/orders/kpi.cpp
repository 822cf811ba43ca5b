// Department KPIs from orders and exception records: one pass over the orders (stage dwell,
// cycle time, OTIF, die lead time, complaints, invoices, receivables) and one over the
// exceptions, each fact counted into the report of the whole window and of its period, for the
// plant and for its group. Percentiles are nearest-rank, so every figure is a time that actually
// occurred.
#include "kpi.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "customers.h"
#include "dates.h"
#include "exceptions.h"
#include "flow.h"
#include "order.h"
#include "quantities.h"

namespace baton {

bool is_kpi_grouping(const std::string& by) {
    return std::find(std::begin(kpi_groupings), std::end(kpi_groupings), by) !=
           std::end(kpi_groupings);
}

bool is_kpi_period(const std::string& every) {
    return std::find(std::begin(kpi_periods), std::end(kpi_periods), every) !=
           std::end(kpi_periods);
}

std::int64_t nearest_rank(const std::vector<std::int64_t>& sorted, int percent) {
    if (sorted.empty()) return 0;
    std::size_t rank = (sorted.size() * static_cast<std::size_t>(percent) + 99) / 100;
    if (rank == 0) rank = 1;
    return sorted[rank - 1];
}

namespace {

bool in_window(const kpi_window& w, std::int64_t t_ms) {
    return t_ms >= w.since_ms && t_ms < w.until_ms;
}

value count_of(std::size_t n) {
    return value(static_cast<std::int64_t>(n));
}

double share(std::size_t part, std::size_t whole) {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

// Sets count, p50_ms and p90_ms of a set of durations into `out`.
void put_spread(value& out, std::vector<std::int64_t> durations_ms) {
    std::sort(durations_ms.begin(), durations_ms.end());
    out.set("count", count_of(durations_ms.size()));
    out.set("p50_ms", nearest_rank(durations_ms, 50));
    out.set("p90_ms", nearest_rank(durations_ms, 90));
}

value spread(const std::vector<std::int64_t>& durations_ms) {
    value out;
    put_spread(out, durations_ms);
    return out;
}

// --- periods --------------------------------------------------------------------------------

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

struct civil {
    int y, m, d;
};

civil civil_of(std::int64_t days) {
    const std::string s = civil_date(days);  // YYYY-MM-DD
    return {std::stoi(s.substr(0, 4)), std::stoi(s.substr(5, 2)), std::stoi(s.substr(8, 2))};
}

// The first day of the period holding `day` and the first day of the next one.
std::pair<std::int64_t, std::int64_t> period_days(const std::string& every, std::int64_t day) {
    if (every == "week") {
        // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on a Monday.
        const std::int64_t monday = day - (day + 3 - floor_div(day + 3, 7) * 7);
        return {monday, monday + 7};
    }
    const civil c = civil_of(day);
    const std::int64_t first = days_from_civil(c.y, c.m, 1);
    return {first, c.m == 12 ? days_from_civil(c.y + 1, 1, 1) : days_from_civil(c.y, c.m + 1, 1)};
}

std::string two_digits(int n) {
    return (n < 10 ? "0" : "") + std::to_string(n);
}

// "2026-W45" (the ISO year is the year of the week's Thursday) or "2026-11".
std::string period_name(const std::string& every, std::int64_t first_day) {
    if (every == "week") {
        const std::int64_t thursday = first_day + 3;
        const int year = civil_of(thursday).y;
        const std::int64_t week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
        return std::to_string(year) + "-W" + two_digits(static_cast<int>(week));
    }
    const civil c = civil_of(first_day);
    return std::to_string(c.y) + "-" + two_digits(c.m);
}

}  // namespace

std::vector<kpi_period> periods_of(const std::string& every, const kpi_window& w) {
    std::vector<kpi_period> out;
    if (!is_kpi_period(every) || w.until_ms <= w.since_ms) return out;
    std::int64_t day = floor_div(w.since_ms, day_ms);
    const std::int64_t last_day = floor_div(w.until_ms - 1, day_ms);
    while (day <= last_day) {
        const auto [first, next] = period_days(every, day);
        kpi_period p;
        p.name = period_name(every, first);
        p.window.since_ms = std::max(w.since_ms, first * day_ms);
        p.window.until_ms = std::min(w.until_ms, next * day_ms);
        out.push_back(std::move(p));
        day = next;
    }
    return out;
}

// --- tallies --------------------------------------------------------------------------------

void delivery_tally::add(const order& o, const otif_result& r) {
    if (auto placed = o.milestones.find("placed"); placed != o.milestones.end())
        if (auto arrived = o.milestones.find("delivered"); arrived != o.milestones.end())
            cycle_ms.push_back(
                std::max<std::int64_t>(0, arrived->second.at_ms - placed->second.at_ms));
    ++delivered;
    on_time += r.on_time ? 1 : 0;
    in_full += r.in_full ? 1 : 0;
    otif += r.on_time && r.in_full ? 1 : 0;
    orders_otif += r.otif ? 1 : 0;
    lines += r.lines;
    lines_otif += r.lines_otif;
}

value delivery_tally::cycle_time() const {
    return spread(cycle_ms);
}

value delivery_tally::otif_section() const {
    value v;
    v.set("delivered", count_of(delivered));
    v.set("on_time", count_of(on_time));
    v.set("in_full", count_of(in_full));
    v.set("otif", count_of(otif));
    v.set("share", share(otif, delivered));
    return v;
}

value delivery_tally::otif_quantity_section() const {
    value v;
    v.set("orders", count_of(delivered));
    v.set("orders_otif", count_of(orders_otif));
    v.set("share", share(orders_otif, delivered));
    v.set("lines", count_of(lines));
    v.set("lines_otif", count_of(lines_otif));
    v.set("lines_share", share(lines_otif, lines));
    return v;
}

namespace {

struct stage_tally {
    std::vector<std::int64_t> dwell_ms;
    std::size_t within_sla = 0;
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

// Receivables buckets, in the order the wire lists them: not yet due, then by days past due.
constexpr const auto& bucket_names = receivable_buckets;
constexpr std::size_t bucket_count = std::size(bucket_names);

struct bucket_tally {
    std::size_t count = 0;
    std::int64_t cents = 0;
};

// Everything one report counts, for one window (the whole one or a period) and one group.
struct report_tally {
    std::vector<stage_tally> stages;  // per flow stage
    delivery_tally delivery;
    std::vector<std::int64_t> die_lead_ms;
    std::map<std::pair<std::string, std::string>, resolve_tally> by_kind;  // (kind, dept)
    resolve_tally credit_holds;
    std::size_t complaints = 0;
    std::int64_t complaint_credit_cents = 0;
    std::map<std::string, std::size_t> complaint_kinds, root_causes, dies;
    std::size_t invoiced_orders = 0, uninvoiced = 0;
    std::int64_t invoiced_cents = 0, delivered_value_cents = 0;
    std::array<bucket_tally, bucket_count> receivables{};

    explicit report_tally(std::size_t stage_count) : stages(stage_count) {}
};

// Rows {<key>: name, count: n}, most frequent first, then by name.
value counted(const std::map<std::string, std::size_t>& counts, const char* key) {
    std::vector<std::pair<std::string, std::size_t>> rows(counts.begin(), counts.end());
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    value_list list;
    for (const auto& [name, n] : rows) {
        value row;
        row.set(key, name);
        row.set("count", count_of(n));
        list.push_back(std::move(row));
    }
    return value(std::move(list));
}

value report_value(const report_tally& t, const std::vector<std::size_t>& open,
                   const flow_def& flow, const kpi_window& window, std::int64_t now_ms) {
    value_list stage_rows;
    for (std::size_t i = 0; i < flow.stages.size(); ++i) {
        const stage_tally& tally = t.stages[i];
        value row;
        row.set("stage", flow.stages[i].name);
        row.set("holder", flow.stages[i].holder);
        put_spread(row, tally.dwell_ms);
        row.set("within_sla", share(tally.within_sla, tally.dwell_ms.size()));
        row.set("open", count_of(open[i]));
        // The SLA when it counts from entering the stage (one from the planned finish has no
        // single length to compare a dwell with: 0).
        row.set("sla_ms", static_cast<long long>(
                              flow.stages[i].sla_from.empty() ? flow.stages[i].sla_us / 1000 : 0));
        stage_rows.push_back(std::move(row));
    }

    value_list exception_rows;
    for (const auto& [key, tally] : t.by_kind) {
        value row;
        row.set("kind", key.first);
        row.set("dept", key.second);
        row.set("raised", count_of(tally.raised));
        row.set("resolved", count_of(tally.resolved));
        row.set("mean_resolve_ms", tally.mean_resolve_ms());
        exception_rows.push_back(std::move(row));
    }

    value credit_row;
    credit_row.set("count", count_of(t.credit_holds.raised));
    credit_row.set("resolved", count_of(t.credit_holds.resolved));
    credit_row.set("mean_resolve_ms", t.credit_holds.mean_resolve_ms());

    value window_row;
    window_row.set("since", window.since_ms);
    window_row.set("until", window.until_ms);

    value complaints;
    complaints.set("count", count_of(t.complaints));
    complaints.set("credit_cents", t.complaint_credit_cents);
    complaints.set("by_kind", counted(t.complaint_kinds, "kind"));
    complaints.set("by_root_cause", counted(t.root_causes, "root_cause"));
    complaints.set("by_die", counted(t.dies, "die"));

    value invoicing;
    invoicing.set("orders", count_of(t.invoiced_orders));
    invoicing.set("invoiced_cents", t.invoiced_cents);
    invoicing.set("delivered_value_cents", t.delivered_value_cents);
    invoicing.set("difference_cents", t.invoiced_cents - t.delivered_value_cents);
    invoicing.set("uninvoiced", count_of(t.uninvoiced));

    value receivables;
    receivables.set("as_of", now_ms);
    std::int64_t open_cents = 0;
    value_list buckets;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        value b;
        b.set("bucket", bucket_names[i]);
        b.set("count", count_of(t.receivables[i].count));
        b.set("cents", t.receivables[i].cents);
        buckets.push_back(std::move(b));
        open_cents += t.receivables[i].cents;
    }
    receivables.set("open_cents", open_cents);
    receivables.set("buckets", value(std::move(buckets)));

    value result;
    result.set("stages", value(std::move(stage_rows)));
    result.set("cycle_time", t.delivery.cycle_time());
    result.set("otif", t.delivery.otif_section());
    result.set("exceptions", value(std::move(exception_rows)));
    result.set("credit_holds", std::move(credit_row));
    result.set("die_lead_time", spread(t.die_lead_ms));
    result.set("window", std::move(window_row));
    result.set("otif_quantity", t.delivery.otif_quantity_section());
    result.set("complaints", std::move(complaints));
    result.set("invoiced_vs_delivered", std::move(invoicing));
    result.set("receivables", std::move(receivables));
    return result;
}

// The die a complaint is about: that of the line it names, else of the order's first line.
std::string die_of(const order& o, int line) {
    for (const auto& l : o.line_items)
        if (l.no == line) return l.die;
    return o.line_items.empty() ? std::string() : o.line_items.front().die.str();
}

// Tier order for people: key accounts first; unknown tiers after, by name.
int tier_rank(const std::string& tier) {
    static const char* tiers[] = {"key", "A", "B", "C"};
    for (int i = 0; i < 4; ++i)
        if (tier == tiers[i]) return i;
    return 4;
}

// The report of every (group, period) a fact falls into, filled in one pass.
class kpi_book {
public:
    kpi_book(const flow_def& flow, const customer_book& customers, const kpi_query& q,
             std::vector<kpi_period> periods)
        : flow_(flow), customers_(customers), q_(q), periods_(std::move(periods)) {
        for (std::size_t i = 0; i < flow.stages.size(); ++i)
            stage_index_.emplace(flow.stages[i].name, i);
        for (const auto& s : flow.stages)
            if (s.exit == "die_ready") {
                die_stage_ = &s;
                break;
            }
        add_group_slot("");  // slot 0: the plant as a whole
    }

    void add(const order& o) {
        const std::size_t g = group_of(&o, o.customer);
        for (const auto& visit : o.visits) {
            auto it = stage_index_.find(visit.stage);
            if (it == stage_index_.end()) continue;  // terminal positions have no SLA
            if (visit.left_ms == 0) {
                each_group(g, [&](std::size_t i) { ++groups_[i].open[it->second]; });
                continue;
            }
            const std::int64_t dwell = visit.left_ms - visit.entered_ms;
            const bool within =
                visit.left_ms <= stage_deadline_ms(o, flow_.stages[it->second], visit.entered_ms);
            each(g, visit.left_ms, [&](report_tally& t) {
                t.stages[it->second].dwell_ms.push_back(dwell);
                t.stages[it->second].within_sla += within ? 1 : 0;
            });
        }

        if (auto d = o.milestones.find("delivered"); d != o.milestones.end()) {
            if (counts(d->second.at_ms)) {
                const otif_result r = otif_of(o, flow_.tolerance);
                const std::int64_t delivered_value = delivered_value_cents(o, totals_of(o));
                const std::int64_t invoiced = o.invoiced_cents();
                each(g, d->second.at_ms, [&](report_tally& t) {
                    t.delivery.add(o, r);
                    ++t.invoiced_orders;
                    t.invoiced_cents += invoiced;
                    t.delivered_value_cents += delivered_value;
                    t.uninvoiced += o.invoices.empty() ? 1 : 0;
                });
            }
        }

        auto die = o.milestones.find("die_ready");
        if (die_stage_ && die != o.milestones.end()) {
            // From the first entry into the die stage: the lead time the customer waits for.
            for (const auto& visit : o.visits)
                if (visit.stage == die_stage_->name && visit.entered_ms <= die->second.at_ms) {
                    const std::int64_t lead = die->second.at_ms - visit.entered_ms;
                    each(g, die->second.at_ms,
                         [&](report_tally& t) { t.die_lead_ms.push_back(lead); });
                    break;
                }
        }

        for (const auto& c : o.cases) {
            if (c.kind != "complaint") continue;
            const std::string die_name = die_of(o, c.line);
            each(g, c.opened_ms, [&](report_tally& t) {
                ++t.complaints;
                t.complaint_credit_cents += c.credit_cents;
                ++t.complaint_kinds[c.complaint_kind];
                ++t.root_causes[c.root_cause];
                ++t.dies[die_name];
            });
        }

        for (const auto& inv : o.invoices) {
            const std::int64_t open = inv.amount_cents - inv.paid_cents;
            if (open <= 0) continue;
            const std::size_t bucket =
                static_cast<std::size_t>(ageing_bucket(days_overdue(inv.due_date, q_.now_ms)) + 1);
            each(g, inv.issued_ms, [&](report_tally& t) {
                ++t.receivables[bucket].count;
                t.receivables[bucket].cents += open;
            });
        }
    }

    void add(const exception_record& e, const std::unordered_map<std::string, order>& orders) {
        const order* o = nullptr;
        if (!e.order.empty())
            if (auto it = orders.find(e.order); it != orders.end()) o = &it->second;
        const std::size_t g =
            group_of(o, o && !o->customer.empty() ? o->customer.str() : e.customer);
        each(g, e.raised_ms, [&](report_tally& t) {
            t.by_kind[{kind_name(e.kind), e.dept}].add(e);
            if (e.kind == exception_kind::credit_hold) t.credit_holds.add(e);
        });
    }

    value result() const {
        value r = report_of(groups_[0]);
        if (!q_.by.empty()) {
            std::vector<std::size_t> order;
            for (std::size_t i = 1; i < groups_.size(); ++i) order.push_back(i);
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return before(groups_[a].key, groups_[b].key);
            });
            value_list list;
            for (std::size_t i : order) {
                value g;
                g.set("group", groups_[i].key);
                if (q_.by == "customer") {
                    const auto* a = customers_.find(groups_[i].key);
                    g.set("name", a ? a->master.name : std::string());
                }
                value report = report_of(groups_[i]);
                for (auto& m : report.as_map()) g.set(m.key, std::move(m.val));
                if (!q_.every.empty()) g.set("series", series_of(groups_[i]));
                list.push_back(std::move(g));
            }
            r.set("by", q_.by);
            r.set("groups", value(std::move(list)));
        }
        if (!q_.every.empty()) {
            r.set("every", q_.every);
            r.set("series", series_of(groups_[0]));
        }
        return r;
    }

private:
    struct group {
        std::string key;
        report_tally whole;
        std::vector<report_tally> periods;
        std::vector<std::size_t> open;  // per flow stage, now
    };

    std::size_t group_index(const std::string& key) {
        auto it = index_.find(key);
        if (it != index_.end()) return it->second;
        const std::size_t slot = add_group_slot(key);
        index_.emplace(key, slot);
        return slot;
    }

    // The group of an order (or of an exception without one: its customer's).
    std::size_t group_of(const order* o, const std::string& customer) {
        if (q_.by.empty()) return 0;
        std::string key;
        if (q_.by == "customer") {
            key = customer;
        } else if (q_.by == "tier") {
            const auto* a = customers_.find(customer);
            key = a ? a->master.tier : customer.empty() ? "" : "B";  // the book's default
        } else if (o) {
            key = o->salesperson;
        }
        // Slot 0 is the plant; a group keyed "" needs its own slot.
        if (key.empty()) {
            if (none_ == 0) none_ = add_group_slot("");
            return none_;
        }
        return group_index(key);
    }

    std::size_t add_group_slot(const std::string& key) {
        groups_.push_back(
            group{key, report_tally(flow_.stages.size()),
                  std::vector<report_tally>(periods_.size(), report_tally(flow_.stages.size())),
                  std::vector<std::size_t>(flow_.stages.size(), 0)});
        return groups_.size() - 1;
    }

    bool before(const std::string& a, const std::string& b) const {
        if (a.empty() != b.empty()) return b.empty();  // the group without a key last
        if (q_.by == "tier" && tier_rank(a) != tier_rank(b)) return tier_rank(a) < tier_rank(b);
        return a < b;
    }

    // Whether a fact at `t_ms` counts anywhere: in the window (periods lie within it).
    bool counts(std::int64_t t_ms) const { return in_window(q_.window, t_ms); }

    int period_of(std::int64_t t_ms) const {
        auto it = std::upper_bound(
            periods_.begin(), periods_.end(), t_ms,
            [](std::int64_t t, const kpi_period& p) { return t < p.window.since_ms; });
        if (it == periods_.begin()) return -1;
        --it;
        return in_window(it->window, t_ms) ? static_cast<int>(it - periods_.begin()) : -1;
    }

    template <typename Fn>
    void each_group(std::size_t g, Fn fn) {
        fn(0);
        if (g != 0) fn(g);
    }

    // Calls `fn` with every tally a fact at `t_ms` of group `g` counts in.
    template <typename Fn>
    void each(std::size_t g, std::int64_t t_ms, Fn fn) {
        if (!counts(t_ms)) return;
        const int p = period_of(t_ms);
        each_group(g, [&](std::size_t i) {
            fn(groups_[i].whole);
            if (p >= 0) fn(groups_[i].periods[static_cast<std::size_t>(p)]);
        });
    }

    value report_of(const group& g) const {
        return report_value(g.whole, g.open, flow_, q_.window, q_.now_ms);
    }

    value series_of(const group& g) const {
        value_list series;
        for (std::size_t i = 0; i < periods_.size(); ++i) {
            value p;
            p.set("period", periods_[i].name);
            value report = report_value(g.periods[i], g.open, flow_, periods_[i].window, q_.now_ms);
            for (auto& m : report.as_map()) p.set(m.key, std::move(m.val));
            series.push_back(std::move(p));
        }
        return value(std::move(series));
    }

    const flow_def& flow_;
    const customer_book& customers_;
    const kpi_query& q_;
    std::vector<kpi_period> periods_;
    std::map<std::string, std::size_t> stage_index_;  // stage name -> position in the flow
    const stage_def* die_stage_ = nullptr;
    std::vector<group> groups_;
    std::map<std::string, std::size_t> index_;  // group key (not "") -> slot
    std::size_t none_ = 0;                      // the slot of the group keyed "" (0: none yet)
};

// The window a series covers: the query's, but not before the period of the first fact nor
// after the period of `now` (an open window would otherwise reach 1970 and beyond today).
kpi_window series_window(const std::unordered_map<std::string, order>& orders,
                         const std::map<std::uint64_t, exception_record>& exceptions,
                         const kpi_query& q) {
    std::int64_t first = std::numeric_limits<std::int64_t>::max();
    for (const auto& [id, o] : orders)
        if (o.first_seen_ms > 0) first = std::min(first, o.first_seen_ms);
    for (const auto& [id, e] : exceptions)
        if (e.raised_ms > 0) first = std::min(first, e.raised_ms);
    kpi_window w = q.window;
    if (first == std::numeric_limits<std::int64_t>::max()) return kpi_window{0, 0};  // no facts
    const auto first_days = period_days(q.every, floor_div(first, day_ms));
    w.since_ms = std::max(w.since_ms, first_days.first * day_ms);
    const auto now_days =
        period_days(q.every, floor_div(std::max<std::int64_t>(q.now_ms, 0), day_ms));
    w.until_ms = std::min(w.until_ms, now_days.second * day_ms);
    return w;
}

}  // namespace

value compute_kpis(const std::unordered_map<std::string, order>& orders,
                   const std::map<std::uint64_t, exception_record>& exceptions,
                   const customer_book& customers, const flow_def& flow, const kpi_query& query) {
    std::vector<kpi_period> periods;
    if (!query.every.empty()) {
        periods = periods_of(query.every, series_window(orders, exceptions, query));
        // A clock far off could ask for centuries of weeks: keep the newest ones.
        constexpr std::size_t max_periods = 5000;
        if (periods.size() > max_periods)
            periods.erase(periods.begin(),
                          periods.end() - static_cast<std::ptrdiff_t>(max_periods));
    }
    kpi_book book(flow, customers, query, std::move(periods));
    for (const auto& [id, o] : orders) book.add(o);
    for (const auto& [id, e] : exceptions) book.add(e, orders);
    return book.result();
}

}  // namespace baton
