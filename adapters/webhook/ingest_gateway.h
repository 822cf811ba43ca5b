// One thread in front of the reliable sender, so the many HTTP worker threads can hand it events
// and wait for batond's answer: ZeroMQ sockets and the outbox's SQLite handle belong to one
// thread only. Workers queue an event, the sender thread writes it to the outbox and sends it,
// and batond's ack or nack wakes the worker that waits for that id.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "envelope.h"
#include "reliable_sender.h"

namespace zmq {
class context_t;
}

namespace baton::adapters::webhook {

struct gateway_answer {
    enum class kind {
        acked,       // batond committed it
        nacked,      // batond refused it; `reason` says why
        no_reply,    // in the outbox, but batond did not answer in time; it will be resent
        not_queued,  // never reached the outbox (outbox error, shutting down); `reason` says why
    };
    kind what = kind::no_reply;
    std::string reason;
};

class ingest_gateway {
public:
    // Opens the outbox (throws std::runtime_error with its path when it cannot) and starts the
    // sender thread, which also sends whatever a previous run left in the outbox.
    ingest_gateway(zmq::context_t& context, sender_options options);
    ~ingest_gateway();  // stop()
    ingest_gateway(const ingest_gateway&) = delete;
    ingest_gateway& operator=(const ingest_gateway&) = delete;

    // Thread-safe. Queues `e`, waits until it is durably in the outbox, then up to `timeout` for
    // batond's answer.
    gateway_answer submit(const envelope& e, std::chrono::milliseconds timeout);

    // Wakes every waiter (they answer no_reply), refuses new events, ends the sender thread.
    // Events still in the outbox are sent by the next run.
    void stop();

    std::size_t pending() const { return pending_.load(); }  // events in the outbox
    std::uint64_t acked() const { return acked_.load(); }
    std::uint64_t nacked() const { return nacked_.load(); }

private:
    struct waiter {
        bool queued = false;  // written to the outbox
        bool answered = false;
        std::string queue_error;  // set when the outbox write failed
        gateway_answer answer;
    };
    struct submission {
        envelope event;
        std::shared_ptr<waiter> who;
    };

    void run();
    bool take_submissions();  // true when it queued any
    void deliver(const ingest_reply& reply);

    std::unique_ptr<reliable_sender> sender_;  // used by the sender thread only

    std::mutex mutex_;
    std::condition_variable changed_;  // waiters: queued or answered; sender: new submission
    std::vector<submission> incoming_;
    std::unordered_map<std::string, std::vector<std::shared_ptr<waiter>>> waiting_;  // by id
    bool stopping_ = false;  // no new events; the sender thread ends
    bool stopped_ = false;   // the sender thread ended; nobody will be answered any more

    std::atomic<std::size_t> pending_{0};
    std::atomic<std::uint64_t> acked_{0};
    std::atomic<std::uint64_t> nacked_{0};
    std::thread thread_;
};

}  // namespace baton::adapters::webhook
