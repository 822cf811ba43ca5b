// Tests of daemon/ingest: admission of inbound events against the repo's real schemas, in
// PROTOCOL.md's order (size, envelope, topic frame, reserved names, known topic, order key,
// schema), the refusal codes, and that the same bad input always gets the same reason.
#include "ingest.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "codec.h"
#include "schema.h"
#include "utf8.h"

namespace baton {
namespace {

const schema_set& real_schemas() {
    static const schema_set schemas = schema_set::load(std::string(BATON_SOURCE_DIR) + "/schemas");
    return schemas;
}

ingest_rules real_rules() {
    ingest_rules rules;
    rules.schemas = &real_schemas();
    return rules;
}

value order_line() {
    value line;
    line.set("item", value("P-6060-40x20"));
    line.set("die", value("D-1187"));
    line.set("alloy", value("6060"));
    line.set("temper", value("T66"));
    line.set("finish", value("anodised"));
    line.set("length_mm", value(6000ULL));
    line.set("qty", value(1200.5));
    line.set("unit", value("kg"));
    return line;
}

value placed_data() {
    value data;
    data.set("customer", value("C-1001"));
    data.set("lines", value(value_list{order_line()}));
    data.set("amount_cents", value(4850000ULL));
    data.set("promised_date", value("2025-03-14"));
    data.set("new_die", value(false));
    data.set("terms", value("credit"));
    return data;
}

// An envelope as a value, so a test can change one key.
value event(const std::string& topic, value data, const char* order = "SO-100",
            const char* source = "sales-erp") {
    value e;
    e.set("v", value(1ULL));
    e.set("id", value("evt-100"));
    e.set("source", value(source));
    e.set("topic", value(topic));
    e.set("ts", value(1735689600000LL));
    if (order) e.set("order", value(order));
    e.set("data", std::move(data));
    return e;
}

value placed_event() {
    return event("sales.order.placed", placed_data());
}

struct admission {
    refusal code;
    std::string reason;
    envelope env;
};

admission admit(const value& e, const ingest_rules& rules = real_rules()) {
    admission a;
    const value* topic = e.find("topic");
    std::string frame = topic && topic->is_string() ? topic->as_string() : "";
    a.code = admit_event(rules, frame, encode_msgpack(e), a.env, a.reason);
    return a;
}

TEST(ingest, valid_order_placed_is_admitted) {
    auto a = admit(placed_event());
    EXPECT_EQ(a.code, refusal::none) << a.reason;
    EXPECT_EQ(a.reason, "");
    EXPECT_EQ(a.env.id, "evt-100");
    EXPECT_EQ(a.env.source, "sales-erp");
    EXPECT_EQ(a.env.topic, "sales.order.placed");
    EXPECT_EQ(a.env.order, std::optional<std::string>("SO-100"));
    ASSERT_NE(a.env.data.find("lines"), nullptr);
    EXPECT_EQ(a.env.data.find("lines")->as_list().size(), 1u);
}

TEST(ingest, valid_order_free_topic_is_admitted_without_order) {
    value data;
    data.set("customer", value("C-1001"));
    data.set("balance_cents", value(-2500LL));
    auto a = admit(event("finance.receivable.updated", data, nullptr, "finance-erp"));
    EXPECT_EQ(a.code, refusal::none) << a.reason;
}

TEST(ingest, oversize_envelope_is_a_limit_before_decoding) {
    ingest_rules rules = real_rules();
    const std::string bytes = encode_msgpack(placed_event());
    rules.max_envelope_bytes = bytes.size() - 1;
    envelope out;
    std::string reason;
    EXPECT_EQ(admit_event(rules, "sales.order.placed", bytes, out, reason), refusal::limit);
    EXPECT_EQ(reason, "limit: envelope is " + std::to_string(bytes.size()) +
                          " bytes, the maximum is " + std::to_string(bytes.size() - 1));
    EXPECT_EQ(out.id, "");  // not even decoded
}

TEST(ingest, envelope_of_exactly_the_maximum_size_is_admitted) {
    ingest_rules rules = real_rules();
    const std::string bytes = encode_msgpack(placed_event());
    rules.max_envelope_bytes = bytes.size();
    envelope out;
    std::string reason;
    EXPECT_EQ(admit_event(rules, "sales.order.placed", bytes, out, reason), refusal::none)
        << reason;
}

TEST(ingest, decode_limits_of_the_rules_apply) {
    ingest_rules rules = real_rules();
    rules.limits.max_depth = 2;
    auto a = admit(placed_event(), rules);
    EXPECT_EQ(a.code, refusal::limit);
    EXPECT_EQ(a.reason, "limit: nesting deeper than 2 levels");
}

TEST(ingest, garbage_bytes_are_a_decode_refusal_with_empty_id) {
    envelope out;
    std::string reason;
    EXPECT_EQ(admit_event(real_rules(), "sales.order.placed", "\xc1", out, reason),
              refusal::decode);
    EXPECT_EQ(reason.rfind("decode: ", 0), 0u) << reason;
    EXPECT_EQ(out.id, "");
}

TEST(ingest, envelope_errors_keep_their_code_and_the_id) {
    auto a = admit(event("sales.order.placed", value(value_list{})));
    EXPECT_EQ(a.code, refusal::envelope);
    EXPECT_EQ(a.reason, "envelope: data: expected map, got array");
    EXPECT_EQ(a.env.id, "evt-100");
}

TEST(ingest, topic_frame_mismatch_is_a_topic_refusal) {
    envelope out;
    std::string reason;
    EXPECT_EQ(admit_event(real_rules(), "sales.order.cancelled", encode_msgpack(placed_event()),
                          out, reason),
              refusal::topic);
    EXPECT_EQ(reason.rfind("topic: frame says 'sales.order.cancelled'", 0), 0u) << reason;
}

TEST(ingest, relay_topic_to_a_department_is_forbidden) {
    value data;
    data.set("stage", value("credit_review"));
    auto a = admit(event("finance.credit_check", data));
    EXPECT_EQ(a.code, refusal::forbidden);
    EXPECT_EQ(a.reason, "forbidden: topic 'finance.credit_check' is published by batond only");
    EXPECT_EQ(a.env.id, "evt-100");
}

TEST(ingest, task_topic_is_forbidden) {
    auto a = admit(event("task.finance", value(value_map{})));
    EXPECT_EQ(a.code, refusal::forbidden);
    EXPECT_EQ(a.reason, "forbidden: topic 'task.finance' is published by batond only");
}

TEST(ingest, exception_topic_is_forbidden) {
    auto a = admit(event("exception.credit_hold", value(value_map{})));
    EXPECT_EQ(a.code, refusal::forbidden);
    EXPECT_EQ(a.reason, "forbidden: topic 'exception.credit_hold' is published by batond only");
}

TEST(ingest, sales_status_is_forbidden) {
    auto a = admit(event("sales.status", value(value_map{})));
    EXPECT_EQ(a.code, refusal::forbidden);
    EXPECT_EQ(a.reason, "forbidden: topic 'sales.status' is published by batond only");
}

TEST(ingest, reserved_source_baton_is_forbidden) {
    auto a = admit(event("sales.order.placed", placed_data(), "SO-100", "baton"));
    EXPECT_EQ(a.code, refusal::forbidden);
    EXPECT_EQ(a.reason, "forbidden: source 'baton' is reserved for batond");
}

TEST(ingest, source_only_starting_with_baton_is_allowed) {
    auto a = admit(event("sales.order.placed", placed_data(), "SO-100", "baton-bridge"));
    EXPECT_EQ(a.code, refusal::none) << a.reason;
}

TEST(ingest, is_relay_topic_tells_two_part_and_reserved_topics_apart) {
    EXPECT_TRUE(is_relay_topic("finance.credit_check"));
    EXPECT_TRUE(is_relay_topic("logistics.cancel"));
    EXPECT_TRUE(is_relay_topic("task.escalation"));
    EXPECT_TRUE(is_relay_topic("exception.late.delivery"));
    EXPECT_TRUE(is_relay_topic("task"));
    EXPECT_FALSE(is_relay_topic("sales.order.placed"));
    EXPECT_FALSE(is_relay_topic("finance.receivable.updated"));
    EXPECT_FALSE(is_relay_topic("sales"));
}

TEST(ingest, unknown_topic_is_a_topic_refusal) {
    auto a = admit(event("sales.order.teleported", value(value_map{})));
    EXPECT_EQ(a.code, refusal::topic);
    EXPECT_EQ(a.reason, "topic: unknown topic 'sales.order.teleported'");
    EXPECT_EQ(a.env.id, "evt-100");
}

TEST(ingest, unknown_department_is_a_topic_refusal) {
    auto a = admit(event("hr.person.hired", value(value_map{})));
    EXPECT_EQ(a.code, refusal::topic);
    EXPECT_EQ(a.reason, "topic: unknown topic 'hr.person.hired'");
}

TEST(ingest, order_topic_without_order_is_an_envelope_refusal) {
    auto a = admit(event("sales.order.placed", placed_data(), nullptr));
    EXPECT_EQ(a.code, refusal::envelope);
    EXPECT_EQ(a.reason, "envelope: order: required for topic sales.order.placed");
}

TEST(ingest, order_on_receivable_updated_is_an_envelope_refusal) {
    value data;
    data.set("customer", value("C-1001"));
    data.set("balance_cents", value(100ULL));
    auto a = admit(event("finance.receivable.updated", data, "SO-100", "finance-erp"));
    EXPECT_EQ(a.code, refusal::envelope);
    EXPECT_EQ(a.reason, "envelope: order: not allowed for topic finance.receivable.updated");
}

TEST(ingest, wrong_type_deep_in_data_is_a_schema_refusal_with_its_path) {
    value data = placed_data();
    value line = order_line();
    line.set("qty", value("1200"));
    data.set("lines", value(value_list{order_line(), line}));
    auto a = admit(event("sales.order.placed", data));
    EXPECT_EQ(a.code, refusal::schema);
    EXPECT_EQ(a.reason, "schema: data.lines[1].qty: expected number, got string");
    EXPECT_EQ(a.env.id, "evt-100");
}

TEST(ingest, missing_required_data_field_is_a_schema_refusal) {
    value data = placed_data();
    data.as_map().erase(data.as_map().begin());  // customer
    auto a = admit(event("sales.order.placed", data));
    EXPECT_EQ(a.code, refusal::schema);
    EXPECT_EQ(a.reason.rfind("schema: data.customer: ", 0), 0u) << a.reason;
}

TEST(ingest, unknown_data_field_is_a_schema_refusal) {
    value data = placed_data();
    data.set("colour_of_the_truck", value("red"));
    auto a = admit(event("sales.order.placed", data));
    EXPECT_EQ(a.code, refusal::schema);
    EXPECT_EQ(a.reason.rfind("schema: data.colour_of_the_truck: ", 0), 0u) << a.reason;
}

TEST(ingest, refusal_of_reads_the_code_prefix) {
    EXPECT_EQ(refusal_of("decode: empty frame"), refusal::decode);
    EXPECT_EQ(refusal_of("envelope: v: required key is missing"), refusal::envelope);
    EXPECT_EQ(refusal_of("schema: data.x: unknown field"), refusal::schema);
    EXPECT_EQ(refusal_of("topic: unknown topic 'x'"), refusal::topic);
    EXPECT_EQ(refusal_of("forbidden: source 'baton' is reserved for batond"), refusal::forbidden);
    EXPECT_EQ(refusal_of("limit: map larger than 128 pairs"), refusal::limit);
}

TEST(ingest, refusal_of_unknown_or_missing_code_is_none) {
    EXPECT_EQ(refusal_of(""), refusal::none);
    EXPECT_EQ(refusal_of("no code here"), refusal::none);
    EXPECT_EQ(refusal_of("oops: something"), refusal::none);
    EXPECT_EQ(refusal_of("Decode: wrong case"), refusal::none);
    EXPECT_EQ(refusal_of("none: not a refusal"), refusal::none);
}

TEST(ingest, refusal_name_spells_each_code) {
    EXPECT_STREQ(refusal_name(refusal::none), "none");
    EXPECT_STREQ(refusal_name(refusal::decode), "decode");
    EXPECT_STREQ(refusal_name(refusal::envelope), "envelope");
    EXPECT_STREQ(refusal_name(refusal::schema), "schema");
    EXPECT_STREQ(refusal_name(refusal::topic), "topic");
    EXPECT_STREQ(refusal_name(refusal::forbidden), "forbidden");
    EXPECT_STREQ(refusal_name(refusal::limit), "limit");
}

TEST(ingest, refusal_name_and_refusal_of_agree_for_every_code) {
    for (auto r : {refusal::decode, refusal::envelope, refusal::schema, refusal::topic,
                   refusal::forbidden, refusal::limit})
        EXPECT_EQ(refusal_of(std::string(refusal_name(r)) + ": x"), r) << refusal_name(r);
}

TEST(ingest, the_same_bad_input_gets_the_same_reason_twice) {
    value data = placed_data();
    value line = order_line();
    line.set("alloy", value("7075"));
    data.set("lines", value(value_list{line}));
    const std::string bytes = encode_msgpack(event("sales.order.placed", data));
    std::string first, second;
    envelope out1, out2;
    refusal r1 = admit_event(real_rules(), "sales.order.placed", bytes, out1, first);
    refusal r2 = admit_event(real_rules(), "sales.order.placed", bytes, out2, second);
    EXPECT_EQ(r1, refusal::schema);
    EXPECT_EQ(r1, r2);
    EXPECT_FALSE(first.empty());
    EXPECT_EQ(first, second);
    EXPECT_EQ(out1.id, out2.id);
}

TEST(ingest, every_refusal_is_deterministic) {
    const std::pair<std::string, std::string> bad[] = {
        {"sales.order.placed", "\xc1"},
        {"sales.order.placed", encode_msgpack(event("sales.order.placed", placed_data(), nullptr))},
        {"task.finance", encode_msgpack(event("task.finance", value(value_map{})))},
        {"sales.x.y", encode_msgpack(event("sales.x.y", value(value_map{})))},
        {"sales.order.placed", encode_msgpack(event("sales.order.cancelled", value(value_map{})))},
    };
    for (const auto& [frame, bytes] : bad) {
        std::string first, second;
        envelope out1, out2;
        refusal r1 = admit_event(real_rules(), frame, bytes, out1, first);
        refusal r2 = admit_event(real_rules(), frame, bytes, out2, second);
        EXPECT_NE(r1, refusal::none) << frame;
        EXPECT_EQ(r1, r2);
        EXPECT_EQ(first, second);
        EXPECT_EQ(refusal_of(first), r1) << first;
    }
}

// Ids, orders and sources end up on terminals (batonctl, logs): an escape sequence in one could
// change a window title or clear the screen, so control characters are refused at the door.
TEST(ingest, escape_in_id_is_an_envelope_refusal_naming_key_and_byte) {
    value e = placed_event();
    e.set("id", value("evt\x1b]0;pwned\x07"));
    auto a = admit(e);
    EXPECT_EQ(a.code, refusal::envelope);
    EXPECT_EQ(a.reason,
              "envelope: id: control character U+001B at byte 3 (counting from 0) is not allowed");
    EXPECT_EQ(a.env.id, "");  // the nack's id frame does not carry the escape back either
}

TEST(ingest, escape_in_order_is_an_envelope_refusal_naming_key_and_byte) {
    value e = placed_event();
    e.set("order", value("SO\x1b[2J"));
    auto a = admit(e);
    EXPECT_EQ(a.code, refusal::envelope);
    EXPECT_EQ(a.reason,
              "envelope: order: control character U+001B at byte 2 (counting from 0) is not "
              "allowed");
    EXPECT_EQ(a.env.id, "evt-100");
}

TEST(ingest, escape_in_source_is_an_envelope_refusal_naming_key_and_byte) {
    value e = placed_event();
    e.set("source", value("sales-erp\x1b"));
    auto a = admit(e);
    EXPECT_EQ(a.code, refusal::envelope);
    EXPECT_EQ(a.reason,
              "envelope: source: control character U+001B at byte 9 (counting from 0) is not "
              "allowed");
}

TEST(ingest, del_newline_and_c1_controls_in_names_are_refused) {
    const std::pair<std::string, std::string> cases[] = {
        {"evt\x7f", "U+007F at byte 3"},
        {"evt\n1", "U+000A at byte 3"},
        {std::string("evt\0x", 5), "U+0000 at byte 3"},
        {"e\xc2\x9b"
         "31m",
         "U+009B at byte 1"},  // C1 CSI, UTF-8 encoded
        {"\xc2\x85", "U+0085 at byte 0"},
    };
    for (const auto& [id, where] : cases) {
        value e = placed_event();
        e.set("id", value(id));
        auto a = admit(e);
        EXPECT_EQ(a.code, refusal::envelope) << a.reason;
        EXPECT_EQ(a.reason,
                  "envelope: id: control character " + where + " (counting from 0) is not allowed");
    }
}

TEST(ingest, chinese_and_other_printable_utf8_names_are_admitted) {
    value e = placed_event();
    e.set("id", value("订单事件-1"));
    e.set("order", value("订单-100"));
    e.set("source", value("销售系统 ü é"));
    auto a = admit(e);
    EXPECT_EQ(a.code, refusal::none) << a.reason;
    EXPECT_EQ(a.env.id, "订单事件-1");
    EXPECT_EQ(a.env.order, std::optional<std::string>("订单-100"));
}

// A nack's reason goes back to the client as UTF-8 text and into batond's log: whatever the
// input, it is valid UTF-8, has no control character, and starts with its code.
void expect_clean_reason(refusal code, const std::string& reason, const std::string& what) {
    EXPECT_NE(code, refusal::none) << what;
    EXPECT_TRUE(is_utf8(reason)) << what << ": " << reason;
    char32_t cp = 0;
    EXPECT_EQ(find_control(reason, cp), std::string::npos) << what << ": " << reason;
    EXPECT_EQ(refusal_of(reason), code) << what << ": " << reason;
}

TEST(ingest, every_nack_reason_from_nasty_input_is_utf8_with_a_known_code) {
    const std::string bad_utf8[] = {"\xff",          "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                    "\xe4\xb8",      "\x80\x80", "\xc2\x9b",     "\x1b]0;pwned\x07",
                                    "订单\xff单\x1b"};
    std::vector<std::pair<std::string, std::string>> inputs;  // topic frame, envelope bytes
    const std::string placed = encode_msgpack(placed_event());
    for (const std::string& b : bad_utf8) {
        // In the topic frame, which no decoder checked.
        inputs.push_back({"sales.order." + b, placed});
        inputs.push_back({b + std::string(70, 'x') + b, placed});
        inputs.push_back({std::string(63, 'x') + "订" + b, placed});
        // In a top-level key, a data key, a line's key.
        value e = placed_event();
        e.set("prio" + b, value(1ULL));
        inputs.push_back({"sales.order.placed", encode_msgpack(e)});
        value data = placed_data();
        data.set("note" + b, value("x"));
        inputs.push_back({"sales.order.placed", encode_msgpack(event("sales.order.placed", data))});
        // In string values: a name, an enum, a date, a free text, the envelope's topic.
        for (const char* key : {"id", "source", "order", "topic"}) {
            value f = placed_event();
            f.set(key, value("x" + b));
            inputs.push_back({"sales.order.placed", encode_msgpack(f)});
            inputs.push_back({"x" + b, encode_msgpack(f)});
        }
        for (const char* field : {"currency", "promised_date", "notes", "customer"}) {
            value d = placed_data();
            d.set(field, value(b + "EUR" + b));
            inputs.push_back(
                {"sales.order.placed", encode_msgpack(event("sales.order.placed", d))});
        }
        value line = order_line();
        line.set("alloy", value(b));
        value d = placed_data();
        d.set("lines", value(value_list{line}));
        inputs.push_back({"sales.order.placed", encode_msgpack(event("sales.order.placed", d))});
    }
    // Integers at the edges of their range.
    for (const char* key : {"v", "ts", "seq"})
        for (value n : {value(18446744073709551615ULL), value(9223372036854775808ULL), value(-1LL),
                        value(-9223372036854775807LL - 1), value(1.5)}) {
            value e = placed_event();
            e.set(key, n);
            inputs.push_back({"sales.order.placed", encode_msgpack(e)});
        }
    for (value n : {value(18446744073709551615ULL), value(-9223372036854775807LL - 1)}) {
        value d = placed_data();
        d.set("amount_cents", n);
        inputs.push_back({"sales.order.placed", encode_msgpack(event("sales.order.placed", d))});
    }
    // Bytes that are not one MessagePack object.
    inputs.push_back({"sales.order.placed", ""});
    inputs.push_back({"sales.order.placed", "\xc1"});
    inputs.push_back({"sales.order.placed", placed.substr(0, placed.size() / 2)});
    inputs.push_back({"sales.order.placed", placed + std::string(1, '\0')});
    inputs.push_back({"sales.order.placed", "\xa2\xff\xfe"});  // a str of 2 invalid bytes

    std::size_t refused_inputs = 0;
    for (const auto& [frame, bytes] : inputs) {
        envelope out;
        std::string reason;
        refusal code = admit_event(real_rules(), frame, bytes, out, reason);
        EXPECT_TRUE(is_utf8(out.id));
        if (code == refusal::none) continue;  // a negative ts, a large seq, control text in notes
        ++refused_inputs;
        expect_clean_reason(code, reason,
                            reason_text(frame) + " / " + std::to_string(bytes.size()));
    }
    EXPECT_GT(refused_inputs, inputs.size() * 9 / 10);

    // Random damage to a valid envelope and its topic frame: whatever is refused, the reason is
    // clean. The seed is fixed so a failure repeats.
    std::mt19937 rng(20260611);
    std::uniform_int_distribution<int> byte(0, 255);
    std::size_t refused = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string bytes = placed;
        std::string frame = "sales.order.placed";
        const int flips = 1 + round % 4;
        for (int k = 0; k < flips; ++k) {
            bytes[static_cast<std::size_t>(rng() % bytes.size())] = static_cast<char>(byte(rng));
            if (round % 3 == 0)
                frame[static_cast<std::size_t>(rng() % frame.size())] =
                    static_cast<char>(byte(rng));
        }
        envelope out;
        std::string reason;
        refusal code = admit_event(real_rules(), frame, bytes, out, reason);
        if (code == refusal::none) continue;
        ++refused;
        expect_clean_reason(code, reason, "round " + std::to_string(round));
    }
    EXPECT_GT(refused, 1000u);
}

}  // namespace
}  // namespace baton
