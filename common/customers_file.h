// The seed customer master (customers.yaml): tier, payment terms and credit limit per customer.
// batond seeds its customer book from it; the simulator takes its first customers from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config_error.h"

namespace baton {

struct customer {
    std::string id;  // e.g. C-1001
    std::string name;
    std::string tier = "B";        // key, A, B or C: key accounts are served first
    std::string terms = "credit";  // credit or prepay
    std::int64_t credit_limit_cents = 0;
    int payment_days = -1;  // days net on credit terms (-1: the flow's default)
    bool blocked = false;   // new orders wait on a hold
    std::string account_manager{};
    std::string country{};  // ISO 3166-1 alpha-2
};

// Reads and checks a customers file; throws config_error naming file, key path and reason.
std::vector<customer> load_customers(const std::string& path);

}  // namespace baton
