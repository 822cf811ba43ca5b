// The hand-over between the loop and the metrics listener's threads.
#include "metrics_board.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "clock.h"

namespace baton {

metrics_board::metrics_board(const clock_source& clock)
    : clock_(clock), started_ms_(clock.now_ms()) {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

metrics_board::~metrics_board() {
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

void metrics_board::take_requests() {
    std::uint64_t n;
    [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
}

void metrics_board::publish(std::shared_ptr<const metrics_snapshot> snapshot) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        latest_.swap(snapshot);
        ++published_;
    }
    loaded_.store(true);
    published_cv_.notify_all();
    // `snapshot` now holds the previous one; it is freed here unless a scrape still reads it.
}

std::shared_ptr<const metrics_snapshot> metrics_board::fresh(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!latest_) return nullptr;
    const std::uint64_t wanted = published_ + 1;
    lock.unlock();  // the loop's publish() must not wait for this system call
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);  // never blocks (a counter)
    lock.lock();
    published_cv_.wait_for(lock, wait, [&] { return published_ >= wanted; });
    return latest_;
}

}  // namespace baton
