// The duplicate window: (source, id) of recently committed events, kept in memory as 64-bit
// hashes with the journal seq that holds the event (so a hash hit can be verified against
// the journal and a collision never drops an event). Rebuilt at start from the checkpoint a
// clean stop left (dedup_checkpoint.h) and the journal after it, or from the journal alone.
//
// Flat, 32 bytes an entry and no allocation per event: the entries in arrival order in one
// ring (key, seq, received_ms), and an open-addressing index (linear probing) of their places
// in the ring, 4 bytes a cell at most 65 % full. Both grow by doubling and never shrink, so a
// window that has filled up costs the same memory from then on. Where an id lands in the index
// depends on a seed drawn at the first start, so ids crafted to collide cannot be sent ahead of
// time; it is kept with the window in the checkpoint a clean stop writes (beside the store, as
// private as it), so it changes when the window is read from the journal again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace baton {

class dedup_window {
public:
    dedup_window(std::int64_t window_ms, std::size_t max_entries);

    // Stored with every journal row from schema 6 on (id_key) and read back at start: changing
    // it (a seed, another hash) needs a schema step that rewrites the stored keys.
    static std::uint64_t key(std::string_view source, std::string_view id);
    // The journal seq of the latest earlier event with this key, if remembered.
    std::optional<std::int64_t> find(std::uint64_t key) const;
    // Every remembered event with this key: different (source, id) pairs can share a hash, and
    // each must still be recognised when it comes again.
    std::vector<std::int64_t> find_all(std::uint64_t key) const;
    // Remembers a committed event; forgets the oldest when over max_entries.
    void insert(std::uint64_t key, std::int64_t seq, std::int64_t received_ms);
    // Fetches the index cell where `key` goes into the cache, for an insert a little later: a
    // start inserts millions of keys in a row, each otherwise a wait on memory.
    void prefetch(std::uint64_t key) const;
    // Room for `n` entries at once (a start reads the window's part of the journal), so the
    // ring and the index are not grown again and again as they fill.
    void reserve(std::size_t n);
    // Forgets events received before now - window.
    void expire(std::int64_t now_ms);
    std::size_t size() const { return static_cast<std::size_t>(tail_ - head_); }
    // Bytes held by the ring and the index (for the benchmarks' memory figures).
    std::size_t bytes() const {
        return ring_.capacity() * sizeof(slot) + index_.capacity() * sizeof(std::uint32_t);
    }

private:
    friend class dedup_checkpoint;  // writes and reads the window's memory as it is

    struct slot {
        std::uint64_t key;
        std::int64_t seq;
        std::int64_t received_ms;
    };
    const slot& at(std::uint64_t pos) const { return ring_[pos % ring_.size()]; }
    // An index cell holds the low 32 bits of (ring position + 1); 0 is an empty cell. The
    // positions alive span less than 2^31, so the whole position follows from head_.
    std::uint64_t position(std::uint32_t cell) const {
        return head_ + static_cast<std::uint32_t>(cell - 1 - static_cast<std::uint32_t>(head_));
    }
    std::size_t home(std::uint64_t key) const { return home_of(key, seed_, index_.size()); }
    // The index cell where `key` starts its search, for a seed and a power-of-two cell count.
    static std::size_t home_of(std::uint64_t key, std::uint64_t seed, std::size_t cells);
    void place(std::uint64_t pos);  // into the index
    void grow_ring(std::size_t entries);
    void grow_index(std::size_t entries);
    void pop_oldest();

    std::int64_t window_ms_;
    std::size_t max_entries_;
    std::uint64_t seed_;
    std::vector<slot> ring_;             // arrival order: positions head_ .. tail_ - 1
    std::uint64_t head_ = 0, tail_ = 0;  // absolute positions (never wrap in practice)
    std::vector<std::uint32_t> index_;   // a power of two in size
};

}  // namespace baton
