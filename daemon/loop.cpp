// The event loop: sockets, group commit, acks, control, subscribe connectors.
#include "loop.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <map>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "clock.h"
#include "control.h"
#include "dedup.h"
#include "ingest.h"
#include "journal.h"
#include "order.h"
#include "schema.h"
#include "version.h"

namespace baton {

namespace {

const system_clock_source system_clock;

// At most `per_second` log lines of one kind a second; the rest are counted and summarised so a
// flood of bad input cannot flood the journal of the host.
class log_limiter {
public:
    explicit log_limiter(int per_second) : per_second_(per_second) {}
    // True when a line may be written now; `suppressed` gets how many were dropped before it.
    bool allow(std::int64_t now_ms, std::uint64_t& suppressed) {
        if (now_ms / 1000 != second_) {
            second_ = now_ms / 1000;
            used_ = 0;
        }
        if (used_ >= per_second_) {
            ++suppressed_;
            return false;
        }
        ++used_;
        suppressed = suppressed_;
        suppressed_ = 0;
        return true;
    }

private:
    int per_second_;
    std::int64_t second_ = -1;
    int used_ = 0;
    std::uint64_t suppressed_ = 0;
};

struct counters {
    std::uint64_t accepted = 0;       // events committed from ingest
    std::uint64_t duplicates = 0;     // events acked again without being applied
    std::array<std::uint64_t, refusal_count> nacks{};
    std::uint64_t subscribed = 0;     // events committed from subscribe connectors
    std::uint64_t subscribe_refused = 0;
    std::uint64_t feed_gaps = 0;
    std::uint64_t batches = 0;
    std::uint64_t commit_failures = 0;
    std::uint64_t control_requests = 0;
};

struct pending_ack {
    std::string peer;  // ROUTER identity
    std::string id;
};

struct pending_meta {
    std::uint64_t key;     // dedup key
    std::string customer;  // the order's customer, when the event names it
};

std::string customer_of(const std::string& topic, const value& data) {
    if (topic != "sales.order.placed") return {};
    const value* c = data.find("customer");
    return c && c->is_string() ? c->as_string() : std::string();
}

zmq::const_buffer buf(const std::string& s) { return zmq::buffer(s.data(), s.size()); }

}  // namespace

struct loop::impl final : control_context {
    impl(const config& c, schema_set s, zmq::context_t& context, const clock_source* clk)
        : cfg(c),
          schemas(std::move(s)),
          clock(clk ? *clk : system_clock),
          ctx(context),
          ingest(ctx, zmq::socket_type::router),
          relay(ctx, zmq::socket_type::pub),
          control(ctx, zmq::socket_type::router),
          store(c.data_dir),
          dedup(c.dedup.window_us / 1000, c.dedup.max_entries) {
        rules.schemas = &schemas;
        rules.limits = cfg.limits.decode;
        rules.max_envelope_bytes = cfg.limits.max_envelope_bytes;
        started_ms = clock.now_ms();
        rebuild();

        wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");

        const auto max_msg = static_cast<std::int64_t>(cfg.limits.max_message_bytes);
        for (zmq::socket_t* sock : {&ingest, &control}) {
            sock->set(zmq::sockopt::maxmsgsize, max_msg);
            sock->set(zmq::sockopt::linger, 2000);  // let the last acks and replies leave
            sock->set(zmq::sockopt::sndhwm, 100000);
            sock->set(zmq::sockopt::rcvhwm, 10000);
        }
        relay.set(zmq::sockopt::sndhwm, 100000);
        relay.set(zmq::sockopt::linger, 0);
        ingest.bind(cfg.bus.ingest);
        relay.bind(cfg.bus.relay);
        control.bind(cfg.bus.control);
        for (const auto& sc : cfg.bus.subscribe) {
            zmq::socket_t sub(ctx, zmq::socket_type::sub);
            sub.set(zmq::sockopt::maxmsgsize, max_msg);
            sub.set(zmq::sockopt::linger, 0);
            if (sc.topics.empty())
                sub.set(zmq::sockopt::subscribe, "");
            for (const auto& t : sc.topics) sub.set(zmq::sockopt::subscribe, t);
            if (sc.bind)
                sub.bind(sc.endpoint);
            else
                sub.connect(sc.endpoint);
            subs.push_back(std::move(sub));
        }
        spdlog::info("batond {} listening: ingest {}, relay {}, control {}; journal {} ({} events, "
                     "{} orders, {} ids in the duplicate window)",
                     version, endpoint_of(ingest), endpoint_of(relay), endpoint_of(control),
                     store.path(), store.last_seq(), orders.size(), dedup.size());
    }

    ~impl() override {
        if (wake_fd >= 0) ::close(wake_fd);
    }

    static std::string endpoint_of(const zmq::socket_t& s) {
        return s.get(zmq::sockopt::last_endpoint);
    }

    // --- start-up -------------------------------------------------------------------------

    void rebuild() {
        const std::int64_t horizon = clock.now_ms() - cfg.dedup.window_us / 1000;
        store.scan(0, true, [&](const journal_entry& e) {
            if (e.received_ms >= horizon)
                dedup.insert(dedup_window::key(e.source, e.id), e.seq, e.received_ms);
            if (!e.order.empty()) {
                std::string customer;
                if (e.topic == "sales.order.placed") {
                    value root;
                    std::string error;
                    if (decode_msgpack(e.envelope, cfg.limits.decode, root, error))
                        if (const value* data = root.find("data"))
                            customer = customer_of(e.topic, *data);
                }
                orders.record(e.order, e.seq, e.received_ms, customer);
            }
        });
    }

    // --- the loop -------------------------------------------------------------------------

    void run() {
        std::vector<zmq::pollitem_t> items;
        items.push_back({ingest.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({control.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({nullptr, wake_fd, ZMQ_POLLIN, 0});
        for (auto& s : subs) items.push_back({s.handle(), 0, ZMQ_POLLIN, 0});

        bool stopping = false;
        while (!stopping) {
            std::chrono::milliseconds timeout(1000);
            if (!entries.empty()) {
                std::int64_t left_us = batch_deadline_us - clock.steady_us();
                timeout = std::chrono::milliseconds(left_us <= 0 ? 0 : (left_us + 999) / 1000);
            }
            try {
                zmq::poll(items.data(), items.size(), timeout);
            } catch (const zmq::error_t& e) {
                if (e.num() == EINTR) continue;
                throw;
            }
            if (items[2].revents & ZMQ_POLLIN) {
                std::uint64_t n;
                [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof n);
                stopping = true;
                break;
            }
            if (items[0].revents & ZMQ_POLLIN) drain_ingest();
            if (items[1].revents & ZMQ_POLLIN) drain_control();
            for (std::size_t i = 0; i < subs.size(); ++i)
                if (items[3 + i].revents & ZMQ_POLLIN) drain_subscribe(subs[i]);
            if (!entries.empty() && clock.steady_us() >= batch_deadline_us) commit();
            if (entries.empty()) dedup.expire(clock.now_ms());
        }
        // Stop reading; what was admitted is committed and acked before we close.
        commit();
        spdlog::info("batond stopped: {} events in the journal", store.last_seq());
    }

    void stop() {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof one);
    }

    // --- ingest ---------------------------------------------------------------------------

    void drain_ingest() {
        // Bounded so control requests are served while a producer floods us.
        const std::size_t budget = cfg.batch.max_events * 4;
        std::vector<zmq::message_t> frames;
        for (std::size_t n = 0; n < budget; ++n) {
            frames.clear();
            auto got = zmq::recv_multipart(ingest, std::back_inserter(frames),
                                           zmq::recv_flags::dontwait);
            if (!got) break;
            on_ingest(frames);
        }
    }

    void on_ingest(std::vector<zmq::message_t>& frames) {
        std::string peer = frames[0].to_string();
        if (frames.size() != 3) {
            refuse(peer, "", "decode: expected 2 frames [topic, envelope], got " +
                                 std::to_string(frames.size() - 1));
            return;
        }
        envelope env;
        std::string reason;
        refusal r = admit_event(rules, frames[1].to_string_view(), frames[2].to_string_view(),
                                env, reason);
        if (r != refusal::none) {
            refuse(peer, env.id, reason);
            return;
        }
        accept(std::move(env), frames[2].to_string_view(), origin::ingest, &peer);
    }

    void refuse(const std::string& peer, const std::string& id, const std::string& reason) {
        ++stats.nacks[static_cast<std::size_t>(refusal_of(reason))];
        std::array<zmq::const_buffer, 4> msg = {buf(peer), zmq::str_buffer("nack"), buf(id),
                                                buf(reason)};
        (void)zmq::send_multipart(ingest, msg, zmq::send_flags::dontwait);
        std::uint64_t suppressed = 0;
        if (refusal_log.allow(clock.now_ms(), suppressed))
            spdlog::warn("nack {}: {}{}", id.empty() ? "(no id)" : id, reason,
                         suppressed ? fmt::format(" ({} more not logged)", suppressed) : "");
    }

    // Dedup, then into the open batch. `peer` is null for subscribe connectors (no ack).
    void accept(envelope env, std::string_view bytes, origin from, const std::string* peer) {
        const std::uint64_t key = dedup_window::key(env.source, env.id);
        if (auto it = batch_keys.find(key); it != batch_keys.end()) {
            const journal_entry& e = entries[it->second];
            if (e.source == env.source && e.id == env.id) {
                // Same event again before its batch committed: ack it with the batch.
                ++stats.duplicates;
                if (peer) acks.push_back({*peer, env.id});
                return;
            }
        }
        if (auto seq = dedup.find(key)) {
            auto earlier = store.read(*seq, false);
            if (earlier && earlier->source == env.source && earlier->id == env.id) {
                ++stats.duplicates;
                if (peer) send_ack(*peer, env.id);
                return;
            }
            // A hash collision with another event: this one is new.
        }
        if (entries.empty()) batch_deadline_us = clock.steady_us() + cfg.batch.max_wait_us;
        journal_entry e;
        e.seq = store.last_seq() + static_cast<std::int64_t>(entries.size()) + 1;
        e.received_ms = clock.now_ms();
        e.ts_ms = env.ts_ms;
        e.topic = std::move(env.topic);
        e.source = std::move(env.source);
        e.id = env.id;
        if (env.order) e.order = std::move(*env.order);
        e.origin = from;
        e.envelope.assign(bytes);
        meta.push_back({key, customer_of(e.topic, env.data)});
        batch_keys[key] = entries.size();
        entries.push_back(std::move(e));
        if (peer) acks.push_back({*peer, std::move(env.id)});
        if (entries.size() >= cfg.batch.max_events) commit();
    }

    void send_ack(const std::string& peer, const std::string& id) {
        std::array<zmq::const_buffer, 3> msg = {buf(peer), zmq::str_buffer("ack"), buf(id)};
        (void)zmq::send_multipart(ingest, msg, zmq::send_flags::dontwait);
    }

    // One transaction for the whole batch; acks leave only after it is durable.
    void commit() {
        if (entries.empty() && acks.empty()) return;
        try {
            store.append(entries);
        } catch (const journal_error& e) {
            // Nothing of this batch was acked: clients resend and nothing is lost.
            ++stats.commit_failures;
            spdlog::error("commit of {} events failed, none acked: {}", entries.size(), e.what());
            clear_batch();
            return;
        }
        ++stats.batches;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const journal_entry& e = entries[i];
            dedup.insert(meta[i].key, e.seq, e.received_ms);
            if (!e.order.empty()) orders.record(e.order, e.seq, e.received_ms, meta[i].customer);
            if (e.origin == origin::ingest)
                ++stats.accepted;
            else
                ++stats.subscribed;
        }
        for (const auto& a : acks) send_ack(a.peer, a.id);
        clear_batch();
    }

    void clear_batch() {
        entries.clear();
        meta.clear();
        acks.clear();
        batch_keys.clear();
    }

    // --- subscribe connectors (at-most-once) ----------------------------------------------

    void drain_subscribe(zmq::socket_t& sub) {
        std::vector<zmq::message_t> frames;
        for (std::size_t n = 0; n < cfg.batch.max_events * 4; ++n) {
            frames.clear();
            if (!zmq::recv_multipart(sub, std::back_inserter(frames), zmq::recv_flags::dontwait))
                break;
            envelope env;
            std::string reason;
            refusal r = refusal::decode;
            if (frames.size() != 2)
                reason = "decode: expected 2 frames [topic, envelope], got " +
                         std::to_string(frames.size());
            else
                r = admit_event(rules, frames[0].to_string_view(), frames[1].to_string_view(),
                                env, reason);
            if (!reason.empty() && r != refusal::none) {
                ++stats.subscribe_refused;
                std::uint64_t suppressed = 0;
                if (refusal_log.allow(clock.now_ms(), suppressed))
                    spdlog::warn("subscribe: dropped {}: {}", env.id.empty() ? "(no id)" : env.id,
                                 reason);
                continue;
            }
            if (env.seq) {
                auto [it, fresh] = source_seq.try_emplace(env.source, *env.seq);
                if (!fresh) {
                    if (*env.seq != it->second + 1) {
                        ++stats.feed_gaps;
                        spdlog::warn("feed gap from source {}: expected seq {}, got {}",
                                     env.source, it->second + 1, *env.seq);
                    }
                    it->second = *env.seq;
                }
            }
            accept(std::move(env), frames[1].to_string_view(), origin::subscribe, nullptr);
        }
    }

    // --- control --------------------------------------------------------------------------

    void drain_control() {
        std::vector<zmq::message_t> frames;
        for (int n = 0; n < 100; ++n) {
            frames.clear();
            if (!zmq::recv_multipart(control, std::back_inserter(frames),
                                     zmq::recv_flags::dontwait))
                break;
            ++stats.control_requests;
            // REQ and DEALER-with-delimiter send [id, "", body]; a bare DEALER [id, body].
            bool delimited = frames.size() == 3 && frames[1].size() == 0;
            value reply;
            if (frames.size() != 2 && !delimited) {
                reply = control_error("decode: expected one request frame");
            } else {
                value request;
                std::string error;
                if (!decode_msgpack(frames.back().to_string_view(), cfg.limits.decode, request,
                                    error))
                    reply = control_error(error);
                else
                    reply = handle_control(request, *this);
            }
            std::string body = encode_msgpack(reply);
            if (delimited) {
                std::array<zmq::const_buffer, 3> msg = {
                    zmq::buffer(frames[0].data(), frames[0].size()), zmq::const_buffer(),
                    buf(body)};
                (void)zmq::send_multipart(control, msg, zmq::send_flags::dontwait);
            } else {
                std::array<zmq::const_buffer, 2> msg = {
                    zmq::buffer(frames[0].data(), frames[0].size()), buf(body)};
                (void)zmq::send_multipart(control, msg, zmq::send_flags::dontwait);
            }
        }
    }

    value status() override {
        value r;
        r.set("version", version);
        r.set("uptime_s", static_cast<long long>((clock.now_ms() - started_ms) / 1000));
        r.set("events", static_cast<long long>(store.last_seq()));
        r.set("orders_open", static_cast<unsigned long long>(orders.size()));
        r.set("exceptions_open", 0);
        r.set("tasks_open", 0);
        r.set("relay_seq", 0);
        value c;
        c.set("accepted", static_cast<unsigned long long>(stats.accepted));
        c.set("duplicates", static_cast<unsigned long long>(stats.duplicates));
        value nacks;
        for (auto code : {refusal::decode, refusal::envelope, refusal::schema, refusal::topic,
                          refusal::forbidden, refusal::limit})
            nacks.set(refusal_name(code), static_cast<unsigned long long>(
                                              stats.nacks[static_cast<std::size_t>(code)]));
        c.set("nacks", std::move(nacks));
        c.set("subscribed", static_cast<unsigned long long>(stats.subscribed));
        c.set("subscribe_refused", static_cast<unsigned long long>(stats.subscribe_refused));
        c.set("feed_gaps", static_cast<unsigned long long>(stats.feed_gaps));
        c.set("batches", static_cast<unsigned long long>(stats.batches));
        c.set("commit_failures", static_cast<unsigned long long>(stats.commit_failures));
        c.set("control_requests", static_cast<unsigned long long>(stats.control_requests));
        c.set("dedup_entries", static_cast<unsigned long long>(dedup.size()));
        r.set("counters", std::move(c));
        return r;
    }

    std::optional<value> order(const std::string& id) override {
        const baton::order* o = orders.find(id);
        if (!o) return std::nullopt;
        value r;
        r.set("id", o->id);
        r.set("customer", o->customer);
        r.set("first_seen", static_cast<long long>(o->first_seen_ms));
        value_list history;
        history.reserve(o->events.size());
        for (std::int64_t seq : o->events) {
            auto e = store.read(seq, false);
            if (!e) continue;
            value h;
            h.set("ts", static_cast<long long>(e->ts_ms));
            h.set("topic", e->topic);
            h.set("id", e->id);
            h.set("source", e->source);
            h.set("received", static_cast<long long>(e->received_ms));
            h.set("seq", static_cast<long long>(e->seq));
            history.push_back(std::move(h));
        }
        r.set("history", std::move(history));
        return r;
    }

    config cfg;
    schema_set schemas;
    ingest_rules rules;
    const clock_source& clock;
    zmq::context_t& ctx;
    zmq::socket_t ingest, relay, control;
    std::vector<zmq::socket_t> subs;
    int wake_fd = -1;
    journal store;
    dedup_window dedup;
    order_book orders;
    std::int64_t started_ms = 0;

    // The open batch.
    std::vector<journal_entry> entries;
    std::vector<pending_meta> meta;  // parallel to entries
    std::vector<pending_ack> acks;
    std::unordered_map<std::uint64_t, std::size_t> batch_keys;  // dedup key -> entries index
    std::int64_t batch_deadline_us = 0;

    std::map<std::string, std::uint64_t> source_seq;  // last seq per subscribed source
    counters stats;
    log_limiter refusal_log{10};
};

loop::loop(const config& cfg, schema_set schemas, zmq::context_t& context,
           const clock_source* clock)
    : impl_(std::make_unique<impl>(cfg, std::move(schemas), context, clock)) {}

loop::~loop() = default;

void loop::run() { impl_->run(); }
void loop::stop() { impl_->stop(); }
std::string loop::ingest_endpoint() const { return impl::endpoint_of(impl_->ingest); }
std::string loop::relay_endpoint() const { return impl::endpoint_of(impl_->relay); }
std::string loop::control_endpoint() const { return impl::endpoint_of(impl_->control); }

}  // namespace baton
