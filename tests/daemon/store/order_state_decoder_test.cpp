// The start-up decoder of order states: every row comes back once, in the order given, decoded
// on helper threads, with the unreadable ones named, whatever the chunk size and the number of
// helpers (so whatever order the chunks finish in).
#include "order_state_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "order_state.h"

namespace baton {
namespace {

struct row {
    std::string id;
    std::string stage;  // "" for an unreadable row
};

TEST(order_state_decoder, rows_come_back_in_the_order_given_with_the_unreadable_named) {
    for (std::size_t helpers : {1u, 2u, 5u})
        for (std::size_t chunk : {1u, 3u, 64u, 5000u}) {
            SCOPED_TRACE("chunk of " + std::to_string(chunk) + ", " + std::to_string(helpers) +
                         " helpers");
            std::vector<row> got;
            {
                order_state_decoder d(
                    [&](decoded_order& row) {
                        const std::string& id = row.node.key();
                        if (!row.error.empty()) {
                            EXPECT_NE(row.error.find("truncated MessagePack"), std::string::npos)
                                << row.error;
                            got.push_back({id, ""});
                        } else {
                            EXPECT_EQ(row.node.mapped().id, id);
                            got.push_back({id, row.node.mapped().stage.str()});
                        }
                    },
                    chunk, helpers);
                for (int i = 0; i < 2000; ++i) {
                    order o;
                    o.id = "SO-" + std::to_string(i % 700);  // ids come again: order matters
                    o.stage = "stage-" + std::to_string(i);
                    std::string bytes = encode_order_state(o);
                    if (i % 97 == 5) bytes.resize(bytes.size() / 2);  // cut: unreadable
                    d.add(o.id, bytes);
                }
                d.finish();
            }
            ASSERT_EQ(got.size(), 2000u);
            for (int i = 0; i < 2000; ++i) {
                EXPECT_EQ(got[i].id, "SO-" + std::to_string(i % 700)) << i;
                EXPECT_EQ(got[i].stage, i % 97 == 5 ? "" : "stage-" + std::to_string(i)) << i;
            }
        }
}

TEST(order_state_decoder, a_decoder_left_before_finishing_stops_its_helper) {
    int delivered = 0;
    {
        order_state_decoder d([&](decoded_order&) { ++delivered; }, 4);
        order o;
        o.id = "SO-1";
        for (int i = 0; i < 10; ++i) d.add(o.id, encode_order_state(o));
        // No finish(): as when reading the snapshot log fails half way.
    }
    EXPECT_LE(delivered, 10);
}

// What throws on a helper's thread (here: an order marked placed without its placed milestone,
// as a damaged state can say) makes the row unreadable, with why, instead of ending the process.
TEST(order_state_decoder, a_row_that_throws_is_unreadable_and_says_why) {
    order damaged;
    damaged.id = "SO-9";
    damaged.customer = "C-1";
    damaged.placed = true;  // and no milestones
    order fine;
    fine.id = "SO-10";
    std::vector<std::string> errors;
    order_state_decoder d([&](decoded_order& row) { errors.push_back(row.error); }, 1, 2);
    d.add(damaged.id, encode_order_state(damaged));
    d.add(fine.id, encode_order_state(fine));
    d.finish();
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "milestone placed is not proven");
    EXPECT_EQ(errors[1], "");
}

}  // namespace
}  // namespace baton
