// Raising RLIMIT_NOFILE at start.
#include "fd_limit.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace baton {

namespace {

// The kernel's ceiling for RLIMIT_NOFILE: an "unlimited" hard limit cannot be set as the soft
// one, fs.nr_open can.
rlim_t nr_open() {
    std::ifstream in("/proc/sys/fs/nr_open");
    unsigned long long n = 0;
    if (in >> n && n > 0) return static_cast<rlim_t>(n);
    return 1048576;  // the kernel's default
}

}  // namespace

fd_limit raise_fd_limit(std::uint64_t recommended) {
    fd_limit out;
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        out.error = std::string("getrlimit: ") + std::strerror(errno);
        spdlog::warn("file descriptors: cannot read the limit: {}", out.error);
        return out;
    }
    out.before = out.soft = rl.rlim_cur;
    out.hard = rl.rlim_max;
    const rlim_t target = rl.rlim_max == RLIM_INFINITY ? nr_open() : rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < target) {
        // Only when there is something to raise: under the systemd unit soft and hard are both
        // LimitNOFILE=.
        rlimit raised = rl;
        raised.rlim_cur = target;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            out.soft = target;
        else
            out.error = std::string("setrlimit: ") + std::strerror(errno);
    }
    if (out.soft != out.before)
        spdlog::info("file descriptors: soft limit raised from {} to {} (hard limit {})",
                     out.before, out.soft, out.hard);
    else if (!out.error.empty())
        spdlog::warn("file descriptors: soft limit {} (hard limit {}), not raised: {}", out.soft,
                     out.hard, out.error);
    else
        spdlog::info("file descriptors: soft limit {} (hard limit {})", out.soft, out.hard);
    if (out.soft < recommended)
        spdlog::warn(
            "file descriptors: the limit {} is below {}: batond runs out at about that many "
            "clients, and then new connections (batonctl's too) wait until others close; raise "
            "LimitNOFILE= in the systemd unit (batond.service), or ulimit -n",
            out.soft, recommended);
    return out;
}

}  // namespace baton
