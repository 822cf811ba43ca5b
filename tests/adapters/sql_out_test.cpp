// baton-sql-out: column paths and formats and config refusals without a database; then relay
// messages from an in-process batond into middle tables of a SQLite file, a real PostgreSQL
// (libpq) and a real MariaDB (ODBC): one row per message in seq order, no duplicates after a
// restart or a re-delivery, nothing lost while the database is down.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "column_values.h"
#include "config_error.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "sql_out.h"
#include "sql_out_config.h"
#include "sqlite_source.h"
#include "table_writer.h"
#ifdef BATON_SQL_WITH_POSTGRES
#include "postgres_server.h"
#include "postgres_source.h"
#endif
#ifdef BATON_SQL_WITH_ODBC
#include "mariadb_server.h"
#include "odbc_source.h"
#endif

namespace baton::adapters::sql {
namespace {

using namespace std::chrono_literals;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

relayed_message sample_message() {
    relayed_message m;
    m.seq = 42;
    m.topic = "finance.invoice_request";
    m.env = testing::order_placed("e-1", "SO-7", "上海铝业");
    m.env.topic = m.topic;
    m.env.ts_ms = 1795140000123;  // 2026-11-20 02:00:00.123 UTC
    m.env.cause = "SO-7-deliv";
    return m;
}

std::string text_of(const value& v, value_format f, const std::optional<time_zone>& zone = {}) {
    sql_param p;
    std::string why;
    EXPECT_TRUE(column_param(v, f, zone, p, why)) << why;
    return p.null ? "NULL" : p.text;
}

// ---- without a database --------------------------------------------------------------------

TEST(sql_out_values, paths_reach_envelope_keys_and_data_below_them) {
    relayed_message m = sample_message();
    std::string why;
    auto at = [&](const std::string& path) {
        auto p = parse_value_path(path, why);
        EXPECT_TRUE(p) << why;
        return p ? value_at(*p, m) : value();
    };
    EXPECT_EQ(at("seq").to_double(), 42.0);
    EXPECT_EQ(at("topic").as_string(), "finance.invoice_request");
    EXPECT_EQ(at("order").as_string(), "SO-7");
    EXPECT_EQ(at("id").as_string(), "e-1");
    EXPECT_EQ(at("cause").as_string(), "SO-7-deliv");
    EXPECT_EQ(at("data.customer").as_string(), "上海铝业");
    EXPECT_EQ(at("data.lines[1].die").as_string(), "D-0930");
    EXPECT_TRUE(at("data.lines[7].die").is_nil());
    EXPECT_TRUE(at("data.nothing.here").is_nil());

    EXPECT_FALSE(parse_value_path("payload.x", why));
    EXPECT_NE(why.find("starts with seq, topic"), std::string::npos) << why;
    EXPECT_FALSE(parse_value_path("order.x", why));
    EXPECT_FALSE(parse_value_path("data.lines[x]", why));
    EXPECT_FALSE(parse_value_path("data..x", why));
}

TEST(sql_out_values, formats_write_exact_cents_local_datetimes_dates_and_json) {
    EXPECT_EQ(cents_text(123456), "1234.56");
    EXPECT_EQ(cents_text(-5), "-0.05");
    EXPECT_EQ(cents_text(0), "0.00");
    EXPECT_EQ(cents_text(INT64_MIN), "-92233720368547758.08");
    EXPECT_EQ(text_of(value(1843000), value_format::cents), "18430.00");
    std::string why;
    auto shanghai = load_time_zone("Asia/Shanghai", why);
    ASSERT_TRUE(shanghai) << why;
    EXPECT_EQ(text_of(value(1795140000123LL), value_format::datetime, shanghai),
              "2026-11-20 10:00:00.123");
    EXPECT_EQ(text_of(value(1795140000000LL), value_format::datetime, load_time_zone("UTC", why)),
              "2026-11-20 02:00:00");
    EXPECT_EQ(text_of(value(1795190400000LL), value_format::date, shanghai), "2026-11-21");
    EXPECT_EQ(text_of(value("2026-12-18"), value_format::date), "2026-12-18");
    value d;
    d.set("a", 1);
    d.set("b", "中");
    EXPECT_EQ(text_of(d, value_format::json), R"({"a":1,"b":"中"})");
    EXPECT_EQ(text_of(value(), value_format::cents), "NULL");
    EXPECT_EQ(text_of(value(true), value_format::as_is), "1");

    sql_param p;
    EXPECT_FALSE(column_param(value("12.50"), value_format::cents, {}, p, why));
    EXPECT_EQ(why, "cents: expected an integer, got string");
    EXPECT_FALSE(column_param(value(1.5), value_format::datetime, {}, p, why));
}

TEST(sql_out_values, each_database_gets_an_insert_that_skips_a_seq_already_there) {
    EXPECT_EQ(insert_style_for("PostgreSQL"), insert_style::on_conflict);
    EXPECT_EQ(insert_style_for("SQLite"), insert_style::on_conflict);
    EXPECT_EQ(insert_style_for("MariaDB"), insert_style::on_duplicate_key);
    EXPECT_EQ(insert_style_for("MySQL"), insert_style::on_duplicate_key);
    EXPECT_EQ(insert_style_for("Microsoft SQL Server"), insert_style::where_not_exists);
}

class sql_out_config_test : public ::testing::Test {
protected:
    std::string load_error(const std::string& yaml) {
        std::string p = dir_.write("out.yaml", yaml);
        try {
            load_sql_out_config(p);
        } catch (const config_error& e) {
            std::string reason = e.reason;  // without the " (line N)" of the YAML reader
            auto at = reason.rfind(" (line ");
            if (at != std::string::npos) reason.resize(at);
            return e.key + ": " + reason;
        }
        return "accepted";
    }
    std::string with_table(const std::string& table) {
        return "state: var/out.state\ndatabase: {kind: sqlite, path: erp.db}\ntables:\n" + table;
    }
    temp_dir dir_;
};

TEST_F(sql_out_config_test, a_good_config_is_read_with_paths_relative_to_it) {
    std::string p = dir_.write(
        "etc/out.yaml",
        "batond: {relay: 'tcp://10.0.0.5:7711', control: 'tcp://10.0.0.5:7712'}\n"
        "state: ../var/out.state\n"
        "database: {kind: postgres, conninfo: 'host=db1 dbname=fin', time_zone: Asia/Shanghai}\n"
        "batch_rows: 50\n"
        "tables:\n"
        "  - topics: [finance.invoice_request]\n"
        "    table: fin.invoice_requests\n"
        "    seq_column: relay_seq\n"
        "    columns:\n"
        "      - {column: order_no, value: order}\n"
        "      - {column: amount, value: data.amount_cents, format: cents}\n"
        "    status_column: status\n"
        "    status_value: new\n");
    auto c = load_sql_out_config(p);
    EXPECT_EQ(c.state_path, dir_ / "var/out.state");
    EXPECT_EQ(c.relay, "tcp://10.0.0.5:7711");
    EXPECT_EQ(c.database.kind, database_kind::postgres);
    EXPECT_EQ(c.database.time_zone, "Asia/Shanghai");
    EXPECT_EQ(c.batch_rows, 50u);
    EXPECT_EQ(c.retry.initial, 1s);
    EXPECT_EQ(c.retry.max, 60s);
    ASSERT_EQ(c.tables.size(), 1u);
    EXPECT_EQ(c.tables[0].columns[1].format, value_format::cents);
    EXPECT_EQ(c.tables[0].status_value, "new");
    EXPECT_EQ(c.topics(), std::vector<std::string>{"finance.invoice_request"});
}

TEST_F(sql_out_config_test, mistakes_are_refused_with_the_key_that_holds_them) {
    const std::string cols = "    columns: [{column: a, value: order}]\n";
    const std::string head = "  - topics: [finance.]\n    table: t\n    seq_column: relay_seq\n";
    EXPECT_EQ(load_error(with_table(head + cols) + "bogus: 1\n"),
              "bogus: unknown key (expected one of: batond, curve, state, database, tables, "
              "batch_rows, batch_wait, retry, log_level)");
    EXPECT_EQ(load_error(with_table(head + cols + "    colour: red\n")),
              "tables[0].colour: unknown key (expected one of: topics, table, seq_column, "
              "columns, status_column, status_value)");
    EXPECT_EQ(load_error(with_table(head + "    columns: [{column: relay_seq, value: seq}]\n")),
              "tables[0].columns[0].column: 'relay_seq' is written twice (it is the seq_column, "
              "which always holds the relay seq)");
    EXPECT_EQ(
        load_error(with_table(head + "    columns: [{column: a, value: order, format: euro}]\n")),
        "tables[0].columns[0].format: expected cents, datetime, date or json, got 'euro'");
    EXPECT_NE(load_error(with_table(head + "    columns: [{column: a, value: payload}]\n"))
                  .find("tables[0].columns[0].value: 'payload' is not a path"),
              std::string::npos);
    EXPECT_EQ(load_error(with_table(head + cols + "    status_column: status\n")),
              "tables[0].status_value: give status_column and status_value together");
    EXPECT_EQ(load_error(with_table("  - topics: [finance.]\n    table: 'a b'\n    seq_column: "
                                    "s\n" +
                                    cols)),
              "tables[0].table: 'a b' is not a table name (letters, digits and _, optionally "
              "schema.table)");
    EXPECT_EQ(load_error(with_table("  - topics: ['']\n    table: t\n    seq_column: s\n" + cols)),
              "tables[0].topics[0]: an empty prefix would take every topic; name them");
    // The database section is baton-sql's, with its rules.
    EXPECT_EQ(load_error("state: s\ndatabase: {kind: oracle}\ntables: []\n"),
              "database.kind: expected sqlite, postgres or odbc, got 'oracle'");
    EXPECT_EQ(load_error("state: s\ndatabase: {kind: odbc, dsn: erp, password: x}\ntables: []\n")
                  .substr(0, 35),
              "database.password: unknown key (exp");
    EXPECT_EQ(load_error(with_table(head + cols) + "batch_rows: 0\n"),
              "batch_rows: must be 1 to 100000");
}

// ---- against real databases -----------------------------------------------------------------

std::vector<envelope> lifecycle(const std::string& order, const std::string& customer) {
    return {
        testing::order_placed(order + "-placed", order, customer),
        testing::credit_approved(order + "-credit", order),
        testing::make_event(
            "production.order.scheduled", order + "-sched", order,
            [] {
                value d;
                d.set("planned_start", "2026-12-01");
                d.set("planned_finish", "2026-12-04");
                d.set("line", "P2");
                return d;
            }(),
            "mes"),
        testing::completed(order + "-done", order),
        testing::dispatched(order + "-disp", order),
        testing::delivered(order + "-deliv", order),
    };
}

void send_all(daemon_harness& d, const std::vector<envelope>& events) {
    ingest_client client(d.context(), d.ingest());
    for (const auto& e : events) {
        auto r = client.send_and_wait(e, 10s);
        ASSERT_TRUE(r) << e.id;
        ASSERT_TRUE(r->acked) << e.id << ": " << r->reason;
    }
}

// One expected row: the relayed message's values, as the tables below hold them.
struct row {
    std::string seq, topic, order, customer, extra;  // extra: amount or stage
    bool operator==(const row& o) const {
        return seq == o.seq && topic == o.topic && order == o.order && customer == o.customer &&
               extra == o.extra;
    }
};
std::ostream& operator<<(std::ostream& os, const row& r) {
    return os << r.seq << " " << r.topic << " " << r.order << " " << r.customer << " " << r.extra;
}

std::string str_at(const value& v, const char* key) {
    const value* x = v.find(key);
    return x && x->is_string() ? x->as_string() : "";
}

// What batond relayed, as rows of the two middle tables (invoice requests, then status rows).
std::pair<std::vector<row>, std::vector<row>> expected_rows(daemon_harness& d) {
    value req;
    req.set("cmd", "replay");
    req.set("since", 0);
    req.set("limit", 10000);
    value reply = d.call(req);
    std::vector<row> invoices, statuses;
    for (const auto& m : reply.find("messages")->as_list()) {
        std::uint64_t seq = 0;
        m.find("seq")->to_uint64(seq);
        const std::string topic = str_at(m, "topic");
        const value& env = *m.find("envelope");
        const value& data = *env.find("data");
        row r{std::to_string(seq), topic, str_at(env, "order"), str_at(data, "customer"), ""};
        if (topic == "finance.invoice_request") {
            std::int64_t cents = 0;
            if (const value* a = data.find("amount_cents")) a->to_int64(cents);
            r.extra = cents_text(cents);
            invoices.push_back(r);
        } else if (topic == "sales.status") {
            r.extra = str_at(data, "stage");
            statuses.push_back(r);
        }
    }
    return {invoices, statuses};
}

// A database under test: its config section, its DDL, a reader, and a way to pull the plug.
struct database_under_test {
    std::string section;  // the `database:` YAML, indented by two
    std::string create_invoices, create_statuses;
    std::function<std::unique_ptr<source>()> open;
    std::function<void(const std::string&)> execute;  // DDL as an administrator
    std::function<void()> stop, start;  // empty: no outage to stage (SQLite is a file)
};

std::vector<row> read_rows(source& db, const std::string& table, const std::string& extra) {
    std::vector<row> out;
    for (const auto& r : db.query("SELECT relay_seq, topic, order_no, customer, " + extra +
                                      " FROM " + table + " ORDER BY row_id",
                                  {}))
        out.push_back({r[0].value_or("NULL"), r[1].value_or("NULL"), r[2].value_or("NULL"),
                       r[3].value_or("NULL"), r[4].value_or("NULL")});
    return out;
}

// baton-sql-out without main(): running on its own thread until stopped.
class sql_out_under_test {
public:
    explicit sql_out_under_test(const sql_out_config& c) : out_(context_, c) {
        thread_ = std::thread([this] { out_.run(stop_); });
    }
    ~sql_out_under_test() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    const sql_out& out() const { return out_; }

private:
    zmq::context_t context_{1};
    std::atomic<bool> stop_{false};
    sql_out out_;
    std::thread thread_;
};

void relay_into_tables(database_under_test& db) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    db.execute(db.create_invoices);
    db.execute(db.create_statuses);
    const std::string path = dir.write(
        "etc/out.yaml", "batond: {relay: '" + d.relay() + "', control: '" + d.control() + "'}\n" +
                            "state: ../var/sql-out.state\n" + "database:\n" + db.section +
                            "    time_zone: Asia/Shanghai\n"
                            "batch_rows: 7\n"
                            "batch_wait: 50ms\n"
                            "retry: {initial: 100ms, max: 400ms}\n"
                            "log_level: warn\n"
                            "tables:\n"
                            "  - topics: [finance.invoice_request]\n"
                            "    table: invoice_requests\n"
                            "    seq_column: relay_seq\n"
                            "    columns:\n"
                            "      - {column: topic, value: topic}\n"
                            "      - {column: order_no, value: order}\n"
                            "      - {column: customer, value: data.customer}\n"
                            "      - {column: amount, value: data.amount_cents, format: cents}\n"
                            "      - {column: requested_at, value: ts, format: datetime}\n"
                            "      - {column: requested_text, value: ts, format: datetime}\n"
                            "      - {column: payload, value: data, format: json}\n"
                            "    status_column: status\n"
                            "    status_value: new\n"
                            "  - topics: [sales.status]\n"
                            "    table: order_status\n"
                            "    seq_column: relay_seq\n"
                            "    columns:\n"
                            "      - {column: topic, value: topic}\n"
                            "      - {column: order_no, value: order}\n"
                            "      - {column: customer, value: data.customer}\n"
                            "      - {column: stage, value: data.stage}\n");
    const sql_out_config config = load_sql_out_config(path);
    auto reader = db.open();
    auto check = [&](const char* when) {
        auto [invoices, statuses] = expected_rows(d);
        std::vector<row> got_inv, got_st;
        const bool arrived = wait_until(
            [&] {
                try {
                    got_inv = read_rows(*reader, "invoice_requests", "amount");
                    got_st = read_rows(*reader, "order_status", "stage");
                } catch (const source_error&) {
                    reader = db.open();
                    return false;
                }
                return got_inv.size() >= invoices.size() && got_st.size() >= statuses.size();
            },
            20s);
        EXPECT_TRUE(arrived) << when;
        EXPECT_EQ(got_inv, invoices) << when;  // each once, in seq order, values exact
        EXPECT_EQ(got_st, statuses) << when;
    };

    send_all(d, lifecycle("SO-1", "C-1001"));
    send_all(d, lifecycle("SO-2", "上海铝型材有限公司"));
    {
        sql_out_under_test out(config);
        check("first run");
        auto [invoices, statuses] = expected_rows(d);
        ASSERT_EQ(invoices.size(), 2u);
        ASSERT_GE(statuses.size(), 10u);
        EXPECT_EQ(statuses.back().customer, "上海铝型材有限公司");
        EXPECT_EQ(invoices[0].extra, "18430.00");
        // The columns the check above does not compare: a local DATETIME, JSON, the status.
        auto r = reader->query(
            "SELECT requested_text, requested_at, status, payload FROM invoice_requests", {});
        ASSERT_EQ(r.size(), 2u);
        EXPECT_EQ(r[0][1].value_or("").substr(0, 19), r[0][0].value_or("?").substr(0, 19));
        EXPECT_EQ(r[0][2].value_or(""), "new");
        EXPECT_NE(r[0][3].value_or("").find("\"amount_cents\":1843000"), std::string::npos);
        // Other topics (finance.credit_check, production.release...) move the position too.
        ASSERT_TRUE(wait_until(
            [&] { return out.out().last_seq() >= std::stoull(statuses.back().seq); }, 5s));
    }

    // A restart: a new writer from the saved position writes only what is new.
    send_all(d, lifecycle("SO-3", "C-1001"));
    {
        sql_out_under_test out(config);
        check("after a restart");
    }

    // Re-delivery from an older position (a crash after COMMIT, before the position was
    // saved): every message comes again and the unique seq keeps one row each.
    dir.write("var/sql-out.state", "3\n");
    {
        sql_out_under_test out(config);
        auto head = std::stoull(expected_rows(d).second.back().seq);
        ASSERT_TRUE(wait_until([&] { return out.out().last_seq() >= head; }, 20s));
        check("after re-delivery");
        EXPECT_GT(out.out().rows_written(), 0u);
    }

    // The database goes away mid-stream and comes back: rows arrive once, none lost.
    if (db.stop) {
        sql_out_under_test out(config);
        db.stop();
        send_all(d, lifecycle("SO-4", "杭州门窗厂"));
        ASSERT_TRUE(wait_until([&] { return out.out().failed_batches() >= 2; }, 20s));
        db.start();
        reader = db.open();
        check("after the database came back");
        auto [invoices, statuses] = expected_rows(d);
        EXPECT_EQ(invoices.size(), 4u);
    }
}

// A middle table in a SQLite file. The amount column is TEXT: SQLite's NUMERIC affinity would
// store "18430.00" as the integer 18430, and a value with cents as a binary REAL.
TEST(sql_out_sqlite, every_relayed_message_is_one_row_in_order_across_restarts) {
    temp_dir files;
    const std::string path = files.write("middle.db", "");  // an empty file: an empty database
    database_under_test db;
    db.section = "    kind: sqlite\n    path: '" + path + "'\n";
    db.create_invoices =
        "CREATE TABLE invoice_requests (row_id INTEGER PRIMARY KEY AUTOINCREMENT, relay_seq "
        "INTEGER NOT NULL UNIQUE, topic TEXT NOT NULL, order_no TEXT, customer TEXT, amount TEXT, "
        "requested_at DATETIME, requested_text TEXT, payload TEXT, status TEXT NOT NULL DEFAULT "
        "'new', read_at DATETIME)";
    db.create_statuses =
        "CREATE TABLE order_status (row_id INTEGER PRIMARY KEY AUTOINCREMENT, relay_seq INTEGER "
        "NOT NULL UNIQUE, topic TEXT NOT NULL, order_no TEXT, customer TEXT, stage TEXT)";
    db.open = [path] { return std::make_unique<sqlite_source>(path, false); };
    db.execute = [path](const std::string& sql) { sqlite_source(path, true).query(sql, {}); };
    relay_into_tables(db);
}

#ifdef BATON_SQL_WITH_POSTGRES
TEST(sql_out_postgres, every_relayed_message_is_one_row_in_order_across_restarts_and_outages) {
    testing::postgres_server server;
    if (!server.skip_reason().empty()) GTEST_SKIP() << server.skip_reason();
    ASSERT_TRUE(server.running()) << server.error();
    database_under_test db;
    db.section = "    kind: postgres\n    conninfo: '" + server.conninfo() + "'\n";
    db.create_invoices =
        "CREATE TABLE invoice_requests (row_id BIGSERIAL PRIMARY KEY, relay_seq BIGINT NOT NULL "
        "UNIQUE, topic TEXT NOT NULL, order_no VARCHAR(64), customer VARCHAR(100), amount "
        "NUMERIC(14,2), requested_at TIMESTAMP(3), requested_text VARCHAR(30), payload TEXT, "
        "status VARCHAR(16) NOT NULL DEFAULT 'new', read_at TIMESTAMP)";
    db.create_statuses =
        "CREATE TABLE order_status (row_id BIGSERIAL PRIMARY KEY, relay_seq BIGINT NOT NULL "
        "UNIQUE, topic TEXT NOT NULL, order_no VARCHAR(64), customer VARCHAR(100), stage "
        "VARCHAR(40))";
    db.open = [&] { return std::make_unique<postgres_source>(server.conninfo()); };
    db.execute = [&](const std::string& sql) { postgres_source(server.conninfo()).query(sql, {}); };
    db.stop = [&] { server.stop(); };
    db.start = [&] { ASSERT_TRUE(server.start()) << server.error(); };
    relay_into_tables(db);
}
#endif

#ifdef BATON_SQL_WITH_ODBC
TEST(sql_out_mariadb, every_relayed_message_is_one_row_in_order_across_restarts_and_outages) {
    testing::mariadb_server server;
    if (!server.skip_reason().empty()) GTEST_SKIP() << server.skip_reason();
    ASSERT_TRUE(server.running()) << server.error();
    ::setenv("BATON_TEST_ODBC_PASSWORD", testing::mariadb_server::password().c_str(), 1);
    database_under_test db;
    db.section = "    kind: odbc\n    connection: \"" + server.connection() +
                 "\"\n    user: " + testing::mariadb_server::user() +
                 "\n    password_env: BATON_TEST_ODBC_PASSWORD\n    query_timeout: 5s\n";
    db.create_invoices =
        "CREATE TABLE invoice_requests (row_id BIGINT AUTO_INCREMENT PRIMARY KEY, relay_seq "
        "BIGINT NOT NULL UNIQUE, topic VARCHAR(100) NOT NULL, order_no VARCHAR(64), customer "
        "NVARCHAR(100), amount DECIMAL(14,2), requested_at DATETIME(3), requested_text "
        "VARCHAR(30), payload TEXT, status VARCHAR(16) NOT NULL DEFAULT 'new', read_at DATETIME)";
    db.create_statuses =
        "CREATE TABLE order_status (row_id BIGINT AUTO_INCREMENT PRIMARY KEY, relay_seq BIGINT NOT "
        "NULL UNIQUE, topic VARCHAR(100) NOT NULL, order_no VARCHAR(64), customer NVARCHAR(100), "
        "stage VARCHAR(40))";
    odbc_settings o;
    o.connection = server.connection();
    o.user = testing::mariadb_server::user();
    o.password = testing::mariadb_server::password();
    o.query_timeout_us = 5'000'000;
    db.open = [o] { return std::make_unique<odbc_source>(o); };
    db.execute = [&](const std::string& sql) {
        std::string out;
        ASSERT_TRUE(server.sql(sql, &out)) << sql << ": " << out;
    };
    db.stop = [&] { server.stop(); };
    db.start = [&] { ASSERT_TRUE(server.start()) << server.error(); };
    relay_into_tables(db);
}
#endif

}  // namespace
}  // namespace baton::adapters::sql
