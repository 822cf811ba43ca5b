// The exception desk's clock: one handler per timer kind (a stage's warning, deadline and
// escalations; the end of the promised day; a case's deadline; a task's due time) and the
// scheduling of each. A fired entry is checked against the current state and dropped when stale.
#include "exceptions.h"

#include <algorithm>

#include "format.h"
#include "quantities.h"

namespace baton {

void exception_desk::on_time(std::int64_t now_ms, const order_engine& engine, desk_output& out) {
    const customer_book& customers = engine.customers();
    std::vector<timer_entry> later;  // moved deadlines: pushed back once this round is done
    timers_.pop_due(now_ms, [&](const timer_entry& t) {
        switch (t.kind) {
            case timer_kind::stage: on_stage_timer(t, customers, now_ms, later, out); return;
            case timer_kind::promise: on_promise_timer(t, customers, now_ms, out); return;
            case timer_kind::case_due: on_case_timer(t, customers, now_ms, out); return;
            case timer_kind::task: on_task_timer(t, now_ms, out); return;
            case timer_kind::invoice: on_invoice_timer(t, customers, now_ms, out); return;
        }
    });
    for (const auto& t : later) timers_.push(t);
}

// A task still open at its due time escalates, and so (once) does its exception.
void exception_desk::on_task_timer(const timer_entry& t, std::int64_t now_ms, desk_output& out) {
    auto it = tasks_.find(static_cast<std::uint64_t>(t.stamp));
    if (it == tasks_.end() || it->second.state != task_state::open) return;
    task_record& task = it->second;
    task.state = task_state::escalated;
    add_step(task.history, {now_ms, "baton", "escalated", "", ""});
    out.tasks.push_back({task_transition::escalated, task, ""});
    auto ex = exceptions_.find(task.exception_id);
    if (ex == exceptions_.end() || ex->second.state == exception_state::resolved) return;
    // The first overdue task of an exception makes it more severe; its sibling tasks falling
    // due at the same time do not raise it again.
    for (std::uint64_t sibling : tasks_by_exception_[task.exception_id])
        if (sibling != task.id && tasks_.at(sibling).state == task_state::escalated) return;
    exception_record& e = ex->second;
    escalate(e, raise_by(e.level, 1), e.detail + "; task " + task_id_text(task.id) + " overdue",
             e.step, now_ms, out);
}

// A stage's warning (step 0), deadline (1) and escalations (2..), for the stay it was set for.
void exception_desk::on_stage_timer(const timer_entry& t, const customer_book& customers,
                                    std::int64_t now_ms, std::vector<timer_entry>& later,
                                    desk_output& out) {
    const order& o = *t.target;
    if (o.stage_since_ms != t.stamp || o.visits.size() != t.index || !o.open())
        return;  // moved on: stale
    const stage_def* s = stage_named(o.stage);
    if (!s) return;
    const std::int64_t deadline = stage_deadline(o, *s);
    const std::int64_t span = std::max<std::int64_t>(
        {deadline - o.stage_since_ms, s->sla_us / 1000, 1000});  // as schedule_stage
    const exception_kind kind = kind_for_stage(*s);
    if (silenced(o.id, kind, o.stage_since_ms)) return;  // a person resolved it in this stay
    const std::int64_t held = now_ms - o.stage_since_ms;
    const std::string sla_text = s->sla_from == "planned_finish"
                                     ? "due " + utc_minute_text(deadline)
                                     : "SLA " + duration_text(s->sla_us / 1000);
    // The plan moved the deadline earlier after this entry was set: the entry set then for this
    // step (rule_stage_change) is the one that counts.
    const std::int64_t expected = t.step == 0
                                      ? deadline - span * (100 - flow_.warning_percent) / 100
                                      : deadline + (t.step - 1) * span;
    if (t.due_ms > expected) return;
    raise_request r;
    r.kind = kind;
    r.o = &o;
    r.base = base_severity(o.customer, customers);
    r.stage = s;
    r.step = t.step;
    if (t.step == 0) {
        if (now_ms >= deadline) {  // already overdue (after downtime): no warning
            schedule_stage(o, 1);
            return;
        }
        // The deadline moved later (a batch planned to finish later): warn at its new time.
        const std::int64_t warn_at = deadline - span * (100 - flow_.warning_percent) / 100;
        if (now_ms < warn_at) {
            later.push_back({warn_at, &o, t.stamp, t.index, t.kind, t.step});
            return;
        }
        if (!find_open(o.id, kind)) {
            r.detail = o.id + " has been in " + o.stage + " for " + duration_text(held) + "; " +
                       sla_text + " (" + std::to_string(flow_.warning_percent) +
                       "% used); holder " + s->holder;
            raise(r, now_ms, out);
        }
        schedule_stage(o, 1);
        return;
    }
    if (now_ms < deadline + (t.step - 1) * span) {  // the deadline moved (rescheduled)
        later.push_back({deadline + (t.step - 1) * span, &o, t.stamp, t.index, t.kind, t.step});
        return;
    }
    const severity level = severity_for(kind, r.base, t.step);
    r.detail = o.id + " has been in " + o.stage + " for " + duration_text(held) + "; " + sla_text +
               "; holder " + s->holder;
    exception_record* e = find_open(o.id, kind);
    const bool first_overdue = !e || e->step < 1;
    if (!e)
        e = &raise(r, now_ms, out);
    else
        escalate(*e, level, r.detail, t.step, now_ms, out);
    if (first_overdue) open_stage_tasks(*e, o, *s, now_ms, out);
    if (level < severity::critical) schedule_stage(o, t.step + 1);
}

// At the first overdue step, who must act on a stage-bound kind.
void exception_desk::open_stage_tasks(const exception_record& e, const order& o, const stage_def& s,
                                      std::int64_t now_ms, desk_output& out) {
    switch (e.kind) {
        case exception_kind::payment_overdue:
            open_task(e, "finance", "chase the payment for " + o.id, now_ms, "", out);
            open_task(e, "sales", "ask " + o.customer + " to pay " + o.id, now_ms, "", out);
            return;
        case exception_kind::die_overdue:
            open_task(e, "production", "get the die for " + o.id + " ready", now_ms, "", out);
            return;
        case exception_kind::invoice_missing:
            open_task(e, "finance", "invoice " + o.id, now_ms, "", out);
            return;
        default:
            open_task(e, s.holder, "move " + o.id + " out of " + o.stage, now_ms, "", out);
            return;
    }
}

// The promised day ended without delivery.
void exception_desk::on_promise_timer(const timer_entry& t, const customer_book& customers,
                                      std::int64_t now_ms, desk_output& out) {
    const order& o = *t.target;
    auto start = date_start_ms(o.promised_date);
    if (!start || *start != t.stamp || !o.open() || o.has("delivered")) return;
    if (find_open(o.id, exception_kind::delivery_late)) return;
    raise_request r;
    r.kind = exception_kind::delivery_late;
    r.o = &o;
    r.base = base_severity(o.customer, customers);
    const std::string holder = owner_of(r);
    r.detail = o.id + " was promised for " + o.promised_date + " and is not delivered; it is in " +
               o.stage + ", holder " + holder;
    auto& e = raise(r, now_ms, out);
    open_task(e, "sales", "tell " + o.customer + " when " + o.id + " will arrive", now_ms, "", out);
    if (holder != "sales")
        open_task(e, holder, "deliver " + o.id + " as soon as possible", now_ms, "", out);
}

// An after-sale case still open at its deadline.
void exception_desk::on_case_timer(const timer_entry& t, const customer_book& customers,
                                   std::int64_t now_ms, desk_output& out) {
    const order& o = *t.target;
    if (t.index >= o.cases.size()) return;
    const order_case& c = o.cases[t.index];
    if (c.state != "open" || c.opened_ms != t.stamp) return;
    if (find_open(o.id, exception_kind::case_overdue, c.id)) return;
    raise_request r;
    r.kind = exception_kind::case_overdue;
    r.o = &o;
    r.base = base_severity(o.customer, customers);
    r.for_case = &c;
    r.detail = "case " + c.id + " (" + c.kind + ") on " + o.id + " has been open for " +
               duration_text(now_ms - c.opened_ms) + "; " + c.detail;
    auto& e = raise(r, now_ms, out);
    for (const auto& d : c.departments)
        open_task(e, d, "answer case " + c.id + " on " + o.id, now_ms, "", out);
}

// An invoice of a credit-terms order unpaid at the end of its due day: payment_overdue with a
// collection task for finance and sales, one severity level higher in each ageing bucket
// (0-30, 31-60, 61-90, over 90 days past due).
void exception_desk::on_invoice_timer(const timer_entry& t, const customer_book& customers,
                                      std::int64_t now_ms, desk_output& out) {
    const order& o = *t.target;
    if (t.index >= o.invoices.size() || o.terms != "credit") return;
    const invoice& inv = o.invoices[t.index];
    auto due = date_start_ms(inv.due_date);
    if (!due || *due != t.stamp || inv.paid_cents >= inv.amount_cents) return;
    const std::int64_t days = days_overdue(inv.due_date, now_ms);
    const int bucket = std::max<int>(t.step, ageing_bucket(days));
    if (bucket < 0) return;
    raise_request r;
    r.kind = exception_kind::payment_overdue;
    r.o = &o;
    r.base = base_severity(o.customer, customers);
    r.scope = inv.id;
    r.owner = "finance";
    r.step = bucket + 1;  // the stage clock's scale: step 1 is the base level
    r.detail = "invoice " + inv.id + " of " + o.id + " (" + money_text(inv.amount_cents) +
               (inv.paid_cents > 0 ? ", " + money_text(inv.paid_cents) + " paid" : "") + ") is " +
               std::to_string(std::max<std::int64_t>(days, 0)) + " days past its due date " +
               inv.due_date + " (" + ageing_name(bucket) + " days)";
    if (exception_record* open = find_open(o.id, exception_kind::payment_overdue, inv.id)) {
        escalate(*open, severity_for(r.kind, r.base, r.step), r.detail, r.step, now_ms, out);
    } else {
        // A person who resolved this invoice's reminder (a payment plan agreed) is not
        // overruled by the clock.
        bool resolved_by_person = false;
        if (auto it = by_order_.find(o.id); it != by_order_.end())
            for (std::uint64_t id : it->second.exceptions) {
                const exception_record& past = exceptions_.at(id);
                resolved_by_person =
                    resolved_by_person ||
                    (past.kind == exception_kind::payment_overdue && past.scope == inv.id &&
                     past.by != "baton" && past.state == exception_state::resolved);
            }
        if (resolved_by_person) return;
        auto& e = raise(r, now_ms, out);
        open_task(e, "finance",
                  "collect invoice " + inv.id + " (" +
                      money_text(inv.amount_cents - inv.paid_cents) + ") from " + o.customer,
                  now_ms, "", out);
        open_task(e, "sales", "ask " + o.customer + " to pay invoice " + inv.id + " of " + o.id,
                  now_ms, "", out);
    }
    if (bucket < 3) schedule_invoice(o, t.index, bucket + 1);
}

// --- scheduling ----------------------------------------------------------------------------

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

void exception_desk::schedule_promise(const order& o, std::int64_t promised_day_start_ms) {
    timers_.push(
        {promised_day_start_ms + day_ms, &o, promised_day_start_ms, 0, timer_kind::promise, 0});
}

void exception_desk::schedule_case(const order& o, std::uint32_t index) {
    const order_case& c = o.cases[index];
    const std::int64_t sla_us =
        c.kind == "complaint" ? flow_.complaint_sla_us : flow_.return_sla_us;
    timers_.push({c.opened_ms + sla_us / 1000, &o, c.opened_ms, index, timer_kind::case_due, 0});
}

int exception_desk::next_stage_step(const order& o, const stage_def& s) {
    if (const exception_record* e = find_open(o.id, kind_for_stage(s)); e && e->stage == o.stage)
        return e->step + 1;
    return 0;
}

// Step 0 at the end of the due day, step k (1..3) when the invoice is 30k+1 days past it.
void exception_desk::schedule_invoice(const order& o, std::uint32_t index, int step) {
    const invoice& inv = o.invoices[index];
    auto due = date_start_ms(inv.due_date);
    if (!due) return;
    const std::int64_t at = *due + day_ms + (step == 0 ? 0 : (30LL * step + 1) * day_ms);
    timers_.push({at, &o, *due, index, timer_kind::invoice, static_cast<std::uint8_t>(step)});
}

void exception_desk::schedule_task(const task_record& t) {
    if (t.state != task_state::open) return;  // escalated once, done: nothing more to wait for
    timers_.push({t.due_ms, nullptr, static_cast<std::int64_t>(t.id), 0, timer_kind::task, 0});
}

// Every clock of an order, at start and on reload: its stage (resuming after the step its
// open exception took), its promise, its open cases.
void exception_desk::schedule_order(const order& o) {
    // Unpaid invoices age also once the order is closed.
    if (o.terms == "credit")
        for (std::uint32_t i = 0; i < o.invoices.size(); ++i) {
            const invoice& inv = o.invoices[i];
            if (inv.paid_cents >= inv.amount_cents) continue;
            int step = 0;
            if (const exception_record* e =
                    find_open(o.id, exception_kind::payment_overdue, inv.id))
                step = e->step;  // the next bucket after the one it reached (step = bucket + 1)
            if (step <= 3) schedule_invoice(o, i, step);
        }
    if (!o.open()) return;
    if (const stage_def* s = stage_named(o.stage)) schedule_stage(o, next_stage_step(o, *s));
    if (o.placed && !o.has("delivered") && !find_open(o.id, exception_kind::delivery_late))
        if (auto start = date_start_ms(o.promised_date)) schedule_promise(o, *start);
    for (std::uint32_t i = 0; i < o.cases.size(); ++i) {
        const order_case& c = o.cases[i];
        if (c.state != "open" || find_open(o.id, exception_kind::case_overdue, c.id)) continue;
        schedule_case(o, i);
    }
}

}  // namespace baton
