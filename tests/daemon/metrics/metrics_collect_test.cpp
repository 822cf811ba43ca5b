// Tests of daemon/metrics/metrics_collect: the snapshot the loop hands the listener, from the
// batch stage on a fake clock. Counters and histograms are copies; orders are counted by stage
// and holder (open ones only, every flow stage present), exceptions by kind, severity and dept;
// a label set once seen stays at 0; the label walk is not redone while it is fresh.
#include "metrics_collect.h"

#include <gtest/gtest.h>

#include "batch.h"
#include "control_views.h"
#include "daemon_harness.h"
#include "events.h"
#include "fake_clock.h"

namespace baton {
namespace {

using testing::fake_clock;

struct collect_fixture {
    collect_fixture() {
        config c = testing::test_config(dir);
        state = std::make_unique<daemon_state>(c, load_inputs(c), clock);
        stage = std::make_unique<batch_stage>(*state);
    }
    void accept(const envelope& e) {
        const std::string peer = "peer-1";
        stage->accept(envelope(e), encode_envelope(e), origin::ingest, &peer, clock.steady_us());
    }
    std::shared_ptr<const metrics_snapshot> collect() {
        return collector.collect(*state, *stage, socket_counters{3, 4});
    }

    testing::temp_dir dir;
    fake_clock clock;
    std::unique_ptr<daemon_state> state;
    std::unique_ptr<batch_stage> stage;
    metrics_collector collector;
};

std::uint64_t orders_in(const metrics_snapshot& m, const std::string& stage) {
    for (const auto& r : m.labels->orders)
        if (r.stage == stage) return r.orders;
    ADD_FAILURE() << "no series for stage " << stage;
    return 0;
}

TEST(metrics_collect, copies_counters_gauges_and_the_open_batch) {
    collect_fixture f;
    f.accept(testing::order_placed("e1", "SO-1"));
    f.accept(testing::order_placed("e2", "SO-2"));
    auto before = f.collect();
    EXPECT_EQ(before->batch_waiting, 2u);
    EXPECT_EQ(before->journal_events, 0);
    EXPECT_EQ(before->stats.accepted, 0u);
    EXPECT_EQ(before->auth_refused, 3u);
    EXPECT_EQ(before->handshakes_failed, 4u);
    f.clock.advance_ms(3);
    ASSERT_TRUE(f.stage->commit());
    auto after = f.collect();
    EXPECT_EQ(after->batch_waiting, 0u);
    EXPECT_EQ(after->journal_events, 2);
    EXPECT_EQ(after->stats.accepted, 2u);
    EXPECT_EQ(after->stats.batches, 1u);
    EXPECT_EQ(after->histograms.batch_events.count(), 1u);
    EXPECT_DOUBLE_EQ(after->histograms.batch_events.sum(), 2);
    EXPECT_EQ(after->histograms.commit_seconds.count(), 1u);
    EXPECT_GT(after->relay_seq, 0u);
    EXPECT_FALSE(after->storage_failing);
    EXPECT_EQ(before->stats.accepted, 0u);  // an earlier snapshot does not change
}

TEST(metrics_collect, counts_open_orders_by_stage_with_every_flow_stage_present) {
    collect_fixture f;
    f.accept(testing::order_placed("e1", "SO-1"));
    f.accept(testing::order_placed("e2", "SO-2"));
    f.accept(testing::order_placed("e3", "SO-3"));
    f.accept(testing::cancelled("e4", "SO-3", "customer withdrew"));
    ASSERT_TRUE(f.stage->commit());
    auto m = f.collector.count_labels(*f.state);
    metrics_snapshot s;
    s.labels = m;
    EXPECT_EQ(orders_in(s, "credit_review"), 2u);  // SO-3 is cancelled: not open
    for (const auto& st : f.state->flow.stages) {
        bool found = false;
        for (const auto& r : m->orders)
            found = found || (r.stage == st.name && r.holder == st.holder);
        EXPECT_TRUE(found) << st.name;
    }
    for (const auto& r : m->orders) EXPECT_NE(r.stage, "cancelled");
}

TEST(metrics_collect, exceptions_by_kind_severity_dept_and_a_seen_label_set_stays_at_zero) {
    collect_fixture f;
    f.accept(testing::order_placed("e1", "SO-1"));
    f.accept(testing::credit_rejected("e2", "SO-1"));
    ASSERT_TRUE(f.stage->commit());
    auto m = f.collector.count_labels(*f.state);
    const label_gauges::exception_count* hold = nullptr;
    for (const auto& r : m->exceptions)
        if (r.kind == "credit_hold") hold = &r;
    ASSERT_NE(hold, nullptr);
    EXPECT_EQ(hold->open, 1u);
    EXPECT_EQ(hold->dept, "finance");
    EXPECT_FALSE(hold->severity.empty());
    const std::string severity = hold->severity;

    f.accept(testing::cancelled("e3", "SO-1", "withdrawn"));  // resolves the hold
    ASSERT_TRUE(f.stage->commit());
    m = f.collector.count_labels(*f.state);
    hold = nullptr;
    for (const auto& r : m->exceptions)
        if (r.kind == "credit_hold" && r.severity == severity) hold = &r;
    ASSERT_NE(hold, nullptr) << "the series vanished instead of going to 0";
    EXPECT_EQ(hold->open, 0u);
}

// A clock whose steady time moves 100 µs at every read: a label count then "takes" 100 µs.
class ticking_clock final : public clock_source {
public:
    std::int64_t now_ms() const override { return 1795000000000 + steady_us_ / 1000; }
    std::int64_t steady_us() const override { return steady_us_ += 100; }
    void advance_ms(std::int64_t ms) { steady_us_ += ms * 1000; }

private:
    mutable std::int64_t steady_us_ = 1000000;
};

TEST(metrics_collect, a_fresh_label_count_is_reused_until_fifty_times_its_cost_passed) {
    testing::temp_dir dir;
    ticking_clock clock;
    config c = testing::test_config(dir);
    daemon_state state(c, load_inputs(c), clock);
    batch_stage stage(state);
    metrics_collector collector;
    const std::string peer = "p";
    auto accept = [&](const envelope& e) {
        stage.accept(envelope(e), encode_envelope(e), origin::ingest, &peer);
    };
    accept(testing::order_placed("e1", "SO-1"));
    ASSERT_TRUE(stage.commit());
    auto first = collector.collect(state, stage, socket_counters{});
    accept(testing::order_placed("e2", "SO-2"));
    ASSERT_TRUE(stage.commit());
    auto second = collector.collect(state, stage, socket_counters{});
    EXPECT_EQ(second->stats.accepted, 2u);     // counters are always fresh
    EXPECT_EQ(second->labels, first->labels);  // the count is not 5 ms old: reused
    clock.advance_ms(6);
    auto third = collector.collect(state, stage, socket_counters{});
    ASSERT_NE(third->labels, first->labels);  // counted again
    metrics_snapshot s;
    s.labels = third->labels;
    EXPECT_EQ(orders_in(s, "credit_review"), 2u);
}

}  // namespace
}  // namespace baton
