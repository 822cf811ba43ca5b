// The heart of baton-alerts: loads batond's open exceptions, follows its relay (`exception.`
// topics) into the alert book, and posts to every Alertmanager what it needs: changes within
// a poll, every open alert each `resend_every`, everything missed once a failing one answers.
// The book is saved to <state>/alerts.json after changes, the relay position to relay.seq.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alert_book.h"
#include "alertmanager_client.h"
#include "alerts_config.h"
#include "clock.h"
#include "rate_limited_log.h"

namespace zmq {
class context_t;
}

namespace baton::adapters {
class control_client;
class relay_follower;
struct relayed_message;
}  // namespace baton::adapters

namespace baton::adapters::alerts {

class alert_forwarder {
public:
    // Loads <state>/alerts.json (a corrupt one throws std::runtime_error naming it). Nothing
    // is sent before the first step().
    alert_forwarder(zmq::context_t& context, const alerts_config& config,
                    const clock_source& clock);
    ~alert_forwarder();
    alert_forwarder(const alert_forwarder&) = delete;
    alert_forwarder& operator=(const alert_forwarder&) = delete;

    // Steps until `stop` becomes true (checked at least every 100 ms), then saves the book.
    void run(const std::atomic<bool>& stop);
    // One round: start (load the open set) if not done yet, take relay messages for up to
    // `wait`, retry missing enrichments, post what is due, save the book when it changed.
    void step(std::chrono::milliseconds wait);

    // Readable from other threads while run() goes on.
    bool reconciled() const { return reconciled_.load(); }
    std::size_t open_alerts() const { return open_alerts_.load(); }
    std::uint64_t posts() const { return posts_.load(); }                    // accepted POST rounds
    std::uint64_t failed_posts() const { return failed_posts_.load(); }      // to be retried
    std::uint64_t rejected_posts() const { return rejected_posts_.load(); }  // 400/422, dropped
    std::uint64_t skipped_messages() const { return skipped_.load(); }       // unreadable records
    std::uint64_t applied_messages() const { return applied_.load(); }

private:
    bool try_start();
    bool handle(const relayed_message& m);
    std::optional<value> control_call(const value& request, std::string& error);
    bool load_open(std::vector<exception_record>& out, std::string& error);
    std::optional<exception_record> fetch(const std::string& id, std::string& error);
    void enrich_pending();
    void post_due();
    void settle(const delivery& d, const post_result& result);
    void finish_posts();
    void save_if_changed();

    zmq::context_t& context_;
    alerts_config config_;
    const clock_source& clock_;
    std::string book_path_;
    std::string seq_path_;
    alert_book book_;
    std::vector<std::unique_ptr<alertmanager_client>> clients_;
    // Per Alertmanager, the POST under way on a thread of its own (so a slow or unreachable
    // one delays neither the others nor the relay) and the delivery it carries.
    std::vector<std::future<post_result>> posting_;
    std::vector<std::optional<delivery>> carrying_;
    std::unique_ptr<control_client> control_;
    std::unique_ptr<relay_follower> follower_;
    std::uint64_t skip_through_ = 0;  // relay seqs the start-up snapshot already holds
    std::int64_t next_start_ms_ = 0;
    std::uint32_t start_failures_ = 0;
    std::int64_t next_enrich_ms_ = 0;
    std::int64_t next_save_try_ms_ = 0;
    webhook::rate_limited_log warn_log_{2};

    std::atomic<bool> reconciled_{false};
    std::atomic<std::size_t> open_alerts_{0};
    std::atomic<std::uint64_t> posts_{0};
    std::atomic<std::uint64_t> failed_posts_{0};
    std::atomic<std::uint64_t> rejected_posts_{0};
    std::atomic<std::uint64_t> skipped_{0};
    std::atomic<std::uint64_t> applied_{0};
};

}  // namespace baton::adapters::alerts
