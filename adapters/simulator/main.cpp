// baton-sim: parse the command line, build the plant, send its events to batond (or print them)
// until every order is finished or Ctrl-C, print a summary. Exit 0 when every event was acked.
// The model lives in plant.cpp, the send loop in simulation.cpp.
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <zmq.hpp>

#include "codec.h"
#include "config_error.h"
#include "curve.h"
#include "customers_file.h"
#include "dates.h"
#include "duration.h"
#include "json.h"
#include "plant.h"
#include "simulation.h"

namespace sim = baton::adapters::simulator;

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_signal(int) {
    stop_requested = true;
}

std::int64_t wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// "now", ms since the epoch, YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC).
bool parse_start(const std::string& text, std::int64_t& out) {
    if (text == "now") {
        out = wall_now_ms();
        return true;
    }
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
        out = std::stoll(text);
        return out > 0;
    }
    auto day = baton::date_start_ms(text.substr(0, 10));
    if (!day) return false;
    out = *day;
    if (text.size() == 10) return true;
    if (text.size() != 16 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':') return false;
    const std::string hh = text.substr(11, 2), mm = text.substr(14, 2);
    if (hh.find_first_not_of("0123456789") != std::string::npos ||
        mm.find_first_not_of("0123456789") != std::string::npos)
        return false;
    out += (std::stoll(hh) * 60 + std::stoll(mm)) * 60000;
    return true;
}

void print_events(sim::plant& p, std::uint64_t limit) {
    baton::decode_limits limits;
    limits.max_string = 1 << 20;
    limits.max_array = 1 << 20;
    sim::plant_event ev;
    for (std::uint64_t n = 0; (limit == 0 || n < limit) && !stop_requested && p.next(ev); ++n) {
        baton::value env;
        std::string error;
        baton::decode_msgpack(baton::encode_envelope(ev.event), limits, env, error);
        baton::value line;
        line.set("send", static_cast<long long>(ev.send_ms));
        line.set("topic", ev.event.topic);
        line.set("envelope", std::move(env));
        std::printf("%s\n", baton::to_json(line).c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "baton-sim: a simulated aluminium-extrusion plant that drives batond.\n"
        "Customers place orders; finance, production and logistics answer them along the "
        "default flow after realistic delays, with faults at the given rates. Events go to "
        "batond's ingest socket and wait for acks. Deterministic for a given --seed and "
        "--start. Progress every few seconds on stderr, a summary at the end; exit 0 when "
        "every event was acked, 1 otherwise.",
        "baton-sim"};
    // A later option wins, so scripts/run --demo can pass its defaults and the user's after.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    sim::plant_options po;
    sim::run_options ro;
    std::string start = "now", warmup = "0s", customers_file;
    bool fast = false, no_faults = false, print = false, quiet = false;
    double progress_s = 5;
    unsigned resend_ms = 5000;
    std::string server_key, key_name;

    app.add_option("--ingest", ro.ingest, "batond's ingest socket")->capture_default_str();
    app.add_option("--speed", ro.speed,
                   "Simulated seconds per real second (600: ten simulated minutes a second)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_flag("--as-fast-as-possible", fast,
                 "Do not pace: send as fast as batond acks (a window of --window in flight)");
    app.add_option("--orders", po.orders,
                   "Orders to place, then finish them all and exit; 0: "
                   "place orders until Ctrl-C")
        ->capture_default_str();
    app.add_option("--rate", po.orders_per_hour, "Orders per simulated hour (Poisson arrivals)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--seed", po.seed,
                   "Random seed: the same seed and --start give the same "
                   "events in the same order")
        ->capture_default_str();
    app.add_option("--start", start,
                   "Simulated start: now, YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC) or ms since the "
                   "epoch; event ts count from it")
        ->capture_default_str();
    app.add_option("--warmup", warmup,
                   "Start this much simulated time in the past (e.g. 12d) and fast-forward through "
                   "it at --warmup-speedup times --speed, so batond begins with orders in every "
                   "stage; then pace from now")
        ->capture_default_str();
    app.add_option("--warmup-speedup", ro.warmup_speedup,
                   "How many times faster than --speed the warm-up runs")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e6));
    app.add_option("--run", po.run_tag,
                   "Tag in every order, event and case id (default: 4 characters from the seed "
                   "and the start), so runs against one batond never collide");
    app.add_option("--customers", po.customers,
                   "Customers (the first ones those of config/customers.yaml, or of "
                   "--customers-file)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    app.add_option("--customers-file", customers_file,
                   "Take the first customers from this customers.yaml (tier, terms, limit)");
    app.add_option("--new-die", po.new_die, "Share of orders that need a new die")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--batches-max", po.batches_max,
                   "Press runs (batches) an order is split into at most, one per die and alloy "
                   "(re-runs after a QC failure or a short run come on top)")
        ->capture_default_str()
        ->check(CLI::Range(1, 20));
    app.add_option("--trucks-max", po.trucks_max,
                   "Trucks (shipments) an order leaves in at most; what a truck does not take "
                   "waits as a backorder for the next one, 12-72 h later")
        ->capture_default_str()
        ->check(CLI::Range(1, 20));
    app.add_option("--amend", po.amend, "Share of orders whose promised date moves")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--amend-after-schedule", po.amend_after_schedule,
                   "Share of orders amended once production scheduled them (a line's quantity, "
                   "the price, or the promised date); production confirms its plan, finance a "
                   "new amount (batond's follow-up tasks)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--prepay-switch", po.prepay_switch,
                   "Share of credit rejections the customer answers by paying in advance "
                   "(finance.credit.rejected with prepay_accepted)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--open-items", po.open_items,
                   "Unpaid invoices each credit customer carries into the run, 10-100 days past "
                   "their due date (sent at the start as old delivered orders, paid 2-40 days "
                   "into the run): payment_overdue in every ageing bucket from the first minute")
        ->capture_default_str()
        ->check(CLI::Range(0, 100));
    app.add_option("--prepay-early", po.prepay_early,
                   "Share of prepay orders paid before production is complete")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));

    auto* faults = app.add_option_group("Faults", "Probabilities in [0, 1]");
    sim::fault_rates& f = po.faults;
    struct fault_option {
        const char* name;
        double* rate;
        const char* help;
    };
    const fault_option fault_options[] = {
        {"--credit-reject", &f.credit_reject,
         "Orders finance rejects (credit_hold); later approved, cancelled, left on hold, or "
         "prepaid (--prepay-switch)"},
        {"--qc-fail", &f.qc_fail,
         "Batches that fail quality control (qc_failed); the batch completes short and a "
         "re-run batch makes up what was rejected"},
        {"--short", &f.short_run,
         "Orders whose last batch comes out short (short_produced); production re-runs the "
         "rest later (3 in 5) or sales amends the order down"},
        {"--late-die", &f.late_die, "New dies that come after the 10-day die SLA"},
        {"--slow-pay", &f.slow_pay,
         "Prepay orders paid after the 3-day payment SLA (payment_overdue of the stage)"},
        {"--late-pay", &f.late_pay,
         "Credit invoices paid 10-100 days after their due date (payment_overdue per invoice, "
         "overdue_cents on the receivable)"},
        {"--invoice-mismatch", &f.invoice_mismatch,
         "Invoices that bill 3-12 % more or less than their shipment carried "
         "(invoice_mismatch)"},
        {"--delivery-fail", &f.delivery_fail,
         "Shipments whose delivery fails (delivery_failed); the same shipment is dispatched "
         "again 1-2 days later"},
        {"--complaint", &f.complaint,
         "Delivered orders with a complaint (4 in 10 with a return), mostly closed with a "
         "credit note"},
        {"--out-of-order", &f.out_of_order,
         "Order events that reach batond after the order's next one"},
        {"--cancel", &f.cancel, "Orders sales cancels before dispatch"},
        {"--cancel-late", &f.cancel_late,
         "Orders cancelled once produced, before dispatch, 2 in 3 with a cancellation charge "
         "(follow-up tasks for the goods and the money)"},
        {"--slow-answer", &f.slow_answer,
         "Department answers that overrun their stage's SLA (stage_overdue)"},
    };
    for (const auto& fo : fault_options)
        faults->add_option(fo.name, *fo.rate, fo.help)
            ->capture_default_str()
            ->check(CLI::Range(0.0, 1.0));
    faults->add_flag("--no-faults", no_faults,
                     "All fault rates 0: every order takes the happy path");

    app.add_option("--server-key", server_key,
                   "batond's public key, a .key file or Z85 text, when batond runs with CURVE");
    app.add_option("--key", key_name,
                   "This simulator's CURVE key pair: --key keys/sim reads keys/sim.key and "
                   "keys/sim.secret");
    app.add_option("--window", ro.window, "Events sent and not yet acked")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    app.add_option("--resend-after", resend_ms, "Milliseconds without an answer before a resend")
        ->capture_default_str()
        ->check(CLI::Range(10u, 3600000u));
    app.add_option("--progress", progress_s, "Seconds between progress lines; 0: none")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_flag("-q,--quiet", quiet, "No progress lines and no summary");
    app.add_flag("--print", print,
                 "Print the events as JSON lines on stdout instead of sending them (with "
                 "--orders, or up to 1000 events)");
    CLI11_PARSE(app, argc, argv);

    if (!parse_start(start, po.start_ms)) {
        std::fprintf(stderr,
                     "baton-sim: --start: expected now, YYYY-MM-DD, YYYY-MM-DDTHH:MM or "
                     "ms since the epoch, got '%s'\n",
                     start.c_str());
        return 2;
    }
    std::string error;
    auto warmup_us = baton::parse_duration_us(warmup, &error);
    if (!warmup_us || *warmup_us < 0) {
        std::fprintf(stderr, "baton-sim: --warmup: %s\n", error.c_str());
        return 2;
    }
    ro.warmup_ms = *warmup_us / 1000;
    po.start_ms -= ro.warmup_ms;
    if (fast) ro.speed = 0;
    if (no_faults) f = sim::fault_rates::none();
    if (!customers_file.empty()) {
        try {
            po.known_customers = baton::load_customers(customers_file);
        } catch (const baton::config_error& e) {
            std::fprintf(stderr, "baton-sim: %s\n", e.what());
            return 2;
        }
    }
    if (!server_key.empty() || !key_name.empty()) {
        if (server_key.empty() || key_name.empty()) {
            std::fprintf(stderr, "baton-sim: CURVE needs both --server-key and --key\n");
            return 2;
        }
        try {
            ro.curve = baton::load_client_keys(server_key, key_name);
        } catch (const baton::config_error& e) {
            std::fprintf(stderr, "baton-sim: %s\n", e.what());
            return 2;
        }
    }
    ro.resend_after = std::chrono::milliseconds(resend_ms);
    ro.progress_every = std::chrono::milliseconds(static_cast<long long>(progress_s * 1000));

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    sim::plant plant(po);
    if (print) {
        print_events(plant, po.orders ? 0 : 1000);
        return 0;
    }
    if (!quiet)
        std::fprintf(
            stderr, "baton-sim: run %s: %zu customers, %s, %s -> %s%s\n", plant.run_tag().c_str(),
            plant.customers().size(),
            po.orders ? (std::to_string(po.orders) + " orders").c_str() : "orders until Ctrl-C",
            fast ? "as fast as possible"
                 : ("speed " + std::to_string(static_cast<long long>(ro.speed)) +
                    " (simulated s per s)")
                       .c_str(),
            ro.ingest.c_str(), ro.warmup_ms ? (", " + warmup + " of warm-up first").c_str() : "");
    zmq::context_t context(1);
    sim::run_report report;
    try {
        report = sim::run_simulation(plant, context, ro, &stop_requested, quiet ? nullptr : stderr);
    } catch (const zmq::error_t& e) {
        std::fprintf(stderr, "baton-sim: %s: %s\n", ro.ingest.c_str(), e.what());
        return 2;
    }
    if (!quiet) std::fprintf(stderr, "%s", sim::summary_text(report, po.seed).c_str());
    return report.nacked == 0 && report.unanswered == 0 ? 0 : 1;
}
