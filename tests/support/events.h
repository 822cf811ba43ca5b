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

}  // namespace baton::testing
