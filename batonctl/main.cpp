// batonctl: ask batond where orders are, from a shell. One subcommand per control command;
// readable tables by default, the raw reply as JSON with --json.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <zmq.hpp>

#include "control_client.h"
#include "json.h"
#include "render.h"

namespace {

// Exit codes a script can rely on.
constexpr int exit_ok = 0;
constexpr int exit_refused = 1;      // batond answered ok=false
constexpr int exit_usage = 2;        // bad command line
constexpr int exit_unreachable = 3;  // no answer from batond

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "batonctl: query and steer batond, the order-relay daemon, over its control "
        "socket.",
        "batonctl"};
    app.require_subcommand(1);
    app.fallthrough();  // global options may also follow the subcommand
    const char* env_endpoint = std::getenv("BATON_CONTROL");
    std::string endpoint = env_endpoint ? env_endpoint : "tcp://127.0.0.1:7712";
    bool json = false;
    int timeout_ms = 5000;
    app.add_option("--control", endpoint,
                   "Control socket of batond (default $BATON_CONTROL or tcp://127.0.0.1:7712)");
    app.add_flag("--json", json, "Print the raw reply as JSON");
    app.add_option("--timeout", timeout_ms, "Milliseconds to wait for batond's reply")
        ->check(CLI::Range(1, 600000));

    baton::value request;
    std::function<std::string(const baton::value&)> render;

    auto* status = app.add_subcommand("status", "Daemon version, uptime, counts and counters");
    status->callback([&] {
        request.set("cmd", "status");
        render = [](const baton::value& r) { return baton::ctl::render_status(r, now_ms()); };
    });

    std::string order_id;
    auto* order = app.add_subcommand("order",
                                     "One order: stage, holder, since when, "
                                     "milestones, holds, cases and history");
    order->add_option("id", order_id, "Order id, e.g. SO-123")->required();
    order->callback([&] {
        request.set("cmd", "order");
        request.set("id", order_id);
        render = [](const baton::value& r) { return baton::ctl::render_order(r, now_ms()); };
    });

    std::string stage, holder, customer;
    unsigned limit = 100;
    auto* orders = app.add_subcommand("orders", "Orders, longest-waiting first, with filters");
    orders->add_option("--stage", stage, "Only orders in this stage, e.g. credit_review");
    orders->add_option("--holder", holder, "Only orders held by this department")
        ->check(CLI::IsMember({"sales", "finance", "production", "logistics"}));
    orders->add_option("--customer", customer, "Only this customer's orders");
    orders->add_option("--limit", limit, "At most this many (default 100)")
        ->check(CLI::Range(1u, 1000000u));
    orders->callback([&] {
        request.set("cmd", "orders");
        if (!stage.empty()) request.set("stage", stage);
        if (!holder.empty()) request.set("holder", holder);
        if (!customer.empty()) request.set("customer", customer);
        request.set("limit", static_cast<unsigned long long>(limit));
        render = [](const baton::value& r) { return baton::ctl::render_orders(r, now_ms()); };
    });

    unsigned long long since = 0;
    unsigned replay_limit = 1000;
    auto* replay = app.add_subcommand("replay", "Relayed messages after a relay seq, in order");
    replay->add_option("--since", since, "Last seq already processed (0: from the start)")
        ->required();
    replay->add_option("--limit", replay_limit, "At most this many (default 1000, max 10000)")
        ->check(CLI::Range(1u, 10000u));
    replay->callback([&] {
        request.set("cmd", "replay");
        request.set("since", since);
        request.set("limit", static_cast<unsigned long long>(replay_limit));
        render = [](const baton::value& r) { return baton::ctl::render_replay(r); };
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    zmq::context_t context(1);
    std::string error;
    std::optional<baton::value> reply;
    try {
        baton::adapters::control_client client(context, endpoint);
        reply = client.call(request, std::chrono::milliseconds(timeout_ms), &error);
    } catch (const zmq::error_t& e) {
        std::fprintf(stderr, "batonctl: cannot use %s: %s\n", endpoint.c_str(), e.what());
        return exit_usage;
    }
    if (!reply) {
        std::fprintf(stderr, "batonctl: %s\n", error.c_str());
        return exit_unreachable;
    }
    const baton::value* ok = reply->find("ok");
    bool succeeded = ok && ok->is_bool() && ok->as_bool();
    if (json) {
        std::cout << baton::to_json(*reply, 2) << "\n";
    } else if (succeeded) {
        std::cout << render(*reply);
    } else {
        const baton::value* e = reply->find("error");
        std::fprintf(stderr, "batonctl: %s\n",
                     e && e->is_string() ? e->as_string().c_str() : "request refused");
    }
    return succeeded ? exit_ok : exit_refused;
}
