// A customer as customer service and credit control see it (control `customer`, `customers`):
// master data, credit exposure against the limit, receivables from batond's own invoices by
// ageing bucket, open orders by stage with what is still to ship, open exceptions and cases,
// and the customer's OTIF and cycle time. Pure: read from the order engine, the open exception
// records and a moment to age invoices at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "order_engine.h"
#include "value.h"

namespace baton {

struct exception_record;

// The `customer` map for customer `id`, or nullopt when batond knows neither the customer nor
// an order of it. `open_exceptions`: the open and acknowledged records (any customer's; those
// of this customer's orders are picked), most severe first. docs/protocol.md "customer".
std::optional<value> customer_report(const std::string& id, const order_engine& engine,
                                     const std::vector<const exception_record*>& open_exceptions,
                                     std::int64_t now_ms);

// One row of `customers`.
struct customer_summary {
    std::string id, name, tier, terms;
    std::int64_t exposure_cents = 0;
    std::int64_t credit_limit_cents = 0;
    std::int64_t overdue_cents = 0;   // as finance reports it
    std::int64_t past_due_cents = 0;  // open on batond's invoices past their due day
    std::size_t open_orders = 0;
    std::size_t open_exceptions = 0;
    bool blocked = false;
    bool over_limit = false;  // a limit is set and the exposure passes it
};

// Every customer of the book (and any with orders but no account), by id.
std::vector<customer_summary> customer_summaries(
    const order_engine& engine, const std::vector<const exception_record*>& open_exceptions,
    std::int64_t now_ms);
value to_value(const customer_summary& s);

}  // namespace baton
