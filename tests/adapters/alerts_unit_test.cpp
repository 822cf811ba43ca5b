// baton-alerts without sockets: the label mapping, the alert book on a fake clock (endsAt,
// resends, resolutions, label changes, per-Alertmanager backoff and catch-up, reconciliation),
// the state file and the config file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "alert_book.h"
#include "alert_labels.h"
#include "alertmanager_client.h"
#include "alerts_config.h"
#include "alerts_state.h"
#include "fake_clock.h"
#include "temp_dir.h"

namespace baton::adapters::alerts {
namespace {

using testing::fake_clock;
using testing::temp_dir;

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;

// An open qc_failed as the `exceptions` reply gives it (enriched).
exception_record qc_failed(const std::string& id = "E-7", const std::string& order = "SO-20") {
    exception_record r;
    r.id = id;
    r.kind = "qc_failed";
    r.severity = "high";
    r.dept = "production";
    r.order = order;
    r.customer = "C-1002";
    r.status = "open";
    r.raised_at_ms = 1795000000000;
    r.detail = order + " batch B2 failed quality control: blisters";
    r.scope = "B2";
    r.tier = "A";
    r.customer_name = "Alu Windows Ltd";
    r.order_stage = "production";
    r.enriched = true;
    return r;
}

label_options options() {
    label_options o;
    o.board_url = "https://board.plant.local";
    return o;
}

book_timing timing() {
    book_timing t;
    t.resend_every_ms = minute;
    t.ends_after_ms = 5 * minute;
    t.retry = {std::chrono::milliseconds(1000), std::chrono::milliseconds(8000), 2.0};
    return t;
}

const outgoing_alert* find_alert(const delivery& d, const std::string& key, const std::string& v) {
    for (const auto& a : d.alerts) {
        auto it = a.content.labels.find(key);
        if (it != a.content.labels.end() && it->second == v) return &a;
    }
    return nullptr;
}

// --- label mapping -------------------------------------------------------------------------

TEST(alerts_labels, every_label_and_annotation_comes_from_the_record) {
    exception_record r = qc_failed("E-7", "SO-20/1 ä");
    r.status = "acknowledged";
    r.by = "m.weber";
    r.note = "re-run planned";
    r.assignee = "li.na";
    r.raised_at_ms = 1795000000250;
    alert_content a = alert_for(r, stage_label(r, ""), options());

    label_set labels{
        {"alertname", "qc_failed"}, {"severity", "high"},   {"dept", "production"}, {"tier", "A"},
        {"stage", "production"},    {"customer", "C-1002"}, {"order", "SO-20/1 ä"}, {"scope", "B2"},
        {"source", "baton"}};
    EXPECT_EQ(a.labels, labels);
    const std::string url = "https://board.plant.local/order/SO-20%2F1%20%C3%A4";
    label_set annotations{{"summary", "qc_failed on SO-20/1 ä for Alu Windows Ltd"},
                          {"detail", "SO-20/1 ä batch B2 failed quality control: blisters"},
                          {"exception", "E-7"},
                          {"acknowledged_by", "m.weber: re-run planned"},
                          {"assignee", "li.na"},
                          {"raised_at", "2026-11-18T11:06:40.250Z"},
                          {"order_url", url},
                          {"customer_name", "Alu Windows Ltd"}};
    EXPECT_EQ(a.annotations, annotations);
    EXPECT_EQ(a.starts_at_ms, 1795000000250);
    EXPECT_EQ(a.generator_url, url);
}

TEST(alerts_labels, empty_values_are_left_out_and_the_board_root_is_the_link) {
    exception_record r;
    r.id = "E-3";
    r.kind = "feed_gap";
    r.severity = "medium";
    r.dept = "production";
    r.status = "open";
    r.detail = "mes skipped seq 41..44";
    alert_content a = alert_for(r, stage_label(r, ""), options());
    EXPECT_EQ(a.labels, (label_set{{"alertname", "feed_gap"},
                                   {"severity", "medium"},
                                   {"dept", "production"},
                                   {"source", "baton"}}));
    EXPECT_EQ(a.annotations.count("order_url"), 0u);
    EXPECT_EQ(a.annotations.count("acknowledged_by"), 0u) << "open, not acknowledged";
    EXPECT_EQ(a.annotations.count("assignee"), 0u);
    EXPECT_EQ(a.annotations.count("raised_at"), 0u);
    EXPECT_EQ(a.annotations.at("summary"), "feed_gap");
    EXPECT_EQ(a.generator_url, "https://board.plant.local/");
}

TEST(alerts_labels, extra_labels_of_the_config_are_on_every_alert) {
    label_options o = options();
    o.extra_labels = {{"plant", "foshan-1"}, {"env", "prod"}};
    alert_content a = alert_for(qc_failed(), "production", o);
    EXPECT_EQ(a.labels.at("plant"), "foshan-1");
    EXPECT_EQ(a.labels.at("env"), "prod");
    EXPECT_EQ(a.labels.at("alertname"), "qc_failed");
}

TEST(alerts_labels, the_stage_label_prefers_the_records_stage_then_the_first_one_seen) {
    exception_record r = qc_failed();
    EXPECT_EQ(stage_label(r, ""), "production");            // the order's stage now
    EXPECT_EQ(stage_label(r, "scheduling"), "scheduling");  // remembered beats the order's
    r.stage = "credit_review";                              // stage-bound kinds name theirs
    EXPECT_EQ(stage_label(r, "scheduling"), "credit_review");
}

TEST(alerts_labels, a_relayed_record_is_read_and_unknown_keys_are_ignored) {
    value v;
    v.set("id", "E-9");
    v.set("kind", "stage_overdue");
    v.set("severity", "warning");
    v.set("dept", "finance");
    v.set("order", "SO-1");
    v.set("customer", "C-1001");
    v.set("state", "escalated");
    v.set("status", "acknowledged");
    v.set("raised_at", 1795000000000LL);
    v.set("stage", "credit_review");
    v.set("by", "m.weber");
    v.set("history", value_list{});
    v.set("something_new", 42);
    exception_record r;
    std::string error;
    ASSERT_TRUE(parse_exception_record(v, r, error)) << error;
    EXPECT_EQ(r.id, "E-9");
    EXPECT_EQ(r.status, "acknowledged");
    EXPECT_EQ(r.stage, "credit_review");
    EXPECT_FALSE(r.enriched);

    value no_id = v;
    no_id.set("id", nullptr);
    EXPECT_FALSE(parse_exception_record(no_id, r, error));
    EXPECT_EQ(error, "'id' is missing");
    value wrong = v;
    wrong.set("severity", 3);
    EXPECT_FALSE(parse_exception_record(wrong, r, error));
    EXPECT_EQ(error, "'severity' must be a string, got int");
    EXPECT_FALSE(parse_exception_record(value("E-1"), r, error));
}

TEST(alerts_labels, the_post_body_is_alertmanagers_v2_array) {
    outgoing_alert a{alert_for(qc_failed(), "production", options()), 1795000300000};
    std::string body = alerts_json({a});
    EXPECT_NE(body.find("\"startsAt\":\"2026-11-18T11:06:40.000Z\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"endsAt\":\"2026-11-18T11:11:40.000Z\""), std::string::npos) << body;
    EXPECT_NE(body.find("\"generatorURL\":\"https://board.plant.local/order/SO-20\""),
              std::string::npos)
        << body;
    EXPECT_NE(body.find("\"labels\":{\"alertname\":\"qc_failed\""), std::string::npos) << body;
    EXPECT_EQ(body.front(), '[');
    // A big POST is split: the slices hold 500, 500 and the 200 left.
    std::vector<outgoing_alert> many(1200, a);
    auto count = [](const std::string& text) {
        std::size_t n = 0;
        for (auto at = text.find("\"labels\""); at != std::string::npos;
             at = text.find("\"labels\"", at + 1))
            ++n;
        return n;
    };
    EXPECT_EQ(count(alerts_json(many, 0, max_alerts_per_post)), 500u);
    EXPECT_EQ(count(alerts_json(many, 1000, max_alerts_per_post)), 200u);
    EXPECT_EQ(count(alerts_json(many)), 1200u);
}

// --- the book: endsAt, resends, resolutions ------------------------------------------------

TEST(alerts_book, a_new_alert_goes_out_at_once_with_ends_at_now_plus_ends_after) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    EXPECT_EQ(book.apply(qc_failed(), clock.now_ms()), book_change::added);
    auto d = book.due(0, clock.now_ms());
    ASSERT_TRUE(d);
    ASSERT_EQ(d->alerts.size(), 1u);
    EXPECT_EQ(d->alerts[0].ends_at_ms, clock.now_ms() + 5 * minute);
    book.delivered(*d, clock.now_ms());
    clock.advance_ms(200);
    EXPECT_FALSE(book.due(0, clock.now_ms())) << "nothing changed since";
    // Applying the same record again (the replay overlap) changes nothing.
    EXPECT_EQ(book.apply(qc_failed(), clock.now_ms()), book_change::none);
    EXPECT_FALSE(book.due(0, clock.now_ms()));
}

TEST(alerts_book, open_alerts_are_posted_again_every_resend_every_before_ends_at_runs_out) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    book.apply(qc_failed("E-1", "SO-1"), clock.now_ms());
    book.apply(qc_failed("E-2", "SO-2"), clock.now_ms());
    auto first = book.due(0, clock.now_ms());
    ASSERT_TRUE(first);
    book.delivered(*first, clock.now_ms());
    const std::int64_t posted_at = clock.now_ms();

    clock.advance_ms(minute - 1);
    EXPECT_FALSE(book.due(0, clock.now_ms()));
    clock.advance_ms(1);
    auto again = book.due(0, clock.now_ms());
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->full);
    ASSERT_EQ(again->alerts.size(), 2u) << "every open alert";
    for (const auto& a : again->alerts) {
        EXPECT_EQ(a.ends_at_ms, clock.now_ms() + 5 * minute);
        EXPECT_LT(clock.now_ms(), first->alerts[0].ends_at_ms) << "re-posted before it ran out";
    }
    book.delivered(*again, clock.now_ms());
    clock.advance_ms(minute);
    auto third = book.due(0, clock.now_ms());
    ASSERT_TRUE(third);
    EXPECT_EQ(third->alerts[0].ends_at_ms, posted_at + 2 * minute + 5 * minute);
}

TEST(alerts_book, a_changed_annotation_goes_out_alone_without_waiting_for_the_resend) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    book.apply(qc_failed("E-1", "SO-1"), clock.now_ms());
    book.apply(qc_failed("E-2", "SO-2"), clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());
    clock.advance_ms(5 * second);
    exception_record acked = qc_failed("E-2", "SO-2");
    acked.status = "acknowledged";
    acked.by = "m.weber";
    EXPECT_EQ(book.apply(acked, clock.now_ms()), book_change::updated);
    auto d = book.due(0, clock.now_ms());
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->full);
    ASSERT_EQ(d->alerts.size(), 1u);
    EXPECT_EQ(d->alerts[0].content.annotations.at("acknowledged_by"), "m.weber");
}

TEST(alerts_book, a_resolved_exception_is_posted_once_with_ends_at_now_then_dropped) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    book.apply(qc_failed(), clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());
    clock.advance_ms(7 * second);
    exception_record resolved = qc_failed();
    resolved.status = "resolved";
    EXPECT_EQ(book.apply(resolved, clock.now_ms()), book_change::resolved);
    EXPECT_EQ(book.open_count(), 0u);
    auto d = book.due(0, clock.now_ms());
    ASSERT_TRUE(d);
    ASSERT_EQ(d->alerts.size(), 1u);
    EXPECT_EQ(d->alerts[0].ends_at_ms, clock.now_ms());
    EXPECT_EQ(d->alerts[0].content.labels.at("alertname"), "qc_failed");
    book.delivered(*d, clock.now_ms());
    EXPECT_EQ(book.resolution_count(), 0u);
    clock.advance_ms(2 * minute);
    EXPECT_FALSE(book.due(0, clock.now_ms())) << "a taken resolution is not sent again";
    // A resolution of an exception the book never had is nothing to post.
    EXPECT_EQ(book.apply(resolved, clock.now_ms()), book_change::none);
}

// The POST runs on a thread of its own (alert_forwarder): a change made while it is under way
// is not settled by it, only what it carried.
TEST(alerts_book, a_change_made_while_its_post_is_under_way_stays_owed) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    book.apply(qc_failed("E-1", "SO-1"), clock.now_ms());
    auto under_way = book.due(0, clock.now_ms());
    ASSERT_TRUE(under_way);
    clock.advance_ms(300);
    exception_record acked = qc_failed("E-1", "SO-1");
    acked.status = "acknowledged";
    acked.by = "m.weber";
    EXPECT_EQ(book.apply(acked, clock.now_ms()), book_change::updated);
    book.delivered(*under_way, clock.now_ms());  // the POST answers 200 after the change
    auto next = book.due(0, clock.now_ms());
    ASSERT_TRUE(next) << "the acknowledgement must still go out";
    ASSERT_EQ(next->alerts.size(), 1u);
    EXPECT_EQ(next->alerts[0].content.annotations.at("acknowledged_by"), "m.weber");
    book.delivered(*next, clock.now_ms());
    EXPECT_FALSE(book.due(0, clock.now_ms()));

    // The same for a resolution made again while the POST carrying the first one was under way.
    exception_record resolved = qc_failed("E-1", "SO-1");
    resolved.status = "resolved";
    book.apply(resolved, clock.now_ms());
    auto carrying = book.due(0, clock.now_ms());
    ASSERT_TRUE(carrying);
    book.apply(qc_failed("E-1", "SO-1"), clock.now_ms());  // fires again (re-raised)...
    book.apply(resolved, clock.now_ms());                  // ...and is resolved again
    book.delivered(*carrying, clock.now_ms());
    auto owed = book.due(0, clock.now_ms());
    ASSERT_TRUE(owed) << "the later resolution is still owed";
    EXPECT_EQ(owed->alerts.back().ends_at_ms, clock.now_ms());
}

TEST(alerts_book, a_severity_change_resolves_the_old_label_set_and_fires_the_new_one) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    exception_record r = qc_failed();
    r.kind = "stage_overdue";
    r.scope = "";
    r.stage = "production";
    r.severity = "warning";
    book.apply(r, clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());
    clock.advance_ms(30 * second);
    r.severity = "high";
    EXPECT_EQ(book.apply(r, clock.now_ms()), book_change::relabelled);
    auto d = book.due(0, clock.now_ms());
    ASSERT_TRUE(d);
    ASSERT_EQ(d->alerts.size(), 2u);
    const outgoing_alert* old = find_alert(*d, "severity", "warning");
    const outgoing_alert* now = find_alert(*d, "severity", "high");
    ASSERT_TRUE(old && now);
    EXPECT_EQ(old->ends_at_ms, clock.now_ms()) << "the old label set is resolved";
    EXPECT_EQ(now->ends_at_ms, clock.now_ms() + 5 * minute) << "the new one fires";
    EXPECT_EQ(now->content.labels.at("stage"), "production");
}

TEST(alerts_book, the_stage_label_stays_as_first_seen_while_the_order_moves_on) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    exception_record r = qc_failed();
    book.apply(r, clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());
    r.order_stage = "shipping";  // the order moved on; the reply says so
    r.detail = "re-run scheduled";
    EXPECT_EQ(book.apply(r, clock.now_ms()), book_change::updated) << "not relabelled";
    EXPECT_EQ(book.alert_of("E-7")->labels.at("stage"), "production");
    // A relayed record (no tier, customer name or order stage) keeps what the book has.
    exception_record relayed = qc_failed();
    relayed.tier = relayed.customer_name = relayed.order_stage = "";
    relayed.enriched = false;
    book.apply(relayed, clock.now_ms());
    EXPECT_EQ(book.alert_of("E-7")->labels.at("tier"), "A");
    EXPECT_EQ(book.alert_of("E-7")->annotations.at("customer_name"), "Alu Windows Ltd");
    EXPECT_EQ(book.alert_of("E-7")->labels.at("stage"), "production");
}

// --- per-Alertmanager backoff and catch-up --------------------------------------------------

TEST(alerts_book, a_failing_alertmanager_backs_off_while_the_other_keeps_getting_posts) {
    fake_clock clock;
    alert_book book({"http://am-1:9093", "http://am-2:9093"}, timing(), options());
    book.apply(qc_failed("E-1", "SO-1"), clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());
    book.delivered(*book.due(1, clock.now_ms()), clock.now_ms());
    // E-2 is new: am-1 takes it, am-2 fails on that change alone.
    clock.advance_ms(second);
    book.apply(qc_failed("E-2", "SO-2"), clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());
    auto change = book.due(1, clock.now_ms());
    ASSERT_TRUE(change);
    EXPECT_FALSE(change->full);
    EXPECT_EQ(change->alerts.size(), 1u);
    auto f = book.failed(1, clock.now_ms());
    EXPECT_TRUE(f.first);
    EXPECT_EQ(f.retry_in_ms, 1000);

    // Waits initial, then 2x, 4x, up to max (8 s here), and never earlier.
    std::vector<std::int64_t> waits{1000};
    for (int i = 0; i < 5; ++i) {
        clock.advance_ms(waits.back() - 1);
        EXPECT_FALSE(book.due(1, clock.now_ms())) << "retry " << i << " came early";
        clock.advance_ms(1);
        auto retry = book.due(1, clock.now_ms());
        ASSERT_TRUE(retry) << "retry " << i;
        EXPECT_TRUE(retry->full) << "a failing Alertmanager is sent everything";
        EXPECT_EQ(retry->alerts.size(), 2u);
        auto again = book.failed(1, clock.now_ms());
        EXPECT_FALSE(again.first);
        waits.push_back(again.retry_in_ms);
    }
    EXPECT_EQ(waits, (std::vector<std::int64_t>{1000, 2000, 4000, 8000, 8000, 8000}));

    // Meanwhile am-1 gets the changes: E-1 resolved, E-3 new.
    exception_record gone = qc_failed("E-1", "SO-1");
    gone.status = "resolved";
    book.apply(gone, clock.now_ms());
    book.apply(qc_failed("E-3", "SO-3"), clock.now_ms());
    auto d0 = book.due(0, clock.now_ms());
    ASSERT_TRUE(d0);
    EXPECT_EQ(d0->alerts.size(), 2u);  // E-3 firing, E-1 resolved
    book.delivered(*d0, clock.now_ms());
    EXPECT_EQ(book.resolution_count(), 1u) << "am-2 has not taken E-1's resolution yet";

    // am-2 answers again: every open alert and the resolution it missed, in one delivery.
    clock.advance_ms(8000);
    auto d1 = book.due(1, clock.now_ms());
    ASSERT_TRUE(d1);
    EXPECT_TRUE(d1->full);
    ASSERT_EQ(d1->alerts.size(), 3u);
    EXPECT_TRUE(find_alert(*d1, "order", "SO-2"));
    EXPECT_TRUE(find_alert(*d1, "order", "SO-3"));
    const outgoing_alert* resolution = find_alert(*d1, "order", "SO-1");
    ASSERT_TRUE(resolution);
    EXPECT_LE(resolution->ends_at_ms, clock.now_ms());
    auto r = book.delivered(*d1, clock.now_ms());
    EXPECT_TRUE(r.recovered);
    EXPECT_EQ(r.down_ms, 1000 + 2000 + 4000 + 8000 * 3);
    EXPECT_EQ(r.caught_up, 3u);
    EXPECT_EQ(book.resolution_count(), 0u) << "every Alertmanager took it: dropped";
    EXPECT_FALSE(book.target_failing(1));
    // The backoff starts from initial again after the next failure.
    clock.advance_ms(minute);
    ASSERT_TRUE(book.due(1, clock.now_ms()));
    EXPECT_EQ(book.failed(1, clock.now_ms()).retry_in_ms, 1000);
}

// --- reconciliation and the state file -----------------------------------------------------

TEST(alerts_book, reconcile_resolves_what_is_no_longer_open_and_adds_what_is_new) {
    fake_clock clock;
    alert_book before({"http://am-1:9093"}, timing(), options());
    before.apply(qc_failed("E-1", "SO-1"), clock.now_ms());
    before.apply(qc_failed("E-2", "SO-2"), clock.now_ms());
    book_state saved = before.snapshot();

    alert_book book({"http://am-1:9093"}, timing(), options());
    book.restore(saved, clock.now_ms());
    EXPECT_EQ(book.open_count(), 2u);
    clock.advance_ms(minute);
    exception_record e2 = qc_failed("E-2", "SO-2");
    e2.severity = "critical";
    auto counts = book.reconcile({e2, qc_failed("E-3", "SO-3")}, clock.now_ms());
    EXPECT_EQ(counts.added, 1u);
    EXPECT_EQ(counts.updated, 1u);
    EXPECT_EQ(counts.resolved, 1u);
    EXPECT_FALSE(book.knows("E-1"));
    EXPECT_TRUE(book.knows("E-3"));
    auto d = book.due(0, clock.now_ms());
    ASSERT_TRUE(d);
    // E-2 and E-3 firing; E-1 and E-2's old (high) label set resolved.
    ASSERT_EQ(d->alerts.size(), 4u);
    const outgoing_alert* e1 = find_alert(*d, "order", "SO-1");
    ASSERT_TRUE(e1);
    EXPECT_EQ(e1->ends_at_ms, clock.now_ms());
    EXPECT_EQ(find_alert(*d, "severity", "critical")->ends_at_ms, clock.now_ms() + 5 * minute);
}

TEST(alerts_state, the_book_survives_a_round_trip_through_its_file) {
    fake_clock clock;
    temp_dir dir;
    alert_book book({"http://am-1:9093", "http://am-2:9093"}, timing(), options());
    book.apply(qc_failed("E-1", "SO-1"), clock.now_ms());
    book.apply(qc_failed("E-2", "订单-2"), clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());
    book.delivered(*book.due(1, clock.now_ms()), clock.now_ms());
    exception_record gone = qc_failed("E-1", "SO-1");
    gone.status = "resolved";
    book.apply(gone, clock.now_ms());
    book.delivered(*book.due(0, clock.now_ms()), clock.now_ms());  // am-2 still owes it
    EXPECT_TRUE(book.changed());
    const std::string path = dir / "alerts.json";
    save_book_state(path, book.snapshot());
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

    alert_book again({"http://am-1:9093", "http://am-2:9093"}, timing(), options());
    again.restore(load_book_state(path), clock.now_ms());
    EXPECT_EQ(book_state_json(again.snapshot()), book_state_json(book.snapshot()));
    EXPECT_EQ(again.open_count(), 1u);
    EXPECT_EQ(*again.alert_of("E-2"), *book.alert_of("E-2"));
    EXPECT_FALSE(again.changed());
    // After a restart every Alertmanager gets a full post; am-2 also the resolution it owes.
    auto d0 = again.due(0, clock.now_ms());
    auto d1 = again.due(1, clock.now_ms());
    ASSERT_TRUE(d0 && d1);
    EXPECT_EQ(d0->alerts.size(), 1u);
    EXPECT_EQ(d1->alerts.size(), 2u);
    EXPECT_TRUE(find_alert(*d1, "order", "SO-1"));

    // A missing file is an empty book.
    EXPECT_TRUE(load_book_state(dir / "none.json").entries.empty());
}

TEST(alerts_state, a_changed_label_config_resolves_the_label_sets_posted_before) {
    fake_clock clock;
    alert_book book({"http://am-1:9093"}, timing(), options());
    book.apply(qc_failed(), clock.now_ms());
    label_options plant = options();
    plant.extra_labels = {{"plant", "foshan-1"}};
    alert_book again({"http://am-1:9093"}, timing(), plant);
    again.restore(book.snapshot(), clock.now_ms());
    EXPECT_TRUE(again.changed());
    auto d = again.due(0, clock.now_ms());
    ASSERT_TRUE(d);
    ASSERT_EQ(d->alerts.size(), 2u);
    const outgoing_alert* now = find_alert(*d, "plant", "foshan-1");
    ASSERT_TRUE(now);
    for (const auto& a : d->alerts) {
        if (&a != now) {
            EXPECT_EQ(a.ends_at_ms, clock.now_ms()) << "the old set is resolved";
        }
    }
}

TEST(alerts_state, a_corrupt_state_file_is_an_error_naming_it) {
    temp_dir dir;
    for (const char* text : {"{\"version\": 1, \"alerts\": [", "[]", "{\"version\": 9}",
                             "{\"version\":1,\"alerts\":[{\"stage\":\"x\"}],\"resolutions\":[]}"}) {
        const std::string path = dir.write("alerts.json", text);
        try {
            load_book_state(path);
            ADD_FAILURE() << "no error for " << text;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("not a saved alert book"), std::string::npos)
                << e.what();
        }
    }
}

// --- the config file -----------------------------------------------------------------------

std::string config_error_of(const temp_dir& dir, const std::string& text) {
    try {
        load_alerts_config(dir.write("alerts.yaml", text));
    } catch (const config_error& e) {
        // Without the " (line N)" the reason ends with: the key path says where.
        std::string reason = e.reason;
        auto at = reason.rfind(" (line ");
        if (at != std::string::npos) reason.erase(at);
        return e.key + ": " + reason;
    }
    return "";
}

const char* good_config = R"(batond:
  control: tcp://127.0.0.1:7812
  relay: tcp://127.0.0.1:7811
  timeout: 2s
state: var/alerts
alertmanager:
  urls: [http://am-1:9093, "http://am-2:9093/prefix/"]
  timeout: 3s
  retry: {initial: 2s, max: 30s}
  basic_auth: {username: baton, password_file: am.password}
alerts:
  board_url: https://board.plant.local/
  resend_every: 30s
  ends_after: 2m
  labels: {plant: foshan-1}
log_level: debug
)";

TEST(alerts_config, a_good_file_is_read_into_the_struct) {
    temp_dir dir;
    dir.write("am.password", "s3cret\n");
    alerts_config c = load_alerts_config(dir.write("alerts.yaml", good_config));
    EXPECT_EQ(c.control, "tcp://127.0.0.1:7812");
    EXPECT_EQ(c.relay, "tcp://127.0.0.1:7811");
    EXPECT_EQ(c.batond_timeout.count(), 2000);
    EXPECT_EQ(c.state, dir / "var/alerts");
    ASSERT_EQ(c.alertmanagers.size(), 2u);
    EXPECT_EQ(c.alertmanagers[0].scheme_host_port, "http://am-1:9093");
    EXPECT_EQ(c.alertmanagers[0].path_prefix, "");
    EXPECT_EQ(c.alertmanagers[1].path_prefix, "/prefix");
    EXPECT_EQ(c.post_timeout.count(), 3000);
    EXPECT_EQ(c.retry.initial.count(), 2000);
    EXPECT_EQ(c.retry.max.count(), 30000);
    ASSERT_TRUE(c.auth);
    EXPECT_EQ(c.auth->password, "s3cret");
    EXPECT_EQ(c.board_url, "https://board.plant.local");
    EXPECT_EQ(c.resend_every.count(), 30000);
    EXPECT_EQ(c.ends_after.count(), 120000);
    EXPECT_EQ(c.extra_labels, (std::map<std::string, std::string>{{"plant", "foshan-1"}}));
    EXPECT_EQ(c.log_level, "debug");
}

TEST(alerts_config, the_shipped_file_checks) {
    alerts_config c = load_alerts_config(std::string(BATON_SOURCE_DIR) + "/config/alerts.yaml");
    ASSERT_EQ(c.alertmanagers.size(), 1u);
    EXPECT_EQ(c.alertmanagers[0].url, "http://127.0.0.1:9093");
    EXPECT_EQ(c.resend_every.count(), 60000);
    EXPECT_EQ(c.ends_after.count(), 300000);
    EXPECT_EQ(c.board_url, "http://127.0.0.1:7780");
}

TEST(alerts_config, mistakes_name_the_key_and_the_reason) {
    temp_dir dir;
    dir.write("am.password", "s3cret\n");
    auto with = [&](const std::string& from, const std::string& to) {
        std::string text = good_config;
        auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return config_error_of(dir, text.replace(at, from.size(), to));
    };
    EXPECT_EQ(config_error_of(dir, good_config), "");
    EXPECT_EQ(with("  timeout: 3s", "  timout: 3s"),
              "alertmanager.timout: unknown key (expected one of: urls, timeout, retry, "
              "basic_auth, tls)");
    EXPECT_EQ(with("ends_after: 2m", "ends_after: 45s"),
              "alerts.ends_after: must be at least twice resend_every (30s), or Alertmanager "
              "resolves open alerts between two posts");
    EXPECT_EQ(with("http://am-1:9093,", "am-1:9093,"),
              "alertmanager.urls[0]: 'am-1:9093' is not an http:// or https:// URL");
    EXPECT_EQ(with("http://am-1:9093,", "http://am-2:9093/prefix,"),
              "alertmanager.urls[1]: 'http://am-2:9093/prefix/' is listed twice");
    EXPECT_EQ(with("urls: [http://am-1:9093, \"http://am-2:9093/prefix/\"]", "urls: []"),
              "alertmanager.urls: needs at least one Alertmanager URL");
    EXPECT_EQ(with("{plant: foshan-1}", "{severity: high}"),
              "alerts.labels.severity: 'severity' is set by baton-alerts itself");
    EXPECT_EQ(with("{plant: foshan-1}", "{plant-name: x}"),
              "alerts.labels.plant-name: 'plant-name' is not a label name "
              "([a-zA-Z_][a-zA-Z0-9_]*, not __...)");
    EXPECT_EQ(
        with("password_file: am.password", "password_file: missing.password"),
        "alertmanager.basic_auth.password_file: cannot read '" + (dir / "missing.password") + "'");
    EXPECT_EQ(with("board_url: https://board.plant.local/", "board_url: board"),
              "alerts.board_url: 'board' is not an http:// or https:// URL");
    EXPECT_EQ(with("log_level: debug", "log_level: loud"),
              "log_level: unknown level 'loud' (trace, debug, info, warn, error, critical, off)");
    EXPECT_EQ(with("state: var/alerts\n", ""), "state: required key is missing");
}

}  // namespace
}  // namespace baton::adapters::alerts
