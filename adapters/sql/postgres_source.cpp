// PostgreSQL source over libpq: connect once, reconnect after a lost connection, text results.
#include "postgres_source.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

namespace baton::adapters::sql {

namespace {

// libpq's messages end in a newline and may span lines ("ERROR: ...\nLINE 1: ..."); keep the
// first line, which says what went wrong.
std::string first_line(const char* message) {
    std::string s = message ? message : "";
    auto nl = s.find('\n');
    if (nl != std::string::npos) s.resize(nl);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
    return s.empty() ? "unknown libpq error" : s;
}

// NOTICE and WARNING messages of the server go to the log, not straight to stderr.
extern "C" void log_notice(void*, const char* message) {
    spdlog::debug("postgres: {}", first_line(message));
}

struct result {
    PGresult* r = nullptr;
    ~result() { PQclear(r); }
};

}  // namespace

postgres_source::postgres_source(const std::string& conninfo) {
    conn_ = PQconnectdb(conninfo.c_str());
    if (!conn_) throw source_error("libpq could not allocate a connection");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = first_line(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw source_error(msg);
    }
    PQsetNoticeProcessor(conn_, log_notice, nullptr);
    description_ = std::string("postgres ") + PQuser(conn_) + "@" + PQhost(conn_) + ":" +
                   PQport(conn_) + "/" + PQdb(conn_);
}

postgres_source::~postgres_source() {
    PQfinish(conn_);
}

void postgres_source::begin() {
    in_transaction_ = false;  // so that query() may reconnect first
    query("BEGIN", {});
    in_transaction_ = true;
}

void postgres_source::commit() {
    query("COMMIT", {});
    in_transaction_ = false;
}

void postgres_source::rollback() noexcept {
    const bool open = in_transaction_;
    in_transaction_ = false;
    if (!open || PQstatus(conn_) != CONNECTION_OK) return;
    result res;
    res.r = PQexec(conn_, "ROLLBACK");
}

std::string postgres_source::placeholder(int index) const {
    return "$" + std::to_string(index);
}

sql_rows postgres_source::query(const std::string& sql, const std::vector<sql_param>& params) {
    if (PQstatus(conn_) != CONNECTION_OK) {
        // A new connection would run the rest of a batch outside its transaction.
        if (in_transaction_) throw source_error("connection lost inside a transaction");
        PQreset(conn_);
        if (PQstatus(conn_) != CONNECTION_OK)
            throw source_error("connection lost: " + first_line(PQerrorMessage(conn_)));
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.null ? nullptr : p.text.c_str());
    // Parameter types are left to the server (0): "$1" takes the watermark column's own type,
    // so a timestamp compares as a timestamp and an integer as an integer.
    result res;
    res.r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                         values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(res.r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        std::string msg =
            res.r ? first_line(PQresultErrorMessage(res.r)) : first_line(PQerrorMessage(conn_));
        if (PQstatus(conn_) != CONNECTION_OK) msg = "connection lost: " + msg;
        throw source_error(msg);
    }
    sql_rows rows;
    const int n = PQntuples(res.r);
    const int cols = PQnfields(res.r);
    rows.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        std::vector<sql_cell> r;
        r.reserve(static_cast<std::size_t>(cols));
        for (int c = 0; c < cols; ++c) {
            if (PQgetisnull(res.r, i, c))
                r.emplace_back(std::nullopt);
            else
                r.emplace_back(std::string(PQgetvalue(res.r, i, c),
                                           static_cast<std::size_t>(PQgetlength(res.r, i, c))));
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

}  // namespace baton::adapters::sql
