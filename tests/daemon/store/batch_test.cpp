// Tests of daemon/batch: the batch stage without sockets, on a fake clock. Events are acked only
// by the commit that stores them, duplicates are acked and never applied twice, the batch is due
// at its size or its age, a failing store acks nothing and keeps the batch, timers and people's
// actions join the batch. Commits are pipelined: events join the next batch while the writer's
// thread commits one, and a batch committed but never acked (the daemon died between the fsync
// and the acks) is recognised when its events come again.
#include "batch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "daemon_harness.h"
#include "events.h"
#include "fake_clock.h"
#include "recovery.h"
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
        return stage->accept(envelope(e), encode_envelope(e), origin::ingest, &peer);
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

// Pumps until the writer has handed back the batch it was given (real time: its own thread).
void pump_until_committed(batch_stage& stage) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (stage.writing() && std::chrono::steady_clock::now() < give_up) {
        stage.pump();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ASSERT_FALSE(stage.writing()) << "the writer did not finish within 10 s";
}

TEST(batch_stage, events_join_the_next_batch_while_the_writer_commits_the_one_before) {
    stage_fixture f(1000);
    f.accept(testing::order_placed("e1", "SO-1"));
    f.accept(testing::order_placed("e2", "SO-2"));
    f.stage->pump();
    EXPECT_FALSE(f.stage->writing());  // not due yet
    f.clock.advance_us(2000);
    f.stage->pump();
    ASSERT_TRUE(f.stage->writing());  // batch 1 (e1, e2) is with the writer
    EXPECT_EQ(f.stage->events(), 0u);
    // Meanwhile: a new event joins batch 2, and a resend of e1 is acked with batch 1.
    EXPECT_EQ(f.accept(testing::order_placed("e3", "SO-3")), admission::batched);
    EXPECT_EQ(f.accept(testing::order_placed("e1", "SO-1"), "peer-2"),
              admission::duplicate_pending);
    EXPECT_EQ(f.stage->events(), 1u);
    pump_until_committed(*f.stage);
    committed_batch first = f.stage->take_committed();
    ASSERT_EQ(first.acks.size(), 3u);
    EXPECT_EQ(first.acks[0].id, "e1");
    EXPECT_EQ(first.acks[1].id, "e2");
    EXPECT_EQ(first.acks[2].peer, "peer-2");
    EXPECT_FALSE(first.relayed.empty());
    EXPECT_EQ(f.state->store.last_seq(), 2);  // e3 is applied but not stored
    EXPECT_EQ(f.state->engine.find("SO-1")->events.size(), 1u);
    auto second = f.stage->commit();
    ASSERT_TRUE(second);
    ASSERT_EQ(second->acks.size(), 1u);
    EXPECT_EQ(second->acks[0].id, "e3");
    EXPECT_EQ(f.state->store.last_seq(), 3);
    auto e3 = f.state->store.read(3, false);
    ASSERT_TRUE(e3);
    EXPECT_EQ(e3->id, "e3");
    EXPECT_EQ(f.state->stats.batches, 2u);
}

TEST(batch_stage, a_full_batch_waits_while_the_writer_is_busy_and_goes_next) {
    stage_fixture f(2);
    f.accept(testing::order_placed("e1", "SO-1"));
    f.accept(testing::order_placed("e2", "SO-2"));
    EXPECT_FALSE(f.stage->input_blocked());  // full, but the writer is free
    f.stage->pump();
    ASSERT_TRUE(f.stage->writing());
    f.accept(testing::order_placed("e3", "SO-3"));
    f.accept(testing::order_placed("e4", "SO-4"));
    EXPECT_TRUE(f.stage->full());
    // Until the writer's outcome is taken the loop reads no input; the pump that takes it
    // hands the full batch 2 over at once.
    EXPECT_TRUE(f.stage->input_blocked());
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (f.stage->events() > 0 && std::chrono::steady_clock::now() < give_up) f.stage->pump();
    EXPECT_EQ(f.stage->events(), 0u);
    EXPECT_TRUE(f.stage->writing());
    EXPECT_FALSE(f.stage->input_blocked());
    EXPECT_EQ(f.stage->take_committed().acks.size(), 2u);  // batch 1's
    pump_until_committed(*f.stage);
    EXPECT_EQ(f.stage->take_committed().acks.size(), 2u);  // batch 2's
    EXPECT_EQ(f.state->store.last_seq(), 4);
}

// The daemon dies after the writer committed a batch and before the loop sent its acks: the
// producers never heard of those events and send them again. The restarted daemon finds them
// in the duplicate window, acks them at once and applies nothing twice.
TEST(batch_stage, events_committed_but_never_acked_are_recognised_after_a_crash) {
    testing::temp_dir dir;
    fake_clock clock;
    config c = testing::test_config(dir);
    c.batch.max_events = 1000;
    {
        auto state = std::make_unique<daemon_state>(c, load_inputs(c), clock);
        auto stage = std::make_unique<batch_stage>(*state);
        const std::string peer = "p";
        for (const char* id : {"e1", "e2", "e3"}) {
            const envelope e = testing::order_placed(id, std::string("SO-") + id);
            stage->accept(envelope(e), encode_envelope(e), origin::ingest, &peer);
        }
        clock.advance_us(2000);
        stage->pump();
        ASSERT_TRUE(stage->writing());
        // The fsync is done; the outcome is never taken, so no ack is handed out ("kill -9").
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (state->store.last_seq() < 3 && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        ASSERT_EQ(state->store.last_seq(), 3);
        EXPECT_FALSE(stage->has_committed());
        // Gone like a killed process: the stage's destructor commits nothing more and hands
        // out no ack (only take_committed() does).
    }
    auto state = std::make_unique<daemon_state>(c, load_inputs(c), clock);
    const recovery_result r = recover(*state, false);
    EXPECT_EQ(r.replayed, 3u);
    EXPECT_EQ(state->dedup.size(), 3u);
    batch_stage stage(*state);
    const std::string peer = "p";
    for (const char* id : {"e1", "e2", "e3"}) {
        const envelope e = testing::order_placed(id, std::string("SO-") + id);
        EXPECT_EQ(stage.accept(envelope(e), encode_envelope(e), origin::ingest, &peer),
                  admission::duplicate_committed)
            << id;
        EXPECT_EQ(state->engine.find(std::string("SO-") + id)->events.size(), 1u);
    }
    EXPECT_TRUE(stage.empty());
}

}  // namespace
}  // namespace baton
