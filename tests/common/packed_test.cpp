// packed_writer and packed_document: what is written is read back by position, and reads of
// the wrong type or past the end are errors, not crashes.
#include "packed.h"

#include <gtest/gtest.h>

#include <limits>

#include "codec.h"

namespace baton {
namespace {

// Integers at every boundary between MessagePack's integer forms.
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

// packed_reader reads every form packed_writer writes, at each boundary between forms.
TEST(packed_reader, reads_every_form_back_at_the_boundaries) {
    const std::size_t lengths[] = {0, 1, 31, 32, 255, 256, 65535, 65536};
    const std::size_t counts[] = {0, 15, 16, 65535, 65536};
    std::string bytes;
    packed_writer w(bytes);
    for (const std::int64_t n : ints) w.integer(n);
    for (const std::size_t n : lengths) w.str(std::string(n, 's'));
    for (const std::size_t n : lengths) w.bin(std::string(n, '\x01'));
    for (const std::size_t n : counts) w.array(n);
    for (const std::size_t n : counts) w.map(n);
    w.nil();
    w.boolean(true);

    packed_reader in(bytes);
    for (const std::int64_t n : ints) {
        ASSERT_TRUE(in.next_is_int()) << n;
        EXPECT_STREQ(in.next_type_name(), "int");
        EXPECT_EQ(in.integer(), n);
    }
    for (const std::size_t n : lengths) {
        ASSERT_TRUE(in.next_is_str()) << n;
        EXPECT_EQ(in.str(), std::string(n, 's'));
    }
    for (const std::size_t n : lengths) {
        ASSERT_TRUE(in.next_is_bin()) << n;
        EXPECT_EQ(in.bin(), std::string(n, '\x01'));
    }
    for (const std::size_t n : counts) EXPECT_EQ(in.array(), n);
    for (const std::size_t n : counts) EXPECT_EQ(in.map(), n);
    EXPECT_TRUE(in.next_is_nil());
    in.nil();
    EXPECT_STREQ(in.next_type_name(), "bool");
    in.skip();
    EXPECT_TRUE(in.at_end());
    EXPECT_EQ(in.left(), 0u);
}

TEST(packed_reader, numbers_come_from_ints_and_floats) {
    // float64 1.5, float32 0.25, uint64 2^64-1 (a number, not an int64), int8 -5.
    const std::string bytes(
        "\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"
        "\xca\x3e\x80\x00\x00"
        "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xd0\xfb",
        25);
    packed_reader in(bytes);
    EXPECT_STREQ(in.next_type_name(), "float");
    EXPECT_TRUE(in.next_is_number());
    EXPECT_FALSE(in.next_is_int());
    EXPECT_EQ(in.number(), 1.5);
    EXPECT_EQ(in.number(), 0.25);
    packed_reader big = in;
    EXPECT_EQ(in.number(), 18446744073709551615.0);
    try {
        big.integer();
        ADD_FAILURE() << "2^64-1 read as an int64";
    } catch (const packed_error& e) {
        EXPECT_STREQ(e.what(), "integer 18446744073709551615 is above 2^63-1");
    }
    EXPECT_EQ(in.number(), -5.0);
    EXPECT_TRUE(in.at_end());
}

TEST(packed_reader, a_read_of_another_type_names_both) {
    std::string bytes;
    packed_writer w(bytes);
    w.integer(7);
    packed_reader in(bytes);
    auto error = [&](auto read) {
        packed_reader at = in;
        try {
            read(at);
        } catch (const packed_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(error([](packed_reader& r) { r.str(); }), "expected str, got int");
    EXPECT_EQ(error([](packed_reader& r) { r.bin(); }), "expected bin, got int");
    EXPECT_EQ(error([](packed_reader& r) { r.array(); }), "expected array, got int");
    EXPECT_EQ(error([](packed_reader& r) { r.map(); }), "expected map, got int");
    EXPECT_EQ(error([](packed_reader& r) { r.nil(); }), "expected nil, got int");
    EXPECT_EQ(in.integer(), 7);  // the failed reads moved nothing
    EXPECT_EQ(error([](packed_reader& r) { r.integer(); }), "truncated MessagePack (1 bytes)");
    const std::string c1("\xc1", 1);
    packed_reader bad(c1);
    EXPECT_STREQ(bad.next_type_name(), "unknown");
    EXPECT_THROW(bad.skip(), packed_error);
}

// Every cut of a document inside an item is an error saying so, whichever way it is read;
// skip() walks exactly the one item, however deep.
TEST(packed_reader, bytes_that_end_inside_an_item_are_refused) {
    std::string bytes;
    packed_writer w(bytes);
    w.array(4);
    w.map(2);
    w.str("键");
    w.array(2);
    w.integer(-40000);
    w.bin(std::string(300, 'b'));
    w.str("x");
    w.nil();
    w.str(std::string(40, 'y'));
    w.integer(1LL << 40);
    w.raw(std::string("\xd6\x01\x00\x00\x00\x00", 6));  // fixext 4
    const std::size_t whole = bytes.size();
    bytes += "\x2a";  // a second item after it
    packed_reader in(bytes);
    in.skip();
    EXPECT_EQ(in.left(), 1u);
    EXPECT_EQ(in.integer(), 42);
    for (std::size_t n = 0; n < whole; ++n) {
        const std::string cut = bytes.substr(0, n);
        packed_reader r(cut);
        try {
            r.skip();
            ADD_FAILURE() << "a cut at " << n << " was read whole";
        } catch (const packed_error& e) {
            EXPECT_EQ(std::string(e.what()),
                      "truncated MessagePack (" + std::to_string(n) + " bytes)")
                << n;
        }
    }
}

// What skip() takes as one whole item is what msgpack-cxx's parse (packed_document) takes, over
// many short byte strings of the bytes that start each form. (Not the 32-bit counts: for those
// msgpack-cxx allocates what the count claims before it finds the bytes missing, which the
// sanitizers' allocator refuses; they are read below.)
TEST(packed_reader, skip_agrees_with_the_document_parse) {
    const unsigned char alphabet[] = {0x00, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x91, 0x92, 0x9f, 0xa0,
                                      0xa1, 0xa3, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6,
                                      0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0,
                                      0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
                                      0xdb, 0xdc, 0xde, 0xe0, 0xff, 0x01, 0x02, 0x03};
    std::uint64_t seed = 12345;
    auto next = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::size_t>(seed >> 33);
    };
    for (int round = 0; round < 50000; ++round) {
        std::string bytes(1 + next() % 10, '\0');
        for (auto& c : bytes) c = static_cast<char>(alphabet[next() % sizeof alphabet]);
        packed_document doc;
        std::string error;
        const bool parsed = doc.parse(bytes, error);
        bool skipped = true;
        packed_reader in(bytes);
        try {
            in.skip();
        } catch (const packed_error&) {
            skipped = false;
        }
        EXPECT_EQ(skipped && in.at_end(), parsed) << testing::PrintToString(bytes) << " " << error;
    }
    // 32-bit counts: what they hold is skipped; a count past the bytes is refused, with nothing
    // allocated for it.
    for (const std::string& whole : {std::string("\xdd\x00\x00\x00\x02\x01\xa1x", 8),
                                     std::string("\xdf\x00\x00\x00\x01\xa1k\xc0", 8)}) {
        packed_reader in(whole);
        in.skip();
        EXPECT_TRUE(in.at_end());
    }
    for (const std::string& claims : {std::string("\xdd\xff\xff\xff\xff\x01", 6),
                                      std::string("\xdf\xff\xff\xff\xff\xa1k\xc0", 8)}) {
        packed_reader in(claims);
        EXPECT_THROW(in.skip(), packed_error);
    }
}

// packed_whole and packed_acceptable, the check without a tree, say of every byte string what
// packed_document's parse and accepted say, in the same words: over many short strings of map,
// list and string headers, two letters, bytes that are not UTF-8, bins and exts. (Only the
// reason for a byte that starts no item is worded otherwise: msgpack-cxx's "parse error".)
TEST(packed, the_check_without_a_tree_agrees_with_the_document) {
    const unsigned char alphabet[] = {0x81, 0x82, 0x83, 0x80, 0x91, 0x92, 0x90, 0xa1, 0xa1, 0xa2,
                                      'x',  'y',  'x',  0xff, 0xc3, 0xc0, 0x01, 0xc4, 0xd4, 0xc1};
    std::uint64_t seed = 777;
    auto next = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::size_t>(seed >> 33);
    };
    int accepted = 0, refused_inside = 0;
    for (int round = 0; round < 100000; ++round) {
        std::string bytes(next() % 13, '\0');
        for (auto& c : bytes) c = static_cast<char>(alphabet[next() % sizeof alphabet]);
        packed_document doc;
        std::string doc_error, error;
        bool doc_ok = doc.parse(bytes, doc_error);
        const bool parsed = doc_ok;
        if (doc_ok) doc_ok = doc.root().accepted(doc_error);
        bool ok = packed_whole(bytes, error);
        ASSERT_EQ(ok, parsed) << testing::PrintToString(bytes) << " " << doc_error << " / "
                              << error;
        if (ok) ok = packed_acceptable(bytes, error);
        ASSERT_EQ(ok, doc_ok) << testing::PrintToString(bytes) << " " << doc_error << " / "
                              << error;
        if (doc_error.find("not valid MessagePack") == std::string::npos) {
            EXPECT_EQ(error, doc_error) << testing::PrintToString(bytes);
        }
        accepted += ok;
        refused_inside += parsed && !ok;
    }
    // The strings reach both sides of each check.
    EXPECT_GT(accepted, 1000);
    EXPECT_GT(refused_inside, 1000);
}

// Nested as deep as the bytes go, without recursion; a count past the bytes is refused by the
// shape check, with nothing allocated for it.
TEST(packed, the_check_without_a_tree_takes_any_depth_and_no_count_on_trust) {
    std::string deep(200000, '\x91');
    deep += '\xc0';
    std::string error;
    EXPECT_TRUE(packed_whole(deep, error)) << error;
    EXPECT_TRUE(packed_acceptable(deep, error)) << error;
    deep.back() = '\xc4';  // a bin at the bottom
    EXPECT_FALSE(packed_whole(deep, error));
    deep += std::string("\x01x", 2);
    EXPECT_TRUE(packed_whole(deep, error)) << error;
    EXPECT_FALSE(packed_acceptable(deep, error));
    EXPECT_EQ(error, "decode: bin values are not accepted");
    EXPECT_FALSE(packed_whole(std::string("\xdd\xff\xff\xff\xff\x01", 6), error));
    EXPECT_EQ(error, "truncated MessagePack (6 bytes)");
    EXPECT_FALSE(packed_whole(std::string("\x81\xa1k\xdf\xff\xff\xff\xff", 8), error));
    EXPECT_EQ(error, "truncated MessagePack (8 bytes)");
}

}  // namespace
}  // namespace baton
