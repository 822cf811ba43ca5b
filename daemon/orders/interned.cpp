// The process-wide pool of interned strings.
#include "interned.h"

#include <memory>
#include <mutex>
#include <ostream>
#include <vector>

namespace baton {

namespace {

// Each value's one copy, found by its text's hash in an open-addressed table: a lookup reads
// one cell and, on a matching hash, the copy. (A node-based map read three or four scattered
// blocks per lookup: at a start that decodes a million orders of 180,000 distinct items and
// dies, those cache misses were a third of the decoding.)
class table {
public:
    // The copy of `s` (hash `h`); added when absent and `add`, else null when absent.
    const std::string* find(std::string_view s, std::size_t h, bool add) {
        if (cells_.empty()) {
            if (!add) return nullptr;
            cells_.resize(64);
        }
        for (std::size_t i = slot(h);; i = (i + 1) & (cells_.size() - 1)) {
            cell& c = cells_[i];
            if (!c.copy) {
                if (!add) return nullptr;
                const std::string* copy = keep(s);
                c = {h, copy};
                if (++used_ * 2 > cells_.size()) grow();
                return copy;
            }
            if (c.hash == h && *c.copy == s) return c.copy;
        }
    }
    std::size_t size() const { return used_; }

private:
    struct cell {
        std::size_t hash = 0;
        const std::string* copy = nullptr;
    };
    // The shard was chosen by the hash's low bits: the slot comes from its high ones.
    static_assert(sizeof(std::size_t) == 8, "the slot takes bits 20 to 59 of a 64-bit hash");
    std::size_t slot(std::size_t h) const { return (h >> 20 ^ h >> 40) & (cells_.size() - 1); }
    void grow() {
        std::vector<cell> old(cells_.size() * 2);
        old.swap(cells_);
        for (const cell& c : old) {
            if (!c.copy) continue;
            std::size_t i = slot(c.hash);
            while (cells_[i].copy) i = (i + 1) & (cells_.size() - 1);
            cells_[i] = c;
        }
    }
    // The copies side by side in blocks, never freed (see interned.h) nor moved: a lookup's
    // compare reads a copy near the others, not one of many small blocks among the orders
    // (a cache and a TLB miss each, at a start that decodes a million orders).
    const std::string* keep(std::string_view s) {
        if (blocks_.empty() || in_block_ == block_size) {
            blocks_.push_back(std::make_unique<std::string[]>(block_size));
            in_block_ = 0;
        }
        std::string& copy = blocks_.back()[in_block_++];
        copy.assign(s);
        return &copy;
    }

    static constexpr std::size_t block_size = 1024;
    std::vector<cell> cells_;  // a power of two in size, at most half full
    std::size_t used_ = 0;
    std::vector<std::unique_ptr<std::string[]>> blocks_;
    std::size_t in_block_ = 0;
};

// In shards by hash, each with its lock: orders are decoded on the loop's thread and, at start,
// on two at once (order_state_decoder.h), which then seldom wait for each other.
struct shard {
    std::mutex mutex;
    table values;
};

constexpr std::size_t shards = 16;

struct pool {
    shard parts[shards];
    shard& of(std::size_t h) { return parts[(h ^ (h >> 29)) % shards]; }
};

pool& the_pool() {
    static pool* p = new pool;  // never destroyed: interned values outlive every static order
    return *p;
}

std::size_t hash_of(std::string_view s) {
    return std::hash<std::string_view>()(s);
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
    // A slot keeps the hash too, so a slot holding another value is passed over without reading
    // that value's copy (most often not in the cache).
    struct recent_slot {
        std::size_t hash = 0;
        const std::string* copy = nullptr;
    };
    constexpr std::size_t recent_slots = 4096;
    thread_local recent_slot recent[recent_slots];
    const std::size_t hash = hash_of(s);
    recent_slot& slot = recent[(hash ^ (hash >> 17)) % recent_slots];
    if (slot.copy && slot.hash == hash && *slot.copy == s) return slot.copy;
    slot = {hash, pooled(s, hash)};
    return slot.copy;
}

const std::string* interned::pooled(std::string_view s, std::size_t hash) {
    shard& p = the_pool().of(hash);
    std::lock_guard lock(p.mutex);
    return p.values.find(s, hash, true);
}

std::optional<interned> interned::existing(std::string_view s) {
    if (s.empty()) return interned();
    const std::size_t hash = hash_of(s);
    shard& p = the_pool().of(hash);
    std::lock_guard lock(p.mutex);
    const std::string* copy = p.values.find(s, hash, false);
    if (!copy) return std::nullopt;
    return interned(copy);
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
