// The auto-credit rule (docs/design.md, "Credit").
#include "credit.h"

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

credit_decision auto_credit(const flow_def& flow, const order& o, const customer_book& customers) {
    if (!flow.auto_credit || o.terms != "credit"sv || o.has("credit_approved"))
        return credit_decision::finance_reviews;
    const customer_book::account* a = customers.find(o.customer);
    if (!a || a->master.terms != "credit"sv || a->master.credit_limit_cents <= 0)
        return credit_decision::finance_reviews;
    return a->exposure_cents() <= a->master.credit_limit_cents ? credit_decision::approve
                                                               : credit_decision::over_limit;
}

}  // namespace baton
