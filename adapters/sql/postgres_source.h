// The PostgreSQL source: libpq with a conninfo string from the config, every query through
// PQexecParams (values bound as parameters, results as text). Built only when libpq is found.
#pragma once

#include <string>

#include "source.h"

struct pg_conn;

namespace baton::adapters::sql {

class postgres_source final : public source {
public:
    // Connects; throws source_error with libpq's message when the server cannot be reached.
    explicit postgres_source(const std::string& conninfo);
    ~postgres_source() override;
    postgres_source(const postgres_source&) = delete;
    postgres_source& operator=(const postgres_source&) = delete;

    std::string placeholder(int index) const override;
    sql_rows query(const std::string& sql, const std::vector<sql_param>& params) override;
    std::string describe() const override { return description_; }
    std::string dbms() const override { return "PostgreSQL"; }
    void begin() override;
    void commit() override;
    void rollback() noexcept override;

private:
    pg_conn* conn_ = nullptr;
    std::string description_;  // user@host:port/dbname, never the password
    bool in_transaction_ = false;
};

}  // namespace baton::adapters::sql
