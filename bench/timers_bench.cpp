// Timer and memory benchmark with a million open orders (two lines each, from a catalogue of
// --profiles profiles; the changed set taken every 2,000 orders as batond's snapshots take it):
// memory per open order (RSS growth),
// the time to rebuild every timer at start (exception_desk::restore), and the cost of firing
// timers (warnings of a whole population) and of a tick with nothing due. Then the memory of
// large orders: orders whose placement is just under the envelope size limit (64 KiB), against
// the bytes of their envelopes.
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "codec.h"
#include "envelope.h"
#include "events.h"
#include "exceptions.h"
#include "flow.h"
#include "order_engine.h"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Resident set size in bytes, from /proc/self/statm.
std::size_t rss_bytes() {
    std::ifstream in("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    in >> pages >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"baton timers benchmark: memory per open order, timer rebuild and firing cost"};
    std::size_t orders = 1000000;
    std::string flow_path = std::string(BATON_SOURCE_DIR) + "/config/flow.yaml";
    app.add_option("--orders", orders, "Open orders to create (default 1,000,000)");
    app.add_option("--flow", flow_path, "Flow file");
    std::size_t profiles = 90000;
    app.add_option("--profiles", profiles,
                   "Profiles in the catalogue the open orders' two lines are drawn from (their "
                   "item and die codes; interned once each). 0: every order has the same two");
    std::size_t big_orders = 3000;
    std::size_t envelope_limit = 65536;
    app.add_option("--big-orders", big_orders,
                   "Orders at the envelope size limit to create afterwards (0: none)");
    app.add_option("--envelope-limit", envelope_limit,
                   "The envelope size limit (limits.max_envelope_bytes) the large orders fill");
    CLI11_PARSE(app, argc, argv);

    baton::flow_def flow = baton::load_flow(flow_path);
    baton::order_engine engine(flow, baton::customer_book{});
    const std::int64_t t0 = 1795000000000;

    const std::size_t rss_before = rss_bytes();
    auto start = clock_type::now();
    std::vector<baton::relay_message> out;
    for (std::size_t i = 0; i < orders; ++i) {
        auto e = baton::testing::order_placed("ev-" + std::to_string(i),
                                              "SO-" + std::to_string(1000000 + i),
                                              "C-" + std::to_string(1000 + i % 500));
        if (profiles > 0) {
            // Two lines of a catalogue, as a plant's orders name its profiles and dies.
            auto die = [&](std::size_t k) { return "D-" + std::to_string(10000 + k % profiles); };
            e.data.set("lines",
                       baton::value_list{baton::testing::line_item(die(i * 7919), 1200.0),
                                         baton::testing::line_item(die(i * 104729 + 1), 350.5)});
        }
        out.clear();
        engine.apply(static_cast<std::int64_t>(i + 1), t0 + static_cast<std::int64_t>(i % 1000), e,
                     out);
        // batond takes the changed orders into a snapshot once snapshot.max_orders (2,000 by
        // default) have changed: the set of changed ids does not grow with the open orders.
        if ((i + 1) % 2000 == 0) engine.take_changed();
    }
    const double apply_s = seconds_since(start);
    const std::size_t rss_orders = rss_bytes();

    // Start-up: every open order gets its stage timer (and its promised-date timer).
    baton::exception_desk desk(flow);
    start = clock_type::now();
    desk.restore({}, {}, engine, t0);
    const double restore_s = seconds_since(start);
    const std::size_t rss_timers = rss_bytes();
    const std::size_t timers = desk.pending_timers();

    // A tick with nothing due.
    baton::desk_output fired;
    start = clock_type::now();
    const int idle_ticks = 1000000;
    for (int i = 0; i < idle_ticks; ++i) desk.on_time(t0 + 1000, engine, fired);
    const double idle_ns = seconds_since(start) * 1e9 / idle_ticks;

    // Every credit_review warning (75% of 4h) fires.
    start = clock_type::now();
    desk.on_time(t0 + 3 * 3600 * 1000 + 1000, engine, fired);
    const double fire_s = seconds_since(start);
    const std::size_t raised = fired.exceptions.size();

    std::printf("orders                     %zu open (lines from %zu profiles)\n", orders,
                profiles);
    std::printf("apply placements           %.2f s (%.0f orders/s)\n", apply_s, orders / apply_s);
    std::printf("memory per open order      %.0f bytes (RSS +%.1f MiB)\n",
                static_cast<double>(rss_orders - rss_before) / orders,
                (rss_orders - rss_before) / 1048576.0);
    std::printf("timers rebuilt at start    %zu in %.3f s (%.0f ns each)\n", timers, restore_s,
                restore_s * 1e9 / static_cast<double>(timers));
    std::printf("memory per timer           %.0f bytes\n",
                static_cast<double>(rss_timers - rss_orders) / static_cast<double>(timers));
    std::printf("tick with nothing due      %.1f ns\n", idle_ns);
    std::printf("warnings fired             %zu in %.3f s (%.0f ns each, exception raised)\n",
                raised, fire_s, fire_s * 1e9 / static_cast<double>(raised ? raised : 1));

    // Large orders, in an engine of their own (after the million: freed memory is not reused).
    if (big_orders == 0) return 0;
    baton::order_engine big(flow, baton::customer_book{});
    // A placement with as many lines as fit under the limit (each a die of its own).
    auto big_placement = [](std::size_t i, std::size_t lines) {
        auto e = baton::testing::order_placed("big-" + std::to_string(i),
                                              "SO-B" + std::to_string(100000 + i),
                                              "C-" + std::to_string(1000 + i % 500));
        baton::value_list list;
        for (std::size_t n = 0; n < lines; ++n)
            list.push_back(baton::testing::line_item("D-" + std::to_string(10000 + n),
                                                     100.0 + static_cast<double>(n)));
        e.data.set("lines", baton::value(std::move(list)));
        return e;
    };
    std::size_t lines = 1;
    while (baton::encode_envelope(big_placement(0, lines + 1)).size() <= envelope_limit) ++lines;
    std::size_t envelope_bytes = 0;
    const std::size_t rss_big_before = rss_bytes();
    for (std::size_t i = 0; i < big_orders; ++i) {
        auto e = big_placement(i, lines);
        envelope_bytes += baton::encode_envelope(e).size();
        out.clear();
        big.apply(static_cast<std::int64_t>(i + 1), t0, e, out);
    }
    const std::size_t rss_big = rss_bytes() - rss_big_before;
    std::printf("large orders               %zu of %zu lines, envelopes %.0f bytes on average\n",
                big_orders, lines, static_cast<double>(envelope_bytes) / big_orders);
    std::printf("memory per large order     %.0f bytes (RSS +%.1f MiB), %.2f x its envelope\n",
                static_cast<double>(rss_big) / big_orders, rss_big / 1048576.0,
                static_cast<double>(rss_big) / static_cast<double>(envelope_bytes));
    return 0;
}
