// Recovery: batond's start-up. The duplicate window from the journal's recent entries; the
// order state from the last snapshot plus the journal after it (the journal is the truth); the
// stored exceptions and tasks, with timers for everything open; the feed file caught up with
// the store. `--rebuild-state` clears the snapshot first, so the whole journal is replayed.
//
// What replay does not redo: the desk's notices (exception.*, task.* relay messages and feed
// lines) depend on the clock and on people, so they are not regenerated; the desk's records are
// loaded as stored instead, and the relay sequence continues from the outbox, which holds every
// message subscribers saw.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>

#include "daemon_state.h"

namespace baton {

// Thrown when a stop was asked for while recovery ran (SIGTERM during a long rebuild).
struct recovery_cancelled : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct recovery_result {
    std::int64_t snapshot_seq = 0;          // journal seq the stored snapshot reaches
    std::uint64_t feed_seq = 0;             // the last feed line numbered
    std::size_t replayed = 0;               // journal entries replayed after the snapshot
    std::size_t dedup_read = 0;             // journal entries read for the duplicate window
    std::int64_t dedup_checkpoint_seq = 0;  // the checkpoint's last journal seq, 0: none used
};

// A MessagePack value batond stored itself (a record, the customer book); journal_error
// naming `what` when it cannot be read.
value read_stored(const std::string& bytes, const std::string& what);

// Rebuilds `s` from its journal. `cancel` (may be null) is polled while the journal is read;
// when it turns true recovery stops with recovery_cancelled. Throws journal_error when the
// store cannot be read. `beside` (may be empty) runs on a thread of its own once the orders
// and the desk's records are complete, while the desk's timers are made: it may read the
// orders and the records (the metrics' first count), and must not touch anything else of `s`.
recovery_result recover(daemon_state& s, bool rebuild_state,
                        const std::atomic<bool>* cancel = nullptr,
                        const std::function<void()>& beside = {});

// At a clean stop: the duplicate window as it stands, for the next start (dedup_checkpoint.h).
// Only a window that reaches the journal's last entry is written; a failure is logged, and the
// next start reads the window from the journal.
void save_dedup_checkpoint(const daemon_state& s);

}  // namespace baton
