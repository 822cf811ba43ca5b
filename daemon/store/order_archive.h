// Retention: an order closed or cancelled longer ago than `retention.closed` leaves memory, with
// its exceptions and tasks, once nothing of it is still being worked (no open case, exception or
// task, no unpaid invoice) and the last stored snapshot holds it as it is (none of its events
// comes after the journal seq that snapshot reaches). Its state goes to the store's archive in
// the open batch; its records stay in their tables, marked archived. A query about it reads it
// from there; an event about it brings it back (order_engine::adopt, from batch_stage::accept
// and from the replay at start), with its records, and it applies as if the order had never
// left. The next snapshot that stores it
// again removes its archive row (snapshot_header::unarchived).
//
// Until the batch that carries its archive row commits, a leaving order is held here, so that
// an event or a query meanwhile finds it as it left.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "exceptions.h"
#include "journal.h"
#include "order.h"

namespace baton {

struct daemon_state;

// An order as it left memory, with its records.
struct archived_order {
    order o;
    std::vector<exception_record> exceptions;
    std::vector<task_record> tasks;
};

class order_archive {
public:
    explicit order_archive(daemon_state& s) : s_(s) {}

    // Moves out of memory up to `retention.max_per_pass` orders due to leave whose last event
    // the stored snapshot (reaching journal seq `stored_seq`) holds, and puts their archive
    // rows into `batch`. How many left.
    std::size_t retire(std::int64_t now_ms, std::int64_t stored_seq, journal_batch& batch);
    // A batch committed: the orders it archived are read from the store from now on.
    void committed(const journal_batch& batch);

    // An archived order as it left memory, or nullopt (unknown, or not archived). Throws
    // journal_error when its stored state or records cannot be read.
    std::optional<archived_order> find(const std::string& id) const;

    // Back into memory for an event about it: the order, for the engine to hold; the desk gets
    // its records in readmit_records(), once the engine holds it. Their `archived` marks go
    // with `open` (the batch the event joins).
    std::optional<order> take(const std::string& id, journal_batch& open);
    void readmit_records(const order& o, journal_batch& open);

    std::uint64_t retired() const { return retired_; }  // since start
    std::uint64_t revived() const { return revived_; }

private:
    daemon_state& s_;
    std::unordered_map<std::string, archived_order> leaving_;  // archive rows not yet committed
    std::optional<archived_order> taken_;                      // between take and readmit
    std::uint64_t retired_ = 0;
    std::uint64_t revived_ = 0;
};

}  // namespace baton
