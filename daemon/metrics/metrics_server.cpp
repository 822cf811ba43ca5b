// The metrics listener's HTTP side: routes, timeouts, its thread pool and its lifetime.
#include "metrics_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "clock.h"
#include "config.h"
#include "health.h"
#include "metrics_board.h"
#include "metrics_text.h"
#include "version.h"

namespace baton {

namespace {

// How long a scrape waits for the loop to publish fresh figures before it takes the last ones.
constexpr std::chrono::milliseconds fresh_wait{200};

void answer(httplib::Response& res, const probe_answer& a) {
    res.status = a.status;
    res.set_content(a.text + "\n", "text/plain; charset=utf-8");
}

}  // namespace

std::string host_port(const std::string& host, int port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

struct metrics_server::impl {
    impl(const metrics_config& cfg, metrics_board& b)
        : board(b), host(cfg.host), stall_after_us(cfg.stall_after_us) {
        // cpp-httplib sets SO_REUSEPORT by default: a second batond would bind the same port and
        // take half the scrapes. SO_REUSEADDR alone lets a restart bind at once.
        http.set_socket_options([](socket_t sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        });
        http.new_task_queue = [] { return new httplib::ThreadPool(3); };
        http.set_read_timeout(std::chrono::seconds(5));
        http.set_write_timeout(std::chrono::seconds(5));
        http.set_keep_alive_timeout(2);  // an idle keep-alive connection holds a thread
        http.set_payload_max_length(4096);
        routes();
        port = cfg.port == 0 ? http.bind_to_any_port(host)
                             : (http.bind_to_port(host, cfg.port) ? cfg.port : -1);
        if (port <= 0)
            throw metrics_error("metrics.listen: cannot listen on " + host_port(host, cfg.port) +
                                " (in use, or not an address of this machine)");
        thread = std::thread([this] { http.listen_after_bind(); });
        // stop() does nothing to a server not yet listening: wait, so the destructor can stop it.
        for (int i = 0; i < 2000 && !http.is_running(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    ~impl() {
        http.stop();
        if (thread.joinable()) thread.join();
    }

    void routes() {
        http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
            auto m = board.fresh(fresh_wait);
            scrape_facts facts;
            facts.version = version;
            facts.started_ms = board.started_ms();
            facts.last_turn_ms = last_turn_ms();
            facts.ready = check_ready(m.get(), board.stopping()).status == 200;
            res.set_content(render_metrics(m.get(), facts), metrics_content_type);
        });
        http.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
            answer(res, check_health(board.loaded(), board.last_turn_us(),
                                     board.clock().steady_us(), stall_after_us));
        });
        http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
            auto m = board.fresh(fresh_wait);
            answer(res, check_ready(m.get(), board.stopping()));
        });
        http.Get(".*", [](const httplib::Request&, httplib::Response& res) {
            answer(res, {404, "not found: /metrics, /healthz and /readyz are served here"});
        });
        auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
            res.set_header("Allow", "GET, HEAD");
            answer(res, {405, "method not allowed: GET or HEAD"});
        };
        http.Post(".*", not_allowed);
        http.Put(".*", not_allowed);
        http.Patch(".*", not_allowed);
        http.Delete(".*", not_allowed);
        http.Options(".*", not_allowed);
    }

    // The loop's last turn on the wall clock: the steady clock says how long ago it was.
    std::int64_t last_turn_ms() const {
        const std::int64_t turn_us = board.last_turn_us();
        if (turn_us == 0) return 0;
        const clock_source& clock = board.clock();
        return clock.now_ms() - (clock.steady_us() - turn_us) / 1000;
    }

    metrics_board& board;
    std::string host;
    std::int64_t stall_after_us;
    httplib::Server http;
    int port = -1;
    std::thread thread;
};

metrics_server::metrics_server(const metrics_config& cfg, metrics_board& board)
    : impl_(std::make_unique<impl>(cfg, board)) {}

metrics_server::~metrics_server() = default;

int metrics_server::port() const {
    return impl_->port;
}

std::string metrics_server::endpoint() const {
    return host_port(impl_->host, impl_->port);
}

}  // namespace baton
