// The relay follower thread and the hub of live notices (live.h).
#include "live.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "json.h"

namespace baton::board {

void live_hub::publish(live_event e) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        e.seq = ++last_;
        events_.push_back(std::move(e));
        while (events_.size() > keep_) events_.pop_front();
    }
    changed_.notify_all();
}

std::vector<live_event> live_hub::wait(std::uint64_t after, std::chrono::milliseconds timeout,
                                       bool& gap, bool& stopped) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return stopped_ || last_ > after; });
    stopped = stopped_;
    gap = !events_.empty() && events_.front().seq > after + 1;
    std::vector<live_event> out;
    for (auto it = events_.rbegin(); it != events_.rend() && it->seq > after; ++it)
        out.push_back(*it);
    std::reverse(out.begin(), out.end());
    return out;
}

std::uint64_t live_hub::last() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
}

void live_hub::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopped_ = true;
    }
    changed_.notify_all();
}

bool live_event_of(const adapters::relayed_message& m, live_event& out) {
    const bool exception = m.topic.rfind("exception.", 0) == 0;
    const bool task = m.topic.rfind("task.", 0) == 0;
    if (!exception && !task) return false;
    out.seq = m.seq;
    out.type = exception ? "exception" : "task";
    value notice(value_map{});
    for (const char* key : {"id", "state", "dept", "order", "assignee", "severity", "kind"})
        if (const value* v = m.env.data.find(key); v && v->is_string()) notice.set(key, *v);
    out.json = to_json(notice);
    return true;
}

live_feed::live_feed(zmq::context_t& context, adapters::follower_options options, live_hub& hub,
                     std::function<std::optional<std::uint64_t>()> start_seq)
    : context_(context),
      options_(std::move(options)),
      hub_(hub),
      start_seq_(std::move(start_seq)) {}

live_feed::~live_feed() {
    stop();
}

void live_feed::start() {
    thread_ = std::thread([this] { run(); });
}

void live_feed::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void live_feed::run() {
    // Start from batond's present: write the position the follower reads.
    std::optional<std::uint64_t> from;
    bool said = false;
    while (!stop_ && !(from = start_seq_())) {
        if (!said) spdlog::warn("live updates wait for batond at {}", options_.control);
        said = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (stop_) return;
    {
        std::ofstream out(options_.state_path, std::ios::trunc);
        out << *from << "\n";
        if (!out) {
            spdlog::error("live updates off: cannot write {}", options_.state_path);
            return;
        }
    }
    try {
        adapters::relay_follower follower(context_, options_);
        following_ = true;
        spdlog::info("live updates follow batond's relay {} from seq {}", options_.relay, *from);
        while (!stop_) {
            follower.poll(std::chrono::milliseconds(200), [&](const adapters::relayed_message& m) {
                live_event e;
                if (live_event_of(m, e)) hub_.publish(std::move(e));
                return true;
            });
        }
    } catch (const std::exception& e) {
        spdlog::error("live updates stopped: {}", e.what());
    }
    following_ = false;
}

}  // namespace baton::board
