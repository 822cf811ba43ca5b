// Picks and opens the configured source (SQLite, PostgreSQL, ODBC); turns its start-up failures
// into config errors.
#include "source.h"

#include "config_error.h"
#include "sqlite_source.h"
#ifdef BATON_SQL_WITH_POSTGRES
#include "postgres_source.h"
#endif
#ifdef BATON_SQL_WITH_ODBC
#include "odbc_source.h"
#endif

namespace baton::adapters::sql {

bool postgres_supported() {
#ifdef BATON_SQL_WITH_POSTGRES
    return true;
#else
    return false;
#endif
}

bool odbc_supported() {
#ifdef BATON_SQL_WITH_ODBC
    return true;
#else
    return false;
#endif
}

std::unique_ptr<source> open_source(const database_config& config, source_access access) {
    if (config.kind == database_kind::odbc) {
#ifdef BATON_SQL_WITH_ODBC
        const std::string key = config.odbc.dsn.empty() ? "database.connection" : "database.dsn";
        try {
            return std::make_unique<odbc_source>(config.odbc);
        } catch (const source_error& e) {
            // The source already scrubbed the password from the driver's message.
            throw config_error(config.file, key, std::string("cannot connect: ") + e.what());
        }
#else
        throw config_error(config.file, "database.kind",
                           "odbc: this build of baton-sql has no ODBC support (unixODBC was not "
                           "found when it was built; install unixodbc-dev and rebuild)");
#endif
    }
    if (config.kind == database_kind::sqlite) {
        try {
            return std::make_unique<sqlite_source>(config.sqlite_path,
                                                   access == source_access::read_write);
        } catch (const source_error& e) {
            throw config_error(config.file, "database.path",
                               "cannot open SQLite database '" + config.sqlite_path + "'" +
                                   (access == source_access::read_write ? "" : " read-only") +
                                   ": " + e.what());
        }
    }
#ifdef BATON_SQL_WITH_POSTGRES
    try {
        return std::make_unique<postgres_source>(config.conninfo);
    } catch (const source_error& e) {
        // The conninfo may hold a password: only libpq's message is repeated.
        throw config_error(config.file, "database.conninfo",
                           std::string("cannot connect to PostgreSQL: ") + e.what());
    }
#else
    throw config_error(config.file, "database.kind",
                       "postgres: this build of baton-sql has no PostgreSQL support (libpq was "
                       "not found when it was built; install libpq-dev and rebuild)");
#endif
}

}  // namespace baton::adapters::sql
