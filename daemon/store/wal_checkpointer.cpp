// The checkpointer's thread: PASSIVE checkpoints until every WAL frame is in the database.
#include "wal_checkpointer.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>

#include "journal.h"

namespace baton {

wal_checkpointer::wal_checkpointer(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw journal_error("cannot open " + path + " for checkpoints: " + msg);
    }
    sqlite3_busy_timeout(db_, 1000);
    // Its own connection follows the writer's durability: a checkpoint syncs the database.
    sqlite3_exec(db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    thread_ = std::thread([this] { work(); });
}

wal_checkpointer::~wal_checkpointer() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    sqlite3_close_v2(db_);
}

void wal_checkpointer::wal_size(int pages) {
    if (pages < start_pages) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (wanted_) return;
        wanted_ = true;
    }
    wake_.notify_one();
}

void wal_checkpointer::work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || wanted_; });
        if (stop_) return;
        wanted_ = false;
        lock.unlock();
        int log_frames = 0;
        int done_frames = 0;
        const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                                 &log_frames, &done_frames);
        if (rc == SQLITE_OK) {
            passes_.fetch_add(1, std::memory_order_relaxed);
        } else if (rc != SQLITE_BUSY) {
            // Not fatal: the WAL grows until a checkpoint succeeds (the writer's fallback).
            spdlog::warn("WAL checkpoint failed: {}", sqlite3_errmsg(db_));
        }
        lock.lock();
        // Frames committed meanwhile are not in yet: another pass at once (it copies only
        // those), so that one ends between two commits and the next commit starts the WAL over.
        if (!stop_ && rc == SQLITE_OK && done_frames < log_frames) {
            wanted_ = true;
            wake_.wait_for(lock, std::chrono::milliseconds(1), [this] { return stop_; });
        }
    }
}

}  // namespace baton
