// The catalogue: every key in both languages, once; the language a browser asks for; dates,
// numbers, money and durations as each reader writes them. And the roles table.
#include "catalogue.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "roles.h"

namespace baton::board {
namespace {

TEST(catalogue, every_key_has_both_languages_once) {
    std::set<std::string> keys;
    for (const auto& e : catalogue()) {
        EXPECT_TRUE(keys.insert(e.key).second) << "twice: " << e.key;
        EXPECT_NE(std::string(e.en), "") << e.key;
        EXPECT_NE(std::string(e.zh), "") << e.key;
        // Placeholders agree: the same {n} in both languages.
        std::regex placeholder("\\{[0-9]\\}");
        auto count = [&](const char* s) {
            std::string text(s);
            return std::distance(std::sregex_iterator(text.begin(), text.end(), placeholder),
                                 std::sregex_iterator());
        };
        EXPECT_EQ(count(e.en), count(e.zh)) << e.key;
    }
    EXPECT_GT(keys.size(), 200u);
}

// Every key the board's sources name in tr()/t()/tr_fmt() exists: a key typed wrong would show
// as the key itself on the page.
TEST(catalogue, every_key_the_pages_use_is_in_it) {
    std::set<std::string> keys;
    for (const auto& e : catalogue()) keys.insert(e.key);
    const std::regex used(
        R"((?:\bt|\btr|\btr_fmt)\((?:v|x\.v|v\.l|x\.v\.l|l), \"([a-z_]+\.[a-z_.0-9]+)\")");
    int seen = 0;
    for (const char* file : {"pages_board.cpp", "pages_tasks.cpp", "pages_search.cpp",
                             "pages_frame.cpp", "server.cpp", "html.cpp", "pages_order.cpp",
                             "pages_customer.cpp", "pages_kpi.cpp", "pages_users.cpp"}) {
        std::ifstream in(std::string(BATON_SOURCE_DIR) + "/board/" + file);
        ASSERT_TRUE(in) << file;
        std::stringstream text;
        text << in.rdbuf();
        const std::string src = text.str();
        for (auto it = std::sregex_iterator(src.begin(), src.end(), used);
             it != std::sregex_iterator(); ++it) {
            ++seen;
            EXPECT_TRUE(keys.count((*it)[1].str())) << file << ": " << (*it)[1].str();
        }
    }
    EXPECT_GT(seen, 100);
}

TEST(catalogue, words_of_batond_fall_back_to_batonds_name) {
    EXPECT_EQ(term(lang::zh, "kind", "credit_hold"), "信用冻结");
    EXPECT_EQ(term(lang::en, "stage", "credit_review"), "Credit review");
    EXPECT_EQ(term(lang::zh, "stage", "anodising"), "anodising");  // a plant's own stage
    EXPECT_TRUE(has_term("dept", "finance"));
    EXPECT_FALSE(has_term("dept", "<script>"));
    EXPECT_EQ(tr(lang::en, "no.such.key"), "no.such.key");
    EXPECT_EQ(tr_fmt(lang::en, "board.count_open", {"3"}), "3 open");
    EXPECT_EQ(tr_fmt(lang::zh, "board.count_open", {"3"}), "共3条未处理");
}

TEST(catalogue, language_follows_accept_language_with_q_values) {
    EXPECT_EQ(lang_from_accept(""), lang::en);
    EXPECT_EQ(lang_from_accept("zh-CN,zh;q=0.9,en;q=0.8"), lang::zh);
    EXPECT_EQ(lang_from_accept("en-US,en;q=0.9,zh-CN;q=0.8"), lang::en);
    EXPECT_EQ(lang_from_accept("de-DE, zh-Hans;q=0.5"), lang::zh);
    EXPECT_EQ(lang_from_accept("zh;q=0, en"), lang::en);
    EXPECT_EQ(lang_from_accept("ZH-tw"), lang::zh);
    EXPECT_EQ(lang_from_accept("zhx, fr"), lang::en);
    EXPECT_EQ(lang_from_accept(";;;q=,,,"), lang::en);
}

TEST(catalogue, dates_numbers_money_and_durations_per_language) {
    ::setenv("TZ", "Asia/Shanghai", 1);
    ::tzset();
    const std::int64_t t = 1795000000000;  // 2026-11-18 11:06:40 UTC, 19:06 in Shanghai
    EXPECT_EQ(fmt_time(lang::en, t), "2026-11-18 19:06");
    EXPECT_EQ(fmt_time(lang::zh, t), "2026年11月18日 19:06");
    EXPECT_EQ(fmt_day(lang::zh, t), "2026年11月18日");
    EXPECT_EQ(fmt_time(lang::en, 0), "—");
    EXPECT_EQ(fmt_date_text(lang::zh, "2026-12-05"), "2026年12月5日");
    EXPECT_EQ(fmt_date_text(lang::en, "2026-12-05"), "2026-12-05");
    EXPECT_EQ(fmt_money(lang::zh, 184300050), "¥1,843,000.50");
    EXPECT_EQ(fmt_money(lang::en, 184300050), "CNY 1,843,000.50");
    EXPECT_EQ(fmt_money(lang::en, -5), "CNY -0.05");
    EXPECT_EQ(fmt_money(lang::zh, 100, "EUR"), "EUR 1.00");
    EXPECT_EQ(fmt_number(lang::en, 1234567), "1,234,567");
    EXPECT_EQ(fmt_number(lang::en, -1234.5, 1), "-1,234.5");
    EXPECT_EQ(fmt_percent(lang::zh, 0.875), "87.5%");
    EXPECT_EQ(fmt_duration(lang::en, (3 * 24 + 4) * 3600000LL), "3d 4h");
    EXPECT_EQ(fmt_duration(lang::zh, (3 * 24 + 4) * 3600000LL), "3天4小时");
    EXPECT_EQ(fmt_duration(lang::zh, 40 * 60000LL), "40分");
    EXPECT_EQ(fmt_duration(lang::en, -5), "0s");
    ::unsetenv("TZ");
    ::tzset();
}

person someone(role level, const std::string& dept = "finance", const std::string& name = "anna") {
    person p;
    p.name = name;
    p.dept = dept;
    p.level = level;
    return p;
}

TEST(roles, each_role_may_do_what_the_table_says) {
    const person viewer = someone(role::viewer), clerk = someone(role::clerk),
                 lead = someone(role::lead), admin = someone(role::admin);
    EXPECT_FALSE(may(viewer, action::ack, "finance"));
    EXPECT_FALSE(may(viewer, action::task_done, "finance"));
    // A clerk acknowledges anything; resolves, closes and assigns what is theirs.
    EXPECT_TRUE(may(clerk, action::ack, "production"));
    EXPECT_TRUE(may(clerk, action::resolve, "finance"));
    EXPECT_FALSE(may(clerk, action::resolve, "production"));
    EXPECT_TRUE(may(clerk, action::resolve, "production", "anna"));  // given to her
    EXPECT_FALSE(may(clerk, action::resolve, "finance", "otto"));    // given to someone else
    EXPECT_TRUE(may(clerk, action::task_done, "finance"));
    EXPECT_TRUE(may(clerk, action::assign, "finance"));
    EXPECT_FALSE(may(clerk, action::assign, "logistics"));
    EXPECT_FALSE(may(clerk, action::reassign, "finance", "otto"));
    EXPECT_FALSE(may(clerk, action::users));
    // A lead acts for every department and reassigns; only an admin manages users.
    EXPECT_TRUE(may(lead, action::resolve, "production", "otto"));
    EXPECT_TRUE(may(lead, action::reassign, "logistics", "otto"));
    EXPECT_FALSE(may(lead, action::users));
    EXPECT_TRUE(may(admin, action::users));
    EXPECT_TRUE(may(admin, action::resolve, "sales"));
    EXPECT_EQ(parse_role("lead"), role::lead);
    EXPECT_EQ(parse_role("boss"), std::nullopt);
    EXPECT_EQ(role_name(role::admin), "admin");
}

}  // namespace
}  // namespace baton::board
