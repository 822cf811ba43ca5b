// Copying the loop's figures into a metrics snapshot, and counting the labelled gauges.
#include "metrics_collect.h"

#include <string_view>
#include <unordered_map>
#include <utility>

#include "batch.h"
#include "control_views.h"
#include "daemon_state.h"
#include "desk_kinds.h"

namespace baton {

namespace {

struct pair_hash {
    template <typename A, typename B>
    std::size_t operator()(const std::pair<A, B>& p) const {
        return std::hash<A>()(p.first) * 31 + std::hash<B>()(p.second);
    }
};

}  // namespace

std::shared_ptr<const label_gauges> metrics_collector::count_labels(const daemon_state& s) {
    const std::int64_t start_us = s.clock.steady_us();
    for (auto& [key, n] : orders_) n = 0;
    for (auto& [key, n] : exceptions_) n = 0;
    for (auto& [key, n] : tasks_) n = 0;
    for (const auto& st : s.flow.stages) {
        orders_.try_emplace({st.name, st.holder}, 0);
        if (!st.holder.empty()) tasks_.try_emplace(st.holder, 0);
    }
    // Counted first by what identifies a label set without copying text (an interned stage's
    // one copy, an enum, a view of the department), then added to the labels by name: a walk of
    // a million orders would otherwise build and compare two strings per order.
    std::unordered_map<std::pair<const std::string*, const std::string*>, std::uint64_t, pair_hash>
        orders;
    for (const auto& [id, o] : s.engine.orders())
        if (o.open()) ++orders[{&o.stage.str(), &o.holder.str()}];
    for (const auto& [key, n] : orders) orders_[{*key.first, *key.second}] += n;
    std::unordered_map<std::pair<int, std::string_view>, std::uint64_t, pair_hash> exceptions;
    for (const exception_record* e : s.desk.open_exception_records())
        ++exceptions[{static_cast<int>(e->kind) << 8 | static_cast<int>(e->level), e->dept}];
    for (const auto& [key, n] : exceptions)
        exceptions_[{kind_name(static_cast<exception_kind>(key.first >> 8)),
                     severity_name(static_cast<severity>(key.first & 0xff)),
                     std::string(key.second)}] += n;
    std::unordered_map<std::string_view, std::uint64_t> tasks;
    for (const auto& [id, t] : s.desk.all_tasks())
        if (t.state != task_state::done) ++tasks[t.dept];
    for (const auto& [dept, n] : tasks) tasks_[std::string(dept)] += n;

    auto g = std::make_shared<label_gauges>();
    g->orders.reserve(orders_.size());
    for (const auto& [key, n] : orders_) g->orders.push_back({key.first, key.second, n});
    g->exceptions.reserve(exceptions_.size());
    for (const auto& [key, n] : exceptions_)
        g->exceptions.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
    g->tasks.reserve(tasks_.size());
    for (const auto& [dept, n] : tasks_) g->tasks.push_back({dept, n});
    labels_ = std::move(g);
    counted_us_ = s.clock.steady_us();
    cost_us_ = counted_us_ - start_us;
    return labels_;
}

std::shared_ptr<const metrics_snapshot> metrics_collector::collect(const daemon_state& s,
                                                                   const batch_stage& stage,
                                                                   const socket_counters& sockets) {
    auto m = std::make_shared<metrics_snapshot>();
    m->stats = s.stats;
    m->auth_refused = sockets.auth_refused;
    m->handshakes_failed = sockets.handshakes_failed;
    m->feed_write_errors = s.feed.write_errors();
    m->dedup_entries = s.dedup.size();
    m->timers_pending = s.desk.pending_timers();
    m->relay_seq = s.store.last_relay_seq();
    m->journal_events = s.store.last_seq();
    m->batch_waiting = stage.waiting();
    m->storage_failing = stage.storage_failing();
    m->storage_error = stage.storage_error();
    m->feed_failing = s.feed.failing();
    m->histograms = s.histograms;
    if (!labels_ || s.clock.steady_us() - counted_us_ >= 50 * cost_us_) count_labels(s);
    m->labels = labels_;
    return m;
}

}  // namespace baton
