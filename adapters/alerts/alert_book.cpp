// The alert book (alert_book.h): open alerts, owed resolutions, and each target's needs.
#include "alert_book.h"

#include <algorithm>
#include <cassert>

namespace baton::adapters::alerts {

alert_book::alert_book(std::vector<std::string> target_urls, book_timing timing,
                       label_options options)
    : timing_(timing), options_(std::move(options)) {
    for (auto& url : target_urls) {
        target_state t;
        t.url = std::move(url);
        t.backoff = webhook::backoff(timing_.retry);
        targets_.push_back(std::move(t));
    }
}

void alert_book::mark_dirty(const std::string& id) {
    ++change_no_;
    for (auto& t : targets_) t.dirty[id] = change_no_;
}

void alert_book::drop_resolution_of(const label_set& labels) {
    // The same label set firing again: the new alert supersedes the owed resolution.
    if (resolutions_.erase(label_key(labels))) changed_ = true;
}

void alert_book::add_resolution(const alert_content& alert, std::int64_t ends_at_ms) {
    const std::string key = label_key(alert.labels);
    // Another open exception with the same label set keeps the alert firing.
    for (const auto& [id, e] : entries_)
        if (e.alert.labels == alert.labels) return;
    resolution& r = resolutions_[key];
    r.alert = alert;
    r.ends_at_ms = std::max(ends_at_ms, alert.starts_at_ms);
    r.change = ++change_no_;
    for (std::size_t t = 0; t < targets_.size(); ++t) r.owed_by.insert(t);
    changed_ = true;
}

void alert_book::resolve_entry(const std::string& id, std::int64_t ends_at_ms) {
    auto it = entries_.find(id);
    assert(it != entries_.end());
    alert_content alert = it->second.alert;
    entries_.erase(it);
    for (auto& t : targets_) t.dirty.erase(id);
    add_resolution(alert, ends_at_ms);
    changed_ = true;
}

book_change alert_book::apply(const exception_record& in, std::int64_t now_ms) {
    auto it = entries_.find(in.id);
    if (in.resolved()) {
        if (it == entries_.end()) return book_change::none;
        std::int64_t ends =
            in.resolved_at_ms > 0 && in.resolved_at_ms <= now_ms ? in.resolved_at_ms : now_ms;
        resolve_entry(in.id, ends);
        return book_change::resolved;
    }
    if (it == entries_.end()) {
        entry e;
        e.record = in;
        e.stage = stage_label(in, "");
        e.alert = alert_for(in, e.stage, options_);
        drop_resolution_of(e.alert.labels);
        entries_.emplace(in.id, std::move(e));
        mark_dirty(in.id);
        changed_ = true;
        return book_change::added;
    }
    entry& e = it->second;
    exception_record r = in;
    if (!r.enriched) {
        r.tier = e.record.tier;
        r.customer_name = e.record.customer_name;
        r.order_stage = e.record.order_stage;
        r.enriched = e.record.enriched;
    }
    const std::string stage = stage_label(r, e.stage);
    alert_content alert = alert_for(r, stage, options_);
    if (r != e.record || stage != e.stage) changed_ = true;
    e.record = r;
    e.stage = stage;
    if (alert == e.alert) return book_change::none;
    const bool relabelled = alert.labels != e.alert.labels;
    if (relabelled) {
        alert_content old = e.alert;
        e.alert = alert;
        drop_resolution_of(alert.labels);
        add_resolution(old, now_ms);
    } else {
        e.alert = alert;
    }
    mark_dirty(r.id);
    changed_ = true;
    return relabelled ? book_change::relabelled : book_change::updated;
}

alert_book::reconcile_counts alert_book::reconcile(const std::vector<exception_record>& open,
                                                   std::int64_t now_ms) {
    reconcile_counts counts;
    std::set<std::string> ids;
    for (const auto& r : open)
        if (!r.resolved()) ids.insert(r.id);
    std::vector<std::string> gone;
    for (const auto& [id, e] : entries_)
        if (!ids.count(id)) gone.push_back(id);
    for (const auto& id : gone) {
        resolve_entry(id, now_ms);
        ++counts.resolved;
    }
    for (const auto& r : open) {
        switch (apply(r, now_ms)) {
            case book_change::added: ++counts.added; break;
            case book_change::updated:
            case book_change::relabelled: ++counts.updated; break;
            default: break;
        }
    }
    return counts;
}

std::vector<std::string> alert_book::unenriched() const {
    std::vector<std::string> ids;
    for (const auto& [id, e] : entries_)
        if (!e.record.enriched) ids.push_back(id);
    return ids;
}

const alert_content* alert_book::alert_of(const std::string& id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second.alert;
}

std::optional<delivery> alert_book::due(std::size_t target, std::int64_t now_ms) {
    assert(target < targets_.size());
    target_state& t = targets_[target];
    if (t.failing && now_ms < t.retry_at_ms) return std::nullopt;
    delivery d;
    d.target = target;
    d.full = t.failing || now_ms >= t.next_full_ms;
    const std::int64_t ends_at = now_ms + timing_.ends_after_ms;
    for (const auto& [id, e] : entries_) {
        auto dirty = t.dirty.find(id);
        if (!d.full && dirty == t.dirty.end()) continue;
        d.alerts.push_back({e.alert, ends_at});
        d.open_ids.push_back(id);
        d.open_changes.push_back(dirty == t.dirty.end() ? 0 : dirty->second);
    }
    for (const auto& [key, r] : resolutions_) {
        if (!r.owed_by.count(target)) continue;
        d.alerts.push_back({r.alert, r.ends_at_ms});
        d.resolution_keys.push_back(key);
        d.resolution_changes.push_back(r.change);
    }
    if (d.alerts.empty()) {
        // Nothing to say: a quiet book needs no resend, and a target that failed has missed
        // nothing that is still owed.
        if (d.full) t.next_full_ms = now_ms + timing_.resend_every_ms;
        t.dirty.clear();
        return std::nullopt;
    }
    return d;
}

alert_book::recovery alert_book::delivered(const delivery& d, std::int64_t now_ms) {
    target_state& t = targets_[d.target];
    for (std::size_t i = 0; i < d.open_ids.size(); ++i) {
        auto dirty = t.dirty.find(d.open_ids[i]);
        // Changed again while the POST ran: the newer change is still owed.
        if (dirty != t.dirty.end() && dirty->second <= d.open_changes[i]) t.dirty.erase(dirty);
    }
    for (std::size_t i = 0; i < d.resolution_keys.size(); ++i) {
        auto it = resolutions_.find(d.resolution_keys[i]);
        if (it == resolutions_.end() || it->second.change != d.resolution_changes[i]) continue;
        it->second.owed_by.erase(d.target);
        if (it->second.owed_by.empty()) resolutions_.erase(it);
        changed_ = true;
    }
    if (d.full) t.next_full_ms = now_ms + timing_.resend_every_ms;
    recovery r;
    if (t.failing) {
        r.recovered = true;
        r.down_ms = now_ms - t.down_since_ms;
        r.caught_up = d.alerts.size();
    }
    t.failing = false;
    t.backoff.reset();
    return r;
}

alert_book::failure alert_book::failed(std::size_t target, std::int64_t now_ms) {
    target_state& t = targets_[target];
    failure f;
    f.first = !t.failing;
    if (f.first) t.down_since_ms = now_ms;
    t.failing = true;
    f.retry_in_ms = t.backoff.next().count();
    t.retry_at_ms = now_ms + f.retry_in_ms;
    return f;
}

book_state alert_book::snapshot() const {
    book_state s;
    for (const auto& [id, e] : entries_) s.entries.push_back({e.record, e.stage, e.alert.labels});
    for (const auto& [key, r] : resolutions_) {
        saved_resolution saved{r.alert, r.ends_at_ms, {}};
        for (std::size_t t : r.owed_by) saved.owed_by.push_back(targets_[t].url);
        s.resolutions.push_back(std::move(saved));
    }
    return s;
}

void alert_book::restore(const book_state& state, std::int64_t now_ms) {
    changed_ = false;
    for (const auto& saved : state.resolutions) {
        resolution r;
        r.alert = saved.alert;
        r.ends_at_ms = saved.ends_at_ms;
        for (const auto& url : saved.owed_by)
            for (std::size_t t = 0; t < targets_.size(); ++t)
                if (targets_[t].url == url) r.owed_by.insert(t);
        if (!r.owed_by.empty())
            resolutions_[label_key(r.alert.labels)] = std::move(r);
        else
            changed_ = true;  // owed only to Alertmanagers no longer configured
    }
    for (const auto& saved : state.entries) {
        entry e;
        e.record = saved.record;
        e.stage = saved.stage;
        e.alert = alert_for(e.record, e.stage, options_);
        if (e.alert.labels != saved.posted_labels) {
            alert_content old = e.alert;
            old.labels = saved.posted_labels;
            entries_.emplace(saved.record.id, std::move(e));
            add_resolution(old, now_ms);
        } else {
            entries_.emplace(saved.record.id, std::move(e));
        }
    }
}

}  // namespace baton::adapters::alerts
