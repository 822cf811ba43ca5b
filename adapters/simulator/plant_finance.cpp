// What the plant's finance department does: credit decisions (a refusal the customer may answer
// by prepaying), prepayments, one invoice per shipment on credit terms (one for the order on
// prepay), payments naming their invoice (some late, so invoices age past their due date), and
// the customer's receivable balance with what of it is overdue.
#include <algorithm>
#include <array>

#include "plant.h"
#include "plant_order.h"

namespace baton::adapters::simulator {

namespace {

constexpr std::array<const char*, 4> credit_officers = {"a.kowalska", "j.weber", "m.novak",
                                                        "s.baker"};

}  // namespace

void plant::decide_credit(sim_order& o) {
    const customer& c = customers_[o.customer];
    account& a = accounts_[o.customer];
    const std::int64_t exposure = a.balance_cents + a.open_cents;
    value d;
    d.set("by", credit_officers[next_random() % credit_officers.size()]);
    if (!o.reject) {
        d.set("reason", o.prepay ? "prepayment customer: released against payment before "
                                   "shipment"
                                 : "within limit, no overdue items");
        d.set("limit_cents", ll(c.credit_limit_cents));
        d.set("valid_until", civil_date(today() + 30));
        emit(make(department::finance, "finance.credit.approved", &o, std::move(d)), &o, true);
        after_credit(o);
        return;
    }
    ++stats_.credit_rejections;
    std::string reason;
    if (c.terms == "credit" && exposure > c.credit_limit_cents)
        reason = "exposure " + money_text(exposure) + " over the credit limit of " +
                 money_text(c.credit_limit_cents);
    else if (a.overdue_cents > 0)
        reason = money_text(a.overdue_cents) + " overdue on earlier invoices";
    else
        reason = "credit insurer reduced the cover for " + c.id + " pending review";
    const bool prepay_accepted = o.after_reject == 3;
    if (prepay_accepted) reason += "; the customer agreed to pay in advance";
    d.set("reason", reason);
    d.set("exposure_cents", ll(exposure));
    d.set("prepay_accepted", prepay_accepted);
    emit(make(department::finance, "finance.credit.rejected", &o, std::move(d)), &o, false);
    if (prepay_accepted) {
        // Released against payment in advance: from now on a prepay order.
        ++stats_.prepay_switches;
        o.prepay = true;
        after_credit(o);
    } else if (o.after_reject == 2) {
        set_outcome(o, order_outcome::on_hold);
    } else {
        schedule(o.index, action_kind::credit_review_again,
                 now_ms_ + (o.after_reject == 0 ? hours(4, 48) : hours(24, 72)));
    }
}

void plant::review_credit_again(sim_order& o) {
    if (o.after_reject == 1) {
        cancel(o, "credit refused; the customer withdrew the order", false);
        return;
    }
    value d;
    d.set("by", credit_officers[next_random() % credit_officers.size()]);
    d.set("reason",
          "approved after review: customer paid the overdue items and agreed "
          "a partial prepayment");
    d.set("limit_cents", ll(customers_[o.customer].credit_limit_cents));
    emit(make(department::finance, "finance.credit.approved", &o, std::move(d)), &o, true);
    after_credit(o);
}

// An amended amount: finance confirms the credit for it.
void plant::confirm_amount(sim_order& o) {
    ++stats_.confirmations;
    value d;
    d.set("by", credit_officers[next_random() % credit_officers.size()]);
    d.set("reason", "amended amount " + money_text(o.amount_cents) + " confirmed");
    d.set("limit_cents", ll(customers_[o.customer].credit_limit_cents));
    emit(make(department::finance, "finance.credit.approved", &o, std::move(d)), &o, false);
}

// Prepay: the customer pays the order (early, or after production asked for it).
void plant::receive_prepayment(sim_order& o) {
    if (o.slow_pay && !o.pays_early) ++stats_.slow_payments;
    o.paid = true;
    ++stats_.payments;
    value d;
    d.set("amount_cents", ll(o.amount_cents));
    d.set("currency", "EUR");
    d.set("method", "bank_transfer");
    d.set("reference", "PRO-FORMA " + o.id);
    d.set("value_date", civil_date(today()));
    emit(make(department::finance, "finance.payment.received", &o, std::move(d)), &o, true);
    if (o.produced && !o.trucks_planned)
        schedule(o.index, action_kind::plan_trucks, now_ms_ + answer_after(3, 16, 40));
}

// Credit terms: one invoice per delivered shipment, for what it carried, due after the
// customer's payment days; paid on time or (late_pay) 10-100 days after the due date.
void plant::invoice_shipment(sim_order& o, std::uint32_t t) {
    account& a = accounts_[o.customer];
    const sim_order::truck& truck = o.trucks[t];
    std::int64_t amount = 0;
    for (const auto& l : truck.loads) {
        const auto& line = o.lines[l.line];
        amount += value_of(line.amount_cents, line.qty, l.qty);
    }
    if (chance(options_.faults.invoice_mismatch)) {
        // Billed at a wrong price (last year's list, or the surcharge twice).
        ++stats_.invoice_mismatches;
        const double off = 0.03 + 0.09 * uniform();
        amount = std::llround(static_cast<double>(amount) * (chance(0.5) ? 1 + off : 1 - off));
    }
    sim_order::bill b;
    b.invoice = "INV-" + tag_ + "-" + pad(++next_invoice_, 5);
    b.amount_cents = amount;
    b.due_ms = now_ms_ + a.payment_days * day_ms;
    b.receivable = true;
    ++stats_.invoices;
    value d;
    d.set("invoice", b.invoice);
    d.set("amount_cents", ll(amount));
    d.set("currency", "EUR");
    d.set("invoice_date", civil_date(today()));
    d.set("due_date", civil_date(day_of(b.due_ms)));
    d.set("shipment", truck.shipment);
    emit(make(department::finance, "finance.invoice.issued", &o, std::move(d)), &o, true);
    const std::int64_t billed = std::min(o.open_cents, amount);
    o.open_cents -= billed;
    a.open_cents -= billed;
    a.balance_cents += amount;
    const auto k = static_cast<std::uint32_t>(o.bills.size());
    const std::int64_t due = b.due_ms;
    o.bills.push_back(std::move(b));
    update_receivable(a);
    if (chance(options_.faults.late_pay)) {
        schedule(o.index, action_kind::invoice_due, due + hours(8, 20), k);
        schedule(o.index, action_kind::payment, due + hours(10 * 24, 100 * 24), k);
    } else {
        schedule(o.index, action_kind::payment, std::max(now_ms_ + day_ms, due + hours(-5 * 24, 0)),
                 k);
    }
    // Every shipment billed: the order is done.
    if (o.delivered && o.bills.size() == o.trucks.size()) {
        o.invoiced = true;
        a.open_cents -= o.open_cents;
        o.open_cents = 0;
        set_outcome(o, order_outcome::closed);
    }
}

// Prepay: one invoice for what was delivered, paid in advance.
void plant::invoice_order(sim_order& o) {
    account& a = accounts_[o.customer];
    std::int64_t amount = 0;
    for (const auto& t : o.trucks)
        for (const auto& l : t.loads) {
            const auto& line = o.lines[l.line];
            amount += value_of(line.amount_cents, line.qty, l.qty);
        }
    sim_order::bill b;
    b.invoice = "INV-" + tag_ + "-" + pad(++next_invoice_, 5);
    b.amount_cents = amount;
    b.due_ms = now_ms_;
    ++stats_.invoices;
    value d;
    d.set("invoice", b.invoice);
    d.set("amount_cents", ll(amount));
    d.set("currency", "EUR");
    d.set("invoice_date", civil_date(today()));
    d.set("due_date", civil_date(today()));
    emit(make(department::finance, "finance.invoice.issued", &o, std::move(d)), &o, true);
    o.bills.push_back(std::move(b));
    o.invoiced = true;
    a.open_cents -= o.open_cents;
    o.open_cents = 0;
    set_outcome(o, order_outcome::closed);
}

// A late payer's invoice passes its due date unpaid: the receivable shows it overdue.
void plant::invoice_falls_due(sim_order& o, std::uint32_t k) {
    account& a = accounts_[o.customer];
    sim_order::bill& b = o.bills[k];
    b.overdue = true;
    a.overdue_cents += b.amount_cents;
    update_receivable(a);
}

void plant::receive_payment(sim_order& o, std::uint32_t k) {
    account& a = accounts_[o.customer];
    sim_order::bill& b = o.bills[k];
    const bool late = now_ms_ > b.due_ms + day_ms;
    if (late) ++stats_.late_payments;
    ++stats_.payments;
    a.balance_cents -= b.amount_cents;
    if (b.overdue) a.overdue_cents -= b.amount_cents;
    b.overdue = false;
    b.receivable = false;
    value d;
    d.set("amount_cents", ll(b.amount_cents));
    d.set("currency", "EUR");
    d.set("method", "bank_transfer");
    d.set("reference", "REM " + customers_[o.customer].id + " " + b.invoice);
    d.set("value_date", civil_date(today()));
    d.set("invoice", b.invoice);
    emit(make(department::finance, "finance.payment.received", &o, std::move(d)), &o, false);
    update_receivable(a);
}

void plant::update_receivable(account& a) {
    const std::size_t k = static_cast<std::size_t>(&a - accounts_.data());
    value d;
    d.set("customer", customers_[k].id);
    d.set("balance_cents", ll(a.balance_cents));
    d.set("overdue_cents", ll(std::max<std::int64_t>(a.overdue_cents, 0)));
    d.set("as_of", civil_date(today()));
    emit(make(department::finance, "finance.receivable.updated", nullptr, std::move(d)), nullptr,
         false);
}

}  // namespace baton::adapters::simulator
