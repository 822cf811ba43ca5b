// Upgrade: a baton.db written by the batond before quantities (store schema 1,
// tests/fixtures/store-v1) opens with today's batond, migrates, and its orders are the same as
// that batond answered for them; after a restart they still are, and they go on with today's
// rules.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "batch.h"
#include "daemon_harness.h"
#include "fake_clock.h"
#include "log_capture.h"
#include "recovery.h"
#include "temp_dir.h"

namespace baton {
namespace {

using testing::fake_clock;

const std::string fixtures = std::string(BATON_SOURCE_DIR) + "/tests/fixtures/store-v1";

// Loads the gzipped SQL dump into a new database at `db_path`.
void load_dump(const std::string& db_path) {
    const std::string command = "gzip -dc '" + fixtures + "/baton-v1.sql.gz'";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string sql;
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) sql.append(buf, n);
    ASSERT_EQ(pclose(pipe), 0) << command;
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    // `.dump` leaves out the schema version the file had (1, as README.md says): put it back.
    sql += "PRAGMA user_version=1;";
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
}

int user_version(const std::string& db_path) {
    sqlite3* db = nullptr;
    int version = -1;
    if (sqlite3_open(db_path.c_str(), &db) == SQLITE_OK) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            version = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return version;
}

nlohmann::json expected_orders() {
    std::ifstream in(fixtures + "/order_views.json");
    return nlohmann::json::parse(in);
}

std::vector<baton::interned> strings(const nlohmann::json& list) {
    std::vector<baton::interned> out;
    for (const auto& s : list) out.push_back(s.get<std::string>());
    return out;
}

// The order as the old batond showed it, key by key.
void expect_same_order(const order& o, const nlohmann::json& want) {
    SCOPED_TRACE(o.id);
    EXPECT_EQ(o.customer, want["customer"].get<std::string>());
    EXPECT_EQ(o.stage, want["stage"].get<std::string>());
    EXPECT_EQ(o.holder, want["holder"].get<std::string>());
    EXPECT_EQ(o.stage_since_ms, want["since"].get<std::int64_t>());
    EXPECT_EQ(o.promised_date, want["promised_date"].get<std::string>());
    EXPECT_EQ(o.amount_cents, want["amount_cents"].get<std::int64_t>());
    EXPECT_EQ(o.paid_cents, want["paid_cents"].get<std::int64_t>());
    EXPECT_EQ(o.terms, want["terms"].get<std::string>());
    EXPECT_EQ(o.new_die, want["new_die"].get<bool>());
    EXPECT_EQ(o.holds, strings(want["holds"]));
    EXPECT_EQ(o.departments, strings(want["departments"]));
    ASSERT_EQ(o.milestones.size(), want["milestones"].size());
    for (const auto& [name, at] : want["milestones"].items()) {
        ASSERT_TRUE(o.has(name)) << name;
        EXPECT_EQ(o.milestones.at(name).at_ms, at.get<std::int64_t>()) << name;
    }
}

TEST(upgrade, a_store_of_schema_1_opens_migrates_and_keeps_its_orders) {
    testing::temp_dir dir;
    const config c = testing::test_config(dir);
    std::filesystem::create_directories(c.data_dir);
    const std::string db = c.data_dir + "/baton.db";
    load_dump(db);
    ASSERT_EQ(user_version(db), 1);
    const nlohmann::json want = expected_orders();
    ASSERT_EQ(want.size(), 26u);

    fake_clock clock(1797000000000);  // after the fixture was written
    {
        testing::log_capture log;
        auto s = std::make_unique<daemon_state>(c, load_inputs(c), clock);
        EXPECT_EQ(s->store.migrated_from(), 1);
        const recovery_result r = recover(*s, false);
        EXPECT_EQ(r.replayed, 0u);  // the old batond stopped cleanly: all in the snapshot
        EXPECT_TRUE(log.contains("store migrated from schema 1 to " +
                                 std::to_string(journal_schema_version) + ": 26 orders upgraded"));
        ASSERT_EQ(s->engine.orders().size(), want.size());
        // Schema 3's index of relay messages by order was built from the old outbox.
        for (const auto& [id, o] : s->engine.orders())
            EXPECT_FALSE(s->store.read_relayed_of(id, 10).empty()) << id;
        for (const auto& [id, view] : want.items()) {
            const order* o = s->engine.find(id);
            ASSERT_NE(o, nullptr) << id;
            expect_same_order(*o, view);
        }
        // What they had proven stands for the whole order: a closed order has one whole batch,
        // one delivered whole shipment and its invoice.
        std::size_t closed = 0;
        for (const auto& [id, o] : s->engine.orders()) {
            if (o.stage != "closed") continue;
            ++closed;
            ASSERT_EQ(o.batches.size(), 1u) << id;
            EXPECT_TRUE(o.batches[0].whole);
            ASSERT_EQ(o.shipments.size(), 1u) << id;
            EXPECT_EQ(o.shipments[0].state, shipment_state::delivered);
            ASSERT_EQ(o.invoices.size(), 1u) << id;
            EXPECT_EQ(o.invoices[0].amount_cents, o.amount_cents);
            EXPECT_EQ(o.invoices[0].due_date, "");  // not known: not aged
        }
        EXPECT_EQ(closed, 11u);
        // Snapshot in the new format; the desk's records came back too.
        batch_stage stage(*s);
        stage.write_snapshot(true);
        EXPECT_GT(s->desk.all_exceptions().size(), 0u);
    }
    EXPECT_EQ(user_version(db), journal_schema_version);

    // Restarted: the same orders from the new snapshot, nothing to migrate.
    auto s = std::make_unique<daemon_state>(c, load_inputs(c), clock);
    EXPECT_EQ(s->store.migrated_from(), 0);
    const recovery_result r = recover(*s, false);
    for (const auto& [id, view] : want.items()) {
        const order* o = s->engine.find(id);
        ASSERT_NE(o, nullptr) << id;
        expect_same_order(*o, view);
    }

    // An order of the old store in production goes on under today's rules: its completion for
    // the whole order proves it produced.
    const order* in_production = nullptr;
    for (const auto& [id, o] : s->engine.orders())
        if (o.stage == "production" && !in_production) in_production = &o;
    ASSERT_NE(in_production, nullptr);
    const std::string id = in_production->id;
    ASSERT_EQ(in_production->line_items.size(), lines_value(*in_production).as_list().size());
    value data;
    data.set("qty_good", 1.0);  // a whole-order report names no lines: the order as a whole
    value_list per_line;
    for (const auto& l : in_production->line_items) {
        value q;
        q.set("line", static_cast<long long>(l.no));
        q.set("qty_good", static_cast<double>(l.ordered_milli) / 1000.0);
        per_line.push_back(std::move(q));
    }
    data.set("order_lines", value(std::move(per_line)));
    envelope e;
    e.id = "upgrade-1";
    e.source = "mes";
    e.topic = "production.order.completed";
    e.ts_ms = clock.now_ms();
    e.order = id;
    e.data = std::move(data);
    batch_stage stage(*s);
    stage.notice_writer() = notices(r.feed_seq);  // as the loop starts it
    const std::string peer = "p";
    stage.accept(envelope(e), encode_envelope(e), origin::ingest, &peer);
    ASSERT_TRUE(stage.commit());
    EXPECT_TRUE(s->engine.find(id)->has("produced"));
    EXPECT_NE(s->engine.find(id)->stage, "production");
}

}  // namespace
}  // namespace baton
