// The journal writer's thread: one commit at a time, its outcome signalled through an eventfd.
#include "journal_writer.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <exception>
#include <system_error>

namespace baton {

namespace {

std::int64_t steady_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

journal_writer::journal_writer(journal& store) : store_(store) {
    if (store_.path() == journal::in_memory) return;  // commits in start(), on the caller's thread
    fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    thread_ = std::thread([this] { work(); });
}

journal_writer::~journal_writer() {
    if (thread_.joinable()) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();  // a commit under way finishes first
    }
    if (fd_ >= 0) ::close(fd_);
}

void journal_writer::commit_here() {
    const std::int64_t start = steady_us();
    std::string error;
    try {
        store_.commit(slot_);
    } catch (const std::exception& e) {  // journal_error, or out of memory: storage fails
        error = e.what();
        if (error.empty()) error = "commit failed";
    }
    const std::int64_t took = steady_us() - start;
    {
        // The eventfd is written under the lock with the flag, so that poll(), which reads it
        // when it takes the outcome, always finds it written: it never stays readable after
        // (a loop woken for nothing, over and over) and a wake-up is never lost.
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::move(error);
        commit_us_ = took;
        finished_ = true;
        if (fd_ >= 0) {
            std::uint64_t one = 1;
            [[maybe_unused]] auto r = ::write(fd_, &one, sizeof one);
        }
    }
    done_.notify_all();
}

void journal_writer::start() {
    running_ = true;
    if (!thread_.joinable()) {
        commit_here();
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        requested_ = true;
        finished_ = false;
    }
    wake_.notify_one();
}

void journal_writer::work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || requested_; });
        if (requested_) {
            requested_ = false;
            lock.unlock();
            commit_here();
            lock.lock();
            continue;  // a commit asked for is done before the thread stops
        }
        if (stop_) return;
    }
}

std::optional<std::string> journal_writer::poll() {
    if (!running_) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!finished_) return std::nullopt;
    finished_ = false;
    running_ = false;
    if (fd_ >= 0) {
        std::uint64_t n;
        [[maybe_unused]] auto r = ::read(fd_, &n, sizeof n);
    }
    return std::move(error_);
}

std::string journal_writer::wait() {
    if (!running_) return "";
    {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return finished_; });
    }
    return *poll();
}

}  // namespace baton
