// Sessions (sessions.h): random tokens from libsodium, a least-recently-used list with a
// digest index.
#include "sessions.h"

#include <sodium.h>

#include <cassert>
#include <stdexcept>

namespace baton::board {

namespace {

void need_sodium() {
    // sodium_init() is safe to call again; once is enough.
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium cannot be initialised");
}

}  // namespace

std::string random_token() {
    need_sodium();
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    char text[sodium_base64_ENCODED_LEN(sizeof bytes, variant)];
    sodium_bin2base64(text, sizeof text, bytes, sizeof bytes, variant);
    return std::string(text);
}

bool same_token(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;  // lengths are not secret: every token has 43
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

session_store::session_store(std::int64_t idle_ms, std::int64_t absolute_ms,
                             std::size_t max_sessions)
    : idle_ms_(idle_ms), absolute_ms_(absolute_ms), max_sessions_(max_sessions) {
    assert(max_sessions_ > 0);
}

std::string session_store::key_of(std::string_view token) {
    need_sodium();
    unsigned char digest[crypto_generichash_BYTES];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()),
                       token.size(), nullptr, 0);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

void session_store::forget(order::iterator it) {
    by_key_.erase(it->key);
    order_.erase(it);
}

void session_store::drop_idle(std::int64_t now_ms) {
    // The list is in order of last use, so the idle ones are at its end.
    while (!order_.empty() && now_ms - order_.back().s.last_ms > idle_ms_)
        forget(std::prev(order_.end()));
}

session session_store::open(std::string_view user, std::int64_t now_ms) {
    session s{random_token(), random_token(), std::string(user), now_ms, now_ms};
    std::lock_guard lock(mutex_);
    drop_idle(now_ms);
    while (order_.size() >= max_sessions_) forget(std::prev(order_.end()));
    order_.push_front(entry{key_of(s.token), s});
    by_key_.emplace(order_.front().key, order_.begin());
    return s;
}

std::optional<session> session_store::touch(std::string_view token, std::int64_t now_ms) {
    const std::string key = key_of(token);
    std::lock_guard lock(mutex_);
    auto found = by_key_.find(key);
    if (found == by_key_.end()) return std::nullopt;
    auto it = found->second;
    if (now_ms - it->s.last_ms > idle_ms_ || now_ms - it->s.created_ms > absolute_ms_) {
        forget(it);
        return std::nullopt;
    }
    it->s.last_ms = now_ms;
    order_.splice(order_.begin(), order_, it);
    return it->s;
}

void session_store::close(std::string_view token) {
    const std::string key = key_of(token);
    std::lock_guard lock(mutex_);
    auto found = by_key_.find(key);
    if (found != by_key_.end()) forget(found->second);
}

std::size_t session_store::close_user(std::string_view user) {
    std::lock_guard lock(mutex_);
    std::size_t closed = 0;
    for (auto it = order_.begin(); it != order_.end();) {
        auto next = std::next(it);
        if (it->s.user == user) {
            forget(it);
            ++closed;
        }
        it = next;
    }
    return closed;
}

std::size_t session_store::size() const {
    std::lock_guard lock(mutex_);
    return order_.size();
}

}  // namespace baton::board
