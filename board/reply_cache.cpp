// Asking batond once for many pages (reply_cache.h).
#include "reply_cache.h"

#include <iterator>

namespace baton::board {

batond_reply reply_cache::get(const std::string& key, std::uint64_t generation, std::int64_t now_ms,
                              const std::function<batond_reply()>& fetch) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        auto it = entries_.find(key);
        if (it == entries_.end()) break;
        entry& e = it->second;
        if (e.pending && e.generation >= generation) {
            filled_.wait(lock);  // someone is asking right now: take their answer
            continue;
        }
        if (!e.pending && e.usable && e.generation == generation && now_ms - e.at_ms <= max_age_ms_)
            return e.reply;
        break;
    }
    if (entries_.size() >= max_entries_ && !entries_.count(key)) {
        // Full: drop the oldest answer that nobody waits for.
        auto oldest = entries_.end();
        for (auto it = entries_.begin(); it != entries_.end(); ++it)
            if (!it->second.pending &&
                (oldest == entries_.end() || it->second.at_ms < oldest->second.at_ms))
                oldest = it;
        if (oldest != entries_.end()) entries_.erase(oldest);
    }
    entry& e = entries_[key];
    e.pending = true;
    e.generation = generation;
    ++fetches_;
    lock.unlock();
    batond_reply r = fetch();
    lock.lock();
    entry& filled = entries_[key];
    filled.pending = false;
    filled.usable = r.reached && r.ok;
    filled.at_ms = now_ms;
    filled.generation = generation;
    filled.reply = r;
    filled_.notify_all();
    return r;
}

void reply_cache::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();)
        it = it->second.pending ? std::next(it) : entries_.erase(it);
}

std::uint64_t reply_cache::fetches() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return fetches_;
}

}  // namespace baton::board
