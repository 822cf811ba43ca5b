// Tests of daemon/batch: the batch stage without sockets, on a fake clock. Events are acked only
// by the commit that stores them, duplicates are acked and never applied twice, the batch is due
// at its size or its age, a failing store acks nothing and keeps the batch, timers and people's
// actions join the batch.
#include "batch.h"

#include <gtest/gtest.h>

#include <string>

#include "daemon_harness.h"
#include "events.h"
#include "fake_clock.h"
#include "temp_dir.h"

namespace baton {
namespace {

using testing::fake_clock;

struct stage_fixture {
    explicit stage_fixture(std::size_t max_events = 4) {
        config c = testing::test_config(dir);
        c.batch.max_events = max_events;
        c.batch.max_wait_us = 2000;
        state = std::make_unique<daemon_state>(c, load_inputs(c), clock);
        stage = std::make_unique<batch_stage>(*state);
    }
    admission accept(const envelope& e, const std::string& peer = "peer-1") {
        return stage->accept(e, encode_envelope(e), origin::ingest, &peer);
    }

    testing::temp_dir dir;
    fake_clock clock;
    std::unique_ptr<daemon_state> state;
    std::unique_ptr<batch_stage> stage;
};

TEST(batch_stage, events_are_acked_only_by_the_commit_that_stores_them) {
    stage_fixture f;
    EXPECT_EQ(f.accept(testing::order_placed("e1", "SO-1")), admission::batched);
    EXPECT_EQ(f.accept(testing::order_placed("e2", "SO-2")), admission::batched);
    EXPECT_EQ(f.state->store.last_seq(), 0);  // applied, not yet stored
    EXPECT_EQ(f.stage->events(), 2u);
    auto done = f.stage->commit();
    ASSERT_TRUE(done);
    ASSERT_EQ(done->acks.size(), 2u);
    EXPECT_EQ(done->acks[0].id, "e1");
    EXPECT_EQ(done->acks[1].id, "e2");
    EXPECT_EQ(done->acks[0].peer, "peer-1");
    EXPECT_FALSE(done->relayed.empty());  // what the orders relay goes out after the commit
    EXPECT_EQ(f.state->store.last_seq(), 2);
    EXPECT_EQ(f.state->store.last_relay_seq(), done->relayed.back().seq);
    EXPECT_EQ(f.state->stats.accepted, 2u);
    EXPECT_TRUE(f.stage->empty());
}

TEST(batch_stage, a_duplicate_is_acked_and_never_applied_twice) {
    stage_fixture f;
    f.accept(testing::order_placed("e1", "SO-1"));
    EXPECT_EQ(f.accept(testing::order_placed("e1", "SO-1"), "peer-2"),
              admission::duplicate_pending);
    auto first = f.stage->commit();
    ASSERT_TRUE(first);
    ASSERT_EQ(first->acks.size(), 2u);  // the resend is acked with the batch
    EXPECT_EQ(first->acks[1].peer, "peer-2");
    EXPECT_EQ(f.accept(testing::order_placed("e1", "SO-1")), admission::duplicate_committed);
    EXPECT_TRUE(f.stage->empty());
    EXPECT_EQ(f.state->stats.duplicates, 2u);
    EXPECT_EQ(f.state->engine.find("SO-1")->events.size(), 1u);
}

TEST(batch_stage, the_batch_is_due_at_its_age_or_full_at_its_size) {
    stage_fixture f(3);
    EXPECT_FALSE(f.stage->due(f.clock.steady_us()));  // nothing in it: never due
    f.accept(testing::order_placed("e1", "SO-1"));
    EXPECT_FALSE(f.stage->due(f.clock.steady_us()));
    f.clock.advance_us(1999);
    EXPECT_FALSE(f.stage->due(f.clock.steady_us()));
    f.clock.advance_us(1);
    EXPECT_TRUE(f.stage->due(f.clock.steady_us()));
    f.accept(testing::order_placed("e2", "SO-2"));
    EXPECT_FALSE(f.stage->full());
    f.accept(testing::order_placed("e3", "SO-3"));
    EXPECT_TRUE(f.stage->full());
}

// Caps the store at its current size (as a full disk) and fills the open batch with more than
// the free room of its pages.
void fill_a_full_disk(stage_fixture& f, int events) {
    f.state->store.set_max_bytes(1);
    for (int i = 0; i < events; ++i)
        f.accept(testing::order_placed("big-" + std::to_string(i), "SO-B" + std::to_string(i)));
}

TEST(batch_stage, a_failing_store_acks_nothing_keeps_the_batch_and_commits_it_later) {
    stage_fixture f(1000);
    f.accept(testing::order_placed("e1", "SO-1"));
    ASSERT_TRUE(f.stage->commit());
    fill_a_full_disk(f, 200);
    EXPECT_FALSE(f.stage->commit());
    EXPECT_TRUE(f.stage->storage_failing());
    EXPECT_EQ(f.state->stats.commit_failures, 1u);
    EXPECT_EQ(f.stage->retry_due_us(), f.clock.steady_us() + 1000000);
    EXPECT_NE(f.stage->act(desk_action::ack, 1, "m.weber", ""), "");  // people wait too
    f.state->store.set_max_bytes(0);
    auto done = f.stage->commit();
    ASSERT_TRUE(done);
    ASSERT_EQ(done->acks.size(), 200u);
    EXPECT_EQ(done->acks[0].id, "big-0");
    EXPECT_FALSE(f.stage->storage_failing());
    EXPECT_EQ(f.state->store.last_seq(), 201);
}

TEST(batch_stage, dropping_the_waiting_batch_says_how_many_events_it_held) {
    stage_fixture f(1000);
    fill_a_full_disk(f, 200);
    EXPECT_FALSE(f.stage->commit());
    EXPECT_EQ(f.stage->drop(), 200u);
    EXPECT_TRUE(f.stage->empty());
}

TEST(batch_stage, a_passed_deadline_joins_the_batch_and_goes_out_with_its_commit) {
    stage_fixture f;
    f.accept(testing::order_placed("e1", "SO-1"));
    ASSERT_TRUE(f.stage->commit());
    EXPECT_FALSE(f.stage->on_time());  // nothing is due yet
    f.clock.advance_ms(30LL * 24 * 3600 * 1000);
    ASSERT_TRUE(f.stage->on_time());
    auto done = f.stage->commit();
    ASSERT_TRUE(done);
    EXPECT_TRUE(done->acks.empty());
    bool exception_relayed = false;
    for (const auto& m : done->relayed)
        exception_relayed = exception_relayed || m.topic.rfind("exception.", 0) == 0;
    EXPECT_TRUE(exception_relayed);
    EXPECT_GT(f.state->store.last_feed_seq(), 0u);
    EXPECT_GT(f.state->desk.open_exceptions(), 0u);
}

TEST(batch_stage, a_person_acts_on_a_known_exception_only) {
    stage_fixture f;
    EXPECT_EQ(f.stage->act(desk_action::ack, 99, "m.weber", ""), "exception E-99 is not known");
    f.accept(testing::order_placed("e1", "SO-1"));
    f.clock.advance_ms(30LL * 24 * 3600 * 1000);
    f.stage->on_time();
    ASSERT_TRUE(f.stage->commit());
    EXPECT_EQ(f.stage->act(desk_action::ack, 1, "m.weber", "calling"), "");
    EXPECT_FALSE(f.stage->empty());  // the change waits for the caller's commit
    ASSERT_TRUE(f.stage->commit());
    exception_filter all;
    all.state = "acknowledged";
    EXPECT_EQ(f.state->desk.exceptions(all).size(), 1u);
}

}  // namespace
}  // namespace baton
