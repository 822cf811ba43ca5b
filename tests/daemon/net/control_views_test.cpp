// Tests of daemon/net/control_views: what `status` says about the store and the feed file.
#include "control_views.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "batch.h"
#include "daemon_harness.h"
#include "events.h"
#include "fake_clock.h"
#include "log_capture.h"
#include "temp_dir.h"

namespace baton {
namespace {

class no_actions final : public control_actions {
public:
    std::string act(desk_action, std::uint64_t, const std::string&, const std::string&) override {
        return "no";
    }
    std::string reload() override { return "no"; }
};

std::string text_of(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : "";
}

TEST(control_views, status_shows_a_failing_feed_file_with_since_and_count) {
    testing::temp_dir dir;
    config c = testing::test_config(dir);
    std::filesystem::create_directories(dir / "var");
    c.feed_path = dir / "var/feed.jsonl";
    std::filesystem::create_symlink("/dev/full", c.feed_path);  // every write fails: disk full
    testing::fake_clock clock;
    testing::log_capture quiet;
    daemon_state state(c, load_inputs(c), clock);
    batch_stage stage(state);
    no_actions actions;
    control_views views(state, stage, actions, nullptr);
    EXPECT_EQ(text_of(views.status(), "feed"), "ok");

    // A deadline passes: the exception's feed line cannot be written.
    const envelope placed = testing::order_placed("e1", "SO-1");
    const std::string peer = "p";
    stage.accept(placed, encode_envelope(placed), origin::ingest, &peer);
    ASSERT_TRUE(stage.commit());
    clock.advance_ms(30LL * 24 * 3600 * 1000);
    ASSERT_TRUE(stage.on_time());
    ASSERT_TRUE(stage.commit());  // the store has it: nothing is lost

    const value status = views.status();
    EXPECT_EQ(text_of(status, "storage"), "ok");
    EXPECT_EQ(text_of(status, "feed").rfind("failing: ", 0), 0u) << text_of(status, "feed");
    std::int64_t since = 0;
    ASSERT_NE(status.find("feed_failing_since"), nullptr);
    status.find("feed_failing_since")->to_int64(since);
    EXPECT_EQ(since, clock.now_ms());
    std::uint64_t errors = 0;
    status.find("counters")->find("feed_write_errors")->to_uint64(errors);
    EXPECT_GT(errors, 0u);
}

}  // namespace
}  // namespace baton
