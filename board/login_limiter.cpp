// The login limiter (login_limiter.h): per key, the times of the latest failures, in a list
// ordered by the latest one so the oldest keys are dropped first.
#include "login_limiter.h"

#include <algorithm>
#include <cassert>

namespace baton::board {

namespace {

// A name typed at the login form can be any length; remembering a prefix is enough to count it.
constexpr std::size_t max_key_bytes = 128;
// Why an address may fail more often than a user name.
constexpr int address_factor = 4;

std::string key_text(std::string_view key) {
    return std::string(key.substr(0, max_key_bytes));
}

}  // namespace

login_limiter::login_limiter(int max_failures, std::int64_t window_ms, std::size_t max_keys)
    : users_(static_cast<std::size_t>(std::max(1, max_failures)), window_ms, max_keys),
      addresses_(static_cast<std::size_t>(std::max(1, max_failures)) * address_factor, window_ms,
                 max_keys) {
    assert(max_failures > 0 && window_ms > 0 && max_keys > 0);
}

std::int64_t login_limiter::blocked_for(std::string_view user, std::string_view address,
                                        std::int64_t now_ms) const {
    std::lock_guard lock(mutex_);
    return std::max(users_.wait(user, now_ms), addresses_.wait(address, now_ms));
}

void login_limiter::failed(std::string_view user, std::string_view address, std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    users_.add(user, now_ms);
    addresses_.add(address, now_ms);
}

void login_limiter::succeeded(std::string_view user, std::string_view /*address*/) {
    std::lock_guard lock(mutex_);
    users_.clear(user);
}

std::int64_t login_limiter::failure_log::wait(std::string_view key, std::int64_t now_ms) const {
    auto found = by_key_.find(key_text(key));
    if (found == by_key_.end()) return 0;
    const auto& times = found->second->times;
    if (times.size() < limit_) return 0;
    // The oldest of the latest `limit_` failures: once it leaves the window, one try is free.
    const std::int64_t until = times.front() + window_ms_;
    return until > now_ms ? until - now_ms : 0;
}

void login_limiter::failure_log::add(std::string_view key, std::int64_t now_ms) {
    // Keys whose latest failure has left the window count for nothing; they sit at the end.
    while (!order_.empty() && now_ms - order_.back().times.back() >= window_ms_) {
        by_key_.erase(order_.back().key);
        order_.pop_back();
    }
    std::string k = key_text(key);
    auto found = by_key_.find(k);
    if (found == by_key_.end()) {
        order_.push_front(entry{k, {}});
        found = by_key_.emplace(std::move(k), order_.begin()).first;
    } else {
        order_.splice(order_.begin(), order_, found->second);
    }
    auto& times = found->second->times;
    times.push_back(now_ms);
    if (times.size() > limit_) times.pop_front();
    while (by_key_.size() > max_keys_) {
        by_key_.erase(order_.back().key);
        order_.pop_back();
    }
}

void login_limiter::failure_log::clear(std::string_view key) {
    auto found = by_key_.find(key_text(key));
    if (found == by_key_.end()) return;
    order_.erase(found->second);
    by_key_.erase(found);
}

}  // namespace baton::board
