// Tests of daemon/duration: every unit the config and flow files may write, each way a duration
// string is malformed (with the exact error), overflow, and the shortest spelling printed back.
#include "duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>

namespace baton {
namespace {

// The error of a duration that must not parse.
std::string parse_error(const std::string& text) {
    std::string error;
    auto us = parse_duration_us(text, &error);
    EXPECT_FALSE(us.has_value()) << text << " parsed as " << us.value_or(0);
    return error;
}

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

TEST(duration, microseconds_are_taken_as_is) {
    EXPECT_EQ(parse_duration_us("250us"), std::optional<std::int64_t>(250));
}

TEST(duration, milliseconds_are_a_thousand_microseconds) {
    EXPECT_EQ(parse_duration_us("500ms"), std::optional<std::int64_t>(500000));
}

TEST(duration, seconds_are_a_million_microseconds) {
    EXPECT_EQ(parse_duration_us("30s"), std::optional<std::int64_t>(30000000));
}

TEST(duration, m_means_minutes_not_milliseconds) {
    EXPECT_EQ(parse_duration_us("15m"), std::optional<std::int64_t>(15LL * 60 * 1000000));
}

TEST(duration, hours_are_parsed) {
    EXPECT_EQ(parse_duration_us("4h"), std::optional<std::int64_t>(4LL * 3600 * 1000000));
}

TEST(duration, days_are_parsed) {
    EXPECT_EQ(parse_duration_us("10d"), std::optional<std::int64_t>(10LL * 86400 * 1000000));
}

TEST(duration, zero_is_a_valid_duration) {
    EXPECT_EQ(parse_duration_us("0s"), std::optional<std::int64_t>(0));
}

TEST(duration, leading_zeros_are_accepted) {
    EXPECT_EQ(parse_duration_us("007ms"), std::optional<std::int64_t>(7000));
}

TEST(duration, error_pointer_may_be_null) {
    EXPECT_EQ(parse_duration_us("5x", nullptr), std::nullopt);
}

TEST(duration, success_leaves_error_untouched) {
    std::string error = "unchanged";
    EXPECT_TRUE(parse_duration_us("1s", &error).has_value());
    EXPECT_EQ(error, "unchanged");
}

TEST(duration, unknown_unit_is_refused_with_the_unit_named) {
    EXPECT_EQ(parse_error("5x"), "unknown duration unit 'x' in '5x'; use us, ms, s, m, h or d");
}

TEST(duration, unit_names_are_case_sensitive) {
    EXPECT_EQ(parse_error("5S"), "unknown duration unit 'S' in '5S'; use us, ms, s, m, h or d");
    EXPECT_EQ(parse_error("5MS"), "unknown duration unit 'MS' in '5MS'; use us, ms, s, m, h or d");
}

TEST(duration, long_unit_names_are_refused) {
    EXPECT_EQ(parse_error("5sec"),
              "unknown duration unit 'sec' in '5sec'; use us, ms, s, m, h or d");
    EXPECT_EQ(parse_error("2hours"),
              "unknown duration unit 'hours' in '2hours'; use us, ms, s, m, h or d");
}

TEST(duration, number_without_unit_is_refused) {
    EXPECT_EQ(parse_error("500"), "unknown duration unit '' in '500'; use us, ms, s, m, h or d");
}

TEST(duration, space_between_number_and_unit_is_refused) {
    EXPECT_EQ(parse_error("5 s"), "unknown duration unit ' s' in '5 s'; use us, ms, s, m, h or d");
}

TEST(duration, fractions_are_refused) {
    EXPECT_EQ(parse_error("1.5h"),
              "unknown duration unit '.5h' in '1.5h'; use us, ms, s, m, h or d");
}

TEST(duration, empty_text_is_refused) {
    EXPECT_EQ(parse_error(""), "expected a duration like 500ms, 30s, 15m, 4h or 10d, got ''");
}

TEST(duration, unit_without_number_is_refused) {
    EXPECT_EQ(parse_error("ms"), "expected a duration like 500ms, 30s, 15m, 4h or 10d, got 'ms'");
}

TEST(duration, negative_sign_is_refused) {
    EXPECT_EQ(parse_error("-5s"), "expected a duration like 500ms, 30s, 15m, 4h or 10d, got '-5s'");
}

TEST(duration, plus_sign_is_refused) {
    EXPECT_EQ(parse_error("+5s"), "expected a duration like 500ms, 30s, 15m, 4h or 10d, got '+5s'");
}

TEST(duration, largest_int64_of_microseconds_is_accepted) {
    EXPECT_EQ(parse_duration_us("9223372036854775807us"), std::optional<std::int64_t>(int64_max));
}

TEST(duration, number_past_int64_is_too_large) {
    EXPECT_EQ(parse_error("9223372036854775808us"),
              "duration '9223372036854775808us' is too large");
    EXPECT_EQ(parse_error("99999999999999999999999s"),
              "duration '99999999999999999999999s' is too large");
}

TEST(duration, number_times_unit_past_int64_is_too_large) {
    // int64 max is 106751991.17 days of microseconds.
    EXPECT_EQ(parse_duration_us("106751991d"),
              std::optional<std::int64_t>(106751991LL * 86400 * 1000000));
    EXPECT_EQ(parse_error("106751992d"), "duration '106751992d' is too large");
    EXPECT_EQ(parse_error("9223372036854776ms"), "duration '9223372036854776ms' is too large");
}

TEST(duration, format_of_zero_is_zero_seconds) {
    EXPECT_EQ(format_duration_us(0), "0s");
}

TEST(duration, format_picks_the_largest_exact_unit) {
    EXPECT_EQ(format_duration_us(14400000000LL), "4h");
    EXPECT_EQ(format_duration_us(10LL * 86400 * 1000000), "10d");
    EXPECT_EQ(format_duration_us(15LL * 60 * 1000000), "15m");
    EXPECT_EQ(format_duration_us(30000000), "30s");
    EXPECT_EQ(format_duration_us(500000), "500ms");
    EXPECT_EQ(format_duration_us(250), "250us");
}

TEST(duration, format_keeps_exactness_over_brevity) {
    EXPECT_EQ(format_duration_us(90LL * 60 * 1000000), "90m");  // not "1.5h"
    EXPECT_EQ(format_duration_us(1500), "1500us");
    EXPECT_EQ(format_duration_us(25LL * 3600 * 1000000), "25h");
}

TEST(duration, format_then_parse_gives_the_same_duration) {
    for (std::int64_t us : std::initializer_list<std::int64_t>{
             1, 999, 1000, 61000000, 3600000000, 86400000000, 172800000001, int64_max}) {
        auto back = parse_duration_us(format_duration_us(us));
        ASSERT_TRUE(back.has_value()) << format_duration_us(us);
        EXPECT_EQ(*back, us);
    }
}

}  // namespace
}  // namespace baton
