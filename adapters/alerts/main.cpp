// baton-alerts: parse the command line, load the config, mirror batond's open exceptions into
// Alertmanager until SIGTERM or SIGINT, exit code. The logic lives in baton_alerts.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>
#include <zmq.hpp>

#include "alert_forwarder.h"
#include "alerts_config.h"
#include "program_log.h"
#include "stop_signal.h"

namespace al = baton::adapters::alerts;

int main(int argc, char** argv) {
    CLI::App app{
        "baton-alerts: batond's open exceptions as Prometheus Alertmanager alerts.\n"
        "Loads batond's open exceptions over the control socket, follows its relay "
        "(exception.* topics) and posts one alert per open exception (labels: alertname = "
        "kind, severity, dept, tier, stage, customer, order, scope, source=baton) to every "
        "Alertmanager listed, re-posting open alerts every resend_every and posting a "
        "resolved one with endsAt = now. An Alertmanager that fails is retried with backoff "
        "and then gets everything it missed. Routing, grouping, silences and notifications "
        "are Alertmanager's config. Exit codes: 0 stopped, 1 runtime error (an unreadable "
        "state file), 2 invalid config.",
        "baton-alerts"};
    std::string config_path;
    bool check_only = false;
    app.add_option("-c,--config", config_path, "Path of the YAML file (see README.md)")->required();
    app.add_flag("--check-config", check_only, "Validate the config file, then exit");
    app.set_version_flag("-V,--version", std::string("baton-alerts ") + BATON_VERSION);
    CLI11_PARSE(app, argc, argv);

    baton::adapters::webhook::stop_signal signals;  // before any thread starts
    baton::adapters::log_to_stderr("baton-alerts");

    al::alerts_config cfg;
    try {
        cfg = al::load_alerts_config(config_path);
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-alerts: invalid configuration: %s\n", e.what());
        return 2;
    }
    if (check_only) {
        std::printf("%s: ok (%zu Alertmanager(s), batond %s, state %s)\n", cfg.file.c_str(),
                    cfg.alertmanagers.size(), cfg.control.c_str(), cfg.state.c_str());
        return 0;
    }
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));

    std::atomic<bool> stop{false};
    std::thread watcher = signals.watch(stop, "after the current POST");

    int status = 0;
    try {
        zmq::context_t context(1);
        baton::system_clock_source clock;
        al::alert_forwarder forwarder(context, cfg, clock);
        std::string urls;
        for (const auto& a : cfg.alertmanagers) urls += (urls.empty() ? "" : ", ") + a.url;
        spdlog::info("mirroring batond {} into Alertmanager {} ({} saved alert(s), state {})",
                     cfg.control, urls, forwarder.open_alerts(), cfg.state);
        forwarder.run(stop);
        spdlog::info("stopped: {} open alert(s), {} POST round(s) accepted this run",
                     forwarder.open_alerts(), forwarder.posts());
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        status = 1;
    }
    stop = true;
    watcher.join();
    return status;
}
