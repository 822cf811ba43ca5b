// Parsing and cross-checking baton-csv-out's YAML file (csv_out_config.h).
#include "csv_out_config.h"

#include <filesystem>
#include <set>

#include "config_parts.h"
#include "csv_text.h"
#include "curve_keys.h"
#include "paths.h"
#include "yaml_util.h"

namespace baton::adapters::csv_out {

namespace {

namespace fs = std::filesystem;

void check_name(const yaml::node& n, const file_output& f) {
    const std::string& name = f.name;
    if (name.empty() || name.front() == '.' || name.find('/') != std::string::npos ||
        name.find('\\') != std::string::npos)
        n.fail("'" + name + "': a file name (no folder, not starting with '.')");
    bool has_seq = false, has_n = false, has_date = false;
    for (std::size_t i = name.find('{'); i != std::string::npos; i = name.find('{', i + 1)) {
        std::size_t close = name.find('}', i);
        std::string p = close == std::string::npos ? "" : name.substr(i, close - i + 1);
        if (p == "{seq}")
            has_seq = true;
        else if (p == "{n}")
            has_n = true;
        else if (p == "{date}")
            has_date = true;
        else
            n.fail("'" + name + "': unknown placeholder at character " + std::to_string(i + 1) +
                   " (use {date}, {seq}, {n})");
    }
    if (!has_seq && !has_n && !(f.rotate == rotation::day && has_date))
        n.fail("'" + name + "': needs {seq} or {n}" +
               std::string(f.rotate == rotation::day ? " or {date}" : "") +
               " so that every file gets its own name");
}

column read_column(const yaml::node& n) {
    n.expect_map();
    n.expect_keys({"name", "value", "format"});
    column c;
    c.name = n.require_string("name");
    c.value_path = n.require_string("value");
    std::string error;
    auto steps = parse_value_path(c.value_path, error);
    if (!steps) n.child("value").fail(error);
    c.steps = std::move(*steps);
    if (n.has("format")) {
        std::string f = n.child("format").as_string();
        auto parsed = parse_cell_format(f);
        if (!parsed)
            n.child("format").fail("'" + f + "' is not one of cents, date, datetime, json");
        c.format = *parsed;
    }
    return c;
}

file_output read_file_output(const yaml::node& n, const std::string& base) {
    n.expect_map();
    n.expect_keys({"topics", "folder", "name", "rotate", "rows", "encoding", "delimiter", "bom",
                   "line_end", "columns"});
    file_output f;
    f.key = n.path();
    if (!n.has("topics"))
        n.child("topics").fail("required key is missing ([\"\"] for every topic)");
    auto topics = n.child("topics");
    topics.expect_list();
    if (topics.size() == 0) topics.fail("needs at least one topic prefix");
    for (std::size_t i = 0; i < topics.size(); ++i) f.topics.push_back(topics.item(i).as_string());

    f.folder = resolve_path(base, n.require_string("folder"));
    std::error_code ec;
    if (!fs::is_directory(f.folder, ec))
        n.child("folder").fail("'" + f.folder + "' is not an existing folder");

    if (n.has("rotate") && n.has("rows"))
        n.child("rows").fail("give either rotate: day or rows: N, not both");
    if (n.has("rows")) {
        std::int64_t rows = n.get_int("rows", 0);
        if (rows < 1) n.child("rows").fail("must be at least 1");
        f.rotate = rotation::rows;
        f.rows = static_cast<std::uint64_t>(rows);
    } else if (n.has("rotate")) {
        std::string r = n.child("rotate").as_string();
        if (r != "day") n.child("rotate").fail("'" + r + "': only 'day' (or give rows: N)");
    }
    f.name = n.require_string("name");
    check_name(n.child("name"), f);

    f.encoding = n.get_string("encoding", f.encoding);
    if (auto problem = check_encoding(f.encoding)) n.child("encoding").fail(*problem);
    std::string d = n.get_string("delimiter", ",");
    if (d == "," || d == ";")
        f.delimiter = d[0];
    else if (d == "\t" || d == "tab" || d == "\\t")
        f.delimiter = '\t';
    else
        n.child("delimiter").fail("'" + d + "': use \",\", \";\" or \"\\t\"");
    f.bom = n.get_bool("bom", false);
    if (f.bom && text_encoder(f.encoding).bom_bytes().empty())
        n.child("bom").fail("a byte-order mark exists only for utf-8, utf-16 and utf-32");
    std::string le = n.get_string("line_end", "crlf");
    if (le == "crlf")
        f.line_end = "\r\n";
    else if (le == "lf")
        f.line_end = "\n";
    else
        n.child("line_end").fail("'" + le + "': crlf or lf");

    if (!n.has("columns")) n.child("columns").fail("required key is missing");
    auto cols = n.child("columns");
    cols.expect_list();
    if (cols.size() == 0) cols.fail("needs at least one column");
    for (std::size_t i = 0; i < cols.size(); ++i) f.columns.push_back(read_column(cols.item(i)));
    return f;
}

}  // namespace

csv_out_config load_csv_out_config(const std::string& path) {
    csv_out_config c;
    c.file = fs::absolute(path).lexically_normal().string();
    const std::string base = fs::path(c.file).parent_path().string();
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map of settings");
    root.expect_keys({"batond", "state", "files", "time_zone", "log_level", "curve"});

    if (root.has("batond")) {
        auto bd = root.child("batond");
        bd.expect_keys({"relay", "control"});
        c.relay = webhook::zmq_endpoint(bd, "relay", c.relay);
        c.control = webhook::zmq_endpoint(bd, "control", c.control);
    }
    c.state = resolve_path(base, root.require_string("state"));
    c.time_zone = root.get_string("time_zone", "");
    if (!c.time_zone.empty()) {
        std::error_code ec;
        if (c.time_zone.find("..") != std::string::npos ||
            !fs::is_regular_file(fs::path("/usr/share/zoneinfo") / c.time_zone, ec))
            root.child("time_zone")
                .fail("'" + c.time_zone + "' is not a time zone of /usr/share/zoneinfo");
    }

    if (!root.has("files")) root.child("files").fail("required key is missing");
    auto list = root.child("files");
    list.expect_list();
    if (list.size() == 0) list.fail("needs at least one file output");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        c.files.push_back(read_file_output(list.item(i), base));
        const auto& f = c.files.back();
        if (!seen.insert(f.folder + "/" + f.name).second)
            list.item(i).child("name").fail("another output writes '" + f.name + "' in " +
                                            f.folder);
    }
    c.log_level = root.get_string("log_level", c.log_level);
    webhook::check_log_level(root, c.log_level);
    c.curve = parse_curve_section(root, base);
    return c;
}

std::vector<std::string> followed_prefixes(const std::vector<file_output>& files) {
    std::set<std::string> all;
    for (const auto& f : files)
        for (const auto& t : f.topics) {
            if (t.empty()) return {};
            all.insert(t);
        }
    return {all.begin(), all.end()};
}

}  // namespace baton::adapters::csv_out
