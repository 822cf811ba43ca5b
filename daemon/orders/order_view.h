// An order's pieces as the control socket shows them (`order`, `customer`): per line what was
// ordered, produced, dispatched and delivered and what is still to ship, the batches, shipments,
// invoices (aged at a given moment) and payments. Quantities are numbers in the line's unit,
// money in cents. Pure functions of the order, so they are tested without sockets.
#pragma once

#include <cstdint>
#include <string>

#include "order.h"
#include "quantities.h"
#include "value.h"

namespace baton {

// The ageing bucket of an invoice as the wire names it: "not_due", "0-30", "31-60", "61-90",
// "90+" while something of it is open (an invoice without a due date counts as not due), ""
// once it is settled.
std::string ageing_name(const invoice& inv, std::int64_t now_ms);

// One invoice: id, shipment, amount_cents, invoice_date, due_date, issued_at, paid_cents,
// open_cents, days_overdue (at `now_ms`; negative: days until it is due; only with a due date),
// ageing, settled_at.
value invoice_view(const invoice& inv, std::int64_t now_ms);

// What is still to ship: [{line, item, qty, unit}] (quantities.h `backorder`).
value backorder_view(const order_totals& t);

// Sets the order's pieces into `out` (the `order` reply): salesperson, customer_po,
// deposit_cents, charge_cents, prepay_switched, line_items, whole, quantity_problems, backorder,
// batches, shipments, invoices, payments, invoiced_cents, owed_cents, unapplied_cents,
// delivered_value_cents. docs/protocol.md "order" has every key.
void add_order_pieces(value& out, const order& o, std::int64_t now_ms);

}  // namespace baton
