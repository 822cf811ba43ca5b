// packed_writer and packed_document: what is written is read back by position, and reads of
// the wrong type or past the end are errors, not crashes.
#include "packed.h"

#include <gtest/gtest.h>

#include <limits>

#include "codec.h"

namespace baton {
namespace {

// A stored envelope's few fields in one pass: only the top level's string values of the named
// keys, not the same names deeper down, not values of another type; anything but one whole map
// is refused.
TEST(packed, the_named_strings_of_a_top_level_map_are_read_in_one_pass) {
    std::string bytes;
    packed_writer w(bytes);
    w.map(5);
    w.str("data");  // nested first: its "id" and "topic" are not the envelope's
    w.map(2);
    w.str("id");
    w.str("line-7");
    w.str("topic");
    w.array(1);
    w.str("nested");
    w.str("id");
    w.str("evt-1");
    w.str("order");
    w.integer(42);  // not a string: left as it was
    w.str("topic");
    w.str("生产.挤压.完成");
    w.str("source");
    w.nil();
    const std::string_view names[] = {"topic", "id", "order", "source", "absent"};
    std::string_view out[5] = {"", "", "kept", "", "kept too"};
    ASSERT_TRUE(packed_map_strings(bytes, names, 5, out));
    EXPECT_EQ(out[0], "生产.挤压.完成");
    EXPECT_EQ(out[1], "evt-1");
    EXPECT_EQ(out[2], "kept");
    EXPECT_EQ(out[3], "");
    EXPECT_EQ(out[4], "kept too");

    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        EXPECT_FALSE(packed_map_strings(bytes.substr(0, cut), names, 5, out)) << cut;
    EXPECT_FALSE(packed_map_strings(bytes + '\x01', names, 5, out));  // trailing
    std::string list;
    packed_writer lw(list);
    lw.array(2);
    lw.str("topic");
    lw.str("x");
    std::string_view untouched[5];
    EXPECT_FALSE(packed_map_strings(list, names, 5, untouched));
    for (const auto& u : untouched) EXPECT_TRUE(u.empty()) << u;
    // A key that is not a string names nothing: the string after it goes nowhere.
    std::string odd;
    packed_writer ow(odd);
    ow.map(1);
    ow.integer(1);
    ow.str("not a topic");
    ASSERT_TRUE(packed_map_strings(odd, names, 5, untouched));
    for (const auto& u : untouched) EXPECT_TRUE(u.empty()) << u;
    EXPECT_FALSE(packed_map_strings("\xc1", names, 5, out));  // never used in MessagePack
}

TEST(packed, what_is_written_is_read_back_by_position) {
    std::string bytes;
    packed_writer w(bytes);
    w.array(6);
    w.nil();
    w.boolean(true);
    w.integer(std::numeric_limits<std::int64_t>::min());
    w.str("铝型材");
    w.bin(std::string("\0\1\2", 3));
    w.array(1);
    w.integer(7);
    packed_document doc;
    std::string error;
    ASSERT_TRUE(doc.parse(bytes, error)) << error;
    const packed_value root = doc.root();
    ASSERT_EQ(root.size(), 6u);
    EXPECT_TRUE(root.at(0).is_nil());
    EXPECT_TRUE(root.at(1).as_bool());
    EXPECT_EQ(root.at(2).as_int(), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(root.at(3).as_str(), "铝型材");
    EXPECT_EQ(root.at(4).as_bin(), std::string("\0\1\2", 3));
    EXPECT_EQ(root.at(5).at(0).as_int(), 7);
    // The same bytes are ordinary MessagePack (except bin, which values refuse).
    value v;
    EXPECT_FALSE(decode_msgpack(bytes, decode_limits::trusted(), v, error));
    EXPECT_EQ(error, "decode: bin values are not accepted");
}

TEST(packed, integers_take_their_shortest_form) {
    std::string bytes;
    packed_writer w(bytes);
    w.integer(5);
    EXPECT_EQ(bytes.size(), 1u);
    bytes.clear();
    w.integer(-1);
    EXPECT_EQ(bytes.size(), 1u);
    bytes.clear();
    w.integer(1796196924304);
    EXPECT_EQ(bytes.size(), 9u);
}

TEST(packed, wrong_types_and_missing_items_are_errors) {
    std::string bytes;
    packed_writer w(bytes);
    w.array(1);
    w.str("x");
    packed_document doc;
    std::string error;
    ASSERT_TRUE(doc.parse(bytes, error)) << error;
    try {
        (void)doc.root().at(0).as_int();
        FAIL();
    } catch (const packed_error& e) {
        EXPECT_STREQ(e.what(), "expected int, got str");
    }
    try {
        (void)doc.root().at(1);
        FAIL();
    } catch (const packed_error& e) {
        EXPECT_STREQ(e.what(), "item 1 is missing (the array has 1)");
    }
    EXPECT_THROW((void)doc.root().at(0).size(), packed_error);
}

TEST(packed, an_integer_above_int64_is_an_error) {
    const std::string bytes("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9);
    packed_document doc;
    std::string error;
    ASSERT_TRUE(doc.parse(bytes, error)) << error;
    EXPECT_THROW((void)doc.root().as_int(), packed_error);
}

TEST(packed, truncated_trailing_and_empty_bytes_are_refused) {
    packed_document doc;
    std::string error;
    EXPECT_FALSE(doc.parse("", error));
    EXPECT_EQ(error, "empty");
    EXPECT_FALSE(doc.parse(std::string("\x92\x01", 2), error));
    EXPECT_EQ(error, "truncated MessagePack (2 bytes)");
    EXPECT_FALSE(doc.parse(std::string("\x01\x02", 2), error));
    EXPECT_EQ(error, "1 trailing bytes after the MessagePack object");
    EXPECT_FALSE(doc.parse(std::string("\xc1", 1), error));
    EXPECT_NE(error.find("not valid MessagePack"), std::string::npos) << error;
}

// What `write` writes through a packed_writer, and through a packed_cursor in `size` bytes
// made with extend: the same bytes, and the cursor ends at the end.
template <typename Write>
void expect_same_bytes(std::size_t size, Write write, const std::string& what) {
    std::string expected, got;
    packed_writer appended(expected);
    write(appended);
    packed_writer w(got);
    packed_cursor c(w.extend(size));
    write(c);
    EXPECT_EQ(c.end(), got.data() + got.size()) << what;
    EXPECT_EQ(got, expected) << what;
}

// packed_cursor writes in place what packed_writer appends, byte for byte, at every boundary
// of MessagePack's forms; the sizes it is given are exact.
TEST(packed, cursor_writes_what_the_writer_appends_at_every_boundary) {
    const std::int64_t ints[] = {0,
                                 1,
                                 127,
                                 128,
                                 255,
                                 256,
                                 65535,
                                 65536,
                                 4294967295LL,
                                 4294967296LL,
                                 std::numeric_limits<std::int64_t>::max(),
                                 -1,
                                 -32,
                                 -33,
                                 -128,
                                 -129,
                                 -32768,
                                 -32769,
                                 -2147483648LL,
                                 -2147483649LL,
                                 std::numeric_limits<std::int64_t>::min()};
    for (const std::int64_t n : ints)
        expect_same_bytes(
            packed_int_size(n), [&](auto& out) { out.integer(n); }, "int " + std::to_string(n));
    const std::uint64_t uints[] = {0,     127,   128,         255,         256,
                                   65535, 65536, 4294967295u, 4294967296u, ~std::uint64_t{0}};
    for (const std::uint64_t n : uints)
        expect_same_bytes(
            packed_uint_size(n), [&](auto& out) { out.uinteger(n); }, "uint " + std::to_string(n));
    for (const std::size_t len : {0, 1, 31, 32, 255, 256, 65535, 65536}) {
        const std::string s(len, 'x');
        expect_same_bytes(
            packed_str_size(len), [&](auto& out) { out.str(s); }, "str of " + std::to_string(len));
    }
    for (const std::size_t n : {0, 15, 16, 65535, 65536}) {
        expect_same_bytes(
            packed_map_size(n), [&](auto& out) { out.map(n); }, "map of " + std::to_string(n));
        expect_same_bytes(
            packed_array_size(n), [&](auto& out) { out.array(n); },
            "array of " + std::to_string(n));
    }
    // A view with no data (null, under UBSan a memcpy from it would be an error).
    expect_same_bytes(
        packed_str_size(0), [&](auto& out) { out.str(std::string_view{}); }, "an empty view");
    for (const bool b : {false, true})
        expect_same_bytes(
            packed_bool_field_size("new_die"), [&](auto& out) { out.bool_field("new_die", b); },
            "bool field");
}

TEST(packed, extend_keeps_what_was_written_before) {
    std::string bytes = "ab";
    packed_writer w(bytes);
    packed_cursor c(w.extend(packed_str_size(2)));
    c.str("cd");
    EXPECT_EQ(bytes, std::string("ab\xa2"
                                 "cd"));
}

}  // namespace
}  // namespace baton
