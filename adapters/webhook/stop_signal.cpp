// sigtimedwait-based stop signals (see stop_signal.h).
#include "stop_signal.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <ctime>

namespace baton::adapters::webhook {

namespace {

sigset_t stop_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

}  // namespace

stop_signal::stop_signal() {
    sigset_t set = stop_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

int stop_signal::wait(std::chrono::milliseconds timeout) {
    sigset_t set = stop_set();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1000000);
    int sig = sigtimedwait(&set, nullptr, &ts);
    return sig > 0 ? sig : 0;
}

std::thread stop_signal::watch(std::atomic<bool>& stop, std::string what) {
    return std::thread([this, &stop, what = std::move(what)] {
        while (!stop.load()) {
            if (int sig = wait(std::chrono::milliseconds(200))) {
                spdlog::info("signal {}: stopping {}", sig, what);
                stop = true;
            }
        }
    });
}

}  // namespace baton::adapters::webhook
