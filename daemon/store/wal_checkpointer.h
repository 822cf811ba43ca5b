// WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the commit
// that crosses its threshold, on the thread that acks: copying a thousand pages into the
// database and syncing it holds up that batch's acks. The journal turns it off and hands the
// work here instead: after each commit the writer reports the WAL's size (a wal hook), and past
// `start_pages` this thread runs PASSIVE checkpoints on a connection of its own, alongside the
// writer. PASSIVE never blocks the writer; once every frame is back in the database, the next
// commit starts the WAL file over from its beginning, so it stays small.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace baton {

class wal_checkpointer {
public:
    static constexpr int start_pages = 1000;  // SQLite's own automatic threshold
    // Opens its connection to `path` (a WAL database); throws journal_error.
    explicit wal_checkpointer(const std::string& path);
    ~wal_checkpointer();
    wal_checkpointer(const wal_checkpointer&) = delete;
    wal_checkpointer& operator=(const wal_checkpointer&) = delete;

    // From the writer after a commit: the WAL holds `pages` frames. Cheap; never blocks on a
    // checkpoint under way.
    void wal_size(int pages);
    // Checkpoint passes completed so far.
    std::uint64_t checkpoints() const { return passes_.load(std::memory_order_relaxed); }

private:
    void work();

    sqlite3* db_ = nullptr;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool wanted_ = false;
    bool stop_ = false;
    std::atomic<std::uint64_t> passes_{0};
    std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace baton
