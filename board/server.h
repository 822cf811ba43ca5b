// baton-board's HTTP side: logins and sessions, the CSRF check of every form, role checks, the
// pages (asking batond over the control socket, rendering with pages.h), the actions forwarded
// to batond with the logged-in person as `by`, and the server-sent events of live pages.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace baton::board {

struct board_config;
class batond_link;
class live_hub;
class users_file;
class session_store;
class login_limiter;

struct board_parts {
    const board_config& config;
    batond_link& batond;
    live_hub& hub;
    users_file& users;
    session_store& sessions;
    login_limiter& limiter;
    std::function<std::int64_t()> now_ms;  // the clock (ms since the epoch)
};

class board_server {
public:
    explicit board_server(board_parts parts);
    ~board_server();
    board_server(const board_server&) = delete;
    board_server& operator=(const board_server&) = delete;

    // Binds the configured host and port (0: a free one). False with `error` set when it cannot
    // (TLS files unreadable, address in use).
    bool bind(std::string& error);
    int port() const { return port_; }
    // Serves until stop(); false when the listener failed.
    bool run();
    void stop();

private:
    void routes();

    board_parts parts_;
    std::unique_ptr<httplib::Server> http_;
    int port_ = 0;
};

}  // namespace baton::board
