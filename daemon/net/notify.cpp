// sd_notify for batond. The environment is kept (unset_environment = 0) because WATCHDOG=1 goes
// to the same NOTIFY_SOCKET for the daemon's whole life; a failed send is logged, never thrown.
#include "notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace baton::service {
namespace {

bool under_systemd() {
    const char* path = std::getenv("NOTIFY_SOCKET");
    return path && *path;
}

// A failed send is logged; with `warned`, only the first one.
void send(const std::string& message, std::atomic<bool>* warned = nullptr) {
    if (!under_systemd()) return;
    int r = sd_notify(0, message.c_str());
    if (r > 0) return;
    if (!warned || !warned->exchange(true))
        spdlog::warn("sd_notify {}: {}", message.substr(0, message.find('\n')),
                     r < 0 ? std::strerror(-r) : "no NOTIFY_SOCKET");
}

std::atomic<bool> watchdog_warned{false};

}  // namespace

void ready(const std::string& status) {
    std::string line = status;
    std::replace(line.begin(), line.end(), '\n', ' ');
    send("READY=1\nSTATUS=" + line);
}

void stopping() {
    send("STOPPING=1\nSTATUS=stopping");
}

void watchdog() {
    send("WATCHDOG=1", &watchdog_warned);
}

std::int64_t watchdog_interval_ms() {
    if (!under_systemd()) return 0;
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return 0;
    return std::max<std::int64_t>(static_cast<std::int64_t>(usec / 2000), 1);
}

}  // namespace baton::service
