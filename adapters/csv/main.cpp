// baton-csv: parse the command line, load the config and the mappings, then watch the drop
// folder (or make one pass with --once). Exit codes: 0 ok, 1 runtime error, 2 bad config,
// 3 (--once) events still wait for batond in the outbox.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <zmq.hpp>

#include "csv_config.h"
#include "drop_folder.h"
#include "program_log.h"

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) {
    stop_requested.store(true);
}

}  // namespace

int main(int argc, char** argv) {
    namespace csv = baton::adapters::csv;
    CLI::App app{
        "baton-csv: the CSV drop-folder adapter of baton.\n"
        "Watches a folder where a department system exports CSV files, turns each row into an "
        "event with the YAML mapping whose `match` glob fits the file name, sends the events to "
        "batond through a local outbox, and moves each file to done/ once batond has answered "
        "every event (bad rows: <name>.errors.csv beside it). See adapters/csv/README.md.",
        "baton-csv"};
    std::string config_path;
    bool once = false;
    bool check_only = false;
    app.add_option("-c,--config", config_path,
                   "Path of the adapter's YAML config (folder, mappings, ingest, outbox, "
                   "poll_interval, settle, ...)")
        ->required();
    app.add_flag("--once", once,
                 "Process the complete files that are there now, wait for batond's answers, and "
                 "exit (for cron and tests)");
    app.add_flag("--check-config", check_only,
                 "Validate the config and the mapping file, then exit (0 when both are valid)");
    app.footer(
        "Exit codes: 0 done, 1 runtime error (outbox, sockets), 2 invalid config or mapping, "
        "3 (--once) events still wait in the outbox because batond did not answer in time.");
    CLI11_PARSE(app, argc, argv);

    baton::adapters::log_to_stderr("baton-csv");

    csv::adapter_config cfg;
    std::vector<baton::adapters::mapping> mappings;
    try {
        cfg = csv::load_config(config_path);
        mappings = csv::load_csv_mappings(cfg);
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-csv: invalid configuration: %s\n", e.what());
        return 2;
    }
    if (check_only) {
        std::printf("%s: ok (%zu mappings in %s, watching %s)\n", cfg.file.c_str(), mappings.size(),
                    cfg.mappings_file.c_str(), cfg.folder.c_str());
        return 0;
    }
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        zmq::context_t context(1);
        csv::drop_folder folder(context, cfg, std::move(mappings));
        if (once) {
            auto reports = folder.scan_once();
            std::size_t waiting = 0;
            for (const auto& r : reports) waiting += r.outcome == csv::file_outcome::waiting;
            if (folder.pending() > 0 || waiting > 0) {
                spdlog::warn("{} events wait in the outbox {} for batond at {}", folder.pending(),
                             cfg.outbox, cfg.ingest);
                return 3;
            }
            return 0;
        }
        spdlog::info("watching {} (settle {} ms, every {} ms), sending to {}", cfg.folder,
                     cfg.settle.count(), cfg.poll_interval.count(), cfg.ingest);
        folder.run(stop_requested);
        spdlog::info("stopped; {} events wait in the outbox", folder.pending());
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    return 0;
}
