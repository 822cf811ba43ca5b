// The exception desk's records: raising, escalating and resolving exceptions, the tasks they
// open, the indexes that find an order's records, what people do, the queries, and restart.
#include "exceptions.h"

#include <string_view>
#include <unordered_set>

#include <algorithm>
#include <cassert>

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

namespace {

// Into `out`, whose capacity is reused: the desk looks keys up several times per event.
void key_into(std::string& out, const std::string& order, exception_kind kind,
              const std::string& scope) {
    out.assign(order);
    out += '\x1f';
    out += kind_name(kind);
    out += '\x1f';
    out += scope;
}

std::string key_of(const std::string& order, exception_kind kind, const std::string& scope) {
    return order + '\x1f' + kind_name(kind) + '\x1f' + scope;
}

std::string silence_key(const std::string& order, exception_kind kind) {
    return order + '\x1f' + kind_name(kind);
}

std::string dept_of_topic(const std::string& topic) {
    return topic.substr(0, topic.find('.'));
}

// Most severe first, then oldest: that is the order a lead works through them.
void sort_for_people(std::vector<const exception_record*>& list, std::size_t limit) {
    std::stable_sort(list.begin(), list.end(),
                     [](const exception_record* a, const exception_record* b) {
                         if (a->level != b->level) return a->level > b->level;
                         return a->raised_ms < b->raised_ms;
                     });
    if (list.size() > limit) list.resize(limit);
}

// Soonest due first.
void sort_for_people(std::vector<const task_record*>& list, std::size_t limit) {
    std::stable_sort(list.begin(), list.end(), [](const task_record* a, const task_record* b) {
        return a->due_ms < b->due_ms;
    });
    if (list.size() > limit) list.resize(limit);
}

}  // namespace

exception_desk::exception_desk(const flow_def& flow) : flow_(flow) {}

bool exception_desk::silenced(const std::string& order, exception_kind kind,
                              std::int64_t since_ms) const {
    auto it = silenced_.find(silence_key(order, kind));
    return it != silenced_.end() && it->second == since_ms;
}

const stage_def* exception_desk::stage_named(const std::string& name) const {
    for (const auto& s : flow_.stages)
        if (s.name == name) return &s;
    return nullptr;
}

severity exception_desk::base_severity(const std::string& customer,
                                       const customer_book& customers) const {
    const auto* a = customers.find(customer);
    const std::string tier = a ? a->master.tier : "B";
    if (tier == "key"sv) return severity::high;
    if (tier == "A"sv) return severity::medium;
    return severity::low;
}

// --- records -------------------------------------------------------------------------------

exception_record* exception_desk::find_open(const std::string& order, exception_kind kind,
                                            const std::string& scope) {
    // An open exception of an order is among its records (index()).
    if (!order.empty() && !has_records(order)) return nullptr;
    key_into(key_buf_, order, kind, scope);
    auto it = open_by_key_.find(key_buf_);
    return it == open_by_key_.end() ? nullptr : &exceptions_.at(it->second);
}

bool exception_desk::has_records(const std::string& order) {
    if (!probe_.valid || probe_.order != order) {
        probe_.order.assign(order);
        probe_.has = by_order_.count(order) != 0;
        probe_.valid = true;
    }
    return probe_.has;
}

bool exception_desk::has_open(const std::string& order) const {
    auto it = by_order_.find(order);
    if (it == by_order_.end()) return false;
    for (std::uint64_t id : it->second.exceptions)
        if (exceptions_.at(id).state != exception_state::resolved) return true;
    for (std::uint64_t id : it->second.tasks)
        if (tasks_.at(id).state != task_state::done) return true;
    return false;
}

std::vector<exception_desk::retired_records> exception_desk::forget(
    const std::vector<const order*>& orders) {
    std::unordered_set<const order*> leaving(orders.begin(), orders.end());
    timers_.erase_if([&](const timer_entry& t) { return t.target && leaving.count(t.target); });
    std::vector<retired_records> out(orders.size());
    for (std::size_t i = 0; i < orders.size(); ++i) {
        auto it = by_order_.find(orders[i]->id);
        if (it == by_order_.end()) continue;
        for (std::uint64_t id : it->second.exceptions) {
            auto node = exceptions_.extract(id);
            exception_record& e = node.mapped();
            silenced_.erase(silence_key(e.order, e.kind));
            if (e.state != exception_state::resolved)  // has_open() kept such orders: never
                open_by_key_.erase(key_of(e.order, e.kind, e.scope));
            tasks_by_exception_.erase(id);
            out[i].exceptions.push_back(std::move(e));
        }
        for (std::uint64_t id : it->second.tasks) {
            auto node = tasks_.extract(id);
            if (node.mapped().state != task_state::done) --open_tasks_;
            if (auto by = tasks_by_exception_.find(node.mapped().exception_id);
                by != tasks_by_exception_.end()) {
                auto& list = by->second;
                list.erase(std::remove(list.begin(), list.end(), id), list.end());
                if (list.empty()) tasks_by_exception_.erase(by);
            }
            out[i].tasks.push_back(std::move(node.mapped()));
        }
        by_order_.erase(it);
        probe_.valid = false;
    }
    return out;
}

void exception_desk::readmit(const order& o, std::vector<exception_record> exceptions,
                             std::vector<task_record> tasks) {
    for (auto& e : exceptions) {
        if (e.state == exception_state::resolved && e.by != "baton"sv && stage_bound(e.kind) &&
            e.since_ms != 0)
            silenced_[silence_key(e.order, e.kind)] = e.since_ms;
        index(e);
        const std::uint64_t id = e.id;
        exceptions_[id] = std::move(e);
    }
    for (auto& t : tasks) {
        index(t);
        const std::uint64_t id = t.id;
        schedule_task(tasks_[id] = std::move(t));
    }
    schedule_order(o);
}

void exception_desk::reserve_ids(std::uint64_t last_exception_id, std::uint64_t last_task_id) {
    next_exception_id_ = std::max(next_exception_id_, last_exception_id + 1);
    next_task_id_ = std::max(next_task_id_, last_task_id + 1);
}

void exception_desk::index(const exception_record& e) {
    probe_.valid = false;
    if (!e.order.empty()) by_order_[e.order].exceptions.push_back(e.id);
    if (e.state != exception_state::resolved) open_by_key_[key_of(e.order, e.kind, e.scope)] = e.id;
}

void exception_desk::index(const task_record& t) {
    probe_.valid = false;
    by_order_[t.order].tasks.push_back(t.id);
    tasks_by_exception_[t.exception_id].push_back(t.id);
    if (t.state != task_state::done) ++open_tasks_;
}

std::string exception_desk::owner_of(const raise_request& r) {
    if (!r.owner.empty()) return r.owner;
    const kind_rule& rule = rule_of(r.kind);
    switch (rule.owner) {
        case owner_rule::department: return rule.dept;
        case owner_rule::stage_holder: assert(r.stage); return r.stage->holder;
        case owner_rule::current_holder:
            assert(r.o);
            return r.o->holder.empty() ? rule.dept : r.o->holder;
        case owner_rule::case_department:
            assert(r.for_case);
            return r.for_case->departments.empty() ? rule.dept : r.for_case->departments.front();
        case owner_rule::topic_department: return dept_of_topic(r.topic);
    }
    return rule.dept;
}

exception_record& exception_desk::raise(const raise_request& r, std::int64_t now_ms,
                                        desk_output& out) {
    exception_record e;
    e.id = next_exception_id_++;
    e.kind = r.kind;
    e.order = r.o ? r.o->id : "";
    e.customer = r.o ? r.o->customer : "";
    e.dept = owner_of(r);
    e.level = severity_for(r.kind, r.base, r.step);
    e.state = exception_state::open;
    e.detail = r.detail;
    if (r.stage) {
        assert(r.o && r.o->stage == r.stage->name);
        e.stage = r.o->stage;
        e.since_ms = r.o->stage_since_ms;
    }
    e.step = r.step;
    e.scope = r.for_case ? r.for_case->id : r.scope;
    e.resolve_on = r.resolve_on;
    e.raised_ms = e.updated_ms = now_ms;
    add_step(e.history, {now_ms, "baton", "raised", "", ""});
    assert(!find_open(e.order, e.kind, e.scope));
    auto& stored = exceptions_[e.id] = std::move(e);
    index(stored);
    out.exceptions.push_back({exception_transition::raised, stored, r.cause});
    return stored;
}

void exception_desk::resolve_record(exception_record& e, const std::string& by,
                                    const std::string& why, std::int64_t now_ms,
                                    const std::string& cause, desk_output& out) {
    if (e.state == exception_state::resolved) return;
    open_by_key_.erase(key_of(e.order, e.kind, e.scope));
    e.state = exception_state::resolved;
    e.by = by;
    e.note = why;
    e.resolved_ms = e.updated_ms = now_ms;
    add_step(e.history, {now_ms, by, "resolved", "", why});
    out.exceptions.push_back({exception_transition::resolved, e, cause});
    close_tasks_of(e.id, by, why, now_ms, cause, out);
}

void exception_desk::settle(const std::string& order, exception_kind kind, const std::string& why,
                            std::int64_t now_ms, const std::string& cause, desk_output& out,
                            const std::string& scope) {
    if (exception_record* e = find_open(order, kind, scope))
        resolve_record(*e, "baton", why, now_ms, cause, out);
}

void exception_desk::escalate(exception_record& e, severity level, const std::string& detail,
                              int step, std::int64_t now_ms, desk_output& out) {
    const bool new_step = step != e.step;
    e.step = step;
    if (level <= e.level && detail == e.detail) {
        // Nothing a person sees changed; the stored record (this record's latest change in
        // `out`, if that is the last one) must still carry the step, or a restart repeats it.
        if (new_step && !out.exceptions.empty() && out.exceptions.back().record.id == e.id)
            out.exceptions.back().record.step = step;
        return;
    }
    e.level = std::max(level, e.level);
    e.detail = detail;
    e.updated_ms = now_ms;
    add_step(e.history, {now_ms, "baton", "escalated", "", severity_name(e.level)});
    out.exceptions.push_back({exception_transition::escalated, e, ""});
}

void exception_desk::open_task(const exception_record& e, const std::string& dept,
                               const std::string& action, std::int64_t now_ms,
                               const std::string& cause, desk_output& out) {
    new_task(e.order, dept, action, e.id, "", now_ms, cause, out);
}

void exception_desk::open_follow_up(const order& o, const std::string& dept,
                                    const std::string& action, const std::string& answer,
                                    std::int64_t now_ms, const std::string& cause,
                                    desk_output& out) {
    new_task(o.id, dept, action, 0, answer, now_ms, cause, out);
}

void exception_desk::new_task(const std::string& order, const std::string& dept,
                              const std::string& action, std::uint64_t exception_id,
                              const std::string& answer, std::int64_t now_ms,
                              const std::string& cause, desk_output& out) {
    task_record t;
    t.id = next_task_id_++;
    t.dept = dept;
    t.order = order;
    t.action = dept + ": " + action;
    t.state = task_state::open;
    t.exception_id = exception_id;
    t.answer = answer;
    t.opened_ms = now_ms;
    t.due_ms = now_ms + flow_.task_due_us / 1000;
    add_step(t.history, {now_ms, "baton", "opened", "", ""});
    auto& stored = tasks_[t.id] = std::move(t);
    index(stored);
    schedule_task(stored);
    out.tasks.push_back({task_transition::opened, stored, cause});
}

void exception_desk::settle_all(const std::string& order, exception_kind kind,
                                const std::string& why, std::int64_t now_ms,
                                const std::string& cause, desk_output& out) {
    auto it = by_order_.find(order);
    if (it == by_order_.end()) return;
    for (std::uint64_t id : it->second.exceptions) {
        exception_record& e = exceptions_.at(id);
        if (e.kind == kind && e.state != exception_state::resolved)
            resolve_record(e, "baton", why, now_ms, cause, out);
    }
}

void exception_desk::close_task(task_record& t, const std::string& by, const std::string& why,
                                std::int64_t now_ms, const std::string& cause, desk_output& out) {
    assert(t.state != task_state::done);
    t.state = task_state::done;
    t.by = by;
    t.note = why;
    t.closed_ms = now_ms;
    add_step(t.history, {now_ms, by, "done", "", why});
    --open_tasks_;
    out.tasks.push_back({task_transition::done, t, cause});
}

void exception_desk::close_tasks_of(std::uint64_t exception_id, const std::string& by,
                                    const std::string& why, std::int64_t now_ms,
                                    const std::string& cause, desk_output& out) {
    auto it = tasks_by_exception_.find(exception_id);
    if (it == tasks_by_exception_.end()) return;
    for (std::uint64_t id : it->second) {
        task_record& t = tasks_.at(id);
        if (t.state != task_state::done) close_task(t, by, why, now_ms, cause, out);
    }
}

// --- feed gaps -----------------------------------------------------------------------------

void exception_desk::on_feed_gap(const std::string& source, const std::string& topic,
                                 std::uint64_t expected, std::uint64_t got, std::int64_t now_ms,
                                 desk_output& out) {
    std::string detail = "events from " + source + " were lost: expected seq " +
                         std::to_string(expected) + ", got " + std::to_string(got) + " (" +
                         std::to_string(got > expected ? got - expected : 0) + " missing)";
    if (exception_record* open = find_open("", exception_kind::feed_gap, source)) {
        escalate(*open, open->level, "again: " + detail, open->step, now_ms, out);
        return;
    }
    raise_request r;
    r.kind = exception_kind::feed_gap;
    r.detail = detail;
    r.topic = topic;
    r.scope = source;
    raise(r, now_ms, out);
}

// --- people --------------------------------------------------------------------------------

exception_record* exception_desk::unresolved(std::uint64_t id, std::string& error) {
    auto it = exceptions_.find(id);
    if (it == exceptions_.end()) {
        error = "exception " + exception_id_text(id) + " is not known";
        return nullptr;
    }
    if (it->second.state == exception_state::resolved) {
        error = "exception " + exception_id_text(id) + " is already resolved";
        return nullptr;
    }
    return &it->second;
}

task_record* exception_desk::undone(std::uint64_t id, std::string& error) {
    auto it = tasks_.find(id);
    if (it == tasks_.end()) {
        error = "task " + task_id_text(id) + " is not known";
        return nullptr;
    }
    if (it->second.state == task_state::done) {
        error = "task " + task_id_text(id) + " is already done";
        return nullptr;
    }
    return &it->second;
}

bool exception_desk::acknowledge(std::uint64_t id, const std::string& by, const std::string& note,
                                 std::int64_t now_ms, desk_output& out, std::string& error) {
    exception_record* e = unresolved(id, error);
    if (!e) return false;
    if (e->state == exception_state::acknowledged) {
        error = "exception " + exception_id_text(id) + " was already acknowledged by " + e->by;
        return false;
    }
    e->state = exception_state::acknowledged;
    e->by = by;
    e->note = note;
    e->updated_ms = now_ms;
    add_step(e->history, {now_ms, by, "acknowledged", "", note});
    out.exceptions.push_back({exception_transition::acknowledged, *e, ""});
    return true;
}

bool exception_desk::resolve(std::uint64_t id, const std::string& by, const std::string& note,
                             std::int64_t now_ms, desk_output& out, std::string& error) {
    exception_record* e = unresolved(id, error);
    if (!e) return false;
    // A person closed a stage's exception: the stage's clock stays quiet for this stay.
    if (stage_bound(e->kind) && e->since_ms != 0)
        silenced_[silence_key(e->order, e->kind)] = e->since_ms;
    resolve_record(*e, by, note, now_ms, "", out);
    return true;
}

bool exception_desk::task_done(std::uint64_t id, const std::string& by, const std::string& note,
                               std::int64_t now_ms, desk_output& out, std::string& error) {
    task_record* t = undone(id, error);
    if (!t) return false;
    close_task(*t, by, note, now_ms, "", out);
    return true;
}

bool exception_desk::assign(std::uint64_t id, const std::string& to, const std::string& by,
                            const std::string& note, std::int64_t now_ms, desk_output& out,
                            std::string& error) {
    exception_record* e = unresolved(id, error);
    if (!e) return false;
    e->assignee = to;
    e->updated_ms = now_ms;
    add_step(e->history, {now_ms, by, "assigned", to, note});
    out.exceptions.push_back({exception_transition::assigned, *e, ""});
    return true;
}

bool exception_desk::assign_task(std::uint64_t id, const std::string& to, const std::string& by,
                                 const std::string& note, std::int64_t now_ms, desk_output& out,
                                 std::string& error) {
    task_record* t = undone(id, error);
    if (!t) return false;
    t->assignee = to;
    add_step(t->history, {now_ms, by, "assigned", to, note});
    out.tasks.push_back({task_transition::assigned, *t, ""});
    return true;
}

// --- queries -------------------------------------------------------------------------------

std::vector<const exception_record*> exception_desk::exceptions(const exception_filter& f) const {
    std::vector<const exception_record*> out;
    auto add = [&](const exception_record& e) {
        if (f.state == "open"sv && e.state == exception_state::resolved) return;
        if (f.state != "open"sv && f.state != "all"sv && state_name(e.state) != f.state) return;
        if (!f.kind.empty() && kind_name(e.kind) != f.kind) return;
        if (!f.dept.empty() && e.dept != f.dept) return;
        if (!f.order.empty() && e.order != f.order) return;
        if (!f.assignee.empty() && e.assignee != f.assignee) return;
        out.push_back(&e);
    };
    // Newest first before sorting, so equal ones keep that order.
    if (f.id != 0) {
        if (auto it = exceptions_.find(f.id); it != exceptions_.end()) add(it->second);
    } else if (f.order.empty()) {
        for (auto it = exceptions_.rbegin(); it != exceptions_.rend(); ++it) add(it->second);
    } else if (auto of = by_order_.find(f.order); of != by_order_.end()) {
        const auto& ids = of->second.exceptions;
        for (auto it = ids.rbegin(); it != ids.rend(); ++it) add(exceptions_.at(*it));
    }
    sort_for_people(out, f.limit);
    return out;
}

std::vector<const exception_record*> exception_desk::open_exception_records() const {
    std::vector<const exception_record*> out;
    out.reserve(open_by_key_.size());
    // A walk of the records in id order costs about what a twentieth of a lookup in them costs
    // per record: the walk, when the open ones are more than one in sixteen (at start, or in a
    // plant whose history leaves memory), else a lookup of each open one from the index.
    // The index holds one record per (order, kind, scope): should stored records share one,
    // the walk finds more than the index, and the index's answer is given either way.
    if (open_by_key_.size() * 16 >= exceptions_.size()) {
        for (const auto& [id, e] : exceptions_)
            if (e.state != exception_state::resolved) out.push_back(&e);
        if (out.size() == open_by_key_.size()) return out;
        out.clear();
    }
    for (const auto& [key, id] : open_by_key_) out.push_back(&exceptions_.at(id));
    return out;
}

std::vector<const task_record*> exception_desk::tasks(const task_filter& f) const {
    std::vector<const task_record*> out;
    auto add = [&](const task_record& t) {
        if (f.state == "open"sv && t.state == task_state::done) return;
        if (f.state != "open"sv && f.state != "all"sv && state_name(t.state) != f.state) return;
        if (!f.dept.empty() && t.dept != f.dept) return;
        if (!f.order.empty() && t.order != f.order) return;
        if (!f.assignee.empty() && t.assignee != f.assignee) return;
        out.push_back(&t);
    };
    if (f.id != 0) {
        if (auto it = tasks_.find(f.id); it != tasks_.end()) add(it->second);
    } else if (f.order.empty()) {
        for (auto it = tasks_.rbegin(); it != tasks_.rend(); ++it) add(it->second);
    } else if (auto of = by_order_.find(f.order); of != by_order_.end()) {
        const auto& ids = of->second.tasks;
        for (auto it = ids.rbegin(); it != ids.rend(); ++it) add(tasks_.at(*it));
    }
    sort_for_people(out, f.limit);
    return out;
}

std::vector<const exception_record*> exception_desk::exceptions_of(const std::string& order) const {
    exception_filter f;
    f.state = "all";
    f.order = order;
    return exceptions(f);
}

std::vector<const task_record*> exception_desk::tasks_of(const std::string& order) const {
    task_filter f;
    f.state = "all";
    f.order = order;
    return tasks(f);
}

// --- restart and reload --------------------------------------------------------------------

void exception_desk::set_flow(const flow_def& flow, const order_engine& engine,
                              std::int64_t now_ms) {
    (void)now_ms;
    flow_ = flow;
    timers_.clear();
    timers_.reserve(engine.orders().size() * 2 + tasks_.size());
    for (const auto& [id, t] : tasks_) schedule_task(t);
    for (const auto& [id, o] : engine.orders()) schedule_order(o);
}

void exception_desk::restore(std::vector<exception_record> exceptions,
                             std::vector<task_record> tasks, const order_engine& engine,
                             std::int64_t now_ms) {
    (void)now_ms;
    restore_records(std::move(exceptions), std::move(tasks));
    schedule_orders(engine);
}

void exception_desk::restore_records(std::vector<exception_record> exceptions,
                                     std::vector<task_record> tasks) {
    exceptions_.clear();
    tasks_.clear();
    open_by_key_.clear();
    by_order_.clear();
    probe_.valid = false;
    tasks_by_exception_.clear();
    open_tasks_ = 0;
    timers_.clear();
    silenced_.clear();
    // Room for the indexes at once (at most one entry a record), not grown again and again.
    by_order_.reserve(exceptions.size() + tasks.size());
    open_by_key_.reserve(exceptions.size());
    tasks_by_exception_.reserve(tasks.size());
    for (auto& e : exceptions) {
        next_exception_id_ = std::max(next_exception_id_, e.id + 1);
        if (e.state == exception_state::resolved && e.by != "baton"sv && stage_bound(e.kind) &&
            e.since_ms != 0)
            silenced_[silence_key(e.order, e.kind)] = e.since_ms;
        const std::uint64_t id = e.id;
        exceptions_.insert_or_assign(exceptions_.end(), id, std::move(e));  // ids come ascending
    }
    for (const auto& [id, e] : exceptions_) index(e);  // by id: the indexes stay ascending
    timers_.reserve(tasks.size());
    for (auto& t : tasks) {
        next_task_id_ = std::max(next_task_id_, t.id + 1);
        const std::uint64_t id = t.id;
        schedule_task(tasks_.insert_or_assign(tasks_.end(), id, std::move(t))->second);
    }
    for (const auto& [id, t] : tasks_) index(t);
}

void exception_desk::schedule_orders(const order_engine& engine) {
    timers_.reserve(timers_.size() + engine.orders().size() * 2);
    for (const auto& [id, o] : engine.orders()) schedule_order(o);
}

}  // namespace baton
