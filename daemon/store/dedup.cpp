// The in-memory duplicate window.
#include "dedup.h"

namespace baton {

namespace {
// FNV-1a, 64-bit, then a final avalanche (splitmix64) so similar ids spread in the table.
std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}
}  // namespace

std::uint64_t dedup_window::key(std::string_view source, std::string_view id) {
    std::uint64_t h = fnv1a(0xcbf29ce484222325ULL, source);
    // A 0xff byte between the two never occurs in UTF-8: ("ab","c") and ("a","bc") differ.
    h = fnv1a(fnv1a(h, "\xff"), id);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

std::optional<std::int64_t> dedup_window::find(std::uint64_t k) const {
    std::optional<std::int64_t> latest;
    auto [first, last] = by_key_.equal_range(k);
    for (auto it = first; it != last; ++it)
        if (!latest || it->second > *latest) latest = it->second;
    return latest;
}

std::vector<std::int64_t> dedup_window::find_all(std::uint64_t k) const {
    std::vector<std::int64_t> seqs;
    auto [first, last] = by_key_.equal_range(k);
    for (auto it = first; it != last; ++it) seqs.push_back(it->second);
    return seqs;
}

void dedup_window::insert(std::uint64_t k, std::int64_t seq, std::int64_t received_ms) {
    by_key_.emplace(k, seq);
    in_order_.push_back(slot{k, seq, received_ms});
    while (by_key_.size() > max_entries_ && !in_order_.empty()) pop_oldest();
}

void dedup_window::expire(std::int64_t now_ms) {
    while (!in_order_.empty() && in_order_.front().received_ms < now_ms - window_ms_) pop_oldest();
}

void dedup_window::pop_oldest() {
    const slot& s = in_order_.front();
    // Only this event's entry: another event with the same key (a collision) keeps its own.
    auto [first, last] = by_key_.equal_range(s.key);
    for (auto it = first; it != last; ++it)
        if (it->second == s.seq) {
            by_key_.erase(it);
            break;
        }
    in_order_.pop_front();
}

}  // namespace baton
