// Tests of daemon/fd_limit: the soft RLIMIT_NOFILE is raised to the hard limit and both are
// logged, nothing is asked when they are equal, and a low result warns with LimitNOFILE=.
#include "fd_limit.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <memory>
#include <sstream>

namespace baton {
namespace {

// Captures what batond logs while it lives, and puts the process's limit back afterwards.
struct captured_log {
    std::ostringstream text;
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    rlimit saved{};
    captured_log() {
        ::getrlimit(RLIMIT_NOFILE, &saved);
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("fd_limit_test", sink));
    }
    ~captured_log() {
        spdlog::set_default_logger(previous);
        ::setrlimit(RLIMIT_NOFILE, &saved);
    }
};

TEST(fd_limit, soft_limit_is_raised_to_the_hard_limit_and_logged) {
    captured_log log;
    if (log.saved.rlim_max == RLIM_INFINITY || log.saved.rlim_max < 512)
        GTEST_SKIP() << "needs a finite hard limit of at least 512";
    rlimit low = log.saved;
    low.rlim_cur = 256;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);

    const fd_limit r = raise_fd_limit(16);
    EXPECT_EQ(r.before, 256u);
    EXPECT_EQ(r.soft, log.saved.rlim_max);
    EXPECT_EQ(r.hard, log.saved.rlim_max);
    EXPECT_EQ(r.error, "");
    rlimit now{};
    ::getrlimit(RLIMIT_NOFILE, &now);
    EXPECT_EQ(now.rlim_cur, log.saved.rlim_max);
    EXPECT_NE(log.text.str().find("file descriptors: soft limit raised from 256 to " +
                                  std::to_string(log.saved.rlim_max)),
              std::string::npos)
        << log.text.str();
    EXPECT_EQ(log.text.str().find("LimitNOFILE="), std::string::npos) << log.text.str();
}

TEST(fd_limit, equal_limits_are_left_alone_and_a_low_one_warns_naming_limitnofile) {
    captured_log log;
    if (log.saved.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "needs a finite hard limit";
    rlimit equal = log.saved;
    equal.rlim_cur = equal.rlim_max;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &equal), 0);

    const fd_limit r = raise_fd_limit(equal.rlim_max + 1);
    EXPECT_EQ(r.before, r.soft);
    EXPECT_EQ(r.soft, equal.rlim_max);
    EXPECT_EQ(r.error, "");
    EXPECT_NE(log.text.str().find("LimitNOFILE="), std::string::npos) << log.text.str();
}

}  // namespace
}  // namespace baton
