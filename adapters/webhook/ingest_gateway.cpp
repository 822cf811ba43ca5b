// The sender thread's loop: take queued events, write them to the outbox in one transaction,
// poll the ingest socket in short slices, hand each answer to the workers waiting for its id.
// Short slices because a worker's new event cannot interrupt a ZeroMQ poll on another socket.
#include "ingest_gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace baton::adapters::webhook {

namespace {

using namespace std::chrono_literals;

constexpr auto poll_slice = 2ms;   // while anything is in flight or queued
constexpr auto idle_wait = 200ms;  // nothing to send: sleep until a worker queues an event

}  // namespace

ingest_gateway::ingest_gateway(zmq::context_t& context, sender_options options)
    : sender_(std::make_unique<reliable_sender>(context, std::move(options))) {
    pending_ = sender_->pending();
    if (pending_ > 0)
        spdlog::info("outbox holds {} event(s) from a previous run; sending them", pending_.load());
    sender_->on_reply([this](const ingest_reply& r) { deliver(r); });
    // The sender (socket and outbox) moves to the thread here: thread start is a full barrier.
    thread_ = std::thread([this] { run(); });
}

ingest_gateway::~ingest_gateway() {
    stop();
}

void ingest_gateway::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& s : incoming_) s.who->queue_error = "the adapter is shutting down";
    incoming_.clear();
    stopped_ = true;
    changed_.notify_all();
}

gateway_answer ingest_gateway::submit(const envelope& e, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto me = std::make_shared<waiter>();
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return {gateway_answer::kind::not_queued, "the adapter is shutting down"};
    incoming_.push_back(submission{e, me});
    waiting_[e.id].push_back(me);
    changed_.notify_all();

    // The outbox write is local and quick; it is what makes the event ours to deliver.
    changed_.wait(lock, [&] { return me->queued || me->answered || !me->queue_error.empty(); });
    if (!me->queue_error.empty() && !me->answered) {
        auto& list = waiting_[e.id];
        list.erase(std::remove(list.begin(), list.end(), me), list.end());
        if (list.empty()) waiting_.erase(e.id);
        return {gateway_answer::kind::not_queued, me->queue_error};
    }
    changed_.wait_until(lock, deadline, [&] { return me->answered || stopped_; });
    if (me->answered) return me->answer;  // deliver() already took it off waiting_
    auto it = waiting_.find(e.id);
    if (it != waiting_.end()) {
        auto& list = it->second;
        list.erase(std::remove(list.begin(), list.end(), me), list.end());
        if (list.empty()) waiting_.erase(it);
    }
    return {gateway_answer::kind::no_reply, {}};
}

void ingest_gateway::deliver(const ingest_reply& reply) {
    (reply.acked ? acked_ : nacked_).fetch_add(1);
    if (!reply.acked) spdlog::warn("batond refused event {}: {}", reply.id, reply.reason);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = waiting_.find(reply.id);
    if (it == waiting_.end()) return;  // its client gave up waiting (it got a 503)
    for (auto& w : it->second) {
        w->answered = true;
        w->answer.what = reply.acked ? gateway_answer::kind::acked : gateway_answer::kind::nacked;
        w->answer.reason = reply.reason;
    }
    waiting_.erase(it);
    changed_.notify_all();
}

bool ingest_gateway::take_submissions() {
    std::vector<submission> batch;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        batch.swap(incoming_);
    }
    if (batch.empty()) return false;
    std::vector<envelope> events;
    events.reserve(batch.size());
    for (const auto& s : batch) events.push_back(s.event);
    std::string error;
    try {
        sender_->submit_all(events);  // one outbox transaction for every waiting worker
    } catch (const std::exception& e) {
        error = std::string("outbox: ") + e.what();
        spdlog::error("cannot queue {} event(s): {}", batch.size(), error);
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& s : batch) {
            if (error.empty())
                s.who->queued = true;
            else
                s.who->queue_error = error;
        }
    }
    changed_.notify_all();
    return true;
}

void ingest_gateway::run() {
    bool refresh = true;  // recount the outbox after it changed
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            if (stopping_) break;
            if (incoming_.empty() && pending_.load() == 0 && waiting_.empty())
                changed_.wait_for(lock, idle_wait, [&] { return stopping_ || !incoming_.empty(); });
            if (stopping_) break;
        }
        if (take_submissions()) refresh = true;
        try {
            std::uint64_t answers_before = acked_.load() + nacked_.load();
            sender_->poll(poll_slice);
            if (acked_.load() + nacked_.load() != answers_before) refresh = true;
            if (refresh) {
                pending_ = sender_->pending();
                refresh = false;
            }
        } catch (const std::exception& e) {
            spdlog::error("sending to batond failed: {}", e.what());
            std::this_thread::sleep_for(100ms);
        }
    }
}

}  // namespace baton::adapters::webhook
