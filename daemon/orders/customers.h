// The customer book: the customer master at run time (seeded from customers.yaml) with each
// customer's credit exposure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "customers_file.h"
#include "value.h"

namespace baton {

// The customer master at run time, with each customer's credit exposure: receivable balance
// (from finance) plus the value of its open orders not yet invoiced.
class customer_book {
public:
    struct account {
        customer master;
        std::int64_t receivable_cents = 0;  // from finance.receivable.updated
        std::int64_t overdue_cents = 0;     // of which overdue, as finance reports it
        std::int64_t open_cents = 0;        // open orders not yet invoiced
        std::int64_t exposure_cents() const { return receivable_cents + open_cents; }
    };

    customer_book() = default;
    explicit customer_book(const std::vector<customer>& seed);

    const account* find(const std::string& id) const;
    // The account, created with defaults (tier B, credit terms, no limit) when unknown.
    account& at(const std::string& id);
    const std::map<std::string, account>& accounts() const { return accounts_; }

    value to_value() const;
    static customer_book from_value(const value& v);

private:
    std::map<std::string, account> accounts_;
};

}  // namespace baton
