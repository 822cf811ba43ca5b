// A string of one of the plant's small vocabularies (stage, holder, customer, salesperson, unit,
// die, a date), stored once for the whole process: an order holds a pointer (8 bytes) to the
// one copy instead of a std::string of its own (32 bytes, and a heap block past 15 characters).
// The copies are never freed: the values are the plant's words, a bounded set, not per-order
// data (an order's id or its customer's PO stay std::string).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

class interned {
public:
    interned() : s_(&empty_string()) {}
    interned(std::string_view s) : s_(intern(s)) {}  // NOLINT: implicit, like std::string
    interned(const std::string& s) : s_(intern(s)) {}
    interned(const char* s) : s_(intern(s)) {}

    interned& operator=(std::string_view s) {
        s_ = intern(s);
        return *this;
    }
    interned& operator=(const std::string& s) { return *this = std::string_view(s); }
    interned& operator=(const char* s) { return *this = std::string_view(s); }

    const std::string& str() const { return *s_; }
    operator const std::string&() const { return *s_; }  // NOLINT: reads as a string
    const char* c_str() const { return s_->c_str(); }
    bool empty() const { return s_->empty(); }
    std::size_t size() const { return s_->size(); }

    // One copy per value: equal values are the same pointer.
    friend bool operator==(const interned& a, const interned& b) { return a.s_ == b.s_; }
    friend bool operator!=(const interned& a, const interned& b) { return a.s_ != b.s_; }
    // Against plain text, each way round (friends: found only when an interned is compared).
#define BATON_INTERNED_COMPARE(T)                              \
    friend bool operator==(const interned& a, T b) {           \
        return std::string_view(*a.s_) == std::string_view(b); \
    }                                                          \
    friend bool operator!=(const interned& a, T b) {           \
        return !(a == b);                                      \
    }                                                          \
    friend bool operator==(T b, const interned& a) {           \
        return a == b;                                         \
    }                                                          \
    friend bool operator!=(T b, const interned& a) {           \
        return !(a == b);                                      \
    }
    BATON_INTERNED_COMPARE(const std::string&)
    BATON_INTERNED_COMPARE(std::string_view)
    BATON_INTERNED_COMPARE(const char*)
#undef BATON_INTERNED_COMPARE
    // By the text, as std::string orders.
    friend bool operator<(const interned& a, const interned& b) {
        return *a.s_ < *b.s_;
    }

    friend std::string operator+(const std::string& a, const interned& b) {
        return a + *b.s_;
    }
    friend std::string operator+(const interned& a, const std::string& b) {
        return *a.s_ + b;
    }
    friend std::string operator+(const char* a, const interned& b) {
        return a + *b.s_;
    }
    friend std::string operator+(const interned& a, const char* b) {
        return *a.s_ + b;
    }

    // The value if it is interned already, without adding it: for lookups by text that comes
    // from outside (a query's customer id), which must not grow the pool.
    static std::optional<interned> existing(std::string_view s);

    // How many distinct values are held (for tests and benchmarks).
    static std::size_t pool_size();

private:
    explicit interned(const std::string* s) : s_(s) {}
    static const std::string* intern(std::string_view s);
    static const std::string* pooled(std::string_view s, std::size_t hash);
    static const std::string& empty_string();
    const std::string* s_;
};

// As its text (test failures print it so).
std::ostream& operator<<(std::ostream& out, const interned& s);

}  // namespace baton

template <>
struct std::hash<baton::interned> {
    std::size_t operator()(const baton::interned& s) const noexcept {
        return std::hash<std::string_view>()(s.str());
    }
};
