// Tests of event_ref (daemon/orders/event_ref.h): every id reads back as the text it was given,
// whichever form it is kept in, and two refs are equal exactly when their texts are.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "event_ref.h"

namespace baton {
namespace {

const std::string uuid = "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6d";

// Ids of each form: empty, short text, text at the inline limit and past it, a UUID, and texts
// that are nearly a UUID (so they stay text).
std::vector<std::string> ids() {
    return {"",
            "p-3",
            std::string(22, 'x'),
            std::string(23, 'y'),
            std::string(200, 'z'),
            uuid,
            "0D6F3A4E-8F1B-4C2A-9E7D-5B3C1A2F4E6D",   // upper case
            "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6",    // a digit short
            "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6dd",  // a digit over
            "0d6f3a4e08f1b-4c2a-9e7d-5b3c1a2f4e6d",   // a dash missing
            "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6g",   // not hex
            "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e-d",   // a dash in the digits
            "订单事件-0001"};
}

TEST(event_ref, every_id_reads_back_as_its_text) {
    for (const auto& id : ids()) {
        const event_ref r(id);
        EXPECT_EQ(r.str(), id);
        EXPECT_EQ(r.empty(), id.empty()) << id;
        EXPECT_TRUE(r == id) << id;
        EXPECT_TRUE(r == std::string_view(id)) << id;
        EXPECT_TRUE(r == id.c_str()) << id;
    }
}

TEST(event_ref, only_a_canonical_uuid_is_kept_as_its_bytes) {
    const event_ref r(uuid);
    ASSERT_TRUE(r.is_uuid());
    EXPECT_EQ(r.uuid(),
              std::string("\x0d\x6f\x3a\x4e\x8f\x1b\x4c\x2a\x9e\x7d\x5b\x3c\x1a\x2f\x4e\x6d", 16));
    EXPECT_EQ(event_ref::from_uuid(r.uuid().data()), r);
    EXPECT_EQ(event_ref::from_uuid(r.uuid().data()).str(), uuid);
    for (const auto& id : ids())
        if (id != uuid) {
            EXPECT_FALSE(event_ref(id).is_uuid()) << id;
        }
}

// A dash where a digit goes is not a UUID, whatever follows the text in memory: the text is
// read as a view of the first 36 bytes of a longer one.
TEST(event_ref, a_dash_among_the_digits_is_text_even_before_a_hex_digit) {
    const std::string longer = "0d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e-da";
    for (const std::size_t dash : {24u, 26u, 30u, 34u}) {
        std::string text = uuid + "a";
        text[dash] = '-';
        const std::string_view view(text.data(), 36);
        const event_ref r(view);
        EXPECT_FALSE(r.is_uuid()) << text;
        EXPECT_EQ(r.str(), view);
        EXPECT_TRUE(r == std::string(view));
        EXPECT_FALSE(r == uuid);
    }
    EXPECT_FALSE(event_ref(std::string_view(longer.data(), 36)).is_uuid());
}

TEST(event_ref, refs_are_equal_exactly_when_their_texts_are) {
    const auto all = ids();
    for (const auto& a : all)
        for (const auto& b : all) {
            EXPECT_EQ(event_ref(a) == event_ref(b), a == b) << a << " / " << b;
            EXPECT_EQ(event_ref(a) == b, a == b) << a << " / " << b;
        }
    // The same UUID differing in one byte, and a UUID against text that is not one.
    EXPECT_FALSE(event_ref(uuid) == "1d6f3a4e-8f1b-4c2a-9e7d-5b3c1a2f4e6d");
    EXPECT_FALSE(event_ref(uuid) == "p-3");
    EXPECT_FALSE(event_ref("p-3") == uuid);
}

TEST(event_ref, copies_and_moves_keep_the_id_and_leave_the_source_usable) {
    for (const auto& id : ids()) {
        event_ref a(id);
        event_ref b(a);  // copy
        EXPECT_EQ(b.str(), id);
        event_ref c(std::move(a));  // move: the source is left empty
        EXPECT_EQ(c.str(), id);
        EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented state
        a = c;                   // copy-assign into a moved-from ref
        EXPECT_EQ(a.str(), id);
        for (const auto& other : ids()) {
            event_ref d(other);
            d = a;  // copy-assign over each form (a heap block is released)
            EXPECT_EQ(d.str(), id);
            event_ref e(other);
            e = std::move(d);  // move-assign over each form
            EXPECT_EQ(e.str(), id);
        }
        const event_ref& same = a;
        a = same;  // self-assignment keeps it
        EXPECT_EQ(a.str(), id);
    }
}

TEST(event_ref, prints_as_its_text) {
    std::ostringstream out;
    out << event_ref(uuid) << ' ' << event_ref("p-3");
    EXPECT_EQ(out.str(), uuid + " p-3");
}

}  // namespace
}  // namespace baton
