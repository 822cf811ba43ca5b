// After a live notice, every open board page refreshes at once: many of them ask batond the
// same question (the same filters, the same page). The cache asks once per question and
// generation of the live hub and hands the answer to all of them; a reply older than
// `max_age_ms` is asked again (the live feed may be down), and refusals are never kept.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "batond_link.h"

namespace baton::board {

class reply_cache {
public:
    reply_cache(std::int64_t max_age_ms, std::size_t max_entries)
        : max_age_ms_(max_age_ms), max_entries_(max_entries) {}

    // The reply to `key` asked at `generation` (the live hub's count of notices), from the cache
    // or from `fetch`, which runs once for all the callers that ask the same meanwhile.
    batond_reply get(const std::string& key, std::uint64_t generation, std::int64_t now_ms,
                     const std::function<batond_reply()>& fetch);

    // Forgets every answer (after a change made through this board).
    void clear();

    std::uint64_t fetches() const;  // how often batond was really asked (for tests and bench)

private:
    struct entry {
        std::uint64_t generation = 0;
        std::int64_t at_ms = 0;
        bool pending = false;
        bool usable = false;
        batond_reply reply;
    };

    const std::int64_t max_age_ms_;
    const std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::condition_variable filled_;
    std::map<std::string, entry> entries_;
    std::uint64_t fetches_ = 0;
};

}  // namespace baton::board
