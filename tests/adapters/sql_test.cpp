// Integration tests of baton-sql: a department's SQLite database (finance payments, production
// completions) polled by the adapter in-process, batond in-process on ephemeral ports. New rows
// arrive, the watermark holds across restarts, bad rows are skipped, errors name their key.
// PostgreSQL runs on a throwaway server the test starts (tests/support/postgres_server.h).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "config_error.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "process.h"
#include "query.h"
#include "sql_adapter.h"
#include "sql_config.h"
#include "watermark_file.h"
#ifdef BATON_SQL_WITH_POSTGRES
#include "postgres_server.h"
#include "postgres_source.h"
#endif

namespace baton::adapters::sql {
namespace {

using namespace std::chrono_literals;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;

// The department system's side: a writable connection to its database.
class department_db {
public:
    explicit department_db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error(path);
        exec("PRAGMA journal_mode=WAL");
    }
    ~department_db() { sqlite3_close(db_); }
    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string e = error ? error : "?";
            sqlite3_free(error);
            FAIL() << sql << ": " << e;
        }
    }

private:
    sqlite3* db_ = nullptr;
};

constexpr const char* payments_schema = R"(
CREATE TABLE payments (
  payment_id INTEGER PRIMARY KEY,
  order_no   TEXT NOT NULL,
  amount     TEXT,                 -- as the ERP keeps it: "18430.00"
  currency   TEXT,
  booked_at  TEXT,
  status     TEXT NOT NULL DEFAULT 'booked');
CREATE VIEW payments_booked AS
  SELECT payment_id, order_no, amount, currency, booked_at FROM payments WHERE status = 'booked';
)";

constexpr const char* payments_mapping = R"(mappings:
  - name: finance-payments
    topic: finance.payment.received
    source: finance-erp
    order: order_no
    ts: booked_at
    fields:
      amount_cents: {column: amount, type: cents}
      currency: {column: currency, required: false}
)";

value cmd(const char* name) {
    value r;
    r.set("cmd", name);
    return r;
}

std::uint64_t counter(const value& status, const char* name) {
    std::uint64_t n = 0;
    if (const value* c = status.find("counters"))
        if (const value* v = c->find(name)) v->to_uint64(n);
    return n;
}

// The ids of the events with `topic` in an order's history, in order.
std::vector<std::string> history_ids(daemon_harness& d, const std::string& order,
                                     const std::string& topic) {
    value req = cmd("order");
    req.set("id", order);
    value r = d.call(req);
    std::vector<std::string> ids;
    const value* o = r.find("order");
    if (!o || !o->find("history")) return ids;
    for (const auto& h : o->find("history")->as_list())
        if (h.find("topic")->as_string() == topic) ids.push_back(h.find("id")->as_string());
    return ids;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

constexpr const char* payments_mapping_choice = "{file: mapping.yaml, name: finance-payments}";

class sql_adapter_test : public ::testing::Test {
protected:
    sql_adapter_test() : d_(test_config(dir_)) {}

    void SetUp() override {
        d_.start();
        db_path_ = dir_ / "finance.db";
        department_db(db_path_).exec(payments_schema);
        mapping_path_ = dir_.write("etc/mapping.yaml", payments_mapping);
    }

    // Writes the adapter's config file (etc/sql.yaml) and returns its path.
    std::string write_config(const std::string& table = "payments_booked",
                             const std::string& watermark = "{column: payment_id}",
                             const std::string& mapping = payments_mapping_choice,
                             int batch = 100) {
        std::ostringstream text;
        text << "database: {kind: sqlite, path: ../finance.db}\n"
             << "table: " << table << "\n"
             << "watermark: " << watermark << "\n"
             << "batch: " << batch << "\n"
             << "poll_interval: 100ms\n"
             << "mapping: " << mapping << "\n"
             << "ingest:\n"
             << "  endpoint: " << d_.ingest() << "\n"
             << "  outbox: ../var/sql.outbox\n"
             << "  resend_after: 2s\n"
             << "state: ../var/sql.state\n"
             << "log_level: warn\n";
        return dir_.write("etc/sql.yaml", text.str());
    }

    std::unique_ptr<sql_adapter> make_adapter(const std::string& config_path) {
        return std::make_unique<sql_adapter>(load_sql_config(config_path), d_.context());
    }

    // Sales placed these orders, so the payments land on orders batond knows.
    void place_orders(int n) {
        ingest_client client(d_.context(), d_.ingest());
        for (int i = 1; i <= n; ++i) {
            std::string so = "SO-" + std::to_string(i);
            auto r = client.send_and_wait(testing::order_placed("placed-" + so, so), 10s);
            ASSERT_TRUE(r && r->acked);
        }
    }

    void book(int id, const std::string& order, const std::string& amount,
              const std::string& status = "booked") {
        department_db(db_path_).exec("INSERT INTO payments VALUES (" + std::to_string(id) + ", '" +
                                     order + "', '" + amount + "', 'EUR', '2026-11-20T10:0" +
                                     std::to_string(id % 10) + ":00Z', '" + status + "')");
    }

    std::uint64_t duplicates() { return counter(d_.call(cmd("status")), "duplicates"); }

    temp_dir dir_;
    daemon_harness d_;
    std::string db_path_;
    std::string mapping_path_;
};

// ---- queries and config ----------------------------------------------------------------------

TEST(sql_query, identifiers_are_checked_and_quoted_and_the_watermark_is_a_parameter) {
    EXPECT_TRUE(is_identifier("payments_2026"));
    EXPECT_TRUE(is_identifier("finance.payments", true));
    EXPECT_FALSE(is_identifier("finance.payments"));
    EXPECT_FALSE(is_identifier("payments; DROP TABLE orders", true));
    EXPECT_FALSE(is_identifier("a.b.c", true));
    EXPECT_FALSE(is_identifier("\"payments\"", true));
    EXPECT_FALSE(is_identifier(""));

    table_query q;
    q.table = "finance.payments";
    q.columns = {"payment_id", "order_no"};
    q.watermark = "payment_id";
    q.batch = 50;
    q.placeholder = "$1";
    EXPECT_EQ(q.select_after(),
              "SELECT \"payment_id\", \"order_no\" FROM \"finance\".\"payments\" WHERE "
              "\"payment_id\" > $1 ORDER BY \"payment_id\" LIMIT 50");
    EXPECT_EQ(q.select_equal(),
              "SELECT \"payment_id\", \"order_no\" FROM \"finance\".\"payments\" WHERE "
              "\"payment_id\" = $1 ORDER BY \"payment_id\"");
    q.order_ties = true;
    EXPECT_EQ(q.select_first(),
              "SELECT \"payment_id\", \"order_no\" FROM \"finance\".\"payments\" WHERE "
              "\"payment_id\" IS NOT NULL ORDER BY \"payment_id\", \"order_no\" LIMIT 50");
}

TEST_F(sql_adapter_test, config_errors_name_the_file_the_key_and_the_reason) {
    auto expect_error = [&](const std::string& path, const std::string& key,
                            const std::string& reason_part) {
        try {
            load_sql_config(path);
            ADD_FAILURE() << "no error for " << key;
        } catch (const config_error& e) {
            EXPECT_EQ(e.key, key) << e.what();
            EXPECT_NE(e.reason.find(reason_part), std::string::npos) << e.what();
        }
    };
    expect_error(write_config("payments; DROP TABLE payments"), "table", "not a table name");
    expect_error(write_config("payments_booked", "{column: payment_id, type: date}"),
                 "watermark.type", "expected integer or text");
    expect_error(write_config("payments_booked", "{column: payment_id, start_after: yesterday}"),
                 "watermark.start_after", "expected an integer");
    expect_error(write_config("payments_booked", "{column: payment_id}",
                              "{file: mapping.yaml, name: finance-payment}"),
                 "mapping.name", "no mapping named 'finance-payment'");
    std::string typo = write_config();
    dir_.write("etc/sql.yaml", read_text(typo) + "pol_interval: 5s\n");
    expect_error(typo, "pol_interval", "unknown key");

    // An inline mapping's own errors point into the config file.
    std::string inline_bad =
        write_config("payments_booked", "{column: payment_id}",
                     "\n  inline:\n    topic: finance.payment.received\n    source: finance-erp\n"
                     "    fields:\n      amount_cents: {column: amount, type: money}");
    try {
        load_sql_config(inline_bad);
        ADD_FAILURE() << "no error for the inline mapping";
    } catch (const config_error& e) {
        EXPECT_EQ(e.file, inline_bad);
        EXPECT_EQ(e.key, "mapping.inline.fields.amount_cents.type") << e.what();
        EXPECT_NE(e.reason.find("unknown type 'money'"), std::string::npos) << e.what();
    }
}

TEST_F(sql_adapter_test, a_missing_table_or_column_is_refused_with_the_database_message_and_key) {
    try {
        make_adapter(write_config("payments_bookd"));
        ADD_FAILURE() << "a missing table was accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.key, "table");
        EXPECT_NE(e.reason.find("no such table: payments_bookd"), std::string::npos) << e.what();
    }
    try {
        make_adapter(write_config("payments_booked", "{column: paymentid}"));
        ADD_FAILURE() << "a missing watermark column was accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.key, "watermark.column");
        EXPECT_NE(e.reason.find("no such column: paymentid"), std::string::npos) << e.what();
    }
    // A column the mapping names: the error points into the mapping file.
    dir_.write("etc/mapping.yaml",
               std::string(payments_mapping) + "      value_date: {column: valuta, type: date}\n");
    try {
        make_adapter(write_config());
        ADD_FAILURE() << "a missing mapped column was accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.file, mapping_path_);
        EXPECT_EQ(e.key, "mappings[0].fields.value_date.column");
        EXPECT_NE(e.reason.find("no such column: valuta"), std::string::npos) << e.what();
    }
}

TEST_F(sql_adapter_test, postgres_without_a_server_or_without_libpq_is_a_clear_error) {
    std::string path = write_config();
    std::string text = read_text(path);
    text.replace(text.find("{kind: sqlite, path: ../finance.db}"),
                 std::string("{kind: sqlite, path: ../finance.db}").size(),
                 "{kind: postgres, conninfo: 'host=127.0.0.1 port=1 connect_timeout=2'}");
    dir_.write("etc/sql.yaml", text);
    try {
        make_adapter(path);
        ADD_FAILURE() << "no error";
    } catch (const config_error& e) {
        if (postgres_supported()) {
            EXPECT_EQ(e.key, "database.conninfo") << e.what();
            EXPECT_NE(e.reason.find("cannot connect to PostgreSQL"), std::string::npos);
        } else {
            EXPECT_EQ(e.key, "database.kind") << e.what();
            EXPECT_NE(e.reason.find("no PostgreSQL support"), std::string::npos);
        }
    }
}

// ---- reading and sending ---------------------------------------------------------------------

TEST_F(sql_adapter_test, new_rows_of_a_view_are_picked_up_and_reach_batond) {
    place_orders(3);
    book(1, "SO-1", "18430.00");
    book(2, "SO-2", "1.234.500,00", "cancelled");  // not in the view: never read
    book(3, "SO-3", "5250.5");
    auto adapter = make_adapter(write_config());
    ASSERT_TRUE(adapter->drain(10s));

    EXPECT_EQ(adapter->counters().rows_read, 2u);
    EXPECT_EQ(adapter->counters().acked, 2u);
    EXPECT_EQ(adapter->counters().nacked, 0u);
    EXPECT_EQ(history_ids(d_, "SO-1", "finance.payment.received"),
              std::vector<std::string>{"payments_booked:1"});
    EXPECT_TRUE(history_ids(d_, "SO-2", "finance.payment.received").empty());
    EXPECT_EQ(history_ids(d_, "SO-3", "finance.payment.received"),
              std::vector<std::string>{"payments_booked:3"});
    EXPECT_EQ(d_.events(), 5);
    ASSERT_TRUE(adapter->watermark());
    EXPECT_EQ(*adapter->watermark(), "3");
    EXPECT_EQ(adapter->pending(), 0u);
}

TEST_F(sql_adapter_test, the_next_poll_reads_only_rows_past_the_watermark) {
    place_orders(4);
    book(1, "SO-1", "100.00");
    book(2, "SO-2", "200.00");
    auto adapter = make_adapter(write_config());
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->poll_batch().rows, 0u);  // nothing new

    book(3, "SO-3", "300.00");
    book(4, "SO-4", "400.00");
    poll_result r = adapter->poll_batch();
    EXPECT_EQ(r.rows, 2u);
    EXPECT_EQ(r.events, 2u);
    EXPECT_FALSE(r.more);
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->counters().rows_read, 4u);
    EXPECT_EQ(d_.events(), 8);
    EXPECT_EQ(duplicates(), 0u);
    EXPECT_EQ(history_ids(d_, "SO-4", "finance.payment.received"),
              std::vector<std::string>{"payments_booked:4"});
}

TEST_F(sql_adapter_test, the_watermark_is_kept_across_a_restart_and_no_row_is_sent_twice) {
    place_orders(5);
    book(1, "SO-1", "100.00");
    book(2, "SO-2", "200.00");
    const std::string config = write_config();
    {
        auto first = make_adapter(config);
        ASSERT_TRUE(first->drain(10s));
        EXPECT_EQ(first->counters().events_submitted, 2u);
    }
    auto state = load_watermark(dir_ / "var/sql.state");
    ASSERT_TRUE(state);
    EXPECT_EQ(state->table, "payments_booked");
    EXPECT_EQ(state->column, "payment_id");
    EXPECT_EQ(state->value, "2");

    book(3, "SO-3", "300.00");
    book(4, "SO-4", "400.00");
    book(5, "SO-5", "500.00");
    d_.stop();  // batond restarts too
    d_.start();
    auto second = make_adapter(write_config());  // the new ingest port
    ASSERT_TRUE(second->watermark());
    EXPECT_EQ(*second->watermark(), "2");
    ASSERT_TRUE(second->drain(10s));
    EXPECT_EQ(second->counters().rows_read, 3u);
    EXPECT_EQ(second->counters().acked, 3u);
    EXPECT_EQ(d_.events(), 10);
    EXPECT_EQ(duplicates(), 0u);
    for (int i = 1; i <= 5; ++i)
        EXPECT_EQ(history_ids(d_, "SO-" + std::to_string(i), "finance.payment.received").size(),
                  1u);
}

TEST_F(sql_adapter_test, rows_read_again_after_a_crash_before_the_watermark_is_stored_do_no_harm) {
    place_orders(2);
    book(1, "SO-1", "100.00");
    book(2, "SO-2", "200.00");
    const std::string config = write_config();
    {
        auto first = make_adapter(config);
        ASSERT_TRUE(first->drain(10s));
    }
    // As if the adapter had died after the outbox write and before the watermark write.
    std::remove((dir_ / "var/sql.state").c_str());
    auto second = make_adapter(config);
    EXPECT_FALSE(second->watermark());
    ASSERT_TRUE(second->drain(10s));
    EXPECT_EQ(second->counters().rows_read, 2u);
    EXPECT_EQ(second->counters().acked, 2u);
    EXPECT_EQ(duplicates(), 2u);  // the same ids: acked again, not applied again
    EXPECT_EQ(d_.events(), 4);
    EXPECT_EQ(history_ids(d_, "SO-1", "finance.payment.received").size(), 1u);
}

TEST_F(sql_adapter_test, a_bad_row_is_reported_and_skipped_while_good_rows_go_in) {
    place_orders(3);
    book(1, "SO-1", "100.00");
    book(2, "SO-2", "twelve hundred");
    book(3, "SO-3", "300.00");
    auto adapter = make_adapter(write_config());
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->counters().rows_read, 3u);
    EXPECT_EQ(adapter->counters().rows_rejected, 1u);
    EXPECT_EQ(adapter->counters().acked, 2u);
    EXPECT_EQ(history_ids(d_, "SO-1", "finance.payment.received").size(), 1u);
    EXPECT_TRUE(history_ids(d_, "SO-2", "finance.payment.received").empty());
    EXPECT_EQ(history_ids(d_, "SO-3", "finance.payment.received").size(), 1u);
    EXPECT_EQ(*adapter->watermark(), "3");  // the bad row is not read again and again
}

TEST_F(sql_adapter_test, rows_sharing_a_text_timestamp_are_never_split_across_batches) {
    place_orders(3);
    department_db(db_path_).exec(R"(
CREATE TABLE completions (completion_no TEXT PRIMARY KEY, order_no TEXT, completed_at TEXT,
                          qty_good TEXT, line TEXT);
INSERT INTO completions VALUES
  ('PC-1', 'SO-1', '2026-11-20 06:10:00', '1200,5', 'P2'),
  ('PC-2', 'SO-2', '2026-11-20 06:30:00', '350', 'P1'),
  ('PC-3', 'SO-3', '2026-11-20 06:30:00', '800', 'P2'),
  ('PC-4', 'SO-1', '2026-11-20 06:30:00', '10', 'P3');)");
    std::string inline_mapping =
        "\n  inline:\n    topic: production.order.completed\n    source: mes-press\n"
        "    order: order_no\n    id: completion_no\n    ts: completed_at\n    decimal: \",\"\n"
        "    fields:\n      qty_good: {column: qty_good, type: number}\n"
        "      line: {column: line}\n";
    const std::string config =
        write_config("completions", "{column: completed_at, type: text}", inline_mapping, 2);
    auto adapter = make_adapter(config);
    // The batch of 2 ends inside the three rows of 06:30; all three come along.
    poll_result r = adapter->poll_batch();
    EXPECT_EQ(r.rows, 4u);
    EXPECT_EQ(*adapter->watermark(), "2026-11-20 06:30:00");
    department_db(db_path_).exec(
        "INSERT INTO completions VALUES ('PC-5', 'SO-2', '2026-11-20 07:00:00', '5', 'P1')");
    r = adapter->poll_batch();
    EXPECT_EQ(r.rows, 1u);
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->counters().acked, 5u);
    EXPECT_EQ(history_ids(d_, "SO-1", "production.order.completed"),
              (std::vector<std::string>{"completions:PC-1", "completions:PC-4"}));
    EXPECT_EQ(history_ids(d_, "SO-2", "production.order.completed"),
              (std::vector<std::string>{"completions:PC-2", "completions:PC-5"}));
    EXPECT_EQ(duplicates(), 0u);
}

TEST_F(sql_adapter_test, a_state_file_of_another_table_is_refused) {
    save_watermark(dir_ / "var/sql.state", {"invoices", "invoice_id", "integer", "77"});
    try {
        make_adapter(write_config());
        ADD_FAILURE() << "the state of another table was used";
    } catch (const config_error& e) {
        EXPECT_EQ(e.file, dir_ / "var/sql.state");
        EXPECT_NE(e.reason.find("invoices.invoice_id"), std::string::npos) << e.what();
    }
}

TEST_F(sql_adapter_test, start_after_skips_the_history_on_the_first_run) {
    place_orders(3);
    book(1, "SO-1", "100.00");
    book(2, "SO-2", "200.00");
    book(3, "SO-3", "300.00");
    auto adapter = make_adapter(write_config("payments_booked",
                                             "{column: payment_id, "
                                             "start_after: 2}"));
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->counters().rows_read, 1u);
    EXPECT_EQ(history_ids(d_, "SO-3", "finance.payment.received").size(), 1u);
    EXPECT_TRUE(history_ids(d_, "SO-2", "finance.payment.received").empty());
}

TEST_F(sql_adapter_test, the_running_adapter_picks_up_rows_as_they_are_booked) {
    place_orders(3);
    book(1, "SO-1", "100.00");
    auto adapter = make_adapter(write_config());  // polls every 100ms
    std::atomic<bool> stop{false};
    std::thread runner([&] { adapter->run(stop); });
    auto wait_for_events = [&](std::int64_t n) {
        auto until = std::chrono::steady_clock::now() + 10s;
        while (d_.events() < n && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(20ms);
        return d_.events();
    };
    EXPECT_EQ(wait_for_events(4), 4);
    book(2, "SO-2", "200.00");
    book(3, "SO-3", "300.00");
    EXPECT_EQ(wait_for_events(6), 6);
    stop = true;
    runner.join();
    // batond has the events; the last acks may still be on their way to the stopped adapter.
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(*adapter->watermark(), "3");
    EXPECT_EQ(adapter->counters().acked, 3u);
    EXPECT_EQ(duplicates(), 0u);
}

TEST_F(sql_adapter_test, rows_read_while_batond_is_down_are_delivered_when_it_is_back) {
    d_.stop();
    d_.cfg().bus.ingest = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    d_.start();
    place_orders(2);
    auto adapter = make_adapter(write_config());
    d_.stop();
    book(1, "SO-1", "100.00");
    book(2, "SO-2", "200.00");
    EXPECT_FALSE(adapter->drain(500ms));  // read and in the outbox, but unanswered
    EXPECT_EQ(adapter->pending(), 2u);
    EXPECT_EQ(*adapter->watermark(), "2");
    d_.start();
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->pending(), 0u);
    EXPECT_EQ(history_ids(d_, "SO-2", "finance.payment.received"),
              std::vector<std::string>{"payments_booked:2"});
}

TEST(sql_config, the_examples_load) {
    const std::string folder = std::string(BATON_SOURCE_DIR) + "/adapters/sql/example/";
    sql_config sqlite = load_sql_config(folder + "finance-payments.yaml");
    EXPECT_EQ(sqlite.kind, database_kind::sqlite);
    EXPECT_EQ(sqlite.row_mapping.topic, "finance.payment.received");
    EXPECT_EQ(sqlite.columns().front().column, "payment_id");
    sql_config pg = load_sql_config(folder + "production-completions-postgres.yaml");
    EXPECT_EQ(pg.kind, database_kind::postgres);
    EXPECT_EQ(pg.table, "mes.order_completions");
    EXPECT_EQ(pg.watermark_kind, watermark_type::text);
    EXPECT_EQ(pg.row_mapping.name, "production-completions");
}

// ---- the program -----------------------------------------------------------------------------

TEST_F(sql_adapter_test, the_program_helps_checks_and_runs_once) {
    const std::string out = dir_ / "out.txt";
    auto [help_status, help] = testing::run_program({BATON_SQL_PATH, "--help"}, out);
    EXPECT_EQ(help_status, 0);
    EXPECT_NE(help.find("--once"), std::string::npos) << help;
    EXPECT_NE(help.find("--config"), std::string::npos) << help;

    std::remove(out.c_str());
    auto [bad_status, bad] =
        testing::run_program({BATON_SQL_PATH, "--config", write_config("payment")}, out);
    EXPECT_EQ(bad_status, 2);
    EXPECT_NE(bad.find("table: cannot read 'payment'"), std::string::npos) << bad;
    EXPECT_NE(bad.find("no such table: payment"), std::string::npos) << bad;

    place_orders(2);
    book(1, "SO-1", "100.00");
    book(2, "SO-2", "200.00");
    const std::string config = write_config();
    std::remove(out.c_str());
    auto [check_status, check] =
        testing::run_program({BATON_SQL_PATH, "--config", config, "--check-config"}, out);
    EXPECT_EQ(check_status, 0) << check;
    EXPECT_NE(check.find(": ok ("), std::string::npos) << check;

    std::remove(out.c_str());
    auto [once_status, once] =
        testing::run_program({BATON_SQL_PATH, "--config", config, "--once"}, out);
    EXPECT_EQ(once_status, 0) << once;
    EXPECT_EQ(d_.events(), 4);
    EXPECT_EQ(load_watermark(dir_ / "var/sql.state")->value, "2");
}

// ---- PostgreSQL: a throwaway server of its own, or the one BATON_TEST_POSTGRES names ------------

TEST_F(sql_adapter_test, postgres_rows_after_a_timestamp_watermark_are_picked_up) {
#ifndef BATON_SQL_WITH_POSTGRES
    GTEST_SKIP() << "built without libpq (Debian package libpq-dev)";
#else
    std::unique_ptr<testing::postgres_server> server;
    std::string conninfo;
    if (const char* given = std::getenv("BATON_TEST_POSTGRES"); given && *given) {
        conninfo = given;
    } else {
        server = std::make_unique<testing::postgres_server>();
        if (!server->skip_reason().empty()) GTEST_SKIP() << server->skip_reason();
        ASSERT_TRUE(server->running()) << server->error();
        conninfo = server->conninfo();
    }
    std::unique_ptr<postgres_source> pg;
    try {
        pg = std::make_unique<postgres_source>(conninfo);
    } catch (const source_error& e) {
        FAIL() << "cannot connect to PostgreSQL (" << conninfo << "): " << e.what();
    }
    const std::string table = "baton_sql_test_" + std::to_string(::getpid());
    pg->query("DROP TABLE IF EXISTS " + table, {});
    pg->query("CREATE TABLE " + table +
                  " (payment_id bigserial PRIMARY KEY, order_no text NOT NULL, "
                  "amount numeric(12,2) NOT NULL, paid_at timestamptz NOT NULL)",
              {});
    struct drop_table {
        postgres_source& pg;
        std::string table;
        ~drop_table() {
            try {
                pg.query("DROP TABLE IF EXISTS " + table, {});
            } catch (...) {
            }
        }
    } cleanup{*pg, table};
    auto insert = [&](const std::string& order, const std::string& amount,
                      const std::string& paid_at) {
        pg->query("INSERT INTO " + table + " (order_no, amount, paid_at) VALUES ($1, $2, $3)",
                  {{order}, {amount}, {paid_at}});
    };
    place_orders(3);
    insert("SO-1", "18430.00", "2026-11-20 10:00:00.250+01");
    insert("SO-2", "99.95", "2026-11-20 10:00:00.250+01");

    std::string config = write_config(table, "{column: paid_at, type: text}",
                                      "{file: mapping.yaml, name: finance-payments}", 1);
    std::string text = read_text(config);
    text.replace(text.find("{kind: sqlite, path: ../finance.db}"),
                 std::string("{kind: sqlite, path: ../finance.db}").size(),
                 "{kind: postgres, conninfo: '" + conninfo + "'}");
    dir_.write("etc/sql.yaml", text);
    dir_.write("etc/mapping.yaml", R"(mappings:
  - name: finance-payments
    topic: finance.payment.received
    source: finance-erp
    order: order_no
    id: payment_id
    ts: paid_at
    fields:
      amount_cents: {column: amount, type: cents}
)");
    {
        auto adapter = make_adapter(config);
        ASSERT_TRUE(adapter->drain(10s));
        EXPECT_EQ(adapter->counters().acked, 2u);  // a batch of 1 took both tied rows
    }
    insert("SO-3", "10.00", "2026-11-20 10:00:00.251+01");
    auto adapter = make_adapter(config);
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->counters().rows_read, 1u);
    EXPECT_EQ(history_ids(d_, "SO-3", "finance.payment.received"),
              std::vector<std::string>{"finance-payments:3"});
    EXPECT_EQ(duplicates(), 0u);
#endif
}

}  // namespace
}  // namespace baton::adapters::sql
