// Rate-limited logging: at most `per_second` lines of one kind a second; the rest are counted
// and mentioned with the next line that is written, so a flood of bad input (a port scan, a
// misbehaving client, a full disk) cannot flood the host's journal.
#pragma once

#include <cstdint>
#include <string>

namespace baton {

class log_limiter {
public:
    explicit log_limiter(int per_second) : per_second_(per_second) {}

    // True when a line may be written at `now_ms` (any clock with ms resolution);
    // `suppressed` gets how many lines were dropped since the last one written.
    // A window opens with the first line after the last window closed and lasts a second, so a
    // burst is never split in two by a second boundary.
    bool allow(std::int64_t now_ms, std::uint64_t& suppressed) {
        if (window_start_ms_ < 0 || now_ms - window_start_ms_ >= 1000) {
            window_start_ms_ = now_ms;
            used_ = 0;
        }
        if (used_ >= per_second_) {
            ++suppressed_;
            return false;
        }
        ++used_;
        suppressed = suppressed_;
        suppressed_ = 0;
        return true;
    }

    // " (N more not logged)" for a line after `suppressed` dropped ones; "" for none.
    static std::string more(std::uint64_t suppressed) {
        return suppressed ? " (" + std::to_string(suppressed) + " more not logged)" : "";
    }

private:
    int per_second_;
    std::int64_t window_start_ms_ = -1;
    int used_ = 0;
    std::uint64_t suppressed_ = 0;
};

}  // namespace baton
