// The process-wide pool of interned strings.
#include "interned.h"

#include <mutex>
#include <ostream>
#include <unordered_map>

namespace baton {

namespace {

// In shards by hash, each with its lock: orders are decoded on the loop's thread and, at start,
// on two at once (order_state_decoder.h), which then seldom wait for each other.
struct shard {
    std::mutex mutex;
    // Each value's one copy, found by its text (the view is of that copy).
    std::unordered_map<std::string_view, const std::string*> values;
};

constexpr std::size_t shards = 16;

struct pool {
    shard parts[shards];
    shard& of(std::string_view s) {
        const std::size_t h = std::hash<std::string_view>()(s);
        return parts[(h ^ (h >> 29)) % shards];
    }
};

pool& the_pool() {
    static pool* p = new pool;  // never destroyed: interned values outlive every static order
    return *p;
}

}  // namespace

const std::string& interned::empty_string() {
    static const std::string* empty = new std::string;
    return *empty;
}

const std::string* interned::intern(std::string_view s) {
    if (s.empty()) return &empty_string();
    // Most values come again and again (the same stages, units, customers): each thread keeps
    // the copies it found last, by hash, and finds them again without the pool's lock.
    constexpr std::size_t recent_slots = 2048;
    thread_local const std::string* recent[recent_slots] = {};
    const std::size_t hash = std::hash<std::string_view>()(s);
    const std::string*& slot = recent[(hash ^ (hash >> 17)) % recent_slots];
    if (slot && *slot == s) return slot;
    slot = pooled(s);
    return slot;
}

const std::string* interned::pooled(std::string_view s) {
    shard& p = the_pool().of(s);
    std::lock_guard lock(p.mutex);
    auto it = p.values.find(s);
    if (it != p.values.end()) return it->second;
    const std::string* copy = new std::string(s);  // never freed: see interned.h
    p.values.emplace(*copy, copy);
    return copy;
}

std::optional<interned> interned::existing(std::string_view s) {
    if (s.empty()) return interned();
    shard& p = the_pool().of(s);
    std::lock_guard lock(p.mutex);
    auto it = p.values.find(s);
    if (it == p.values.end()) return std::nullopt;
    return interned(it->second);
}

std::ostream& operator<<(std::ostream& out, const interned& s) {
    return out << s.str();
}

std::size_t interned::pool_size() {
    std::size_t n = 0;
    for (shard& p : the_pool().parts) {
        std::lock_guard lock(p.mutex);
        n += p.values.size();
    }
    return n;
}

}  // namespace baton
