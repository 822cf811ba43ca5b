// Follows batond's relay socket (PROTOCOL.md "relay"): subscribes first, then replays from the
// last seq it processed, hands every message to the caller exactly once and in seq order,
// fills any gap with the control command `replay`, and keeps the last processed seq in a file
// so a restart continues where it stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "curve.h"
#include "envelope.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace baton::adapters {

class control_client;

struct relayed_message {
    std::uint64_t seq = 0;
    std::string topic;
    envelope env;  // decoded
};

struct follower_options {
    std::string relay = "tcp://127.0.0.1:7711";
    std::string control = "tcp://127.0.0.1:7712";
    std::vector<std::string> topics;  // prefixes to hand over; empty: every topic
    std::string state_path;           // required: where the last processed seq is kept
    // Batond's public key and ours, when batond runs with security.curve.
    std::optional<curve_client_keys> curve;
};

// Messages whose topic matches no prefix are not handed over but still count as processed.
// A missing state file means "from the beginning" (seq 0); an unreadable one throws
// std::runtime_error naming it, as does a failure to write it.
class relay_follower {
public:
    relay_follower(zmq::context_t& context, follower_options options);
    ~relay_follower();
    relay_follower(const relay_follower&) = delete;
    relay_follower& operator=(const relay_follower&) = delete;

    // Waits up to `wait` for messages and hands each (matching the prefixes) to `handle`, in
    // seq order. When `handle` returns false the message is not marked processed and
    // delivery stops there; the next call starts again from it. Socket and control trouble is
    // logged and retried on the next call, never thrown.
    void poll(std::chrono::milliseconds wait,
              const std::function<bool(const relayed_message&)>& handle);

    // For a consumer that commits many messages at once (baton-sql-out: one transaction per
    // batch): gathers up to `max` messages (waiting up to `wait` for the first, then taking what
    // has arrived) and hands them to `handle_batch` in seq order. Only when it returns true are
    // they all marked processed and the position saved; when it returns false (or throws) none
    // is, and the next call replays from the first of them.
    void poll_batch(std::chrono::milliseconds wait, std::size_t max,
                    const std::function<bool(const std::vector<relayed_message>&)>& handle_batch);

    std::uint64_t last_seq() const { return last_seq_; }
    std::uint64_t gaps_filled() const { return gaps_filled_; }

private:
    bool catch_up(const std::function<bool(const relayed_message&)>& handle);
    bool deliver(const relayed_message& m, const std::function<bool(const relayed_message&)>& h);
    bool on_live(const relayed_message& m, const std::function<bool(const relayed_message&)>& h);
    void save();
    void poll_once(std::chrono::milliseconds wait,
                   const std::function<bool(const relayed_message&)>& handle);

    follower_options options_;
    std::unique_ptr<zmq::socket_t> sub_;
    std::unique_ptr<control_client> control_;
    std::uint64_t last_seq_ = 0;
    std::uint64_t gaps_filled_ = 0;
    bool caught_up_ = false;      // false: the next poll replays first
    bool first_catch_up_ = true;  // replayed messages count as gaps only after it
    bool dirty_ = false;          // last_seq_ moved past filtered messages, not yet saved
    bool batching_ = false;       // in poll_batch: last_seq_ is saved only after the batch
    std::chrono::steady_clock::time_point last_heard_{};  // last relay message or replay
};

}  // namespace baton::adapters
