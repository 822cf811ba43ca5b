// The order book.
#include "order.h"

namespace baton {

void order_book::record(const std::string& order_id, std::int64_t seq, std::int64_t received_ms,
                        const std::string& customer) {
    auto [it, fresh] = orders_.try_emplace(order_id);
    order& o = it->second;
    if (fresh) {
        o.id = order_id;
        o.first_seen_ms = received_ms;
    }
    if (!customer.empty()) o.customer = customer;
    o.events.push_back(seq);
}

const order* order_book::find(const std::string& order_id) const {
    auto it = orders_.find(order_id);
    return it == orders_.end() ? nullptr : &it->second;
}

}  // namespace baton
