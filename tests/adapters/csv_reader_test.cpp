// Unit tests of baton-csv's CSV reader and writer: quoting, delimiters, line numbers, the byte
// habits of Excel and ERP exports, and malformed rows that must not stop the file.
#include "csv_reader.h"

#include <gtest/gtest.h>

#include "csv_config.h"
#include "temp_dir.h"
#include "text_decoder.h"

namespace baton::adapters::csv {
namespace {

table read(std::string_view text, char delimiter = ',') {
    table t;
    std::string error;
    EXPECT_TRUE(read_table(text, delimiter, t, error)) << error;
    return t;
}

TEST(csv_reader, reads_a_header_and_rows_with_their_line_numbers) {
    table t = read("order_no,qty\nSO-1,5\nSO-2,7\n");
    EXPECT_EQ(t.header, (std::vector<std::string>{"order_no", "qty"}));
    EXPECT_EQ(t.header_line, 1u);
    ASSERT_EQ(t.records.size(), 2u);
    EXPECT_EQ(t.records[0].line, 2u);
    EXPECT_EQ(t.records[0].cells, (std::vector<std::string>{"SO-1", "5"}));
    EXPECT_EQ(t.records[1].line, 3u);
    EXPECT_TRUE(t.records[1].error.empty());
}

TEST(csv_reader, quoted_cells_hold_delimiters_line_breaks_and_doubled_quotes) {
    table t = read("a;b;c\r\n\"x;y\";\"line 1\r\nline 2\";\"say \"\"hi\"\"\"\r\nlast;2;3\r\n", ';');
    ASSERT_EQ(t.records.size(), 2u);
    EXPECT_EQ(t.records[0].cells,
              (std::vector<std::string>{"x;y", "line 1\r\nline 2", "say \"hi\""}));
    EXPECT_EQ(t.records[0].line, 2u);
    EXPECT_EQ(t.records[1].line, 4u);  // the record before spans lines 2 and 3
    EXPECT_EQ(t.records[1].cells[0], "last");
}

TEST(csv_reader, strips_the_byte_order_mark_trims_header_names_and_skips_blank_rows) {
    table t = read("\xEF\xBB\xBF order_no , qty\n\nSO-1,5\n,\n\nSO-2,6");
    EXPECT_EQ(t.header, (std::vector<std::string>{"order_no", "qty"}));
    ASSERT_EQ(t.records.size(), 2u);
    EXPECT_EQ(t.records[0].line, 3u);
    EXPECT_EQ(t.records[1].line, 6u);
    EXPECT_EQ(t.records[1].cells[1], "6");  // no newline at the end of the file
}

TEST(csv_reader, a_row_with_the_wrong_number_of_cells_is_marked_and_reading_goes_on) {
    table t = read("a,b,c\n1,2\n1,2,3,,\n1,2,3,4\n5,6,7\n");
    ASSERT_EQ(t.records.size(), 4u);
    EXPECT_EQ(t.records[0].error, "has 2 cells, the header has 3");
    EXPECT_TRUE(t.records[1].error.empty()) << "trailing empty cells are harmless";
    EXPECT_EQ(t.records[1].cells.size(), 3u);
    EXPECT_EQ(t.records[2].error, "has 4 cells, the header has 3");
    EXPECT_TRUE(t.records[3].error.empty());
}

TEST(csv_reader, text_after_a_closing_quote_and_an_unclosed_quote_are_row_errors) {
    table t = read("a,b\n\"x\"y,1\nok,2\n3,\"never closed\n4,5\n");
    ASSERT_EQ(t.records.size(), 3u);
    EXPECT_EQ(t.records[0].error, "text after the closing quote of cell 1");
    EXPECT_EQ(t.records[0].cells[0], "xy");
    EXPECT_TRUE(t.records[1].error.empty());
    EXPECT_EQ(t.records[2].line, 4u);
    EXPECT_EQ(t.records[2].error,
              "the quoted cell 2 opened on line 4 is not closed before the end of the file");
}

TEST(csv_reader, invalid_utf8_is_a_row_error_and_windows_1252_can_be_converted) {
    std::string latin = "name,city\nM\xFCller,K\xF6ln \x80\n";
    table t = read(latin);
    ASSERT_EQ(t.records.size(), 1u);
    EXPECT_NE(t.records[0].error.find("not valid UTF-8"), std::string::npos);
    t = read(windows1252_to_utf8(latin));
    EXPECT_TRUE(t.records[0].error.empty());
    EXPECT_EQ(t.records[0].cells[0], "M\xC3\xBCller");
    EXPECT_EQ(t.records[0].cells[1], "K\xC3\xB6ln \xE2\x82\xAC");  // € is 0x80 in Windows-1252
    EXPECT_TRUE(is_valid_utf8("plain \xC3\xA4"));
    EXPECT_FALSE(is_valid_utf8("\xC3"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));  // overlong
}

TEST(csv_reader, a_file_without_a_usable_header_fails) {
    table t;
    std::string error;
    EXPECT_FALSE(read_table("", ',', t, error));
    EXPECT_EQ(error, "the file is empty (no header row)");
    EXPECT_FALSE(read_table("\n\n", ',', t, error));
    EXPECT_FALSE(read_table("a,b,a\n1,2,3\n", ',', t, error));
    EXPECT_EQ(error, "line 1 (the header row): column 'a' appears twice");
    EXPECT_FALSE(read_table("\n\"a,b\n", ',', t, error));
    EXPECT_NE(error.find("line 2 (the header row)"), std::string::npos) << error;
}

TEST(csv_reader, format_record_quotes_only_what_needs_it_and_reads_back) {
    std::vector<std::string> cells{"plain", "a;b", "say \"hi\"", "two\nlines", " padded", ""};
    std::string line = format_record(cells, ';');
    EXPECT_EQ(line, "plain;\"a;b\";\"say \"\"hi\"\"\";\"two\nlines\";\" padded\";\n");
    table t = read(format_record({"1", "2", "3", "4", "5", "6"}, ';') + line, ';');
    ASSERT_EQ(t.records.size(), 1u);
    EXPECT_EQ(t.records[0].cells, cells);
}

TEST(csv_config, reads_the_options_with_paths_relative_to_the_config_file) {
    testing::temp_dir dir;
    dir.write("drop/.keep", "");
    std::string path = dir.write("csv.yaml", R"(
folder: drop
mappings: mappings.yaml
ingest: tcp://127.0.0.1:7999
outbox: var/csv-outbox.db
poll_interval: 250ms
settle: 100ms
delimiter: ";"
encoding: windows-1252
)");
    adapter_config c = load_config(path);
    EXPECT_EQ(c.folder, dir / "drop");
    EXPECT_EQ(c.mappings_file, dir / "mappings.yaml");
    EXPECT_EQ(c.outbox, dir / "var/csv-outbox.db");
    EXPECT_EQ(c.done_dir, dir / "drop/done");
    EXPECT_EQ(c.failed_dir, dir / "drop/failed");
    EXPECT_EQ(c.ingest, "tcp://127.0.0.1:7999");
    EXPECT_EQ(c.poll_interval.count(), 250);
    EXPECT_EQ(c.settle.count(), 100);
    EXPECT_EQ(c.ack_timeout.count(), 30000);
    EXPECT_EQ(c.delimiter, ';');
    EXPECT_EQ(c.encoding, "windows-1252");
}

TEST(csv_config, errors_name_the_key_and_the_reason) {
    testing::temp_dir dir;
    dir.write("drop/.keep", "");
    auto error_for = [&](const std::string& extra) {
        std::string path =
            dir.write("csv.yaml", "folder: drop\nmappings: m.yaml\noutbox: var/o.db\n" + extra);
        try {
            load_config(path);
        } catch (const config_error& e) {
            return e.key + ": " + e.reason;
        }
        return std::string("no error");
    };
    EXPECT_EQ(error_for("setle: 2s\n").substr(0, 19), "setle: unknown key ");
    EXPECT_EQ(error_for("settle: soon\n").substr(0, 8), "settle: ");
    EXPECT_EQ(error_for("delimiter: \"|\"\n"),
              "delimiter: expected \",\", \";\" or tab, got '|' (line 4)");
    EXPECT_EQ(error_for("encoding: latin99\n").substr(0, 20), "encoding: 'latin99' ");
    EXPECT_EQ(error_for("poll_interval: 0s\n"), "poll_interval: must be more than 0 (line 4)");
    std::string missing_folder = dir.write("csv.yaml", "folder: nowhere\nmappings: m\noutbox: o\n");
    try {
        load_config(missing_folder);
        ADD_FAILURE();
    } catch (const config_error& e) {
        EXPECT_EQ(e.key, "folder");
        EXPECT_NE(e.reason.find("is not a folder"), std::string::npos);
    }
    std::string no_outbox = dir.write("csv.yaml", "folder: drop\nmappings: m\n");
    try {
        load_config(no_outbox);
        ADD_FAILURE();
    } catch (const config_error& e) {
        EXPECT_EQ(e.key, "outbox");
    }
}

}  // namespace
}  // namespace baton::adapters::csv
