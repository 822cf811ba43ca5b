// packed_writer and packed_document: what is written is read back by position, and reads of
// the wrong type or past the end are errors, not crashes.
#include "packed.h"

#include <gtest/gtest.h>

#include <limits>

#include "codec.h"

namespace baton {
namespace {

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

}  // namespace
}  // namespace baton
