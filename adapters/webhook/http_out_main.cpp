// baton-http-out: parse the command line, load the config, follow the relay and POST each
// message in order until SIGTERM or SIGINT, exit code. The logic lives in baton_webhook.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>
#include <zmq.hpp>

#include "http_out_config.h"
#include "program_log.h"
#include "relay_poster.h"
#include "stop_signal.h"

namespace wh = baton::adapters::webhook;

int main(int argc, char** argv) {
    CLI::App app{
        "baton-http-out: relay messages from batond to HTTP.\n"
        "Follows batond's relay topics and POSTs each message as JSON {\"seq\", \"topic\", "
        "\"envelope\"} to the URL of the longest matching topic prefix; a message is delivered "
        "when the receiver answers 2xx, otherwise the same message is retried with backoff, so "
        "delivery is in seq order. After downtime it catches up with batond's replay.",
        "baton-http-out"};
    std::string config_path;
    bool check_only = false;
    app.add_option("-c,--config", config_path, "Path of the adapter's YAML file (see README.md)")
        ->required();
    app.add_flag("--check-config", check_only, "Validate the config file, then exit");
    CLI11_PARSE(app, argc, argv);

    wh::stop_signal signals;  // before any thread starts
    baton::adapters::log_to_stderr("baton-http-out");

    wh::http_out_config cfg;
    try {
        cfg = wh::load_http_out_config(config_path);
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-http-out: invalid configuration: %s\n", e.what());
        return 2;
    }
    if (check_only) {
        std::printf("%s: ok (%zu route(s), relay %s, state %s)\n", cfg.file.c_str(),
                    cfg.routes.routes().size(), cfg.relay.c_str(), cfg.state.c_str());
        return 0;
    }
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));

    std::atomic<bool> stop{false};
    std::thread watcher = signals.watch(stop, "after the current POST");

    int status = 0;
    try {
        zmq::context_t context(1);
        wh::relay_poster poster(context, cfg);
        for (const auto& r : cfg.routes.routes())
            spdlog::info("route '{}' -> {}", r.prefix.empty() ? "*" : r.prefix, r.url);
        spdlog::info("following {} from seq {} (state {})", cfg.relay, poster.last_seq(),
                     cfg.state);
        poster.run(stop);
        spdlog::info("stopped at seq {}; {} delivered this run", poster.last_seq(),
                     poster.delivered());
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        status = 1;
    }
    stop = true;
    watcher.join();
    return status;
}
