// The journal writer: commits one batch at a time on a thread of its own, so the loop applies
// the next batch while this one is written and fsynced. The batch lives in the writer's slot
// from start() until its outcome is taken: the loop fills the slot only while the writer holds
// nothing, and meanwhile only reads it (the duplicate check looks at its events). A committed
// batch is cleared by release() (its buffers are kept for the next one); a failed one stays in
// the slot to be started again. An in-memory journal commits in start() itself.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "journal.h"

namespace baton {

class journal_writer {
public:
    // A thread of its own unless `store` is in memory. Throws std::system_error (eventfd).
    explicit journal_writer(journal& store);
    ~journal_writer();
    journal_writer(const journal_writer&) = delete;
    journal_writer& operator=(const journal_writer&) = delete;

    // The batch being committed, committed or failed; the next one while the writer is free.
    journal_batch& slot() { return slot_; }
    const journal_batch& slot() const { return slot_; }

    // Commits the slot: on the writer's thread, or here. Only while !running().
    void start();
    // Started and its outcome not taken yet.
    bool running() const { return running_; }
    // The outcome of start(), once there: "" when committed, else why it failed. Never blocks.
    std::optional<std::string> poll();
    // The same, waiting for it.
    std::string wait();
    // How long the last commit took, µs (valid after its outcome was taken).
    std::int64_t commit_us() const { return commit_us_; }
    // After a committed outcome: the slot is free for the next batch.
    void release() { slot_.clear(); }
    // Readable when an outcome waits (for the loop's poll); -1 for an in-memory journal.
    int fd() const { return fd_; }

private:
    void work();
    void commit_here();

    journal& store_;
    journal_batch slot_;
    bool running_ = false;  // the loop's view: started, outcome not taken

    std::mutex mutex_;
    std::condition_variable wake_;  // the thread: a batch to commit, or stop
    std::condition_variable done_;  // wait(): the outcome is there
    bool requested_ = false;        // the thread is to commit the slot
    bool finished_ = false;         // the thread committed or failed; outcome below
    bool stop_ = false;
    std::string error_;
    std::int64_t commit_us_ = 0;
    int fd_ = -1;
    std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace baton
