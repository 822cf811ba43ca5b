// Tests of daemon/schema: every field type and each way a value breaks it, the real schema files
// of schemas/ against PROTOCOL.md's inbound topics, and the config errors of bad schema files.
#include "schema.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "config_error.h"

namespace baton {
namespace {

// A scratch folder of schema files, removed at the end of the test.
class temp_dir {
public:
    temp_dir() {
        char tmpl[] = "/tmp/baton_schema_test.XXXXXX";
        const char* made = mkdtemp(tmpl);
        EXPECT_NE(made, nullptr);
        path_ = made ? made : "";
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::string& path() const { return path_; }
    std::string write(const std::string& name, const std::string& text) const {
        std::string file = path_ + "/" + name;
        std::ofstream(file) << text;
        return file;
    }

private:
    std::string path_;
};

config_error load_error(const std::string& folder) {
    try {
        schema_set::load(folder);
    } catch (const config_error& e) {
        return e;
    }
    ADD_FAILURE() << "loading " << folder << " did not fail";
    return config_error("", "", "");
}

// One topic with a field of every type, to check each rule alone.
constexpr const char* every_type_yaml = R"(# every type, for the tests
department: sales
topics:
  sales.test.checked:
    order: true
    fields:
      code: {type: string, required: true, min_length: 2, max_length: 5}
      terms: {type: string, enum: [credit, prepay]}
      count: {type: int, min: -10, max: 10}
      big: {type: int}
      weight: {type: number, min: 0.5, max: 2.5}
      flag: {type: bool}
      day: {type: date}
      extra: {type: map, max_items: 2}
      tags:
        type: list
        min_items: 1
        max_items: 3
        items: {type: string, max_length: 4}
      rows:
        type: list
        items:
          type: record
          fields:
            qty: {type: number, required: true, min: 0.001}
            unit: {type: string, enum: [kg, pcs, m]}
)";

constexpr const char* topic = "sales.test.checked";

// Compiled once: the set needs its files only while loading.
const schema_set& every_type() {
    static const schema_set set = [] {
        temp_dir dir;
        dir.write("sales.yaml", every_type_yaml);
        return schema_set::load(dir.path());
    }();
    return set;
}

// `data` with the required field and `key` set to `v`.
std::string check(const char* key, value v) {
    value data = value_map{{"code", "ab"}};
    data.set(key, std::move(v));
    return every_type().validate(topic, data);
}

value row(value qty) {
    return value_map{{"qty", std::move(qty)}, {"unit", "kg"}};
}

// ---------------------------------------------------------------------------------------------
// Types and their errors

TEST(schema, valid_data_with_every_type_passes) {
    value data = value_map{
        {"code", "SO1"},
        {"terms", "credit"},
        {"count", -10},
        {"big", std::numeric_limits<std::uint64_t>::max()},
        {"weight", 2},
        {"flag", false},
        {"day", "2024-02-29"},
        {"extra", value_map{{"a", 1}, {"b", value_list{}}}},
        {"tags", value_list{"x", "yz"}},
        {"rows", value_list{row(0.5), value_map{{"qty", 3u}}}},
    };
    EXPECT_EQ(every_type().validate(topic, data), "");
}

TEST(schema, data_that_is_not_a_map_is_refused) {
    EXPECT_EQ(every_type().validate(topic, value_list{}), "data: expected map, got array");
    EXPECT_EQ(every_type().validate(topic, value()), "data: expected map, got nil");
}

TEST(schema, missing_required_field_is_named) {
    EXPECT_EQ(every_type().validate(topic, value_map{{"flag", true}}),
              "data.code: required field is missing");
}

TEST(schema, unknown_field_is_refused) {
    EXPECT_EQ(check("colour", "red"), "data.colour: unknown field");
}

TEST(schema, duplicate_field_is_refused) {
    value data = value_map{{"code", "ab"}, {"code", "cd"}};
    EXPECT_EQ(every_type().validate(topic, data), "data.code: duplicate field");
}

TEST(schema, string_of_wrong_type_is_refused) {
    EXPECT_EQ(check("code", 12), "data.code: expected string, got int");
}

TEST(schema, string_length_bounds_are_in_bytes) {
    EXPECT_EQ(check("code", "a"), "data.code: length 1 is below the minimum 2");
    EXPECT_EQ(check("code", "abcdef"), "data.code: length 6 is above the maximum 5");
    EXPECT_EQ(check("code", "\xc3\xa4\xc3\xb6"), "");     // 2 characters, 4 bytes
    EXPECT_EQ(check("code", "\xc3\xa4\xc3\xb6\xc3\xbc"),  // 3 characters, 6 bytes
              "data.code: length 6 is above the maximum 5");
}

TEST(schema, string_outside_enum_is_refused) {
    EXPECT_EQ(check("terms", "prepay"), "");
    EXPECT_EQ(check("terms", "cash"), "data.terms: 'cash' is not one of credit, prepay");
    EXPECT_EQ(check("terms", "Credit"), "data.terms: 'Credit' is not one of credit, prepay");
}

TEST(schema, untrusted_text_in_a_reason_stays_one_short_line) {
    std::string reason = check("terms", "line1\nline2" + std::string(200, 'x'));
    EXPECT_EQ(reason.find('\n'), std::string::npos) << reason;
    EXPECT_LT(reason.size(), 120u) << reason;
    EXPECT_EQ(reason.rfind("data.terms: 'line1?line2xxx", 0), 0u) << reason;

    std::string key(300, 'k');
    std::string unknown = check(key.c_str(), 1);
    EXPECT_LT(unknown.size(), 100u) << unknown;
}

TEST(schema, int_accepts_only_msgpack_integers) {
    EXPECT_EQ(check("count", 3), "");
    EXPECT_EQ(check("count", 3u), "");
    EXPECT_EQ(check("count", 3.0), "data.count: expected int, got float");
    EXPECT_EQ(check("count", "3"), "data.count: expected int, got string");
    EXPECT_EQ(check("count", true), "data.count: expected int, got bool");
}

TEST(schema, int_bounds_are_inclusive) {
    EXPECT_EQ(check("count", -10), "");
    EXPECT_EQ(check("count", 10), "");
    EXPECT_EQ(check("count", -11), "data.count: -11 is below the minimum -10");
    EXPECT_EQ(check("count", 11), "data.count: 11 is above the maximum 10");
}

TEST(schema, uint_beyond_int64_is_above_any_maximum) {
    EXPECT_EQ(check("count", std::numeric_limits<std::uint64_t>::max()),
              "data.count: 18446744073709551615 is above the maximum 10");
    EXPECT_EQ(check("big", std::numeric_limits<std::uint64_t>::max()), "");
    EXPECT_EQ(check("big", std::numeric_limits<std::int64_t>::min()), "");
}

TEST(schema, number_accepts_int_and_float) {
    EXPECT_EQ(check("weight", 1), "");
    EXPECT_EQ(check("weight", 2u), "");
    EXPECT_EQ(check("weight", 0.5), "");
    EXPECT_EQ(check("weight", "1.5"), "data.weight: expected number, got string");
    EXPECT_EQ(check("weight", value()), "data.weight: expected number, got nil");
}

TEST(schema, number_bounds_are_checked) {
    EXPECT_EQ(check("weight", 0.25), "data.weight: 0.25 is below the minimum 0.5");
    EXPECT_EQ(check("weight", 3), "data.weight: 3 is above the maximum 2.5");
    EXPECT_EQ(check("weight", 2.75), "data.weight: 2.75 is above the maximum 2.5");
}

TEST(schema, number_that_is_not_finite_is_refused) {
    EXPECT_EQ(check("weight", std::numeric_limits<double>::quiet_NaN()),
              "data.weight: nan is not a finite number");
    EXPECT_EQ(check("weight", std::numeric_limits<double>::infinity()),
              "data.weight: inf is not a finite number");
}

TEST(schema, bool_of_wrong_type_is_refused) {
    EXPECT_EQ(check("flag", true), "");
    EXPECT_EQ(check("flag", 1), "data.flag: expected bool, got int");
    EXPECT_EQ(check("flag", "true"), "data.flag: expected bool, got string");
}

TEST(schema, date_must_be_a_real_calendar_day) {
    EXPECT_EQ(check("day", "2026-01-31"), "");
    EXPECT_EQ(check("day", "2024-02-29"), "");  // leap year
    EXPECT_EQ(check("day", "2000-02-29"), "");  // divisible by 400
    EXPECT_EQ(check("day", "2026-02-30"), "data.day: expected a date YYYY-MM-DD, got '2026-02-30'");
    EXPECT_EQ(check("day", "2023-02-29"), "data.day: expected a date YYYY-MM-DD, got '2023-02-29'");
    EXPECT_EQ(check("day", "2100-02-29"), "data.day: expected a date YYYY-MM-DD, got '2100-02-29'");
    EXPECT_EQ(check("day", "2026-04-31"), "data.day: expected a date YYYY-MM-DD, got '2026-04-31'");
    EXPECT_EQ(check("day", "2026-13-01"), "data.day: expected a date YYYY-MM-DD, got '2026-13-01'");
    EXPECT_EQ(check("day", "2026-00-10"), "data.day: expected a date YYYY-MM-DD, got '2026-00-10'");
    EXPECT_EQ(check("day", "2026-01-00"), "data.day: expected a date YYYY-MM-DD, got '2026-01-00'");
}

TEST(schema, date_in_another_format_is_refused) {
    for (const char* bad : {"2026-1-05", "05.01.2026", "2026/01/05", "2026-01-05T10:00:00Z",
                            "20260105", " 2026-01-05", "2026-01-0a", ""}) {
        EXPECT_EQ(check("day", bad),
                  std::string("data.day: expected a date YYYY-MM-DD, got '") + bad + "'");
    }
    EXPECT_EQ(check("day", 20260105), "data.day: expected date, got int");
}

TEST(schema, map_is_free_form_up_to_max_items) {
    EXPECT_EQ(check("extra", value_map{}), "");
    EXPECT_EQ(check("extra", value_map{{"a", 1}, {"b", 2}, {"c", 3}}),
              "data.extra: 3 items, at most 2 allowed");
    EXPECT_EQ(check("extra", value_list{}), "data.extra: expected map, got array");
}

TEST(schema, list_of_wrong_type_is_refused) {
    EXPECT_EQ(check("tags", value_map{}), "data.tags: expected list, got map");
    EXPECT_EQ(check("tags", "a,b"), "data.tags: expected list, got string");
}

TEST(schema, list_bounds_are_checked) {
    EXPECT_EQ(check("tags", value_list{}), "data.tags: 0 items, at least 1 required");
    EXPECT_EQ(check("tags", value_list{"a", "b", "c"}), "");
    EXPECT_EQ(check("tags", value_list{"a", "b", "c", "d"}),
              "data.tags: 4 items, at most 3 allowed");
}

TEST(schema, list_item_errors_carry_the_index) {
    EXPECT_EQ(check("tags", value_list{"a", 2}), "data.tags[1]: expected string, got int");
    EXPECT_EQ(check("tags", value_list{"a", "b", "toolong"}),
              "data.tags[2]: length 7 is above the maximum 4");
}

TEST(schema, nested_record_errors_carry_the_full_path) {
    EXPECT_EQ(check("rows", value_list{row(1), row(2), row("3")}),
              "data.rows[2].qty: expected number, got string");
    EXPECT_EQ(check("rows", value_list{row(1), row(0)}),
              "data.rows[1].qty: 0 is below the minimum 0.001");
    EXPECT_EQ(check("rows", value_list{value_map{{"unit", "kg"}}}),
              "data.rows[0].qty: required field is missing");
    EXPECT_EQ(check("rows", value_list{value_map{{"qty", 1}, {"colour", "red"}}}),
              "data.rows[0].colour: unknown field");
    EXPECT_EQ(check("rows", value_list{value_map{{"qty", 1}, {"unit", "t"}}}),
              "data.rows[0].unit: 't' is not one of kg, pcs, m");
    EXPECT_EQ(check("rows", value_list{"row"}), "data.rows[0]: expected map, got string");
}

TEST(schema, set_is_movable) {
    temp_dir dir;
    dir.write("sales.yaml", every_type_yaml);
    schema_set moved = schema_set::load(dir.path());
    ASSERT_NE(moved.find(topic), nullptr);
    EXPECT_EQ(moved.validate(topic, value_map{}), "data.code: required field is missing");
    schema_set assigned;
    EXPECT_EQ(assigned.find(topic), nullptr);
    assigned = std::move(moved);
    EXPECT_NE(assigned.find(topic), nullptr);
}

// ---------------------------------------------------------------------------------------------
// The real schema files

schema_set real_schemas() {
    return schema_set::load(std::string(BATON_SOURCE_DIR) + "/schemas");
}

TEST(schema, all_real_schema_files_load) {
    schema_set set;
    ASSERT_NO_THROW(set = real_schemas());
    EXPECT_GE(set.topics().size(), 21u);
}

TEST(schema, every_inbound_topic_of_the_protocol_is_present) {
    schema_set set = real_schemas();
    struct expected {
        const char* topic;
        const char* department;
        bool order;
    };
    const expected inbound[] = {
        {"sales.order.placed", "sales", true},
        {"sales.order.amended", "sales", true},
        {"sales.order.cancelled", "sales", true},
        {"sales.customer.updated", "sales", false},
        {"sales.complaint.filed", "sales", true},
        {"sales.return.requested", "sales", true},
        {"sales.case.closed", "sales", true},
        {"finance.credit.approved", "finance", true},
        {"finance.credit.rejected", "finance", true},
        {"finance.payment.received", "finance", true},
        {"finance.receivable.updated", "finance", false},
        {"finance.invoice.issued", "finance", true},
        {"production.die.ready", "production", true},
        {"production.order.scheduled", "production", true},
        {"production.order.started", "production", true},
        {"production.qc.failed", "production", true},
        {"production.order.completed", "production", true},
        {"production.case.resolved", "production", true},
        {"logistics.shipment.dispatched", "logistics", true},
        {"logistics.shipment.delivered", "logistics", true},
        {"logistics.delivery.failed", "logistics", true},
    };
    for (const expected& e : inbound) {
        const schema_set::topic_info* info = set.find(e.topic);
        ASSERT_NE(info, nullptr) << e.topic;
        EXPECT_EQ(info->department, e.department) << e.topic;
        EXPECT_EQ(info->order_required, e.order) << e.topic;
    }
}

TEST(schema, topics_are_sorted_and_unknown_ones_not_found) {
    schema_set set = real_schemas();
    std::vector<std::string> names = set.topics();
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_EQ(set.find("sales.order.shipped"), nullptr);
    EXPECT_EQ(set.find("sales.order"), nullptr);
    EXPECT_EQ(set.find(""), nullptr);
}

value extrusion_line(const char* item, const char* die, double qty) {
    return value_map{{"item", item},        {"die", die},           {"alloy", "6063"},
                     {"temper", "T66"},     {"finish", "anodised"}, {"colour", "C-0 natural"},
                     {"length_mm", 6000},   {"qty", qty},           {"unit", "kg"},
                     {"weight_kg_m", 1.245}};
}

value order_placed() {
    return value_map{
        {"customer", "C-10442"},
        {"customer_po", "PO-2026-0193"},
        {"amount_cents", 1843250u},
        {"currency", "EUR"},
        {"promised_date", "2026-03-16"},
        {"new_die", true},
        {"terms", "credit"},
        {"incoterm", "DAP"},
        {"lines", value_list{extrusion_line("WIN-70-FRAME", "D-4471", 1250.5),
                             extrusion_line("WIN-70-SASH", "D-4472", 980),
                             extrusion_line("BEAD-12", "D-0318", 310.0)}},
    };
}

TEST(schema, realistic_order_placed_passes) {
    schema_set set = real_schemas();
    EXPECT_EQ(set.validate("sales.order.placed", order_placed()), "");
}

TEST(schema, order_placed_line_errors_name_the_line) {
    schema_set set = real_schemas();
    value data = order_placed();
    data.as_map()[8].val.as_list()[2].set("qty", "310");
    EXPECT_EQ(set.validate("sales.order.placed", data),
              "data.lines[2].qty: expected number, got string");

    data = order_placed();
    data.as_map()[8].val.as_list()[0].set("alloy", 6063);
    EXPECT_EQ(set.validate("sales.order.placed", data),
              "data.lines[0].alloy: expected string, got int");

    data = order_placed();
    data.set("lines", value_list{});
    EXPECT_EQ(set.validate("sales.order.placed", data), "data.lines: 0 items, at least 1 required");

    data = order_placed();
    data.set("amount_cents", -5);
    EXPECT_EQ(set.validate("sales.order.placed", data),
              "data.amount_cents: -5 is below the minimum 0");

    data = order_placed();
    data.set("customer", std::string(70, 'c'));
    EXPECT_EQ(set.validate("sales.order.placed", data),
              "data.customer: length 70 is above the maximum 64");

    data = order_placed();
    data.set("promised_date", "2026-13-01");
    EXPECT_EQ(set.validate("sales.order.placed", data),
              "data.promised_date: expected a date YYYY-MM-DD, got '2026-13-01'");
}

TEST(schema, amended_order_needs_only_a_reason) {
    schema_set set = real_schemas();
    EXPECT_EQ(set.validate("sales.order.amended", value_map{}),
              "data.reason: required field is missing");
    value data = value_map{{"reason", "customer moved the date"}, {"promised_date", "2026-04-02"}};
    EXPECT_EQ(set.validate("sales.order.amended", data), "");
    data.set("terms", "cash");
    EXPECT_EQ(set.validate("sales.order.amended", data),
              "data.terms: 'cash' is not one of credit, prepay");
}

TEST(schema, amended_order_accepts_every_field_of_placed) {
    schema_set set = real_schemas();
    value data = order_placed();
    data.set("reason", "new price list");
    EXPECT_EQ(set.validate("sales.order.amended", data), "");
}

// ---------------------------------------------------------------------------------------------
// Load errors

TEST(schema, unknown_key_is_a_config_error_with_its_path) {
    temp_dir dir;
    std::string file = dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    order: true
    fields:
      lines:
        type: list
        items:
          type: record
          fields:
            qty: {type: number, minimum: 0}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.file, file);
    EXPECT_EQ(e.key, "topics.sales.order.placed.fields.lines.items.fields.qty.minimum");
    EXPECT_NE(e.reason.find("unknown key"), std::string::npos) << e.reason;
}

TEST(schema, key_of_another_type_is_an_unknown_key) {
    temp_dir dir;
    dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    order: true
    fields:
      customer: {type: string, min: 1}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.key, "topics.sales.order.placed.fields.customer.min");
    EXPECT_NE(e.reason.find("unknown key"), std::string::npos) << e.reason;
}

TEST(schema, bad_type_name_is_a_config_error) {
    temp_dir dir;
    std::string file = dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    order: true
    fields:
      lines:
        type: list
        items:
          type: record
          fields:
            qty: {type: float}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.file, file);
    EXPECT_EQ(e.key, "topics.sales.order.placed.fields.lines.items.fields.qty.type");
    EXPECT_NE(e.reason.find("unknown type 'float'"), std::string::npos) << e.reason;
}

TEST(schema, topic_outside_its_department_is_a_config_error) {
    temp_dir dir;
    std::string file = dir.write("sales.yaml", R"(department: sales
topics:
  finance.credit.approved:
    order: true
    fields: {}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.file, file);
    EXPECT_EQ(e.key, "topics.finance.credit.approved");
    EXPECT_NE(e.reason.find("outside department 'sales'"), std::string::npos) << e.reason;
}

TEST(schema, topic_without_three_parts_is_a_config_error) {
    temp_dir dir;
    dir.write("sales.yaml", R"(department: sales
topics:
  sales.order:
    order: true
    fields: {}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.key, "topics.sales.order");
    EXPECT_NE(e.reason.find("three parts"), std::string::npos) << e.reason;
}

TEST(schema, duplicate_topic_across_files_is_a_config_error) {
    temp_dir dir;
    const char* text = R"(department: sales
topics:
  sales.order.cancelled:
    order: true
    fields:
      reason: {type: string, required: true}
)";
    std::string first = dir.write("a.yaml", text);
    std::string second = dir.write("b.yaml", text);
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.file, second);  // files load in name order
    EXPECT_EQ(e.key, "topics.sales.order.cancelled");
    EXPECT_NE(e.reason.find("duplicate topic"), std::string::npos) << e.reason;
    EXPECT_NE(e.reason.find(first), std::string::npos) << e.reason;
}

TEST(schema, duplicate_field_key_in_a_file_is_a_config_error) {
    temp_dir dir;
    dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.cancelled:
    order: true
    fields:
      reason: {type: string, required: true}
      reason: {type: int}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.key, "topics.sales.order.cancelled.fields.reason");
    EXPECT_NE(e.reason.find("duplicate"), std::string::npos) << e.reason;
}

TEST(schema, yaml_syntax_error_is_a_config_error_with_the_line) {
    temp_dir dir;
    std::string file = dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    order: true
    fields:
      customer: {type: string, required: true
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.file, file);
    EXPECT_EQ(e.key, "");
    EXPECT_NE(e.reason.find("line "), std::string::npos) << e.reason;
}

TEST(schema, min_above_max_is_a_config_error) {
    temp_dir dir;
    dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    order: true
    fields:
      customer: {type: string, min_length: 10, max_length: 5}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.key, "topics.sales.order.placed.fields.customer.min_length");
    EXPECT_EQ(e.reason.rfind("min_length 10 is above max_length 5", 0), 0u) << e.reason;

    dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    order: true
    fields:
      amount_cents: {type: int, min: 10, max: 5}
)");
    e = load_error(dir.path());
    EXPECT_EQ(e.key, "topics.sales.order.placed.fields.amount_cents.min");
    EXPECT_EQ(e.reason.rfind("min 10 is above max 5", 0), 0u) << e.reason;
}

TEST(schema, unknown_department_is_a_config_error) {
    temp_dir dir;
    std::string file = dir.write("hr.yaml", R"(department: hr
topics: {}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.file, file);
    EXPECT_EQ(e.key, "department");
    EXPECT_NE(e.reason.find("'hr' is not one of"), std::string::npos) << e.reason;
}

TEST(schema, list_without_items_and_missing_order_are_config_errors) {
    temp_dir dir;
    dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    order: true
    fields:
      lines: {type: list}
)");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.key, "topics.sales.order.placed.fields.lines.items");
    EXPECT_EQ(e.reason, "required key is missing");

    dir.write("sales.yaml", R"(department: sales
topics:
  sales.order.placed:
    fields: {}
)");
    e = load_error(dir.path());
    EXPECT_EQ(e.key, "topics.sales.order.placed.order");
    EXPECT_EQ(e.reason, "required key is missing");
}

TEST(schema, empty_or_missing_folder_is_a_config_error) {
    temp_dir dir;
    dir.write("README.txt", "not a schema");
    config_error e = load_error(dir.path());
    EXPECT_EQ(e.file, dir.path());
    EXPECT_NE(e.reason.find("no *.yaml"), std::string::npos) << e.reason;

    e = load_error(dir.path() + "/absent");
    EXPECT_EQ(e.file, dir.path() + "/absent");
    EXPECT_NE(e.reason.find("cannot read"), std::string::npos) << e.reason;
}

}  // namespace
}  // namespace baton
