// baton-csv-out without sockets: column paths and formats, RFC 4180 quoting, iconv encodings
// ('?' for what the encoding cannot hold), the config file's checks, and one output's
// rotation, naming and restart after a crash, driven with a fake wall clock.
#include <gtest/gtest.h>
#include <iconv.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "columns.h"
#include "csv_out_config.h"
#include "csv_text.h"
#include "events.h"
#include "output_file.h"
#include "temp_dir.h"

namespace baton::adapters::csv_out {
namespace {

using testing::temp_dir;
namespace fs = std::filesystem;

constexpr std::int64_t nov_18_2026_noon = 1795003200000;  // 2026-11-18 12:00:00 UTC

column col(const std::string& name, const std::string& path, cell_format f = cell_format::text) {
    column c;
    c.name = name;
    c.value_path = path;
    std::string error;
    auto steps = parse_value_path(path, error);
    EXPECT_TRUE(steps) << error;
    if (steps) c.steps = *steps;
    c.format = f;
    return c;
}

relayed_message message(std::uint64_t seq, const std::string& customer = "C-1001") {
    relayed_message m;
    m.seq = seq;
    m.env =
        testing::order_placed("e-" + std::to_string(seq), "SO-" + std::to_string(seq), customer);
    m.env.seq = seq;
    m.env.cause = "cause-" + std::to_string(seq);
    m.env.ts_ms = nov_18_2026_noon;
    m.topic = m.env.topic;
    return m;
}

std::string cell(const column& c, const relayed_message& m) {
    std::string problem;
    std::string text = cell_text(c, envelope_as_value(m), clock_zone{}, problem);
    EXPECT_EQ(problem, "");
    return text;
}

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string iconv_to_utf8(const std::string& bytes, const char* from) {
    iconv_t cd = iconv_open("UTF-8", from);
    EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
    std::string out(bytes.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    char* o = out.data();
    std::size_t o_left = out.size();
    EXPECT_NE(iconv(cd, &in, &in_left, &o, &o_left), static_cast<std::size_t>(-1));
    out.resize(out.size() - o_left);
    iconv_close(cd);
    return out;
}

std::vector<std::string> files_in(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

// ---------------------------------------------------------------- columns

TEST(csv_out_columns, paths_reach_envelope_keys_data_fields_and_list_items) {
    auto m = message(42, "华南铝业");
    EXPECT_EQ(cell(col("seq", "seq"), m), "42");
    EXPECT_EQ(cell(col("t", "topic"), m), "sales.order.placed");
    EXPECT_EQ(cell(col("o", "order"), m), "SO-42");
    EXPECT_EQ(cell(col("c", "cause"), m), "cause-42");
    EXPECT_EQ(cell(col("客户", "data.customer"), m), "华南铝业");
    EXPECT_EQ(cell(col("i", "data.lines[1].item"), m), "PRF-D-0930");
    EXPECT_EQ(cell(col("q", "data.lines[0].qty"), m), "1200.0");
    EXPECT_EQ(cell(col("b", "data.new_die"), m), "false");
    // Missing: an empty cell, not an error.
    EXPECT_EQ(cell(col("x", "data.lines[7].item"), m), "");
    EXPECT_EQ(cell(col("x", "data.nothing"), m), "");
}

TEST(csv_out_columns, formats_write_money_dates_and_json) {
    auto m = message(7);
    EXPECT_EQ(cell(col("a", "data.amount_cents", cell_format::cents), m), "18430.00");
    m.env.data.set("amount_cents", -5);
    EXPECT_EQ(cell(col("a", "data.amount_cents", cell_format::cents), m), "-0.05");
    EXPECT_EQ(cell(col("d", "ts", cell_format::date), m), "2026-11-18");
    EXPECT_EQ(cell(col("d", "ts", cell_format::datetime), m), "2026-11-18 12:00:00");
    EXPECT_EQ(cell(col("d", "data.promised_date", cell_format::date), m), "2026-12-18");
    EXPECT_EQ(cell(col("j", "data.terms", cell_format::json), m), "\"credit\"");
    EXPECT_EQ(cell(col("j", "data.lines[0]", cell_format::json), m).substr(0, 20),
              "{\"item\":\"PRF-D-4411\"");

    std::string problem;
    EXPECT_EQ(cell_text(col("a", "data.customer", cell_format::cents), envelope_as_value(m),
                        clock_zone{}, problem),
              "");
    EXPECT_EQ(problem, "data.customer: cents need an integer, got string");
}

TEST(csv_out_columns, malformed_paths_are_refused_with_the_reason) {
    std::string error;
    EXPECT_FALSE(parse_value_path("customer", error));
    EXPECT_NE(error.find("must start with an envelope key"), std::string::npos) << error;
    EXPECT_FALSE(parse_value_path("data..x", error));
    EXPECT_NE(error.find("empty key"), std::string::npos) << error;
    EXPECT_FALSE(parse_value_path("data.lines[x]", error));
    EXPECT_NE(error.find("expected [<index>]"), std::string::npos) << error;
    EXPECT_FALSE(parse_value_path("seq.x", error));
    EXPECT_FALSE(parse_value_path("data.", error));
    EXPECT_TRUE(parse_value_path("data.lines[0][1].x", error));
}

// ---------------------------------------------------------------- quoting and encodings

TEST(csv_out_text, cells_are_quoted_as_rfc_4180_says) {
    EXPECT_EQ(quote_cell("plain", ','), "plain");
    EXPECT_EQ(quote_cell("a,b", ','), "\"a,b\"");
    EXPECT_EQ(quote_cell("a,b", ';'), "a,b");
    EXPECT_EQ(quote_cell("a;b", ';'), "\"a;b\"");
    EXPECT_EQ(quote_cell("Profil \"L\"", ','), "\"Profil \"\"L\"\"\"");
    EXPECT_EQ(quote_cell("two\r\nlines", ','), "\"two\r\nlines\"");
    EXPECT_EQ(quote_cell(" pad", ','), "\" pad\"");
    EXPECT_EQ(quote_cell("a\tb", '\t'), "\"a\tb\"");
    EXPECT_EQ(csv_line({"1", "x,y", ""}, ',', "\r\n"), "1,\"x,y\",\r\n");
}

TEST(csv_out_text, gb18030_round_trips_and_unrepresentable_characters_become_question_marks) {
    std::uint64_t replaced = 0;
    text_encoder gb("gb18030");
    std::string bytes = gb.encode("客户,华南铝业 Müller €", replaced);
    EXPECT_EQ(replaced, 0u);
    EXPECT_EQ(bytes.substr(0, 4), "\xBF\xCD\xBB\xA7");  // 客户 in GB18030
    EXPECT_EQ(iconv_to_utf8(bytes, "GB18030"), "客户,华南铝业 Müller €");
    EXPECT_EQ(gb.bom_bytes(), "");

    text_encoder latin("windows-1252");
    EXPECT_EQ(latin.encode("Müller 客户 ok", replaced), "M\xFCller ?? ok");
    EXPECT_EQ(replaced, 2u);

    text_encoder utf16("utf-16");
    EXPECT_EQ(utf16.bom_bytes(), std::string("\xFF\xFE", 2));
    EXPECT_EQ(utf16.encode("a", replaced), std::string("a\0", 2));  // no BOM per call
    EXPECT_TRUE(check_encoding("GBK") == std::nullopt);
    EXPECT_TRUE(check_encoding("no-such-encoding").has_value());
    EXPECT_THROW(text_encoder("no-such-encoding"), std::runtime_error);
}

// ---------------------------------------------------------------- config

std::string config_error_of(const std::string& path) {
    try {
        load_csv_out_config(path);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

TEST(csv_out_config, reads_outputs_and_refuses_what_would_go_wrong_with_the_key_path) {
    temp_dir dir;
    fs::create_directories(dir / "out");
    const std::string good =
        "state: var/relay.seq\n"
        "files:\n"
        "  - topics: [finance.]\n"
        "    folder: out\n"
        "    name: 'fin_{date}_{n}.csv'\n"
        "    rows: 100\n"
        "    encoding: gb18030\n"
        "    delimiter: \"\\t\"\n"
        "    line_end: lf\n"
        "    columns:\n"
        "      - {name: 序号, value: seq}\n"
        "      - {name: 金额, value: data.amount_cents, format: cents}\n";
    auto c = load_csv_out_config(dir.write("good.yaml", good));
    EXPECT_EQ(c.state, dir / "var/relay.seq");
    ASSERT_EQ(c.files.size(), 1u);
    EXPECT_EQ(c.files[0].folder, dir / "out");
    EXPECT_EQ(c.files[0].rotate, rotation::rows);
    EXPECT_EQ(c.files[0].rows, 100u);
    EXPECT_EQ(c.files[0].delimiter, '\t');
    EXPECT_EQ(c.files[0].line_end, "\n");
    EXPECT_EQ(c.files[0].columns[1].format, cell_format::cents);
    EXPECT_EQ(followed_prefixes(c.files), std::vector<std::string>{"finance."});

    auto bad = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
        return config_error_of(dir.write("bad.yaml", text));
    };
    EXPECT_NE(bad("rows: 100", "rowz: 100").find("files[0].rowz: unknown key"), std::string::npos)
        << bad("rows: 100", "rowz: 100");
    EXPECT_NE(bad("gb18030", "gb9999").find("files[0].encoding: iconv does not know"),
              std::string::npos);
    EXPECT_NE(bad("fin_{date}_{n}", "fin_{day}").find("files[0].name:"), std::string::npos);
    EXPECT_NE(bad("fin_{date}_{n}", "fin_{date}").find("needs {seq} or {n}"), std::string::npos);
    EXPECT_NE(bad("folder: out", "folder: missing").find("files[0].folder:"), std::string::npos);
    EXPECT_NE(bad("value: seq", "value: sequence").find("files[0].columns[0].value:"),
              std::string::npos);
    EXPECT_NE(bad("format: cents", "format: money").find("files[0].columns[1].format:"),
              std::string::npos);
    EXPECT_NE(bad("line_end: lf", "bom: true").find("files[0].bom:"), std::string::npos);
    EXPECT_NE(bad("\"\\t\"", "'|'").find("files[0].delimiter:"), std::string::npos);
    EXPECT_NE(bad("state:", "stat:").find("stat: unknown key"), std::string::npos);
}

TEST(csv_out_config, the_shipped_example_is_valid_once_its_folders_exist) {
    temp_dir dir;
    fs::create_directories(dir / "a/b/c/var/csv-out/finance");
    fs::create_directories(dir / "a/b/c/var/csv-out/all");
    fs::create_directories(dir / "a/b/c/adapters/csv_out/example");
    std::string text =
        read(std::string(BATON_SOURCE_DIR) + "/adapters/csv_out/example/csv-out.yaml");
    auto path = dir.write("a/b/c/adapters/csv_out/example/csv-out.yaml", text);
    auto c = load_csv_out_config(path);
    ASSERT_EQ(c.files.size(), 2u);
    EXPECT_EQ(c.time_zone, "Asia/Shanghai");
    EXPECT_EQ(c.files[0].encoding, "gb18030");
    EXPECT_TRUE(c.files[1].bom);
    EXPECT_TRUE(followed_prefixes(c.files).empty());  // "" takes every topic
}

// ---------------------------------------------------------------- one output

file_output gb_output(const std::string& folder, rotation r, std::uint64_t rows = 0) {
    file_output f;
    f.key = "files[0]";
    f.topics = {"sales."};
    f.folder = folder;
    f.name = r == rotation::day ? "orders_{date}.csv" : "orders_{seq}_{n}.csv";
    f.rotate = r;
    f.rows = rows;
    f.encoding = "gb18030";
    f.columns = {col("序号", "seq"), col("客户", "data.customer"),
                 col("金额", "data.amount_cents", cell_format::cents)};
    return f;
}

TEST(csv_out_output, rows_rotation_names_complete_files_and_keeps_the_rest_hidden) {
    temp_dir dir;
    output_file out(gb_output(dir.path(), rotation::rows, 2), clock_zone{});
    for (std::uint64_t seq : {3, 5, 8, 9, 12})
        out.write(message(seq, "华南铝业"), nov_18_2026_noon);
    EXPECT_EQ(out.files_completed(), 2u);
    EXPECT_EQ(out.open_name(), ".orders_12_3.csv.tmp");
    auto names = files_in(dir.path());
    EXPECT_EQ(names, (std::vector<std::string>{".csv-out.orders__seq___n_.csv.state",
                                               ".orders_12_3.csv.tmp", "orders_3_1.csv",
                                               "orders_8_2.csv"}));
    EXPECT_EQ(iconv_to_utf8(read(dir / "orders_3_1.csv"), "GB18030"),
              "序号,客户,金额\r\n3,华南铝业,18430.00\r\n5,华南铝业,18430.00\r\n");
}

TEST(csv_out_output, a_day_file_completes_when_the_day_is_over) {
    temp_dir dir;
    output_file out(gb_output(dir.path(), rotation::day), clock_zone{});
    out.write(message(1), nov_18_2026_noon);
    out.tick(nov_18_2026_noon + 11 * 3600 * 1000);  // 23:00, same day
    EXPECT_EQ(out.files_completed(), 0u);
    out.tick(nov_18_2026_noon + 12 * 3600 * 1000);  // midnight
    EXPECT_EQ(out.files_completed(), 1u);
    EXPECT_TRUE(fs::exists(dir / "orders_20261118.csv"));
    out.write(message(2), nov_18_2026_noon + 13 * 3600 * 1000);
    EXPECT_EQ(out.open_name(), ".orders_20261119.csv.tmp");
}

TEST(csv_out_output, a_restart_continues_the_file_skips_written_seqs_and_drops_unrecorded_bytes) {
    temp_dir dir;
    auto config = gb_output(dir.path(), rotation::rows, 10);
    {
        output_file out(config, clock_zone{});
        out.write(message(1), nov_18_2026_noon);
        out.write(message(2), nov_18_2026_noon);
    }
    // A crash after a row reached the file but before the state recorded it.
    {
        std::ofstream tmp(dir / ".orders_1_1.csv.tmp", std::ios::app | std::ios::binary);
        tmp << "3,half a ro";
    }
    output_file again(config, clock_zone{});
    EXPECT_EQ(again.last_seq(), 2u);
    again.write(message(2), nov_18_2026_noon);  // the relay hands it over again: skipped
    again.write(message(3), nov_18_2026_noon);
    EXPECT_EQ(again.rows_written(), 1u);
    EXPECT_EQ(iconv_to_utf8(read(dir / ".orders_1_1.csv.tmp"), "GB18030"),
              "序号,客户,金额\r\n1,C-1001,18430.00\r\n2,C-1001,18430.00\r\n3,C-1001,18430.00\r\n");
}

TEST(csv_out_output, changed_columns_complete_the_old_file_instead_of_mixing_headers) {
    temp_dir dir;
    auto config = gb_output(dir.path(), rotation::rows, 10);
    {
        output_file out(config, clock_zone{});
        out.write(message(1), nov_18_2026_noon);
    }
    config.columns.pop_back();
    output_file again(config, clock_zone{});
    EXPECT_EQ(again.files_completed(), 1u);
    EXPECT_TRUE(fs::exists(dir / "orders_1_1.csv"));
    again.write(message(2), nov_18_2026_noon);
    EXPECT_EQ(iconv_to_utf8(read(dir / ".orders_2_2.csv.tmp"), "GB18030"),
              "序号,客户\r\n2,C-1001\r\n");
}

}  // namespace
}  // namespace baton::adapters::csv_out
