// baton-sql-out: parse the command line, load the config, follow the relay and write each
// message as a row of its middle table until SIGTERM or SIGINT, exit code. The logic lives in
// baton_sql_out.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>
#include <zmq.hpp>

#include "config_error.h"
#include "program_log.h"
#include "source.h"
#include "sql_out.h"
#include "sql_out_config.h"
#include "stop_signal.h"
#include "table_writer.h"

namespace sql = baton::adapters::sql;

int main(int argc, char** argv) {
    CLI::App app{
        "baton-sql-out: relay messages from batond into database tables (middle tables).\n"
        "Follows batond's relay topics and writes each message as one row of the configured "
        "table (SQLite, PostgreSQL, or any ODBC database: SQL Server, MySQL/MariaDB), with the "
        "relay seq in a unique column: a batch of messages per transaction, the relay position "
        "saved only after COMMIT, so a crash or restart writes nothing twice. While the database "
        "is down the same messages are retried with backoff (1 s up to 60 s).\n"
        "Exit codes: 0 stopped by SIGTERM/SIGINT or --check-config passed; 1 runtime failure; "
        "2 invalid configuration (or, with --check-config, a database or table that is not "
        "there).",
        "baton-sql-out"};
    std::string config_path;
    bool check_only = false;
    app.add_option("-c,--config", config_path, "Path of the YAML config file (see README.md)")
        ->required();
    app.add_flag("--check-config", check_only,
                 "Validate the config file, connect to the database and check that every table "
                 "and column exists, then exit (writes nothing)");
    CLI11_PARSE(app, argc, argv);

    baton::adapters::webhook::stop_signal signals;  // before any thread starts
    baton::adapters::log_to_stderr("baton-sql-out");

    sql::sql_out_config cfg;
    try {
        cfg = sql::load_sql_out_config(config_path);
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-sql-out: invalid configuration: %s\n", e.what());
        return 2;
    }
    if (check_only) {
        try {
            sql::table_writer writer(cfg);
            writer.check_tables();
            std::printf("%s: ok (%zu table(s) present in %s, relay %s, state %s)\n",
                        cfg.file.c_str(), cfg.tables.size(), writer.describe().c_str(),
                        cfg.relay.c_str(), cfg.state_path.c_str());
        } catch (const baton::config_error& e) {
            std::fprintf(stderr, "baton-sql-out: %s\n", e.what());
            return 2;
        } catch (const sql::source_error& e) {
            std::fprintf(stderr, "baton-sql-out: %s: database: %s\n", cfg.file.c_str(), e.what());
            return 2;
        }
        return 0;
    }
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));

    std::atomic<bool> stop{false};
    std::thread watcher = signals.watch(stop, "after the current batch");

    int status = 0;
    try {
        zmq::context_t context(1);
        sql::sql_out out(context, cfg);
        for (const auto& t : cfg.tables) {
            std::string topics;
            for (const auto& p : t.topics) topics += (topics.empty() ? "" : ", ") + p;
            spdlog::info("{} -> table {} (seq in {})", topics, t.table, t.seq_column);
        }
        spdlog::info("following {} from seq {} (state {})", cfg.relay, out.last_seq(),
                     cfg.state_path);
        out.run(stop);
        spdlog::info("stopped at seq {}; {} row(s) written this run", out.last_seq(),
                     out.rows_written());
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        status = 1;
    }
    stop = true;
    watcher.join();
    return status;
}
