// The ODBC source: any database with an ODBC driver (SQL Server through FreeTDS, MySQL/MariaDB,
// PostgreSQL, ...) through unixODBC, with every value fetched as exact text: no floating point
// for DECIMAL money, UTF-8 for NVARCHAR, "YYYY-MM-DD HH:MM:SS" for DATETIME.
#pragma once

#include <memory>
#include <string>

#include "source.h"
#include "sql_config.h"

namespace baton::adapters::sql {

class odbc_source final : public source {
public:
    // Connects; throws source_error with the driver's diagnostic (never the password).
    explicit odbc_source(odbc_settings settings);
    ~odbc_source() override;
    odbc_source(const odbc_source&) = delete;
    odbc_source& operator=(const odbc_source&) = delete;

    std::string placeholder(int index) const override;
    // A lost connection (SQLSTATE 08xxx, or a handle the driver reports dead) is closed; the
    // next call connects again.
    sql_rows query(const std::string& sql, const std::vector<sql_param>& params) override;
    sql_dialect dialect() const override { return dialect_; }
    std::string describe() const override { return description_; }
    std::string dbms() const override { return dbms_; }
    // Autocommit off, then SQLEndTran (commit or roll back), then autocommit on again.
    void begin() override;
    void commit() override;
    void rollback() noexcept override;

    bool connected() const;

private:
    struct handles;
    void connect();
    void disconnect();

    odbc_settings settings_;
    std::unique_ptr<handles> h_;
    sql_dialect dialect_;
    std::string description_;  // "odbc DSN=erp user baton" (never the password)
    std::string dbms_;         // SQL_DBMS_NAME of the last connection
    bool in_transaction_ = false;
};

}  // namespace baton::adapters::sql
