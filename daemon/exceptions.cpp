// The exception desk: raising, escalating and resolving exceptions, and the tasks they open.
#include "exceptions.h"

#include <algorithm>
#include <cassert>

#include "format.h"

namespace baton {

namespace {

std::string key_of(const std::string& order, const std::string& kind, const std::string& scope) {
    return order + '\x1f' + kind + '\x1f' + scope;
}

std::string text(const value& data, const char* key) {
    const value* v = data.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

severity raise_by(severity s, int steps) {
    int v = static_cast<int>(s) + steps;
    return static_cast<severity>(std::clamp(v, 0, static_cast<int>(severity::critical)));
}

// The exception a stage raises when it overruns its SLA.
const char* kind_for_stage(const stage_def& s) {
    if (s.exit == "die_ready") return "die_overdue";
    if (s.exit == "paid") return "payment_overdue";
    if (s.exit == "invoiced") return "invoice_missing";
    return "stage_overdue";
}

bool stage_bound(const std::string& kind) {
    return kind == "stage_overdue" || kind == "die_overdue" || kind == "payment_overdue" ||
           kind == "invoice_missing";
}

std::string dept_of_topic(const std::string& topic) {
    return topic.substr(0, topic.find('.'));
}

}  // namespace

const char* severity_name(severity s) {
    switch (s) {
        case severity::warning: return "warning";
        case severity::low: return "low";
        case severity::medium: return "medium";
        case severity::high: return "high";
        case severity::critical: return "critical";
    }
    return "low";
}

std::optional<severity> severity_from(const std::string& name) {
    for (auto s :
         {severity::warning, severity::low, severity::medium, severity::high, severity::critical})
        if (name == severity_name(s)) return s;
    return std::nullopt;
}

// --- (de)serialisation -------------------------------------------------------------------

value to_value(const exception_record& e) {
    value v;
    v.set("id", exception_id_text(e.id));
    v.set("kind", e.kind);
    v.set("severity", severity_name(e.level));
    v.set("dept", e.dept);
    v.set("order", e.order);
    v.set("customer", e.customer);
    v.set("state", e.state);
    v.set("raised_at", static_cast<long long>(e.raised_ms));
    v.set("updated_at", static_cast<long long>(e.updated_ms));
    v.set("resolved_at", static_cast<long long>(e.resolved_ms));
    v.set("detail", e.detail);
    v.set("stage", e.stage);
    v.set("since", static_cast<long long>(e.since_ms));
    v.set("scope", e.scope);
    value_list on;
    for (const auto& m : e.resolve_on) on.emplace_back(m);
    v.set("resolve_on", value(std::move(on)));
    v.set("step", e.step);
    v.set("by", e.by);
    v.set("note", e.note);
    return v;
}

exception_record exception_from_value(const value& v) {
    exception_record e;
    e.id = parse_record_id(text(v, "id"), 'E').value_or(0);
    e.kind = text(v, "kind");
    e.level = severity_from(text(v, "severity")).value_or(severity::low);
    e.dept = text(v, "dept");
    e.order = text(v, "order");
    e.customer = text(v, "customer");
    e.state = text(v, "state");
    auto num = [&](const char* k) {
        std::int64_t n = 0;
        if (const value* f = v.find(k)) f->to_int64(n);
        return n;
    };
    e.raised_ms = num("raised_at");
    e.updated_ms = num("updated_at");
    e.resolved_ms = num("resolved_at");
    e.detail = text(v, "detail");
    e.stage = text(v, "stage");
    e.since_ms = num("since");
    e.scope = text(v, "scope");
    if (const value* on = v.find("resolve_on"); on && on->is_list())
        for (const auto& m : on->as_list())
            if (m.is_string()) e.resolve_on.push_back(m.as_string());
    e.step = static_cast<int>(num("step"));
    e.by = text(v, "by");
    e.note = text(v, "note");
    return e;
}

value to_value(const task_record& t) {
    value v;
    v.set("id", task_id_text(t.id));
    v.set("dept", t.dept);
    v.set("order", t.order);
    v.set("action", t.action);
    v.set("due_at", static_cast<long long>(t.due_ms));
    v.set("state", t.state);
    v.set("exception", t.exception_id ? exception_id_text(t.exception_id) : std::string());
    v.set("opened_at", static_cast<long long>(t.opened_ms));
    v.set("closed_at", static_cast<long long>(t.closed_ms));
    v.set("by", t.by);
    v.set("note", t.note);
    return v;
}

task_record task_from_value(const value& v) {
    task_record t;
    t.id = parse_record_id(text(v, "id"), 'T').value_or(0);
    t.dept = text(v, "dept");
    t.order = text(v, "order");
    t.action = text(v, "action");
    t.state = text(v, "state");
    t.exception_id = parse_record_id(text(v, "exception"), 'E').value_or(0);
    auto num = [&](const char* k) {
        std::int64_t n = 0;
        if (const value* f = v.find(k)) f->to_int64(n);
        return n;
    };
    t.due_ms = num("due_at");
    t.opened_ms = num("opened_at");
    t.closed_ms = num("closed_at");
    t.by = text(v, "by");
    t.note = text(v, "note");
    return t;
}

// --- the desk ----------------------------------------------------------------------------

exception_desk::exception_desk(const flow_def& flow) : flow_(flow) {}

const stage_def* exception_desk::stage_named(const std::string& name) const {
    for (const auto& s : flow_.stages)
        if (s.name == name) return &s;
    return nullptr;
}

severity exception_desk::base_severity(const std::string& customer,
                                       const customer_book& customers) const {
    const auto* a = customers.find(customer);
    const std::string tier = a ? a->master.tier : "B";
    if (tier == "key") return severity::high;
    if (tier == "A") return severity::medium;
    return severity::low;
}

exception_record* exception_desk::find_open(const std::string& order, const std::string& kind,
                                            const std::string& scope) {
    auto it = open_by_key_.find(key_of(order, kind, scope));
    return it == open_by_key_.end() ? nullptr : &exceptions_.at(it->second);
}

exception_record& exception_desk::raise(const std::string& kind, const order* o,
                                        const std::string& customer, const std::string& dept,
                                        severity level, const std::string& detail,
                                        std::int64_t now_ms, const std::string& cause,
                                        desk_output& out) {
    assert(is_exception_kind(kind));
    exception_record e;
    e.id = next_exception_id_++;
    e.kind = kind;
    e.order = o ? o->id : "";
    e.customer = customer;
    e.dept = dept;
    e.level = level;
    e.state = "open";
    e.detail = detail;
    e.raised_ms = e.updated_ms = now_ms;
    auto& stored = exceptions_[e.id] = std::move(e);
    open_by_key_[key_of(stored.order, stored.kind, stored.scope)] = stored.id;
    out.exceptions.push_back({"raised", stored, cause});
    return stored;
}

void exception_desk::resolve_record(exception_record& e, const std::string& by,
                                    const std::string& why, std::int64_t now_ms,
                                    const std::string& cause, desk_output& out) {
    if (e.state == "resolved") return;
    open_by_key_.erase(key_of(e.order, e.kind, e.scope));
    e.state = "resolved";
    e.by = by;
    e.note = why;
    e.resolved_ms = e.updated_ms = now_ms;
    out.exceptions.push_back({"resolved", e, cause});
    close_tasks_of(e.id, by, why, now_ms, cause, out);
}

void exception_desk::escalate(exception_record& e, severity level, const std::string& detail,
                              std::int64_t now_ms, desk_output& out) {
    if (level <= e.level && detail == e.detail) return;
    e.level = std::max(level, e.level);
    e.detail = detail;
    e.updated_ms = now_ms;
    out.exceptions.push_back({"escalated", e, ""});
}

void exception_desk::open_task(const exception_record& e, const std::string& dept,
                               const std::string& action, std::int64_t now_ms,
                               const std::string& cause, desk_output& out) {
    task_record t;
    t.id = next_task_id_++;
    t.dept = dept;
    t.order = e.order;
    t.action = dept + ": " + action;
    t.state = "open";
    t.exception_id = e.id;
    t.opened_ms = now_ms;
    t.due_ms = now_ms + flow_.task_due_us / 1000;
    auto& stored = tasks_[t.id] = std::move(t);
    timers_.push(
        {stored.due_ms, nullptr, static_cast<std::int64_t>(stored.id), 0, timer_kind::task, 0});
    out.tasks.push_back({"opened", stored, cause});
}

void exception_desk::close_tasks_of(std::uint64_t exception_id, const std::string& by,
                                    const std::string& why, std::int64_t now_ms,
                                    const std::string& cause, desk_output& out) {
    for (auto& [id, t] : tasks_) {
        if (t.exception_id != exception_id || t.state == "done") continue;
        t.state = "done";
        t.by = by;
        t.note = why;
        t.closed_ms = now_ms;
        out.tasks.push_back({"done", t, cause});
    }
}

std::int64_t exception_desk::stage_deadline(const order& o, const stage_def& s) const {
    return stage_deadline_ms(o, s, o.stage_since_ms);
}

void exception_desk::schedule_stage(const order& o, int step) {
    const stage_def* s = stage_named(o.stage);
    if (!s || !o.open()) return;
    const std::int64_t deadline = stage_deadline(o, *s);
    // Escalation steps: the time from entry to the deadline, but never less than the SLA (a
    // planned_finish deadline can be minutes after entry, or already past).
    const std::int64_t span =
        std::max<std::int64_t>({deadline - o.stage_since_ms, s->sla_us / 1000, 1000});
    std::int64_t due;
    if (step == 0)
        due = deadline - span * (100 - flow_.warning_percent) / 100;
    else
        due = deadline + (step - 1) * span;
    // Entry time and visit number together name this stay: two stage changes in the same
    // millisecond (one batch) must not let the old stage's timer judge the new stage.
    timers_.push({due, &o, o.stage_since_ms, static_cast<std::uint32_t>(o.visits.size()),
                  timer_kind::stage, static_cast<std::uint8_t>(std::min(step, 255))});
}

void exception_desk::schedule_order(const order& o, std::int64_t now_ms) {
    (void)now_ms;
    if (!o.open()) return;
    if (const stage_def* s = stage_named(o.stage)) {
        int step = 0;
        auto it = open_by_key_.find(key_of(o.id, kind_for_stage(*s), ""));
        if (it != open_by_key_.end() && exceptions_.at(it->second).stage == o.stage)
            step = exceptions_.at(it->second).step + 1;
        schedule_stage(o, step);
    }
    if (o.placed && !o.has("delivered") && !find_open(o.id, "delivery_late"))
        if (auto start = date_start_ms(o.promised_date))
            timers_.push({*start + day_ms, &o, *start, 0, timer_kind::promise, 0});
    for (std::uint32_t i = 0; i < o.cases.size(); ++i) {
        const order_case& c = o.cases[i];
        if (c.state != "open" || find_open(o.id, "case_overdue", c.id)) continue;
        std::int64_t sla = (c.kind == "complaint" ? flow_.complaint_sla_us : flow_.return_sla_us);
        timers_.push({c.opened_ms + sla / 1000, &o, c.opened_ms, i, timer_kind::case_due, 0});
    }
}

void exception_desk::check_delivery_risk(const order& o, const customer_book& customers,
                                         std::int64_t now_ms, const std::string& cause,
                                         desk_output& out) {
    exception_record* open = find_open(o.id, "delivery_at_risk");
    auto promised = date_start_ms(o.promised_date);
    if (!o.open() || !o.placed || o.has("delivered") || !promised) {
        if (open) resolve_record(*open, "baton", "no longer at risk", now_ms, cause, out);
        return;
    }
    // When production will be done: now if it is, else the end of the planned finish day.
    std::int64_t start;
    std::string basis;
    if (o.has("produced")) {
        start = now_ms;
        basis = "produced";
    } else if (auto finish = date_start_ms(o.planned_finish)) {
        start = std::max(*finish + day_ms, now_ms);
        basis = "planned finish " + o.planned_finish;
    } else {
        return;  // not scheduled yet: no basis for a prediction
    }
    // Then every remaining stage up to delivery takes its SLA.
    std::int64_t remaining = 0;
    std::string path;
    bool after_production = false;
    for (const auto& s : flow_.stages) {
        if (s.exit == "produced") {
            after_production = true;
            continue;
        }
        if (!after_production || !stage_applies(s, o) || o.has(s.exit)) {
            if (s.exit == "delivered" && after_production) break;
            continue;
        }
        remaining += s.sla_us / 1000;
        path += ", then " + s.name + " " + duration_text(s.sla_us / 1000);
        if (s.exit == "delivered") break;
    }
    const std::int64_t predicted = start + remaining;
    const std::int64_t promised_end = *promised + day_ms;
    if (predicted > promised_end) {
        if (open) return;
        std::string detail = o.id + " may miss its promised date " + o.promised_date + ": " +
                             basis + path + " gives " + utc_minute_text(predicted);
        auto& e = raise("delivery_at_risk", &o, o.customer, "production",
                        base_severity(o.customer, customers), detail, now_ms, cause, out);
        open_task(e, "sales", "agree a new date with " + o.customer + " or expedite " + o.id,
                  now_ms, cause, out);
    } else if (open) {
        resolve_record(*open, "baton", "the plan meets the promised date again", now_ms, cause,
                       out);
    }
}

void exception_desk::on_event(const order_change& change, const envelope& event,
                              const order_engine& engine, std::int64_t now_ms, desk_output& out) {
    if (!change.o) return;
    const order& o = *change.o;
    const customer_book& customers = engine.customers();
    const std::string& cause = event.id;
    const std::string& topic = event.topic;
    const severity base = base_severity(o.customer, customers);

    // Facts about an order sales never placed.
    if (!o.placed && !o.cancelled) {
        if (!find_open(o.id, "unknown_order")) {
            auto& e = raise("unknown_order", &o, "", "sales", severity::medium,
                            o.id + ": " + topic + " from " + event.source +
                                " arrived but sales never placed this order",
                            now_ms, cause, out);
            open_task(e, "sales",
                      "enter order " + o.id + " or have " + event.source + " correct the order id",
                      now_ms, cause, out);
        }
    } else if (o.placed) {  // a cancel resolves it below, as cancelled
        if (exception_record* e = find_open(o.id, "unknown_order"))
            resolve_record(*e, "baton", "the order was placed", now_ms, cause, out);
    }

    // Facts that contradict the rules.
    for (const auto& a : change.anomalies) {
        exception_record* e = find_open(o.id, "out_of_sequence");
        if (!e) {
            e = &raise("out_of_sequence", &o, o.customer, dept_of_topic(topic), severity::low,
                       o.id + ": " + a.detail + " (" + topic + " " + event.id + ")", now_ms, cause,
                       out);
            open_task(*e, dept_of_topic(topic), "check " + topic + " " + event.id + " on " + o.id,
                      now_ms, cause, out);
        }
        const std::vector<std::string> before = e->resolve_on;
        if (a.cleared_by.empty())
            e->resolve_on.clear(), e->resolve_on.push_back("");  // only a person clears it
        else if (std::find(e->resolve_on.begin(), e->resolve_on.end(), a.cleared_by) ==
                 e->resolve_on.end())
            e->resolve_on.push_back(a.cleared_by);
        if (e->resolve_on == before) continue;
        // The stored record must carry what clears it, or a restart would forget it.
        bool in_output = false;
        for (auto& ev : out.exceptions)
            if (ev.record.id == e->id) ev.record.resolve_on = e->resolve_on, in_output = true;
        if (!in_output) out.exceptions.push_back({"updated", *e, cause});
    }
    if (exception_record* e = find_open(o.id, "out_of_sequence"); e && !e->resolve_on.empty()) {
        bool cleared = std::all_of(e->resolve_on.begin(), e->resolve_on.end(),
                                   [&](const std::string& m) { return !m.empty() && o.has(m); });
        if (cleared) resolve_record(*e, "baton", "the missing facts arrived", now_ms, cause, out);
    }

    // Credit.
    const bool approved = o.has("credit_approved");
    if (topic == "finance.credit.rejected" && !approved && !find_open(o.id, "credit_hold")) {
        std::string reason = text(event.data, "reason");
        auto& e = raise("credit_hold", &o, o.customer, "finance", base,
                        o.id + " is on credit hold" + (reason.empty() ? "" : ": " + reason), now_ms,
                        cause, out);
        open_task(e, "finance", "review the credit hold on " + o.id, now_ms, cause, out);
        open_task(e, "sales", "talk to " + o.customer + " about the credit hold on " + o.id, now_ms,
                  cause, out);
    }
    if (topic == "sales.order.placed" && engine.flow().auto_credit && o.terms == "credit" &&
        !approved && !find_open(o.id, "credit_hold")) {
        // The same test the relay uses to approve by itself, failed on the limit alone.
        if (const auto* a = customers.find(o.customer);
            a && a->master.terms == "credit" && a->master.credit_limit_cents > 0 &&
            a->exposure_cents() > a->master.credit_limit_cents) {
            auto& e = raise("credit_hold", &o, o.customer, "finance", base,
                            o.id + " is over the credit limit of " + o.customer + ": exposure " +
                                money_text(a->exposure_cents()) + ", limit " +
                                money_text(a->master.credit_limit_cents),
                            now_ms, cause, out);
            open_task(e, "finance", "review the credit limit breach on " + o.id, now_ms, cause,
                      out);
            open_task(e, "sales",
                      "talk to " + o.customer + " about the credit limit (" + o.id + ")", now_ms,
                      cause, out);
        }
    }
    if (approved)
        if (exception_record* e = find_open(o.id, "credit_hold"))
            resolve_record(*e, "baton", "credit approved", now_ms, cause, out);

    // Quality and delivery facts.
    if (topic == "production.qc.failed" && !o.has("produced") && !find_open(o.id, "qc_failed")) {
        auto& e = raise("qc_failed", &o, o.customer, "production", raise_by(base, 1),
                        o.id + " failed quality control: " + text(event.data, "detail"), now_ms,
                        cause, out);
        open_task(e, "production", "decide rework or remake of " + o.id, now_ms, cause, out);
    }
    if (o.has("produced"))
        if (exception_record* e = find_open(o.id, "qc_failed"))
            resolve_record(*e, "baton", "production completed", now_ms, cause, out);
    if (topic == "logistics.delivery.failed" && !o.has("delivered") &&
        !find_open(o.id, "delivery_failed")) {
        auto& e = raise("delivery_failed", &o, o.customer, "logistics", raise_by(base, 1),
                        "delivery of " + o.id + " failed: " + text(event.data, "reason"), now_ms,
                        cause, out);
        open_task(e, "logistics", "re-plan the delivery of " + o.id + " with " + o.customer, now_ms,
                  cause, out);
    }
    if (o.has("delivered")) {
        for (const char* kind : {"delivery_failed", "delivery_late"})
            if (exception_record* e = find_open(o.id, kind))
                resolve_record(*e, "baton", "delivered", now_ms, cause, out);
    }

    // After-sale cases: a new case starts its clock; a closed one clears its exception.
    if (topic == "sales.complaint.filed" || topic == "sales.return.requested")
        for (std::uint32_t i = 0; i < o.cases.size(); ++i)
            if (o.cases[i].state == "open" && o.cases[i].opened_ms == now_ms &&
                o.cases[i].id == text(event.data, "case")) {
                std::int64_t sla =
                    o.cases[i].kind == "complaint" ? flow_.complaint_sla_us : flow_.return_sla_us;
                timers_.push({now_ms + sla / 1000, &o, now_ms, i, timer_kind::case_due, 0});
            }
    for (const auto& c : o.cases)
        if (c.state == "closed")
            if (exception_record* e = find_open(o.id, "case_overdue", c.id))
                resolve_record(*e, "baton", "case closed: " + c.resolution, now_ms, cause, out);

    // Cancelled: nothing about it is pending any more.
    if (topic == "sales.order.cancelled" && o.cancelled) {
        for (auto& [id, e] : exceptions_)
            if (e.order == o.id && e.state != "resolved")
                resolve_record(e, "baton", "order cancelled", now_ms, cause, out);
    }

    // A new stage: what watched the old one is settled; the new one gets its clock.
    if (change.stage_changed) {
        for (auto& [id, e] : exceptions_)
            if (e.order == o.id && e.state != "resolved" && stage_bound(e.kind) &&
                e.stage == change.previous_stage)
                resolve_record(e, "baton", "moved on to " + o.stage, now_ms, cause, out);
        schedule_stage(o, 0);
    }
    if (change.promise_changed && o.open())
        if (auto start = date_start_ms(o.promised_date)) {
            timers_.push({*start + day_ms, &o, *start, 0, timer_kind::promise, 0});
            // The customer agreed a new date that is still ahead: the old promise is settled.
            if (*start + day_ms > now_ms)
                if (exception_record* e = find_open(o.id, "delivery_late"))
                    resolve_record(*e, "baton", "promised date moved to " + o.promised_date, now_ms,
                                   cause, out);
        }
    if (change.stage_changed || change.promise_changed || topic == "production.order.scheduled")
        check_delivery_risk(o, customers, now_ms, cause, out);
}

void exception_desk::on_time(std::int64_t now_ms, const order_engine& engine, desk_output& out) {
    const customer_book& customers = engine.customers();
    std::vector<timer_entry> later;
    timers_.pop_due(now_ms, [&](const timer_entry& t) {
        if (t.kind == timer_kind::task) {
            auto it = tasks_.find(static_cast<std::uint64_t>(t.stamp));
            if (it == tasks_.end() || it->second.state != "open") return;
            task_record& task = it->second;
            task.state = "escalated";
            out.tasks.push_back({"escalated", task, ""});
            auto ex = exceptions_.find(task.exception_id);
            // The first overdue task of an exception makes it more severe; its sibling tasks
            // falling due at the same time do not raise it again.
            bool sibling_escalated = false;
            for (const auto& [other_id, other] : tasks_)
                if (other_id != task.id && other.exception_id == task.exception_id &&
                    other.state == "escalated")
                    sibling_escalated = true;
            if (ex != exceptions_.end() && ex->second.state != "resolved" && !sibling_escalated)
                escalate(ex->second, raise_by(ex->second.level, 1),
                         ex->second.detail + "; task " + task_id_text(task.id) + " overdue", now_ms,
                         out);
            return;
        }
        const order& o = *t.target;
        if (t.kind == timer_kind::stage) {
            if (o.stage_since_ms != t.stamp || o.visits.size() != t.index || !o.open())
                return;  // moved on: stale
            const stage_def* s = stage_named(o.stage);
            if (!s) return;
            const std::int64_t deadline = stage_deadline(o, *s);
            const std::int64_t span = std::max<std::int64_t>(
                {deadline - o.stage_since_ms, s->sla_us / 1000, 1000});  // as schedule_stage
            const std::string kind = kind_for_stage(*s);
            if (auto q = silenced_.find(o.id + '\x1f' + kind);
                q != silenced_.end() && q->second == o.stage_since_ms)
                return;  // a person resolved it during this stay
            const std::int64_t held = now_ms - o.stage_since_ms;
            std::string sla_text = s->sla_from == "planned_finish"
                                       ? "due " + utc_minute_text(deadline)
                                       : "SLA " + duration_text(s->sla_us / 1000);
            if (t.step == 0) {
                if (now_ms >= deadline) {  // already overdue (after downtime): no warning
                    schedule_stage(o, 1);
                    return;
                }
                if (!find_open(o.id, kind)) {
                    auto& e =
                        raise(kind, &o, o.customer, s->holder, severity::warning,
                              o.id + " has been in " + o.stage + " for " + duration_text(held) +
                                  "; " + sla_text + " (" + std::to_string(flow_.warning_percent) +
                                  "% used); holder " + s->holder,
                              now_ms, "", out);
                    e.stage = o.stage;
                    e.since_ms = o.stage_since_ms;
                    out.exceptions.back().record.stage = o.stage;
                    out.exceptions.back().record.since_ms = o.stage_since_ms;
                }
                schedule_stage(o, 1);
                return;
            }
            if (now_ms < deadline + (t.step - 1) * span) {  // the deadline moved (rescheduled)
                later.push_back(
                    {deadline + (t.step - 1) * span, &o, t.stamp, t.index, t.kind, t.step});
                return;
            }
            severity level = raise_by(base_severity(o.customer, customers), t.step - 1);
            std::string detail = o.id + " has been in " + o.stage + " for " + duration_text(held) +
                                 "; " + sla_text + "; holder " + s->holder;
            exception_record* e = find_open(o.id, kind);
            if (!e) {
                e = &raise(kind, &o, o.customer, s->holder, level, detail, now_ms, "", out);
                e->stage = o.stage;
                e->since_ms = o.stage_since_ms;
                out.exceptions.back().record.stage = o.stage;
                out.exceptions.back().record.since_ms = o.stage_since_ms;
            } else {
                escalate(*e, level, detail, now_ms, out);
            }
            const bool first_overdue = e->step < 1;
            e->step = t.step;
            if (!out.exceptions.empty() && out.exceptions.back().record.id == e->id)
                out.exceptions.back().record.step = e->step;
            if (first_overdue) {
                if (kind == "payment_overdue") {
                    open_task(*e, "finance", "chase the payment for " + o.id, now_ms, "", out);
                    open_task(*e, "sales", "ask " + o.customer + " to pay " + o.id, now_ms, "",
                              out);
                } else if (kind == "die_overdue") {
                    open_task(*e, "production", "get the die for " + o.id + " ready", now_ms, "",
                              out);
                } else if (kind == "invoice_missing") {
                    open_task(*e, "finance", "invoice " + o.id, now_ms, "", out);
                } else {
                    open_task(*e, s->holder, "move " + o.id + " out of " + o.stage, now_ms, "",
                              out);
                }
            }
            if (level < severity::critical) schedule_stage(o, t.step + 1);
            return;
        }
        if (t.kind == timer_kind::promise) {
            auto start = date_start_ms(o.promised_date);
            if (!start || *start != t.stamp || !o.open() || o.has("delivered")) return;
            if (find_open(o.id, "delivery_late")) return;
            std::string holder = o.holder.empty() ? "logistics" : o.holder;
            auto& e = raise("delivery_late", &o, o.customer, holder,
                            raise_by(base_severity(o.customer, customers), 1),
                            o.id + " was promised for " + o.promised_date +
                                " and is not delivered; it is in " + o.stage + ", holder " + holder,
                            now_ms, "", out);
            open_task(e, "sales", "tell " + o.customer + " when " + o.id + " will arrive", now_ms,
                      "", out);
            if (holder != "sales")
                open_task(e, holder, "deliver " + o.id + " as soon as possible", now_ms, "", out);
            return;
        }
        if (t.kind == timer_kind::case_due) {
            if (t.index >= o.cases.size()) return;
            const order_case& c = o.cases[t.index];
            if (c.state != "open" || c.opened_ms != t.stamp) return;
            if (find_open(o.id, "case_overdue", c.id)) return;
            std::string dept = c.departments.empty() ? "production" : c.departments.front();
            exception_record e;
            e.id = next_exception_id_++;
            e.kind = "case_overdue";
            e.order = o.id;
            e.customer = o.customer;
            e.dept = dept;
            e.level = raise_by(base_severity(o.customer, customers), 1);
            e.state = "open";
            e.scope = c.id;
            e.detail = "case " + c.id + " (" + c.kind + ") on " + o.id + " has been open for " +
                       duration_text(now_ms - c.opened_ms) + "; " + c.detail;
            e.raised_ms = e.updated_ms = now_ms;
            auto& stored = exceptions_[e.id] = std::move(e);
            open_by_key_[key_of(stored.order, stored.kind, stored.scope)] = stored.id;
            out.exceptions.push_back({"raised", stored, ""});
            for (const auto& d : c.departments)
                open_task(stored, d, "answer case " + c.id + " on " + o.id, now_ms, "", out);
        }
    });
    for (const auto& t : later) timers_.push(t);
}

void exception_desk::on_feed_gap(const std::string& source, const std::string& topic,
                                 std::uint64_t expected, std::uint64_t got, std::int64_t now_ms,
                                 desk_output& out) {
    std::string detail = "events from " + source + " were lost: expected seq " +
                         std::to_string(expected) + ", got " + std::to_string(got) + " (" +
                         std::to_string(got > expected ? got - expected : 0) + " missing)";
    if (exception_record* open = find_open("", "feed_gap", source)) {
        escalate(*open, open->level, "again: " + detail, now_ms, out);
        return;
    }
    exception_record e;
    e.id = next_exception_id_++;
    e.kind = "feed_gap";
    e.dept = dept_of_topic(topic);
    e.level = severity::medium;
    e.state = "open";
    e.scope = source;
    e.detail = detail;
    e.raised_ms = e.updated_ms = now_ms;
    auto& stored = exceptions_[e.id] = std::move(e);
    open_by_key_[key_of("", "feed_gap", source)] = stored.id;
    out.exceptions.push_back({"raised", stored, ""});
}

bool exception_desk::acknowledge(std::uint64_t id, const std::string& by, const std::string& note,
                                 std::int64_t now_ms, desk_output& out, std::string& error) {
    auto it = exceptions_.find(id);
    if (it == exceptions_.end()) {
        error = "exception " + exception_id_text(id) + " is not known";
        return false;
    }
    exception_record& e = it->second;
    if (e.state == "resolved") {
        error = "exception " + exception_id_text(id) + " is already resolved";
        return false;
    }
    if (e.state == "acknowledged") {
        error = "exception " + exception_id_text(id) + " was already acknowledged by " + e.by;
        return false;
    }
    e.state = "acknowledged";
    e.by = by;
    e.note = note;
    e.updated_ms = now_ms;
    out.exceptions.push_back({"acknowledged", e, ""});
    return true;
}

bool exception_desk::resolve(std::uint64_t id, const std::string& by, const std::string& note,
                             std::int64_t now_ms, desk_output& out, std::string& error) {
    auto it = exceptions_.find(id);
    if (it == exceptions_.end()) {
        error = "exception " + exception_id_text(id) + " is not known";
        return false;
    }
    if (it->second.state == "resolved") {
        error = "exception " + exception_id_text(id) + " is already resolved";
        return false;
    }
    exception_record& e = it->second;
    // A person closed a stage's exception: the stage's clock stays quiet for this stay.
    if (stage_bound(e.kind) && e.since_ms != 0) silenced_[e.order + '\x1f' + e.kind] = e.since_ms;
    resolve_record(e, by, note, now_ms, "", out);
    return true;
}

bool exception_desk::task_done(std::uint64_t id, const std::string& by, const std::string& note,
                               std::int64_t now_ms, desk_output& out, std::string& error) {
    auto it = tasks_.find(id);
    if (it == tasks_.end()) {
        error = "task " + task_id_text(id) + " is not known";
        return false;
    }
    if (it->second.state == "done") {
        error = "task " + task_id_text(id) + " is already done";
        return false;
    }
    task_record& t = it->second;
    t.state = "done";
    t.by = by;
    t.note = note;
    t.closed_ms = now_ms;
    out.tasks.push_back({"done", t, ""});
    return true;
}

std::vector<const exception_record*> exception_desk::exceptions(const exception_filter& f) const {
    std::vector<const exception_record*> out;
    for (auto it = exceptions_.rbegin(); it != exceptions_.rend(); ++it) {
        const exception_record& e = it->second;
        if (f.state == "open" && e.state == "resolved") continue;
        if (f.state != "open" && f.state != "all" && e.state != f.state) continue;
        if (!f.kind.empty() && e.kind != f.kind) continue;
        if (!f.dept.empty() && e.dept != f.dept) continue;
        if (!f.order.empty() && e.order != f.order) continue;
        out.push_back(&e);
    }
    // Most severe first, then oldest: that is the order a lead works through them.
    std::stable_sort(out.begin(), out.end(),
                     [](const exception_record* a, const exception_record* b) {
                         if (a->level != b->level) return a->level > b->level;
                         return a->raised_ms < b->raised_ms;
                     });
    if (out.size() > f.limit) out.resize(f.limit);
    return out;
}

std::vector<const task_record*> exception_desk::tasks(const task_filter& f) const {
    std::vector<const task_record*> out;
    for (auto it = tasks_.rbegin(); it != tasks_.rend(); ++it) {
        const task_record& t = it->second;
        if (f.state == "open" && t.state == "done") continue;
        if (f.state != "open" && f.state != "all" && t.state != f.state) continue;
        if (!f.dept.empty() && t.dept != f.dept) continue;
        if (!f.order.empty() && t.order != f.order) continue;
        out.push_back(&t);
    }
    std::stable_sort(out.begin(), out.end(), [](const task_record* a, const task_record* b) {
        return a->due_ms < b->due_ms;
    });
    if (out.size() > f.limit) out.resize(f.limit);
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

std::size_t exception_desk::open_exceptions() const {
    return open_by_key_.size();
}

std::size_t exception_desk::open_tasks() const {
    std::size_t n = 0;
    for (const auto& [id, t] : tasks_) n += t.state != "done" ? 1 : 0;
    return n;
}

void exception_desk::set_flow(const flow_def& flow, const order_engine& engine,
                              std::int64_t now_ms) {
    flow_ = flow;
    timers_.clear();
    timers_.reserve(engine.orders().size() * 2 + tasks_.size());
    for (const auto& [id, t] : tasks_)
        if (t.state == "open")
            timers_.push(
                {t.due_ms, nullptr, static_cast<std::int64_t>(t.id), 0, timer_kind::task, 0});
    for (const auto& [id, o] : engine.orders()) schedule_order(o, now_ms);
}

void exception_desk::restore(std::vector<exception_record> exceptions,
                             std::vector<task_record> tasks, const order_engine& engine,
                             std::int64_t now_ms) {
    exceptions_.clear();
    tasks_.clear();
    open_by_key_.clear();
    timers_.clear();
    silenced_.clear();
    for (auto& e : exceptions) {
        next_exception_id_ = std::max(next_exception_id_, e.id + 1);
        if (e.state == "resolved" && e.by != "baton" && stage_bound(e.kind) && e.since_ms != 0)
            silenced_[e.order + '\x1f' + e.kind] = e.since_ms;
        if (e.state != "resolved") open_by_key_[key_of(e.order, e.kind, e.scope)] = e.id;
        exceptions_[e.id] = std::move(e);
    }
    timers_.reserve(engine.orders().size() * 2 + tasks.size());
    for (auto& t : tasks) {
        next_task_id_ = std::max(next_task_id_, t.id + 1);
        if (t.state == "open")
            timers_.push(
                {t.due_ms, nullptr, static_cast<std::int64_t>(t.id), 0, timer_kind::task, 0});
        tasks_[t.id] = std::move(t);
    }
    for (const auto& [id, o] : engine.orders()) schedule_order(o, now_ms);
}

}  // namespace baton
