// Slows down password guessing at the login form: after too many failed logins for one user
// name, or from one address, further tries wait until the oldest failure leaves the window.
// Times are passed in, so tests drive it with a fake clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace baton::board {

class login_limiter {
public:
    // A user name may fail `max_failures` times within `window_ms`; an address four times as
    // often, because a plant's staff may share one NAT address. At most `max_keys` names and as
    // many addresses are remembered, the longest quiet forgotten first.
    explicit login_limiter(int max_failures = 5, std::int64_t window_ms = 15 * 60 * 1000,
                           std::size_t max_keys = 100000);

    // How many ms until `user` may try again from `address` (0: now). Ask before checking the
    // password, so a blocked guess costs nothing and tells nothing.
    std::int64_t blocked_for(std::string_view user, std::string_view address,
                             std::int64_t now_ms) const;
    // A failed login. Names that are no user count as well: the answer must not tell them apart.
    void failed(std::string_view user, std::string_view address, std::int64_t now_ms);
    // A good login forgives the user's failures, not the address's (a guesser who owns one
    // account must not reset the address's count with it).
    void succeeded(std::string_view user, std::string_view address);

private:
    // The recent failures of one kind of key (user names or addresses).
    class failure_log {
    public:
        failure_log(std::size_t limit, std::int64_t window_ms, std::size_t max_keys)
            : limit_(limit), window_ms_(window_ms), max_keys_(max_keys) {}
        std::int64_t wait(std::string_view key, std::int64_t now_ms) const;
        void add(std::string_view key, std::int64_t now_ms);
        void clear(std::string_view key);

    private:
        struct entry {
            std::string key;
            std::deque<std::int64_t> times;  // the latest `limit_` failures, oldest first
        };
        using order = std::list<entry>;  // latest failure first
        std::size_t limit_;
        std::int64_t window_ms_;
        std::size_t max_keys_;
        order order_;
        std::unordered_map<std::string, order::iterator> by_key_;
    };

    mutable std::mutex mutex_;
    failure_log users_;
    failure_log addresses_;
};

}  // namespace baton::board
