// The INSERTs of baton-sql-out per database, and one batch per transaction.
#include "table_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "config_error.h"
#include "log_limiter.h"
#include "query.h"

namespace baton::adapters::sql {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The columns of a row in order: seq first, then the configured ones, then the status.
std::vector<std::string> row_columns(const table_target& t) {
    std::vector<std::string> cols = {t.seq_column};
    for (const auto& c : t.columns) cols.push_back(c.column);
    if (!t.status_column.empty()) cols.push_back(t.status_column);
    return cols;
}

}  // namespace

insert_style insert_style_for(const std::string& dbms) {
    const std::string d = lower(dbms);
    if (d.find("postgres") != std::string::npos || d.find("sqlite") != std::string::npos)
        return insert_style::on_conflict;
    if (d.find("mysql") != std::string::npos || d.find("mariadb") != std::string::npos)
        return insert_style::on_duplicate_key;
    return insert_style::where_not_exists;
}

std::string insert_sql(const table_target& t, insert_style style, const source& db) {
    const char q = db.dialect().quote;
    const auto cols = row_columns(t);
    std::string names, values;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        names += (i ? ", " : "") + quote_identifier(cols[i], q);
        values += (i ? ", " : "") + db.placeholder(static_cast<int>(i + 1));
    }
    const std::string table = quote_identifier(t.table, q);
    const std::string seq = quote_identifier(t.seq_column, q);
    std::string head = "INSERT INTO " + table + " (" + names + ") ";
    switch (style) {
        case insert_style::on_conflict:
            return head + "VALUES (" + values + ") ON CONFLICT (" + seq + ") DO NOTHING";
        case insert_style::on_duplicate_key:
            // Not INSERT IGNORE: that also turns a too-long value or a NULL into a warning.
            return head + "VALUES (" + values + ") ON DUPLICATE KEY UPDATE " + seq + " = " + seq;
        case insert_style::where_not_exists:
            return head + "SELECT " + values + " WHERE NOT EXISTS (SELECT 1 FROM " + table +
                   " WHERE " + seq + " = " + db.placeholder(static_cast<int>(cols.size() + 1)) +
                   ")";
    }
    return {};
}

table_writer::table_writer(const sql_out_config& config) : config_(config) {
    if (!config_.database.time_zone.empty()) {
        std::string why;
        zone_ = load_time_zone(config_.database.time_zone, why);
        if (!zone_) throw config_error(config_.file, "database.time_zone", why);
    }
}

table_writer::table_writer(const sql_out_config& config, std::unique_ptr<source> db)
    : table_writer(config) {
    db_ = std::move(db);
}

table_writer::~table_writer() = default;

std::string table_writer::describe() const {
    return db_ ? db_->describe() : std::string(to_string(config_.database.kind));
}

source& table_writer::connected() {
    if (!db_) {
        try {
            db_ = open_source(config_.database, source_access::read_write);
        } catch (const config_error& e) {
            // "cannot connect: ..." (no password), said once.
            std::string reason = e.reason;
            const std::string twice = "cannot connect: cannot connect: ";
            if (reason.rfind(twice, 0) == 0) reason.erase(0, twice.size() / 2);
            throw source_error(reason);
        }
    }
    if (inserts_.empty()) {
        style_ = insert_style_for(db_->dbms());
        for (const auto& t : config_.tables) inserts_.push_back(insert_sql(t, style_, *db_));
    }
    return *db_;
}

std::vector<sql_param> table_writer::params_of(const table_target& t, const relayed_message& m) {
    std::vector<sql_param> params;
    sql_param seq;
    seq.text = std::to_string(m.seq);
    seq.integer = true;
    params.push_back(seq);
    for (const auto& c : t.columns) {
        sql_param p;
        std::string why;
        if (!column_param(value_at(c.path, m), c.format, zone_, p, why)) {
            ++value_errors_;
            std::uint64_t suppressed = 0;
            const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count();
            if (value_log_.allow(now_ms, suppressed))
                spdlog::warn(
                    "seq {} ({}): {}.{} = {}: {}; written as NULL ({} such lines not shown)", m.seq,
                    m.topic, t.table, c.column, c.path.text, why, suppressed);
            p = sql_param{};
            p.null = true;
        }
        params.push_back(std::move(p));
    }
    if (!t.status_column.empty()) params.push_back({t.status_value, false, false});
    if (style_ == insert_style::where_not_exists) params.push_back(seq);
    return params;
}

write_outcome table_writer::write(const std::vector<relayed_message>& batch) {
    write_outcome out;
    source* db = nullptr;
    try {
        db = &connected();
        db->begin();
        for (const auto& m : batch)
            for (std::size_t i = 0; i < config_.tables.size(); ++i) {
                const auto& t = config_.tables[i];
                if (!t.wants(m.topic)) continue;
                db->query(inserts_[i], params_of(t, m));
                ++out.rows;
            }
        db->commit();
        out.committed = true;
    } catch (const source_error& e) {
        if (db) db->rollback();
        // The next attempt starts from a fresh connection, whatever state this one is in.
        db_.reset();
        inserts_.clear();
        out.error = e.what();
    }
    return out;
}

void table_writer::check_tables() {
    source& db = connected();
    const char q = db.dialect().quote;
    for (std::size_t i = 0; i < config_.tables.size(); ++i) {
        const auto& t = config_.tables[i];
        std::string cols;
        for (const auto& c : row_columns(t))
            cols += (cols.empty() ? "" : ", ") + quote_identifier(c, q);
        // No row is read: the query fails when the table or a column is missing.
        const std::string probe =
            db.dialect().top
                ? "SELECT TOP 0 " + cols + " FROM " + quote_identifier(t.table, q)
                : "SELECT " + cols + " FROM " + quote_identifier(t.table, q) + " WHERE 1 = 0";
        try {
            db.query(probe, {});
        } catch (const source_error& e) {
            throw config_error(config_.file, "tables[" + std::to_string(i) + "]",
                               "table " + t.table + " (" + cols + "): " + e.what());
        }
    }
}

}  // namespace baton::adapters::sql
