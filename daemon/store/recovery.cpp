// Start-up: the duplicate window, the order state, the desk and the feed from the store.
#include "recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <unordered_map>

#include "codec.h"
#include "dedup_checkpoint.h"
#include "order_state.h"
#include "order_state_decoder.h"

namespace baton {

value read_stored(const std::string& bytes, const std::string& what) {
    value v;
    std::string error;
    if (!decode_msgpack(bytes, decode_limits::trusted(), v, error))
        throw journal_error(what + " is unreadable: " + error);
    return v;
}

namespace {

// Polled every few thousand journal entries.
class cancel_check {
public:
    explicit cancel_check(const std::atomic<bool>* flag) : flag_(flag) {}
    void operator()() {
        if (flag_ && (++n_ & 4095) == 0 && flag_->load(std::memory_order_relaxed))
            throw recovery_cancelled("stopped during start-up, while reading the journal");
    }

private:
    const std::atomic<bool>* flag_;
    std::uint64_t n_ = 0;
};

// Seconds since `from`, for the log lines that say what a start spent where.
double seconds_since(std::chrono::steady_clock::time_point from) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - from).count();
}

// A clock stepped back by up to this much still finds the window's first entry.
constexpr std::int64_t clock_step_margin_ms = 3600 * 1000;

// The window up to some journal row from the checkpoint a clean stop left, when there is one that
// belongs to this journal and still reaches into the window: the seq to read the journal after
// (`from` - 1 when none is used).
std::int64_t read_dedup_checkpoint(daemon_state& s, std::int64_t horizon, std::int64_t from,
                                   recovery_result& r) {
    if (s.store.path() == journal::in_memory) return from - 1;
    const std::string path = dedup_checkpoint::path_for(s.store.path());
    dedup_window loaded(s.cfg.dedup.window_us / 1000, s.cfg.dedup.max_entries);
    std::string why;
    std::optional<dedup_mark> mark;
    try {
        mark = dedup_checkpoint::read(path, loaded, why);
    } catch (const std::exception& e) {  // out of memory for it, say: the journal is still there
        why = e.what();
    }
    if (mark && (mark->received_ms < horizon || mark->seq < from - 1)) {
        spdlog::info("duplicate window: the checkpoint {} ends before the window; not used", path);
        return from - 1;
    }
    if (mark) {
        const std::optional<journal::id_row> row = s.store.id_at(mark->seq);
        if (!row || row->received_ms != mark->received_ms || row->key != mark->key)
            why = "its last entry (journal seq " + std::to_string(mark->seq) +
                  ") is not in this journal";
        else {
            s.dedup = std::move(loaded);
            r.dedup_checkpoint_seq = mark->seq;
            return mark->seq;
        }
    }
    if (!why.empty())
        spdlog::warn(
            "duplicate window: the checkpoint {} is not used ({}); the window is read "
            "from the journal",
            path, why);
    return from - 1;
}

// The window from the checkpoint and the journal after it, or from the journal alone. Only the
// journal's tail is read: the entries of the window (less a margin for a clock stepped back), at
// most its size, so restarts do not slow down with history.
std::size_t rebuild_dedup(daemon_state& s, cancel_check& check, recovery_result& r) {
    const std::int64_t horizon = s.clock.now_ms() - s.cfg.dedup.window_us / 1000;
    const auto max_entries = static_cast<std::int64_t>(s.cfg.dedup.max_entries);
    const std::int64_t from =
        std::max(s.store.first_seq_received_from(horizon - clock_step_margin_ms),
                 s.store.last_seq() - max_entries + 1);
    const std::int64_t after = read_dedup_checkpoint(s, horizon, from, r);
    s.dedup.expire(s.clock.now_ms());  // what the checkpoint holds from before the window
    s.dedup.reserve(s.dedup.size() + static_cast<std::size_t>(
                                         std::max<std::int64_t>(0, s.store.last_seq() - after)));
    std::size_t read = 0;
    // Each key's cell is fetched a few entries before it is inserted, so the waits on memory
    // overlap instead of coming one after another.
    struct entry {
        std::uint64_t key;
        std::int64_t seq, received_ms;
    };
    constexpr std::size_t ahead = 16;
    entry pending[ahead];
    std::size_t n = 0;
    s.store.scan_ids(after, [&](std::int64_t seq, std::int64_t received_ms, std::uint64_t key) {
        check();
        ++read;
        if (received_ms < horizon) return;
        entry& e = pending[n++ % ahead];
        if (n > ahead) s.dedup.insert(e.key, e.seq, e.received_ms);
        s.dedup.prefetch(key);
        e = {key, seq, received_ms};
    });
    for (std::size_t i = n > ahead ? n - ahead : 0; i < n; ++i) {
        const entry& e = pending[i % ahead];
        s.dedup.insert(e.key, e.seq, e.received_ms);
    }
    return read;
}

// More orders than a snapshot's header may say to make room for (at about 1 KB an order, 64 GB).
constexpr std::size_t max_orders_hint = std::size_t{1} << 26;

// The orders of the snapshot, compacted when most of its rows are superseded. The rows are
// decoded as they are read, on helper threads (order_state_decoder.h), not all held first; a
// later row of an order replaces the earlier, and only an order whose newest row is
// unreadable stops the start, as when only the newest rows were decoded.
snapshot_header load_orders(daemon_state& s, std::unordered_map<std::string, order>& orders,
                            order_times& times, cancel_check& check) {
    std::unordered_map<std::string, std::string> unreadable;  // id -> why its newest row is
    std::size_t rows = 0;
    times.complete = true;
    // Each order comes in a node of the map the engine takes, made where it was decoded: linked
    // in here, never moved.
    order_state_decoder decoder([&](decoded_order& row) {
        ++rows;
        if (!row.error.empty()) {
            unreadable[row.node.key()] = std::move(row.error);
            return;
        }
        if (!unreadable.empty()) unreadable.erase(row.node.key());
        auto linked = orders.insert(std::move(row.node));
        if (linked.inserted) {
            if (row.placed) times.placed.push_back(*row.placed);
            if (row.closed) times.closed.push_back(*row.closed);
        } else {
            linked.position->second = std::move(linked.node.mapped());
            times.again.push_back(&linked.position->second);
        }
    });
    snapshot_header h = s.store.load_snapshot(
        [&](std::string_view id, std::string_view bytes) {
            check();
            decoder.add(id, bytes);
        },
        [&](std::size_t expected) {
            // A hint from the store: one past all reason (a damaged header) is not followed.
            if (expected > max_orders_hint) return;
            orders.reserve(expected);
            times.placed.reserve(expected);
        });
    decoder.finish();
    if (!unreadable.empty()) {
        const auto& [id, why] = *unreadable.begin();
        throw journal_error("snapshot of order " + id + " is unreadable: " + why);
    }
    // Parts of a snapshot the daemon stopped before completing: never read, so gone. (A store
    // written before snapshots came in parts has a header without log_seq: all its rows count.)
    if (h.log_seq > 0 || h.journal_seq == 0)
        if (const std::int64_t n = s.store.discard_snapshot_rows_after(h.log_seq); n > 0)
            spdlog::info("snapshot log: {} rows of an incomplete snapshot discarded", n);
    // The log keeps every state ever appended; at start, when most rows are superseded, keep
    // only the newest of each order so restarts do not slow down with history.
    if (rows > 2 * orders.size()) {
        s.store.compact_snapshot();
        spdlog::info("snapshot log compacted: {} rows to {}", rows, orders.size());
    }
    return h;
}

// The customers: as the snapshot left them, joined by customers added to the seed file since.
customer_book load_customers(const daemon_state& s, const snapshot_header& h) {
    customer_book customers(s.seed_customers);
    if (h.journal_seq == 0) return customers;
    customer_book stored =
        customer_book::from_value(read_stored(h.customers, "snapshot of the customers"));
    for (const auto& [id, account] : customers.accounts())
        if (!stored.find(id)) stored.at(id) = account;
    return stored;
}

// Outbox messages after `since` that the order engine relays (not the desk's notices).
std::uint64_t engine_messages_after(const journal& store, std::uint64_t since) {
    std::uint64_t n = 0;
    for (;;) {
        auto chunk = store.read_outbox(since, 10000);
        if (chunk.empty()) return n;
        for (const auto& m : chunk)
            if (m.topic.rfind("exception.", 0) != 0 && m.topic.rfind("task.", 0) != 0) ++n;
        since = chunk.back().seq;
    }
}

// The stored records, read from their bytes without value trees, with their indexes and the
// tasks' timers. None of it depends on the orders: a start does it on a thread of its own while
// the orders are read; the orders' timers come after (load_desk).
exception_desk read_desk(const daemon_state& s, cancel_check& check) {
    std::vector<exception_record> exceptions;
    std::vector<task_record> tasks;
    // A record from its bytes; a start stops at one it cannot read, saying which kind it is.
    auto read = [](auto from_stored, const char* what, std::string_view bytes) {
        try {
            return from_stored(bytes);
        } catch (const std::runtime_error& e) {
            throw journal_error(std::string("a stored ") + what + " is unreadable: " + e.what());
        }
    };
    s.store.load_records(
        [&](std::string_view b) {
            check();
            exceptions.push_back(read(exception_from_stored, "exception", b));
        },
        [&](std::string_view b) {
            check();
            tasks.push_back(read(task_from_stored, "task", b));
        });
    exception_desk desk(s.flow);
    desk.restore_records(std::move(exceptions), std::move(tasks));
    return desk;
}

void load_desk(daemon_state& s, exception_desk desk, const std::function<void()>& beside) {
    s.desk = std::move(desk);
    // `beside` only reads the orders and the records, and the timers only write the timers.
    std::future<void> other;
    if (beside) other = std::async(std::launch::async, beside);
    s.desk.schedule_orders(s.engine);
    // The records archived with their orders keep their ids.
    s.desk.reserve_ids(s.store.max_exception_id(), s.store.max_task_id());
    if (other.valid()) other.get();
}

}  // namespace

recovery_result recover(daemon_state& s, bool rebuild_state, const std::atomic<bool>* cancel,
                        const std::function<void()>& beside) {
    cancel_check check(cancel);
    if (rebuild_state) {
        spdlog::info("rebuilding the order state from the journal, as asked");
        s.store.clear_snapshot();
    }
    recovery_result r;
    // The duplicate window is read from the journal's tail on a thread of its own while the
    // orders are read from the snapshot log: the two share nothing but the file.
    const auto start = std::chrono::steady_clock::now();
    double dedup_s = 0;
    auto dedup = std::async(std::launch::async, [&s, cancel, start, &dedup_s, &r] {
        cancel_check dedup_check(cancel);
        const std::size_t read = rebuild_dedup(s, dedup_check, r);
        dedup_s = seconds_since(start);
        return read;
    });
    // The desk's records depend on neither: they are read from the start too, on a thread of
    // their own beside the orders' decoding.
    double records_s = 0;
    auto desk = std::async(std::launch::async, [&s, cancel, start, &records_s] {
        cancel_check desk_check(cancel);
        exception_desk loaded = read_desk(s, desk_check);
        records_s = seconds_since(start);
        return loaded;
    });
    std::unordered_map<std::string, order> orders;
    order_times times;
    // A throw waits for `dedup` and `desk` (their futures' destructors).
    const snapshot_header h = load_orders(s, orders, times, check);
    const double orders_s = seconds_since(start);
    r.dedup_read = dedup.get();
    if (r.dedup_checkpoint_seq > 0)
        spdlog::info(
            "duplicate window: {} ids, from the checkpoint at journal seq {} and the {} journal "
            "entries after it ({:.2f} s)",
            s.dedup.size(), r.dedup_checkpoint_seq, r.dedup_read, dedup_s);
    else
        spdlog::info("duplicate window: {} ids, from the last {} journal entries ({:.2f} s)",
                     s.dedup.size(), r.dedup_read, dedup_s);
    spdlog::info("snapshot log: {} order states read ({:.2f} s)", orders.size(), orders_s);
    auto phase = std::chrono::steady_clock::now();

    s.engine = order_engine(s.flow, load_customers(s, h));
    s.engine.restore(std::move(orders), s.engine.customers(), h.relay_seq, std::move(times));
    std::vector<relay_message> discard;
    s.store.scan(h.journal_seq, true, [&](const journal_entry& e) {
        check();
        envelope env;
        std::string reason;
        if (!decode_relayed(e.envelope, decode_limits::trusted(), env, reason)) {
            spdlog::error("journal entry {} is unreadable ({}); skipped", e.seq, reason);
            return;
        }
        discard.clear();
        // An order that left memory after its retention comes back as it left (order_archive.h).
        if (env.order && !s.engine.find(*env.order))
            if (auto row = s.store.read_archived(*env.order)) {
                order back;
                std::string error;
                if (decode_order_state(row->state, back, error))
                    s.engine.adopt(std::move(back));
                else {
                    s.engine.mark_revived({*env.order});  // its next snapshot replaces the row
                    spdlog::error(
                        "archived order {} is unreadable ({}); it starts again from "
                        "journal entry {}",
                        *env.order, error, e.seq);
                }
            }
        s.engine.apply(e.seq, e.received_ms, env, discard);
        ++r.replayed;
    });
    // The replay renumbers only the engine's own messages; the outbox also holds the desk's
    // notices, so numbering always continues from the outbox. A difference in the engine's
    // messages alone means the flow changed since they were sent.
    const std::uint64_t replayed_messages = s.engine.relay_seq() - h.relay_seq;
    if (s.store.last_relay_seq() > h.relay_seq) {
        const std::uint64_t stored = engine_messages_after(s.store, h.relay_seq);
        if (stored != replayed_messages)
            spdlog::warn(
                "the replay relayed {} messages where the outbox holds {} since the snapshot: "
                "the flow changed since they were sent; numbering continues from the outbox",
                replayed_messages, stored);
    }
    s.engine.set_relay_seq(s.store.last_relay_seq());
    spdlog::info(
        "order state: {} orders from the snapshot at journal seq {}, {} events replayed after "
        "it ({:.2f} s)",
        s.engine.orders().size(), h.journal_seq, r.replayed, seconds_since(phase));
    r.snapshot_seq = h.journal_seq;
    // A store from before quantities: its orders were read in the old format and upgraded; the
    // next snapshot writes every one of them in the new one.
    if (s.store.migrated_from() == 1) {
        for (const auto& [id, o] : s.engine.orders()) s.engine.mark_changed(id);
        spdlog::info(
            "store migrated from schema 1 to {}: {} orders upgraded (quantities, batches, "
            "shipments, invoices); the next snapshot stores them in the new format",
            journal_schema_version, s.engine.orders().size());
    } else if (s.store.migrated_from() == 2 || s.store.migrated_from() == 3) {
        // Schema 2 and 3 stored states as maps (format 2): still read, and rewritten in the
        // smaller format 3 by the next snapshot (the old rows go at the next start's compaction).
        for (const auto& [id, o] : s.engine.orders()) s.engine.mark_changed(id);
        spdlog::info(
            "store migrated from schema {} to {}: the next snapshot stores {} orders in format {}",
            s.store.migrated_from(), journal_schema_version, s.engine.orders().size(),
            order_state_format);
    }

    phase = std::chrono::steady_clock::now();
    load_desk(s, desk.get(), beside);
    r.feed_seq = s.store.last_feed_seq();
    s.feed.catch_up(s.store);
    spdlog::info(
        "exceptions: {} open, {} open tasks, {} timers pending ({:.2f} s; the records read in "
        "{:.2f} s from the start, beside the orders)",
        s.desk.open_exceptions(), s.desk.open_tasks(), s.desk.pending_timers(),
        seconds_since(phase), records_s);
    return r;
}

void save_dedup_checkpoint(const daemon_state& s) {
    if (s.store.path() == journal::in_memory) return;
    const std::optional<dedup_mark> mark = dedup_checkpoint::mark_of(s.dedup);
    // A window that does not reach the journal's end is not what the journal says up to there.
    if (!mark || mark->seq != s.store.last_seq()) return;
    const auto start = std::chrono::steady_clock::now();
    const std::string path = dedup_checkpoint::path_for(s.store.path());
    std::string error;
    if (dedup_checkpoint::write(path, s.dedup, error))
        spdlog::info("duplicate window: {} ids written to {} for the next start ({:.2f} s)",
                     s.dedup.size(), path, seconds_since(start));
    else
        spdlog::warn(
            "duplicate window: no checkpoint for the next start ({}); it reads the "
            "window from the journal",
            error);
}

}  // namespace baton
