// Tests of daemon/metrics/metrics_text: a snapshot becomes the Prometheus text format with the
// contracted names, HELP and TYPE lines, labels, cumulative histogram buckets ending in +Inf,
// every nack code at 0, and only the start-up families while the state loads.
#include "metrics_text.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "metrics_snapshot.h"

namespace baton {
namespace {

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l == line) return true;
    return false;
}

std::size_t count_prefix(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) n += l.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
}

scrape_facts facts() {
    scrape_facts f;
    f.version = "0.1.0";
    f.started_ms = 1795000000250;
    f.last_turn_ms = 1795000060500;
    f.ready = true;
    return f;
}

metrics_snapshot sample() {
    metrics_snapshot m;
    m.stats.received = 12;
    m.stats.accepted = 7;
    m.stats.duplicates = 2;
    m.stats.nacks[static_cast<std::size_t>(refusal::schema)] = 3;
    m.stats.batches = 4;
    m.auth_refused = 5;
    m.journal_events = 7;
    m.batch_waiting = 1;
    m.storage_failing = true;
    m.histograms.ack_latency.observe(0.0004);
    m.histograms.ack_latency.observe(0.003);
    m.histograms.ack_latency.observe(20);
    auto g = std::make_shared<label_gauges>();
    g->orders.push_back({"credit_review", "finance", 4});
    g->orders.push_back({"shipping", "logistics", 0});
    g->exceptions.push_back({"credit_hold", "high", "finance", 2});
    g->tasks.push_back({"production", 1});
    m.labels = g;
    return m;
}

TEST(metrics_text, counters_carry_help_type_and_the_contracted_names) {
    metrics_snapshot m = sample();
    const std::string text = render_metrics(&m, facts());
    EXPECT_TRUE(has_line(text, "# TYPE baton_events_received_total counter")) << text;
    EXPECT_TRUE(has_line(text, "baton_events_received_total 12")) << text;
    EXPECT_TRUE(has_line(text, "baton_events_acked_total 7")) << text;
    EXPECT_TRUE(has_line(text, "baton_duplicates_total 2")) << text;
    EXPECT_TRUE(has_line(text, "baton_batches_total 4")) << text;
    EXPECT_TRUE(has_line(text, "baton_auth_refused_total 5")) << text;
    for (const char* name :
         {"baton_events_subscribed_total", "baton_subscribe_refused_total", "baton_feed_gaps_total",
          "baton_commit_failures_total", "baton_control_requests_total",
          "baton_control_forbidden_total", "baton_handshakes_failed_total", "baton_reloads_total",
          "baton_reloads_refused_total", "baton_feed_write_errors_total"}) {
        EXPECT_TRUE(has_line(text, std::string(name) + " 0")) << name;
        EXPECT_EQ(count_prefix(text, std::string("# HELP ") + name + " "), 1u) << name;
        EXPECT_TRUE(has_line(text, std::string("# TYPE ") + name + " counter")) << name;
    }
}

TEST(metrics_text, every_nack_code_has_a_series_even_at_zero) {
    metrics_snapshot m = sample();
    const std::string text = render_metrics(&m, facts());
    EXPECT_EQ(count_prefix(text, "# TYPE baton_nacks_total counter"), 1u);
    EXPECT_TRUE(has_line(text, "baton_nacks_total{code=\"schema\"} 3")) << text;
    for (const char* code : {"decode", "envelope", "topic", "forbidden", "limit"})
        EXPECT_TRUE(has_line(text, std::string("baton_nacks_total{code=\"") + code + "\"} 0"))
            << code;
}

TEST(metrics_text, a_histogram_has_cumulative_buckets_ending_in_inf_with_sum_and_count) {
    metrics_snapshot m = sample();
    const std::string text = render_metrics(&m, facts());
    EXPECT_TRUE(has_line(text, "# TYPE baton_ack_latency_seconds histogram")) << text;
    EXPECT_TRUE(has_line(text, "baton_ack_latency_seconds_bucket{le=\"0.0005\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "baton_ack_latency_seconds_bucket{le=\"0.0025\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "baton_ack_latency_seconds_bucket{le=\"0.005\"} 2")) << text;
    EXPECT_TRUE(has_line(text, "baton_ack_latency_seconds_bucket{le=\"10\"} 2")) << text;
    EXPECT_TRUE(has_line(text, "baton_ack_latency_seconds_bucket{le=\"+Inf\"} 3")) << text;
    EXPECT_TRUE(has_line(text, "baton_ack_latency_seconds_count 3")) << text;
    EXPECT_TRUE(has_line(text, "baton_ack_latency_seconds_sum 20.0034")) << text;
    EXPECT_EQ(count_prefix(text, "baton_ack_latency_seconds_bucket{"), 15u);
    EXPECT_EQ(count_prefix(text, "baton_batch_events_bucket{"), 13u);
    EXPECT_TRUE(has_line(text, "baton_batch_events_bucket{le=\"+Inf\"} 0")) << text;
    EXPECT_TRUE(has_line(text, "# TYPE baton_commit_seconds histogram")) << text;
}

TEST(metrics_text, labelled_gauges_carry_stage_holder_kind_severity_and_dept) {
    metrics_snapshot m = sample();
    const std::string text = render_metrics(&m, facts());
    EXPECT_TRUE(has_line(text, "# TYPE baton_orders_open gauge")) << text;
    EXPECT_TRUE(has_line(text, "baton_orders_open{holder=\"finance\",stage=\"credit_review\"} 4"))
        << text;
    EXPECT_TRUE(has_line(text, "baton_orders_open{holder=\"logistics\",stage=\"shipping\"} 0"))
        << text;
    EXPECT_TRUE(has_line(
        text, "baton_exceptions_open{dept=\"finance\",kind=\"credit_hold\",severity=\"high\"} 2"))
        << text;
    EXPECT_TRUE(has_line(text, "baton_tasks_open{dept=\"production\"} 1")) << text;
}

TEST(metrics_text, gauges_and_scrape_time_facts) {
    metrics_snapshot m = sample();
    const std::string text = render_metrics(&m, facts());
    EXPECT_TRUE(has_line(text, "baton_build_info{version=\"0.1.0\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "baton_start_time_seconds 1795000000.25")) << text;
    EXPECT_TRUE(has_line(text, "baton_loop_last_turn_timestamp_seconds 1795000060.5")) << text;
    EXPECT_TRUE(has_line(text, "baton_journal_events 7")) << text;
    EXPECT_TRUE(has_line(text, "baton_batch_waiting_events 1")) << text;
    EXPECT_TRUE(has_line(text, "baton_storage_failing 1")) << text;
    EXPECT_TRUE(has_line(text, "baton_feed_failing 0")) << text;
    EXPECT_TRUE(has_line(text, "baton_ready 1")) << text;
    for (const char* name : {"baton_timers_pending", "baton_relay_seq", "baton_dedup_entries"})
        EXPECT_TRUE(has_line(text, std::string("# TYPE ") + name + " gauge")) << name;
}

TEST(metrics_text, every_family_has_exactly_one_help_and_one_type_line) {
    metrics_snapshot m = sample();
    const std::string text = render_metrics(&m, facts());
    std::istringstream in(text);
    std::size_t help = 0, type = 0;
    for (std::string l; std::getline(in, l);) {
        help += l.rfind("# HELP baton_", 0) == 0 ? 1 : 0;
        type += l.rfind("# TYPE baton_", 0) == 0 ? 1 : 0;
    }
    EXPECT_EQ(help, type);
    EXPECT_EQ(type, 33u) << text;  // the families docs/protocol.md lists
}

TEST(metrics_text, while_loading_only_start_up_families_and_ready_zero) {
    scrape_facts f = facts();
    f.ready = false;
    f.last_turn_ms = 0;
    const std::string text = render_metrics(nullptr, f);
    EXPECT_TRUE(has_line(text, "baton_build_info{version=\"0.1.0\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "baton_ready 0")) << text;
    EXPECT_EQ(text.find("baton_events_acked_total"), std::string::npos) << text;
    EXPECT_EQ(text.find("baton_loop_last_turn_timestamp_seconds"), std::string::npos) << text;
}

}  // namespace
}  // namespace baton
