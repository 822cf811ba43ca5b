// baton-sql over ODBC against a real MariaDB and a real PostgreSQL the suite starts on loopback
// (tests/support/mariadb_server.h, postgres_server.h), through unixODBC and the MariaDB Unicode
// and PostgreSQL Unicode (psqlODBC) drivers, with batond in-process: the same tests on each
// server: watermark, ties, DECIMAL to cents, Chinese text, DATETIME/TIMESTAMP in a zone, a wrong
// password, a server restart.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "config_error.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "query.h"
#include "sql_adapter.h"
#include "sql_config.h"
#include "time_zone.h"
#ifdef BATON_SQL_WITH_ODBC
#include "mariadb_server.h"
#include "odbc_source.h"
#endif
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

// ---- without a server: zones, backoff, SQL Server's dialect --------------------------------

TEST(sql_time_zone, wall_clocks_of_a_zone_become_utc_instants) {
    std::string why;
    auto berlin = load_time_zone("Europe/Berlin", why);
    ASSERT_TRUE(berlin) << why;
    // 2026-11-20 10:00 is CET (+01:00), 2026-07-01 10:00 CEST (+02:00).
    EXPECT_EQ(berlin->to_utc_ms(*wall_clock_ms("2026-11-20 10:00:00")), 1795165200000);
    EXPECT_EQ(berlin->to_utc_ms(*wall_clock_ms("2026-07-01 10:00:00.250")), 1782892800250);
    auto shanghai = load_time_zone("Asia/Shanghai", why);
    ASSERT_TRUE(shanghai) << why;
    EXPECT_EQ(shanghai->to_utc_ms(*wall_clock_ms("2026-11-20T10:00")), 1795140000000);
    auto fixed = load_time_zone("+08:00", why);
    ASSERT_TRUE(fixed) << why;
    EXPECT_EQ(fixed->to_utc_ms(*wall_clock_ms("2026-11-20 10:00:00")), 1795140000000);
    EXPECT_FALSE(load_time_zone("Mars/Olympus", why));
    EXPECT_NE(why.find("unknown time zone 'Mars/Olympus'"), std::string::npos) << why;
    EXPECT_FALSE(load_time_zone("+25:00", why));
    EXPECT_FALSE(wall_clock_ms("2026-11-20"));                 // a date alone
    EXPECT_FALSE(wall_clock_ms("2026-11-20 10:00:00+01:00"));  // has its zone
}

TEST(sql_adapter_retry, a_failing_database_is_retried_less_and_less_often_up_to_a_cap) {
    const std::chrono::microseconds second = 1s;
    EXPECT_EQ(retry_delay(second, 1), 1s);
    EXPECT_EQ(retry_delay(second, 2), 2s);
    EXPECT_EQ(retry_delay(second, 4), 8s);
    EXPECT_EQ(retry_delay(second, 10), 60s);
    EXPECT_EQ(retry_delay(second, 1000), 60s);
    EXPECT_EQ(retry_delay(std::chrono::minutes(5), 3), std::chrono::minutes(5));
}

TEST(sql_query, sql_server_gets_top_and_mysql_backticks) {
    table_query q;
    q.table = "dbo.orders";
    q.columns = {"id", "customer"};
    q.watermark = "id";
    q.batch = 10;
    q.dialect.quote = '"';
    q.dialect.top = true;
    EXPECT_EQ(q.select_after(),
              "SELECT TOP 10 \"id\", \"customer\" FROM \"dbo\".\"orders\" WHERE \"id\" > ? "
              "ORDER BY \"id\"");
    EXPECT_EQ(q.probe_column("customer"), "SELECT TOP 0 \"customer\" FROM \"dbo\".\"orders\"");
    q.dialect = {'`', false};
    EXPECT_EQ(q.select_first(),
              "SELECT `id`, `customer` FROM `dbo`.`orders` WHERE `id` IS NOT NULL ORDER BY `id` "
              "LIMIT 10");
}

#ifdef BATON_SQL_WITH_ODBC

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

// A database server the ODBC tests run against: its DDL dialect, an administrator's way to run
// SQL, the ODBC connection and credentials, and a way to pull the plug.
class odbc_server {
public:
    virtual ~odbc_server() = default;
    virtual std::string skip_reason() const = 0;
    virtual std::string error() const = 0;
    virtual bool running() const = 0;
    // One statement as an administrator in the database the ODBC connection opens.
    virtual bool sql(const std::string& statement, std::string* output) = 0;
    virtual std::string connection() const = 0;  // without the credentials
    virtual std::string user() const = 0;
    virtual std::string password() const = 0;
    virtual void stop() = 0;
    virtual bool start() = 0;
    virtual std::string datetime_type() const = 0;   // a date and time without a zone
    virtual std::string unicode_type() const = 0;    // text in any script, VARCHAR-like
    virtual std::string long_text_type() const = 0;  // text past 64 KiB
    // What the driver's diagnostic for a wrong password holds.
    virtual std::string auth_failure() const = 0;
};

class mariadb : public odbc_server {
public:
    std::string skip_reason() const override { return s_.skip_reason(); }
    std::string error() const override { return s_.error(); }
    bool running() const override { return s_.running(); }
    bool sql(const std::string& statement, std::string* output) override {
        return s_.sql(statement, output);
    }
    std::string connection() const override { return s_.connection(); }
    std::string user() const override { return testing::mariadb_server::user(); }
    std::string password() const override { return testing::mariadb_server::password(); }
    void stop() override { s_.stop(); }
    bool start() override { return s_.start(); }
    std::string datetime_type() const override { return "DATETIME"; }
    std::string unicode_type() const override { return "NVARCHAR"; }
    std::string long_text_type() const override { return "LONGTEXT"; }
    std::string auth_failure() const override { return "28000"; }  // SQLSTATE: access denied

private:
    testing::mariadb_server s_;
};

#ifdef BATON_SQL_WITH_POSTGRES
// PostgreSQL on 127.0.0.1 with a password (scram-sha-256) for ODBC; the administrator's SQL goes
// through libpq on the trusted unix socket.
class postgresql : public odbc_server {
public:
    std::string skip_reason() const override {
        if (!s_.skip_reason().empty()) return s_.skip_reason();
        if (!driver_installed())
            return "no ODBC driver 'PostgreSQL Unicode' (Debian package odbc-postgresql)";
        return {};
    }
    std::string error() const override { return s_.error(); }
    bool running() const override { return s_.running(); }
    bool sql(const std::string& statement, std::string* output) override {
        try {
            postgres_source(s_.conninfo()).query(statement, {});
            return true;
        } catch (const source_error& e) {
            if (output) *output = e.what();
            return false;
        }
    }
    std::string connection() const override {
        return "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=" + std::to_string(s_.port()) +
               ";Database=postgres;";
    }
    std::string user() const override { return "postgres"; }
    std::string password() const override { return pw(); }
    void stop() override { s_.stop(); }
    bool start() override { return s_.start(); }
    std::string datetime_type() const override { return "TIMESTAMP"; }
    std::string unicode_type() const override { return "VARCHAR"; }  // the database is UTF-8
    std::string long_text_type() const override { return "TEXT"; }
    // psqlODBC reports every failed login as 08001, with the server's message.
    std::string auth_failure() const override { return "08001"; }

private:
    static std::string pw() { return "Pg-9k;w}v"; }  // ';' and '}' need braces in ODBC
    static bool driver_installed() {
        std::ifstream in("/etc/odbcinst.ini");
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("[PostgreSQL Unicode]", 0) == 0) return true;
        return false;
    }
    testing::postgres_server s_{pw()};
};
#endif

// One server of each kind for the whole suite (installing MariaDB's system tables takes
// seconds), started when its first test runs; each test has tables of its own.
class odbc_test : public ::testing::TestWithParam<std::string> {
protected:
    static void TearDownTestSuite() { servers_.clear(); }

    static odbc_server& server_for(const std::string& kind) {
        auto& s = servers_[kind];
        if (!s) {
#ifdef BATON_SQL_WITH_POSTGRES
            if (kind == "postgresql") s = std::make_unique<postgresql>();
#endif
            if (kind == "mariadb") s = std::make_unique<mariadb>();
        }
        return *s;
    }

    odbc_test() : d_(test_config(dir_)) {}

    void SetUp() override {
        server_ = &server_for(GetParam());
        if (!server_->skip_reason().empty()) GTEST_SKIP() << server_->skip_reason();
        ASSERT_TRUE(server_->running()) << server_->error();
        d_.start();
        ::setenv("BATON_TEST_ODBC_PASSWORD", server_->password().c_str(), 1);
        table_ = "t" + std::to_string(++tables_);
    }

    void sql(const std::string& statements) {
        std::string out;
        ASSERT_TRUE(server_->sql(statements, &out)) << statements << ": " << out;
    }

    // The adapter's config for table_ (etc/sql.yaml).
    std::string write_config(const std::string& watermark, const std::string& mapping,
                             int batch = 100, const std::string& extra_database = "") {
        std::ostringstream text;
        text << "database:\n  kind: odbc\n  connection: \"" << server_->connection() << "\"\n"
             << "  user: " << server_->user() << "\n"
             << "  password_env: BATON_TEST_ODBC_PASSWORD\n  query_timeout: 10s\n"
             << extra_database << "table: " << table_ << "\n"
             << "watermark: " << watermark << "\n"
             << "batch: " << batch << "\n"
             << "poll_interval: 100ms\n"
             << "mapping:\n  inline:\n"
             << mapping << "ingest:\n"
             << "  endpoint: " << d_.ingest() << "\n"
             << "  outbox: ../var/sql.outbox\n  resend_after: 2s\n"
             << "state: ../var/sql.state\nlog_level: warn\n";
        return dir_.write("etc/sql.yaml", text.str());
    }

    std::unique_ptr<sql_adapter> make_adapter(const std::string& config_path) {
        return std::make_unique<sql_adapter>(load_sql_config(config_path), d_.context());
    }

    void place_orders(int n) {
        ingest_client client(d_.context(), d_.ingest());
        for (int i = 1; i <= n; ++i) {
            std::string so = "SO-" + std::to_string(i);
            auto r = client.send_and_wait(testing::order_placed("placed-" + so, so), 10s);
            ASSERT_TRUE(r && r->acked);
        }
    }

    value order(const std::string& id) {
        value req = cmd("order");
        req.set("id", id);
        value r = d_.call(req);
        const value* o = r.find("order");
        return o ? *o : value();
    }

    std::vector<std::string> history_ids(const std::string& so, const std::string& topic) {
        std::vector<std::string> ids;
        value o = order(so);
        if (!o.find("history")) return ids;
        for (const auto& h : o.find("history")->as_list())
            if (h.find("topic")->as_string() == topic) ids.push_back(h.find("id")->as_string());
        return ids;
    }

    std::uint64_t duplicates() {
        return counter(d_.call(cmd("status")), "duplicates");
    }

    // A payments table of the ERP: DECIMAL money, a DATETIME booking time.
    void create_payments() {
        sql("CREATE TABLE " + table_ +
            " (payment_id BIGINT PRIMARY KEY, order_no VARCHAR(32) NOT NULL, "
            "amount DECIMAL(18,2) NOT NULL, booked_at " +
            server_->datetime_type() + " NOT NULL)");
    }
    void pay(int id, const std::string& so, const std::string& amount,
             const std::string& at = "2026-11-20 10:00:00") {
        sql("INSERT INTO " + table_ + " VALUES (" + std::to_string(id) + ", '" + so + "', " +
            amount + ", '" + at + "')");
    }
    static constexpr const char* payments_mapping =
        "    topic: finance.payment.received\n    source: finance-erp\n    order: order_no\n"
        "    id: payment_id\n    ts: booked_at\n"
        "    fields:\n      amount_cents: {column: amount, type: cents}\n";

    static std::map<std::string, std::unique_ptr<odbc_server>> servers_;
    static int tables_;
    odbc_server* server_ = nullptr;
    temp_dir dir_;
    daemon_harness d_;
    std::string table_;
};

std::map<std::string, std::unique_ptr<odbc_server>> odbc_test::servers_;
int odbc_test::tables_ = 0;

TEST_P(odbc_test, rows_past_the_watermark_are_picked_up_and_only_those) {
    place_orders(3);
    create_payments();
    pay(1, "SO-1", "100.00");
    pay(2, "SO-2", "200.00");
    auto adapter = make_adapter(write_config("{column: payment_id}", payments_mapping));
    const std::string driver = server_->connection().substr(0, server_->connection().find(';'));
    EXPECT_EQ(adapter->database().describe().rfind("odbc " + driver, 0), 0u)
        << adapter->database().describe();
    poll_result r = adapter->poll_batch();
    EXPECT_EQ(r.rows, 2u);
    EXPECT_EQ(*adapter->watermark(), "2");
    pay(3, "SO-3", "300.00");
    r = adapter->poll_batch();
    EXPECT_EQ(r.rows, 1u);
    EXPECT_EQ(adapter->poll_batch().rows, 0u);
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->counters().acked, 3u);
    EXPECT_EQ(history_ids("SO-3", "finance.payment.received"),
              std::vector<std::string>{"t" + std::to_string(tables_) + ":3"});
    EXPECT_EQ(duplicates(), 0u);
}

TEST_P(odbc_test, rows_sharing_a_datetime_watermark_are_never_split_across_batches) {
    place_orders(3);
    create_payments();
    pay(1, "SO-1", "1.00", "2026-11-20 06:10:00");
    pay(2, "SO-2", "2.00", "2026-11-20 06:30:00");
    pay(3, "SO-3", "3.00", "2026-11-20 06:30:00");
    pay(4, "SO-1", "4.00", "2026-11-20 06:30:00");
    auto adapter =
        make_adapter(write_config("{column: booked_at, type: text}", payments_mapping, 2));
    // The batch of 2 ends inside the three rows of 06:30; all three come along.
    poll_result r = adapter->poll_batch();
    EXPECT_EQ(r.rows, 4u);
    EXPECT_EQ(*adapter->watermark(), "2026-11-20 06:30:00");
    EXPECT_EQ(adapter->poll_batch().rows, 0u);  // the text watermark compares as a DATETIME
    pay(5, "SO-2", "5.00", "2026-11-20 07:00:00");
    EXPECT_EQ(adapter->poll_batch().rows, 1u);
    ASSERT_TRUE(adapter->drain(10s));
    EXPECT_EQ(adapter->counters().acked, 5u);
    const std::string t = "t" + std::to_string(tables_);
    EXPECT_EQ(history_ids("SO-1", "finance.payment.received"),
              (std::vector<std::string>{t + ":1", t + ":4"}));
    EXPECT_EQ(duplicates(), 0u);
}

// An ERP's order header: Chinese customer name (NVARCHAR), DECIMAL total, DATE promise,
// DATETIME entry in Shanghai time.
TEST_P(odbc_test, decimal_money_chinese_text_and_datetime_arrive_exactly) {
    sql("CREATE TABLE " + table_ +
        " (id INT PRIMARY KEY, order_no VARCHAR(32) NOT NULL, customer " + server_->unicode_type() +
        "(100) NOT NULL, total DECIMAL(18,2) NOT NULL, promised DATE NOT NULL, entered_at " +
        server_->datetime_type() +
        " NOT NULL, item VARCHAR(64) NOT NULL, qty DECIMAL(12,3) NOT NULL, note " +
        server_->long_text_type() + ")");
    std::string long_note(20000, 'x');
    long_note += "尾";  // past several 8 KiB chunks, ending in a multi-byte character
    sql("INSERT INTO " + table_ +
        " VALUES (1, 'SO-88', '华东铝业有限公司', 12345678.91, '2026-12-18', "
        "'2026-11-20 10:00:00', 'Fenster-Profil 6063', 1200.5, '" +
        long_note + "')");
    const std::string mapping =
        "    topic: sales.order.placed\n    source: sales-erp\n    order: order_no\n"
        "    id: order_no\n    ts: entered_at\n    group_by: order_no\n"
        "    fields:\n"
        "      customer: {column: customer}\n"
        "      amount_cents: {column: total, type: cents}\n"
        "      promised_date: {column: promised, type: date}\n"
        "      terms: {value: credit}\n"
        "      lines[].item: {column: item}\n"
        "      lines[].die: {value: D-4411}\n"
        "      lines[].alloy: {value: \"6063\"}\n"
        "      lines[].temper: {value: T6}\n"
        "      lines[].finish: {value: mill}\n"
        "      lines[].length_mm: {value: \"6000\", type: int}\n"
        "      lines[].qty: {column: qty, type: number}\n"
        "      lines[].unit: {value: kg}\n";
    auto adapter =
        make_adapter(write_config("{column: id}", mapping, 100, "  time_zone: Asia/Shanghai\n"));
    ASSERT_TRUE(adapter->drain(10s));
    ASSERT_EQ(adapter->counters().acked, 1u) << "rejected: " << adapter->counters().rows_rejected;
    value o = order("SO-88");
    ASSERT_FALSE(o.is_nil());
    EXPECT_EQ(o.find("customer")->as_string(), "华东铝业有限公司");
    std::int64_t cents = 0;
    ASSERT_TRUE(o.find("amount_cents")->to_int64(cents));
    EXPECT_EQ(cents, 1234567891);
    EXPECT_EQ(o.find("promised_date")->as_string(), "2026-12-18");
    // 10:00 in Shanghai (+08:00) is 02:00 UTC.
    std::int64_t ts = 0;
    ASSERT_TRUE(o.find("history")->as_list().at(0).find("ts")->to_int64(ts));
    EXPECT_EQ(ts, 1795140000000);

    // The same cells straight from the source: exact text, long values whole.
    odbc_source db(load_sql_config(dir_ / "etc/sql.yaml").odbc);
    sql_rows rows =
        db.query("SELECT customer, total, entered_at, note, NULL FROM " + table_ + " WHERE id = ?",
                 {{"1", true}});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "华东铝业有限公司");
    EXPECT_EQ(rows[0][1], "12345678.91");
    EXPECT_EQ(rows[0][2], "2026-11-20 10:00:00");
    EXPECT_EQ(rows[0][3], long_note);
    EXPECT_EQ(rows[0][4], std::nullopt);
}

TEST_P(odbc_test, a_wrong_password_is_a_clear_error_that_never_shows_the_password) {
    ::setenv("BATON_TEST_ODBC_PASSWORD", "Wrong-Secret-42", 1);
    sql("CREATE TABLE " + table_ +
        " (payment_id BIGINT, order_no VARCHAR(8), amount DECIMAL(9,2), booked_at " +
        server_->datetime_type() + ")");
    try {
        make_adapter(write_config("{column: payment_id}", payments_mapping));
        FAIL() << "connected with a wrong password";
    } catch (const config_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.key, "database.connection");
        EXPECT_NE(what.find(server_->auth_failure()), std::string::npos) << what;
        EXPECT_EQ(what.find("Wrong-Secret-42"), std::string::npos) << what;
    }
}

TEST_P(odbc_test,
       the_server_stopped_and_restarted_mid_stream_loses_nothing_and_sends_nothing_twice) {
    place_orders(3);
    create_payments();
    pay(1, "SO-1", "1.00");
    pay(2, "SO-2", "2.00");
    auto adapter = make_adapter(write_config("{column: payment_id}", payments_mapping));
    std::atomic<bool> stop{false};
    std::thread runner([&] { adapter->run(stop); });
    auto wait_for_events = [&](std::int64_t n) {
        auto until = std::chrono::steady_clock::now() + 20s;
        while (d_.events() < n && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(20ms);
        return d_.events();
    };
    EXPECT_EQ(wait_for_events(5), 5);  // 3 orders placed + 2 payments

    server_->stop();
    std::this_thread::sleep_for(1500ms);  // polls fail meanwhile; the loop backs off
    ASSERT_TRUE(server_->start()) << server_->error();
    // Booked while the adapter had no connection, then after it is back.
    pay(3, "SO-3", "3.00");
    pay(4, "SO-1", "4.00");
    EXPECT_EQ(wait_for_events(7), 7);
    pay(5, "SO-2", "5.00");
    EXPECT_EQ(wait_for_events(8), 8);
    stop = true;
    runner.join();

    EXPECT_GT(adapter->counters().read_errors, 0u);  // it did see the server go
    EXPECT_EQ(*adapter->watermark(), "5");
    EXPECT_EQ(adapter->counters().rows_read, 5u);
    EXPECT_EQ(adapter->counters().acked, 5u);
    const std::string t = "t" + std::to_string(tables_);
    EXPECT_EQ(history_ids("SO-1", "finance.payment.received"),
              (std::vector<std::string>{t + ":1", t + ":4"}));
    EXPECT_EQ(history_ids("SO-2", "finance.payment.received"),
              (std::vector<std::string>{t + ":2", t + ":5"}));
    EXPECT_EQ(history_ids("SO-3", "finance.payment.received"),
              (std::vector<std::string>{t + ":3"}));
    EXPECT_EQ(duplicates(), 0u);
}

std::vector<std::string> servers() {
#ifdef BATON_SQL_WITH_POSTGRES
    return {"mariadb", "postgresql"};
#else
    return {"mariadb"};
#endif
}

INSTANTIATE_TEST_SUITE_P(servers, odbc_test, ::testing::ValuesIn(servers()),
                         [](const auto& param_info) { return param_info.param; });

#endif

}  // namespace
}  // namespace baton::adapters::sql
