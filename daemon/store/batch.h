// The batch stage: group commit without sockets. Admitted events join the open batch (after the
// duplicate check), are applied to their orders at once (so what they relay and what the desk
// raises join the same transaction), and the batch is committed as one transaction; only then
// are its acks handed back to send, with the relay messages to publish. Commits are pipelined:
// the journal writer (journal_writer.h) commits batch N on its own thread while events join
// batch N+1; N+1 goes to the writer once N's outcome is taken. While storage fails nothing is
// acked: the failed batch is kept and written again. Unit tests drive it with a fake clock and
// commit(); the loop feeds it from the sockets and calls pump().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "control.h"
#include "daemon_state.h"
#include "notices.h"
#include "order_archive.h"

namespace baton {

struct pending_ack {
    std::string peer;          // ROUTER identity
    std::string id;            // event id
    std::int64_t read_us = 0;  // steady µs when the loop read the event (0: not known)
};

// What a committed batch hands to the sockets, in this order: acks, then relay messages.
struct committed_batch {
    std::vector<pending_ack> acks;
    std::vector<relay_message> relayed;
};

// What became of an admitted event.
enum class admission {
    batched,              // joined the open batch; acked when it commits
    duplicate_pending,    // the same (source, id) is in the open batch: acked with it
    duplicate_committed,  // already committed earlier: ack now
};

class snapshot_encoder;
class journal_writer;

class batch_stage {
public:
    explicit batch_stage(daemon_state& state);
    ~batch_stage();
    batch_stage(const batch_stage&) = delete;
    batch_stage& operator=(const batch_stage&) = delete;

    // Dedup, apply, and into the open batch. `peer` is null for subscribe connectors (no ack);
    // `read_us` (steady µs) is when the loop read the event, for the ack latency histogram.
    // `env` is taken (moved from) only when it is batched; a duplicate leaves it as it was.
    admission accept(envelope&& env, std::string_view bytes, origin from, const std::string* peer,
                     std::int64_t read_us = 0);
    // Exception and task changes join the open batch: stored, fed and relayed with it.
    void record(const desk_output& out);

    // Nothing open and nothing with the writer.
    bool empty() const { return batch_.empty() && acks_.empty() && !pending_; }
    // Events in the open batch (not those with the writer).
    std::size_t events() const { return batch_.entries.size(); }
    // Events admitted and not yet acked: the open batch and the one with the writer.
    std::size_t waiting() const {
        return batch_.entries.size() + (pending_ ? pending_keys_.size() : 0);
    }
    bool full() const { return batch_.entries.size() >= s_.cfg.batch.max_events; }
    // When the open batch must be committed (steady µs); meaningless while it holds no event.
    std::int64_t deadline_us() const { return deadline_us_; }
    bool due(std::int64_t steady_us) const {
        return !batch_.entries.empty() && steady_us >= deadline_us_;
    }

    // Everything committed now, waiting for it: the batch with the writer (again, when it
    // failed), then the open batch. The acks and messages to send, of every batch committed
    // since they were last taken; nullopt when storage failed: the failed batch is kept for the
    // next attempt, and what committed before it stays for take_committed().
    std::optional<committed_batch> commit();

    // The pipeline, without waiting: takes the writer's outcome when it is there, and hands
    // the open batch to the writer when the writer is free and the batch is due, full, or
    // holds only encoded snapshot rows. Acks to send are then in take_committed().
    void pump();
    // The acks and relay messages of the batches committed since the last call.
    committed_batch take_committed();
    bool has_committed() const { return !done_.acks.empty() || !done_.relayed.empty(); }
    // A batch is with the writer (being committed, or failed and kept).
    bool writing() const { return pending_; }
    // The open batch is full and the writer still busy: read no more input until it is free.
    bool input_blocked() const { return full() && pending_; }
    // Readable when the writer's outcome waits (-1 when it commits on the loop's thread).
    int writer_fd() const;

    // Storage failures: while failing, the loop reads no input and retries commit() once a
    // second (retry_due_us); queries are still answered.
    bool storage_failing() const { return !storage_error_.empty(); }
    const std::string& storage_error() const { return storage_error_; }
    std::int64_t storage_failing_since_ms() const { return storage_failing_since_ms_; }
    std::int64_t retry_due_us() const { return storage_retry_us_; }
    void retry_soon() { storage_retry_us_ = 0; }

    // Fires the desk's timers due now; true when that recorded anything (commit it soon, so
    // people hear of a passed deadline at once, not with the next event).
    bool on_time();

    // A person acts on an exception or a task. "" when the change joined the batch (commit it
    // before answering), else why it was refused.
    std::string act(desk_action action, std::uint64_t id, const std::string& by,
                    const std::string& note, const std::string& to = "");

    // Snapshots, without holding up the acks: between two batches, start_snapshot marks a
    // capture point (when due, or once snapshot.max_orders have changed). The orders changed
    // since the last snapshot are copied as they were at that point, a slice per poll_snapshot
    // (an order about to change is copied first: order_engine::begin_capture), and the copies go
    // to the encoder's thread; poll_snapshot takes the encoded rows back into the open batch, to
    // be stored with it. True when they are all the batch holds (commit now: no event waits to
    // carry them).
    void start_snapshot();
    bool poll_snapshot();
    bool snapshot_in_flight() const;
    bool snapshot_due() const;
    // The same at once, waiting for the encoder (reload, shutdown): stores the orders changed
    // since the last snapshot, at a committed point only; with `force` also when no event came
    // since the last one.
    void write_snapshot(bool force = false);
    void set_snapshot_seq(std::int64_t seq) { snapshot_seq_ = seq; }

    // Gives up the open batch (at shutdown while storage fails): how many events it held.
    // Nothing of it was acked, so its senders still hold the events.
    std::size_t drop();

    notices& notice_writer() { return notices_; }
    // Retention: the orders that left memory, for queries about them.
    const order_archive& archive() const { return archive_; }
    // Moves closed orders past their retention out of memory now, those the last stored
    // snapshot holds as they are (pump() calls it, at most once a second); how many.
    std::size_t retire();

private:
    void clear();
    // The open batch to the writer; the writer's outcome taken in.
    void submit();
    void finish(const std::string& error);
    // The journal seq of the last event applied (committed, with the writer, or open).
    std::int64_t applied_seq() const;
    bool only_snapshot() const;  // nothing in the open batch but encoded snapshot rows
    snapshot_header header_now() const;
    void remark(const snapshot_rows& rows);

    daemon_state& s_;
    std::int64_t last_snapshot_us_;
    notices notices_;
    order_archive archive_;
    std::int64_t last_retire_us_ = 0;
    journal_batch batch_;              // events, relay messages, exceptions, tasks, feed
    std::vector<std::uint64_t> keys_;  // dedup keys, parallel to batch_.entries
    std::vector<pending_ack> acks_;
    std::unordered_multimap<std::uint64_t, std::size_t> batch_keys_;  // dedup key -> entries
    std::int64_t deadline_us_ = 0;
    std::string storage_error_;  // "" while commits succeed
    std::int64_t storage_retry_us_ = 0;
    std::int64_t storage_failing_since_ms_ = 0;
    std::int64_t snapshot_seq_ = 0;  // journal seq the stored snapshot reaches
    std::unique_ptr<snapshot_encoder> encoder_;
    // A capture under way (orders still being copied) and the point it was begun at.
    bool capture_open_ = false;
    snapshot_header capture_header_;
    void finish_capture();
    bool capture_slice();  // copies for a while; true when every copy is taken
    std::chrono::steady_clock::time_point last_capture_poll_;
    // Encoded rows not yet given to a batch (from backlog_next_ on), and the next part of them.
    std::optional<snapshot_rows> backlog_;
    std::size_t backlog_next_ = 0;
    snapshot_rows next_snapshot_part();

    // The batch with the writer (its events are in the writer's slot) and what goes with it.
    std::unique_ptr<journal_writer> writer_;
    bool pending_ = false;
    std::int64_t pending_last_seq_ = 0;  // the seq of its last event (or the one before it)
    std::vector<std::uint64_t> pending_keys_;
    std::vector<pending_ack> pending_acks_;
    std::unordered_multimap<std::uint64_t, std::size_t> pending_batch_keys_;
    committed_batch done_;  // committed, not yet taken to be sent
};

}  // namespace baton
