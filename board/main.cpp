// baton-board: parse the command line, then either add a user (adduser) or load the config,
// connect to batond, follow its relay for live updates and serve the board until SIGTERM or
// SIGINT. The logic lives in the baton_board library.
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <thread>
#include <zmq.hpp>

#include "adduser.h"
#include "batond_link.h"
#include "board_config.h"
#include "config_error.h"
#include "endpoint.h"
#include "live.h"
#include "login_limiter.h"
#include "program_log.h"
#include "reply.h"
#include "server.h"
#include "sessions.h"
#include "stop_signal.h"
#include "users.h"

namespace bb = baton::board;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int serve(const bb::board_config& cfg) {
    baton::adapters::webhook::stop_signal signals;  // before any thread starts
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));
    if (!cfg.time_zone.empty()) {
        ::setenv("TZ", cfg.time_zone.c_str(), 1);
        ::tzset();
    }
    std::unique_ptr<bb::users_file> users;
    try {
        users = bb::users_file::load(cfg.users);
    } catch (const std::exception& e) {
        // As --check-config would say: a configuration error, not worth a restart.
        spdlog::critical("invalid users file: {}", e.what());
        return 2;
    }
    try {
        std::filesystem::create_directories(cfg.state);
    } catch (const std::exception& e) {
        spdlog::critical("cannot create the state folder {}: {}", cfg.state, e.what());
        return 1;
    }
    if (users->people().empty())
        spdlog::warn("{} has no active user: add one with baton-board adduser", cfg.users);

    zmq::context_t context(1);
    bb::batond_link batond(context, cfg.control, cfg.curve, cfg.batond_timeout);
    bb::live_hub hub;
    baton::adapters::follower_options follow;
    follow.relay = cfg.relay;
    follow.control = cfg.control;
    follow.state_path = (std::filesystem::path(cfg.state) / "relay.seq").string();
    follow.curve = cfg.curve;
    bb::live_feed feed(context, follow, hub, [&]() -> std::optional<std::uint64_t> {
        bb::batond_reply r = batond.call(bb::request("status"));
        if (!r.reached || !r.ok) return std::nullopt;
        return static_cast<std::uint64_t>(bb::int_of(r.body, "relay_seq"));
    });
    bb::session_store sessions(cfg.session_idle_ms, cfg.session_max_ms);
    bb::login_limiter limiter(cfg.login_max_failures, cfg.login_window_ms);
    bb::board_server server(bb::board_parts{cfg, batond, hub, *users, sessions, limiter, now_ms});
    std::string error;
    if (!server.bind(error)) {
        spdlog::critical("{}", error);
        return 1;
    }
    feed.start();
    const std::string scheme = cfg.tls ? "https" : "http";
    spdlog::info("baton-board listening on {}://{}:{}/ (batond control {}, relay {}; {} users)",
                 scheme, cfg.host, server.port(), cfg.control, cfg.relay, users->people().size());
    if (!baton::is_loopback_host(cfg.host) && !cfg.tls && cfg.trusted_proxies.empty())
        spdlog::warn(
            "listening on {} without tls: passwords and session cookies cross the network in "
            "clear text (configure tls:, or put a reverse proxy with TLS in front)",
            cfg.host);
    sd_notifyf(0, "READY=1\nSTATUS=serving on %s://%s:%d", scheme.c_str(), cfg.host.c_str(),
               server.port());

    std::atomic<bool> done{false};
    std::thread watcher([&] {
        while (!done.load()) {
            if (int sig = signals.wait(std::chrono::milliseconds(200))) {
                spdlog::info("signal {}: stopping", sig);
                sd_notify(0, "STOPPING=1");
                while (!done.load()) {
                    server.stop();  // a no-op until listen has started: repeat until it ended
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                }
                return;
            }
        }
    });
    const bool served = server.run();
    done = true;
    watcher.join();
    feed.stop();
    if (!served) {
        spdlog::critical("the HTTP server failed on {}:{}", cfg.host, server.port());
        return 1;
    }
    spdlog::info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "baton-board: the exception board, a web page where the customer-service desk and the "
        "departments work their orders. It shows batond's open exceptions (live), tasks, orders, "
        "customers and KPIs, and lets people acknowledge, resolve, assign and close them under "
        "their own name. It talks to batond only over the control and relay sockets.\n"
        "Run:      baton-board -c /etc/baton/board.yaml\n"
        "Add user: baton-board adduser -c /etc/baton/board.yaml li.na --display 李娜 --dept "
        "customer_service --role clerk --lang zh",
        "baton-board"};
    std::string config_path;
    bool check_only = false;
    app.add_option("-c,--config", config_path, "Path of the board's YAML file (board/README.md)");
    app.add_flag("--check-config", check_only,
                 "Validate the config file and the users file, then exit");

    bb::adduser_options add;
    std::string add_config;
    CLI::App* adduser = app.add_subcommand(
        "adduser",
        "Add a user to the users file, or change one (fields not given stay as they are). The "
        "password is read from --password-file, or asked twice on the terminal, or read as one "
        "line from standard input.");
    adduser->add_option("-c,--config", add_config, "The board's config (names the users file)");
    adduser->add_option("--users", add.users_path, "The users file itself (instead of -c)");
    adduser->add_option("name", add.name, "Login name: a-z 0-9 . _ - (1-64)")->required();
    adduser->add_option("--display", add.display, "Name shown on the board, e.g. 李娜");
    adduser->add_option("--dept", add.dept,
                        "Department: sales, finance, production, logistics, customer_service, ...");
    adduser->add_option("--role", add.role,
                        "viewer, clerk (default for a new user), lead or admin");
    adduser->add_option("--lang", add.lang, "en, zh, or browser (the browser's language)");
    adduser->add_option("--password-file", add.password_file,
                        "File whose first line is the password");
    adduser->add_flag("--disable", add.disable, "Disable the user (no password needed)");
    CLI11_PARSE(app, argc, argv);

    baton::adapters::log_to_stderr("baton-board");

    if (*adduser) {
        if (add.users_path.empty()) {
            const std::string from = add_config.empty() ? config_path : add_config;
            if (from.empty()) {
                std::fprintf(stderr, "baton-board adduser: give -c CONFIG or --users FILE\n");
                return 2;
            }
            try {
                add.users_path = bb::load_board_config(from).users;
            } catch (const baton::config_error& e) {
                std::fprintf(stderr, "baton-board: invalid configuration: %s\n", e.what());
                return 2;
            }
        }
        return bb::adduser_main(add, std::cin, std::cout, std::cerr);
    }
    if (config_path.empty()) {
        std::fprintf(stderr, "baton-board: -c CONFIG is required (see --help)\n");
        return 2;
    }
    bb::board_config cfg;
    try {
        cfg = bb::load_board_config(config_path);
        if (check_only) {
            auto users = bb::users_file::load(cfg.users);
            std::printf("%s: ok (listen %s://%s:%d, batond %s, %zu active users in %s)\n",
                        cfg.file.c_str(), cfg.tls ? "https" : "http", cfg.host.c_str(), cfg.port,
                        cfg.control.c_str(), users->people().size(), cfg.users.c_str());
            return 0;
        }
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-board: invalid configuration: %s\n", e.what());
        return 2;
    }
    return serve(cfg);
}
