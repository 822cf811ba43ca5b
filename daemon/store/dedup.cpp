// The in-memory duplicate window (dedup.h).
#include "dedup.h"

#include <algorithm>
#include <random>

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

std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

constexpr std::size_t first_entries = 1024;
// The index grows past 65 % full (13/20).
bool index_too_full(std::size_t entries, std::size_t cells) {
    return entries * 20 > cells * 13;
}
}  // namespace

dedup_window::dedup_window(std::int64_t window_ms, std::size_t max_entries)
    : window_ms_(window_ms),
      max_entries_(max_entries),
      seed_((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}

std::uint64_t dedup_window::key(std::string_view source, std::string_view id) {
    std::uint64_t h = fnv1a(0xcbf29ce484222325ULL, source);
    // A 0xff byte between the two never occurs in UTF-8: ("ab","c") and ("a","bc") differ.
    h = fnv1a(fnv1a(h, "\xff"), id);
    return mix(h);
}

std::size_t dedup_window::home_of(std::uint64_t key, std::uint64_t seed, std::size_t cells) {
    return static_cast<std::size_t>(mix(key ^ seed)) & (cells - 1);
}

std::optional<std::int64_t> dedup_window::find(std::uint64_t k) const {
    std::optional<std::int64_t> latest;
    for (std::int64_t seq : find_all(k))
        if (!latest || seq > *latest) latest = seq;
    return latest;
}

std::vector<std::int64_t> dedup_window::find_all(std::uint64_t k) const {
    std::vector<std::int64_t> seqs;
    if (index_.empty()) return seqs;
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = home(k); index_[i] != 0; i = (i + 1) & mask) {
        const slot& s = at(position(index_[i]));
        if (s.key == k) seqs.push_back(s.seq);
    }
    return seqs;
}

void dedup_window::prefetch(std::uint64_t key) const {
    if (!index_.empty()) __builtin_prefetch(&index_[home(key)], 1);
}

void dedup_window::place(std::uint64_t pos) {
    const std::size_t mask = index_.size() - 1;
    std::size_t i = home(at(pos).key);
    while (index_[i] != 0) i = (i + 1) & mask;
    index_[i] = static_cast<std::uint32_t>(pos + 1);
}

void dedup_window::grow_ring(std::size_t entries) {
    std::size_t cap = ring_.empty() ? first_entries : ring_.size();
    while (cap < entries) cap *= 2;
    cap = std::min(cap, std::max(entries, max_entries_ + 1));  // never more than can be held
    if (cap <= ring_.size()) return;
    std::vector<slot> bigger(cap);
    for (std::uint64_t pos = head_; pos < tail_; ++pos) bigger[pos % cap] = at(pos);
    ring_.swap(bigger);
}

void dedup_window::grow_index(std::size_t entries) {
    std::size_t cells = index_.empty() ? 2 * first_entries : index_.size();
    while (index_too_full(entries, cells)) cells *= 2;
    if (cells <= index_.size()) return;
    index_.assign(cells, 0);
    for (std::uint64_t pos = head_; pos < tail_; ++pos) place(pos);
}

void dedup_window::reserve(std::size_t n) {
    n = std::min(n, max_entries_) + 1;
    grow_ring(n);
    grow_index(n);
}

void dedup_window::insert(std::uint64_t k, std::int64_t seq, std::int64_t received_ms) {
    const std::size_t entries = size() + 1;
    if (entries > ring_.size()) grow_ring(entries);
    if (index_.empty() || index_too_full(entries, index_.size())) grow_index(entries);
    ring_[tail_ % ring_.size()] = slot{k, seq, received_ms};
    place(tail_++);
    while (size() > max_entries_) pop_oldest();
}

void dedup_window::expire(std::int64_t now_ms) {
    while (head_ < tail_ && at(head_).received_ms < now_ms - window_ms_) pop_oldest();
}

void dedup_window::pop_oldest() {
    // Only this event's cell: another event with the same key (a collision) keeps its own.
    const std::size_t mask = index_.size() - 1;
    std::size_t i = home(at(head_).key);
    while (position(index_[i]) != head_) i = (i + 1) & mask;
    // Backward-shift deletion: later cells of the probe run move up into the hole unless their
    // home lies cyclically after the hole, so every run stays unbroken without tombstones.
    for (std::size_t j = (i + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
        const std::size_t h = home(at(position(index_[j])).key);
        const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stays) continue;
        index_[i] = index_[j];
        i = j;
    }
    index_[i] = 0;
    ++head_;
}

}  // namespace baton
