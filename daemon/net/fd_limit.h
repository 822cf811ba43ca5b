// batond's open-file limit. Every client connection costs batond a file descriptor, and when
// they run out libzmq's I/O thread spins on a failing accept() and nobody new (batonctl
// included) gets in; so batond raises its soft RLIMIT_NOFILE to the hard limit at start.
#pragma once

#include <cstdint>
#include <string>

namespace baton {

// Below this many descriptors batond warns at start: a plant's adapters, department systems
// and operators fit with room to spare (the systemd unit sets LimitNOFILE=65536).
inline constexpr std::uint64_t recommended_fd_limit = 4096;

struct fd_limit {
    std::uint64_t before = 0;  // soft limit at start
    std::uint64_t soft = 0;    // soft limit now
    std::uint64_t hard = 0;    // hard limit: the most an unprivileged process may set
    std::string error;         // why the soft limit could not be raised; empty when it was
};

// Raises the soft RLIMIT_NOFILE to the hard limit (to fs.nr_open when the hard limit is
// unlimited), logs both values, and warns when the result stays below `recommended`, naming
// LimitNOFILE= of the systemd unit. Never throws: batond runs on with what it has.
fd_limit raise_fd_limit(std::uint64_t recommended = recommended_fd_limit);

}  // namespace baton
