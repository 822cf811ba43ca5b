// Tests of daemon/envelope: what a valid inbound envelope decodes to, each way an envelope breaks
// PROTOCOL.md (missing keys, wrong types, bad lengths, unknown keys, version, topic frame), that
// the event id is still reported when readable, and the relayed form with its `cause`.
#include "envelope.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "packed.h"

namespace baton {
namespace {

// A valid inbound envelope of sales.order.placed as a value, to break one key at a time.
value valid_event() {
    value data;
    data.set("customer", value("C-1001"));
    data.set("amount_cents", value(125000ULL));
    value e;
    e.set("v", value(1ULL));
    e.set("id", value("evt-1"));
    e.set("source", value("sales-erp"));
    e.set("topic", value("sales.order.placed"));
    e.set("ts", value(1700000000000LL));
    e.set("order", value("SO-1"));
    e.set("seq", value(7ULL));
    e.set("data", data);
    return e;
}

value without(value v, const std::string& key) {
    auto& m = v.as_map();
    for (auto it = m.begin(); it != m.end(); ++it)
        if (it->key == key) {
            m.erase(it);
            break;
        }
    return v;
}

value with(value v, const std::string& key, value val) {
    v.set(key, std::move(val));
    return v;
}

struct inbound_result {
    bool ok;
    envelope env;
    std::string reason;
};

inbound_result decode_in(const value& v, const std::string& topic_frame = "sales.order.placed") {
    inbound_result r;
    r.ok = decode_inbound(topic_frame, encode_msgpack(v), decode_limits{}, r.env, r.reason);
    return r;
}

// The reason an envelope is refused for.
std::string refusal(const value& v) {
    auto r = decode_in(v);
    EXPECT_FALSE(r.ok);
    return r.reason;
}

TEST(envelope, valid_inbound_envelope_decodes_every_field) {
    auto r = decode_in(valid_event());
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.reason, "");
    EXPECT_EQ(r.env.v, 1u);
    EXPECT_EQ(r.env.id, "evt-1");
    EXPECT_EQ(r.env.source, "sales-erp");
    EXPECT_EQ(r.env.topic, "sales.order.placed");
    EXPECT_EQ(r.env.ts_ms, 1700000000000LL);
    ASSERT_TRUE(r.env.order.has_value());
    EXPECT_EQ(*r.env.order, "SO-1");
    ASSERT_TRUE(r.env.seq.has_value());
    EXPECT_EQ(*r.env.seq, 7u);
    EXPECT_FALSE(r.env.cause.has_value());
    ASSERT_TRUE(r.env.data.is_map());
    ASSERT_NE(r.env.data.find("customer"), nullptr);
    EXPECT_EQ(r.env.data.find("customer")->as_string(), "C-1001");
    std::uint64_t amount = 0;
    ASSERT_NE(r.env.data.find("amount_cents"), nullptr);
    EXPECT_TRUE(r.env.data.find("amount_cents")->to_uint64(amount));
    EXPECT_EQ(amount, 125000u);
}

TEST(envelope, optional_order_and_seq_may_be_absent) {
    auto r = decode_in(without(without(valid_event(), "order"), "seq"));
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_FALSE(r.env.order.has_value());
    EXPECT_FALSE(r.env.seq.has_value());
}

TEST(envelope, empty_data_map_is_accepted) {
    auto r = decode_in(with(valid_event(), "data", value(value_map{})));
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_TRUE(r.env.data.is_map());
    EXPECT_TRUE(r.env.data.as_map().empty());
}

TEST(envelope, negative_ts_before_the_epoch_is_accepted) {
    auto r = decode_in(with(valid_event(), "ts", value(-5LL)));
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.env.ts_ms, -5);
}

TEST(envelope, key_order_on_the_wire_does_not_matter) {
    value reversed(value_map{});
    auto m = valid_event().as_map();
    for (auto it = m.rbegin(); it != m.rend(); ++it) reversed.set(it->key, it->val);
    auto r = decode_in(reversed);
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.env.id, "evt-1");
}

TEST(envelope, missing_v_is_refused) {
    EXPECT_EQ(refusal(without(valid_event(), "v")), "envelope: v: required key is missing");
}

TEST(envelope, missing_id_is_refused) {
    EXPECT_EQ(refusal(without(valid_event(), "id")), "envelope: id: required key is missing");
}

TEST(envelope, missing_source_is_refused) {
    EXPECT_EQ(refusal(without(valid_event(), "source")),
              "envelope: source: required key is missing");
}

TEST(envelope, missing_topic_is_refused) {
    EXPECT_EQ(refusal(without(valid_event(), "topic")), "envelope: topic: required key is missing");
}

TEST(envelope, missing_ts_is_refused) {
    EXPECT_EQ(refusal(without(valid_event(), "ts")), "envelope: ts: required key is missing");
}

TEST(envelope, missing_data_is_refused) {
    EXPECT_EQ(refusal(without(valid_event(), "data")), "envelope: data: required key is missing");
}

TEST(envelope, v_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "v", value("1"))),
              "envelope: v: expected uint, got string");
    EXPECT_EQ(refusal(with(valid_event(), "v", value(1.0))),
              "envelope: v: expected uint, got float");
}

TEST(envelope, version_2_is_unsupported) {
    EXPECT_EQ(refusal(with(valid_event(), "v", value(2ULL))),
              "envelope: v: unsupported version 2, expected 1");
    EXPECT_EQ(refusal(with(valid_event(), "v", value(0ULL))),
              "envelope: v: unsupported version 0, expected 1");
}

TEST(envelope, id_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "id", value(17ULL))),
              "envelope: id: expected string, got int");
}

TEST(envelope, source_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "source", value())),
              "envelope: source: expected string, got nil");
}

TEST(envelope, topic_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "topic", value(value_list{}))),
              "envelope: topic: expected string, got array");
}

TEST(envelope, empty_topic_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "topic", value(""))),
              "envelope: topic: must not be empty");
}

TEST(envelope, ts_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "ts", value("2024-01-01"))),
              "envelope: ts: expected int (ms since epoch), got string");
    EXPECT_EQ(refusal(with(valid_event(), "ts", value(1.7e12))),
              "envelope: ts: expected int (ms since epoch), got float");
}

TEST(envelope, ts_past_int64_is_refused_as_out_of_range) {
    EXPECT_EQ(refusal(with(valid_event(), "ts", value(18446744073709551615ULL))),
              "envelope: ts: 18446744073709551615 is out of range (ms since the epoch, at most "
              "2^63-1)");
    EXPECT_EQ(refusal(with(valid_event(), "ts", value(9223372036854775808ULL))),
              "envelope: ts: 9223372036854775808 is out of range (ms since the epoch, at most "
              "2^63-1)");
}

TEST(envelope, largest_ts_is_accepted) {
    auto r = decode_in(with(valid_event(), "ts", value(9223372036854775807ULL)));
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.env.ts_ms, 9223372036854775807LL);
}

TEST(envelope, v_out_of_range_is_an_unsupported_version) {
    EXPECT_EQ(refusal(with(valid_event(), "v", value(-1LL))),
              "envelope: v: unsupported version -1, expected 1");
    EXPECT_EQ(refusal(with(valid_event(), "v", value(18446744073709551615ULL))),
              "envelope: v: unsupported version 18446744073709551615, expected 1");
    EXPECT_EQ(refusal(with(valid_event(), "v", value("1"))),
              "envelope: v: expected uint, got string");
}

TEST(envelope, control_characters_in_names_are_refused_with_their_position) {
    EXPECT_EQ(refusal(with(valid_event(), "id", value("evt\x1b]0;pwned\x07"))),
              "envelope: id: control character U+001B at byte 3 (counting from 0) is not allowed");
    EXPECT_EQ(refusal(with(valid_event(), "source", value("\tsales"))),
              "envelope: source: control character U+0009 at byte 0 (counting from 0) is not "
              "allowed");
    EXPECT_EQ(refusal(with(valid_event(), "order", value("SO-1\xc2\x9f"))),
              "envelope: order: control character U+009F at byte 4 (counting from 0) is not "
              "allowed");
}

TEST(envelope, printable_utf8_names_are_accepted) {
    auto r = decode_in(with(with(valid_event(), "id", value("事件-1")), "order", value("订单 1")));
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.env.id, "事件-1");
}

TEST(envelope, id_with_a_control_character_is_not_reported) {
    auto r = decode_in(with(valid_event(), "id", value("evt\x1b")));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "");
}

TEST(envelope, order_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "order", value(42ULL))),
              "envelope: order: expected string, got int");
}

TEST(envelope, seq_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "seq", value("7"))),
              "envelope: seq: expected uint, got string");
    EXPECT_EQ(refusal(with(valid_event(), "seq", value(-7LL))),
              "envelope: seq: -7 is out of range (0 to 2^64-1)");
}

TEST(envelope, data_of_wrong_type_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "data", value(value_list{}))),
              "envelope: data: expected map, got array");
    EXPECT_EQ(refusal(with(valid_event(), "data", value())),
              "envelope: data: expected map, got nil");
}

TEST(envelope, names_of_64_bytes_are_accepted) {
    const std::string name(64, 'n');
    value e = with(with(with(valid_event(), "id", value(name)), "source", value(name)), "order",
                   value(name));
    auto r = decode_in(e);
    ASSERT_TRUE(r.ok) << r.reason;
    EXPECT_EQ(r.env.id, name);
    EXPECT_EQ(r.env.source, name);
    EXPECT_EQ(*r.env.order, name);
}

TEST(envelope, id_of_65_bytes_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "id", value(std::string(65, 'i')))),
              "envelope: id: length 65, expected 1 to 64 bytes");
}

TEST(envelope, empty_id_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "id", value(""))),
              "envelope: id: length 0, expected 1 to 64 bytes");
}

TEST(envelope, source_of_65_bytes_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "source", value(std::string(65, 's')))),
              "envelope: source: length 65, expected 1 to 64 bytes");
}

TEST(envelope, empty_source_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "source", value(""))),
              "envelope: source: length 0, expected 1 to 64 bytes");
}

TEST(envelope, order_of_65_bytes_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "order", value(std::string(65, 'o')))),
              "envelope: order: length 65, expected 1 to 64 bytes");
}

TEST(envelope, empty_order_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "order", value(""))),
              "envelope: order: length 0, expected 1 to 64 bytes");
}

TEST(envelope, unknown_top_level_key_is_refused) {
    EXPECT_EQ(refusal(with(valid_event(), "customer", value("C-1"))),
              "envelope: unknown key 'customer'");
}

TEST(envelope, unknown_key_is_refused_even_when_nil) {
    EXPECT_EQ(refusal(with(valid_event(), "extra", value())), "envelope: unknown key 'extra'");
}

TEST(envelope, unknown_keys_inside_data_are_not_the_envelopes_business) {
    value data;
    data.set("anything", value(1ULL));
    EXPECT_TRUE(decode_in(with(valid_event(), "data", data)).ok);
}

TEST(envelope, cause_is_refused_inbound) {
    EXPECT_EQ(refusal(with(valid_event(), "cause", value("evt-0"))),
              "envelope: cause: only relayed messages carry a cause");
}

TEST(envelope, envelope_that_is_not_a_map_is_refused) {
    EXPECT_EQ(refusal(value(value_list{value(1ULL)})), "envelope: expected a map, got array");
    EXPECT_EQ(refusal(value("text")), "envelope: expected a map, got string");
}

TEST(envelope, bytes_that_are_not_messagepack_keep_the_decode_code) {
    envelope out;
    std::string reason;
    EXPECT_FALSE(decode_inbound("sales.order.placed", "\x92\x01", decode_limits{}, out, reason));
    EXPECT_EQ(reason, "decode: truncated MessagePack (2 bytes)");
    EXPECT_EQ(out.id, "");
}

TEST(envelope, over_limit_envelope_keeps_the_limit_code) {
    decode_limits limits;
    limits.max_map = 4;
    envelope out;
    std::string reason;
    EXPECT_FALSE(
        decode_inbound("sales.order.placed", encode_msgpack(valid_event()), limits, out, reason));
    EXPECT_EQ(reason, "limit: map larger than 4 pairs");
}

TEST(envelope, topic_frame_mismatch_is_a_topic_refusal) {
    auto r = decode_in(valid_event(), "sales.order.cancelled");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.reason,
              "topic: frame says 'sales.order.cancelled' but the envelope says "
              "'sales.order.placed'");
    EXPECT_EQ(r.env.id, "evt-1");
}

TEST(envelope, empty_topic_frame_is_a_mismatch) {
    auto r = decode_in(valid_event(), "");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.reason.rfind("topic: frame says ''", 0), 0u) << r.reason;
}

TEST(envelope, id_is_reported_when_another_key_is_bad) {
    auto r = decode_in(with(valid_event(), "ts", value("yesterday")));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "evt-1");
    r = decode_in(with(valid_event(), "bogus", value(1ULL)));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "evt-1");
    r = decode_in(without(valid_event(), "v"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "evt-1");
    r = decode_in(with(valid_event(), "v", value(2ULL)));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "evt-1");
}

TEST(envelope, id_is_empty_when_it_cannot_be_read) {
    auto r = decode_in(with(valid_event(), "id", value(12ULL)));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "");
    r = decode_in(with(valid_event(), "id", value(std::string(65, 'x'))));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "");
    r = decode_in(without(valid_event(), "id"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.env.id, "");
}

// --- relayed envelopes ---------------------------------------------------------------------

envelope relayed_example() {
    envelope e;
    e.id = "r-42";
    e.source = "baton";
    e.topic = "finance.credit_check";
    e.ts_ms = 1700000001234LL;
    e.order = "SO-9";
    e.seq = 42;
    e.cause = "evt-1";
    e.data.set("stage", value("credit_review"));
    e.data.set("amount_cents", value(-3LL));
    return e;
}

// An order batond accepted before control characters were refused is still relayed; its
// followers (batonctl tail, adapters) must read those messages, not lose them.
TEST(envelope, relayed_envelope_with_a_control_character_in_its_order_is_read) {
    envelope in = relayed_example();
    in.order = "SO-\x1b[2J";
    envelope out;
    std::string reason;
    ASSERT_TRUE(decode_relayed(encode_envelope(in), decode_limits{}, out, reason)) << reason;
    EXPECT_EQ(out.order, in.order);
}

TEST(envelope, relayed_envelope_round_trips_with_cause) {
    const envelope in = relayed_example();
    envelope out;
    std::string reason;
    ASSERT_TRUE(decode_relayed(encode_envelope(in), decode_limits{}, out, reason)) << reason;
    EXPECT_EQ(out.v, 1u);
    EXPECT_EQ(out.id, in.id);
    EXPECT_EQ(out.source, in.source);
    EXPECT_EQ(out.topic, in.topic);
    EXPECT_EQ(out.ts_ms, in.ts_ms);
    EXPECT_EQ(out.order, in.order);
    EXPECT_EQ(out.seq, in.seq);
    EXPECT_EQ(out.cause, in.cause);
    ASSERT_TRUE(out.data.is_map());
    ASSERT_EQ(out.data.as_map().size(), 2u);
    EXPECT_EQ(out.data.find("stage")->as_string(), "credit_review");
    std::int64_t amount = 0;
    EXPECT_TRUE(out.data.find("amount_cents")->to_int64(amount));
    EXPECT_EQ(amount, -3);
}

TEST(envelope, encode_leaves_out_absent_optional_keys) {
    envelope e = relayed_example();
    e.order.reset();
    e.seq.reset();
    e.cause.reset();
    value decoded;
    std::string error;
    ASSERT_TRUE(decode_msgpack(encode_envelope(e), decode_limits{}, decoded, error)) << error;
    EXPECT_EQ(decoded.find("order"), nullptr);
    EXPECT_EQ(decoded.find("seq"), nullptr);
    EXPECT_EQ(decoded.find("cause"), nullptr);
    EXPECT_EQ(decoded.as_map().size(), 6u);  // v, id, source, topic, ts, data
}

TEST(envelope, encoded_inbound_event_decodes_inbound) {
    envelope e = relayed_example();
    e.cause.reset();
    e.topic = "sales.order.placed";
    envelope out;
    std::string reason;
    ASSERT_TRUE(
        decode_inbound("sales.order.placed", encode_envelope(e), decode_limits{}, out, reason))
        << reason;
    EXPECT_EQ(out.id, e.id);
    EXPECT_EQ(out.order, e.order);
}

TEST(envelope, relayed_envelope_with_cause_is_refused_inbound) {
    envelope out;
    std::string reason;
    EXPECT_FALSE(decode_inbound("finance.credit_check", encode_envelope(relayed_example()),
                                decode_limits{}, out, reason));
    EXPECT_EQ(reason, "envelope: cause: only relayed messages carry a cause");
    EXPECT_EQ(out.id, "r-42");
}

TEST(envelope, relayed_cause_of_wrong_type_is_refused) {
    value v = valid_event();
    v.set("cause", value(5ULL));
    envelope out;
    std::string reason;
    EXPECT_FALSE(decode_relayed(encode_msgpack(v), decode_limits{}, out, reason));
    EXPECT_EQ(reason, "envelope: cause: expected string, got int");
}

TEST(envelope, relayed_decode_applies_the_same_strictness) {
    value v = with(valid_event(), "cause", value("evt-0"));
    envelope out;
    std::string reason;
    EXPECT_FALSE(
        decode_relayed(encode_msgpack(with(v, "x", value(1ULL))), decode_limits{}, out, reason));
    EXPECT_EQ(reason, "envelope: unknown key 'x'");
    EXPECT_FALSE(
        decode_relayed(encode_msgpack(without(v, "source")), decode_limits{}, out, reason));
    EXPECT_EQ(reason, "envelope: source: required key is missing");
}

TEST(envelope, a_refusal_comes_with_its_code_beside_its_text) {
    envelope out;
    std::string reason;
    baton::refusal code = baton::refusal::none;
    EXPECT_FALSE(decode_inbound("sales.order.placed", std::string("\xc1", 1), decode_limits{}, out,
                                reason, code));
    EXPECT_EQ(code, baton::refusal::decode);
    EXPECT_EQ(refusal_of(reason), code) << reason;

    decode_limits tight;
    tight.max_string = 4;
    envelope e;
    e.id = "E-1";
    e.source = "sales-erp";
    e.topic = "sales.order.placed";
    e.ts_ms = 1;
    e.data = value(value_map{});
    const std::string bytes = encode_envelope(e);
    EXPECT_FALSE(decode_inbound("sales.order.placed", bytes, tight, out, reason, code));
    EXPECT_EQ(code, baton::refusal::limit);
    EXPECT_EQ(refusal_of(reason), code) << reason;

    EXPECT_FALSE(
        decode_inbound("sales.order.cancelled", bytes, decode_limits{}, out, reason, code));
    EXPECT_EQ(code, baton::refusal::topic);
    EXPECT_EQ(refusal_of(reason), code) << reason;

    e.seq = 3;
    e.cause = "x";  // only relayed messages carry one
    EXPECT_FALSE(decode_inbound("sales.order.placed", encode_envelope(e), decode_limits{}, out,
                                reason, code));
    EXPECT_EQ(code, baton::refusal::envelope);
    EXPECT_EQ(refusal_of(reason), code) << reason;
}

// The head written in place is the one encode_msgpack writes for the same map, for names of
// every length form and integers of every width, with and without the optional keys.
TEST(envelope, head_written_in_place_equals_the_encoded_map) {
    const std::string names[] = {"",
                                 "baton",
                                 std::string(31, 'a'),
                                 std::string(32, 'b'),
                                 std::string(300, 'c'),
                                 std::string(70000, 'd')};
    const std::int64_t stamps[] = {
        0, 127, 128, -1, -33, -40000, 1764700000000LL, std::numeric_limits<std::int64_t>::min()};
    const std::uint64_t seqs[] = {1, 200, 70000, 5000000000ULL};
    int cases = 0;
    for (const auto& name : names)
        for (const std::int64_t ts : stamps)
            for (const std::uint64_t seq : seqs)
                for (int optional = 0; optional < 8; ++optional) {
                    envelope_head h;
                    h.v = seq % 3;
                    h.id = name;
                    h.source = "baton";
                    h.topic = name.empty() ? std::string_view("sales.status") : name;
                    h.ts_ms = ts;
                    if (optional & 1) h.order = name;
                    if (optional & 2) h.seq = seq;
                    if (optional & 4) h.cause = "evt-1";
                    std::string got;
                    packed_writer w(got);
                    write_envelope_head(w, h);
                    w.nil();

                    value expected_map = value(value_map{});
                    expected_map.set("v", h.v);
                    expected_map.set("id", h.id);
                    expected_map.set("source", h.source);
                    expected_map.set("topic", h.topic);
                    expected_map.set("ts", static_cast<long long>(h.ts_ms));
                    if (h.order) expected_map.set("order", *h.order);
                    if (h.seq) expected_map.set("seq", static_cast<unsigned long long>(*h.seq));
                    if (h.cause) expected_map.set("cause", *h.cause);
                    expected_map.set("data", value());
                    ASSERT_EQ(got, encode_msgpack(expected_map))
                        << "name of " << name.size() << " bytes, ts " << ts << ", seq " << seq
                        << ", optional keys " << optional;
                    ++cases;
                }
    EXPECT_EQ(cases, 6 * 8 * 4 * 8);
}

}  // namespace
}  // namespace baton
