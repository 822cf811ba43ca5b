// The event loop: sockets, group commit, acks, control, subscribe connectors.
#include "loop.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <map>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "clock.h"
#include "control.h"
#include "dedup.h"
#include "exceptions.h"
#include "feed.h"
#include "ingest.h"
#include "journal.h"
#include "json.h"
#include "kpi.h"
#include "log_limiter.h"
#include "order_engine.h"
#include "security.h"
#include "version.h"
#include "zap.h"

namespace baton {

namespace {

const system_clock_source system_clock;

struct counters {
    std::uint64_t accepted = 0;    // events committed from ingest
    std::uint64_t duplicates = 0;  // events acked again without being applied
    std::array<std::uint64_t, refusal_count> nacks{};
    std::uint64_t subscribed = 0;  // events committed from subscribe connectors
    std::uint64_t subscribe_refused = 0;
    std::uint64_t feed_gaps = 0;
    std::uint64_t batches = 0;
    std::uint64_t commit_failures = 0;
    std::uint64_t control_requests = 0;
    std::uint64_t reloads = 0;
    std::uint64_t reloads_refused = 0;
};

struct pending_ack {
    std::string peer;  // ROUTER identity
    std::string id;
};

// Replies and journal replays are trusted (batond wrote them): generous limits.
// What batond wrote itself (snapshots, records, the journal it admitted) is read back without
// the limits of untrusted input: anything it accepted must always be readable again.
decode_limits trusted_limits() {
    decode_limits l;
    l.max_array = 0xffffffff;
    l.max_map = 0xffffffff;
    l.max_string = 0xffffffff;
    l.max_depth = 0xffffffff;
    return l;
}

zmq::const_buffer buf(const std::string& s) {
    return zmq::buffer(s.data(), s.size());
}

}  // namespace

struct loop::impl final : control_context {
    impl(const config& c, loop_inputs in, zmq::context_t& context, const clock_source* clk)
        : cfg(c),
          schemas(std::move(in.schemas)),
          flow(std::move(in.flow)),
          seed_customers(std::move(in.customers)),
          clock(clk ? *clk : system_clock),
          ctx(context),
          ingest(ctx, zmq::socket_type::router),
          relay(ctx, zmq::socket_type::pub),
          control(ctx, zmq::socket_type::router),
          store(c.data_dir),
          dedup(c.dedup.window_us / 1000, c.dedup.max_entries),
          engine(flow, customer_book(seed_customers)),
          desk(flow),
          feed(c.feed_path, c.feed_max_bytes, c.feed_keep) {
        rules.schemas = &schemas;
        rules.limits = cfg.limits.decode;
        rules.max_envelope_bytes = cfg.limits.max_envelope_bytes;
        started_ms = clock.now_ms();
        last_snapshot_us = clock.steady_us();
        if (in.rebuild_state) {
            spdlog::info("rebuilding the order state from the journal, as asked");
            store.clear_snapshot();
        }
        rebuild();

        wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        reload_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_fd < 0 || reload_fd < 0)
            throw std::system_error(errno, std::generic_category(), "eventfd");
        store.set_max_bytes(cfg.storage_max_bytes);

        const auto max_msg = static_cast<std::int64_t>(cfg.limits.max_message_bytes);
        for (zmq::socket_t* sock : {&ingest, &control}) {
            sock->set(zmq::sockopt::maxmsgsize, max_msg);
            sock->set(zmq::sockopt::linger, 2000);  // let the last acks and replies leave
            sock->set(zmq::sockopt::sndhwm, 100000);
            sock->set(zmq::sockopt::rcvhwm, 10000);
        }
        relay.set(zmq::sockopt::sndhwm, 100000);
        relay.set(zmq::sockopt::linger, 0);
        if (cfg.security.curve) start_curve();
        ingest.bind(cfg.bus.ingest);
        relay.bind(cfg.bus.relay);
        control.bind(cfg.bus.control);
        for (const auto& sc : cfg.bus.subscribe) {
            zmq::socket_t sub(ctx, zmq::socket_type::sub);
            sub.set(zmq::sockopt::maxmsgsize, max_msg);
            sub.set(zmq::sockopt::linger, 0);
            if (sc.topics.empty()) sub.set(zmq::sockopt::subscribe, "");
            for (const auto& t : sc.topics) sub.set(zmq::sockopt::subscribe, t);
            if (sc.bind)
                sub.bind(sc.endpoint);
            else
                sub.connect(sc.endpoint);
            subs.push_back(std::move(sub));
        }
        spdlog::info(
            "batond {} listening: ingest {}, relay {}, control {}; journal {} ({} events, "
            "{} orders, relay seq {}, {} ids in the duplicate window)",
            version, endpoint_of(ingest), endpoint_of(relay), endpoint_of(control), store.path(),
            store.last_seq(), engine.orders().size(), engine.relay_seq(), dedup.size());
    }

    ~impl() override {
        if (wake_fd >= 0) ::close(wake_fd);
        if (reload_fd >= 0) ::close(reload_fd);
    }

    static std::string endpoint_of(const zmq::socket_t& s) {
        return s.get(zmq::sockopt::last_endpoint);
    }

    // --- start-up -------------------------------------------------------------------------

    // The duplicate window from the journal's recent entries; the order state from the last
    // snapshot plus the journal after it (the journal is the truth).
    void rebuild() {
        const std::int64_t horizon = clock.now_ms() - cfg.dedup.window_us / 1000;
        store.scan(0, false, [&](const journal_entry& e) {
            if (e.received_ms >= horizon)
                dedup.insert(dedup_window::key(e.source, e.id), e.seq, e.received_ms);
        });
        rebuild_state();
    }

    void rebuild_state() {
        std::unordered_map<std::string, std::string> latest;  // id -> its newest stored state
        std::size_t rows = 0;
        snapshot_header h =
            store.load_snapshot([&](const std::string& id, const std::string& bytes) {
                latest[id] = bytes;
                ++rows;
            });
        // The log keeps every state ever appended; at start, when most rows are superseded,
        // keep only the newest of each order so restarts do not slow down with history.
        if (rows > 2 * latest.size()) {
            store.compact_snapshot(latest);
            spdlog::info("snapshot log compacted: {} rows to {}", rows, latest.size());
        }
        std::vector<baton::order> orders;
        orders.reserve(latest.size());
        for (auto& [id, bytes] : latest) {
            value v;
            std::string error;
            if (!decode_msgpack(bytes, trusted_limits(), v, error))
                throw journal_error("snapshot of order " + id + " is unreadable: " + error);
            orders.push_back(order_from_value(v));
        }
        latest.clear();
        customer_book customers(seed_customers);
        if (h.journal_seq > 0) {
            value v;
            std::string error;
            if (!decode_msgpack(h.customers, trusted_limits(), v, error))
                throw journal_error("snapshot of the customers is unreadable: " + error);
            customer_book stored = customer_book::from_value(v);
            // Customers added to the seed file since the snapshot join; the rest keep what
            // the events made of them.
            for (const auto& [id, account] : customers.accounts())
                if (!stored.find(id)) stored.at(id) = account;
            customers = std::move(stored);
        }
        engine = order_engine(flow, std::move(customers));
        engine.restore(std::move(orders), engine.customers(), h.relay_seq);
        std::vector<relay_message> discard;
        std::size_t replayed = 0;
        store.scan(h.journal_seq, true, [&](const journal_entry& e) {
            envelope env;
            std::string reason;
            if (!decode_relayed(e.envelope, trusted_limits(), env, reason)) {
                spdlog::error("journal entry {} is unreadable ({}); skipped", e.seq, reason);
                return;
            }
            discard.clear();
            engine.apply(e.seq, e.received_ms, env, discard);
            ++replayed;
        });
        if (engine.relay_seq() != store.last_relay_seq()) {
            // The flow changed since these messages were sent: the outbox is what subscribers
            // saw, so numbering continues from it.
            if (engine.relay_seq() > 0 || store.last_relay_seq() > 0)
                spdlog::warn(
                    "replay gave relay seq {}, the outbox has {}; continuing from the "
                    "outbox",
                    engine.relay_seq(), store.last_relay_seq());
            engine.set_relay_seq(store.last_relay_seq());
        }
        spdlog::info(
            "order state: {} orders from the snapshot at journal seq {}, {} events "
            "replayed after it",
            engine.orders().size(), h.journal_seq, replayed);
        snapshot_seq = h.journal_seq;

        std::vector<exception_record> exceptions;
        std::vector<task_record> tasks;
        auto read = [&](const std::string& bytes, auto&& use) {
            value v;
            std::string error;
            if (!decode_msgpack(bytes, trusted_limits(), v, error))
                throw journal_error("a stored exception or task is unreadable: " + error);
            use(v);
        };
        store.load_records(
            [&](const std::string& b) {
                read(b, [&](const value& v) { exceptions.push_back(exception_from_value(v)); });
            },
            [&](const std::string& b) {
                read(b, [&](const value& v) { tasks.push_back(task_from_value(v)); });
            });
        desk = exception_desk(flow);
        desk.restore(std::move(exceptions), std::move(tasks), engine, clock.now_ms());
        feed_seq = store.last_feed_seq();
        feed.catch_up(store);
        spdlog::info("exceptions: {} open, {} open tasks, {} timers pending",
                     desk.open_exceptions(), desk.open_tasks(), desk.pending_timers());
    }

    // --- the loop -------------------------------------------------------------------------

    void run() {
        std::vector<zmq::pollitem_t> items;
        items.push_back({ingest.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({control.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({nullptr, wake_fd, ZMQ_POLLIN, 0});
        items.push_back({nullptr, reload_fd, ZMQ_POLLIN, 0});
        const std::size_t first_sub = items.size();
        for (auto& s : subs) items.push_back({s.handle(), 0, ZMQ_POLLIN, 0});

        bool stopping = false;
        while (!stopping) {
            // While storage fails, input waits in ZeroMQ and TCP (nothing is acked, so clients
            // keep their events); queries are still answered.
            const bool storing = storage_error.empty();
            items[0].events = storing ? ZMQ_POLLIN : 0;
            for (std::size_t i = first_sub; i < items.size(); ++i)
                items[i].events = storing ? ZMQ_POLLIN : 0;
            std::int64_t wait_ms = 1000;
            if (!storing) {
                wait_ms = std::max<std::int64_t>(0, (storage_retry_us - clock.steady_us()) / 1000);
            } else if (!entries.empty()) {
                std::int64_t left_us = batch_deadline_us - clock.steady_us();
                wait_ms = left_us <= 0 ? 0 : (left_us + 999) / 1000;
            }
            if (heartbeat) wait_ms = std::min<std::int64_t>(wait_ms, heartbeat_interval_us / 1000);
            const std::int64_t next_timer = desk.next_due_ms();
            // Timers wait while storage fails: they must not make the poll spin.
            if (storing && next_timer != std::numeric_limits<std::int64_t>::max())
                wait_ms = std::clamp<std::int64_t>(next_timer - clock.now_ms(), 0, wait_ms);
            std::chrono::milliseconds timeout(wait_ms);
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
            if (items[3].revents & ZMQ_POLLIN) {
                std::uint64_t n;
                [[maybe_unused]] auto r = ::read(reload_fd, &n, sizeof n);
                std::string error = reload();
                if (!error.empty()) spdlog::error("reload refused, nothing changed: {}", error);
            }
            if (items[1].revents & ZMQ_POLLIN) drain_control();
            if (heartbeat && clock.steady_us() - last_heartbeat_us >= heartbeat_interval_us) {
                last_heartbeat_us = clock.steady_us();
                heartbeat();  // alive, even while storage fails
            }
            if (!storage_error.empty()) {
                if (clock.steady_us() >= storage_retry_us) commit();  // try the same batch again
                continue;
            }
            if (items[0].revents & ZMQ_POLLIN) drain_ingest();
            for (std::size_t i = 0; i < subs.size(); ++i)
                if (items[first_sub + i].revents & ZMQ_POLLIN) drain_subscribe(subs[i]);
            if (storage_error.empty() && desk.next_due_ms() <= clock.now_ms()) {
                desk_output out;
                desk.on_time(clock.now_ms(), engine, out);
                if (!out.empty()) {
                    record(out);
                    commit();  // a deadline passed: tell people now, not with the next event
                }
            }
            if (!entries.empty() && clock.steady_us() >= batch_deadline_us) commit();
            if (entries.empty()) {
                dedup.expire(clock.now_ms());
                if (clock.steady_us() - last_snapshot_us >= cfg.snapshot.interval_us)
                    write_snapshot();
            }
        }
        // Stop reading; what was admitted is committed and acked before we close.
        commit();
        write_snapshot();
        spdlog::info("batond stopped: {} events in the journal", store.last_seq());
    }

    void stop() {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof one);
    }

    void request_reload() {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(reload_fd, &one, sizeof one);
    }

    // Re-reads the config's log level, the schemas, the flow and the customers, all or nothing.
    // "" when applied, else why nothing changed.
    std::string reload() {
        config next;
        loop_inputs in;
        try {
            next = load_config(cfg.file);
            in = load_inputs(next);
        } catch (const config_error& e) {
            ++stats.reloads_refused;
            return e.what();
        }
        if (next.data_dir != cfg.data_dir || next.bus.ingest != cfg.bus.ingest ||
            next.bus.relay != cfg.bus.relay || next.bus.control != cfg.bus.control ||
            next.feed_path != cfg.feed_path)
            spdlog::warn(
                "reload: data_dir, bus endpoints and the feed path change only with a "
                "restart; the rest is applied now");
        schemas = std::move(in.schemas);  // rules.schemas points at this member
        flow = std::move(in.flow);
        seed_customers = std::move(in.customers);
        engine.set_flow(flow);
        engine.update_masters(seed_customers);
        desk.set_flow(flow, engine, clock.now_ms());  // deadlines from now on use the new SLAs
        cfg.log_level = next.log_level;
        spdlog::set_level(spdlog::level::from_str(cfg.log_level));
        cfg.batch = next.batch;
        cfg.snapshot = next.snapshot;
        if (next.storage_max_bytes != cfg.storage_max_bytes) {
            cfg.storage_max_bytes = next.storage_max_bytes;
            store.set_max_bytes(cfg.storage_max_bytes);
        }
        update_security(next.security);
        ++stats.reloads;
        // Stored now, so a restart continues with what was reloaded (the seed customers above).
        write_snapshot(true);
        spdlog::info("reloaded {}: {} topics, {} stages, {} customers, log level {}", cfg.file,
                     schemas.topics().size(), flow.stages.size(), seed_customers.size(),
                     cfg.log_level);
        if (!storage_error.empty()) storage_retry_us = 0;  // maybe there is room now
        return "";
    }

    // --- security (CURVE, ZAP, rights) -----------------------------------------------------

    // Before the sockets bind: the ZAP handler first, so no handshake finds it missing.
    void start_curve() {
        zap = std::make_unique<zap_handler>(
            ctx, policy,
            std::vector<std::pair<std::string, zmq::socket_t*>>{
                {"ingest", &ingest}, {"relay", &relay}, {"control", &control}});
        for (zmq::socket_t* sock : {&ingest, &relay, &control})
            apply_curve_server(*sock, cfg.security);
        spdlog::info("CURVE on (ZAP domain {}): {} clients known; server public key {}", zap_domain,
                     cfg.security.clients.size(), cfg.security.server_public_key);
    }

    // The client name the ZAP handler gave the peer that sent `frame`; "" without CURVE.
    static std::string user_of(const zmq::message_t& frame) {
        const char* user = zmq_msg_gets(frame.handle(), "User-Id");
        return user ? user : "";
    }

    // "" when the sender of `frame` may run `request`, else the refusal (counted, logged).
    std::string control_rights(const value& request, const zmq::message_t& frame) {
        if (!policy->enabled()) return "";
        const value* cmd = request.is_map() ? request.find("cmd") : nullptr;
        const std::string name = cmd && cmd->is_string() ? cmd->as_string() : "";
        const std::string user = user_of(frame);
        std::string refused = policy->check_control(user, name);
        if (refused.empty()) return "";
        ++control_forbidden;
        std::uint64_t suppressed = 0;
        if (refusal_log.allow(clock.now_ms(), suppressed))
            spdlog::warn("control: refused '{}' from {}: {}{}", name,
                         user.empty() ? "(unknown)" : user, refused, log_limiter::more(suppressed));
        return refused;
    }

    // On reload: the client list and rights apply at once (to connected clients too, message
    // by message); turning CURVE on or off and the server key wait for a restart.
    void update_security(const security_config& next) {
        if (next.curve != cfg.security.curve ||
            next.server_secret_key != cfg.security.server_secret_key) {
            spdlog::warn(
                "reload: security.curve and security.server_secret_key change only with a "
                "restart; the client list is applied now");
        }
        if (!cfg.security.curve) return;
        cfg.security.clients = next.clients;
        policy = std::make_shared<access_policy>(cfg.security);
        zap->set_policy(policy);
    }

    // --- ingest ---------------------------------------------------------------------------

    void drain_ingest() {
        // Bounded so control requests are served while a producer floods us.
        const std::size_t budget = cfg.batch.max_events * 4;
        std::vector<zmq::message_t> frames;
        for (std::size_t n = 0; n < budget && storage_error.empty(); ++n) {
            frames.clear();
            auto got =
                zmq::recv_multipart(ingest, std::back_inserter(frames), zmq::recv_flags::dontwait);
            if (!got) break;
            on_ingest(frames);
        }
    }

    void on_ingest(std::vector<zmq::message_t>& frames) {
        std::string peer = frames[0].to_string();
        if (frames.size() != 3) {
            refuse(peer, "",
                   "decode: expected 2 frames [topic, envelope], got " +
                       std::to_string(frames.size() - 1));
            return;
        }
        envelope env;
        std::string reason;
        refusal r =
            admit_event(rules, frames[1].to_string_view(), frames[2].to_string_view(), env, reason);
        if (r != refusal::none) {
            refuse(peer, env.id, reason);
            return;
        }
        if (policy->enabled()) {
            // Who may publish what: decided by the CURVE identity, not by what the event says.
            reason = policy->check_publish(user_of(frames[2]), env.topic, env.source);
            if (!reason.empty()) {
                refuse(peer, env.id, reason);
                return;
            }
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
            spdlog::warn("nack {}: {}{}", id.empty() ? "(no id)" : reason_text(id), reason,
                         log_limiter::more(suppressed));
    }

    // Dedup, then into the open batch. `peer` is null for subscribe connectors (no ack).
    void accept(envelope env, std::string_view bytes, origin from, const std::string* peer) {
        const std::uint64_t key = dedup_window::key(env.source, env.id);
        // Every event with this hash is compared: a collision never drops an event, and a
        // second event under the same hash never hides the first one's duplicates.
        auto [first, last] = batch_keys.equal_range(key);
        for (auto it = first; it != last; ++it) {
            const journal_entry& e = entries[it->second];
            if (e.source == env.source && e.id == env.id) {
                // Same event again before its batch committed: ack it with the batch.
                ++stats.duplicates;
                if (peer) acks.push_back({*peer, env.id});
                return;
            }
        }
        for (std::int64_t seq : dedup.find_all(key)) {
            auto earlier = store.read(seq, false);
            if (earlier && earlier->source == env.source && earlier->id == env.id) {
                ++stats.duplicates;
                if (peer) send_ack(*peer, env.id);
                return;
            }
        }
        if (entries.empty()) batch_deadline_us = clock.steady_us() + cfg.batch.max_wait_us;
        journal_entry e;
        e.seq = store.last_seq() + static_cast<std::int64_t>(entries.size()) + 1;
        e.received_ms = clock.now_ms();
        // Applied now so that what it relays joins the same transaction; published only
        // after that commits.
        order_change change = engine.apply(e.seq, e.received_ms, env, relayed);
        desk_output out;
        desk.on_event(change, env, engine, e.received_ms, out);
        record(out);
        e.ts_ms = env.ts_ms;
        e.topic = std::move(env.topic);
        e.source = std::move(env.source);
        e.id = env.id;
        if (env.order) e.order = std::move(*env.order);
        e.origin = from;
        e.envelope.assign(bytes);
        keys.push_back(key);
        batch_keys.emplace(key, entries.size());
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
        if (batch.empty() && acks.empty()) return;
        try {
            store.commit(batch);
        } catch (const journal_error& e) {
            // Nothing of this batch is acked or relayed. It is kept as it is (the order state
            // already includes it) and written again every second; meanwhile no input is read.
            ++stats.commit_failures;
            if (storage_error.empty()) {
                storage_failing_since_ms = clock.now_ms();
                spdlog::critical(
                    "storage failing, acking nothing until it can write again: {} "
                    "({} events waiting)",
                    e.what(), entries.size());
            } else if (stats.commit_failures % 60 == 0) {
                spdlog::critical("storage still failing after {} attempts: {}",
                                 stats.commit_failures, e.what());
            }
            storage_error = e.what();
            storage_retry_us = clock.steady_us() + 1000000;
            return;
        }
        if (!storage_error.empty()) {
            spdlog::warn("storage recovered: {} events committed after {} s of failures",
                         entries.size(), (clock.now_ms() - storage_failing_since_ms) / 1000);
            storage_error.clear();
        }
        ++stats.batches;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const journal_entry& e = entries[i];
            dedup.insert(keys[i], e.seq, e.received_ms);
            if (e.origin == origin::ingest)
                ++stats.accepted;
            else
                ++stats.subscribed;
        }
        for (const auto& a : acks) send_ack(a.peer, a.id);
        for (const auto& m : relayed) {
            std::array<zmq::const_buffer, 2> msg = {buf(m.topic), buf(m.envelope)};
            (void)zmq::send_multipart(relay, msg, zmq::send_flags::dontwait);
        }
        const std::uint64_t feed_errors = feed.write_errors();
        feed.append(batch.feed);
        if (feed.write_errors() != feed_errors || feed.last_seq() < store.last_feed_seq())
            feed.catch_up(store);  // lines a failed write left out go in as soon as it can
        clear_batch();
        // Small snapshots often rather than a large one that would hold up the acks.
        if (engine.changed_count() >= cfg.snapshot.max_orders) write_snapshot();
    }

    void clear_batch() {
        batch.clear();
        keys.clear();
        acks.clear();
        batch_keys.clear();
    }

    // Exception and task changes join the open batch: stored, fed and relayed with it.
    void record(const desk_output& out) {
        const std::int64_t now = clock.now_ms();
        for (const auto& ev : out.exceptions) {
            value rec = to_value(ev.record);
            batch.exceptions.emplace_back(ev.record.id, encode_msgpack(rec));
            if (ev.state == exception_transition::updated)
                continue;  // bookkeeping: nothing for people to see
            value line;
            line.set("fseq", static_cast<unsigned long long>(++feed_seq));
            line.set("ts", static_cast<long long>(now));
            line.set("state", transition_name(ev.state));
            line.set("id", exception_id_text(ev.record.id));
            line.set("kind", kind_name(ev.record.kind));
            line.set("severity", severity_name(ev.record.level));
            line.set("dept", ev.record.dept);
            line.set("order", ev.record.order);
            line.set("customer", ev.record.customer);
            line.set("detail", ev.record.detail);
            if (!ev.record.by.empty()) line.set("by", ev.record.by);
            if (!ev.record.note.empty()) line.set("note", ev.record.note);
            if (!ev.cause.empty()) line.set("cause", ev.cause);
            batch.feed.emplace_back(feed_seq, to_json(line));
            value data = rec;
            data.set("status", state_name(ev.record.state));  // open, acknowledged or resolved
            data.set("state", transition_name(ev.state));     // what just happened to it
            data.set("ts", static_cast<long long>(now));
            engine.emit_notice(relayed, std::string("exception.") + kind_name(ev.record.kind),
                               ev.record.order, ev.cause, now, std::move(data));
        }
        for (const auto& ev : out.tasks) {
            value rec = to_value(ev.record);
            batch.tasks.emplace_back(ev.record.id, encode_msgpack(rec));
            value data = rec;
            data.set("status", state_name(ev.record.state));
            data.set("state", transition_name(ev.state));
            data.set("ts", static_cast<long long>(now));
            engine.emit_notice(relayed, "task." + ev.record.dept, ev.record.order, ev.cause, now,
                               data);
            if (ev.state == task_transition::escalated)
                engine.emit_notice(relayed, "task.escalation", ev.record.order, ev.cause, now,
                                   std::move(data));
        }
    }

    // Stores the orders changed since the last snapshot; a restart replays only what follows.
    void write_snapshot(bool force = false) {
        last_snapshot_us = clock.steady_us();
        if (!storage_error.empty() || !batch.empty()) return;  // only at a committed point
        if (store.last_seq() == snapshot_seq && !force) return;
        std::vector<std::pair<std::string, std::string>> changed;
        for (const auto& id : engine.take_changed())
            if (const baton::order* o = engine.find(id))
                changed.emplace_back(id, encode_msgpack(to_value(*o)));
        snapshot_header h;
        h.journal_seq = store.last_seq();
        h.relay_seq = engine.relay_seq();
        h.customers = encode_msgpack(engine.customers_value());
        try {
            store.write_snapshot(h, changed);
            snapshot_seq = h.journal_seq;
            spdlog::debug("snapshot: {} orders at journal seq {}", changed.size(), h.journal_seq);
        } catch (const journal_error& e) {
            // Not fatal: the journal holds everything; the next restart replays more.
            spdlog::warn("snapshot failed: {}", e.what());
            for (const auto& entry : changed) engine.mark_changed(entry.first);
        }
    }

    // --- subscribe connectors (at-most-once) ----------------------------------------------

    void drain_subscribe(zmq::socket_t& sub) {
        std::vector<zmq::message_t> frames;
        for (std::size_t n = 0; n < cfg.batch.max_events * 4 && storage_error.empty(); ++n) {
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
                r = admit_event(rules, frames[0].to_string_view(), frames[1].to_string_view(), env,
                                reason);
            if (!reason.empty() && r != refusal::none) {
                ++stats.subscribe_refused;
                std::uint64_t suppressed = 0;
                if (refusal_log.allow(clock.now_ms(), suppressed))
                    spdlog::warn("subscribe: dropped {}: {}",
                                 env.id.empty() ? "(no id)" : reason_text(env.id), reason);
                continue;
            }
            if (env.seq) {
                auto [it, fresh] = source_seq.try_emplace(env.source, *env.seq);
                if (!fresh) {
                    if (*env.seq != it->second + 1) {
                        ++stats.feed_gaps;
                        spdlog::warn("feed gap from source {}: expected seq {}, got {}", env.source,
                                     it->second + 1, *env.seq);
                        desk_output out;
                        desk.on_feed_gap(env.source, env.topic, it->second + 1, *env.seq,
                                         clock.now_ms(), out);
                        record(out);
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
                else if (std::string refused = control_rights(request, frames.back());
                         !refused.empty())
                    reply = control_error(refused);
                else
                    try {
                        reply = handle_control(request, *this);
                    } catch (const journal_error& e) {
                        // A read failed (the database is in trouble): say so, keep serving.
                        reply = control_error("storage: " + std::string(e.what()));
                    }
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
        r.set("orders", static_cast<unsigned long long>(engine.orders().size()));
        r.set("orders_open", static_cast<unsigned long long>(engine.open_orders()));
        r.set("exceptions_open", static_cast<unsigned long long>(desk.open_exceptions()));
        r.set("tasks_open", static_cast<unsigned long long>(desk.open_tasks()));
        r.set("timers_pending", static_cast<unsigned long long>(desk.pending_timers()));
        r.set("relay_seq", static_cast<unsigned long long>(store.last_relay_seq()));
        r.set("storage", storage_error.empty() ? std::string("ok") : "failing: " + storage_error);
        if (!storage_error.empty())
            r.set("storage_failing_since", static_cast<long long>(storage_failing_since_ms));
        value c;
        c.set("accepted", static_cast<unsigned long long>(stats.accepted));
        c.set("duplicates", static_cast<unsigned long long>(stats.duplicates));
        value nacks;
        for (auto code : {refusal::decode, refusal::envelope, refusal::schema, refusal::topic,
                          refusal::forbidden, refusal::limit})
            nacks.set(refusal_name(code),
                      static_cast<unsigned long long>(stats.nacks[static_cast<std::size_t>(code)]));
        c.set("nacks", std::move(nacks));
        c.set("subscribed", static_cast<unsigned long long>(stats.subscribed));
        c.set("subscribe_refused", static_cast<unsigned long long>(stats.subscribe_refused));
        c.set("feed_gaps", static_cast<unsigned long long>(stats.feed_gaps));
        c.set("batches", static_cast<unsigned long long>(stats.batches));
        c.set("commit_failures", static_cast<unsigned long long>(stats.commit_failures));
        c.set("control_requests", static_cast<unsigned long long>(stats.control_requests));
        c.set("auth_refused", static_cast<unsigned long long>(zap ? zap->refused() : 0));
        c.set("handshakes_failed",
              static_cast<unsigned long long>(zap ? zap->handshakes_failed() : 0));
        c.set("control_forbidden", static_cast<unsigned long long>(control_forbidden));
        c.set("reloads", static_cast<unsigned long long>(stats.reloads));
        c.set("reloads_refused", static_cast<unsigned long long>(stats.reloads_refused));
        c.set("dedup_entries", static_cast<unsigned long long>(dedup.size()));
        r.set("counters", std::move(c));
        return r;
    }

    std::optional<value> order(const std::string& id) override {
        const baton::order* o = engine.find(id);
        if (!o) return std::nullopt;
        value r;
        r.set("id", o->id);
        r.set("customer", o->customer);
        r.set("stage", o->stage);
        r.set("holder", o->holder);
        r.set("since", static_cast<long long>(o->stage_since_ms));
        value milestones(value_map{});
        for (const auto& [name, m] : o->milestones)
            milestones.set(name, static_cast<long long>(m.at_ms));
        r.set("milestones", std::move(milestones));
        value_list holds;
        for (const auto& h : o->holds) holds.emplace_back(h);
        r.set("holds", value(std::move(holds)));
        r.set("promised_date", o->promised_date);
        r.set("amount_cents", static_cast<long long>(o->amount_cents));
        r.set("paid_cents", static_cast<long long>(o->paid_cents));
        r.set("terms", o->terms);
        r.set("new_die", o->new_die);
        if (!o->planned_finish.empty()) r.set("planned_finish", o->planned_finish);
        r.set("lines", o->lines.is_nil() ? value(value_list{}) : o->lines);
        value_list concerned;
        for (const auto& d : o->departments) concerned.emplace_back(d);
        r.set("departments", value(std::move(concerned)));
        value full = to_value(*o);
        r.set("cases", *full.find("cases"));
        if (o->cancelled) r.set("cancel_reason", o->cancel_reason);
        value_list history;
        history.reserve(o->events.size());
        for (std::int64_t seq : o->events) {
            auto e = store.read(seq, false);
            if (!e) continue;  // in the open batch, not yet committed
            value h;
            h.set("ts", static_cast<long long>(e->ts_ms));
            h.set("topic", e->topic);
            h.set("id", e->id);
            h.set("source", e->source);
            h.set("received", static_cast<long long>(e->received_ms));
            h.set("seq", static_cast<long long>(e->seq));
            history.push_back(std::move(h));
        }
        r.set("history", value(std::move(history)));
        value_list exceptions;
        for (const exception_record* e : desk.exceptions_of(id)) exceptions.push_back(to_value(*e));
        r.set("exceptions", value(std::move(exceptions)));
        value_list tasks;
        for (const task_record* t : desk.tasks_of(id)) tasks.push_back(to_value(*t));
        r.set("tasks", value(std::move(tasks)));
        return r;
    }

    value exceptions(const exception_filter& f) override {
        value_list list;
        for (const exception_record* e : desk.exceptions(f)) list.push_back(to_value(*e));
        value r;
        r.set("exceptions", value(std::move(list)));
        return r;
    }

    value tasks(const task_filter& f) override {
        value_list list;
        for (const task_record* t : desk.tasks(f)) list.push_back(to_value(*t));
        value r;
        r.set("tasks", value(std::move(list)));
        return r;
    }

    std::string act(const std::string& cmd, std::uint64_t id, const std::string& by,
                    const std::string& note) override {
        if (cmd == "reload") return reload();
        if (!storage_error.empty())
            return "storage is failing (" + storage_error + "); nothing can be changed now";
        desk_output out;
        std::string error;
        const std::int64_t now = clock.now_ms();
        bool done = cmd == "ack"       ? desk.acknowledge(id, by, note, now, out, error)
                    : cmd == "resolve" ? desk.resolve(id, by, note, now, out, error)
                                       : desk.task_done(id, by, note, now, out, error);
        if (!done) return error;
        record(out);
        commit();  // durable, fed and relayed before the reply says ok
        if (!storage_error.empty())
            return "storage is failing (" + storage_error +
                   "); the change is kept and will be "
                   "stored when it can write again";
        return "";
    }

    value kpi(std::int64_t since_ms, std::int64_t until_ms) override {
        return compute_kpis(engine.orders(), desk.all_exceptions(), flow,
                            kpi_window{since_ms, until_ms});
    }

    value orders(const orders_query& q) override {
        std::vector<const baton::order*> found;
        for (const auto& [id, o] : engine.orders()) {
            if (!q.stage.empty() && o.stage != q.stage) continue;
            if (!q.holder.empty() && o.holder != q.holder) continue;
            if (!q.customer.empty() && o.customer != q.customer) continue;
            found.push_back(&o);
        }
        // Longest-waiting first: that is the order a clerk chases.
        std::sort(found.begin(), found.end(), [](const baton::order* a, const baton::order* b) {
            return a->stage_since_ms != b->stage_since_ms ? a->stage_since_ms < b->stage_since_ms
                                                          : a->id < b->id;
        });
        value_list list;
        for (std::size_t i = 0; i < found.size() && i < q.limit; ++i) {
            value v;
            v.set("id", found[i]->id);
            v.set("customer", found[i]->customer);
            v.set("stage", found[i]->stage);
            v.set("holder", found[i]->holder);
            v.set("since", static_cast<long long>(found[i]->stage_since_ms));
            list.push_back(std::move(v));
        }
        value r;
        r.set("orders", value(std::move(list)));
        r.set("total", static_cast<unsigned long long>(found.size()));
        return r;
    }

    value replay(std::uint64_t since, std::size_t limit) override {
        value_list list;
        for (auto& m : store.read_outbox(since, limit)) {
            value v;
            v.set("seq", static_cast<unsigned long long>(m.seq));
            v.set("topic", m.topic);
            value env;
            std::string error;
            if (!decode_msgpack(m.envelope, trusted_limits(), env, error)) env = value();
            v.set("envelope", std::move(env));
            list.push_back(std::move(v));
        }
        value r;
        r.set("messages", value(std::move(list)));
        r.set("relay_seq", static_cast<unsigned long long>(store.last_relay_seq()));
        return r;
    }

    config cfg;
    schema_set schemas;
    flow_def flow;
    std::vector<customer> seed_customers;
    ingest_rules rules;
    const clock_source& clock;
    zmq::context_t& ctx;
    zmq::socket_t ingest, relay, control;
    std::vector<zmq::socket_t> subs;
    // Who may connect and what each client may do; replaced whole on reload (security.h).
    std::shared_ptr<const access_policy> policy = std::make_shared<access_policy>(cfg.security);
    std::unique_ptr<zap_handler> zap;     // with CURVE only; declared after the sockets it watches
    std::uint64_t control_forbidden = 0;  // control requests refused for want of rights
    int wake_fd = -1;
    int reload_fd = -1;
    std::string storage_error;  // "" while commits succeed
    std::int64_t storage_retry_us = 0;
    std::int64_t storage_failing_since_ms = 0;
    journal store;
    dedup_window dedup;
    order_engine engine;
    exception_desk desk;
    feed_writer feed;
    std::uint64_t feed_seq = 0;  // the last exception feed line numbered
    std::int64_t started_ms = 0;
    std::int64_t last_snapshot_us = 0;
    std::int64_t snapshot_seq = 0;  // journal seq the stored snapshot reaches

    // The open batch.
    journal_batch batch;  // events, relay messages, exceptions, tasks, feed
    std::vector<journal_entry>& entries = batch.entries;
    std::vector<relay_message>& relayed = batch.relayed;
    std::vector<std::uint64_t> keys;  // dedup keys, parallel to entries
    std::vector<pending_ack> acks;
    std::unordered_multimap<std::uint64_t, std::size_t> batch_keys;  // dedup key -> entries
    std::int64_t batch_deadline_us = 0;

    std::function<void()> heartbeat;
    std::int64_t heartbeat_interval_us = 0;
    std::int64_t last_heartbeat_us = 0;

    std::map<std::string, std::uint64_t> source_seq;  // last seq per subscribed source
    counters stats;
    log_limiter refusal_log{10};
};

loop_inputs load_inputs(const config& cfg) {
    loop_inputs in;
    in.schemas = schema_set::load(cfg.schemas_dir);
    in.flow = load_flow(cfg.flow_file);
    in.customers = load_customers(cfg.customers_file);
    return in;
}

loop::loop(const config& cfg, loop_inputs inputs, zmq::context_t& context,
           const clock_source* clock)
    : impl_(std::make_unique<impl>(cfg, std::move(inputs), context, clock)) {}

loop::~loop() = default;

void loop::run() {
    impl_->run();
}
void loop::stop() {
    impl_->stop();
}
void loop::reload() {
    impl_->request_reload();
}
void loop::set_heartbeat(std::function<void()> fn, std::int64_t interval_ms) {
    impl_->heartbeat = std::move(fn);
    impl_->heartbeat_interval_us = std::max<std::int64_t>(interval_ms, 1) * 1000;
}
std::string loop::ingest_endpoint() const {
    return impl::endpoint_of(impl_->ingest);
}
std::string loop::relay_endpoint() const {
    return impl::endpoint_of(impl_->relay);
}
std::string loop::control_endpoint() const {
    return impl::endpoint_of(impl_->control);
}

}  // namespace baton
