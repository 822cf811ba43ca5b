// Logged-in sessions of the board: a random token in the cookie, a CSRF token for the forms,
// and when each session ends (idle and absolute limits). Times are passed in, so tests drive the
// store with a fake clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace baton::board {

// 32 random bytes as unpadded base64url: 43 characters, safe in a cookie and a form field.
std::string random_token();

// Whether two secrets are equal, in time that does not depend on where they differ.
bool same_token(std::string_view a, std::string_view b);

struct session {
    std::string token;            // the cookie's value
    std::string csrf;             // what every POST form of this session carries
    std::string user;             // the user's name
    std::int64_t created_ms = 0;  // ms since epoch
    std::int64_t last_ms = 0;     // last request, ms since epoch
};

// All sessions, in memory (a restart logs everyone out). Thread-safe.
class session_store {
public:
    // A session ends after `idle_ms` without a request or `absolute_ms` after it opened; at most
    // `max_sessions` are kept, the least recently used making room for a new one.
    session_store(std::int64_t idle_ms, std::int64_t absolute_ms, std::size_t max_sessions = 10000);

    session open(std::string_view user, std::int64_t now_ms);
    // The session of `token`, its last use moved to `now_ms`; nullopt when there is none or it
    // has ended (an ended one is forgotten).
    std::optional<session> touch(std::string_view token, std::int64_t now_ms);
    void close(std::string_view token);
    // Ends every session of `user` (disabled, or their password changed); how many there were.
    std::size_t close_user(std::string_view user);
    std::size_t size() const;

private:
    // Sessions are found by a digest of their token, so lookups compare no secret a byte at a
    // time.
    struct entry {
        std::string key;  // key_of(s.token)
        session s;
    };
    using order = std::list<entry>;  // most recently used first
    static std::string key_of(std::string_view token);
    void forget(order::iterator it);
    void drop_idle(std::int64_t now_ms);  // with mutex_ held

    std::int64_t idle_ms_;
    std::int64_t absolute_ms_;
    std::size_t max_sessions_;
    mutable std::mutex mutex_;
    order order_;
    std::unordered_map<std::string, order::iterator> by_key_;
};

}  // namespace baton::board
