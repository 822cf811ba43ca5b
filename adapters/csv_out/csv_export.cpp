// Relay to outputs, in order, with a pause after an I/O error (csv_export.h).
#include "csv_export.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace baton::adapters::csv_out {

namespace {

using namespace std::chrono_literals;

follower_options follower_options_of(const csv_out_config& c) {
    follower_options o;
    o.relay = c.relay;
    o.control = c.control;
    o.topics = followed_prefixes(c.files);
    o.state_path = c.state;
    o.curve = c.curve;
    return o;
}

std::vector<std::unique_ptr<output_file>> outputs_of(const csv_out_config& c, clock_zone zone) {
    std::vector<std::unique_ptr<output_file>> out;
    for (const auto& f : c.files) out.push_back(std::make_unique<output_file>(f, zone));
    return out;
}

}  // namespace

csv_export::csv_export(zmq::context_t& context, const csv_out_config& config, clock_zone zone,
                       wall_clock now)
    : outputs_(outputs_of(config, zone)),
      follower_(context, follower_options_of(config)),
      now_(now ? std::move(now) : [] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
              .count();
      }) {}

void csv_export::run(const std::atomic<bool>& stop) {
    while (!stop.load()) step(100ms, stop);
}

void csv_export::step(std::chrono::milliseconds wait, const std::atomic<bool>& stop) {
    auto now = std::chrono::steady_clock::now();
    if (now < retry_at_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now);
        std::this_thread::sleep_for(std::min(left + 1ms, wait));
        return;
    }
    follower_.poll(wait, [&](const relayed_message& m) { return write(m, stop); });
    const std::int64_t t = now_();
    for (auto& o : outputs_) {
        try {
            o->tick(t);
        } catch (const std::exception& e) {
            ++write_errors_;
            spdlog::error("{}: {}; trying again in 1 s", o->config().key, e.what());
            retry_at_ = std::chrono::steady_clock::now() + 1s;
        }
    }
}

bool csv_export::write(const relayed_message& m, const std::atomic<bool>& stop) {
    if (stop.load()) return false;  // not processed: the next run starts with it
    const std::int64_t t = now_();
    for (auto& o : outputs_) {
        if (!o->wants(m.topic)) continue;
        try {
            o->write(m, t);
        } catch (const std::exception& e) {
            ++write_errors_;
            spdlog::error("{}: seq {}: {}; trying the same message again in 1 s", o->config().key,
                          m.seq, e.what());
            retry_at_ = std::chrono::steady_clock::now() + 1s;
            return false;
        }
    }
    return true;
}

std::uint64_t csv_export::rows_written() const {
    std::uint64_t n = 0;
    for (const auto& o : outputs_) n += o->rows_written();
    return n;
}

}  // namespace baton::adapters::csv_out
