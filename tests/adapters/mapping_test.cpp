// Unit tests of the column mappings shared by the CSV and SQL adapters: loading the YAML
// strictly, typed cells (numbers, cents, dates, yes/no), constants, grouping rows into lines,
// stable ids, and row errors that name the column and the reason.
#include "mapping.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace baton::adapters {
namespace {

using testing::temp_dir;

std::vector<mapping> load_text(const temp_dir& dir, const std::string& yaml) {
    return load_mappings(dir.write("mappings.yaml", yaml));
}

mapping one(const std::string& body) {
    temp_dir dir;
    auto ms = load_text(dir,
                        "mappings:\n  - name: test\n    topic: sales.order.placed\n"
                        "    source: sales-erp\n" +
                            body);
    EXPECT_EQ(ms.size(), 1u);
    return ms.at(0);
}

std::string by_position(std::size_t i) {
    return "file.csv:" + std::to_string(i + 2);
}

// Maps rows that must all be good and returns the single event.
mapped_event map_one(const mapping& m, const std::vector<row>& rows) {
    std::vector<row_error> errors;
    auto events = map_rows(m, rows, by_position, errors);
    EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0].reason);
    EXPECT_EQ(events.size(), 1u);
    return events.empty() ? mapped_event{} : events[0];
}

// The reason of the single row error of `rows`.
std::string error_of(const mapping& m, const std::vector<row>& rows) {
    std::vector<row_error> errors;
    auto events = map_rows(m, rows, by_position, errors);
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(errors.size(), 1u);
    return errors.empty() ? "" : errors[0].reason;
}

config_error load_error(const std::string& yaml) {
    temp_dir dir;
    try {
        load_text(dir, yaml);
    } catch (const config_error& e) {
        EXPECT_EQ(e.file, dir / "mappings.yaml");
        return e;
    }
    ADD_FAILURE() << "no error for:\n" << yaml;
    return config_error("", "", "");
}

const char* header_example = R"(
mappings:
  - name: sales-orders
    match: "orders_*.csv"
    topic: sales.order.placed
    source: sales-erp
    order: order_no
    id: order_no
    ts: created_at
    group_by: order_no
    decimal: ","
    fields:
      customer: {column: customer_no}
      amount_cents: {column: total, type: cents}
      promised_date: {column: due, type: date, format: "%d.%m.%Y"}
      new_die: {column: new_die, type: bool}
      terms: {value: credit}
      lines[].item: {column: article}
      lines[].qty: {column: qty, type: number}
)";

TEST(mapping, loads_the_example_of_the_header) {
    temp_dir dir;
    auto ms = load_text(dir, header_example);
    ASSERT_EQ(ms.size(), 1u);
    const mapping& m = ms[0];
    EXPECT_EQ(m.name, "sales-orders");
    EXPECT_EQ(m.match, "orders_*.csv");
    EXPECT_EQ(m.topic, "sales.order.placed");
    EXPECT_EQ(m.source, "sales-erp");
    EXPECT_EQ(m.order_column, "order_no");
    EXPECT_EQ(m.id_columns, std::vector<std::string>{"order_no"});
    EXPECT_EQ(m.ts_column, "created_at");
    EXPECT_EQ(m.group_by, "order_no");
    EXPECT_EQ(m.decimal, ',');
    ASSERT_EQ(m.fields.size(), 7u);
    EXPECT_EQ(m.fields[1].field, "amount_cents");
    EXPECT_EQ(m.fields[1].type, "cents");
    EXPECT_EQ(m.fields[2].format, "%d.%m.%Y");
    EXPECT_EQ(m.fields[4].constant.value_or(""), "credit");
    EXPECT_TRUE(m.fields[4].column.empty());
    EXPECT_EQ(m.fields[6].field, "lines[].qty");
    EXPECT_TRUE(m.fields[0].required);
}

TEST(mapping, match_file_takes_the_first_mapping_whose_glob_fits) {
    temp_dir dir;
    auto ms = load_text(dir, R"(
mappings:
  - {name: a, match: "orders_*.csv", topic: sales.order.placed, source: s,
     fields: {customer: {column: c}}}
  - {name: b, match: "*.csv", topic: sales.order.cancelled, source: s,
     fields: {reason: {column: r}}}
  - {name: c, topic: sales.order.amended, source: s, fields: {reason: {column: r}}}
)");
    ASSERT_NE(match_file(ms, "orders_0611.csv"), nullptr);
    EXPECT_EQ(match_file(ms, "orders_0611.csv")->name, "a");
    EXPECT_EQ(match_file(ms, "cancel_0611.csv")->name, "b");
    EXPECT_EQ(match_file(ms, "orders_0611.txt"), nullptr);
}

TEST(mapping, strings_are_trimmed_and_ints_and_numbers_read_the_decimal_separator) {
    mapping dot = one(R"(    fields:
      s: {column: s}
      i: {column: i, type: int}
      n: {column: n, type: number}
)");
    auto ev = map_one(dot, {{{"s", "  PRF-4411 "}, {"i", "6,000"}, {"n", "1,200.5"}}});
    EXPECT_EQ(ev.data.find("s")->as_string(), "PRF-4411");
    std::int64_t i = 0;
    ASSERT_TRUE(ev.data.find("i")->to_int64(i));
    EXPECT_EQ(i, 6000);
    EXPECT_DOUBLE_EQ(ev.data.find("n")->to_double(), 1200.5);

    mapping comma = one(R"(    decimal: ","
    fields:
      i: {column: i, type: int}
      n: {column: n, type: number}
)");
    ev = map_one(comma, {{{"i", "-6.000"}, {"n", "1.200,5"}}});
    ASSERT_TRUE(ev.data.find("i")->to_int64(i));
    EXPECT_EQ(i, -6000);
    EXPECT_DOUBLE_EQ(ev.data.find("n")->to_double(), 1200.5);
    ev = map_one(comma, {{{"i", "12"}, {"n", "0,001"}}});
    EXPECT_DOUBLE_EQ(ev.data.find("n")->to_double(), 0.001);
}

TEST(mapping, a_number_with_the_wrong_separator_is_refused_not_misread) {
    mapping dot = one("    fields:\n      n: {column: n, type: number}\n");
    // "1,5" in a '.' file is not 15: groups of thousands have three digits.
    EXPECT_EQ(error_of(dot, {{{"n", "1,5"}}}),
              "column 'n': expected a number like 1,234.5, got '1,5'");
    EXPECT_EQ(error_of(dot, {{{"n", "abc"}}}),
              "column 'n': expected a number like 1,234.5, got 'abc'");
    mapping comma = one("    decimal: \",\"\n    fields:\n      n: {column: n, type: number}\n");
    EXPECT_EQ(error_of(comma, {{{"n", "1.5"}}}),
              "column 'n': expected a number like 1.234,5, got '1.5'");
    mapping ints = one("    fields:\n      i: {column: i, type: int}\n");
    EXPECT_EQ(error_of(ints, {{{"i", "1.5"}}}), "column 'i': expected an integer, got '1.5'");
}

TEST(mapping, cents_read_both_decimal_separators_and_the_trailing_minus) {
    mapping comma = one("    decimal: \",\"\n    fields:\n      c: {column: c, type: cents}\n");
    auto cents = [](const mapped_event& ev) {
        std::int64_t v = 0;
        EXPECT_TRUE(ev.data.find("c")->to_int64(v));
        return v;
    };
    EXPECT_EQ(cents(map_one(comma, {{{"c", "1.234,50"}}})), 123450);
    EXPECT_EQ(cents(map_one(comma, {{{"c", "1234,5"}}})), 123450);
    EXPECT_EQ(cents(map_one(comma, {{{"c", "18430"}}})), 1843000);
    EXPECT_EQ(cents(map_one(comma, {{{"c", "12,50-"}}})), -1250);
    EXPECT_EQ(cents(map_one(comma, {{{"c", "0,07"}}})), 7);

    mapping dot = one("    fields:\n      c: {column: c, type: cents}\n");
    EXPECT_EQ(cents(map_one(dot, {{{"c", "1234.5"}}})), 123450);
    EXPECT_EQ(cents(map_one(dot, {{{"c", "1,234.50"}}})), 123450);
    EXPECT_EQ(cents(map_one(dot, {{{"c", "-3.10"}}})), -310);
    EXPECT_EQ(cents(map_one(dot, {{{"c", "5.000"}}})), 500);  // zeros past the cents are fine

    EXPECT_EQ(error_of(dot, {{{"c", "5.001"}}}),
              "column 'c': an amount has at most 2 decimals, got '5.001'");
    EXPECT_EQ(error_of(dot, {{{"c", "EUR 5"}}}),
              "column 'c': expected an amount like 1,234.50, got 'EUR 5'");
}

TEST(mapping, bools_read_english_german_and_a_cross) {
    mapping m = one("    fields:\n      b: {column: b, type: bool}\n");
    for (const char* yes : {"1", "true", "YES", "ja", "x", "X", " Ja "})
        EXPECT_TRUE(map_one(m, {{{"b", yes}}}).data.find("b")->as_bool()) << yes;
    for (const char* no : {"0", "false", "no", "Nein", ""})
        EXPECT_FALSE(map_one(m, {{{"b", no}}}).data.find("b")->as_bool()) << no;
    EXPECT_EQ(error_of(m, {{{"b", "maybe"}}}),
              "column 'b': expected yes or no (1/0, true/false, yes/no, ja/nein, x or empty), "
              "got 'maybe'");
}

TEST(mapping, dates_are_converted_to_iso_from_their_format) {
    mapping m = one(R"(    fields:
      d: {column: d, type: date, format: "%d.%m.%Y"}
      us: {column: us, type: date, format: "%m/%d/%y"}
      iso: {column: iso, type: date}
      stamp: {column: stamp, type: date, format: "%Y-%m-%d %H:%M:%S"}
)");
    auto ev = map_one(m, {{{"d", "18.12.2026"},
                           {"us", "2/9/27"},
                           {"iso", "2026-06-11"},
                           {"stamp", "2026-06-11 08:30:00"}}});
    EXPECT_EQ(ev.data.find("d")->as_string(), "2026-12-18");
    EXPECT_EQ(ev.data.find("us")->as_string(), "2027-02-09");
    EXPECT_EQ(ev.data.find("iso")->as_string(), "2026-06-11");
    EXPECT_EQ(ev.data.find("stamp")->as_string(), "2026-06-11");

    mapping d = one("    fields:\n      d: {column: d, type: date, format: \"%d.%m.%Y\"}\n");
    EXPECT_EQ(error_of(d, {{{"d", "2026-12-18"}}}),
              "column 'd': expected a date in the format %d.%m.%Y, got '2026-12-18'");
    EXPECT_EQ(error_of(d, {{{"d", "31.02.2026"}}}), "column 'd': '31.02.2026' is not a valid date");
    EXPECT_EQ(map_one(d, {{{"d", "29.02.2028"}}}).data.find("d")->as_string(), "2028-02-29");
}

TEST(mapping, constants_are_typed_and_optional_empty_cells_are_left_out) {
    mapping m = one(R"(    fields:
      terms: {value: credit}
      new_die: {value: "no", type: bool}
      charge_cents: {value: "12.50", type: cents}
      notes: {column: notes, required: false}
      customer: {column: customer}
)");
    auto ev = map_one(m, {{{"notes", " "}, {"customer", "C-1001"}}});
    EXPECT_EQ(ev.data.find("terms")->as_string(), "credit");
    EXPECT_FALSE(ev.data.find("new_die")->as_bool());
    std::int64_t c = 0;
    ASSERT_TRUE(ev.data.find("charge_cents")->to_int64(c));
    EXPECT_EQ(c, 1250);
    EXPECT_EQ(ev.data.find("notes"), nullptr);
    // The data keeps the order of the mapping's fields.
    ASSERT_EQ(ev.data.as_map().size(), 4u);
    EXPECT_EQ(ev.data.as_map()[0].key, "terms");
    EXPECT_EQ(ev.data.as_map()[3].key, "customer");

    EXPECT_EQ(error_of(m, {{{"notes", ""}, {"customer", ""}}}), "column 'customer': is empty");
}

TEST(mapping, grouped_rows_make_one_event_with_one_line_per_row) {
    temp_dir dir;
    auto ms = load_text(dir, header_example);
    const mapping& m = ms[0];
    std::vector<row> rows = {
        {{"order_no", "SO-1001"},
         {"customer_no", "C-1001"},
         {"total", "18.430,00"},
         {"due", "18.12.2026"},
         {"new_die", "nein"},
         {"article", "PRF-4411"},
         {"qty", "1.200"},
         {"created_at", "2026-06-11T08:30:00Z"}},
        {{"order_no", "SO-1002"},
         {"customer_no", "C-1002"},
         {"total", "99,00"},
         {"due", "01.07.2026"},
         {"new_die", "ja"},
         {"article", "PRF-1"},
         {"qty", "5"},
         {"created_at", "2026-06-11T09:00:00Z"}},
        {{"order_no", "SO-1001"},
         {"customer_no", "C-1001"},
         {"total", "18.430,00"},
         {"due", "18.12.2026"},
         {"new_die", "nein"},
         {"article", "PRF-0930"},
         {"qty", "350,5"},
         {"created_at", "2026-06-11T08:30:00Z"}},
    };
    std::vector<row_error> errors;
    auto events = map_rows(m, rows, by_position, errors);
    EXPECT_TRUE(errors.empty());
    ASSERT_EQ(events.size(), 2u);
    const mapped_event& a = events[0];
    EXPECT_EQ(a.id, "sales-orders:SO-1001");
    EXPECT_EQ(a.order, "SO-1001");
    EXPECT_EQ(a.ts_ms, 1781166600000);  // 2026-06-11T08:30:00Z
    EXPECT_EQ(a.rows, (std::vector<std::size_t>{0, 2}));
    EXPECT_EQ(a.data.find("customer")->as_string(), "C-1001");
    EXPECT_EQ(a.data.find("promised_date")->as_string(), "2026-12-18");
    const value_list& lines = a.data.find("lines")->as_list();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].find("item")->as_string(), "PRF-4411");
    EXPECT_DOUBLE_EQ(lines[0].find("qty")->to_double(), 1200.0);
    EXPECT_EQ(lines[1].find("item")->as_string(), "PRF-0930");
    EXPECT_DOUBLE_EQ(lines[1].find("qty")->to_double(), 350.5);
    EXPECT_EQ(events[1].id, "sales-orders:SO-1002");
    EXPECT_TRUE(events[1].data.find("new_die")->as_bool());
    EXPECT_EQ(events[1].data.find("lines")->as_list().size(), 1u);
}

TEST(mapping, a_bad_row_is_left_out_with_its_row_number_and_the_good_rows_still_map) {
    mapping m = one(R"(    order: order_no
    id: order_no
    fields:
      qty: {column: qty, type: number}
)");
    std::vector<row> rows = {{{"order_no", "SO-1"}, {"qty", "1"}},
                             {{"order_no", "SO-2"}, {"qty", "abc"}},
                             {{"order_no", ""}, {"qty", "2"}},
                             {{"order_no", "SO-4"}, {"qty", "4"}}};
    std::vector<row_error> errors;
    auto events = map_rows(m, rows, by_position, errors);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].order, "SO-1");
    EXPECT_EQ(events[1].order, "SO-4");
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].row, 1u);
    EXPECT_EQ(errors[0].reason, "column 'qty': expected a number like 1,234.5, got 'abc'");
    EXPECT_EQ(errors[1].row, 2u);
    EXPECT_EQ(errors[1].reason, "column 'order_no': is empty (it is the order)");
}

TEST(mapping, a_row_with_several_bad_cells_names_each_of_them) {
    mapping m = one(R"(    fields:
      qty: {column: qty, type: number}
      due: {column: due, type: date}
      customer: {column: customer}
)");
    EXPECT_EQ(error_of(m, {{{"qty", "-"}, {"due", "soon"}, {"customer", "C-1"}}}),
              "column 'qty': expected a number like 1,234.5, got '-'; column 'due': expected a "
              "date in the format %Y-%m-%d, got 'soon'");
}

TEST(mapping, a_bad_row_drops_its_whole_group_and_says_so) {
    mapping m = one(R"(    order: order_no
    group_by: order_no
    fields:
      lines[].qty: {column: qty, type: number}
)");
    std::vector<row> rows = {{{"order_no", "SO-1"}, {"qty", "1"}},
                             {{"order_no", "SO-2"}, {"qty", "2"}},
                             {{"order_no", "SO-1"}, {"qty", "x"}}};
    std::vector<row_error> errors;
    auto events = map_rows(m, rows, by_position, errors);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].order, "SO-2");
    EXPECT_EQ(events[0].id, "file.csv:3");  // no id columns: the caller's id of its first row
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].row, 0u);
    EXPECT_EQ(errors[0].reason, "left out with its group order_no 'SO-1', which has a bad row");
    EXPECT_EQ(errors[1].row, 2u);
    EXPECT_EQ(errors[1].reason,
              "column 'qty': expected a number like 1,234.5, got 'x' (the whole group order_no "
              "'SO-1' is left out)");
}

TEST(mapping, ids_join_the_id_columns_after_the_mapping_name_and_stay_within_64_bytes) {
    mapping m = one(R"(    id: [order_no, pos]
    fields:
      c: {column: c}
)");
    EXPECT_EQ(map_one(m, {{{"order_no", "SO-1"}, {"pos", "10"}, {"c", "x"}}}).id, "test:SO-1:10");

    std::string long_po(60, 'P');
    auto a = map_one(m, {{{"order_no", long_po}, {"pos", "10"}, {"c", "x"}}});
    auto b = map_one(m, {{{"order_no", long_po}, {"pos", "11"}, {"c", "x"}}});
    EXPECT_LE(a.id.size(), 64u);
    EXPECT_NE(a.id, b.id);
    EXPECT_EQ(a.id, map_one(m, {{{"order_no", long_po}, {"pos", "10"}, {"c", "y"}}}).id);
}

TEST(mapping, event_time_reads_iso_with_zones_and_epoch_seconds) {
    mapping iso = one("    ts: t\n    fields:\n      c: {value: x}\n");
    EXPECT_EQ(map_one(iso, {{{"t", "2026-06-11T10:30:00+02:00"}}}).ts_ms, 1781166600000);
    EXPECT_EQ(map_one(iso, {{{"t", "2026-06-11 08:30:00.250Z"}}}).ts_ms, 1781166600250);
    EXPECT_EQ(error_of(iso, {{{"t", "11.06.2026"}}}),
              "column 't': expected a time like 2026-06-11T08:30:00 or 2026-06-11, got "
              "'11.06.2026'");
    mapping epoch = one("    ts: t\n    ts_format: epoch_s\n    fields:\n      c: {value: x}\n");
    EXPECT_EQ(map_one(epoch, {{{"t", "1781166600"}}}).ts_ms, 1781166600000);
    mapping custom =
        one("    ts: t\n    ts_format: \"%d.%m.%Y %H:%M %z\"\n    fields:\n      c: {value: x}\n");
    EXPECT_EQ(map_one(custom, {{{"t", "11.06.2026 10:30 +0200"}}}).ts_ms, 1781166600000);
}

// batond refuses ids and orders holding control characters: the row is an error here instead
// of an event batond would nack.
TEST(mapping, a_control_character_in_the_order_or_an_id_part_is_a_row_error) {
    mapping m = one(R"(    order: order_no
    id: [order_no, line]
    fields:
      qty: {column: qty, type: number}
)");
    EXPECT_EQ(error_of(m, {{{"order_no",
                             "SO-\x02"
                             "001"},
                            {"line", "1"},
                            {"qty", "1"}}}),
              "column 'order_no': holds control character U+0002 at byte 3 (it is the order)");
    EXPECT_EQ(error_of(m, {{{"order_no", "SO-1"}, {"line", "1\x1b[2J"}, {"qty", "1"}}}),
              "column 'line': holds control character U+001B at byte 1 (it is part of the event "
              "id)");
    EXPECT_EQ(map_one(m, {{{"order_no", "订单-1"}, {"line", "1"}, {"qty", "1"}}}).order, "订单-1");
}

TEST(mapping, a_missing_column_is_a_row_error_naming_it) {
    mapping m = one("    fields:\n      c: {column: customer}\n");
    EXPECT_EQ(error_of(m, {{{"other", "x"}}}), "column 'customer': is missing");
}

TEST(mapping, yaml_errors_name_the_key_path_and_the_reason) {
    const std::string head =
        "mappings:\n  - name: m\n    topic: sales.order.placed\n"
        "    source: s\n";
    auto e = load_error(head + "    fields:\n      qty: {colum: qty}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.qty.colum");
    EXPECT_NE(e.reason.find("unknown key"), std::string::npos) << e.reason;

    e = load_error(head + "    fields:\n      qty: {column: qty, type: float}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.qty.type");
    EXPECT_NE(e.reason.find("unknown type 'float'"), std::string::npos) << e.reason;

    e = load_error(head + "    decimal: \";\"\n    fields:\n      a: {column: a}\n");
    EXPECT_EQ(e.key, "mappings[0].decimal");

    e = load_error(head + "    fields:\n      d: {column: d, type: date, format: \"%d.%m\"}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.d.format");
    EXPECT_NE(e.reason.find("year, a month and a day"), std::string::npos) << e.reason;

    e = load_error(head + "    fields:\n      d: {column: d, type: date, format: \"%d.%b.%Y\"}\n");
    EXPECT_NE(e.reason.find("unsupported directive '%b'"), std::string::npos) << e.reason;

    e = load_error(head + "    fields:\n      q: {column: q, format: \"%Y\"}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.q.format");
    EXPECT_NE(e.reason.find("only for type date"), std::string::npos);

    e = load_error(head + "    fields:\n      b: {value: maybe, type: bool}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.b.value");

    e = load_error(head + "    fields:\n      b: {type: int}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.b");
    EXPECT_NE(e.reason.find("needs a column"), std::string::npos);

    e = load_error(head +
                   "    fields:\n      lines: {column: l}\n      lines[].qty: {column: q}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.lines[].qty");

    e = load_error(head + "    fields:\n      lines[]qty: {column: q}\n");
    EXPECT_EQ(e.key, "mappings[0].fields.lines[]qty");

    e = load_error(head + "    fields: {}\n");
    EXPECT_EQ(e.key, "mappings[0].fields");

    e = load_error(
        "mappings:\n  - name: m\n    topic: sales.placed\n    source: s\n"
        "    fields:\n      a: {column: a}\n");
    EXPECT_EQ(e.key, "mappings[0].topic");

    e = load_error("mappings:\n  - name: m\n    source: s\n    fields:\n      a: {column: a}\n");
    EXPECT_EQ(e.key, "mappings[0].topic");
    EXPECT_EQ(e.reason, "required key is missing (in the mapping on line 2)");

    e = load_error(head + "    ts_format: epoch_ms\n    fields:\n      a: {column: a}\n");
    EXPECT_EQ(e.key, "mappings[0].ts_format");

    e = load_error(head + "    fields:\n      a: {column: a}\n" + head.substr(10) +
                   "    fields:\n      a: {column: a}\n");
    EXPECT_EQ(e.key, "mappings[1].name");
    EXPECT_NE(e.reason.find("used twice"), std::string::npos);

    e = load_error("mapping: []\n");
    EXPECT_EQ(e.key, "mapping");

    e = load_error("mappings: []\n");
    EXPECT_EQ(e.key, "mappings");

    temp_dir dir;
    try {
        load_mappings(dir / "absent.yaml");
        ADD_FAILURE() << "no error for a missing file";
    } catch (const config_error& err) {
        EXPECT_EQ(err.reason, "cannot open file");
    }
}

}  // namespace
}  // namespace baton::adapters
