// baton-sql: parse the command line, load and check the config, then poll the table for new
// rows (or read them once, with --once) and send them to batond. Exit codes in README.md.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <zmq.hpp>

#include "config_error.h"
#include "program_log.h"
#include "sql_adapter.h"
#include "sql_config.h"

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) {
    stop_requested.store(true);
}

enum exit_code : int {
    exit_ok = 0,
    exit_failed = 1,   // a runtime failure, or (--once) rows rejected or refused
    exit_config = 2,   // bad command line, config, mapping, database, table or column
    exit_timeout = 3,  // --once: batond did not answer every event in time
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "baton-sql: polls a table or view of a department's database (SQLite, PostgreSQL) for "
        "rows whose watermark column is past the last one sent, maps their columns to batond "
        "events, and sends them reliably (outbox, resend until acked). The watermark is kept "
        "in a state file, so a restart neither skips nor re-reads rows.",
        "baton-sql"};
    std::string config_path;
    bool once = false;
    bool check_only = false;
    int timeout_s = 60;
    app.add_option("-c,--config", config_path,
                   "Path of the adapter's YAML config (relative paths inside it are relative to "
                   "its folder); see adapters/sql/README.md")
        ->required();
    app.add_flag("--once", once,
                 "Read every new row, wait until batond answered all events, then exit (for "
                 "cron or systemd timers)");
    app.add_option("--timeout", timeout_s,
                   "With --once: seconds to wait for batond's answers (default 60)")
        ->check(CLI::PositiveNumber);
    app.add_flag("--check-config", check_only,
                 "Check the config and mapping, open the database and check the table and "
                 "columns, then exit (0 when all is well)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? exit_ok : exit_config;  // --help is a ParseError too
    }

    baton::adapters::log_to_stderr("baton-sql");

    using namespace baton::adapters::sql;
    sql_config cfg;
    try {
        cfg = load_sql_config(config_path);
        spdlog::set_level(spdlog::level::from_str(cfg.log_level));
        if (check_only) {
            // The database, the table, every column and the state file; nothing is sent.
            auto db = open_source(cfg);
            table_reader reader(*db, cfg);
            reader.check();
            auto wm = start_watermark(cfg);
            std::printf(
                "%s: ok (%s, table %s, %zu columns, mapping '%s' -> %s, next rows "
                "after %s)\n",
                cfg.file.c_str(), db->describe().c_str(), cfg.table.c_str(), cfg.columns().size(),
                cfg.row_mapping.name.c_str(), cfg.row_mapping.topic.c_str(),
                wm ? wm->c_str() : "(none: from the first row)");
            return exit_ok;
        }
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-sql: invalid configuration: %s\n", e.what());
        return exit_config;
    }

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    zmq::context_t context(1);
    try {
        sql_adapter adapter(cfg, context);
        if (!once) {
            adapter.run(stop_requested);
            spdlog::info("stopped; {} events wait in the outbox for the next start",
                         adapter.pending());
            return exit_ok;
        }
        bool answered = adapter.drain(std::chrono::seconds(timeout_s));
        const auto& c = adapter.counters();
        spdlog::info(
            "{} rows read, {} events queued, {} acked, {} refused by batond, {} rows "
            "rejected",
            c.rows_read, c.events_submitted, c.acked, c.nacked, c.rows_rejected);
        if (!answered) {
            spdlog::error(
                "batond did not answer {} events within {}s; they stay in {} and "
                "are sent on the next run",
                adapter.pending(), timeout_s, cfg.outbox_path);
            return exit_timeout;
        }
        return (c.rows_rejected > 0 || c.nacked > 0) ? exit_failed : exit_ok;
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-sql: invalid configuration: %s\n", e.what());
        return exit_config;
    } catch (const source_error& e) {
        spdlog::critical("{}: cannot read: {}", cfg.table, e.what());
        return exit_failed;
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return exit_failed;
    }
}
