// Realistic events for tests: envelopes that pass the repository's schemas.
#pragma once

#include <string>

#include "envelope.h"

namespace baton::testing {

inline value line_item(const std::string& die, double qty) {
    value l;
    l.set("item", "PRF-" + die);
    l.set("die", die);
    l.set("alloy", "6063");
    l.set("temper", "T66");
    l.set("finish", "anodised");
    l.set("length_mm", 6000);
    l.set("qty", qty);
    l.set("unit", "kg");
    return l;
}

inline envelope make_event(const std::string& topic, const std::string& id,
                           const std::string& order, value data,
                           const std::string& source = "test-erp") {
    envelope e;
    e.id = id;
    e.source = source;
    e.topic = topic;
    e.ts_ms = 1795000000000;
    if (!order.empty()) e.order = order;
    e.data = data.is_nil() ? value(value_map{}) : std::move(data);
    return e;
}

inline envelope order_placed(const std::string& id, const std::string& order,
                             const std::string& customer = "C-1001") {
    value d;
    d.set("customer", customer);
    d.set("lines", value_list{line_item("D-4411", 1200.0), line_item("D-0930", 350.5)});
    d.set("amount_cents", 1843000);
    d.set("promised_date", "2026-12-18");
    d.set("new_die", false);
    d.set("terms", "credit");
    return make_event("sales.order.placed", id, order, std::move(d), "sales-erp");
}

inline envelope credit_approved(const std::string& id, const std::string& order) {
    value d;
    d.set("by", "j.meyer");
    return make_event("finance.credit.approved", id, order, std::move(d), "finance-erp");
}

// One fact of each department, as the relay and exception tests drive an order with them.
inline envelope placed(const std::string& id, const std::string& so,
                       const std::string& customer = "C-1001", const std::string& terms = "credit",
                       bool new_die = false) {
    envelope e = order_placed(id, so, customer);
    e.data.set("terms", terms);
    e.data.set("new_die", new_die);
    return e;
}

inline envelope credit_rejected(const std::string& id, const std::string& so) {
    value d;
    d.set("by", "j.meyer");
    d.set("reason", "three invoices more than 60 days overdue");
    d.set("exposure_cents", 6120000);
    return make_event("finance.credit.rejected", id, so, std::move(d), "finance-erp");
}

inline envelope completed(const std::string& id, const std::string& so) {
    value d;
    d.set("qty_good", 1540.5);
    d.set("qty_scrap", 9.5);
    d.set("unit", "kg");
    return make_event("production.order.completed", id, so, std::move(d), "mes");
}

inline envelope payment(const std::string& id, const std::string& so, std::int64_t cents) {
    value d;
    d.set("amount_cents", static_cast<long long>(cents));
    d.set("currency", "EUR");
    d.set("method", "bank_transfer");
    d.set("reference", "BT-" + id);
    return make_event("finance.payment.received", id, so, std::move(d), "finance-erp");
}

inline envelope dispatched(const std::string& id, const std::string& so) {
    value d;
    d.set("vehicle", "WI-AL 411");
    d.set("qty", 1540.5);
    d.set("unit", "kg");
    d.set("shipment", "DN-" + id);
    return make_event("logistics.shipment.dispatched", id, so, std::move(d), "tms");
}

inline envelope delivered(const std::string& id, const std::string& so) {
    value d;
    d.set("qty", 1540.5);
    d.set("unit", "kg");
    d.set("received_by", "K. Novak");
    return make_event("logistics.shipment.delivered", id, so, std::move(d), "tms");
}

inline envelope delivery_failed(const std::string& id, const std::string& so) {
    value d;
    d.set("reason", "site closed, nobody to unload");
    d.set("kind", "closed");
    d.set("retry_date", "2026-11-25");
    return make_event("logistics.delivery.failed", id, so, std::move(d), "tms");
}

inline envelope invoiced(const std::string& id, const std::string& so) {
    value d;
    d.set("invoice", "INV-26-" + id);
    d.set("amount_cents", 1843000);
    d.set("due_date", "2027-01-15");
    return make_event("finance.invoice.issued", id, so, std::move(d), "finance-erp");
}

inline envelope cancelled(const std::string& id, const std::string& so, const std::string& reason) {
    value d;
    d.set("reason", reason);
    d.set("by", "s.wolf");
    return make_event("sales.order.cancelled", id, so, std::move(d), "sales-erp");
}

inline envelope receivable(const std::string& id, const std::string& customer, std::int64_t cents) {
    value d;
    d.set("customer", customer);
    d.set("balance_cents", static_cast<long long>(cents));
    d.set("as_of", "2026-10-30");
    return make_event("finance.receivable.updated", id, "", std::move(d), "finance-erp");
}

inline envelope complaint(const std::string& id, const std::string& so,
                          const std::string& case_id) {
    value d;
    d.set("case", case_id);
    d.set("kind", "surface");
    d.set("detail", "anodising streaks on 40 bars of D-4411");
    d.set("line", 1);
    d.set("qty", 120.0);
    d.set("unit", "kg");
    return make_event("sales.complaint.filed", id, so, std::move(d), "sales-erp");
}

inline envelope case_resolved(const std::string& id, const std::string& so,
                              const std::string& case_id) {
    value d;
    d.set("case", case_id);
    d.set("resolution", "bars re-anodised and sent again");
    d.set("root_cause", "bath temperature drift");
    return make_event("production.case.resolved", id, so, std::move(d), "mes");
}

}  // namespace baton::testing
