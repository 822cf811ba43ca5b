// The run loop of baton-alerts (alert_forwarder.h): batond in, Alertmanagers out, each step
// handed to a named part (the follower, the book, a client per Alertmanager, the state file).
#include "alert_forwarder.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <zmq.hpp>

#include "alertmanager_client.h"
#include "alerts_state.h"
#include "control_client.h"
#include "format.h"
#include "relay_follower.h"

namespace baton::adapters::alerts {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::uint64_t page_size = 500;       // exceptions per `exceptions` request at start
constexpr std::int64_t start_retry_ms = 2000;  // batond not answering at start: ask again
constexpr std::int64_t enrich_every_ms = 30000;
constexpr std::int64_t save_retry_ms = 5000;

std::vector<std::string> urls_of(const alerts_config& c) {
    std::vector<std::string> urls;
    for (const auto& a : c.alertmanagers) urls.push_back(a.url);
    return urls;
}

book_timing timing_of(const alerts_config& c) {
    return {c.resend_every.count(), c.ends_after.count(), c.retry};
}

label_options options_of(const alerts_config& c) {
    label_options o;
    o.board_url = c.board_url;
    o.extra_labels = c.extra_labels;
    return o;
}

// Where a new follower starts: the seq the start-up snapshot was taken at (earlier messages are
// in it). Written only when there is no position yet.
void write_first_position(const std::string& path, std::uint64_t seq) {
    std::error_code ec;
    if (fs::exists(path, ec)) return;
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << seq << "\n";
        out.flush();
        if (!out)
            throw std::runtime_error("relay follower state " + path + ": cannot write " + tmp);
    }
    fs::rename(tmp, path);
}

std::string text_of(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : "";
}

// "850 ms" for a blip, "3m20s" for an outage.
std::string down_text(std::int64_t ms) {
    return ms < 10000 ? std::to_string(ms) + " ms" : duration_text(ms);
}

}  // namespace

alert_forwarder::alert_forwarder(zmq::context_t& context, const alerts_config& config,
                                 const clock_source& clock)
    : context_(context),
      config_(config),
      clock_(clock),
      book_path_((fs::path(config.state) / "alerts.json").string()),
      seq_path_((fs::path(config.state) / "relay.seq").string()),
      book_(urls_of(config), timing_of(config), options_of(config)) {
    std::error_code ec;
    fs::create_directories(config_.state, ec);
    if (ec)
        throw std::runtime_error("state folder " + config_.state +
                                 ": cannot create it: " + ec.message());
    book_.restore(load_book_state(book_path_), clock_.now_ms());
    open_alerts_ = book_.open_count();
    for (const auto& url : config_.alertmanagers)
        clients_.push_back(std::make_unique<alertmanager_client>(url, config_.post_timeout,
                                                                 config_.auth, config_.tls_ca));
    posting_.resize(clients_.size());
    carrying_.resize(clients_.size());
    control_ = config_.curve
                   ? std::make_unique<control_client>(context_, config_.control, *config_.curve)
                   : std::make_unique<control_client>(context_, config_.control);
}

alert_forwarder::~alert_forwarder() {
    try {
        finish_posts();
        save_if_changed();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
    }
}

void alert_forwarder::run(const std::atomic<bool>& stop) {
    while (!stop.load()) step(100ms);
    finish_posts();
    save_if_changed();
}

void alert_forwarder::finish_posts() {
    // The POSTs under way end within alertmanager.timeout; what they settle is saved.
    for (std::size_t t = 0; t < posting_.size(); ++t)
        if (posting_[t].valid()) {
            post_result result = posting_[t].get();
            settle(*carrying_[t], result);
            carrying_[t].reset();
        }
}

void alert_forwarder::step(std::chrono::milliseconds wait) {
    if (!follower_ && clock_.now_ms() >= next_start_ms_) try_start();
    if (follower_)
        follower_->poll(wait, [this](const relayed_message& m) { return handle(m); });
    else
        std::this_thread::sleep_for(std::min(wait, 100ms));
    enrich_pending();
    post_due();
    save_if_changed();
    open_alerts_ = book_.open_count();
}

std::optional<value> alert_forwarder::control_call(const value& request, std::string& error) {
    auto reply = control_->call(request, config_.batond_timeout, &error);
    if (!reply) return std::nullopt;
    const value* ok = reply->find("ok");
    if (!ok || !ok->is_bool() || !ok->as_bool()) {
        error = text_of(*reply, "error");
        if (error.empty()) error = "malformed reply";
        return std::nullopt;
    }
    return reply;
}

bool alert_forwarder::load_open(std::vector<exception_record>& out, std::string& error) {
    std::uint64_t offset = 0;
    for (;;) {
        value request;
        request.set("cmd", "exceptions");
        request.set("state", "open");
        request.set("offset", static_cast<unsigned long long>(offset));
        request.set("limit", static_cast<unsigned long long>(page_size));
        auto reply = control_call(request, error);
        if (!reply) return false;
        const value* items = reply->find("exceptions");
        std::uint64_t total = 0;
        const value* t = reply->find("total");
        if (!items || !items->is_list() || !t || !t->to_uint64(total)) {
            error = "exceptions: reply without 'exceptions' and 'total'";
            return false;
        }
        for (const value& item : items->as_list()) {
            exception_record r;
            std::string why;
            if (!parse_exception_record(item, r, why)) {
                ++skipped_;
                warn_log_.warn("exceptions reply: an item skipped: " + why);
                continue;
            }
            r.enriched = true;
            out.push_back(std::move(r));
        }
        offset += items->as_list().size();
        if (items->as_list().empty() || offset >= total) return true;
    }
}

bool alert_forwarder::try_start() {
    auto fail = [this](const std::string& what) {
        // The first failure and then one line a minute: batond may be down for long.
        if (start_failures_++ % 30 == 0)
            spdlog::warn(
                "batond at {}: {}; re-posting the {} saved alert(s) meanwhile, asking again "
                "every {}s",
                config_.control, what, book_.open_count(), start_retry_ms / 1000);
        next_start_ms_ = clock_.now_ms() + start_retry_ms;
        return false;
    };
    std::string error;
    value status;
    status.set("cmd", "status");
    auto reply = control_call(status, error);
    if (!reply) return fail("status: " + error);
    std::uint64_t head = 0;
    const value* relay_seq = reply->find("relay_seq");
    if (!relay_seq || !relay_seq->to_uint64(head)) return fail("status: no relay_seq in the reply");
    std::vector<exception_record> open;
    if (!load_open(open, error)) return fail("exceptions: " + error);

    write_first_position(seq_path_, head);
    follower_options o;
    o.relay = config_.relay;
    o.control = config_.control;
    o.topics = {"exception."};
    o.state_path = seq_path_;
    o.curve = config_.curve;
    follower_ = std::make_unique<relay_follower>(context_, o);
    skip_through_ = head;

    auto counts = book_.reconcile(open, clock_.now_ms());
    reconciled_ = true;
    spdlog::info(
        "batond has {} open exception(s) (relay seq {}): {} new alert(s), {} changed, {} "
        "resolved while baton-alerts was away; following the relay from seq {}",
        open.size(), head, counts.added, counts.updated, counts.resolved, follower_->last_seq());
    return true;
}

std::optional<exception_record> alert_forwarder::fetch(const std::string& id, std::string& error) {
    value request;
    request.set("cmd", "exceptions");
    request.set("id", id);
    request.set("state", "all");
    auto reply = control_call(request, error);
    if (!reply) return std::nullopt;
    const value* items = reply->find("exceptions");
    if (!items || !items->is_list() || items->as_list().empty()) {
        error = "batond does not know " + id;
        return std::nullopt;
    }
    exception_record r;
    if (!parse_exception_record(items->as_list().front(), r, error)) return std::nullopt;
    r.enriched = true;
    return r;
}

bool alert_forwarder::handle(const relayed_message& m) {
    if (m.seq <= skip_through_) return true;  // the start-up snapshot holds it already
    exception_record r;
    std::string why;
    if (!parse_exception_record(m.env.data, r, why)) {
        ++skipped_;
        warn_log_.warn("relay seq " + std::to_string(m.seq) + " (" + m.topic + ") skipped: " + why +
                       " (" + std::to_string(skipped_.load()) + " skipped so far)");
        return true;
    }
    if (!r.resolved() && !book_.knows(r.id)) {
        // A new exception: the relay record has no tier, customer name or order stage.
        std::string error;
        if (auto full = fetch(r.id, error)) {
            r.tier = full->tier;
            r.customer_name = full->customer_name;
            r.order_stage = full->order_stage;
            r.enriched = true;
        } else {
            spdlog::debug("{}: no tier, customer name or order stage yet ({}); asking again later",
                          r.id, error);
        }
    }
    book_.apply(r, clock_.now_ms());
    ++applied_;
    return true;
}

void alert_forwarder::enrich_pending() {
    if (!follower_ || clock_.now_ms() < next_enrich_ms_) return;
    next_enrich_ms_ = clock_.now_ms() + enrich_every_ms;
    for (const auto& id : book_.unenriched()) {
        std::string error;
        auto r = fetch(id, error);
        if (!r) return;  // batond still cannot say: the next round
        book_.apply(*r, clock_.now_ms());
    }
}

void alert_forwarder::post_due() {
    for (std::size_t t = 0; t < clients_.size(); ++t) {
        if (posting_[t].valid()) {
            if (posting_[t].wait_for(0ms) != std::future_status::ready) continue;
            post_result result = posting_[t].get();
            settle(*carrying_[t], result);
            carrying_[t].reset();
        }
        auto d = book_.due(t, clock_.now_ms());
        if (!d) continue;
        carrying_[t] = std::move(d);
        posting_[t] = std::async(std::launch::async,
                                 [client = clients_[t].get(), alerts = carrying_[t]->alerts] {
                                     return client->post(alerts);
                                 });
    }
}

void alert_forwarder::settle(const delivery& d, const post_result& result) {
    const std::size_t t = d.target;
    const std::string& url = book_.target_url(t);
    switch (result.outcome) {
        case post_outcome::accepted: {
            ++posts_;
            auto r = book_.delivered(d, clock_.now_ms());
            if (r.recovered)
                spdlog::info(
                    "Alertmanager {} answers again after {} down; caught up with {} "
                    "alert(s)",
                    url, down_text(r.down_ms), r.caught_up);
            break;
        }
        case post_outcome::rejected: {
            ++rejected_posts_;
            warn_log_.warn("Alertmanager " + url + " refused alerts as bad (" + result.detail +
                           "); the " + std::to_string(d.alerts.size()) +
                           " alert(s) of that POST are dropped for it");
            book_.delivered(d, clock_.now_ms());
            break;
        }
        case post_outcome::failed: {
            ++failed_posts_;
            auto f = book_.failed(t, clock_.now_ms());
            if (f.first)
                spdlog::warn(
                    "Alertmanager {} fails: {}; retrying with backoff from {} ms, "
                    "then it gets every open alert and owed resolution",
                    url, result.detail, f.retry_in_ms);
            else
                spdlog::debug("Alertmanager {} still fails: {}; next try in {} ms", url,
                              result.detail, f.retry_in_ms);
            break;
        }
    }
}

void alert_forwarder::save_if_changed() {
    if (!book_.changed() || clock_.now_ms() < next_save_try_ms_) return;
    try {
        save_book_state(book_path_, book_.snapshot());
        book_.mark_saved();
    } catch (const std::exception& e) {
        // Kept in memory and tried again; a restart before that reconciles with batond.
        next_save_try_ms_ = clock_.now_ms() + save_retry_ms;
        spdlog::error("{}", e.what());
    }
}

}  // namespace baton::adapters::alerts
