// The envelope compressor: runs of envelopes are compressed plainly until a dictionary is
// trained on the first of them; then even one is packed to a fraction and unpacked byte for
// byte, and a frame whose dictionary is unknown, or that is cut short, is an error naming why.
#include "envelope_compressor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "envelope.h"
#include "events.h"

namespace baton {
namespace {

// Envelopes as a plant sends them: every topic of an order's life, distinct ids and orders.
std::vector<std::string> plant_envelopes(int orders) {
    std::vector<std::string> out;
    for (int i = 0; i < orders; ++i) {
        const std::string order = "SO-2026-" + std::to_string(100000 + i * 7);
        out.push_back(encode_envelope(testing::order_placed("p-" + std::to_string(i), order)));
        out.push_back(encode_envelope(testing::credit_approved("c-" + std::to_string(i), order)));
        out.push_back(encode_envelope(testing::completed("d-" + std::to_string(i), order)));
    }
    return out;
}

// Offers envelopes until a dictionary comes back from the trainer's thread.
const envelope_dictionary* train(envelope_compressor& c, const std::vector<std::string>& es) {
    for (const auto& e : es) c.sample(e);
    for (int i = 0; i < 3000; ++i) {
        if (const envelope_dictionary* d = c.trained()) return d;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return nullptr;
}

// Before a dictionary exists, a pack of many envelopes is compressed plainly (it has history of
// its own) and read back byte for byte; bytes zstd cannot shrink are stored as they are.
TEST(envelope_compressor, without_a_dictionary_a_run_of_envelopes_is_compressed_plainly) {
    envelope_compressor c;
    const auto es = plant_envelopes(40);
    std::string run;
    for (const auto& e : es) {
        c.sample(e);
        run += e;
    }
    EXPECT_FALSE(c.writing());
    EXPECT_EQ(c.trained(), nullptr);  // far from enough samples
    const std::string stored(c.pack(run));
    ASSERT_TRUE(envelope_compressor::is_packed(stored));
    EXPECT_LT(stored.size() * 3, run.size()) << stored.size() << " of " << run.size();
    EXPECT_EQ(c.unpack(stored), run);
    const std::string noise = "\x93\x01\x02\x03";  // too short to shrink
    EXPECT_EQ(c.pack(noise), noise);
    EXPECT_EQ(c.unpack(noise), noise);
    EXPECT_FALSE(envelope_compressor::is_packed(es[0]));
}

TEST(envelope_compressor, a_dictionary_trained_on_the_first_envelopes_packs_later_ones_small) {
    envelope_compressor c(128 * 1024);
    const auto es = plant_envelopes(2000);
    const envelope_dictionary* d = train(c, es);
    ASSERT_NE(d, nullptr);
    EXPECT_GT(d->id, 0u);
    EXPECT_GT(d->bytes.size(), 1000u);
    // Until the caller has stored it, only packing "with the trained one" uses it.
    const std::string with_trained(c.pack(es[0], true));
    EXPECT_TRUE(envelope_compressor::is_packed(with_trained));
    // Readable before promote(): a reader may see the commit that stores it before the writer
    // promotes it.
    EXPECT_EQ(c.unpack(with_trained), es[0]);
    EXPECT_GT(c.pack(es[0]).size(), with_trained.size());
    c.promote();
    ASSERT_TRUE(c.writing());
    const auto later = plant_envelopes(2600);  // the last 600 orders were never samples
    std::size_t raw = 0, packed = 0;
    for (std::size_t i = 6000; i < later.size(); ++i) {
        const std::string stored(c.pack(later[i]));
        ASSERT_TRUE(envelope_compressor::is_packed(stored)) << i;
        raw += later[i].size();
        packed += stored.size();
        ASSERT_EQ(c.unpack(stored), later[i]) << i;
    }
    EXPECT_LT(packed * 2, raw) << packed << " of " << raw << " bytes";
}

TEST(envelope_compressor, a_frame_whose_dictionary_is_unknown_or_cut_short_is_an_error) {
    envelope_compressor c(128 * 1024);
    const auto es = plant_envelopes(2000);
    const envelope_dictionary* d = train(c, es);
    ASSERT_NE(d, nullptr);
    const envelope_dictionary kept = *d;  // as the store's table keeps it
    c.promote();
    const std::string stored(c.pack(es[5]));
    envelope_compressor other;
    try {
        (void)other.unpack(stored);
        FAIL() << "a frame of an unknown dictionary was read";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "stored compressed with dictionary " +
                                             std::to_string(kept.id) +
                                             ", which the store does not hold");
    }
    // Given the dictionary (a reopened store loads its table), it reads the frame.
    other.add(kept, false);
    EXPECT_EQ(other.unpack(stored), es[5]);
    EXPECT_FALSE(other.writing());
    for (std::size_t cut = 4; cut < stored.size(); cut += 3)
        EXPECT_THROW((void)c.unpack(stored.substr(0, cut)), std::runtime_error) << cut;
}

}  // namespace
}  // namespace baton
