// The exception desk's rules for facts: on_event hands each applied event to one rule per
// exception kind (raise when the fact shows the problem, resolve when it removes the cause),
// then to the stage-change, cancel, promise and delivery-risk rules.
#include "exceptions.h"

#include <algorithm>
#include <cassert>
#include <string_view>

#include "format.h"
#include "quantities.h"

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

namespace {

std::string text(const value& data, const char* key) {
    const value* v = data.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

}  // namespace

void exception_desk::on_event(const order_change& change, const envelope& event,
                              const order_engine& engine, std::int64_t now_ms, desk_output& out) {
    if (!change.o) return;
    const order& o = *change.o;
    const fact f{change, o,  event, engine, base_severity(o.customer, engine.customers()),
                 now_ms, out};
    // The order matters: it is the order of the lines in the feed.
    rule_unknown_order(f);
    rule_out_of_sequence(f);
    rule_credit_hold(f);
    rule_qc_failed(f);
    rule_short_produced(f);
    rule_delivery_failed(f);
    rule_delivered_late(f);
    rule_invoices(f);
    rule_cases(f);
    rule_cancelled(f);
    rule_follow_ups(f);
    rule_stage_change(f);
    rule_new_promise(f);
    rule_delivery_risk(f);
}

void exception_desk::settle_when_proved(exception_kind kind, const fact& f) {
    const kind_rule& rule = rule_of(kind);
    assert(rule.resolved_by == resolution::milestone);
    // Most orders have no records: that is asked before the milestone is looked up.
    if (has_records(f.o.id) && f.o.has(rule.milestone))
        settle(f.o.id, kind, rule.note, f.now_ms, f.cause(), f.out);
}

// Facts about an order sales never placed. A cancel resolves it (rule_cancelled), as cancelled.
void exception_desk::rule_unknown_order(const fact& f) {
    const order& o = f.o;
    if (!o.placed && !o.cancelled && !find_open(o.id, exception_kind::unknown_order)) {
        raise_request r;
        r.kind = exception_kind::unknown_order;
        r.o = &o;
        r.detail = o.id + ": " + f.topic() + " from " + f.event.source +
                   " arrived but sales never placed this order";
        r.cause = f.cause();
        auto& e = raise(r, f.now_ms, f.out);
        open_task(e, "sales",
                  "enter order " + o.id + " or have " + f.event.source + " correct the order id",
                  f.now_ms, f.cause(), f.out);
    }
    settle_when_proved(exception_kind::unknown_order, f);
}

// Facts that contradict the rules; each names the milestone that makes it right again ("":
// only a person can).
void exception_desk::rule_out_of_sequence(const fact& f) {
    const order& o = f.o;
    const auto& anomalies = f.change.anomalies;
    if (!anomalies.empty()) {
        exception_record* e = find_open(o.id, exception_kind::out_of_sequence);
        std::vector<std::string> resolve_on = e ? e->resolve_on : std::vector<std::string>{};
        for (const auto& a : anomalies) {
            if (a.cleared_by.empty())
                resolve_on.assign(1, "");
            else if (std::find(resolve_on.begin(), resolve_on.end(), a.cleared_by) ==
                     resolve_on.end())
                resolve_on.push_back(a.cleared_by);
        }
        if (!e) {
            const anomaly& first = anomalies.front();
            raise_request r;
            r.kind = exception_kind::out_of_sequence;
            r.o = &o;
            r.topic = f.topic();
            r.detail = o.id + ": " + first.detail + " (" + f.topic() + " " + f.event.id + ")";
            r.cause = f.cause();
            r.resolve_on = resolve_on;
            auto& raised = raise(r, f.now_ms, f.out);
            open_task(raised, raised.dept, "check " + f.topic() + " " + f.event.id + " on " + o.id,
                      f.now_ms, f.cause(), f.out);
        } else if (resolve_on != e->resolve_on) {
            e->resolve_on = resolve_on;
            // The stored record must carry what clears it, or a restart would forget it.
            bool in_output = false;
            for (auto& ev : f.out.exceptions)
                if (ev.record.id == e->id) ev.record.resolve_on = e->resolve_on, in_output = true;
            if (!in_output)
                f.out.exceptions.push_back({exception_transition::updated, *e, f.cause()});
        }
    }
    if (exception_record* e = find_open(o.id, exception_kind::out_of_sequence);
        e && !e->resolve_on.empty()) {
        bool cleared = std::all_of(e->resolve_on.begin(), e->resolve_on.end(),
                                   [&](const std::string& m) { return !m.empty() && o.has(m); });
        if (cleared)
            resolve_record(*e, "baton", "the missing facts arrived", f.now_ms, f.cause(), f.out);
    }
}

// Credit rejected before approval, or a new order waiting on a hold (blocked customer, overdue
// beyond the flow's amount, over the credit limit); resolved by credit approved (or a
// rejection that released the order against payment in advance).
void exception_desk::rule_credit_hold(const fact& f) {
    const order& o = f.o;
    const bool approved = o.has("credit_approved");
    if (f.topic() == "finance.credit.rejected"sv && !approved &&
        !find_open(o.id, exception_kind::credit_hold)) {
        std::string reason = text(f.event.data, "reason");
        raise_request r;
        r.kind = exception_kind::credit_hold;
        r.o = &o;
        r.base = f.base;
        r.detail = o.id + " is on credit hold" + (reason.empty() ? "" : ": " + reason);
        r.cause = f.cause();
        auto& e = raise(r, f.now_ms, f.out);
        open_task(e, "finance", "review the credit hold on " + o.id, f.now_ms, f.cause(), f.out);
        open_task(e, "sales", "talk to " + o.customer + " about the credit hold on " + o.id,
                  f.now_ms, f.cause(), f.out);
    }
    const bool first_placement =
        f.topic() == "sales.order.placed"sv && o.milestones.at("placed").event_id == f.cause();
    if (first_placement && !approved && !o.holds.empty() &&
        !find_open(o.id, exception_kind::credit_hold)) {
        const customer_book::account* a = f.engine.customers().find(o.customer);
        std::string why;
        for (const auto& hold : o.holds) {
            if (!why.empty()) why += "; ";
            if (hold == "blocked"sv)
                why += "customer " + o.customer + " is blocked";
            else if (hold == "overdue"sv && a)
                why += o.customer + " is overdue by " + money_text(a->overdue_cents) +
                       " (hold above " + money_text(f.engine.flow().overdue_hold_cents) + ")";
            else if (hold == "limit"sv && a)
                why += "over the credit limit of " + o.customer + ": exposure " +
                       money_text(a->exposure_cents()) + ", limit " +
                       money_text(a->master.credit_limit_cents);
            else
                why += hold;
        }
        raise_request r;
        r.kind = exception_kind::credit_hold;
        r.o = &o;
        r.base = f.base;
        r.detail = o.id + " waits on a credit hold: " + why;
        r.cause = f.cause();
        auto& e = raise(r, f.now_ms, f.out);
        open_task(e, "finance", "review the credit hold on " + o.id + " (" + why + ")", f.now_ms,
                  f.cause(), f.out);
        open_task(e, "sales", "talk to " + o.customer + " about the credit hold on " + o.id,
                  f.now_ms, f.cause(), f.out);
    }
    if (approved && o.prepay_switched && f.topic() == "finance.credit.rejected"sv)
        settle(o.id, exception_kind::credit_hold, "released against payment in advance", f.now_ms,
               f.cause(), f.out);
    settle_when_proved(exception_kind::credit_hold, f);
}

// QC failed for a batch before the order was produced; resolved when the whole order is
// produced (the failed quantity made again), not by the failed batch's own completion, whose
// scrap leaves the order short.
void exception_desk::rule_qc_failed(const fact& f) {
    const order& o = f.o;
    const std::string& batch = f.change.subject;
    // An order's only batch, unnamed by its sender, is the order itself to people.
    const std::string named =
        batch.empty() || (batch[0] == '#' && o.batches.size() == 1) ? "" : " batch " + batch;
    if (f.topic() == "production.qc.failed"sv && !o.has("produced") &&
        !find_open(o.id, exception_kind::qc_failed, batch)) {
        raise_request r;
        r.kind = exception_kind::qc_failed;
        r.o = &o;
        r.base = f.base;
        r.scope = batch;
        r.detail = o.id + named + " failed quality control: " + text(f.event.data, "detail");
        r.cause = f.cause();
        auto& e = raise(r, f.now_ms, f.out);
        open_task(e, "production",
                  "decide rework or re-run of" + (named.empty() ? "" : named + " of") + " " + o.id,
                  f.now_ms, f.cause(), f.out);
    }
    if (o.has("produced"))
        settle_all(o.id, exception_kind::qc_failed, "production completed", f.now_ms, f.cause(),
                   f.out);
}

// Every batch completed and still short of the order beyond the tolerance: production must
// re-run, sales tell the customer or amend; resolved once the whole order is produced.
void exception_desk::rule_short_produced(const fact& f) {
    const order& o = f.o;
    const bool relevant =
        f.topic() == "production.order.completed"sv || f.topic() == "production.qc.failed"sv ||
        f.topic() == "sales.order.placed"sv || f.topic() == "sales.order.amended"sv;
    if (relevant && o.placed && !o.cancelled && !o.has("produced") && !o.batches.empty() &&
        std::all_of(o.batches.begin(), o.batches.end(),
                    [](const production_batch& b) { return b.completed; }) &&
        !find_open(o.id, exception_kind::short_produced)) {
        const auto missing = shortfalls(totals_of(o), measure::good, f.engine.flow().tolerance);
        if (!missing.empty()) {
            std::string what;
            for (const auto& m : missing) what += (what.empty() ? "" : "; ") + m;
            raise_request r;
            r.kind = exception_kind::short_produced;
            r.o = &o;
            r.base = f.base;
            r.detail = o.id + " is short after its last batch: " + what;
            r.cause = f.cause();
            auto& e = raise(r, f.now_ms, f.out);
            open_task(e, "production", "re-run what is missing of " + o.id + ": " + what, f.now_ms,
                      f.cause(), f.out);
            open_task(
                e, "sales",
                "tell " + o.customer + " of the short quantity of " + o.id + " or amend the order",
                f.now_ms, f.cause(), f.out);
        }
    }
    settle_when_proved(exception_kind::short_produced, f);
}

// A shipment's delivery failed (also after an earlier shipment arrived); resolved when that
// shipment is delivered, or when the whole order is.
void exception_desk::rule_delivery_failed(const fact& f) {
    const order& o = f.o;
    const std::string& id = f.change.subject;
    // An order's only shipment, unnamed by its sender, is the order's delivery to people.
    const std::string named =
        id.empty() || (id[0] == '#' && o.shipments.size() == 1) ? "" : " shipment " + id;
    if (f.topic() == "logistics.delivery.failed"sv &&
        !find_open(o.id, exception_kind::delivery_failed, id)) {
        const shipment* s = nullptr;
        for (const auto& candidate : o.shipments)
            if (candidate.id == id) s = &candidate;
        // The shipment it answers failed; or none is known yet (the failure came first) and
        // the order is not delivered.
        if (s ? s->state == shipment_state::failed : !o.has("delivered")) {
            raise_request r;
            r.kind = exception_kind::delivery_failed;
            r.o = &o;
            r.base = f.base;
            r.scope = id;
            r.detail = "delivery of " + o.id + named + " failed: " + text(f.event.data, "reason");
            r.cause = f.cause();
            auto& e = raise(r, f.now_ms, f.out);
            open_task(e, "logistics",
                      "re-plan the delivery of " + o.id + named + " with " + o.customer, f.now_ms,
                      f.cause(), f.out);
        }
    }
    if (f.topic() == "logistics.shipment.delivered"sv) {
        settle(o.id, exception_kind::delivery_failed, "delivered", f.now_ms, f.cause(), f.out, id);
        if (o.has("delivered"))
            settle_all(o.id, exception_kind::delivery_failed, "delivered", f.now_ms, f.cause(),
                       f.out);
    }
}

// Invoices: each unpaid one on credit terms ages from its due date (the invoice timer raises
// payment_overdue); a payment that settles it resolves that. An invoice that does not bill what
// was delivered (within the amount tolerance) raises invoice_mismatch, resolved when a later
// fact makes it match.
void exception_desk::rule_invoices(const fact& f) {
    const order& o = f.o;
    if (f.topic() == "finance.invoice.issued"sv)
        for (std::uint32_t i = 0; i < o.invoices.size(); ++i) {
            const invoice& inv = o.invoices[i];
            if (inv.id != f.change.subject || inv.issued_ms != f.now_ms) continue;
            if (o.terms == "credit"sv) schedule_invoice(o, i, 0);
            std::string detail;
            if (!find_open(o.id, exception_kind::invoice_mismatch, inv.id) &&
                !invoice_matches(o, inv, detail)) {
                raise_request r;
                r.kind = exception_kind::invoice_mismatch;
                r.o = &o;
                r.base = f.base;
                r.scope = inv.id;
                r.detail = "invoice " + inv.id + " of " + o.id + " " + detail;
                r.cause = f.cause();
                auto& e = raise(r, f.now_ms, f.out);
                open_task(e, "finance", "check invoice " + inv.id + " of " + o.id + ": " + detail,
                          f.now_ms, f.cause(), f.out);
            }
        }
    if (f.topic() == "finance.payment.received"sv)
        for (const auto& inv : o.invoices)
            if (inv.amount_cents > 0 && inv.paid_cents >= inv.amount_cents)
                settle(o.id, exception_kind::payment_overdue, "invoice " + inv.id + " paid",
                       f.now_ms, f.cause(), f.out, inv.id);
    // A later invoice, delivery or amendment may make an invoice match.
    auto it = by_order_.find(o.id);
    if (it == by_order_.end()) return;
    for (std::uint64_t id : it->second.exceptions) {
        exception_record& e = exceptions_.at(id);
        if (e.kind != exception_kind::invoice_mismatch || e.state == exception_state::resolved)
            continue;
        for (const auto& inv : o.invoices) {
            std::string detail;
            if (inv.id == e.scope && invoice_matches(o, inv, detail))
                resolve_record(e, "baton", "invoice " + inv.id + " now bills what was delivered",
                               f.now_ms, f.cause(), f.out);
        }
    }
}

bool exception_desk::invoice_matches(const order& o, const invoice& inv,
                                     std::string& detail) const {
    const order_totals t = totals_of(o);
    std::int64_t billed = inv.amount_cents, expected = 0;
    std::string basis;
    if (!inv.shipment.empty()) {
        const shipment* s = nullptr;
        for (const auto& candidate : o.shipments)
            if (candidate.id == inv.shipment) s = &candidate;
        if (!s) return true;  // the shipment is not known yet: nothing to compare with
        expected = shipment_value_cents(o, t, *s);
        basis = std::string("shipment ") + s->id +
                (s->state == shipment_state::delivered ? " delivered" : " dispatched");
    } else {
        billed = o.invoiced_cents();
        const bool any_delivered =
            std::any_of(o.shipments.begin(), o.shipments.end(),
                        [](const shipment& s) { return s.state == shipment_state::delivered; });
        expected = any_delivered ? delivered_value_cents(o, t) : o.amount_cents;
        basis = any_delivered ? "delivered" : "ordered";
    }
    if (within(billed, expected, flow_.tolerance.amount_bp)) return true;
    detail = "bills " + money_text(billed) + " against " + money_text(expected) + " " + basis;
    return false;
}

// delivery_late (raised by the promise timer) is resolved by delivered.
void exception_desk::rule_delivered_late(const fact& f) {
    settle_when_proved(exception_kind::delivery_late, f);
}

// After-sale cases: a new case starts its clock; a closed one resolves its case_overdue.
void exception_desk::rule_cases(const fact& f) {
    const order& o = f.o;
    if (f.topic() == "sales.complaint.filed"sv || f.topic() == "sales.return.requested"sv)
        for (std::uint32_t i = 0; i < o.cases.size(); ++i)
            if (o.cases[i].state == "open"sv && o.cases[i].opened_ms == f.now_ms &&
                o.cases[i].id == text(f.event.data, "case"))
                schedule_case(o, i);
    for (const auto& c : o.cases)
        if (c.state == "closed"sv)
            settle(o.id, exception_kind::case_overdue, "case closed: " + c.resolution, f.now_ms,
                   f.cause(), f.out, c.id);
}

// Cancelled: nothing about it is pending any more.
void exception_desk::rule_cancelled(const fact& f) {
    const order& o = f.o;
    if (f.topic() != "sales.order.cancelled"sv || !o.cancelled) return;
    auto it = by_order_.find(o.id);
    if (it == by_order_.end()) return;
    for (std::uint64_t id : it->second.exceptions) {
        exception_record& e = exceptions_.at(id);
        if (e.state != exception_state::resolved)
            resolve_record(e, "baton", "order cancelled", f.now_ms, f.cause(), f.out);
    }
}

// Follow-ups that hang on no exception: an answering fact closes them; an amendment after
// scheduling asks production (and finance when the amount changed) to confirm it; a cancel
// after production started asks for the goods and the money to be dealt with.
void exception_desk::rule_follow_ups(const fact& f) {
    const order& o = f.o;
    const bool cancelling = f.topic() == "sales.order.cancelled"sv && o.cancelled &&
                            f.change.previous_stage != "cancelled"sv;
    if (auto it = by_order_.find(o.id); it != by_order_.end())
        for (std::uint64_t id : it->second.tasks) {
            task_record& t = tasks_.at(id);
            if (t.exception_id != 0 || t.state == task_state::done) continue;
            if (!t.answer.empty() && t.answer == f.topic())
                close_task(t, "baton", f.topic() + " " + f.cause(), f.now_ms, f.cause(), f.out);
            else if (cancelling)
                close_task(t, "baton", "order cancelled", f.now_ms, f.cause(), f.out);
        }
    if (f.change.amended_after_scheduling && !o.cancelled) {
        std::string changed;
        if (f.event.data.find("lines")) changed = "lines";
        for (const char* key : {"amount_cents", "promised_date", "terms", "new_die"})
            if (f.event.data.find(key)) changed += (changed.empty() ? "" : ", ") + std::string(key);
        open_follow_up(o, "production",
                       "confirm the amended " + o.id + " (" + changed + ") against its plan",
                       "production.order.scheduled", f.now_ms, f.cause(), f.out);
        if (f.change.amount_amended)
            open_follow_up(o, "finance",
                           "confirm the new amount of " + o.id + ": " + money_text(o.amount_cents),
                           "finance.credit.approved", f.now_ms, f.cause(), f.out);
    }
    if (!cancelling) return;
    const bool started =
        o.has("started") || o.has("produced") ||
        std::any_of(o.batches.begin(), o.batches.end(),
                    [](const production_batch& b) { return b.started || b.completed; });
    if (started) {
        open_follow_up(o, "sales", "re-sell or scrap the goods made for the cancelled " + o.id, "",
                       f.now_ms, f.cause(), f.out);
        open_follow_up(o, "logistics",
                       "take the goods made for the cancelled " + o.id + " into stock", "",
                       f.now_ms, f.cause(), f.out);
    }
    if (o.paid_cents > 0)
        open_follow_up(o, "finance",
                       "refund " + money_text(o.paid_cents) + " paid for the cancelled " + o.id +
                           (o.charge_cents > 0 ? " less the charge" : ""),
                       "", f.now_ms, f.cause(), f.out);
    if (o.charge_cents > 0)
        open_follow_up(o, "finance",
                       "charge " + o.customer + " the cancellation charge of " +
                           money_text(o.charge_cents) + " for " + o.id,
                       "", f.now_ms, f.cause(), f.out);
}

// A new stage: what watched the old one is settled; the new one gets its clock.
void exception_desk::rule_stage_change(const fact& f) {
    const order& o = f.o;
    // A new plan moves a planned_finish deadline: the stage clock follows it.
    if (!f.change.stage_changed && f.change.plan_changed && o.open())
        if (const stage_def* s = stage_named(o.stage); s && s->sla_from == "planned_finish"sv)
            schedule_stage(o, next_stage_step(o, *s));
    if (!f.change.stage_changed) return;
    if (auto it = by_order_.find(o.id); it != by_order_.end())
        for (std::uint64_t id : it->second.exceptions) {
            exception_record& e = exceptions_.at(id);
            if (e.state != exception_state::resolved && stage_bound(e.kind) && !e.stage.empty() &&
                e.stage == f.change.previous_stage)
                resolve_record(e, "baton", "moved on to " + o.stage, f.now_ms, f.cause(), f.out);
        }
    schedule_stage(o, 0);
}

// A new promised date gets its clock; one still ahead settles delivery_late.
void exception_desk::rule_new_promise(const fact& f) {
    const order& o = f.o;
    if (!f.change.promise_changed || !o.open()) return;
    if (auto start = date_start_ms(o.promised_date)) {
        schedule_promise(o, *start);
        if (*start + day_ms > f.now_ms)
            settle(o.id, exception_kind::delivery_late, "promised date moved to " + o.promised_date,
                   f.now_ms, f.cause(), f.out);
    }
}

// delivery_at_risk: on a stage change, a new promise or a new production plan, the end of the
// planned finish day (or now, once produced) plus the SLAs of the stages still ahead up to
// delivery against the end of the promised day.
void exception_desk::rule_delivery_risk(const fact& f) {
    if (!f.change.stage_changed && !f.change.promise_changed && !f.change.plan_changed) return;
    const order& o = f.o;
    const std::int64_t now_ms = f.now_ms;
    exception_record* open = find_open(o.id, exception_kind::delivery_at_risk);
    auto promised = date_start_ms(o.promised_date);
    if (!o.open() || !o.placed || o.has("delivered") || !promised) {
        if (open) resolve_record(*open, "baton", "no longer at risk", now_ms, f.cause(), f.out);
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
    // Then every remaining stage up to delivery takes its SLA. The path is told only when the
    // exception is raised: most stage changes predict in time.
    const auto remaining_stages = [&](auto&& each) {
        bool after_production = false;
        for (const auto& s : flow_.stages) {
            if (s.exit == "produced"sv) {
                after_production = true;
                continue;
            }
            if (!after_production || !stage_applies(s, o) || o.has(s.exit)) {
                if (s.exit == "delivered"sv && after_production) break;
                continue;
            }
            each(s);
            if (s.exit == "delivered"sv) break;
        }
    };
    std::int64_t remaining = 0;
    remaining_stages([&](const stage_def& s) { remaining += s.sla_us / 1000; });
    const std::int64_t predicted = start + remaining;
    const std::int64_t promised_end = *promised + day_ms;
    if (predicted > promised_end) {
        if (open) return;
        std::string path;
        remaining_stages([&](const stage_def& s) {
            path += ", then " + s.name + " " + duration_text(s.sla_us / 1000);
        });
        raise_request r;
        r.kind = exception_kind::delivery_at_risk;
        r.o = &o;
        r.base = f.base;
        r.detail = o.id + " may miss its promised date " + o.promised_date + ": " + basis + path +
                   " gives " + utc_minute_text(predicted);
        r.cause = f.cause();
        auto& e = raise(r, now_ms, f.out);
        open_task(e, "sales", "agree a new date with " + o.customer + " or expedite " + o.id,
                  now_ms, f.cause(), f.out);
    } else if (open) {
        resolve_record(*open, "baton", "the plan meets the promised date again", now_ms, f.cause(),
                       f.out);
    }
}

}  // namespace baton
