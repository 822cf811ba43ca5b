// What the plant's sales department does after placing an order: amendments (the promised date
// moved; once scheduled also a line's quantity or the price, which production and finance
// confirm; a short order amended down), cancellations (before dispatch, or once produced with
// a charge), and after-sale cases (complaints closed with a credit note, returns).
#include <algorithm>
#include <array>

#include "plant.h"
#include "plant_order.h"

namespace baton::adapters::simulator {

value plant::order_lines(const sim_order& o) const {
    value_list list;
    for (const auto& l : o.lines) {
        value v;
        v.set("item", "PRF-" + std::to_string(l.die) + "-" + std::to_string(l.length_mm));
        v.set("die", "D-" + std::to_string(l.die));
        v.set("alloy", l.alloy);
        v.set("temper", l.temper);
        v.set("finish", l.finish);
        if (!l.colour.empty()) v.set("colour", l.colour);
        v.set("length_mm", l.length_mm);
        v.set("qty", l.qty);
        v.set("unit", l.unit);
        v.set("weight_kg_m", l.weight_kg_m);
        v.set("amount_cents", ll(l.amount_cents));
        list.push_back(std::move(v));
    }
    return value(std::move(list));
}

// sales.order.amended with what changed; once production has the order it confirms its plan,
// and finance a changed amount.
void plant::send_amendment(sim_order& o, const std::string& reason, bool lines, bool amount,
                           bool promised) {
    ++stats_.amendments;
    value d;
    d.set("reason", reason);
    d.set("by", accounts_[o.customer].manager);
    if (lines) d.set("lines", order_lines(o));
    if (amount) d.set("amount_cents", ll(o.amount_cents));
    if (promised) d.set("promised_date", civil_date(o.promised_day));
    emit(make(department::sales, "sales.order.amended", &o, std::move(d)), &o, false);
    if (o.scheduled && !o.delivered)
        schedule(o.index, action_kind::confirm_plan, now_ms_ + answer_after(2, 12, 30));
    if (amount) schedule(o.index, action_kind::confirm_amount, now_ms_ + hours(1, 8));
}

void plant::amend_promised_date(sim_order& o) {
    if (o.dispatched_any()) return;
    o.promised_day += between(3, 10);
    send_amendment(o, "customer asked for a later delivery: site not ready", false, false, true);
}

void plant::amend_after_schedule(sim_order& o) {
    if (o.dispatched_any() || o.invoiced) return;
    ++stats_.amended_after_schedule;
    account& a = accounts_[o.customer];
    const double r = uniform();
    // A line whose run has not started yet can still change its quantity.
    std::vector<std::size_t> open_lines;
    for (std::size_t i = 0; i < o.lines.size(); ++i) {
        bool started = false;
        for (const auto& b : o.batches)
            for (std::size_t k : b.lines) started = started || (k == i && b.started);
        if (!started) open_lines.push_back(i);
    }
    const std::int64_t before = o.amount_cents;
    auto retotal = [&] {
        o.amount_cents = 0;
        for (const auto& l : o.lines) o.amount_cents += l.amount_cents;
        const std::int64_t delta = o.amount_cents - before;
        o.open_cents += delta;
        a.open_cents += delta;
    };
    if (!o.prepay && r < 0.4 && !open_lines.empty()) {
        auto& l = o.lines[open_lines[next_random() % open_lines.size()]];
        const double old_qty = l.qty;
        // Whole bars more or fewer.
        const double pieces = std::max(
            1.0,
            std::round(l.qty / (l.unit == "pcs" ? 1.0 : l.bar_kg()) * (0.8 + 0.45 * uniform())));
        l.qty = l.unit == "pcs" ? pieces : round_to(pieces * l.bar_kg(), 0.1);
        if (l.qty == old_qty)
            l.qty = l.unit == "pcs" ? old_qty + 1 : round_to(old_qty + l.bar_kg(), 0.1);
        l.amount_cents = std::llround(static_cast<double>(l.amount_cents) * l.qty / old_qty);
        retotal();
        const std::size_t no = static_cast<std::size_t>(&l - o.lines.data()) + 1;
        send_amendment(o,
                       "customer changed line " + std::to_string(no) + " from " +
                           std::to_string(static_cast<long long>(std::llround(old_qty))) + " to " +
                           std::to_string(static_cast<long long>(std::llround(l.qty))) + " " +
                           l.unit,
                       true, true, false);
        return;
    }
    if (!o.prepay && r < 0.65) {
        const bool surcharge = chance(0.5);
        const double factor = surcharge ? 1.02 + 0.04 * uniform() : 0.94 + 0.04 * uniform();
        for (auto& l : o.lines)
            l.amount_cents = std::llround(static_cast<double>(l.amount_cents) * factor);
        retotal();
        send_amendment(o,
                       surcharge ? "alloy surcharge of the month applied to the order"
                                 : "repeat-order discount agreed with the customer",
                       true, true, false);
        return;
    }
    const bool later = chance(0.7);
    o.promised_day += later ? between(3, 10) : -between(1, 3);
    send_amendment(o,
                   later ? "customer moved the delivery date back: site not ready"
                         : "customer asked for an earlier delivery: site programme brought forward",
                   false, false, true);
}

// Short after the last run, and the customer takes what was made: the lines come down to it.
void plant::amend_short_down(sim_order& o) {
    ++stats_.short_amended;
    account& a = accounts_[o.customer];
    const std::int64_t before = o.amount_cents;
    std::string what;
    o.amount_cents = 0;
    for (std::size_t i = 0; i < o.lines.size(); ++i) {
        auto& l = o.lines[i];
        if (!covers(l.good, l.qty, l.unit)) {
            l.amount_cents = std::llround(static_cast<double>(l.amount_cents) * l.good / l.qty);
            what += (what.empty() ? "line " : ", line ") + std::to_string(i + 1);
            l.qty = l.good;
        }
        o.amount_cents += l.amount_cents;
    }
    o.open_cents += o.amount_cents - before;
    a.open_cents += o.amount_cents - before;
    send_amendment(o, "customer accepts the short quantity of " + what, true, true, false);
    o.produced = true;
    after_production(o);
}

void plant::cancel(sim_order& o, const std::string& reason, bool late) {
    account& a = accounts_[o.customer];
    bool made = false;
    for (const auto& b : o.batches) made = made || b.completed;
    value d;
    d.set("reason", reason);
    d.set("by", a.manager);
    if (late) {
        ++stats_.late_cancellations;
        if (chance(2.0 / 3)) {
            ++stats_.cancellation_charges;
            d.set("charge_cents",
                  ll(o.amount_cents * static_cast<std::int64_t>(between(10, 30)) / 100));
        }
    } else if (made) {
        ++stats_.cancellation_charges;
        d.set("charge_cents", ll(o.amount_cents / 10));
    }
    emit(make(department::sales, "sales.order.cancelled", &o, std::move(d)), &o, false);
    o.cancelled = true;
    a.open_cents -= o.open_cents;
    o.open_cents = 0;
    ++stats_.cancellations;
    set_outcome(o, order_outcome::cancelled);
}

void plant::file_complaint(sim_order& o) {
    ++stats_.complaints;
    o.complaint_type = static_cast<int>(next_random() % complaint_kinds.size());
    const complaint_kind& k = complaint_kinds[static_cast<std::size_t>(o.complaint_type)];
    o.complaint_line = static_cast<int>(between(1, static_cast<std::int64_t>(o.lines.size())));
    const auto& l = o.lines[static_cast<std::size_t>(o.complaint_line - 1)];
    o.complaint_case = "CP-" + tag_ + "-" + pad(++next_case_, 4);
    o.claimed_cents = l.amount_cents / 5;
    value d;
    d.set("case", o.complaint_case);
    d.set("kind", k.kind);
    d.set("detail", k.detail);
    d.set("line", o.complaint_line);
    d.set("qty",
          std::max(l.unit == "pcs" ? 1.0 : 0.1, in_unit(l.unit, l.qty * (0.05 + 0.3 * uniform()))));
    d.set("unit", l.unit);
    d.set("claimed_cents", ll(o.claimed_cents));
    emit(make(department::sales, "sales.complaint.filed", &o, std::move(d)), &o, false);
    schedule(o.index, action_kind::close_complaint, now_ms_ + answer_after(20, 85, 200));
    if (o.with_return) schedule(o.index, action_kind::return_request, now_ms_ + hours(2, 48));
}

void plant::request_return(sim_order& o) {
    ++stats_.returns;
    const auto& l = o.lines[static_cast<std::size_t>(o.complaint_line - 1)];
    o.return_case = "RT-" + tag_ + "-" + pad(++next_case_, 4);
    value d;
    d.set("case", o.return_case);
    d.set("qty",
          std::max(l.unit == "pcs" ? 1.0 : 0.1, in_unit(l.unit, l.qty * (0.1 + 0.3 * uniform()))));
    d.set("unit", l.unit);
    d.set("reason", "bars outside tolerance, replacement agreed under " + o.complaint_case);
    d.set("line", o.complaint_line);
    d.set("pickup_date", civil_date(today() + 3));
    emit(make(department::sales, "sales.return.requested", &o, std::move(d)), &o, false);
    schedule(o.index, action_kind::close_return, now_ms_ + answer_after(60, 170, 330));
}

// Sales settles the complaint with the customer (mostly a credit note); production reports the
// root cause afterwards.
void plant::close_complaint(sim_order& o) {
    const double r = uniform();
    value d;
    d.set("case", o.complaint_case);
    if (r < 0.6) {
        ++stats_.credit_notes;
        const std::int64_t credit = o.claimed_cents * between(50, 100) / 100;
        d.set("resolution", "claim accepted: credit note of " + money_text(credit) + " agreed");
        d.set("outcome", "credit_note");
        d.set("credit_cents", ll(std::max<std::int64_t>(credit, 1)));
    } else if (r < 0.85) {
        d.set("resolution", "claim accepted: replacement bars with the next delivery");
        d.set("outcome", "replacement");
    } else {
        d.set("resolution", "claim rejected: the bars meet the agreed limit samples");
        d.set("outcome", "rejected");
    }
    d.set("by", accounts_[o.customer].manager);
    emit(make(department::sales, "sales.case.closed", &o, std::move(d)), &o, false);
    schedule(o.index, action_kind::explain_complaint, now_ms_ + hours(4, 72));
}

void plant::explain_complaint(sim_order& o) {
    const complaint_kind& k = complaint_kinds[static_cast<std::size_t>(o.complaint_type)];
    value d;
    d.set("case", o.complaint_case);
    d.set("resolution", "investigated; corrective action in place");
    d.set("root_cause", k.root_cause);
    d.set("by", inspectors[next_random() % inspectors.size()]);
    emit(make(department::production, "production.case.resolved", &o, std::move(d)), &o, false);
}

void plant::close_return(sim_order& o) {
    value d;
    d.set("case", o.return_case);
    if (chance(0.7)) {
        d.set("resolution", "returned bars received and checked; replacement delivered");
        d.set("outcome", "replacement");
    } else {
        ++stats_.credit_notes;
        d.set("resolution", "returned bars received and checked; credited");
        d.set("outcome", "credit_note");
        d.set("credit_cents", ll(std::max<std::int64_t>(o.claimed_cents, 1)));
    }
    d.set("by", accounts_[o.customer].manager);
    emit(make(department::sales, "sales.case.closed", &o, std::move(d)), &o, false);
}

}  // namespace baton::adapters::simulator
