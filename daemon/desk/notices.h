// Notices: what the exception desk's output becomes. Every exception and task change is stored
// (its record, upserted), every change people should see is one line of the feed file
// (numbered by the feed seq) and one relay message (exception.<kind>, task.<dept>,
// task.escalation) numbered from the same relay sequence as the order engine's messages. All of
// it joins the open batch, so it is durable before anyone hears of it.
#pragma once

#include <cstdint>

#include "exceptions.h"
#include "journal.h"
#include "order_engine.h"

namespace baton {

class notices {
public:
    // `feed_seq`: the last feed line numbered so far (the store's, at start).
    explicit notices(std::uint64_t feed_seq = 0) : feed_seq_(feed_seq) {}

    // Appends `out` to `batch` as records, feed lines and relay messages, at `now_ms`.
    void record(const desk_output& out, std::int64_t now_ms, order_engine& engine,
                journal_batch& batch);

    std::uint64_t feed_seq() const { return feed_seq_; }

private:
    std::uint64_t feed_seq_;
};

}  // namespace baton
