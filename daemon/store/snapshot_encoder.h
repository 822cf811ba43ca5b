// Encodes order snapshots on a thread of its own. At a committed point the loop hands over
// copies of the orders changed since the last snapshot (a copy costs a small part of what
// encoding does) and goes on acking; the encoded rows come back, whole, to be stored with a
// later batch. One job at a time.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "journal.h"
#include "order.h"

namespace baton {

struct snapshot_job {
    snapshot_header header;     // the committed point the copies were taken at
    std::vector<order> orders;  // copies, owned by the job
};

class snapshot_encoder {
public:
    snapshot_encoder();
    ~snapshot_encoder();
    snapshot_encoder(const snapshot_encoder&) = delete;
    snapshot_encoder& operator=(const snapshot_encoder&) = delete;

    // A job was handed over and its rows not taken back yet.
    bool busy() const { return busy_; }
    // Hands a job to the thread; only when not busy().
    void submit(snapshot_job job);
    // The encoded rows when the job is done, else nullopt (never blocks).
    std::optional<snapshot_rows> take();
    // The encoded rows, waiting for them; only when busy().
    snapshot_rows wait();

private:
    void work();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<snapshot_job> job_;    // handed over, not started
    std::optional<snapshot_rows> done_;  // encoded, not taken
    bool stop_ = false;
    bool busy_ = false;   // the loop's own view: submitted and not taken
    std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace baton
