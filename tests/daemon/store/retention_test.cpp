// Tests of retention (daemon/store/order_archive): a closed order leaves memory with its records
// once its retention has passed and the last snapshot holds it; a query reads it from the
// archive; a late event brings it back and applies exactly as if it had never left, live and
// after a restart; an order with work still open stays.
#include "order_archive.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "batch.h"
#include "codec.h"
#include "control_views.h"
#include "daemon_harness.h"
#include "desk_records.h"
#include "events.h"
#include "fake_clock.h"
#include "log_capture.h"
#include "no_actions.h"
#include "recovery.h"
#include "temp_dir.h"

namespace baton {
namespace {

using testing::fake_clock;
using testing::make_event;

constexpr std::int64_t hour = 3600 * 1000;  // ms
constexpr std::int64_t day = 24 * hour;

using testing::no_actions;

std::unique_ptr<daemon_state> open_state(const config& c, const clock_source& clock) {
    return std::make_unique<daemon_state>(c, load_inputs(c), clock);
}

// Opened and recovered, as batond starts.
std::unique_ptr<daemon_state> started(const config& c, const clock_source& clock) {
    auto s = open_state(c, clock);
    recover(*s, false);
    return s;
}

void accept(batch_stage& stage, const envelope& e) {
    const std::string peer = "p";
    ASSERT_EQ(stage.accept(envelope(e), encode_envelope(e), origin::ingest, &peer),
              admission::batched)
        << e.id;
}

value data(std::initializer_list<std::pair<const char*, value>> fields) {
    value v(value_map{});
    for (const auto& [k, x] : fields) v.set(k, x);
    return v;
}

// A prepaid order from placement to invoice: closed, nothing owed.
std::vector<envelope> prepaid_lifecycle(const std::string& so) {
    return {
        testing::placed(so + "-placed", so, "C-1004", "prepay"),
        testing::credit_approved(so + "-credit", so),
        make_event("production.order.scheduled", so + "-sched", so,
                   data({{"planned_start", "2026-12-01"},
                         {"planned_finish", "2026-12-04"},
                         {"line", "P2"}}),
                   "mes"),
        make_event("production.order.started", so + "-start", so, data({{"line", "P2"}}), "mes"),
        make_event("production.order.completed", so + "-done", so, data({{"qty_good", 1550.5}}),
                   "mes"),
        make_event("finance.payment.received", so + "-paid", so, data({{"amount_cents", 1843000}}),
                   "finance-erp"),
        make_event("logistics.shipment.dispatched", so + "-disp", so,
                   data({{"vehicle", "TRK-7"}, {"qty", 1550.5}}), "tms"),
        make_event("logistics.shipment.delivered", so + "-deliv", so,
                   data({{"qty", 1550.5}, {"received_by", "J. Novak"}}), "tms"),
        make_event("finance.invoice.issued", so + "-inv", so,
                   data({{"invoice", "INV-" + so}, {"amount_cents", 1843000}}), "finance-erp"),
    };
}

// The events one after the other, an hour apart.
void run(batch_stage& stage, fake_clock& clock, const std::vector<envelope>& events) {
    for (const auto& e : events) {
        accept(stage, e);
        clock.advance_ms(hour);
    }
}

// Every exception of the order resolved and every task done, by a person.
void close_every_record(daemon_state& s, batch_stage& stage, const std::string& order,
                        std::int64_t now_ms) {
    for (const exception_record* e : s.desk.exceptions_of(order)) {
        if (e->state == exception_state::resolved) continue;
        std::string error;
        desk_output out;
        ASSERT_TRUE(s.desk.resolve(e->id, "li.na", "done", now_ms, out, error)) << error;
        stage.record(out);
    }
    for (const task_record* t : s.desk.tasks_of(order)) {
        if (t->state == task_state::done) continue;
        std::string error;
        desk_output out;
        ASSERT_TRUE(s.desk.task_done(t->id, "li.na", "done", now_ms, out, error)) << error;
        stage.record(out);
    }
}

// Closed orders leave memory a day after they closed (0: never).
config retention_config(const testing::temp_dir& dir, std::int64_t retention_ms = day) {
    config c = testing::test_config(dir);
    c.retention.closed_us = retention_ms * 1000;
    return c;
}

// SO-1 runs its whole life and closes, after waiting for credit past the stage's deadline (the
// desk raised an exception and resolved it); SO-2 is placed and stays open. Stored with a
// snapshot.
void run_two_orders(batch_stage& stage, fake_clock& clock) {
    for (const auto& e : prepaid_lifecycle("SO-1")) {
        accept(stage, e);
        clock.advance_ms(hour);
        if (e.topic == "sales.order.placed") {
            clock.advance_ms(3 * day);
            EXPECT_TRUE(stage.on_time());
        }
    }
    accept(stage, testing::placed("SO-2-placed", "SO-2", "C-1001", "prepay"));
    ASSERT_TRUE(stage.commit());
    stage.write_snapshot(true);
}

// A complaint about SO-1 is filed and answered, and people close every record of SO-1, so
// that it may leave memory; stored with a snapshot.
void run_a_complaint_to_its_end(daemon_state& s, batch_stage& stage, fake_clock& clock) {
    accept(stage, testing::complaint("complaint", "SO-1", "CASE-1"));
    clock.advance_ms(hour);
    accept(stage, testing::case_resolved("answer", "SO-1", "CASE-1"));
    ASSERT_TRUE(stage.commit());
    close_every_record(s, stage, "SO-1", clock.now_ms());
    ASSERT_TRUE(stage.commit());
    stage.write_snapshot(true);
}

// Everything a restart or a replay must reproduce: orders, relayed messages, records.
struct observed {
    value state;
    std::vector<std::string> outbox;
    std::vector<std::string> exceptions, tasks;  // as stored (the archived ones left out)
    std::vector<std::string> desk;               // the desk's records in memory
};

observed observe(daemon_state& s) {
    observed o;
    o.state = s.engine.state();
    for (const auto& m : s.store.read_outbox(0, 100000)) o.outbox.push_back(m.topic + m.envelope);
    s.store.load_records([&](std::string_view e) { o.exceptions.emplace_back(e); },
                         [&](std::string_view t) { o.tasks.emplace_back(t); });
    for (const auto& [id, e] : s.desk.all_exceptions())
        o.desk.push_back(encode_msgpack(to_value(e)));
    for (const auto& [id, t] : s.desk.all_tasks()) o.desk.push_back(encode_msgpack(to_value(t)));
    return o;
}

void expect_same(const observed& a, const observed& b) {
    EXPECT_EQ(encode_msgpack(a.state), encode_msgpack(b.state));
    EXPECT_EQ(a.outbox, b.outbox);
    EXPECT_EQ(a.exceptions, b.exceptions);
    EXPECT_EQ(a.tasks, b.tasks);
    EXPECT_EQ(a.desk, b.desk);
}

// After the closed order's retention: it leaves (or, with `retire` false, it is kept), then a
// complaint about it comes and is answered.
observed run_with_a_late_complaint(const config& c, bool retire) {
    fake_clock clock;
    auto s = started(c, clock);
    batch_stage stage(*s);
    run_two_orders(stage, clock);
    clock.advance_ms(2 * day);
    if (retire) {
        EXPECT_EQ(stage.retire(), 1u);
        EXPECT_EQ(s->engine.find("SO-1"), nullptr);
        EXPECT_NE(s->engine.find("SO-2"), nullptr);
        EXPECT_TRUE(stage.commit());
        EXPECT_EQ(s->store.archived_orders(), 1u);
    }
    accept(stage, testing::complaint("late-complaint", "SO-1", "CASE-1"));
    EXPECT_TRUE(stage.commit());
    clock.advance_ms(hour);
    accept(stage, testing::case_resolved("late-answer", "SO-1", "CASE-1"));
    EXPECT_TRUE(stage.commit());
    EXPECT_NE(s->engine.find("SO-1"), nullptr);
    EXPECT_EQ(stage.archive().revived(), retire ? 1u : 0u);
    return observe(*s);
}

// A store in a temp folder, closed orders leaving memory a day after they closed, a fake clock.
class retention : public ::testing::Test {
protected:
    testing::temp_dir dir;
    config c = retention_config(dir);
    fake_clock clock;

    // run_two_orders, then SO-1 leaves memory two days later; the state before it left.
    value so1_archived() {
        auto s = started(c, clock);
        batch_stage stage(*s);
        run_two_orders(stage, clock);
        value before = s->engine.state();
        clock.advance_ms(2 * day);
        EXPECT_EQ(stage.retire(), 1u);
        EXPECT_TRUE(stage.commit());
        return before;
    }
};

TEST_F(retention, a_late_event_applies_to_an_archived_order_as_if_it_had_never_left) {
    testing::temp_dir kept_dir, retired_dir;
    const observed kept = run_with_a_late_complaint(retention_config(kept_dir, 0), false);
    const observed retired = run_with_a_late_complaint(retention_config(retired_dir), true);
    ASSERT_FALSE(kept.exceptions.empty() && kept.tasks.empty()) << "the complaint raises records";
    expect_same(kept, retired);
}

TEST_F(retention, only_closed_orders_past_retention_and_held_by_the_last_snapshot_leave) {
    auto s = started(c, clock);
    batch_stage stage(*s);
    run(stage, clock, prepaid_lifecycle("SO-1"));
    accept(stage, testing::placed("SO-2-placed", "SO-2", "C-1001", "prepay"));
    ASSERT_TRUE(stage.commit());
    clock.advance_ms(2 * day);
    EXPECT_EQ(stage.retire(), 0u) << "changed since the last snapshot: not stored as it is";
    stage.write_snapshot(true);
    clock.advance_ms(-day - 3 * hour);  // closed 22 hours before: not yet
    EXPECT_EQ(stage.retire(), 0u);
    clock.advance_ms(2 * hour);  // 24 hours

    EXPECT_EQ(stage.retire(), 1u);
    EXPECT_EQ(stage.retire(), 0u) << "each order leaves once";
    ASSERT_TRUE(stage.commit());
    EXPECT_EQ(s->store.archived_orders(), 1u);
    EXPECT_EQ(s->engine.orders().size(), 1u);
    EXPECT_TRUE(s->engine.orders_of("C-1004").empty());
    EXPECT_EQ(s->engine.orders_of("C-1001").size(), 1u);

    // 0s keeps every order in memory.
    s->cfg.retention.closed_us = 0;
    accept(stage, testing::credit_approved("SO-2-credit", "SO-2"));
    ASSERT_TRUE(stage.commit());
    EXPECT_EQ(stage.retire(), 0u);
}

// Under load a snapshot is nearly always under way: an order the stored snapshot holds leaves
// meanwhile, one closed since (held only by the snapshot under way) waits for it.
TEST_F(retention, a_snapshot_under_way_neither_holds_up_nor_is_overtaken) {
    {
        auto s = started(c, clock);
        batch_stage stage(*s);
        run_two_orders(stage, clock);  // SO-1 closed, stored
        run(stage, clock, prepaid_lifecycle("SO-3"));
        ASSERT_TRUE(stage.commit());
        stage.start_snapshot();  // SO-3 is being copied
        ASSERT_TRUE(stage.snapshot_in_flight());
        clock.advance_ms(2 * day);
        EXPECT_EQ(stage.retire(), 1u);
        EXPECT_EQ(s->engine.find("SO-1"), nullptr);
        EXPECT_NE(s->engine.find("SO-3"), nullptr) << "its last events are not stored yet";
        ASSERT_TRUE(stage.commit());
        stage.write_snapshot();  // the snapshot under way completes
        EXPECT_EQ(stage.retire(), 1u);
        EXPECT_EQ(s->engine.find("SO-3"), nullptr);
        ASSERT_TRUE(stage.commit());
        EXPECT_EQ(s->store.archived_orders(), 2u);
    }
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.replayed, 0u);
    EXPECT_EQ(s->engine.orders().size(), 1u);  // SO-2
    batch_stage stage(*s);
    accept(stage, testing::complaint("late", "SO-3", "CASE-1"));
    ASSERT_TRUE(stage.commit());
    ASSERT_NE(s->engine.find("SO-3"), nullptr);
    EXPECT_EQ(s->engine.find("SO-3")->events.size(), 10u);
}

// A pass looks at `max_per_pass` closed orders at most, and those kept go to the back: the
// next pass looks at the ones behind them.
TEST_F(retention, a_pass_looks_at_max_per_pass_orders_and_those_kept_wait_at_the_back) {
    c.retention.max_per_pass = 1;
    auto s = started(c, clock);
    batch_stage stage(*s);
    run(stage, clock, prepaid_lifecycle("SO-1"));
    accept(stage, testing::complaint("complaint", "SO-1", "CASE-1"));  // SO-1 kept: a case open
    run(stage, clock, prepaid_lifecycle("SO-3"));
    run(stage, clock, prepaid_lifecycle("SO-4"));
    ASSERT_TRUE(stage.commit());
    stage.write_snapshot(true);
    clock.advance_ms(2 * day);
    EXPECT_EQ(stage.retire(), 0u) << "SO-1 looked at, kept, and sent to the back";
    EXPECT_EQ(stage.retire(), 1u);
    EXPECT_EQ(s->engine.find("SO-3"), nullptr);
    EXPECT_EQ(stage.retire(), 1u);
    EXPECT_EQ(s->engine.find("SO-4"), nullptr);
    EXPECT_EQ(stage.retire(), 0u);
    EXPECT_NE(s->engine.find("SO-1"), nullptr);
}

TEST_F(retention, an_order_with_an_open_case_or_an_unpaid_invoice_stays) {
    auto s = started(c, clock);
    batch_stage stage(*s);
    run(stage, clock, prepaid_lifecycle("SO-1"));
    accept(stage, testing::complaint("complaint", "SO-1", "CASE-1"));  // open case
    // A credit order invoiced for more than it was paid: money still owed.
    for (auto e : prepaid_lifecycle("SO-3")) {
        if (e.topic == "sales.order.placed") e.data.set("terms", "credit");
        if (e.topic == "finance.payment.received") e.data.set("amount_cents", 1000);
        accept(stage, e);
        clock.advance_ms(hour);
    }
    ASSERT_TRUE(stage.commit());
    stage.write_snapshot(true);
    ASSERT_FALSE(s->engine.find("SO-1")->open());
    clock.advance_ms(10 * day);
    EXPECT_EQ(stage.retire(), 0u);
    EXPECT_EQ(s->engine.orders().size(), 2u);
}

TEST_F(retention, a_query_reads_an_archived_order_with_its_history_and_records) {
    auto s = started(c, clock);
    batch_stage stage(*s);
    no_actions actions;
    control_views views(*s, stage, actions, nullptr);
    run_two_orders(stage, clock);
    run_a_complaint_to_its_end(*s, stage, clock);
    clock.advance_ms(2 * day);
    const value before = *views.order("SO-1");  // (what is overdue depends on the day)
    ASSERT_GT(before.find("exceptions")->as_list().size() + before.find("tasks")->as_list().size(),
              0u);

    ASSERT_EQ(stage.retire(), 1u);
    // Before its archive row is stored, and after: the same answer, marked archived.
    for (int stored = 0; stored < 2; ++stored) {
        std::optional<value> after = views.order("SO-1");
        ASSERT_TRUE(after) << stored;
        EXPECT_TRUE(after->find("archived")->as_bool());
        after->set("archived", false);
        EXPECT_TRUE(encode_msgpack(*after) == encode_msgpack(before)) << stored;
        if (!stored) {
            ASSERT_TRUE(stage.commit());
        }
    }
    EXPECT_TRUE(s->desk.exceptions_of("SO-1").empty());
    EXPECT_TRUE(s->desk.tasks_of("SO-1").empty());
    EXPECT_FALSE(views.order("SO-9"));
    const value status = views.status();
    std::uint64_t n = 0;
    status.find("orders_archived")->to_uint64(n);
    EXPECT_EQ(n, 1u);
    status.find("counters")->find("orders_retired")->to_uint64(n);
    EXPECT_EQ(n, 1u);
}

TEST_F(retention, a_restart_leaves_archived_orders_in_the_store_until_an_event_names_them) {
    observed live;
    std::size_t records_in_memory = 0;
    {
        auto s = started(c, clock);
        batch_stage stage(*s);
        run_two_orders(stage, clock);
        clock.advance_ms(2 * day);
        ASSERT_EQ(stage.retire(), 1u);
        ASSERT_TRUE(stage.commit());
        records_in_memory = s->desk.all_exceptions().size() + s->desk.all_tasks().size();
    }
    {
        auto s = started(c, clock);
        EXPECT_EQ(s->engine.find("SO-1"), nullptr);
        EXPECT_EQ(s->engine.orders().size(), 1u);
        EXPECT_EQ(s->desk.all_exceptions().size() + s->desk.all_tasks().size(), records_in_memory);
        batch_stage stage(*s);
        accept(stage, testing::complaint("late-complaint", "SO-1", "CASE-1"));
        ASSERT_TRUE(stage.commit());
        EXPECT_NE(s->engine.find("SO-1"), nullptr);
        live = observe(*s);
        // No snapshot since: the archive row stands for SO-1 until one stores it again.
        EXPECT_EQ(s->store.archived_orders(), 1u);
    }
    {
        // A restart in between replays the complaint onto the archived state.
        auto s = open_state(c, clock);
        const recovery_result r = recover(*s, false);
        EXPECT_EQ(r.replayed, 1u);
        expect_same(observe(*s), live);
        EXPECT_EQ(s->desk.all_exceptions().size() + s->desk.all_tasks().size(),
                  live.exceptions.size() + live.tasks.size());
        batch_stage stage(*s);
        stage.write_snapshot(true);
        EXPECT_EQ(s->store.archived_orders(), 0u) << "the snapshot holds SO-1 again";
    }
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    EXPECT_EQ(r.replayed, 0u);
    expect_same(observe(*s), live);
}

TEST_F(retention, new_records_never_reuse_the_ids_of_archived_ones) {
    std::uint64_t highest = 0;
    {
        auto s = started(c, clock);
        batch_stage stage(*s);
        run_two_orders(stage, clock);
        run_a_complaint_to_its_end(*s, stage, clock);
        for (const exception_record* e : s->desk.exceptions_of("SO-1"))
            highest = std::max(highest, e->id);
        clock.advance_ms(2 * day);
        ASSERT_EQ(stage.retire(), 1u);
        ASSERT_TRUE(stage.commit());
    }
    ASSERT_GT(highest, 0u);
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    batch_stage stage(*s);
    stage.notice_writer() = notices(r.feed_seq);
    // SO-2's stage deadline has long passed: the desk raises a new exception.
    clock.advance_ms(30 * day);
    ASSERT_TRUE(stage.on_time());
    ASSERT_TRUE(stage.commit());
    ASSERT_FALSE(s->desk.exceptions_of("SO-2").empty());
    for (const exception_record* e : s->desk.exceptions_of("SO-2")) EXPECT_GT(e->id, highest);
}

TEST_F(retention, a_rebuild_applies_every_event_again_and_empties_the_archive) {
    const value before = so1_archived();
    auto s = open_state(c, clock);
    recover(*s, true);
    EXPECT_EQ(s->store.archived_orders(), 0u);
    EXPECT_EQ(encode_msgpack(s->engine.state()), encode_msgpack(before));
}

// A damaged archive row stops nothing: the event is stored and the order starts again from it,
// with an error in the log, and its next snapshot replaces the row.
TEST_F(retention, an_unreadable_archived_order_starts_again_from_its_event) {
    so1_archived();
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((c.data_dir + "/baton.db").c_str(), &db), SQLITE_OK);
        ASSERT_EQ(
            sqlite3_exec(db, "UPDATE order_archive SET state = x'c1'", nullptr, nullptr, nullptr),
            SQLITE_OK);
        sqlite3_close(db);
    }
    testing::log_capture log;
    auto s = open_state(c, clock);
    const recovery_result r = recover(*s, false);
    batch_stage stage(*s);
    stage.set_snapshot_seq(r.snapshot_seq);  // as the loop does
    stage.notice_writer() = notices(r.feed_seq);
    accept(stage, testing::complaint("late", "SO-1", "CASE-1"));
    ASSERT_TRUE(stage.commit());
    EXPECT_TRUE(log.contains("the archived order SO-1 cannot be read back")) << log.text();
    ASSERT_NE(s->engine.find("SO-1"), nullptr);
    EXPECT_EQ(s->engine.find("SO-1")->events.size(), 1u);
    EXPECT_EQ(stage.archive().revived(), 0u);
    stage.write_snapshot(true);
    EXPECT_EQ(s->store.archived_orders(), 0u) << "the unreadable row is gone with the snapshot";
}

// A damaged record of an archived order: reading the order back fails and names the record,
// its order and why (a map with a key twice, which a value tree refused too).
TEST_F(retention, an_unreadable_archived_record_is_named_with_its_order) {
    so1_archived();
    std::int64_t damaged = 0;
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((c.data_dir + "/baton.db").c_str(), &db), SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT min(id) FROM exceptions WHERE archived = 1", -1,
                                     &st, nullptr),
                  SQLITE_OK);
        ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
        damaged = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        ASSERT_GT(damaged, 0) << "SO-1 left with an exception";
        const std::string sql = "UPDATE exceptions SET record = x'82a2696401a2696402' WHERE id = " +
                                std::to_string(damaged);
        ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    auto s = open_state(c, clock);
    recover(*s, false);
    batch_stage stage(*s);
    try {
        (void)stage.archive().find("SO-1");
        FAIL() << "a damaged record was read";
    } catch (const journal_error& e) {
        EXPECT_EQ(std::string(e.what()), "exception " + std::to_string(damaged) +
                                             " of order SO-1 is unreadable: decode: duplicate "
                                             "map key 'id'");
    }
}

// Back to what a batond of schema 4 wrote: no archive, records without `archived`.
void store_as_schema_4(const std::string& db_path) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    for (const char* sql :
         {"DROP TABLE order_archive", "ALTER TABLE exceptions DROP COLUMN archived",
          "ALTER TABLE tasks DROP COLUMN archived", "PRAGMA user_version=4"})
        EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK)
            << sql << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
}

TEST_F(retention, a_store_of_schema_4_gains_the_archive_and_keeps_its_records) {
    observed before;
    {
        auto s = started(c, clock);
        batch_stage stage(*s);
        run_two_orders(stage, clock);
        before = observe(*s);
    }
    ASSERT_FALSE(before.exceptions.empty());
    store_as_schema_4(c.data_dir + "/baton.db");
    auto s = open_state(c, clock);
    EXPECT_EQ(s->store.migrated_from(), 4);
    const recovery_result r = recover(*s, false);
    expect_same(observe(*s), before);
    batch_stage stage(*s);
    stage.set_snapshot_seq(r.snapshot_seq);  // as the loop does
    clock.advance_ms(2 * day);
    EXPECT_EQ(stage.retire(), 1u);
    ASSERT_TRUE(stage.commit());
    EXPECT_EQ(s->store.archived_orders(), 1u);
}

}  // namespace
}  // namespace baton
