// The service manager's end of sd_notify for tests: a datagram socket at a path that collects
// what batond (or the notify wrapper) sends, and a scoped environment variable to point at it.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace baton::testing {

// Sets (or, with nullptr, removes) an environment variable, which a child started meanwhile
// inherits, and puts the old value back.
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~scoped_env() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

// A datagram socket bound at a path; keeps every datagram in arrival order.
class notify_socket {
public:
    explicit notify_socket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error("cannot bind " + path);
    }
    ~notify_socket() { ::close(fd_); }
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;

    const std::string& path() const { return path_; }
    const std::vector<std::string>& received() const { return received_; }

    // The next datagram, or nothing within `timeout_ms`.
    std::optional<std::string> receive(int timeout_ms = 1000) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        received_.emplace_back(buf, static_cast<std::size_t>(n));
        return received_.back();
    }

    // Receives until `done(received())` holds or `timeout` passes; returns whether it held.
    template <typename predicate>
    bool receive_until(predicate done, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done(received_)) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            receive(static_cast<int>(left.count()));
        }
        return true;
    }

private:
    std::string path_;
    int fd_ = -1;
    std::vector<std::string> received_;
};

}  // namespace baton::testing
