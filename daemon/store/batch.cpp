// Group commit: the open batch, its one transaction, storage failures and snapshots.
#include "batch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "codec.h"
#include "journal_writer.h"
#include "order_state.h"
#include "snapshot_encoder.h"

namespace baton {

batch_stage::batch_stage(daemon_state& state)
    : s_(state),
      last_snapshot_us_(state.clock.steady_us()),
      archive_(state),
      encoder_(std::make_unique<snapshot_encoder>()),
      writer_(std::make_unique<journal_writer>(state.store)) {}

batch_stage::~batch_stage() = default;

admission batch_stage::accept(envelope&& env, std::string_view bytes, origin from,
                              const std::string* peer, std::int64_t read_us) {
    const std::uint64_t key = dedup_window::key(env.source, env.id);
    // Every event with this hash is compared: a collision never drops an event, and a second
    // event under the same hash never hides the first one's duplicates.
    auto [first, last] = batch_keys_.equal_range(key);
    for (auto it = first; it != last; ++it) {
        const journal_entry& e = batch_.entries[it->second];
        if (e.source == env.source && e.id == env.id) {
            // Same event again before its batch committed: ack it with the batch.
            ++s_.stats.duplicates;
            if (peer) acks_.push_back({*peer, env.id, read_us});
            return admission::duplicate_pending;
        }
    }
    // The batch with the writer: acked when it commits. Its events are only read here while
    // the writer's thread writes them out.
    auto [pfirst, plast] = pending_batch_keys_.equal_range(key);
    for (auto it = pfirst; it != plast; ++it) {
        const journal_entry& e = writer_->slot().entries[it->second];
        if (e.source == env.source && e.id == env.id) {
            ++s_.stats.duplicates;
            if (peer) pending_acks_.push_back({*peer, env.id, read_us});
            return admission::duplicate_pending;
        }
    }
    for (std::int64_t seq : s_.dedup.find_all(key)) {
        std::optional<journal_entry> earlier;
        try {
            earlier = s_.store.read(seq, false);  // its source and id are in its envelope
        } catch (const journal_error& err) {
            // The earlier event cannot be read back (a damaged store): nothing shows this one
            // is it, so this one is taken, at least once rather than lost.
            spdlog::error("duplicate check of event {} from {}: {}; taken as a new event", env.id,
                          env.source, err.what());
            continue;
        }
        if (earlier && earlier->source == env.source && earlier->id == env.id) {
            ++s_.stats.duplicates;
            return admission::duplicate_committed;
        }
    }
    if (batch_.entries.empty()) deadline_us_ = s_.clock.steady_us() + s_.cfg.batch.max_wait_us;
    journal_entry e;
    e.seq = applied_seq() + 1;
    e.received_ms = s_.clock.now_ms();
    // An order that left memory after its retention comes back first, as it left.
    if (env.order && !s_.engine.find(*env.order)) {
        try {
            if (std::optional<order> back = archive_.take(*env.order, batch_))
                archive_.readmit_records(s_.engine.adopt(std::move(*back)), batch_);
        } catch (const journal_error& err) {
            // The event is still stored; the order starts again from it, and the next snapshot
            // that stores it removes the unreadable archive row (or a restart would skip it).
            s_.engine.mark_revived({*env.order});
            spdlog::error(
                "event {}: the archived order {} cannot be read back ({}); it starts "
                "again from this event",
                env.id, *env.order, err.what());
        }
    }
    // Applied now so that what it relays joins the same transaction; published only after
    // that commits.
    order_change change = s_.engine.apply(e.seq, e.received_ms, env, batch_.relayed);
    desk_output out;
    s_.desk.on_event(change, env, s_.engine, e.received_ms, out);
    record(out);
    e.ts_ms = env.ts_ms;
    e.topic = std::move(env.topic);
    e.source = std::move(env.source);
    e.id = env.id;
    if (env.order) e.order = std::move(*env.order);
    e.origin = from;
    e.envelope.assign(bytes);
    keys_.push_back(key);
    batch_keys_.emplace(key, batch_.entries.size());
    batch_.entries.push_back(std::move(e));
    if (peer) acks_.push_back({*peer, std::move(env.id), read_us});
    return admission::batched;
}

void batch_stage::record(const desk_output& out) {
    if (out.empty()) return;
    notices_.record(out, s_.clock.now_ms(), s_.engine, batch_);
}

std::int64_t batch_stage::applied_seq() const {
    // While a batch is with the writer, the store's last seq is the writer's to move.
    const std::int64_t base = pending_ ? pending_last_seq_ : s_.store.last_seq();
    return base + static_cast<std::int64_t>(batch_.entries.size());
}

int batch_stage::writer_fd() const {
    return writer_->fd();
}

void batch_stage::submit() {
    pending_last_seq_ = applied_seq();
    // Swapped, not copied: the open batch takes the slot's emptied buffers for the next one.
    std::swap(batch_, writer_->slot());
    pending_keys_.swap(keys_);
    pending_acks_.swap(acks_);
    pending_batch_keys_.swap(batch_keys_);
    pending_ = true;
    writer_->start();
}

void batch_stage::finish(const std::string& error) {
    const journal_batch& b = writer_->slot();
    if (!error.empty()) {
        // Nothing of this batch is acked or relayed. It stays with the writer as it is (the
        // order state already includes it) and is written again every second; meanwhile no
        // input is read.
        ++s_.stats.commit_failures;
        if (storage_error_.empty()) {
            storage_failing_since_ms_ = s_.clock.now_ms();
            spdlog::critical(
                "storage failing, acking nothing until it can write again: {} ({} events "
                "waiting)",
                error, b.entries.size() + batch_.entries.size());
        } else if (s_.stats.commit_failures % 60 == 0) {
            spdlog::critical("storage still failing after {} attempts: {}",
                             s_.stats.commit_failures, error);
        }
        storage_error_ = error;
        storage_retry_us_ = s_.clock.steady_us() + 1000000;
        return;
    }
    if (!storage_error_.empty()) {
        spdlog::warn("storage recovered: {} events committed after {} s of failures",
                     b.entries.size(), (s_.clock.now_ms() - storage_failing_since_ms_) / 1000);
        storage_error_.clear();
    }
    const bool alone = b.entries.empty() && b.relayed.empty() && b.exceptions.empty() &&
                       b.tasks.empty() && b.feed.empty();
    archive_.committed(b);
    if (b.snapshot && b.snapshot->complete) {
        snapshot_seq_ = b.snapshot->header.journal_seq;
        spdlog::debug("snapshot: {} orders at journal seq {}", b.snapshot->orders.size(),
                      snapshot_seq_);
    }
    if (!alone) {  // a snapshot stored alone is not a batch
        ++s_.stats.batches;
        s_.histograms.commit_seconds.observe(static_cast<double>(writer_->commit_us()) / 1e6);
        s_.histograms.batch_events.observe(static_cast<double>(b.entries.size()));
    }
    for (std::size_t i = 0; i < b.entries.size(); ++i) {
        const journal_entry& e = b.entries[i];
        s_.dedup.insert(pending_keys_[i], e.seq, e.received_ms);
        if (e.origin == origin::ingest)
            ++s_.stats.accepted;
        else
            ++s_.stats.subscribed;
    }
    const std::uint64_t feed_errors = s_.feed.write_errors();
    s_.feed.append(b.feed);
    if (s_.feed.write_errors() != feed_errors || s_.feed.last_seq() < s_.store.last_feed_seq())
        s_.feed.catch_up(s_.store);  // lines a failed write left out go in as soon as it can
    if (done_.acks.empty())
        done_.acks.swap(pending_acks_);
    else
        done_.acks.insert(done_.acks.end(), std::make_move_iterator(pending_acks_.begin()),
                          std::make_move_iterator(pending_acks_.end()));
    done_.relayed.insert(done_.relayed.end(),
                         std::make_move_iterator(writer_->slot().relayed.begin()),
                         std::make_move_iterator(writer_->slot().relayed.end()));
    writer_->release();
    pending_acks_.clear();
    pending_keys_.clear();
    pending_batch_keys_.clear();
    pending_ = false;
}

std::optional<committed_batch> batch_stage::commit() {
    if (pending_) {
        if (!writer_->running()) writer_->start();  // it failed before: the same batch again
        finish(writer_->wait());
        if (pending_) return std::nullopt;
    }
    if (!batch_.empty() || !acks_.empty()) {
        submit();
        finish(writer_->wait());
        if (pending_) return std::nullopt;
    }
    // Small snapshots often rather than a large one.
    if (s_.engine.changed_count() >= s_.cfg.snapshot.max_orders) start_snapshot();
    return take_committed();
}

void batch_stage::pump() {
    if (pending_ && writer_->running())
        if (std::optional<std::string> outcome = writer_->poll()) finish(*outcome);
    // Closed orders past their retention leave memory (their rows ride with the open batch).
    if (s_.clock.steady_us() - last_retire_us_ >= 1000000) retire();
    if (pending_ || storage_failing() || batch_.empty()) return;
    if (!(due(s_.clock.steady_us()) || full() ||
          ((batch_.snapshot || !batch_.archived.empty()) && only_snapshot())))
        return;
    submit();
    // A committed point in the order state (the open batch is empty): the copies taken now are
    // what the journal holds up to the batch just handed over, and they are stored with a later
    // batch. Small snapshots often rather than a large one.
    if (s_.engine.changed_count() >= s_.cfg.snapshot.max_orders || snapshot_due()) start_snapshot();
}

std::size_t batch_stage::retire() {
    // An order leaves only as the last stored snapshot holds it: none of its events after the
    // journal seq that snapshot reaches (snapshot_seq_), which a restart would replay onto it.
    // A snapshot under way meanwhile holds no row of it (it has not changed since).
    if (storage_failing()) return 0;
    last_retire_us_ = s_.clock.steady_us();
    return archive_.retire(s_.clock.now_ms(), snapshot_seq_, batch_);
}

committed_batch batch_stage::take_committed() {
    committed_batch out;
    std::swap(out, done_);
    return out;
}

void batch_stage::clear() {
    batch_.clear();
    keys_.clear();
    acks_.clear();
    batch_keys_.clear();
}

std::size_t batch_stage::drop() {
    if (pending_ && writer_->running()) finish(writer_->wait());
    std::size_t n = batch_.entries.size();
    if (batch_.snapshot) remark(*batch_.snapshot);
    if (backlog_) {
        backlog_->orders.erase(
            backlog_->orders.begin(),
            backlog_->orders.begin() + static_cast<std::ptrdiff_t>(backlog_next_));
        remark(*backlog_);
        backlog_.reset();
    }
    if (pending_) {
        const journal_batch& b = writer_->slot();
        n += b.entries.size();
        if (b.snapshot) remark(*b.snapshot);
        writer_->release();
        pending_acks_.clear();
        pending_keys_.clear();
        pending_batch_keys_.clear();
        pending_ = false;
    }
    clear();
    return n;
}

bool batch_stage::on_time() {
    desk_output out;
    s_.desk.on_time(s_.clock.now_ms(), s_.engine, out);
    record(out);
    return !out.empty();
}

std::string batch_stage::act(desk_action action, std::uint64_t id, const std::string& by,
                             const std::string& note, const std::string& to) {
    if (storage_failing())
        return "storage is failing (" + storage_error_ + "); nothing can be changed now";
    desk_output out;
    std::string error;
    const std::int64_t now = s_.clock.now_ms();
    bool done = false;
    switch (action) {
        case desk_action::ack: done = s_.desk.acknowledge(id, by, note, now, out, error); break;
        case desk_action::resolve: done = s_.desk.resolve(id, by, note, now, out, error); break;
        case desk_action::task_done: done = s_.desk.task_done(id, by, note, now, out, error); break;
        case desk_action::assign: done = s_.desk.assign(id, to, by, note, now, out, error); break;
        case desk_action::assign_task:
            done = s_.desk.assign_task(id, to, by, note, now, out, error);
            break;
    }
    if (!done) return error;
    record(out);
    return "";
}

bool batch_stage::snapshot_due() const {
    return s_.clock.steady_us() - last_snapshot_us_ >= s_.cfg.snapshot.interval_us;
}

snapshot_header batch_stage::header_now() const {
    snapshot_header h;
    h.journal_seq = applied_seq();
    h.relay_seq = s_.engine.relay_seq();
    h.orders = s_.engine.orders().size();
    h.customers = encode_msgpack(s_.engine.customers_value());
    return h;
}

// Rows that were not stored: their orders go into the next snapshot.
void batch_stage::remark(const snapshot_rows& rows) {
    for (const auto& entry : rows.orders) s_.engine.mark_changed(entry.first);
}

bool batch_stage::snapshot_in_flight() const {
    return capture_open_ || encoder_->busy() || backlog_.has_value();
}

// While a capture is under way, each poll copies orders for a twentieth of the time since the
// last poll (1 to 10 ms), in steps of this many: the loop's share of copying keeps up with the
// orders that change under full load. (A fixed 32 orders a poll, with polls 100 ms apart under
// full load, copied 2,000 orders in 3 s; the 14,000 that changed meanwhile took 6 s more, and
// a 2,000,000-event run stored no snapshot between its start and its end.) Measured on the
// machine's steady clock, not the daemon's: it is CPU time, not the plant's time.
constexpr std::size_t capture_step = 16;

bool batch_stage::capture_slice() {
    using namespace std::chrono;
    const auto now = steady_clock::now();
    const auto budget = std::clamp<steady_clock::duration>((now - last_capture_poll_) / 20,
                                                           milliseconds(1), milliseconds(10));
    last_capture_poll_ = now;
    const auto until = now + budget;
    while (s_.engine.capture(capture_step) > 0)
        if (steady_clock::now() >= until) return false;
    return true;
}

void batch_stage::finish_capture() {
    snapshot_job job;
    job.header = std::move(capture_header_);
    job.orders = s_.engine.take_captured();
    capture_open_ = false;
    encoder_->submit(std::move(job));
}

void batch_stage::start_snapshot() {
    last_snapshot_us_ = s_.clock.steady_us();
    // Only between two batches (the copies must be what the journal holds up to the batch
    // with the writer, which commits before the rows do), one at a time, and not while storage
    // fails.
    if (storage_failing() || !batch_.empty() || capture_open_ || encoder_->busy() || backlog_)
        return;
    if (applied_seq() == snapshot_seq_) return;
    capture_header_ = header_now();
    capture_header_.unarchived = s_.engine.take_revived();  // all of them changed: captured now
    s_.engine.begin_capture();
    capture_open_ = true;
    if (capture_slice()) finish_capture();
}

bool batch_stage::poll_snapshot() {
    if (capture_open_) {
        if (capture_slice()) finish_capture();
        return false;
    }
    if (encoder_->busy())
        if (std::optional<snapshot_rows> rows = encoder_->take()) {
            backlog_ = std::move(*rows);
            backlog_next_ = 0;
        }
    if (!backlog_ || batch_.snapshot) return false;
    batch_.snapshot = next_snapshot_part();
    return only_snapshot();
}

// Rows per batch, by size: a large snapshot is stored in parts, so that no batch's commit
// (and the acks waiting for it) carries megabytes of order states.
constexpr std::size_t snapshot_part_bytes = 256 * 1024;

snapshot_rows batch_stage::next_snapshot_part() {
    snapshot_rows part;
    std::vector<std::pair<std::string, std::string>>& rows = backlog_->orders;
    std::size_t bytes = 0;
    while (backlog_next_ < rows.size() && (part.orders.empty() || bytes < snapshot_part_bytes)) {
        bytes += rows[backlog_next_].first.size() + rows[backlog_next_].second.size();
        part.orders.push_back(std::move(rows[backlog_next_++]));
    }
    part.complete = backlog_next_ == rows.size();
    if (part.complete) {
        part.header = std::move(backlog_->header);
        backlog_.reset();
    }
    return part;
}

bool batch_stage::only_snapshot() const {
    return batch_.entries.empty() && batch_.relayed.empty() && batch_.exceptions.empty() &&
           batch_.tasks.empty() && batch_.feed.empty();
}

void batch_stage::write_snapshot(bool force) {
    last_snapshot_us_ = s_.clock.steady_us();
    if (capture_open_) finish_capture();
    if (encoder_->busy()) {
        backlog_ = encoder_->wait();
        backlog_next_ = 0;
    }
    if (pending_ && writer_->running()) finish(writer_->wait());
    if (storage_failing()) return;  // rows already encoded stay for the batch's retry
    if (!only_snapshot()) return;   // not a committed point; encoded rows go with the batches
    if (s_.store.last_seq() == snapshot_seq_ && !force && !batch_.snapshot && !backlog_) return;
    // Rows encoded earlier stay valid at this later point: every order changed since they were
    // copied is changed again, and is encoded now and appended after them (the later row wins).
    // Parts of them stored already count once this header is written.
    snapshot_rows rows = batch_.snapshot ? std::move(*batch_.snapshot) : snapshot_rows{};
    batch_.snapshot.reset();
    // Orders back from the archive in the rows encoded earlier, and since.
    std::vector<std::string> unarchived = std::move(rows.header.unarchived);
    while (backlog_) {
        snapshot_rows part = next_snapshot_part();
        for (auto& row : part.orders) rows.orders.push_back(std::move(row));
        for (auto& id : part.header.unarchived) unarchived.push_back(std::move(id));
    }
    rows.complete = true;
    rows.header = header_now();
    for (auto& id : s_.engine.take_revived()) unarchived.push_back(std::move(id));
    rows.header.unarchived = std::move(unarchived);
    for (const auto& id : s_.engine.take_changed())
        if (const order* o = s_.engine.find(id))
            rows.orders.emplace_back(id, encode_order_state(*o));
    try {
        s_.store.write_snapshot(rows);
        snapshot_seq_ = rows.header.journal_seq;
        spdlog::debug("snapshot: {} orders at journal seq {}", rows.orders.size(), snapshot_seq_);
    } catch (const journal_error& e) {
        // Not fatal: the journal holds everything; the next restart replays more.
        spdlog::warn("snapshot failed: {}", e.what());
        remark(rows);
        s_.engine.mark_revived(rows.header.unarchived);
    }
}

}  // namespace baton
