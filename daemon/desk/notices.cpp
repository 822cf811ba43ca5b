// Desk output to stored records, feed lines and relay messages.
#include "notices.h"

#include <utility>

#include "codec.h"
#include "json.h"

namespace baton {

void notices::record(const desk_output& out, std::int64_t now_ms, order_engine& engine,
                     journal_batch& batch) {
    for (const auto& ev : out.exceptions) {
        value rec = to_value(ev.record);
        batch.exceptions.emplace_back(ev.record.id, encode_msgpack(rec));
        if (ev.state == exception_transition::updated)
            continue;  // bookkeeping: nothing for people to see
        value line = value(value_map{});
        line.as_map().reserve(14);  // the most keys a line has
        line.set("fseq", static_cast<unsigned long long>(++feed_seq_));
        line.set("ts", static_cast<long long>(now_ms));
        line.set("state", transition_name(ev.state));
        line.set("id", exception_id_text(ev.record.id));
        line.set("kind", kind_name(ev.record.kind));
        line.set("severity", severity_name(ev.record.level));
        line.set("dept", ev.record.dept);
        line.set("order", ev.record.order);
        line.set("customer", ev.record.customer);
        line.set("detail", ev.record.detail);
        if (ev.state == exception_transition::assigned && !ev.record.history.empty()) {
            // Who gave it to whom: the assignment's own step, not the last ack or resolve.
            const record_step& step = ev.record.history.back();
            line.set("by", step.by);
            line.set("to", step.to);
            if (!step.note.empty()) line.set("note", step.note);
        } else {
            if (!ev.record.by.empty()) line.set("by", ev.record.by);
            if (!ev.record.note.empty()) line.set("note", ev.record.note);
        }
        if (!ev.cause.empty()) line.set("cause", ev.cause);
        batch.feed.emplace_back(feed_seq_, to_json(line));
        value data = std::move(rec);  // stored above; the relay message's from here on
        data.set("status", state_name(ev.record.state));  // open, acknowledged or resolved
        data.set("state", transition_name(ev.state));     // what just happened to it
        data.set("ts", static_cast<long long>(now_ms));
        engine.emit_notice(batch.relayed, std::string("exception.") + kind_name(ev.record.kind),
                           ev.record.order, ev.cause, now_ms, std::move(data));
    }
    for (const auto& ev : out.tasks) {
        value rec = to_value(ev.record);
        batch.tasks.emplace_back(ev.record.id, encode_msgpack(rec));
        value data = std::move(rec);
        data.set("status", state_name(ev.record.state));
        data.set("state", transition_name(ev.state));
        data.set("ts", static_cast<long long>(now_ms));
        engine.emit_notice(batch.relayed, "task." + ev.record.dept, ev.record.order, ev.cause,
                           now_ms, data);
        if (ev.state == task_transition::escalated)
            engine.emit_notice(batch.relayed, "task.escalation", ev.record.order, ev.cause, now_ms,
                               std::move(data));
    }
}

}  // namespace baton
