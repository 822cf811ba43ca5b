// Tests of daemon/codec: MessagePack round trips of every value type, and every way a hostile or
// broken frame is refused ("decode:" or "limit:", with the exact reason) without allocating for
// sizes it merely claims. Hostile frames are written byte by byte.
#include "codec.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

#include "utf8.h"

namespace baton {
namespace {

// Hand-written frames use keys without the letters a-f, which would extend a \x escape.
using namespace std::string_literals;  // "\x00"s keeps embedded NUL bytes

// Deep equality, type included (int64 5 and uint64 5 differ).
bool same(const value& a, const value& b) {
    if (a.v.index() != b.v.index()) return false;
    switch (a.v.index()) {
        case 0: return true;
        case 1: return a.as_bool() == b.as_bool();
        case 2: return std::get<std::int64_t>(a.v) == std::get<std::int64_t>(b.v);
        case 3: return std::get<std::uint64_t>(a.v) == std::get<std::uint64_t>(b.v);
        case 4: return std::get<double>(a.v) == std::get<double>(b.v);
        case 5: return a.as_string() == b.as_string();
        case 6: {
            const auto& x = a.as_list();
            const auto& y = b.as_list();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (!same(x[i], y[i])) return false;
            return true;
        }
        case 7: {
            const auto& x = a.as_map();
            const auto& y = b.as_map();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i)
                if (x[i].key != y[i].key || !same(x[i].val, y[i].val)) return false;
            return true;
        }
    }
    return false;
}

value decode_ok(const std::string& bytes, const decode_limits& limits = {}) {
    value out;
    std::string error;
    EXPECT_TRUE(decode_msgpack(bytes, limits, out, error)) << error;
    EXPECT_EQ(error, "");
    return out;
}

std::string decode_error(const std::string& bytes, const decode_limits& limits = {}) {
    value out;
    std::string error;
    EXPECT_FALSE(decode_msgpack(bytes, limits, out, error)) << "decoded without error";
    return error;
}

value round_trip(const value& v) {
    return decode_ok(encode_msgpack(v));
}

// A MessagePack str header for `n` bytes (str8/str16 as needed) followed by the bytes.
std::string msgpack_str(const std::string& s) {
    std::string out;
    if (s.size() < 32) {
        out += static_cast<char>(0xa0 | s.size());
    } else if (s.size() < 256) {
        out += '\xd9';
        out += static_cast<char>(s.size());
    } else {
        out += '\xda';
        out += static_cast<char>((s.size() >> 8) & 0xff);
        out += static_cast<char>(s.size() & 0xff);
    }
    return out + s;
}

// `depth` arrays nested in each other around a 1.
std::string nested_arrays(std::size_t depth) {
    return std::string(depth, '\x91') + "\x01";
}

// --- round trips ---------------------------------------------------------------------------

TEST(codec, nil_round_trips) {
    EXPECT_EQ(encode_msgpack(value()), "\xc0");
    EXPECT_TRUE(round_trip(value()).is_nil());
}

TEST(codec, booleans_round_trip) {
    EXPECT_EQ(encode_msgpack(value(true)), "\xc3");
    EXPECT_EQ(encode_msgpack(value(false)), "\xc2");
    EXPECT_TRUE(same(round_trip(value(true)), value(true)));
    EXPECT_TRUE(same(round_trip(value(false)), value(false)));
}

TEST(codec, negative_integers_round_trip_as_int64) {
    for (long long i : {-1LL, -32LL, -33LL, -129LL, -40000LL, -3000000000LL,
                        std::numeric_limits<long long>::min()})
        EXPECT_TRUE(same(round_trip(value(i)), value(i))) << i;
}

TEST(codec, non_negative_int64_comes_back_as_uint64) {
    // MessagePack has no signed non-negative integers: the wire form is the same as a uint's.
    value back = round_trip(value(42LL));
    EXPECT_TRUE(same(back, value(42ULL)));
    std::int64_t i = 0;
    EXPECT_TRUE(back.to_int64(i));
    EXPECT_EQ(i, 42);
}

TEST(codec, unsigned_integers_round_trip) {
    for (unsigned long long u : {0ULL, 127ULL, 128ULL, 255ULL, 65536ULL, 4294967296ULL,
                                 std::numeric_limits<unsigned long long>::max()})
        EXPECT_TRUE(same(round_trip(value(u)), value(u))) << u;
}

TEST(codec, doubles_round_trip_exactly) {
    for (double d : {0.0, -0.5, 3.141592653589793, 1e300, -1e-300})
        EXPECT_TRUE(same(round_trip(value(d)), value(d))) << d;
}

TEST(codec, integral_doubles_stay_float64_on_the_wire) {
    EXPECT_EQ(encode_msgpack(value(1.0)), "\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00"s);
    for (double d : {0.0, 1.0, 1200.0, -3.0, 1.7e12, 18446744073709551616.0})
        EXPECT_TRUE(same(round_trip(value(d)), value(d))) << d;
}

TEST(codec, negative_zero_keeps_its_sign) {
    value back = round_trip(value(-0.0));
    ASSERT_TRUE(std::holds_alternative<double>(back.v));
    EXPECT_TRUE(std::signbit(std::get<double>(back.v)));
}

TEST(codec, float32_decodes_as_double) {
    // 0xca + IEEE 754 single 1.5 (0x3fc00000).
    EXPECT_TRUE(same(decode_ok("\xca\x3f\xc0\x00\x00"s), value(1.5)));
}

TEST(codec, strings_round_trip_including_utf8_and_nul) {
    for (const std::string& s : {""s, "sales.order.placed"s, "Kovács €"s, "a\0b"s,
                                 std::string(300, 'x'), std::string(16384, 'y')})
        EXPECT_TRUE(same(round_trip(value(s)), value(s))) << s.size();
}

TEST(codec, lists_round_trip_in_order) {
    value list(value_list{value(1ULL), value("two"), value(), value(value_list{}), value(-3LL)});
    EXPECT_TRUE(same(round_trip(list), list));
    EXPECT_TRUE(same(round_trip(value(value_list{})), value(value_list{})));
}

TEST(codec, maps_round_trip_keeping_wire_order) {
    value map;
    map.set("z", value(1ULL));
    map.set("a", value("x"));
    map.set("m", value(value_map{}));
    value back = round_trip(map);
    ASSERT_TRUE(back.is_map());
    ASSERT_EQ(back.as_map().size(), 3u);
    EXPECT_EQ(back.as_map()[0].key, "z");
    EXPECT_EQ(back.as_map()[1].key, "a");
    EXPECT_EQ(back.as_map()[2].key, "m");
    EXPECT_TRUE(same(back, map));
}

TEST(codec, nested_tree_round_trips) {
    value line;
    line.set("item", value("P-100"));
    line.set("qty", value(12.5));
    line.set("length_mm", value(6000ULL));
    value data;
    data.set("lines", value(value_list{line, line}));
    data.set("new_die", value(true));
    data.set("balance_cents", value(-125LL));
    data.set("note", value());
    EXPECT_TRUE(same(round_trip(data), data));
}

TEST(codec, encode_appends_to_existing_bytes) {
    std::string out = "prefix";
    encode_msgpack(value(1ULL), out);
    EXPECT_EQ(out, "prefix\x01");
}

TEST(codec, largest_objects_within_limits_decode) {
    decode_limits limits;
    value big(value_list(limits.max_array, value(1ULL)));
    EXPECT_EQ(round_trip(big).as_list().size(), limits.max_array);
    value wide;
    for (std::size_t i = 0; i < limits.max_map; ++i) wide.set("k" + std::to_string(i), value());
    EXPECT_EQ(round_trip(wide).as_map().size(), limits.max_map);
    EXPECT_TRUE(decode_ok(nested_arrays(limits.max_depth)).is_list());
}

// --- broken frames -------------------------------------------------------------------------

TEST(codec, empty_frame_is_refused) {
    EXPECT_EQ(decode_error(""), "decode: empty frame");
}

TEST(codec, truncated_array_is_refused) {
    EXPECT_EQ(decode_error("\x92\x01"), "decode: truncated MessagePack (2 bytes)");
}

TEST(codec, truncated_string_body_is_refused) {
    EXPECT_EQ(decode_error("\xa5xyz"), "decode: truncated MessagePack (4 bytes)");
}

TEST(codec, truncated_integer_is_refused) {
    EXPECT_EQ(decode_error("\xce\x00\x01"s), "decode: truncated MessagePack (3 bytes)");
}

TEST(codec, truncated_map_value_is_refused) {
    EXPECT_EQ(decode_error("\x81\xa1k"), "decode: truncated MessagePack (3 bytes)");
}

TEST(codec, every_prefix_of_a_valid_object_is_refused_as_truncated) {
    value data;
    data.set("lines", value(value_list{value("a"), value(1.5), value(-7LL)}));
    data.set("ok", value(true));
    const std::string whole = encode_msgpack(data);
    for (std::size_t n = 1; n < whole.size(); ++n)
        EXPECT_EQ(decode_error(whole.substr(0, n)),
                  "decode: truncated MessagePack (" + std::to_string(n) + " bytes)");
}

TEST(codec, reserved_byte_is_refused_as_garbage) {
    std::string error = decode_error("\xc1");
    EXPECT_EQ(error.rfind("decode: not valid MessagePack (", 0), 0u) << error;
}

TEST(codec, garbage_inside_an_array_is_refused) {
    std::string error = decode_error("\x92\x01\xc1");
    EXPECT_EQ(error.rfind("decode: not valid MessagePack (", 0), 0u) << error;
}

TEST(codec, trailing_bytes_are_refused_with_their_count) {
    EXPECT_EQ(decode_error("\x01\x02"), "decode: 1 trailing bytes after the MessagePack object");
    EXPECT_EQ(decode_error("\x80\x80\x80\x80"s),
              "decode: 3 trailing bytes after the MessagePack object");
}

TEST(codec, integer_map_key_is_refused) {
    EXPECT_EQ(decode_error("\x81\x01\x02"), "decode: map keys must be strings");
}

TEST(codec, nil_and_array_map_keys_are_refused) {
    EXPECT_EQ(decode_error("\x81\xc0\x02"), "decode: map keys must be strings");
    EXPECT_EQ(decode_error("\x81\x90\x02"), "decode: map keys must be strings");
}

TEST(codec, non_string_key_in_a_nested_map_is_refused) {
    EXPECT_EQ(decode_error("\x81\xa1k\x91\x81\xc3\x01"), "decode: map keys must be strings");
}

TEST(codec, duplicate_map_key_is_refused_and_named) {
    EXPECT_EQ(decode_error("\x82\xa2id\x01\xa2id\x02"), "decode: duplicate map key 'id'");
}

TEST(codec, same_key_in_different_maps_is_allowed) {
    value v = decode_ok("\x82\xa1k\x81\xa1k\x01\xa1x\x81\xa1k\x02");
    ASSERT_TRUE(v.is_map());
    EXPECT_EQ(v.as_map().size(), 2u);
}

TEST(codec, bin_is_refused) {
    EXPECT_EQ(decode_error("\xc4\x02\x00\x01"s), "decode: bin values are not accepted");
    EXPECT_EQ(decode_error("\xc4\x00"s), "decode: bin values are not accepted");
}

TEST(codec, bin_inside_a_map_is_refused) {
    EXPECT_EQ(decode_error("\x81\xa1x\xc4\x01\x00"s), "decode: bin values are not accepted");
}

TEST(codec, ext_is_refused) {
    EXPECT_EQ(decode_error("\xd4\x01\x00"s), "decode: ext values are not accepted");      // fixext1
    EXPECT_EQ(decode_error("\xc7\x01\x05\x00"s), "decode: ext values are not accepted");  // ext8
    EXPECT_EQ(decode_error("\xc7\x00\x05"s), "decode: ext values are not accepted");      // empty
}

// The tree is built as the parser walks the frame. A refusal of a parsed value (bin, a key, a
// string) waits for the parse to finish, so a frame that is also broken is refused for that, as
// when the whole frame was parsed first.
TEST(codec, bin_and_map_keys_are_refused_as_keys) {
    EXPECT_EQ(decode_error("\x81\xc4\x01k\x01"s), "decode: map keys must be strings");
    EXPECT_EQ(decode_error("\x81\x81\xa1k\x01\x01"s), "decode: map keys must be strings");
    EXPECT_EQ(decode_error("\x82\xa1k\x01\x91\xa1x\x02"s), "decode: map keys must be strings");
}

TEST(codec, a_frame_both_refused_and_truncated_is_truncated) {
    EXPECT_EQ(decode_error("\x92\xc4\x01x\xa3xy"s), "decode: truncated MessagePack (7 bytes)");
    EXPECT_EQ(decode_error("\x92\xa1\xff\x92\x01"s), "decode: truncated MessagePack (5 bytes)");
    EXPECT_EQ(decode_error("\x83\xa1k\x01\xa1k\x02\xa1x"s),
              "decode: truncated MessagePack (9 bytes)");
}

TEST(codec, a_frame_both_refused_and_malformed_is_malformed) {
    std::string error = decode_error("\x93\xc4\x01x\x01\xc1"s);
    EXPECT_EQ(error, "decode: not valid MessagePack (parse error)");
}

TEST(codec, a_frame_both_refused_and_over_a_limit_is_over_the_limit) {
    EXPECT_EQ(decode_error("\x92\xa1\xff"s + nested_arrays(8)),
              "limit: nesting deeper than 8 levels");
    decode_limits limits;
    limits.max_string = 4;
    EXPECT_EQ(decode_error("\x92\xc4\x01x\xa5hello"s, limits), "limit: string longer than 4 bytes");
}

TEST(codec, a_frame_both_refused_and_followed_by_bytes_names_the_trailing_bytes) {
    EXPECT_EQ(decode_error("\x82\xa2id\x01\xa2id\x02\x00"s),
              "decode: 1 trailing bytes after the MessagePack object");
}

TEST(codec, the_first_refusal_in_the_frame_is_the_one_reported) {
    EXPECT_EQ(decode_error("\x92\xa1\xff\xc4\x01x"s), "decode: string is not valid UTF-8");
    EXPECT_EQ(decode_error("\x92\xc4\x01x\xa1\xff"s), "decode: bin values are not accepted");
}

TEST(codec, signed_encodings_of_non_negative_numbers_decode_as_unsigned) {
    for (const std::string& bytes : {"\xd0\x05"s, "\xd1\x00\x05"s, "\xd2\x00\x00\x00\x05"s,
                                     "\xd3\x00\x00\x00\x00\x00\x00\x00\x05"s}) {
        value v = decode_ok(bytes);
        ASSERT_TRUE(std::holds_alternative<std::uint64_t>(v.v)) << type_name(v);
        EXPECT_EQ(std::get<std::uint64_t>(v.v), 5u);
    }
    value v = decode_ok("\xd0\xfb"s);
    ASSERT_TRUE(std::holds_alternative<std::int64_t>(v.v));
    EXPECT_EQ(std::get<std::int64_t>(v.v), -5);
}

TEST(codec, a_decode_replaces_what_the_value_held) {
    value v = value_map{{"old", value(1)}};
    std::string error;
    ASSERT_TRUE(decode_msgpack("\x92\x01\x80"s, decode_limits{}, v, error)) << error;
    ASSERT_TRUE(v.is_list());
    ASSERT_EQ(v.as_list().size(), 2u);
    EXPECT_TRUE(v.as_list()[1].is_map());
    EXPECT_TRUE(v.as_list()[1].as_map().empty());
    ASSERT_TRUE(decode_msgpack("\xa1z"s, decode_limits{}, v, error)) << error;
    EXPECT_EQ(v.as_string(), "z");
}

TEST(codec, overlong_utf8_is_refused) {
    EXPECT_EQ(decode_error("\xa2\xc0\xaf"), "decode: string is not valid UTF-8");      // '/'
    EXPECT_EQ(decode_error("\xa3\xe0\x80\xaf"), "decode: string is not valid UTF-8");  // 3 bytes
}

TEST(codec, utf16_surrogate_is_refused) {
    EXPECT_EQ(decode_error("\xa3\xed\xa0\x80"), "decode: string is not valid UTF-8");
}

TEST(codec, truncated_utf8_sequence_is_refused) {
    EXPECT_EQ(decode_error("\xa2\xe2\x82"), "decode: string is not valid UTF-8");
    EXPECT_EQ(decode_error("\xa3z\xe2\x82"), "decode: string is not valid UTF-8");
}

TEST(codec, invalid_utf8_in_a_map_key_is_refused) {
    EXPECT_EQ(decode_error("\x81\xa2\xed\xa0\x01"), "decode: map key is not valid UTF-8");
}

TEST(codec, invalid_utf8_deep_in_a_value_is_refused) {
    EXPECT_EQ(decode_error("\x81\xa1k\x92\xa1z\xa1\xff"), "decode: string is not valid UTF-8");
}

TEST(codec, is_utf8_accepts_every_sequence_length_and_the_edges) {
    EXPECT_TRUE(is_utf8(""));
    EXPECT_TRUE(is_utf8("plain ascii"));
    EXPECT_TRUE(is_utf8("\xc3\xa9"));          // U+00E9
    EXPECT_TRUE(is_utf8("\xe2\x82\xac"));      // U+20AC
    EXPECT_TRUE(is_utf8("\xf0\x9f\x98\x80"));  // U+1F600
    EXPECT_TRUE(is_utf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
    EXPECT_TRUE(is_utf8("\xee\x80\x80"));      // U+E000, just above them
    EXPECT_TRUE(is_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
    EXPECT_TRUE(is_utf8("\xc2\x80"));          // U+0080, shortest 2-byte form
}

TEST(codec, is_utf8_refuses_every_malformation) {
    EXPECT_FALSE(is_utf8("\x80"));                  // lone continuation byte
    EXPECT_FALSE(is_utf8("\xc1\xbf"));              // overlong U+007F
    EXPECT_FALSE(is_utf8("\xf0\x8f\xbf\xbf"));      // overlong U+FFFF
    EXPECT_FALSE(is_utf8("\xed\xbf\xbf"));          // U+DFFF, low surrogate
    EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));      // U+110000, past the last code point
    EXPECT_FALSE(is_utf8("\xf8\x88\x80\x80\x80"));  // 5-byte form
    EXPECT_FALSE(is_utf8("\xff"));
    EXPECT_FALSE(is_utf8("\xc3z"));         // continuation missing
    EXPECT_FALSE(is_utf8("\xf0\x9f\x98"));  // sequence cut at the end
}

// ASCII is skipped eight bytes at a time: a bad or a multi-byte sequence is found wherever it
// sits in a run, at every offset of the word and at the tail.
TEST(codec, is_utf8_finds_a_sequence_at_every_offset_of_an_ascii_run) {
    for (std::size_t at = 0; at <= 24; ++at) {
        SCOPED_TRACE(at);
        const std::string before(at, 'a');
        const std::string after(24 - at, 'b');
        EXPECT_TRUE(is_utf8(before + after));
        EXPECT_TRUE(is_utf8(before + "\xe4\xb8\xad" + after));  // U+4E2D
        EXPECT_FALSE(is_utf8(before + "\x80" + after));
        EXPECT_FALSE(is_utf8(before + "\xc3" + after));          // cut by ASCII
        EXPECT_FALSE(is_utf8(before + "\xed\xa0\x80" + after));  // a surrogate
        EXPECT_FALSE(is_utf8(before + "\xe4\xb8"));              // cut at the end
    }
}

// Printable ASCII is passed over byte by byte without decoding: a control character is still
// found at its byte, whatever comes before it.
TEST(codec, find_control_finds_each_control_character_at_its_byte) {
    for (std::size_t at = 0; at <= 10; ++at) {
        SCOPED_TRACE(at);
        const std::string before(at, 'x');
        char32_t cp = 0;
        EXPECT_EQ(find_control(before + "tail", cp), std::string::npos);
        EXPECT_EQ(find_control(before + "\xe4\xb8\xad~", cp), std::string::npos);
        for (const std::string& c : {"\n"s, "\x1f"s, "\x7f"s, "\xc2\x85"s, std::string(1, '\0')}) {
            EXPECT_EQ(find_control(before + c + "tail", cp), at);
            char32_t expected = 0;
            utf8_sequence(c, 0, expected);
            EXPECT_EQ(cp, expected);
        }
        // A malformed byte is passed over; the control after it is still found.
        EXPECT_EQ(find_control(before + "\xff\t", cp), at + 1);
    }
}

// --- limits --------------------------------------------------------------------------------

TEST(codec, array_over_the_limit_is_refused) {
    decode_limits limits;
    std::string bytes = "\xdc\x04\x01"s + std::string(1025, '\x01');  // array16 of 1025
    EXPECT_EQ(decode_error(bytes, limits), "limit: array longer than 1024 elements");
}

TEST(codec, array_limit_text_names_the_configured_limit) {
    decode_limits limits;
    limits.max_array = 2;
    EXPECT_TRUE(decode_ok("\x92\x01\x02", limits).is_list());
    EXPECT_EQ(decode_error("\x93\x01\x02\x03", limits), "limit: array longer than 2 elements");
}

TEST(codec, map_over_the_limit_is_refused) {
    decode_limits limits;
    limits.max_map = 1;
    EXPECT_TRUE(decode_ok("\x81\xa1k\x01", limits).is_map());
    EXPECT_EQ(decode_error("\x82\xa1k\x01\xa1x\x02", limits), "limit: map larger than 1 pairs");
}

TEST(codec, string_over_the_limit_is_refused) {
    std::string bytes = msgpack_str(std::string(16385, 'a'));
    EXPECT_EQ(decode_error(bytes), "limit: string longer than 16384 bytes");
}

TEST(codec, map_key_over_the_string_limit_is_refused) {
    decode_limits limits;
    limits.max_string = 4;
    EXPECT_EQ(decode_error("\x81" + msgpack_str("abcde") + "\x01", limits),
              "limit: string longer than 4 bytes");
}

TEST(codec, nesting_over_the_depth_limit_is_refused) {
    EXPECT_EQ(decode_error(nested_arrays(9)), "limit: nesting deeper than 8 levels");
}

TEST(codec, nested_maps_count_towards_depth) {
    decode_limits limits;
    limits.max_depth = 2;
    EXPECT_TRUE(decode_ok("\x81\xa1k\x81\xa1x\x01", limits).is_map());
    EXPECT_EQ(decode_error("\x81\xa1k\x81\xa1x\x91\x01", limits),
              "limit: nesting deeper than 2 levels");
}

// --- hostile claimed sizes -----------------------------------------------------------------
// The frames below claim up to 4 billion elements or bytes in a handful of bytes. Honouring the
// claim would mean allocating ~100 GB; each is decoded 1000 times and must stay fast.

std::string refuse_fast(const std::string& bytes) {
    std::string error;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) {
        value out;
        error.clear();
        EXPECT_FALSE(decode_msgpack(bytes, decode_limits{}, out, error));
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, std::chrono::seconds(2)) << "hostile claim took long: " << error;
    return error;
}

TEST(codec, array32_claiming_four_billion_elements_is_a_limit) {
    EXPECT_EQ(refuse_fast("\xdd\xff\xff\xff\xff"), "limit: array longer than 1024 elements");
}

TEST(codec, map32_claiming_four_billion_pairs_is_a_limit) {
    EXPECT_EQ(refuse_fast("\xdf\xff\xff\xff\xff"), "limit: map larger than 128 pairs");
}

TEST(codec, str32_claiming_four_gigabytes_is_truncated_before_the_limit) {
    // The body is missing, so the frame is reported truncated; the claim is never allocated.
    EXPECT_EQ(refuse_fast("\xdb\xff\xff\xff\xff"), "decode: truncated MessagePack (5 bytes)");
    EXPECT_EQ(refuse_fast("\xdb\xff\xff\xff\xffxyz"), "decode: truncated MessagePack (8 bytes)");
}

TEST(codec, bin32_claiming_four_gigabytes_is_truncated) {
    EXPECT_EQ(refuse_fast("\xc6\xff\xff\xff\xff"), "decode: truncated MessagePack (5 bytes)");
}

TEST(codec, ext32_claiming_four_gigabytes_is_refused) {
    std::string error = refuse_fast("\xc9\xff\xff\xff\xff\x01");
    EXPECT_EQ(error, "decode: truncated MessagePack (6 bytes)");
}

TEST(codec, in_limit_array_claim_without_elements_is_truncated) {
    // array16 claiming 1024 elements (the limit) with one present.
    EXPECT_EQ(refuse_fast("\xdc\x04\x00\x01"s), "decode: truncated MessagePack (4 bytes)");
}

TEST(codec, hostile_claim_nested_in_a_map_is_a_limit) {
    EXPECT_EQ(refuse_fast("\x81\xa1k\xdd\xff\xff\xff\xff"),
              "limit: array longer than 1024 elements");
}

TEST(codec, claims_nested_without_a_depth_limit_cost_no_more_than_the_frame) {
    // 20,000 nested arrays, each claiming 1,000 elements, under the limits of stored data (no
    // depth limit): honouring each claim as it comes would allocate 800 MB. All the elements
    // the containers claim must fit in the frame's 60,000 bytes, so building stops at the
    // 61st level, and the frame is refused as what it is: truncated.
    std::string frame;
    for (int i = 0; i < 20000; ++i) frame += "\xdc\x03\xe8"s;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
        value out;
        std::string error;
        EXPECT_FALSE(decode_msgpack(frame, decode_limits::trusted(), out, error));
        EXPECT_EQ(error, "decode: truncated MessagePack (60000 bytes)");
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(codec, deep_nesting_claim_is_a_limit) {
    EXPECT_EQ(refuse_fast(std::string(100000, '\x91')), "limit: nesting deeper than 8 levels");
}

TEST(codec, reason_text_replaces_bytes_that_are_not_utf8) {
    EXPECT_EQ(reason_text("sales\xff.order"), "sales?.order");
    EXPECT_EQ(reason_text("\xc0\xaf\xed\xa0\x80"), "?????");  // overlong '/', a surrogate
    EXPECT_EQ(reason_text("cut \xe4\xb8"), "cut ??");         // a sequence cut short
    EXPECT_TRUE(is_utf8(reason_text("\x80\xbf\xfe\xf8\x88\x80\x80\x80")));
}

TEST(codec, reason_text_replaces_c0_del_and_c1_controls) {
    EXPECT_EQ(reason_text("a\x1b]0;x\x07z"), "a?]0;x?z");
    EXPECT_EQ(reason_text("del\x7f"), "del?");
    EXPECT_EQ(reason_text("csi\xc2\x9b"
                          "31m"),
              "csi?31m");
}

TEST(codec, reason_text_keeps_printable_utf8_and_clips_between_sequences) {
    EXPECT_EQ(reason_text("订单 Müller"), "订单 Müller");
    // 64 bytes allowed: 21 three-byte characters fit (63 bytes), the 22nd would be cut.
    std::string chinese;
    for (int i = 0; i < 30; ++i) chinese += "订";
    const std::string clipped = reason_text(chinese);
    EXPECT_EQ(clipped, chinese.substr(0, 63) + "...");
    EXPECT_TRUE(is_utf8(clipped));
    EXPECT_EQ(reason_text(std::string(64, 'x')), std::string(64, 'x'));
    EXPECT_EQ(reason_text(std::string(65, 'x')), std::string(64, 'x') + "...");
}

}  // namespace
}  // namespace baton
