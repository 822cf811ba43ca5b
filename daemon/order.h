// Orders as batond knows them so far: which customer placed them and which journal entries
// speak of them (so an order's history is found without scanning the journal).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace baton {

struct order {
    std::string id;
    std::string customer;                // from sales.order.placed; empty until it arrives
    std::int64_t first_seen_ms = 0;      // receive time of its first event
    std::vector<std::int64_t> events;    // journal seqs, in arrival order
};

class order_book {
public:
    // Records that journal entry `seq` concerns `order_id`; `customer` is non-empty when the
    // event names the order's customer.
    void record(const std::string& order_id, std::int64_t seq, std::int64_t received_ms,
                const std::string& customer);
    const order* find(const std::string& order_id) const;
    std::size_t size() const { return orders_.size(); }

private:
    std::unordered_map<std::string, order> orders_;
};

}  // namespace baton
