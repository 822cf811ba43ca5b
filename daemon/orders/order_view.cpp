// The order's pieces for the control socket (order_view.h).
#include "order_view.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace baton {

namespace {

value qty(std::int64_t milli) {
    return value(static_cast<double>(milli) / 1000.0);
}

value ms(std::int64_t t) {
    return value(static_cast<long long>(t));
}

// A fact's quantities as [{line, qty, unit}], summed per line (a qc failure after completion
// is stored as a negative good quantity). Line 0 (the fact named none) is the line of a one-line
// order; on a multi-line order it stays 0: the order as a whole.
value quantities_view(const order& o, const std::vector<line_qty>& qs) {
    std::vector<std::pair<int, std::string>> keys;
    std::vector<std::int64_t> sums;
    for (const auto& q : qs) {
        int no = q.line;
        std::string unit = q.unit;
        if (no == 0 && o.line_items.size() == 1) no = o.line_items.front().no;
        if (unit.empty())
            for (const auto& l : o.line_items)
                if (l.no == no) unit = l.unit;
        auto it = std::find(keys.begin(), keys.end(), std::make_pair(no, unit));
        if (it == keys.end()) {
            keys.emplace_back(no, unit);
            sums.push_back(q.milli);
        } else {
            sums[static_cast<std::size_t>(it - keys.begin())] += q.milli;
        }
    }
    value_list list;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        value e;
        e.set("line", static_cast<long long>(keys[i].first));
        e.set("qty", qty(sums[i]));
        e.set("unit", keys[i].second);
        list.push_back(std::move(e));
    }
    return value(std::move(list));
}

value batch_view(const order& o, const production_batch& b) {
    value v;
    v.set("id", b.id);
    v.set("press_line", b.press_line);
    v.set("planned_start", b.planned_start);
    v.set("planned_finish", b.planned_finish);
    v.set("started", b.started);
    v.set("completed", b.completed);
    v.set("whole", b.whole);
    v.set("good", quantities_view(o, b.good));
    v.set("scrap", quantities_view(o, b.scrap));
    v.set("qc_failures", static_cast<long long>(b.qc_failures));
    v.set("scheduled_at", ms(b.scheduled_ms));
    v.set("completed_at", ms(b.completed_ms));
    return v;
}

value shipment_view(const order& o, const shipment& s) {
    value v;
    v.set("id", s.id);
    v.set("state", shipment_state_name(s.state));
    v.set("vehicle", s.vehicle);
    v.set("carrier", s.carrier);
    v.set("expected_delivery", s.expected_delivery);
    v.set("whole", s.whole);
    v.set("lines", quantities_view(o, s.sent));
    v.set("received", quantities_view(o, s.received));
    v.set("dispatched_at", ms(s.dispatched_ms));
    v.set("answered_at", ms(s.answered_ms));
    v.set("failure", s.failure);
    return v;
}

value line_view(const order& o, const line_totals& t, bool shipped_whole) {
    value v;
    v.set("no", static_cast<long long>(t.no));
    v.set("item", t.item.str());
    std::string die;
    std::int64_t amount = -1;
    for (const auto& l : o.line_items)
        if (l.no == t.no) {
            die = l.die;
            amount = l.amount_cents;
        }
    v.set("die", die);
    v.set("unit", t.unit.str());
    v.set("ordered", qty(t.ordered));
    v.set("good", qty(t.good));
    v.set("scrap", qty(t.scrap));
    v.set("dispatched", qty(t.dispatched));
    v.set("delivered", qty(t.delivered));
    v.set("on_road", qty(t.on_road));
    const std::int64_t missing = t.ordered - std::max(t.dispatched, t.delivered);
    v.set("backorder", qty(shipped_whole ? 0 : std::max<std::int64_t>(0, missing)));
    if (amount >= 0) v.set("amount_cents", static_cast<long long>(amount));
    return v;
}

}  // namespace

std::string ageing_name(const invoice& inv, std::int64_t now_ms) {
    if (inv.amount_cents - inv.paid_cents <= 0) return "";
    const int bucket = ageing_bucket(days_overdue(inv.due_date, now_ms));
    return ageing_name(bucket);
}

value invoice_view(const invoice& inv, std::int64_t now_ms) {
    value v;
    v.set("id", inv.id);
    v.set("shipment", inv.shipment);
    v.set("amount_cents", static_cast<long long>(inv.amount_cents));
    v.set("invoice_date", inv.invoice_date);
    v.set("due_date", inv.due_date);
    v.set("issued_at", ms(inv.issued_ms));
    v.set("paid_cents", static_cast<long long>(inv.paid_cents));
    v.set("open_cents",
          static_cast<long long>(std::max<std::int64_t>(0, inv.amount_cents - inv.paid_cents)));
    const std::int64_t days = days_overdue(inv.due_date, now_ms);
    if (days != std::numeric_limits<std::int64_t>::min())
        v.set("days_overdue", static_cast<long long>(days));
    v.set("ageing", ageing_name(inv, now_ms));
    v.set("settled_at", ms(inv.settled_ms));
    return v;
}

value backorder_view(const order_totals& t) {
    value_list rest;
    for (const auto& b : backorder(t)) {
        value l;
        l.set("line", static_cast<long long>(b.no));
        l.set("item", b.item.str());
        l.set("qty", qty(b.milli));
        l.set("unit", b.unit.str());
        rest.push_back(std::move(l));
    }
    return value(std::move(rest));
}

void add_order_pieces(value& out, const order& o, std::int64_t now_ms) {
    const order_totals t = totals_of(o);
    out.set("salesperson", o.salesperson.str());
    out.set("customer_po", o.customer_po);
    out.set("deposit_cents", static_cast<long long>(o.deposit_cents));
    out.set("charge_cents", static_cast<long long>(o.charge_cents));
    out.set("prepay_switched", o.prepay_switched);

    const bool shipped_whole = t.dispatched_whole || t.delivered_whole;
    value_list lines;
    for (const auto& l : t.lines) lines.push_back(line_view(o, l, shipped_whole));
    out.set("line_items", value(std::move(lines)));
    value whole;
    whole.set("produced", t.produced_whole);
    whole.set("dispatched", shipped_whole);
    whole.set("delivered", t.delivered_whole);
    out.set("whole", std::move(whole));
    value_list problems;
    for (const auto& p : t.problems) problems.emplace_back(p.detail);
    out.set("quantity_problems", value(std::move(problems)));
    out.set("backorder", backorder_view(t));

    value_list batches;
    for (const auto& b : o.batches) batches.push_back(batch_view(o, b));
    out.set("batches", value(std::move(batches)));
    value_list shipments;
    for (const auto& s : o.shipments) shipments.push_back(shipment_view(o, s));
    out.set("shipments", value(std::move(shipments)));

    value_list invoices;
    std::int64_t owed = 0, applied = 0;
    for (const auto& inv : o.invoices) {
        invoices.push_back(invoice_view(inv, now_ms));
        owed += std::max<std::int64_t>(0, inv.amount_cents - inv.paid_cents);
        applied += inv.paid_cents;
    }
    out.set("invoices", value(std::move(invoices)));
    value_list payments;
    for (const auto& p : o.payments) {
        value v;
        v.set("amount_cents", static_cast<long long>(p.amount_cents));
        v.set("invoice", p.invoice);
        v.set("at", ms(p.at_ms));
        payments.push_back(std::move(v));
    }
    out.set("payments", value(std::move(payments)));
    out.set("invoiced_cents", static_cast<long long>(o.invoiced_cents()));
    out.set("owed_cents", static_cast<long long>(owed));
    out.set("unapplied_cents",
            static_cast<long long>(std::max<std::int64_t>(0, o.paid_cents - applied)));
    out.set("delivered_value_cents", static_cast<long long>(delivered_value_cents(o, t)));
}

}  // namespace baton
