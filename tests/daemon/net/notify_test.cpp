// The systemd notifications (daemon/net/notify.h) as a service manager receives them: datagrams on
// the unix socket that NOTIFY_SOCKET names, and WATCHDOG_USEC / WATCHDOG_PID read as
// sd_watchdog_enabled does. Without NOTIFY_SOCKET every call is a no-op.
#include "notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "notify_socket.h"
#include "temp_dir.h"

namespace baton {
namespace {

using testing::notify_socket;
using testing::scoped_env;

TEST(notify, messages_arrive_on_notify_socket_in_order) {
    testing::temp_dir dir;
    notify_socket manager(dir / "notify.sock");
    scoped_env socket_env("NOTIFY_SOCKET", manager.path().c_str());

    service::ready("ingest tcp://127.0.0.1:7710\ncontrol tcp://127.0.0.1:7712");
    service::watchdog();
    service::watchdog();
    service::stopping();

    EXPECT_EQ(manager.receive(),
              "READY=1\nSTATUS=ingest tcp://127.0.0.1:7710 control tcp://127.0.0.1:7712");
    EXPECT_EQ(manager.receive(), "WATCHDOG=1");
    EXPECT_EQ(manager.receive(), "WATCHDOG=1");
    EXPECT_EQ(manager.receive(), "STOPPING=1\nSTATUS=stopping");
    EXPECT_EQ(manager.receive(100), std::nullopt);
}

TEST(notify, abstract_notify_socket_is_reached) {
    // systemd may hand out an abstract socket ("@name"); sd_notify must find it too.
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    std::string name = "baton-notify-test-" + std::to_string(::getpid());
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path + 1, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
    scoped_env socket_env("NOTIFY_SOCKET", ("@" + name).c_str());

    service::watchdog();

    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 1000), 1);
    char buf[64];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0))), "WATCHDOG=1");
}

TEST(notify, without_notify_socket_calls_are_no_ops) {
    scoped_env socket_env("NOTIFY_SOCKET", nullptr);
    scoped_env usec_env("WATCHDOG_USEC", "400000");
    scoped_env pid_env("WATCHDOG_PID", nullptr);

    service::ready("not under systemd");
    service::watchdog();
    service::stopping();
    EXPECT_EQ(service::watchdog_interval_ms(), 0);
}

TEST(notify, watchdog_interval_is_half_of_watchdog_usec) {
    testing::temp_dir dir;
    notify_socket manager(dir / "notify.sock");
    scoped_env socket_env("NOTIFY_SOCKET", manager.path().c_str());
    scoped_env usec_env("WATCHDOG_USEC", "400000");
    {
        scoped_env pid_env("WATCHDOG_PID", nullptr);
        EXPECT_EQ(service::watchdog_interval_ms(), 200);
    }
    {
        scoped_env pid_env("WATCHDOG_PID", std::to_string(::getpid()).c_str());
        EXPECT_EQ(service::watchdog_interval_ms(), 200);
    }
}

TEST(notify, watchdog_is_off_without_watchdog_usec_or_for_another_process) {
    testing::temp_dir dir;
    notify_socket manager(dir / "notify.sock");
    scoped_env socket_env("NOTIFY_SOCKET", manager.path().c_str());
    {
        scoped_env usec_env("WATCHDOG_USEC", nullptr);
        scoped_env pid_env("WATCHDOG_PID", nullptr);
        EXPECT_EQ(service::watchdog_interval_ms(), 0);
    }
    {
        scoped_env usec_env("WATCHDOG_USEC", "400000");
        scoped_env pid_env("WATCHDOG_PID", std::to_string(::getppid()).c_str());
        EXPECT_EQ(service::watchdog_interval_ms(), 0);
    }
}

}  // namespace
}  // namespace baton
