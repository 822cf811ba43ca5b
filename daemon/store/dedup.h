// The duplicate window: (source, id) of recently committed events, kept in memory as 64-bit
// hashes mapped to the journal seq that holds the event (so a hash hit can be verified against
// the journal and a collision never drops an event). Rebuilt from the journal at start.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace baton {

class dedup_window {
public:
    dedup_window(std::int64_t window_ms, std::size_t max_entries)
        : window_ms_(window_ms), max_entries_(max_entries) {}

    static std::uint64_t key(std::string_view source, std::string_view id);

    // The journal seq of the latest earlier event with this key, if remembered.
    std::optional<std::int64_t> find(std::uint64_t key) const;
    // Every remembered event with this key: different (source, id) pairs can share a hash, and
    // each must still be recognised when it comes again.
    std::vector<std::int64_t> find_all(std::uint64_t key) const;
    // Remembers a committed event; forgets the oldest when over max_entries.
    void insert(std::uint64_t key, std::int64_t seq, std::int64_t received_ms);
    // Room for `n` entries at once (a start reads the window's part of the journal): the table
    // is not rehashed again and again as it fills.
    void reserve(std::size_t n) { by_key_.reserve(std::min(n, max_entries_)); }
    // Forgets events received before now - window.
    void expire(std::int64_t now_ms);

    std::size_t size() const { return by_key_.size(); }

private:
    struct slot {
        std::uint64_t key;
        std::int64_t seq;
        std::int64_t received_ms;
    };
    void pop_oldest();

    std::int64_t window_ms_;
    std::size_t max_entries_;
    std::unordered_multimap<std::uint64_t, std::int64_t> by_key_;  // key -> seq(s)
    std::deque<slot> in_order_;                                    // arrival order, for expiry
};

}  // namespace baton
