// baton-webhook: parse the command line, load the config, open the outbox, serve HTTP or HTTPS
// until SIGTERM or SIGINT, exit code. The logic lives in the baton_webhook library.
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>
#include <zmq.hpp>

#include "https_server.h"
#include "ingest_gateway.h"
#include "program_log.h"
#include "stop_signal.h"
#include "webhook_config.h"
#include "webhook_server.h"

namespace wh = baton::adapters::webhook;

namespace {

std::string describe_auth(const wh::webhook_config& cfg) {
    if (cfg.auth.callers.empty()) return cfg.insecure ? "no auth (insecure: true)" : "no auth";
    std::string names;
    for (const auto& c : cfg.auth.callers)
        names += (names.empty() ? "" : ", ") + c.name +
                 (c.scheme == wh::caller_scheme::bearer ? " (token)" : " (hmac)");
    return "auth callers " + names;
}

// What an operator should know about how exposed this listener is.
void warn_about_exposure(const wh::webhook_config& cfg) {
    if (wh::is_loopback_host(cfg.host)) return;
    if (cfg.auth.callers.empty())
        spdlog::warn(
            "listening on {} without authentication (insecure: true): anyone who reaches port {} "
            "can publish events as {}",
            cfg.host, cfg.port, cfg.source.empty() ? "any source" : cfg.source);
    bool tokens = false;
    for (const auto& c : cfg.auth.callers) tokens |= c.scheme == wh::caller_scheme::bearer;
    if (tokens && !cfg.tls)
        spdlog::warn(
            "bearer tokens reach {}:{} in clear text (no tls section): anyone on the path can "
            "read and reuse them",
            cfg.host, cfg.port);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "baton-webhook: HTTP webhook into batond.\n"
        "POST /events/<topic> with a JSON body {\"order\", \"data\", \"id\"?, \"ts\"?} answers 202 "
        "{\"id\"} once batond acked the event, 400 {\"error\"} with batond's reason when it "
        "refused it, 503 when batond did not answer in time (the event stays queued in the "
        "outbox and is delivered later). With auth callers configured, a request needs "
        "Authorization: Bearer <token> or X-Baton-Signature (401 otherwise); with tls, HTTPS. "
        "GET /health answers 200.",
        "baton-webhook"};
    std::string config_path;
    bool check_only = false;
    app.add_option("-c,--config", config_path, "Path of the adapter's YAML file (see README.md)")
        ->required();
    app.add_flag("--check-config", check_only, "Validate the config file, then exit");
    CLI11_PARSE(app, argc, argv);

    wh::stop_signal signals;  // before any thread starts
    baton::adapters::log_to_stderr("baton-webhook");

    wh::webhook_config cfg;
    try {
        cfg = wh::load_webhook_config(config_path);
    } catch (const baton::config_error& e) {
        std::fprintf(stderr, "baton-webhook: invalid configuration: %s\n", e.what());
        return 2;
    }
    if (check_only) {
        std::printf(
            "%s: ok (listen %s://%s:%d, %s, source %s, batond %s)\n", cfg.file.c_str(),
            cfg.tls ? "https" : "http", cfg.host.c_str(), cfg.port, describe_auth(cfg).c_str(),
            cfg.source.empty() ? "from X-Baton-Source" : cfg.source.c_str(), cfg.ingest.c_str());
        return 0;
    }
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));

    zmq::context_t context(1);
    std::unique_ptr<wh::ingest_gateway> gateway;
    try {
        baton::adapters::sender_options so;
        so.endpoint = cfg.ingest;
        so.outbox_path = cfg.outbox;
        so.resend_after = cfg.resend_after;
        so.curve = cfg.curve;
        gateway = std::make_unique<wh::ingest_gateway>(context, so);
    } catch (const std::exception& e) {
        spdlog::critical("cannot open the outbox {}: {}", cfg.outbox, e.what());
        return 1;
    }

    std::string tls_error;
    std::unique_ptr<httplib::Server> http = wh::make_http_server(cfg.tls, tls_error);
    if (!http) {
        spdlog::critical("{}: {}", cfg.file, tls_error);
        return 1;
    }
    httplib::Server& server = *http;
    wh::webhook_service service(cfg, *gateway);
    service.install(server);
    if (!server.bind_to_port(cfg.host, cfg.port)) {
        spdlog::critical("cannot listen on {}:{} (in use, or not an address of this host)",
                         cfg.host, cfg.port);
        return 1;
    }
    spdlog::info("listening on {}://{}:{}/events/<topic>; {}; source {}; batond {}; outbox {}",
                 cfg.tls ? "https" : "http", cfg.host, cfg.port, describe_auth(cfg),
                 cfg.source.empty() ? "from X-Baton-Source" : cfg.source, cfg.ingest, cfg.outbox);
    warn_about_exposure(cfg);

    std::atomic<bool> done{false};
    std::thread watcher([&] {
        while (!done.load()) {
            if (int sig = signals.wait(std::chrono::milliseconds(200))) {
                spdlog::info("signal {}: stopping", sig);
                gateway->stop();  // waiting requests answer 503 now; the outbox keeps them
                // stop() is a no-op until listen has started: repeat until it has ended.
                while (!done.load()) {
                    server.stop();
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                }
                return;
            }
        }
    });
    bool served = server.listen_after_bind();
    done = true;
    watcher.join();
    gateway->stop();
    spdlog::info(
        "stopped; {} accepted, {} refused, {} unanswered (queued), {} unauthorized, {} forbidden, "
        "{} left in outbox",
        service.stats().accepted.load(), service.stats().rejected.load(),
        service.stats().unanswered.load(), service.stats().unauthorized.load(),
        service.stats().forbidden.load(), gateway->pending());
    if (!served) {
        spdlog::critical("the HTTP server failed on {}:{}", cfg.host, cfg.port);
        return 1;
    }
    return 0;
}
