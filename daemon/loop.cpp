// The event loop: polling, framing and wiring. Each step is a call to a named part; what the
// parts hand back (acks, relay messages, replies) goes out on the sockets here.
#include "loop.h"

#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <map>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "batch.h"
#include "clock.h"
#include "control_views.h"
#include "endpoint.h"
#include "log_limiter.h"
#include "metrics_board.h"
#include "metrics_collect.h"
#include "metrics_server.h"
#include "recovery.h"
#include "reload.h"
#include "security.h"
#include "version.h"
#include "zap.h"

namespace baton {

namespace {

const system_clock_source system_clock;

zmq::const_buffer buf(const std::string& s) {
    return zmq::buffer(s.data(), s.size());
}

// The client name the ZAP handler gave the peer that sent `frame`; "" without CURVE.
std::string user_of(const zmq::message_t& frame) {
    const char* user = zmq_msg_gets(frame.handle(), "User-Id");
    return user ? user : "";
}

std::string endpoint_of(const zmq::socket_t& s) {
    return s.get(zmq::sockopt::last_endpoint);
}

}  // namespace

struct loop::impl final : control_actions {
    impl(const config& c, loop_inputs in, zmq::context_t& context, const clock_source* clk)
        : stop_requested(in.stop_requested),
          rebuild_state(in.rebuild_state),
          board(c.metrics.enabled ? std::make_unique<metrics_board>(clk ? *clk : system_clock)
                                  : nullptr),
          metrics(start_metrics(c, board.get())),
          state(c, std::move(in), clk ? *clk : system_clock),
          stage(state),
          views(state, stage, *this, [this] { return socket_figures(); }),
          ctx(context),
          ingest(ctx, zmq::socket_type::router),
          relay(ctx, zmq::socket_type::pub),
          control(ctx, zmq::socket_type::router) {
        // The metrics' first count of a million orders is made beside the desk's timers.
        const recovery_result r = recover(state, rebuild_state, stop_requested, [this] {
            if (board) collector.count_labels(state);
        });
        stage.set_snapshot_seq(r.snapshot_seq);
        // A rebuilt state is stored now, while /readyz still says "loading state": every order
        // changed, and a snapshot of all of them would otherwise be taken in the way of the
        // first events and queries.
        if (rebuild_state) stage.write_snapshot(true);
        stage.notice_writer() = notices(r.feed_seq);
        state.store.set_max_bytes(state.cfg.storage_max_bytes);

        wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        reload_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake_fd < 0 || reload_fd < 0)
            throw std::system_error(errno, std::generic_category(), "eventfd");
        open_sockets();
        if (board) {
            // Loaded and bound: from now on /readyz may say ready and /healthz watches the loop.
            board->note_turn(state.clock.steady_us());
            board->publish(collector.collect(state, stage, socket_figures()));
        }
        spdlog::info(
            "batond {} listening: ingest {}, relay {}, control {}; journal {} ({} events, {} "
            "orders, relay seq {}, {} ids in the duplicate window)",
            version, endpoint_of(ingest), endpoint_of(relay), endpoint_of(control),
            state.store.path(), state.store.last_seq(), state.engine.orders().size(),
            state.engine.relay_seq(), state.dedup.size());
    }

    // The metrics listener starts before the state loads, so /readyz can say "loading state".
    static std::unique_ptr<metrics_server> start_metrics(const config& c, metrics_board* board) {
        if (!board) return nullptr;
        auto server = std::make_unique<metrics_server>(c.metrics, *board);
        spdlog::info("metrics: http://{}/metrics, /healthz, /readyz", server->endpoint());
        if (!is_loopback_host(c.metrics.host))
            spdlog::warn(
                "metrics: {} is reachable from other machines and has no authentication (it "
                "shows counts, no order data): keep it behind a firewall",
                server->endpoint());
        return server;
    }

    socket_counters socket_figures() const {
        return socket_counters{zap ? zap->refused() : 0, zap ? zap->handshakes_failed() : 0};
    }

    // A scrape asked for figures: hand it a snapshot (the listener never reads our state).
    void publish_metrics() {
        board->take_requests();
        board->publish(collector.collect(state, stage, socket_figures()));
    }

    ~impl() override {
        if (wake_fd >= 0) ::close(wake_fd);
        if (reload_fd >= 0) ::close(reload_fd);
    }

    void open_sockets() {
        const config& cfg = state.cfg;
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
    }

    // --- the loop ---------------------------------------------------------------------------

    // How long the poll may sleep: until the open batch is due, the next timer, the next
    // heartbeat or the next storage retry, at most a second.
    std::int64_t poll_timeout_ms() const {
        const clock_source& clock = state.clock;
        std::int64_t wait_ms = 1000;
        if (stage.storage_failing()) {
            wait_ms = std::max<std::int64_t>(0, (stage.retry_due_us() - clock.steady_us()) / 1000);
        } else if (stage.events() > 0 && !stage.writing()) {
            // (While a batch is with the writer, its outcome wakes the poll.)
            const std::int64_t left_us = stage.deadline_us() - clock.steady_us();
            wait_ms = left_us <= 0 ? 0 : (left_us + 999) / 1000;
        }
        if (heartbeat) wait_ms = std::min<std::int64_t>(wait_ms, heartbeat_interval_us / 1000);
        // Encoded snapshot rows are taken back soon after the encoder is done.
        if (stage.snapshot_in_flight()) wait_ms = std::min<std::int64_t>(wait_ms, 2);
        if (queries_held()) {
            std::int64_t until_us = control_resume_us;
            if (stage.events() == 0) until_us = std::min(until_us, last_ingest_us + ingest_busy_us);
            wait_ms = std::min<std::int64_t>(wait_ms, (until_us - clock.steady_us() + 999) / 1000);
        }
        const std::int64_t next_timer = state.desk.next_due_ms();
        // Timers wait while storage fails: they must not make the poll spin.
        if (!stage.storage_failing() && next_timer != std::numeric_limits<std::int64_t>::max())
            wait_ms = std::clamp<std::int64_t>(next_timer - clock.now_ms(), 0, wait_ms);
        return wait_ms;
    }

    void run() {
        const clock_source& clock = state.clock;
        std::vector<zmq::pollitem_t> items;
        items.push_back({ingest.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({control.handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({nullptr, wake_fd, ZMQ_POLLIN, 0});
        items.push_back({nullptr, reload_fd, ZMQ_POLLIN, 0});
        const std::size_t metrics_item = items.size();
        if (board) items.push_back({nullptr, board->wake_fd(), ZMQ_POLLIN, 0});
        // The journal writer's outcome (its eventfd is read when the outcome is taken).
        if (stage.writer_fd() >= 0) items.push_back({nullptr, stage.writer_fd(), ZMQ_POLLIN, 0});
        const std::size_t first_sub = items.size();
        for (auto& s : subs) items.push_back({s.handle(), 0, ZMQ_POLLIN, 0});

        // A stop asked for before the loop ran (a signal during start-up) is honoured now.
        bool stopping = stop_requested && stop_requested->load();
        while (!stopping) {
            // While storage fails, input waits in ZeroMQ and TCP (nothing is acked, so clients
            // keep their events); queries are still answered. So it does while the open batch
            // is full and the writer still busy with the one before.
            const short input = stage.storage_failing() || stage.input_blocked() ? 0 : ZMQ_POLLIN;
            items[0].events = input;
            for (std::size_t i = first_sub; i < items.size(); ++i) items[i].events = input;
            // Queries held back for ingest's share are left out of the poll, so that the loop
            // does not spin on them while it waits for events or the batch's deadline.
            items[1].events = queries_held() ? 0 : ZMQ_POLLIN;
            try {
                zmq::poll(items.data(), items.size(), std::chrono::milliseconds(poll_timeout_ms()));
            } catch (const zmq::error_t& e) {
                if (e.num() == EINTR) continue;
                throw;
            }
            if (board) {
                board->note_turn(clock.steady_us());  // for /healthz: one relaxed store
                if (items[metrics_item].revents & ZMQ_POLLIN) publish_metrics();
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
            const bool events_wait = (items[0].revents & ZMQ_POLLIN) || ingest_busy();
            if (items[1].revents & ZMQ_POLLIN) drain_control(events_wait);
            if (heartbeat && clock.steady_us() - last_heartbeat_us >= heartbeat_interval_us) {
                last_heartbeat_us = clock.steady_us();
                heartbeat();  // alive, even while storage fails
            }
            pump();  // the writer's outcome: acks of the batch it committed
            if (stage.storage_failing()) {
                if (clock.steady_us() >= stage.retry_due_us()) flush();  // the same batch again
                continue;
            }
            if (items[0].revents & ZMQ_POLLIN) drain_ingest();
            for (std::size_t i = 0; i < subs.size(); ++i)
                if (items[first_sub + i].revents & ZMQ_POLLIN) drain_subscribe(subs[i]);
            // Encoded snapshot rows ride with the open batch, or go alone when none is open.
            stage.poll_snapshot();
            // A deadline passed: tell people now, not with the next event.
            if (!stage.storage_failing() && state.desk.next_due_ms() <= clock.now_ms() &&
                stage.on_time())
                flush();
            pump();  // a due or full batch to the writer, once it is free
            if (stage.events() == 0) {
                state.dedup.expire(clock.now_ms());
                if (stage.snapshot_due()) stage.start_snapshot();
            }
        }
        shut_down();
    }

    // Stop reading; what was admitted is committed and acked before we close.
    void shut_down() {
        if (board) board->mark_stopping();
        flush();
        if (stage.storage_failing()) {
            const std::size_t dropped = stage.drop();
            send_committed(stage.take_committed());  // what committed before the failing batch
            if (dropped > 0)
                spdlog::error(
                    "stopping while storage fails ({}): {} events of the waiting batch were "
                    "never acked and are dropped; their senders still hold them and will resend",
                    stage.storage_error(), dropped);
        }
        stage.write_snapshot();
        save_dedup_checkpoint(state);
        spdlog::info("batond stopped: {} events in the journal", state.store.last_seq());
    }

    void stop() {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wake_fd, &one, sizeof one);
    }

    void request_reload() {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(reload_fd, &one, sizeof one);
    }

    // Commits everything now, waiting for the writer, and sends what it hands back.
    void flush() {
        std::optional<committed_batch> done = stage.commit();
        // Storage failed: the failed batch is kept, nothing of it acked; what committed before
        // it is sent.
        send_committed(done ? *done : stage.take_committed());
    }

    // The pipeline without waiting: what the writer committed is sent, a due batch handed over.
    void pump() {
        stage.pump();
        if (stage.has_committed()) send_committed(stage.take_committed());
    }

    // Acks first, then relay messages.
    void send_committed(const committed_batch& done) {
        if (done.acks.empty() && done.relayed.empty()) return;
        const std::int64_t sent_us = state.clock.steady_us();
        for (const auto& a : done.acks) {
            send_ack(a.peer, a.id);
            if (a.read_us > 0)
                state.histograms.ack_latency.observe(static_cast<double>(sent_us - a.read_us) /
                                                     1e6);
        }
        for (const auto& m : done.relayed) {
            std::array<zmq::const_buffer, 2> msg = {buf(m.topic), buf(m.envelope)};
            (void)zmq::send_multipart(relay, msg, zmq::send_flags::dontwait);
        }
    }

    // --- control actions (control_views hands changes here: commit before the reply) ---------

    std::string act(desk_action action, std::uint64_t id, const std::string& by,
                    const std::string& note, const std::string& to) override {
        std::string refused = stage.act(action, id, by, note, to);
        if (!refused.empty()) return refused;
        flush();  // durable, fed and relayed before the reply says ok
        if (stage.storage_failing())
            return "storage is failing (" + stage.storage_error() +
                   "); the change is kept and will be stored when it can write again";
        return "";
    }

    std::string reload() override {
        security_config security;
        std::string refused = reload_files(state, security);
        if (!refused.empty()) return refused;
        update_security(security);
        // Stored now, so a restart continues with what was reloaded (the seed customers).
        stage.write_snapshot(true);
        if (stage.storage_failing()) stage.retry_soon();  // maybe there is room now
        return "";
    }

    // --- security (CURVE, ZAP, rights) -------------------------------------------------------

    // Before the sockets bind: the ZAP handler first, so no handshake finds it missing.
    void start_curve() {
        const security_config& sec = state.cfg.security;
        zap = std::make_unique<zap_handler>(
            ctx, policy,
            std::vector<std::pair<std::string, zmq::socket_t*>>{
                {"ingest", &ingest}, {"relay", &relay}, {"control", &control}});
        for (zmq::socket_t* sock : {&ingest, &relay, &control}) apply_curve_server(*sock, sec);
        spdlog::info("CURVE on (ZAP domain {}): {} clients known; server public key {}", zap_domain,
                     sec.clients.size(), sec.server_public_key);
    }

    // "" when the sender of `frame` may run `request`, else the refusal (counted, logged).
    std::string control_rights(const value& request, const zmq::message_t& frame) {
        if (!policy->enabled()) return "";
        const value* cmd = request.is_map() ? request.find("cmd") : nullptr;
        const std::string name = cmd && cmd->is_string() ? cmd->as_string() : "";
        const std::string user = user_of(frame);
        std::string refused = policy->check_control(user, right_needed(name));
        if (refused.empty()) return "";
        ++state.stats.control_forbidden;
        std::uint64_t suppressed = 0;
        if (refusal_log.allow(state.clock.now_ms(), suppressed))
            spdlog::warn("control: refused '{}' from {}: {}{}", reason_text(name),
                         user.empty() ? "(unknown)" : user, refused, log_limiter::more(suppressed));
        return refused;
    }

    // On reload: the client list and rights apply at once (to connected clients too, message
    // by message); turning CURVE on or off and the server key wait for a restart.
    void update_security(const security_config& next) {
        security_config& current = state.cfg.security;
        if (next.curve != current.curve || next.server_secret_key != current.server_secret_key)
            spdlog::warn(
                "reload: security.curve and security.server_secret_key change only with a "
                "restart; the client list is applied now");
        if (!current.curve) return;
        current.clients = next.clients;
        policy = std::make_shared<access_policy>(current);
        zap->set_policy(policy);
    }

    // --- ingest -------------------------------------------------------------------------------

    void drain_ingest() {
        // Bounded so control requests are served while a producer floods us.
        const std::size_t budget = state.cfg.batch.max_events * 4;
        std::vector<zmq::message_t> frames;
        for (std::size_t n = 0; n < budget && !stage.storage_failing() && !stage.input_blocked();
             ++n) {
            frames.clear();
            if (!zmq::recv_multipart(ingest, std::back_inserter(frames), zmq::recv_flags::dontwait))
                break;
            last_ingest_us = state.clock.steady_us();
            on_ingest(frames);
        }
    }

    void on_ingest(std::vector<zmq::message_t>& frames) {
        const std::int64_t read_us = state.clock.steady_us();
        ++state.stats.received;
        std::string peer = frames[0].to_string();
        if (frames.size() != 3) {
            refuse(peer, "", refusal::decode,
                   "decode: expected 2 frames [topic, envelope], got " +
                       std::to_string(frames.size() - 1));
            return;
        }
        envelope env;
        std::string reason;
        refusal r = admit_event(state.rules, frames[1].to_string_view(), frames[2].to_string_view(),
                                env, reason);
        if (r != refusal::none) {
            refuse(peer, env.id, r, reason);
            return;
        }
        if (policy->enabled()) {
            // Who may publish what: decided by the CURVE identity, not by what the event says.
            reason = policy->check_publish(user_of(frames[2]), env.topic, env.source);
            if (!reason.empty()) {
                refuse(peer, env.id, refusal::forbidden, reason);
                return;
            }
        }
        admit(std::move(env), frames[2].to_string_view(), origin::ingest, &peer, read_us);
    }

    // Into the batch stage; a duplicate of a committed event is acked at once, a full batch is
    // committed at once.
    void admit(envelope&& env, std::string_view bytes, origin from, const std::string* peer,
               std::int64_t read_us = 0) {
        // A duplicate is not taken: `env` is as it was, and its id is the ack's.
        if (stage.accept(std::move(env), bytes, from, peer, read_us) ==
                admission::duplicate_committed &&
            peer)
            send_ack(*peer, env.id);  // NOLINT(bugprone-use-after-move): not moved, see above
        if (stage.full()) pump();     // to the writer at once when it is free
    }

    void refuse(const std::string& peer, const std::string& id, refusal code,
                const std::string& reason) {
        ++state.stats.nacks[static_cast<std::size_t>(code)];
        std::array<zmq::const_buffer, 4> msg = {buf(peer), zmq::str_buffer("nack"), buf(id),
                                                buf(reason)};
        (void)zmq::send_multipart(ingest, msg, zmq::send_flags::dontwait);
        std::uint64_t suppressed = 0;
        if (refusal_log.allow(state.clock.now_ms(), suppressed))
            spdlog::warn("nack {}: {}{}", id.empty() ? "(no id)" : reason_text(id), reason,
                         log_limiter::more(suppressed));
    }

    void send_ack(const std::string& peer, const std::string& id) {
        std::array<zmq::const_buffer, 3> msg = {buf(peer), zmq::str_buffer("ack"), buf(id)};
        (void)zmq::send_multipart(ingest, msg, zmq::send_flags::dontwait);
    }

    // --- subscribe connectors (at-most-once) ------------------------------------------------

    void drain_subscribe(zmq::socket_t& sub) {
        std::vector<zmq::message_t> frames;
        for (std::size_t n = 0; n < state.cfg.batch.max_events * 4 && !stage.storage_failing() &&
                                !stage.input_blocked();
             ++n) {
            frames.clear();
            if (!zmq::recv_multipart(sub, std::back_inserter(frames), zmq::recv_flags::dontwait))
                break;
            last_ingest_us = state.clock.steady_us();
            envelope env;
            std::string reason;
            refusal r = refusal::decode;
            if (frames.size() != 2)
                reason = "decode: expected 2 frames [topic, envelope], got " +
                         std::to_string(frames.size());
            else
                r = admit_event(state.rules, frames[0].to_string_view(), frames[1].to_string_view(),
                                env, reason);
            // An event that was read whole counts for its source's sequence even when it is
            // refused: it was not lost, so the next one must not raise feed_gap.
            const bool read_whole = r == refusal::none || r == refusal::schema ||
                                    r == refusal::topic || r == refusal::forbidden;
            if (read_whole && env.seq && !env.source.empty()) note_source_seq(env);
            if (r != refusal::none) {
                ++state.stats.subscribe_refused;
                std::uint64_t suppressed = 0;
                if (refusal_log.allow(state.clock.now_ms(), suppressed))
                    spdlog::warn("subscribe: dropped {}: {}{}",
                                 env.id.empty() ? "(no id)" : reason_text(env.id), reason,
                                 log_limiter::more(suppressed));
                continue;
            }
            admit(std::move(env), frames[1].to_string_view(), origin::subscribe, nullptr);
        }
    }

    // A source's seq must grow by one; a jump raises feed_gap (events were lost on the way).
    void note_source_seq(const envelope& env) {
        auto [it, fresh] = source_seq.try_emplace(env.source, *env.seq);
        if (fresh) return;
        if (*env.seq != it->second + 1) {
            ++state.stats.feed_gaps;
            spdlog::warn("feed gap from source {}: expected seq {}, got {}",
                         reason_text(env.source), it->second + 1, *env.seq);
            desk_output out;
            state.desk.on_feed_gap(env.source, env.topic, it->second + 1, *env.seq,
                                   state.clock.now_ms(), out);
            stage.record(out);
        }
        it->second = *env.seq;
    }

    // --- control ------------------------------------------------------------------------------

    // Queries share the loop with ingest, a slice of at most control_slice_us per turn (at least
    // one query, answered whole: a slow one delays the next slice, not itself). While ingest is
    // busy, the next slice waits until ingest has had the rest of the time (control_share
    // percent of the loop for queries); while it is quiet the next turn answers on.
    static constexpr std::int64_t control_slice_us = 2000;
    static constexpr std::int64_t control_share_percent = 10;

    // Events wait in the open batch, or were read a moment ago (producers waiting for their
    // acks send again within that): a gap between two batches is not a quiet loop.
    static constexpr std::int64_t ingest_busy_us = 10000;
    bool ingest_busy() const {
        return stage.events() > 0 || state.clock.steady_us() - last_ingest_us < ingest_busy_us;
    }
    // Ingest is busy and the queries' share is used up.
    bool queries_held() const {
        return ingest_busy() && state.clock.steady_us() < control_resume_us;
    }

    void drain_control(bool events_wait) {
        const clock_source& clock = state.clock;
        const std::int64_t start_us = clock.steady_us();
        if (events_wait && start_us < control_resume_us) return;
        std::vector<zmq::message_t> frames;
        for (int n = 0; n < 100; ++n) {
            if (n > 0 && clock.steady_us() - start_us >= control_slice_us) break;
            frames.clear();
            if (!zmq::recv_multipart(control, std::back_inserter(frames),
                                     zmq::recv_flags::dontwait))
                break;
            ++state.stats.control_requests;
            // REQ and DEALER-with-delimiter send [id, "", body]; a bare DEALER [id, body].
            const bool delimited = frames.size() == 3 && frames[1].size() == 0;
            const std::string body = encode_msgpack(answer(frames, delimited));
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
        const std::int64_t spent_us = clock.steady_us() - start_us;
        control_resume_us =
            clock.steady_us() + spent_us * (100 - control_share_percent) / control_share_percent;
    }

    value answer(const std::vector<zmq::message_t>& frames, bool delimited) {
        if (frames.size() != 2 && !delimited)
            return control_error("decode: expected one request frame");
        value request;
        std::string error;
        if (!decode_msgpack(frames.back().to_string_view(), state.cfg.limits.decode, request,
                            error))
            return control_error(error);
        if (std::string refused = control_rights(request, frames.back()); !refused.empty())
            return control_error(refused);
        try {
            return handle_control(request, views);
        } catch (const journal_error& e) {
            // A read failed (the database is in trouble): say so, keep serving.
            return control_error("storage: " + std::string(e.what()));
        }
    }

    const std::atomic<bool>* stop_requested;
    bool rebuild_state;
    // Before the state: the listener serves while recovery runs (null when metrics are off).
    std::unique_ptr<metrics_board> board;
    std::unique_ptr<metrics_server> metrics;
    metrics_collector collector;
    daemon_state state;
    batch_stage stage;
    control_views views;
    zmq::context_t& ctx;
    zmq::socket_t ingest, relay, control;
    std::vector<zmq::socket_t> subs;
    // Who may connect and what each client may do; replaced whole on reload (security.h).
    std::shared_ptr<const access_policy> policy =
        std::make_shared<access_policy>(state.cfg.security);
    std::unique_ptr<zap_handler> zap;  // with CURVE only; declared after the sockets it watches
    int wake_fd = -1;
    int reload_fd = -1;

    std::function<void()> heartbeat;
    std::int64_t heartbeat_interval_us = 0;
    std::int64_t last_heartbeat_us = 0;

    std::int64_t control_resume_us = 0;  // while ingest is busy, queries wait until then
    std::int64_t last_ingest_us = std::numeric_limits<std::int64_t>::min() / 2;  // last read

    std::map<std::string, std::uint64_t> source_seq;  // last seq per subscribed source
    log_limiter refusal_log{10};
};

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
    return endpoint_of(impl_->ingest);
}
std::string loop::relay_endpoint() const {
    return endpoint_of(impl_->relay);
}
std::string loop::control_endpoint() const {
    return endpoint_of(impl_->control);
}
std::string loop::metrics_endpoint() const {
    return impl_->metrics ? impl_->metrics->endpoint() : std::string();
}
int loop::metrics_port() const {
    return impl_->metrics ? impl_->metrics->port() : 0;
}

}  // namespace baton
