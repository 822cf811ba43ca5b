// Parsing and cross-checking baton-sql's YAML config and picking its mapping.
#include "sql_config.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "curve_keys.h"
#include "endpoint.h"
#include "paths.h"
#include "query.h"
#include "time_zone.h"
#include "yaml_util.h"

namespace baton::adapters::sql {

namespace fs = std::filesystem;

const char* to_string(database_kind k) {
    switch (k) {
        case database_kind::sqlite: return "sqlite";
        case database_kind::postgres: return "postgres";
        case database_kind::odbc: return "odbc";
    }
    return "?";
}

const char* to_string(watermark_type t) {
    return t == watermark_type::integer ? "integer" : "text";
}

namespace {

std::size_t positive(const yaml::node& n, const char* key, std::size_t fallback) {
    std::int64_t v = n.get_int(key, static_cast<std::int64_t>(fallback));
    if (v <= 0) n.child(key).fail("must be a positive integer");
    return static_cast<std::size_t>(v);
}

// An inline mapping goes through the same loader as a mapping file (one set of rules), by way
// of a temporary file; its errors are then pointed back at the config file.
// Its name defaults to the table's, which starts the ids built from id columns.
std::vector<mapping> load_inline_mapping(const yaml::node& inline_node, const std::string& key,
                                         const std::string& table) {
    inline_node.expect_map();
    YAML::Node m = YAML::Clone(inline_node.raw());
    if (!m["name"]) m["name"] = table;
    YAML::Node doc;
    doc["mappings"].push_back(m);
    YAML::Emitter out;
    out << doc;

    std::string tmp = (fs::temp_directory_path() / "baton-sql-mapping-XXXXXX").string();
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) inline_node.fail("cannot create a temporary file to read the inline mapping");
    ::close(fd);
    std::ofstream(tmp) << out.c_str() << "\n";
    try {
        auto mappings = load_mappings(tmp);
        fs::remove(tmp);
        return mappings;
    } catch (const config_error& e) {
        fs::remove(tmp);
        std::string k = e.key;
        const std::string prefix = "mappings[0]";
        if (k.rfind(prefix, 0) == 0)
            k = key + k.substr(prefix.size());
        else
            k = key + (k.empty() ? "" : "." + k);
        // Line numbers of the temporary file mean nothing to the reader.
        std::string reason = std::regex_replace(e.reason, std::regex(" \\(line [0-9]+\\)"), "");
        throw config_error(inline_node.file(), k, reason);
    }
}

void pick_mapping(const yaml::node& node, const std::string& base, sql_config& c) {
    node.expect_keys({"file", "name", "inline"});
    if (node.has("file") == node.has("inline"))
        node.fail("give either file (with name) or inline, not both or neither");
    if (node.has("inline")) {
        if (node.has("name")) node.child("name").fail("name goes inside inline");
        c.mapping_file = c.file;
        c.mapping_key = node.path() + ".inline";
        c.row_mapping = load_inline_mapping(node.child("inline"), c.mapping_key, c.table).front();
        return;
    }
    c.mapping_file = resolve_path(base, node.require_string("file"));
    std::vector<mapping> all = load_mappings(c.mapping_file);
    std::string names;
    for (const auto& m : all) names += (names.empty() ? "" : ", ") + m.name;
    if (!node.has("name")) {
        if (all.size() != 1)
            node.child("name").fail("required when " + c.mapping_file + " holds " +
                                    std::to_string(all.size()) + " mappings (" + names + ")");
        c.row_mapping = all.front();
        c.mapping_key = "mappings[0]";
        return;
    }
    std::string name = node.require_string("name");
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].name == name) {
            c.row_mapping = all[i];
            c.mapping_key = "mappings[" + std::to_string(i) + "]";
            return;
        }
    }
    node.child("name").fail("no mapping named '" + name + "' in " + c.mapping_file +
                            " (it has: " + names + ")");
}

// The password of an ODBC source: from a file (first line; only the owner should read it) or
// an environment variable. Never from the config itself, which is often world-readable.
void read_password(const yaml::node& db, const std::string& base, odbc_settings& o) {
    if (db.has("password_file") && db.has("password_env"))
        db.child("password_env").fail("give password_file or password_env, not both");
    if (db.has("password_file")) {
        const std::string path = resolve_path(base, db.require_string("password_file"));
        std::ifstream in(path);
        if (!in) db.child("password_file").fail("cannot read '" + path + "'");
        std::getline(in, o.password);
        if (!o.password.empty() && o.password.back() == '\r') o.password.pop_back();
        if (o.password.empty()) db.child("password_file").fail("'" + path + "' is empty");
        o.password_from = "file " + path;
    } else if (db.has("password_env")) {
        const std::string name = db.require_string("password_env");
        const char* v = std::getenv(name.c_str());
        if (!v || !*v)
            db.child("password_env").fail("the environment variable " + name + " is not set");
        o.password = v;
        o.password_from = "env " + name;
    }
}

void parse_odbc(const yaml::node& db, const std::string& base, odbc_settings& o) {
    if (db.has("dsn") == db.has("connection"))
        db.child("dsn").fail(
            "give either dsn (a name in odbc.ini) or connection (a driver "
            "connection string), not both or neither");
    if (db.has("dsn")) {
        o.dsn = db.require_string("dsn");
        if (o.dsn.empty() || o.dsn.find_first_of(";{}=") != std::string::npos)
            db.child("dsn").fail("'" + o.dsn + "' is not a data source name");
    } else {
        o.connection = db.require_string("connection");
        std::string upper;
        for (char c : o.connection)
            upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (upper.find("PWD=") != std::string::npos || upper.find("PASSWORD=") != std::string::npos)
            db.child("connection").fail("holds a password; use password_file or password_env");
    }
    o.user = db.get_string("user", "");
    read_password(db, base, o);
    o.query_timeout_us = db.get_duration_us("query_timeout", o.query_timeout_us);
    if (o.query_timeout_us < 1'000'000) db.child("query_timeout").fail("must be at least 1s");
}

}  // namespace

std::vector<column_use> sql_config::columns() const {
    std::vector<column_use> out;
    auto add = [&](const std::string& column, const std::string& f, const std::string& key) {
        if (column.empty()) return;
        for (const auto& u : out)
            if (u.column == column) return;
        out.push_back({column, f, key});
    };
    add(watermark_column, file, "watermark.column");
    const std::string& mf = mapping_file;
    const std::string& mk = mapping_key;
    add(row_mapping.order_column, mf, mk + ".order");
    for (const auto& id : row_mapping.id_columns) add(id, mf, mk + ".id");
    add(row_mapping.ts_column, mf, mk + ".ts");
    add(row_mapping.group_by, mf, mk + ".group_by");
    for (const auto& f : row_mapping.fields)
        if (!f.constant) add(f.column, mf, mk + ".fields." + f.field + ".column");
    return out;
}

void parse_database_section(const yaml::node& db, const std::string& base, database_config& out) {
    db.expect_keys({"kind", "path", "conninfo", "dsn", "connection", "user", "password_file",
                    "password_env", "query_timeout", "time_zone"});
    std::string kind = db.require_string("kind");
    const auto only_for = [&](std::initializer_list<const char*> keys, const char* which) {
        for (const char* k : keys)
            if (db.has(k)) db.child(k).fail(std::string("only for kind: ") + which);
    };
    if (kind == "sqlite") {
        out.kind = database_kind::sqlite;
        out.sqlite_path = resolve_path(base, db.require_string("path"));
        only_for({"conninfo"}, "postgres");
    } else if (kind == "postgres") {
        out.kind = database_kind::postgres;
        out.conninfo = db.require_string("conninfo");
        only_for({"path"}, "sqlite");
    } else if (kind == "odbc") {
        out.kind = database_kind::odbc;
        only_for({"path"}, "sqlite");
        only_for({"conninfo"}, "postgres");
        parse_odbc(db, base, out.odbc);
    } else {
        db.child("kind").fail("expected sqlite, postgres or odbc, got '" + kind + "'");
    }
    if (out.kind != database_kind::odbc)
        only_for({"dsn", "connection", "user", "password_file", "password_env", "query_timeout"},
                 "odbc");
    if (db.has("time_zone")) {
        out.time_zone = db.require_string("time_zone");
        std::string why;
        if (!load_time_zone(out.time_zone, why)) db.child("time_zone").fail(why);
    }
}

sql_config load_sql_config(const std::string& path) {
    sql_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), c.file, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"database", "table", "watermark", "batch", "poll_interval", "mapping",
                      "ingest", "state", "log_level", "curve"});

    if (!root.has("database")) root.child("database").fail("required key is missing");
    parse_database_section(root.child("database"), base, c);

    c.table = root.require_string("table");
    if (!is_identifier(c.table, true))
        root.child("table").fail("'" + c.table +
                                 "' is not a table name (letters, digits and _, optionally "
                                 "schema.table)");

    if (!root.has("watermark")) root.child("watermark").fail("required key is missing");
    auto wm = root.child("watermark");
    wm.expect_keys({"column", "type", "start_after"});
    c.watermark_column = wm.require_string("column");
    std::string type = wm.get_string("type", "integer");
    if (type == "integer")
        c.watermark_kind = watermark_type::integer;
    else if (type == "text")
        c.watermark_kind = watermark_type::text;
    else
        wm.child("type").fail("expected integer or text, got '" + type + "'");
    if (wm.has("start_after")) {
        c.start_after = wm.child("start_after").as_string();
        if (c.watermark_kind == watermark_type::integer && !is_integer_watermark(*c.start_after))
            wm.child("start_after").fail("expected an integer (watermark.type is integer)");
    }

    c.batch = positive(root, "batch", c.batch);
    c.poll_interval_us = root.get_duration_us("poll_interval", c.poll_interval_us);
    if (c.poll_interval_us <= 0) root.child("poll_interval").fail("must be positive");

    if (!root.has("mapping")) root.child("mapping").fail("required key is missing");
    pick_mapping(root.child("mapping"), base, c);

    if (!root.has("ingest")) root.child("ingest").fail("required key is missing");
    auto ingest = root.child("ingest");
    ingest.expect_keys({"endpoint", "outbox", "resend_after", "max_pending"});
    c.ingest_endpoint = ingest.get_string("endpoint", c.ingest_endpoint);
    if (!is_zmq_endpoint(c.ingest_endpoint))
        ingest.child("endpoint")
            .fail("'" + c.ingest_endpoint +
                  "' is not a ZeroMQ endpoint (tcp://host:port or ipc://path)");
    c.outbox_path = resolve_path(base, ingest.require_string("outbox"));
    c.resend_after_us = ingest.get_duration_us("resend_after", c.resend_after_us);
    if (c.resend_after_us < 1000) ingest.child("resend_after").fail("must be at least 1ms");
    c.max_pending = positive(ingest, "max_pending", c.max_pending);
    c.curve = parse_curve_section(root, base);

    c.state_path = resolve_path(base, root.require_string("state"));
    c.log_level = root.get_string("log_level", c.log_level);
    static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    bool level_ok = false;
    for (const char* l : levels) level_ok = level_ok || c.log_level == l;
    if (!level_ok)
        root.child("log_level").fail("expected trace, debug, info, warn, error, critical or off");

    // Cross-checks: every column the mapping reads must be one SQL can name.
    for (const auto& u : c.columns())
        if (!is_identifier(u.column))
            throw config_error(
                u.file, u.key,
                "'" + u.column + "' is not a SQL column name (letters, digits and _ only)");
    if (c.state_path == c.outbox_path)
        root.child("state").fail("must not be the outbox file (" + c.outbox_path + ")");
    return c;
}

}  // namespace baton::adapters::sql
