// batond: parse the command line, load and check the configuration, run the loop, exit code.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <zmq.hpp>
#ifdef BATON_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "config.h"
#include "fd_limit.h"
#include "journal.h"
#include "loop.h"
#include "metrics_server.h"
#include "notify.h"
#include "recovery.h"
#include "scenario_runner.h"
#include "version.h"

namespace {

// For the signal handlers only. A stop asked for before the loop runs (during a long rebuild of
// the state) is kept in `stop_requested`, which recovery polls and run() checks first.
std::atomic<bool> stop_requested{false};
std::atomic<baton::loop*> running{nullptr};

extern "C" void on_signal(int) {
    stop_requested.store(true);
    if (baton::loop* l = running.load()) l->stop();
}

extern "C" void on_hangup(int) {
    if (baton::loop* l = running.load()) l->reload();  // re-read schemas, flow, customers, log
}

// The allocator this batond runs on (daemon/CMakeLists.txt: BATON_JEMALLOC), for its start-up
// log: "jemalloc 5.3.0", or the C library's.
std::string allocator_name() {
#ifdef BATON_WITH_JEMALLOC
    const char* v = nullptr;
    std::size_t n = sizeof v;
    if (mallctl("version", static_cast<void*>(&v), &n, nullptr, 0) != 0 || !v) return "jemalloc";
    const std::string version(v);  // 5.3.0-0-g54eaed1d...: the release, then git's description
    return "jemalloc " + version.substr(0, version.find('-'));
#else
    return "the C library's malloc";
#endif
}

// Clears `running` however the loop ends (a return or an exception).
struct running_guard {
    explicit running_guard(baton::loop& l) { running.store(&l); }
    ~running_guard() { running.store(nullptr); }
    running_guard(const running_guard&) = delete;
    running_guard& operator=(const running_guard&) = delete;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "batond: the order-relay daemon of baton.\n"
        "Takes department events on the ingest socket, stores them durably in SQLite and "
        "acknowledges them; answers batonctl on the control socket.",
        "batond"};
    std::string config_path;
    bool check_only = false;
    bool rebuild_state = false;
    app.add_option("-c,--config", config_path,
                   "Path of baton.yaml (relative paths inside it are "
                   "relative to its folder)")
        ->required();
    std::vector<std::string> test_paths;
    auto* check_flag = app.add_flag("--check-config", check_only,
                                    "Validate the config, schemas, flow and customers files, then "
                                    "exit (0 when all are valid)");
    auto* rebuild_flag =
        app.add_flag("--rebuild-state", rebuild_state,
                     "Throw away the stored order state and rebuild it from the journal at start "
                     "(after a flow change, or to verify the snapshot)");
    app.add_option("--test-flow", test_paths,
                   "Run flow scenario files (docs/scenarios.md; a file, or a folder of *.yaml "
                   "run in name order) against the configured flow, schemas and customers, in "
                   "memory on a fake clock, writing nothing; print PASS or FAIL per scenario. "
                   "Exit 0 when all pass, 1 when any fails, 2 for an invalid file")
        ->type_name("PATH")
        ->excludes(check_flag)
        ->excludes(rebuild_flag);
    app.set_version_flag("-V,--version", std::string("batond ") + baton::version);
    CLI11_PARSE(app, argc, argv);

    auto logger = spdlog::stderr_color_mt("batond");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

    baton::config cfg;
    baton::loop_inputs inputs;
    try {
        cfg = baton::load_config(config_path);
        inputs = baton::load_inputs(cfg);
        if (!test_paths.empty()) {
            spdlog::set_level(spdlog::level::warn);
            return baton::test_flow(cfg, test_paths, std::cout, std::cerr);
        }
        if (check_only) {
            std::printf("%s: ok (%zu topics in %s, %zu stages in %s, %zu customers in %s)\n",
                        cfg.file.c_str(), inputs.schemas.topics().size(), cfg.schemas_dir.c_str(),
                        inputs.flow.stages.size(), cfg.flow_file.c_str(), inputs.customers.size(),
                        cfg.customers_file.c_str());
            return 0;
        }
        inputs.rebuild_state = rebuild_state;
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "batond: invalid configuration: %s\n", e.what());
        return 2;
    }

    spdlog::set_level(spdlog::level::from_str(cfg.log_level));
    spdlog::info("batond {} starting; memory allocator: {}", baton::version, allocator_name());
    baton::raise_fd_limit();  // every connection is a descriptor: use what the system allows
    inputs.stop_requested = &stop_requested;

    // Signals are handled by the loop; the handler only wakes it (or, before the loop runs,
    // leaves the stop for recovery and run() to see).
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    struct sigaction hup {};
    hup.sa_handler = on_hangup;
    sigemptyset(&hup.sa_mask);
    sigaction(SIGHUP, &hup, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        zmq::context_t context(1);
        baton::loop loop(cfg, std::move(inputs), context);
        running_guard guard(loop);
        // Sockets bound, state loaded: tell systemd (when it started us) that batond serves.
        if (std::int64_t interval_ms = baton::service::watchdog_interval_ms(); interval_ms > 0)
            loop.set_heartbeat(baton::service::watchdog, interval_ms);
        baton::service::ready("ingest " + loop.ingest_endpoint() + ", relay " +
                              loop.relay_endpoint() + ", control " + loop.control_endpoint());
        loop.run();
        baton::service::stopping();
    } catch (const baton::recovery_cancelled& e) {
        spdlog::info("batond {}; nothing was lost (the journal is the truth)", e.what());
        return 0;
    } catch (const baton::journal_error& e) {
        spdlog::critical("storage: {}", e.what());
        return 1;
    } catch (const zmq::error_t& e) {
        spdlog::critical("sockets: {}", e.what());
        return 1;
    } catch (const baton::metrics_error& e) {
        spdlog::critical("{}", e.what());
        return 1;
    } catch (const std::exception& e) {
        spdlog::critical("batond stopped: {}", e.what());
        return 1;
    }
    return 0;
}
