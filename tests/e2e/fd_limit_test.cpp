// End-to-end: batond started with a low soft open-file limit under a higher hard one (as
// `prlimit --nofile=256:4096` would) raises the soft limit, says so in its log, and still
// answers batonctl while more clients are connected than the original soft limit allows.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "control_client.h"
#include "process.h"
#include "temp_dir.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::child_limits;
using testing::child_process;
using testing::temp_dir;

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// This process's own soft limit raised for the test's clients, put back afterwards.
struct own_fd_limit {
    rlimit saved{};
    explicit own_fd_limit(rlim_t soft) {
        ::getrlimit(RLIMIT_NOFILE, &saved);
        rlimit raised = saved;
        raised.rlim_cur = std::max(saved.rlim_cur, soft);
        ::setrlimit(RLIMIT_NOFILE, &raised);
    }
    ~own_fd_limit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
};

TEST(batond_fd_limit, raises_a_low_soft_limit_and_batonctl_answers_past_it) {
    constexpr rlim_t batond_soft = 256;
    constexpr int clients = 600;  // well past 256: without the raise batond stops accepting
    rlimit mine{};
    ::getrlimit(RLIMIT_NOFILE, &mine);
    const rlim_t batond_hard = std::min<rlim_t>(mine.rlim_max, 4096);
    if (batond_hard < 2 * clients + 256)
        GTEST_SKIP() << "needs a hard open-file limit of at least " << 2 * clients + 256;
    own_fd_limit own(2 * clients + 256);  // a DEALER costs this process a socket and a mailbox

    temp_dir dir;
    const std::string src = BATON_SOURCE_DIR;
    const std::string ingest = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    const std::string relay = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    const std::string control = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    const std::string cfg =
        dir.write("etc/baton.yaml", "data_dir: ../var\nschemas: " + src + "/schemas\nflow: " + src +
                                        "/config/flow.yaml\ncustomers: " + src +
                                        "/config/customers.yaml\nbus:\n  ingest: " + ingest +
                                        "\n  relay: " + relay + "\n  control: " + control + "\n");
    const std::string log_path = dir / "batond.log";
    child_process daemon({BATOND_PATH, "--config", cfg}, log_path,
                         child_limits{rlimit{batond_soft, batond_hard}});

    zmq::context_t ctx(1);
    ctx.set(zmq::ctxopt::max_sockets, clients + 64);
    bool ready = false;
    for (int i = 0; i < 100 && !ready; ++i) {
        adapters::control_client c(ctx, control);
        value req;
        req.set("cmd", "status");
        ready = c.call(req, 200ms).has_value();
    }
    ASSERT_TRUE(ready) << read_file(log_path);
    EXPECT_NE(read_file(log_path).find("file descriptors: soft limit raised from 256 to " +
                                       std::to_string(batond_hard)),
              std::string::npos)
        << read_file(log_path);

    // Each client sends one frame; batond answers each connection it accepted with a nack.
    std::vector<zmq::socket_t> dealers;
    dealers.reserve(clients);
    for (int i = 0; i < clients; ++i) {
        dealers.emplace_back(ctx, zmq::socket_type::dealer);
        dealers.back().set(zmq::sockopt::linger, 0);
        dealers.back().connect(ingest);
        dealers.back().send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
    }
    std::vector<bool> answered(clients, false);
    int answers = 0;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (answers < clients && std::chrono::steady_clock::now() < deadline) {
        std::vector<zmq::pollitem_t> items;
        for (auto& d : dealers) items.push_back({d.handle(), 0, ZMQ_POLLIN, 0});
        zmq::poll(items, 200ms);
        for (int i = 0; i < clients; ++i) {
            if (!(items[static_cast<std::size_t>(i)].revents & ZMQ_POLLIN)) continue;
            std::vector<zmq::message_t> frames;
            while (zmq::recv_multipart(dealers[static_cast<std::size_t>(i)],
                                       std::back_inserter(frames), zmq::recv_flags::dontwait))
                frames.clear();
            if (!answered[static_cast<std::size_t>(i)]) {
                answered[static_cast<std::size_t>(i)] = true;
                ++answers;
            }
        }
    }
    EXPECT_EQ(answers, clients) << "batond stopped accepting connections";

    // With every client still connected, batonctl gets in and is answered promptly.
    const auto start = std::chrono::steady_clock::now();
    auto [status, out] = testing::run_program(
        {BATONCTL_PATH, "--control", control, "--timeout", "5000", "status"}, dir / "ctl.txt");
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(status, 0) << out;
    EXPECT_LT(took, 5s);
    EXPECT_NE(out.find("relay seq"), std::string::npos) << out;
}

}  // namespace
}  // namespace baton
