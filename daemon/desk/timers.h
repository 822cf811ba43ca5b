// One timer structure for every deadline of every order: a binary min-heap of small entries.
// Entries are never removed early; a fired entry is checked against the current state (the
// order still in that stage since the same moment, the task still open) and dropped if stale,
// so a stage change costs nothing here. Pushing and popping are O(log n); no scan per tick.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace baton {

struct order;

enum class timer_kind : std::uint8_t {
    stage,     // a stage's warning point, deadline or escalation (step says which)
    promise,   // the end of the promised delivery date
    case_due,  // an after-sale case's deadline (index = case index)
    task,      // a task's due time (stamp = task id)
    invoice,   // an unpaid invoice's due day ending, then each ageing bucket (index = invoice)
};

struct timer_entry {
    std::int64_t due_ms;  // when it fires, ms since epoch
    const order* target;  // the order (null for tasks); orders never move in memory
    std::int64_t stamp;   // validity check: stage_since for stages, task id for tasks
    std::uint32_t index;  // stage timers: the order's visit count; case timers: case index
    timer_kind kind;
    std::uint8_t step;  // stage timers: 0 warning, 1 overdue, 2.. escalations
};

class timer_queue {
public:
    void push(const timer_entry& e) {
        heap_.push_back(e);
        std::push_heap(heap_.begin(), heap_.end(), later{});
    }
    std::int64_t next_due_ms() const {
        return heap_.empty() ? std::numeric_limits<std::int64_t>::max() : heap_.front().due_ms;
    }
    // Pops every entry due at or before `now_ms`, earliest first, into `fn`.
    template <typename Fn>
    void pop_due(std::int64_t now_ms, Fn&& fn) {
        while (!heap_.empty() && heap_.front().due_ms <= now_ms) {
            std::pop_heap(heap_.begin(), heap_.end(), later{});
            timer_entry e = heap_.back();
            heap_.pop_back();
            fn(e);
        }
    }
    std::size_t size() const { return heap_.size(); }
    // Drops every entry `pred` names, in one pass (orders leaving memory).
    template <typename Pred>
    void erase_if(Pred&& pred) {
        const auto end = std::remove_if(heap_.begin(), heap_.end(), pred);
        if (end == heap_.end()) return;
        heap_.erase(end, heap_.end());
        std::make_heap(heap_.begin(), heap_.end(), later{});
    }
    void clear() { heap_.clear(); }
    // Room for `n` entries; the entries already queued stay.
    void reserve(std::size_t n) { heap_.reserve(n); }

private:
    // The heap functions keep the greatest element first; "later" makes that the earliest.
    struct later {
        bool operator()(const timer_entry& a, const timer_entry& b) const {
            return a.due_ms > b.due_ms;
        }
    };
    // A plain vector kept as a heap (std::push_heap/pop_heap) rather than a priority_queue,
    // whose container cannot be reserved without rebuilding it.
    std::vector<timer_entry> heap_;
};

}  // namespace baton
