// Orders leaving memory after their retention, and coming back (order_archive.h).
#include "order_archive.h"

#include <spdlog/spdlog.h>
#include <algorithm>

#include "daemon_state.h"
#include "desk_records.h"
#include "order_state.h"

namespace baton {

std::size_t order_archive::retire(std::int64_t now_ms, std::int64_t stored_seq,
                                  journal_batch& batch) {
    const std::int64_t retention_ms = s_.cfg.retention.closed_us / 1000;
    if (retention_ms <= 0) return 0;  // 0s: every order stays in memory
    std::vector<const order*> due =
        s_.engine.retirable(now_ms, retention_ms, s_.cfg.retention.max_per_pass, stored_seq,
                            [this](const order& o) { return s_.desk.has_open(o.id); });
    if (due.empty()) return 0;
    std::vector<exception_desk::retired_records> records = s_.desk.forget(due);
    std::vector<order> orders = s_.engine.take_out(due);
    for (std::size_t i = 0; i < orders.size(); ++i) {
        archived_order_row row;
        row.id = orders[i].id;
        row.state = encode_order_state(orders[i]);
        for (const auto& e : records[i].exceptions) row.exceptions.push_back(e.id);
        for (const auto& t : records[i].tasks) row.tasks.push_back(t.id);
        leaving_[row.id] = archived_order{std::move(orders[i]), std::move(records[i].exceptions),
                                          std::move(records[i].tasks)};
        batch.archived.push_back(std::move(row));
    }
    retired_ += orders.size();
    spdlog::debug("retention: {} closed orders left memory", orders.size());
    return orders.size();
}

void order_archive::committed(const journal_batch& batch) {
    for (const auto& row : batch.archived) leaving_.erase(row.id);
}

std::optional<archived_order> order_archive::find(const std::string& id) const {
    if (auto it = leaving_.find(id); it != leaving_.end()) return it->second;
    std::optional<archived_order_row> row = s_.store.read_archived(id);
    if (!row) return std::nullopt;
    archived_order a;
    std::string error;
    if (!decode_order_state(row->state, a.o, error))
        throw journal_error("archived order " + id + " is unreadable: " + error);
    // A record from its bytes; one that cannot be read is named with its order.
    auto read = [&](auto from_stored, const char* what, std::uint64_t rid, std::string_view bytes) {
        try {
            return from_stored(bytes);
        } catch (const std::runtime_error& e) {
            throw journal_error(std::string(what) + " " + std::to_string(rid) + " of order " + id +
                                " is unreadable: " + e.what());
        }
    };
    for (std::uint64_t rid : row->exceptions)
        if (const auto bytes = s_.store.read_exception(rid))
            a.exceptions.push_back(read(exception_from_stored, "exception", rid, *bytes));
    for (std::uint64_t rid : row->tasks)
        if (const auto bytes = s_.store.read_task(rid))
            a.tasks.push_back(read(task_from_stored, "task", rid, *bytes));
    return a;
}

std::optional<order> order_archive::take(const std::string& id, journal_batch& open) {
    taken_.reset();
    if (auto it = leaving_.find(id); it != leaving_.end()) {
        taken_ = std::move(it->second);
        leaving_.erase(it);
        // Its archive row may still be in the open batch: then it never leaves at all.
        auto& rows = open.archived;
        rows.erase(std::remove_if(rows.begin(), rows.end(),
                                  [&](const archived_order_row& r) { return r.id == id; }),
                   rows.end());
    } else {
        taken_ = find(id);
        if (!taken_) return std::nullopt;
    }
    ++revived_;
    return std::move(taken_->o);
}

void order_archive::readmit_records(const order& o, journal_batch& open) {
    if (!taken_) return;
    for (const auto& e : taken_->exceptions) open.readmitted_exceptions.push_back(e.id);
    for (const auto& t : taken_->tasks) open.readmitted_tasks.push_back(t.id);
    s_.desk.readmit(o, std::move(taken_->exceptions), std::move(taken_->tasks));
    taken_.reset();
}

}  // namespace baton
