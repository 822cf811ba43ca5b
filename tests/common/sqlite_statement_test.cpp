// Tests of common/sqlite_statement: a statement is finalised exactly once however its holder
// goes (scope, move, reassignment), a refused prepare leaves it empty, and the reset guard makes
// a kept statement reusable after an early exit.
#include "sqlite_statement.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <stdexcept>
#include <utility>

namespace baton {
namespace {

// An in-memory database that checks, when it goes, that no statement was left unfinalised.
struct memory_db {
    sqlite3* db = nullptr;
    memory_db() {
        sqlite3_open(":memory:", &db);
        sqlite3_exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, s TEXT, b BLOB)", nullptr, nullptr,
                     nullptr);
    }
    ~memory_db() { EXPECT_EQ(sqlite3_close(db), SQLITE_OK) << "a statement was left behind"; }
    int statements() const {
        int n = 0;
        for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s; s = sqlite3_next_stmt(db, s)) ++n;
        return n;
    }
};

TEST(sqlite_statement, binds_steps_and_reads_columns) {
    memory_db m;
    {
        sqlite_statement put(m.db, "INSERT INTO t(k, s, b) VALUES(?,?,?)");
        ASSERT_TRUE(put);
        put.bind_int64(1, 7);
        put.bind_text(2, "订单");
        const std::string bytes("a\0b", 3);
        put.bind_blob(3, bytes);
        EXPECT_EQ(put.step(), SQLITE_DONE);
        put.reset();
        put.bind_int64(1, 8);
        put.bind_null(2);
        put.bind_null(3);
        EXPECT_EQ(put.step(), SQLITE_DONE);
    }
    sqlite_statement get(m.db, "SELECT k, s, b FROM t ORDER BY k");
    ASSERT_EQ(get.step(), SQLITE_ROW);
    EXPECT_EQ(get.column_int64(0), 7);
    EXPECT_EQ(get.column_int(0), 7);
    EXPECT_EQ(get.column_text(1), "订单");
    EXPECT_EQ(get.column_text_view(1), "订单");
    EXPECT_EQ(get.column_blob(2), std::string("a\0b", 3));
    ASSERT_EQ(get.step(), SQLITE_ROW);
    EXPECT_EQ(get.column_text(1), "");
    EXPECT_EQ(get.column_text_view(1), "");
    EXPECT_EQ(get.column_blob(2), "");
    EXPECT_EQ(get.step(), SQLITE_DONE);
}

TEST(sqlite_statement, refused_sql_leaves_it_empty) {
    memory_db m;
    sqlite_statement s(m.db, "SELECT nothing FROM nowhere");
    EXPECT_FALSE(s);
    EXPECT_EQ(s.get(), nullptr);
    EXPECT_EQ(m.statements(), 0);
}

TEST(sqlite_statement, finalised_once_when_moved_reassigned_or_unwound) {
    memory_db m;
    sqlite_statement a(m.db, "SELECT 1");
    sqlite_statement b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_TRUE(b);
    EXPECT_EQ(m.statements(), 1);
    sqlite_statement c(m.db, "SELECT 2");
    EXPECT_EQ(m.statements(), 2);
    c = std::move(b);  // c's own statement is finalised
    EXPECT_EQ(m.statements(), 1);
    c = sqlite_statement();
    EXPECT_EQ(m.statements(), 0);
    try {
        sqlite_statement d(m.db, "SELECT k FROM t");
        d.step();
        throw std::runtime_error("early exit");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(m.statements(), 0);
}

TEST(sqlite_statement, reset_guard_readies_a_kept_statement_after_an_early_exit) {
    memory_db m;
    sqlite3_exec(m.db, "INSERT INTO t(k) VALUES(1),(2)", nullptr, nullptr, nullptr);
    sqlite_statement kept(m.db, "SELECT k FROM t WHERE k >= ? ORDER BY k");
    for (int round = 0; round < 2; ++round) {
        try {
            sqlite_reset_guard guard(kept);
            kept.bind_int64(1, 1);
            ASSERT_EQ(kept.step(), SQLITE_ROW);
            throw std::runtime_error("stop after the first row");
        } catch (const std::runtime_error&) {
        }
        EXPECT_FALSE(sqlite3_stmt_busy(kept.get()));  // reset: starts from the first row again
    }
    kept.bind_int64(1, 2);
    ASSERT_EQ(kept.step(), SQLITE_ROW);
    EXPECT_EQ(kept.column_int64(0), 2);
    kept.reset();
}

}  // namespace
}  // namespace baton
