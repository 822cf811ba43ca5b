// Auto credit: whether batond approves an order's credit by itself at placement. The order
// engine asks it only for an order that waits on no hold (order_engine::decide_credit puts an
// order over its limit on the `limit` hold whether or not auto credit is on; the desk raises
// credit_hold for every hold), so there it answers approve or finance_reviews.
#pragma once

#include "customers.h"
#include "flow.h"
#include "order.h"

namespace baton {

enum class credit_decision {
    finance_reviews,  // auto credit does not apply: off, prepay, no limit, already approved
    approve,          // within the customer's credit limit: batond approves it itself
    over_limit,       // it would apply, but the exposure (this order included) passes the limit
};

// With `flow.auto_credit`, an order on credit terms, not yet approved, of a customer on credit
// terms with a credit limit above 0: approve when the exposure is within the limit.
credit_decision auto_credit(const flow_def& flow, const order& o, const customer_book& customers);

}  // namespace baton
