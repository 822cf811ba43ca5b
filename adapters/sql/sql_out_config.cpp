// Parsing and cross-checking baton-sql-out's YAML config.
#include "sql_out_config.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "config_parts.h"
#include "curve_keys.h"
#include "paths.h"
#include "query.h"
#include "yaml_util.h"

namespace baton::adapters::sql {

namespace fs = std::filesystem;

namespace {

std::string column_name(const yaml::node& n, const char* key) {
    std::string c = n.require_string(key);
    if (!is_identifier(c))
        n.child(key).fail("'" + c + "' is not a SQL column name (letters, digits and _ only)");
    return c;
}

column_value read_column(const yaml::node& n) {
    n.expect_keys({"column", "value", "format"});
    column_value c;
    c.column = column_name(n, "column");
    std::string why;
    auto path = parse_value_path(n.require_string("value"), why);
    if (!path) n.child("value").fail(why);
    c.path = *path;
    if (n.has("format")) {
        auto f = parse_value_format(n.require_string("format"), why);
        if (!f) n.child("format").fail(why);
        c.format = *f;
    }
    return c;
}

table_target read_table(const yaml::node& n) {
    n.expect_keys({"topics", "table", "seq_column", "columns", "status_column", "status_value"});
    table_target t;
    if (!n.has("topics")) n.child("topics").fail("required key is missing (topic prefixes)");
    auto topics = n.child("topics");
    topics.expect_list();
    if (topics.size() == 0) topics.fail("needs at least one topic prefix");
    for (std::size_t i = 0; i < topics.size(); ++i) {
        std::string p = topics.item(i).as_string();
        if (p.empty()) topics.item(i).fail("an empty prefix would take every topic; name them");
        t.topics.push_back(p);
    }
    t.table = n.require_string("table");
    if (!is_identifier(t.table, true))
        n.child("table").fail("'" + t.table +
                              "' is not a table name (letters, digits and _, optionally "
                              "schema.table)");
    t.seq_column = column_name(n, "seq_column");

    if (!n.has("columns")) n.child("columns").fail("required key is missing");
    auto list = n.child("columns");
    list.expect_list();
    if (list.size() == 0) list.fail("needs at least one column");
    std::set<std::string> seen = {t.seq_column};
    for (std::size_t i = 0; i < list.size(); ++i) {
        t.columns.push_back(read_column(list.item(i)));
        if (!seen.insert(t.columns.back().column).second)
            list.item(i).child("column").fail(
                "'" + t.columns.back().column + "' is written twice" +
                (t.columns.back().column == t.seq_column
                     ? " (it is the seq_column, which always holds the relay seq)"
                     : ""));
    }
    if (n.has("status_column") != n.has("status_value"))
        n.child(n.has("status_column") ? "status_value" : "status_column")
            .fail("give status_column and status_value together");
    if (n.has("status_column")) {
        t.status_column = column_name(n, "status_column");
        if (!seen.insert(t.status_column).second)
            n.child("status_column").fail("'" + t.status_column + "' is already written");
        t.status_value = n.child("status_value").as_string();
    }
    return t;
}

}  // namespace

bool table_target::wants(const std::string& topic) const {
    for (const auto& p : topics)
        if (topic.compare(0, p.size(), p) == 0) return true;
    return false;
}

std::vector<std::string> sql_out_config::topics() const {
    std::vector<std::string> out;
    for (const auto& t : tables)
        for (const auto& p : t.topics)
            if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    return out;
}

sql_out_config load_sql_out_config(const std::string& path) {
    sql_out_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), c.file, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"batond", "curve", "state", "database", "tables", "batch_rows", "batch_wait",
                      "retry", "log_level"});

    if (root.has("batond")) {
        auto bd = root.child("batond");
        bd.expect_keys({"relay", "control"});
        c.relay = webhook::zmq_endpoint(bd, "relay", c.relay);
        c.control = webhook::zmq_endpoint(bd, "control", c.control);
    }
    c.curve = parse_curve_section(root, base);
    c.state_path = resolve_path(base, root.require_string("state"));

    if (!root.has("database")) root.child("database").fail("required key is missing");
    c.database.file = c.file;
    parse_database_section(root.child("database"), base, c.database);

    if (!root.has("tables")) root.child("tables").fail("required key is missing");
    auto list = root.child("tables");
    list.expect_list();
    if (list.size() == 0) list.fail("needs at least one table");
    for (std::size_t i = 0; i < list.size(); ++i) c.tables.push_back(read_table(list.item(i)));

    const std::int64_t rows = root.get_int("batch_rows", static_cast<std::int64_t>(c.batch_rows));
    if (rows <= 0 || rows > 100000) root.child("batch_rows").fail("must be 1 to 100000");
    c.batch_rows = static_cast<std::size_t>(rows);
    c.batch_wait = webhook::positive_ms(root, "batch_wait", c.batch_wait);
    if (root.has("retry")) {
        auto retry = root.child("retry");
        retry.expect_keys({"initial", "max"});
        c.retry.initial = webhook::positive_ms(retry, "initial", c.retry.initial);
        c.retry.max = webhook::positive_ms(retry, "max", c.retry.max);
        if (c.retry.max < c.retry.initial)
            retry.child("max").fail("must not be shorter than retry.initial");
    }
    c.log_level = root.get_string("log_level", c.log_level);
    webhook::check_log_level(root, c.log_level);
    return c;
}

}  // namespace baton::adapters::sql
