// At-least-once delivery to batond's ingest socket, made exactly-once by batond's dedup: the
// outbox is the truth, the in-flight map a window over its oldest events. The socket only takes
// messages while connected (ZMQ_IMMEDIATE), so copies do not pile up while batond is down.
#include "reliable_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace baton::adapters {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t max_remembered_answers = 65536;  // for wait_for
constexpr std::size_t max_replies_per_poll = 4096;     // bounds one outbox transaction
constexpr milliseconds blocked_retry{10};              // a refused send is tried again this soon

// At most one line a second per call site, so a dead batond or a bad disk does not flood
// journald.
bool log_allowed(steady::time_point& last) {
    auto now = steady::now();
    if (last != steady::time_point() && now - last < std::chrono::seconds(1)) return false;
    last = now;
    return true;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

milliseconds until(steady::time_point t) {
    auto left = t - steady::now();
    if (left <= steady::duration::zero()) return milliseconds(0);
    return std::chrono::ceil<milliseconds>(left);
}

void check_id(const envelope& e) {
    // batond names the event in its reply only when the id is readable; an event it cannot
    // name could never leave the outbox.
    if (e.id.empty() || e.id.size() > max_name_bytes)
        throw std::invalid_argument("reliable_sender: event id must be 1-" +
                                    std::to_string(max_name_bytes) + " bytes, got " +
                                    std::to_string(e.id.size()) + " (topic " + e.topic + ")");
}

outbox_event to_outbox(const envelope& e, std::int64_t queued_ms) {
    outbox_event o;
    o.id = e.id;
    o.topic = e.topic;
    o.envelope = encode_envelope(e);
    o.queued_ms = queued_ms;
    return o;
}

}  // namespace

reliable_sender::reliable_sender(zmq::context_t& context, sender_options options)
    : options_(std::move(options)), outbox_(options_.outbox_path) {
    if (options_.max_in_flight == 0)
        throw std::invalid_argument("reliable_sender: max_in_flight must be at least 1");
    client_ = options_.curve
                  ? std::make_unique<ingest_client>(context, options_.endpoint, *options_.curve)
                  : std::make_unique<ingest_client>(context, options_.endpoint);
    // ingest_client connected without ZMQ_IMMEDIATE, which applies to new connections only:
    // connect again with it, so sends fail fast (and stay in the outbox) while batond is away.
    zmq::socket_t& s = client_->socket();
    s.set(zmq::sockopt::immediate, 1);
    try {
        s.disconnect(options_.endpoint);
        s.connect(options_.endpoint);
    } catch (const zmq::error_t& e) {
        spdlog::warn("sender {}: cannot reconnect with immediate delivery ({}); continuing",
                     options_.endpoint, e.what());
    }
    // Whatever the outbox holds (a previous run stopped before its acks) is pending again:
    // loaded_seq_ starts at 0, so the first send_pending() takes it from the oldest.
    if (std::size_t n = outbox_.size())
        spdlog::info("sender {}: {} events left in {} from a previous run; resending",
                     options_.endpoint, n, outbox_.path());
}

reliable_sender::~reliable_sender() = default;

void reliable_sender::submit(const envelope& e) {
    check_id(e);
    outbox_.put(to_outbox(e, now_ms()));
    try {
        send_pending();
    } catch (const zmq::error_t& err) {
        // Durable already; poll() sends it.
        static steady::time_point last;
        if (log_allowed(last)) spdlog::warn("sender {}: send: {}", options_.endpoint, err.what());
    }
}

void reliable_sender::submit_all(const std::vector<envelope>& events) {
    for (const auto& e : events) check_id(e);
    std::vector<outbox_event> rows;
    rows.reserve(events.size());
    const std::int64_t queued = now_ms();
    for (const auto& e : events) rows.push_back(to_outbox(e, queued));
    outbox_.put_all(rows);
    try {
        send_pending();
    } catch (const zmq::error_t& err) {
        static steady::time_point last;
        if (log_allowed(last)) spdlog::warn("sender {}: send: {}", options_.endpoint, err.what());
    }
}

bool reliable_sender::transmit(const std::string& topic, const std::string& envelope_bytes) {
    std::array<zmq::const_buffer, 2> msg = {
        zmq::buffer(topic.data(), topic.size()),
        zmq::buffer(envelope_bytes.data(), envelope_bytes.size())};
    // dontwait: EAGAIN means no connection to batond (immediate) or a full queue.
    return zmq::send_multipart(client_->socket(), msg, zmq::send_flags::dontwait).has_value();
}

void reliable_sender::send_pending() {
    const auto now = steady::now();
    blocked_ = false;

    // Resends first, oldest first, each with its first bytes.
    std::vector<std::pair<std::int64_t, in_flight*>> due;
    for (auto& [id, f] : in_flight_)
        if (now - f.sent >= options_.resend_after) due.emplace_back(f.seq, &f);
    std::sort(due.begin(), due.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [seq, f] : due) {
        if (!transmit(f->topic, f->envelope)) {
            blocked_ = true;
            return;
        }
        f->sent = now;
    }

    // Then what the window allows from the outbox, in the order it was put.
    while (in_flight_.size() < options_.max_in_flight) {
        std::vector<outbox_event> batch;
        try {
            batch = outbox_.pending_after(loaded_seq_, options_.max_in_flight - in_flight_.size());
        } catch (const std::exception& e) {
            static steady::time_point last;
            if (log_allowed(last)) spdlog::error("sender: {}", e.what());
            return;
        }
        if (batch.empty()) return;
        for (auto& e : batch) {
            if (!transmit(e.topic, e.envelope)) {
                blocked_ = true;  // stays in the outbox, after loaded_seq_: tried again later
                return;
            }
            loaded_seq_ = e.seq;
            in_flight_[e.id] = in_flight{now, e.seq, std::move(e.topic), std::move(e.envelope)};
        }
    }
}

steady::time_point reliable_sender::next_resend() const {
    auto next = steady::time_point::max();
    for (const auto& [id, f] : in_flight_) next = std::min(next, f.sent + options_.resend_after);
    return next;
}

void reliable_sender::handle_replies(std::vector<ingest_reply>& replies) {
    std::vector<std::string> ids;
    std::vector<ingest_reply> answers;
    std::unordered_set<std::string> seen;
    for (auto& r : replies) {
        if (r.id.empty()) {
            static steady::time_point last;
            if (log_allowed(last))
                spdlog::warn("sender {}: batond refused an event it could not name: {}",
                             options_.endpoint, r.reason);
            continue;
        }
        // A second answer for the same event (it was resent) is not news.
        if (!in_flight_.count(r.id) || !seen.insert(r.id).second) continue;
        ids.push_back(r.id);
        answers.push_back(std::move(r));
    }
    if (answers.empty()) return;
    try {
        outbox_.remove_all(ids);
    } catch (const std::exception& e) {
        // They stay in flight: resent later, answered again (batond dedups), removed then.
        static steady::time_point last;
        if (log_allowed(last)) spdlog::error("sender: {}", e.what());
        return;
    }
    for (const auto& a : answers) {
        in_flight_.erase(a.id);
        if (!a.acked)
            spdlog::warn("sender {}: event {} refused: {}", options_.endpoint, a.id, a.reason);
        auto [it, fresh] = answered_.insert_or_assign(a.id, a);
        (void)it;
        if (fresh) answered_order_.push_back(a.id);
        while (answered_order_.size() > max_remembered_answers) {
            answered_.erase(answered_order_.front());
            answered_order_.pop_front();
        }
    }
    if (on_reply_)
        for (const auto& a : answers) on_reply_(a);
}

void reliable_sender::poll(milliseconds wait) {
    const auto deadline = steady::now() + wait;
    try {
        send_pending();
        for (;;) {
            auto wake = std::min(deadline, next_resend());
            if (blocked_) wake = std::min(wake, steady::now() + blocked_retry);
            zmq::pollitem_t item{client_->socket().handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, until(wake));
            if (item.revents & ZMQ_POLLIN) {
                std::vector<ingest_reply> replies;
                while (replies.size() < max_replies_per_poll) {
                    auto r = client_->receive(milliseconds(0));
                    if (!r) break;
                    replies.push_back(std::move(*r));
                }
                handle_replies(replies);
                send_pending();  // the window has room again
                return;
            }
            if (steady::now() >= deadline) return;
            send_pending();
        }
    } catch (const zmq::error_t& e) {
        // EINTR and the like: the next poll carries on.
        static steady::time_point last;
        if (log_allowed(last)) spdlog::warn("sender {}: {}", options_.endpoint, e.what());
    }
}

std::optional<ingest_reply> reliable_sender::wait_for(const std::string& id, milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (auto it = answered_.find(id); it != answered_.end()) {
            ingest_reply r = std::move(it->second);
            answered_.erase(it);
            return r;
        }
        if (steady::now() >= deadline) return std::nullopt;
        poll(until(deadline));
    }
}

bool reliable_sender::flush(milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (in_flight_.empty() && outbox_.size() == 0) return true;
        if (steady::now() >= deadline) return false;
        poll(std::min(until(deadline), milliseconds(100)));
    }
}

std::size_t reliable_sender::pending() const {
    return outbox_.size();
}

}  // namespace baton::adapters
