// The send loop of the simulator: one DEALER on batond's ingest socket, so batond sees the
// plant's events in the plant's order; pacing by simulated time; a window of events in flight;
// resends with the same id after a timeout.
#include "simulation.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <memory>
#include <optional>
#include <unordered_map>
#include <zmq.hpp>

#include "ingest_client.h"

namespace baton::adapters::simulator {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string sim_time_text(std::int64_t ms) {
    const std::int64_t day = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
    const std::int64_t in_day = ms - day * 86400000;
    char buf[32];
    std::snprintf(buf, sizeof buf, " %02d:%02d", static_cast<int>(in_day / 3600000),
                  static_cast<int>(in_day / 60000 % 60));
    return civil_date(day) + buf;
}

std::string span_text(std::int64_t ms) {
    char buf[48];
    if (ms >= 86400000)
        std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(ms / 86400000),
                      static_cast<long long>(ms / 3600000 % 24));
    else
        std::snprintf(buf, sizeof buf, "%lldh %lldm", static_cast<long long>(ms / 3600000),
                      static_cast<long long>(ms / 60000 % 60));
    return buf;
}

// A signal (Ctrl-C) interrupts a poll: that is no error, the loop looks at `stop` next.
std::optional<ingest_reply> receive(ingest_client& client, milliseconds wait) {
    try {
        return client.receive(wait);
    } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) throw;
        return std::nullopt;
    }
}

void send(ingest_client& client, const std::string& topic, const std::string& bytes) {
    for (;;) {
        try {
            client.send(topic, bytes);
            return;
        } catch (const zmq::error_t& e) {
            if (e.num() != EINTR) throw;
        }
    }
}

}  // namespace

std::string progress_line(const run_report& r, std::int64_t simulated_now_ms) {
    const plant_stats& s = r.plant;
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "baton-sim: %s  orders %" PRIu64 " placed, %" PRIu64 " closed, %" PRIu64
                  " cancelled, %" PRIu64 " on hold, %" PRIu64 " in progress  events %" PRIu64
                  " sent, %" PRIu64 " acked, %" PRIu64 " nacked",
                  sim_time_text(simulated_now_ms).c_str(), s.orders_placed, s.closed, s.cancelled,
                  s.on_hold, s.in_progress(), r.sent, r.acked, r.nacked);
    return buf;
}

std::string summary_text(const run_report& r, std::uint64_t seed) {
    const plant_stats& s = r.plant;
    std::string out;
    char buf[1024];
    std::snprintf(buf, sizeof buf,
                  "baton-sim: run %s, seed %" PRIu64 ": %s simulated in %.1f s%s\n",
                  r.run_tag.c_str(), seed, span_text(r.simulated_ms).c_str(), r.real_seconds,
                  r.interrupted ? " (interrupted)" : "");
    out += buf;
    std::snprintf(
        buf, sizeof buf,
        "  orders  %" PRIu64 " placed: %" PRIu64 " closed, %" PRIu64 " cancelled, %" PRIu64
        " left on credit hold, %" PRIu64 " in progress%s\n",
        s.orders_placed, s.closed, s.cancelled, s.on_hold, s.in_progress(),
        s.carried_over
            ? (" (" + std::to_string(s.carried_over) + " of them open items carried over)").c_str()
            : "");
    out += buf;
    std::snprintf(buf, sizeof buf,
                  "  events  %" PRIu64 " sent: %" PRIu64 " acked, %" PRIu64 " nacked, %" PRIu64
                  " resent, %" PRIu64 " unanswered\n",
                  r.sent, r.acked, r.nacked, r.resent, r.unanswered);
    out += buf;
    std::snprintf(buf, sizeof buf,
                  "  pieces  %" PRIu64 " lines, %" PRIu64 " batches (%" PRIu64 " re-runs), %" PRIu64
                  " shipments (%" PRIu64 " orders in several trucks), %" PRIu64
                  " invoices, %" PRIu64 " payments\n",
                  s.lines, s.batches, s.reruns, s.shipments, s.split_orders, s.invoices,
                  s.payments);
    out += buf;
    std::snprintf(
        buf, sizeof buf,
        "  faults  %" PRIu64 " credit rejections (%" PRIu64 " switched to prepay), %" PRIu64
        " QC failures, %" PRIu64 " short runs (%" PRIu64 " re-run, %" PRIu64
        " amended down),\n          %" PRIu64 " late dies (of %" PRIu64 " new), %" PRIu64
        " slow prepayments, %" PRIu64 " late invoice payments, %" PRIu64
        " invoice mismatches, %" PRIu64 " failed deliveries,\n          %" PRIu64
        " complaints (%" PRIu64 " returns, %" PRIu64 " credit notes), %" PRIu64
        " out-of-order events, %" PRIu64 " cancellations (%" PRIu64 " after production, %" PRIu64
        " charged),\n          %" PRIu64 " amendments (%" PRIu64 " after scheduling), %" PRIu64
        " confirmations, %" PRIu64 " slow answers\n",
        s.credit_rejections, s.prepay_switches, s.qc_failures, s.short_runs, s.short_reruns,
        s.short_amended, s.late_dies, s.new_dies, s.slow_payments, s.late_payments,
        s.invoice_mismatches, s.failed_deliveries, s.complaints, s.returns, s.credit_notes,
        s.out_of_order, s.cancellations, s.late_cancellations, s.cancellation_charges, s.amendments,
        s.amended_after_schedule, s.confirmations, s.slow_answers);
    out += buf;
    if (!r.first_nacks.empty()) {
        out += "  nacks   the first " + std::to_string(r.first_nacks.size()) + ":\n";
        for (const auto& n : r.first_nacks) out += "          " + n + "\n";
    }
    return out;
}

run_report run_simulation(plant& p, zmq::context_t& context, const run_options& o,
                          const std::atomic<bool>* stop, std::FILE* log) {
    run_report r;
    r.run_tag = p.run_tag();
    auto client_owner = o.curve ? std::make_unique<ingest_client>(context, o.ingest, *o.curve)
                                : std::make_unique<ingest_client>(context, o.ingest);
    ingest_client& client = *client_owner;

    struct in_flight {
        std::string topic, bytes;
        steady::time_point sent;
        int sends = 1;
    };
    std::unordered_map<std::string, in_flight> flying;
    const auto t0 = steady::now();
    // Real time is a piecewise-linear function of simulated time: the warm-up at
    // `warmup_speedup` times the speed, then the speed itself.
    const std::int64_t start = p.start_ms();
    const std::int64_t paced_from = start + o.warmup_ms;
    const double warm_speed = o.speed * o.warmup_speedup;
    const double warm_real_ms = o.speed > 0 ? static_cast<double>(o.warmup_ms) / warm_speed : 0;
    auto real_offset_ms = [&](std::int64_t send_ms) {
        if (send_ms <= paced_from) return static_cast<double>(send_ms - start) / warm_speed;
        return warm_real_ms + static_cast<double>(send_ms - paced_from) / o.speed;
    };
    auto simulated_now = [&](steady::time_point now) {
        if (o.speed <= 0) return p.now_ms();
        const double real_ms = std::chrono::duration<double, std::milli>(now - t0).count();
        if (real_ms <= warm_real_ms) return start + static_cast<std::int64_t>(real_ms * warm_speed);
        return paced_from + static_cast<std::int64_t>((real_ms - warm_real_ms) * o.speed);
    };
    std::optional<steady::time_point> final_deadline, stop_deadline;
    auto last_progress = t0, last_answer = t0, last_resend_scan = t0;
    bool warned_silent = false;
    plant_event ev;

    auto take_reply = [&](const ingest_reply& reply) {
        last_answer = steady::now();
        warned_silent = false;
        auto it = flying.find(reply.id);
        if (it == flying.end()) {
            if (reply.acked) return;  // the answer to a resend we already had
            ++r.nacked;
            if (r.first_nacks.size() < o.nacks_kept)
                r.first_nacks.push_back((reply.id.empty() ? "(no id)" : reply.id) + ": " +
                                        reply.reason);
            return;
        }
        if (reply.acked) {
            ++r.acked;
        } else {
            ++r.nacked;
            if (r.first_nacks.size() < o.nacks_kept)
                r.first_nacks.push_back(reply.id + " " + it->second.topic + ": " + reply.reason);
            if (log && r.nacked <= o.nacks_kept)
                std::fprintf(log, "baton-sim: nack %s %s: %s\n", reply.id.c_str(),
                             it->second.topic.c_str(), reply.reason.c_str());
        }
        flying.erase(it);
    };

    for (;;) {
        auto now = steady::now();
        if (stop && stop->load() && !stop_deadline) {
            p.stop_placing();
            r.interrupted = true;
            stop_deadline = now + std::chrono::seconds(2);
        }
        // Send what is due, as far as the window allows.
        bool plant_done = false;
        std::optional<steady::time_point> next_due;
        while (!stop_deadline && flying.size() < o.window) {
            auto t = p.next_send_ms();
            if (!t) {
                plant_done = true;
                break;
            }
            if (o.speed > 0) {
                auto at = t0 + std::chrono::microseconds(std::llround(real_offset_ms(*t) * 1000));
                if (at > now) {
                    next_due = at;
                    break;
                }
            }
            p.next(ev);
            in_flight f{ev.event.topic, encode_envelope(ev.event), now, 1};
            send(client, f.topic, f.bytes);
            if (flying.empty()) last_answer = now;  // the silence clock starts now
            flying.emplace(ev.event.id, std::move(f));
            ++r.sent;
        }
        if (plant_done && !final_deadline) final_deadline = now + o.final_wait;
        if (flying.empty() && (plant_done || stop_deadline)) break;
        if (stop_deadline && now >= *stop_deadline) break;
        if (final_deadline && now >= *final_deadline) break;

        // Wait for answers: until the next event is due, briefly when the window is full or
        // only answers are left, not at all when there is more to send right away.
        milliseconds wait(100);
        if (next_due)
            wait = std::min(
                wait, std::chrono::duration_cast<milliseconds>(*next_due - now) + milliseconds(1));
        else if (!plant_done && !stop_deadline && flying.size() < o.window)
            wait = milliseconds(0);
        if (auto reply = receive(client, wait)) {
            take_reply(*reply);
            for (int n = 0; n < 100000; ++n) {
                auto more = receive(client, milliseconds(0));
                if (!more) break;
                take_reply(*more);
            }
        }

        now = steady::now();
        if (now - last_resend_scan >= o.resend_after / 4) {
            last_resend_scan = now;
            for (auto it = flying.begin(); it != flying.end();) {
                if (now - it->second.sent < o.resend_after) {
                    ++it;
                    continue;
                }
                if (it->second.sends >= o.max_sends) {
                    ++r.unanswered;
                    it = flying.erase(it);
                    continue;
                }
                send(client, it->second.topic, it->second.bytes);
                it->second.sent = now;
                ++it->second.sends;
                ++r.resent;
                ++it;
            }
        }
        if (log && !flying.empty() && !warned_silent && now - last_answer > o.resend_after) {
            warned_silent = true;
            std::fprintf(
                log, "baton-sim: no answer from batond at %s for %lld s (is it running?)\n",
                o.ingest.c_str(),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::seconds>(now - last_answer).count()));
        }
        if (log && o.progress_every.count() > 0 && now - last_progress >= o.progress_every) {
            last_progress = now;
            r.plant = p.stats();
            std::fprintf(log, "%s\n", progress_line(r, simulated_now(now)).c_str());
            std::fflush(log);
        }
    }
    r.unanswered += flying.size();
    r.plant = p.stats();
    r.real_seconds = std::chrono::duration<double>(steady::now() - t0).count();
    r.simulated_ms = simulated_now(steady::now()) - p.start_ms();
    if (!r.interrupted && p.next_send_ms()) r.interrupted = true;  // gave up waiting
    return r;
}

}  // namespace baton::adapters::simulator
