// batond's messages to systemd (Type=notify): READY once it serves, STOPPING on its way out and
// WATCHDOG from its loop. A thin wrapper over libsystemd's sd_notify; every call is a no-op
// when batond was not started with a NOTIFY_SOCKET (a shell, a test, another supervisor).
#pragma once

#include <cstdint>
#include <string>

namespace baton::service {

// READY=1 with a STATUS= line for `systemctl status` (newlines in `status` become spaces).
void ready(const std::string& status);
// STOPPING=1: batond is on its way out (committing the open batch, closing the store).
void stopping();
// WATCHDOG=1: the loop is still turning.
void watchdog();
// How often to send WATCHDOG=1, in ms: half of WATCHDOG_USEC, or 0 when systemd does not watch
// this process (no WatchdogSec=, WATCHDOG_PID names another process, or no NOTIFY_SOCKET).
std::int64_t watchdog_interval_ms();

}  // namespace baton::service
