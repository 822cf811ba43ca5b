// Parsing and cross-checking baton-sql's YAML config and picking its mapping.
#include "sql_config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "curve_keys.h"
#include "endpoint.h"
#include "paths.h"
#include "query.h"
#include "yaml_util.h"

namespace baton::adapters::sql {

namespace fs = std::filesystem;

const char* to_string(database_kind k) {
    return k == database_kind::sqlite ? "sqlite" : "postgres";
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

sql_config load_sql_config(const std::string& path) {
    sql_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), c.file, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"database", "table", "watermark", "batch", "poll_interval", "mapping",
                      "ingest", "state", "log_level", "curve"});

    if (!root.has("database")) root.child("database").fail("required key is missing");
    auto db = root.child("database");
    db.expect_keys({"kind", "path", "conninfo"});
    std::string kind = db.require_string("kind");
    if (kind == "sqlite") {
        c.kind = database_kind::sqlite;
        c.sqlite_path = resolve_path(base, db.require_string("path"));
        if (db.has("conninfo")) db.child("conninfo").fail("only for kind: postgres");
    } else if (kind == "postgres") {
        c.kind = database_kind::postgres;
        c.conninfo = db.require_string("conninfo");
        if (db.has("path")) db.child("path").fail("only for kind: sqlite");
    } else {
        db.child("kind").fail("expected sqlite or postgres, got '" + kind + "'");
    }

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
