// The users page (admin) and the change its form makes: what the page shows in each language,
// and what the form accepts and refuses (the same rules as adduser).
#include <gtest/gtest.h>

#include <regex>

#include "pages.h"
#include "temp_dir.h"
#include "users.h"
#include "users_form.h"

using namespace baton::board;
using baton::testing::temp_dir;

namespace {

const std::string fake_hash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

user_record record(std::string name, role level, std::string display = "") {
    user_record r;
    r.who.name = std::move(name);
    r.who.display = std::move(display);
    r.who.dept = "customer_service";
    r.who.level = level;
    r.hash = fake_hash;
    return r;
}

view_ctx admin_view(lang l = lang::en) {
    view_ctx v;
    v.l = l;
    v.me.name = "boss";
    v.me.level = role::admin;
    v.csrf = "csrf-token-123";
    v.path = "/users";
    return v;
}

// A users file with one active administrator and one clerk, saved in `dir`.
std::unique_ptr<users_file> two_users(const temp_dir& dir) {
    auto users = std::make_unique<users_file>(dir / "users.yaml");
    users->put(record("boss", role::admin, "Boss"));
    users->put(record("li.na", role::clerk, "李娜"));
    users->save();
    return users;
}

std::string between(const std::string& html, const std::string& from, const std::string& to) {
    const auto a = html.find(from);
    if (a == std::string::npos) return "";
    const auto b = html.find(to, a);
    return html.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

}  // namespace

TEST(users_page, lists_users_with_their_names_escaped) {
    auto evil = record("x.y", role::lead, "<b>Li</b> & \"co\"");
    evil.who.lang = "zh";
    auto off = record("wang.wei", role::viewer);
    off.disabled = true;
    const std::string html = render_users(admin_view(), {evil, off}, "");
    const std::string table = between(html, "<table id=\"users\"", "</table>");
    ASSERT_FALSE(table.empty());
    EXPECT_NE(table.find("&lt;b&gt;Li&lt;/b&gt; &amp; &quot;co&quot;"), std::string::npos);
    EXPECT_EQ(html.find("<b>Li</b>"), std::string::npos);
    EXPECT_NE(table.find("<td>Customer service</td>"), std::string::npos);
    EXPECT_NE(table.find("<td>Lead</td>"), std::string::npos);
    EXPECT_NE(table.find("<td>中文</td>"), std::string::npos);
    EXPECT_NE(table.find("<tr data-name=\"wang.wei\" class=\"user-disabled\">"), std::string::npos);
    EXPECT_NE(table.find("<td>Disabled</td>"), std::string::npos);
    EXPECT_NE(table.find("<td>Active</td>"), std::string::npos);
    EXPECT_NE(html.find("id=\"nav-users\" href=\"/users\" class=\"active\""), std::string::npos);
}

TEST(users_page, the_form_posts_to_users_with_the_csrf_token) {
    const std::string html = render_users(admin_view(), std::vector<user_record>{}, "");
    const std::string form = between(html, "<form method=\"post\" action=\"/users\"", "</form>");
    ASSERT_FALSE(form.empty());
    EXPECT_NE(form.find("id=\"user-form\""), std::string::npos);
    EXPECT_NE(form.find("<input type=\"hidden\" name=\"csrf\" value=\"csrf-token-123\">"),
              std::string::npos);
    for (const char* field :
         {"name=\"name\"", "name=\"display\"", "<select name=\"dept\"", "<select name=\"role\"",
          "<select name=\"lang\"", "type=\"password\" name=\"password\"",
          "type=\"checkbox\" name=\"disabled\" value=\"1\"", "type=\"submit\""})
        EXPECT_NE(form.find(field), std::string::npos) << field;
    for (const char* dept :
         {"sales", "finance", "production", "logistics", "customer_service", "quality"})
        EXPECT_NE(form.find("<option value=\"" + std::string(dept) + "\">"), std::string::npos);
    EXPECT_NE(form.find("<option value=\"admin\">Administrator</option>"), std::string::npos);
    EXPECT_NE(form.find("<option value=\"browser\">"), std::string::npos);
    EXPECT_NE(html.find("No users yet."), std::string::npos);
}

TEST(users_page, speaks_chinese_to_a_chinese_reader) {
    const std::string html =
        render_users(admin_view(lang::zh), {record("li.na", role::clerk)}, "已修改用户 li.na。");
    EXPECT_NE(html.find("<h1>用户管理</h1>"), std::string::npos);
    EXPECT_NE(html.find("<th>用户名</th>"), std::string::npos);
    EXPECT_NE(html.find("<th>部门</th>"), std::string::npos);
    EXPECT_NE(html.find("<td>客服部</td>"), std::string::npos);
    EXPECT_NE(html.find("<td>专员</td>"), std::string::npos);
    EXPECT_NE(html.find("<td>跟随浏览器</td>"), std::string::npos);
    EXPECT_NE(html.find(">保存</button>"), std::string::npos);
    EXPECT_NE(html.find("<p id=\"users-message\" class=\"message\">已修改用户 li.na。</p>"),
              std::string::npos);
}

TEST(users_page, every_word_comes_from_the_catalogue) {
    // tr() gives back a key it does not know; no key may show.
    const std::regex key("users\\.[a-z_]+");
    for (lang l : {lang::en, lang::zh}) {
        auto off = record("wang.wei", role::viewer);
        off.disabled = true;
        const std::string html = render_users(admin_view(l), {off}, "");
        std::smatch m;
        EXPECT_FALSE(std::regex_search(html, m, key)) << m.str();
        EXPECT_FALSE(render_users(admin_view(l), std::vector<user_record>{}, "").empty());
    }
}

TEST(users_page, the_people_only_page_shows_everyone_active_and_escapes_the_message) {
    person p;
    p.name = "li.na";
    p.dept = "sales";
    const std::string html =
        render_users(admin_view(), std::vector<person>{p}, "<script>alert(1)</script>");
    EXPECT_NE(html.find("<td>Active</td>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
}

// The form's change

TEST(users_form, adds_a_user_and_saves_the_file) {
    temp_dir dir;
    auto users = two_users(dir);
    const auto r = apply_users_form(*users, {{"name", "wang.wei"},
                                             {"display", "王伟"},
                                             {"dept", "logistics"},
                                             {"role", "lead"},
                                             {"lang", "zh"},
                                             {"password", "correct horse"},
                                             {"csrf", "ignored here"}});
    ASSERT_TRUE(r.ok) << users_form_text(lang::en, r);
    EXPECT_EQ(r.user, "wang.wei");
    EXPECT_FALSE(r.sessions_to_close);
    EXPECT_EQ(users_form_text(lang::en, r), "Added user wang.wei.");
    EXPECT_EQ(users_form_text(lang::zh, r), "已添加用户 wang.wei。");
    const auto back = users_file::load(dir / "users.yaml")->find("wang.wei");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->who.display, "王伟");
    EXPECT_EQ(back->who.dept, "logistics");
    EXPECT_EQ(back->who.level, role::lead);
    EXPECT_EQ(back->who.lang, "zh");
    EXPECT_TRUE(verify_password(back->hash, "correct horse"));
}

TEST(users_form, names_the_field_it_refuses_in_the_readers_language) {
    temp_dir dir;
    auto users = two_users(dir);
    const auto r = apply_users_form(*users, {{"name", "li.na"}, {"role", "boss"}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message.field, "role");
    EXPECT_EQ(users_form_text(lang::en, r),
              "Role: must be viewer, clerk, lead or admin, got 'boss'");
    EXPECT_EQ(users_form_text(lang::zh, r), "角色：须为 viewer、clerk、lead 或 admin，收到“boss”");
    EXPECT_EQ(users->find("li.na")->who.level, role::clerk);
}

TEST(users_form, refuses_what_adduser_refuses) {
    temp_dir dir;
    auto users = two_users(dir);
    struct refusal {
        std::map<std::string, std::string> form;
        const char* key;
    };
    const refusal cases[] = {
        {{{"name", "Li Na"}, {"dept", "sales"}, {"password", "correct horse"}}, "users.bad_name"},
        {{{"name", ""}}, "users.bad_name"},
        {{{"name", "new.one"}, {"password", "correct horse"}}, "users.dept_required"},
        {{{"name", "new.one"}, {"dept", "sales"}}, "users.password_required"},
        {{{"name", "new.one"}, {"dept", "sales"}, {"password", "short"}}, "users.password_short"},
        {{{"name", "li.na"}, {"dept", "Sales Dept"}}, "users.bad_dept"},
        {{{"name", "li.na"}, {"lang", "fr"}}, "users.bad_lang"},
        {{{"name", "li.na"}, {"display", std::string(65, 'x')}}, "users.display_too_long"},
        {{{"name", "li.na"}, {"display", "a\x01"}}, "users.display_control"},
        {{{"name", "li.na"}, {"display", "\xff"}}, "users.bad_utf8"},
        {{{"name", "li.na"}, {"disabled", "yes"}}, "users.bad_disabled"},
    };
    for (const auto& c : cases) {
        const auto r = apply_users_form(*users, c.form);
        EXPECT_FALSE(r.ok) << c.key;
        EXPECT_EQ(r.message.key, c.key);
        for (lang l : {lang::en, lang::zh})
            EXPECT_EQ(users_form_text(l, r).find("users."), std::string::npos)
                << users_form_text(l, r);
    }
    EXPECT_EQ(users->records().size(), 2u);
    EXPECT_FALSE(users->find("new.one"));
}

TEST(users_form, disabling_keeps_the_hash_and_ends_the_sessions) {
    temp_dir dir;
    auto users = two_users(dir);
    const auto r = apply_users_form(*users, {{"name", "li.na"}, {"disabled", "1"}});
    ASSERT_TRUE(r.ok) << users_form_text(lang::en, r);
    EXPECT_TRUE(r.sessions_to_close);
    EXPECT_EQ(users_form_text(lang::en, r), "Changed user li.na; their sessions have ended.");
    const auto back = users_file::load(dir / "users.yaml")->find("li.na");
    EXPECT_TRUE(back->disabled);
    EXPECT_EQ(back->hash, fake_hash);
    EXPECT_EQ(back->who.display, "李娜");  // empty fields keep
    EXPECT_EQ(back->who.level, role::clerk);

    const auto again = apply_users_form(*users, {{"name", "li.na"}, {"lang", "browser"}});
    ASSERT_TRUE(again.ok);
    EXPECT_FALSE(again.sessions_to_close);
    EXPECT_FALSE(users->find("li.na")->disabled);  // the box unticked enables
}

TEST(users_form, keeps_one_active_administrator) {
    temp_dir dir;
    auto users = two_users(dir);
    auto r = apply_users_form(*users, {{"name", "boss"}, {"disabled", "1"}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message.key, "users.last_admin");
    r = apply_users_form(*users, {{"name", "boss"}, {"role", "lead"}});
    EXPECT_EQ(r.message.key, "users.last_admin");
    EXPECT_EQ(users->find("boss")->who.level, role::admin);

    ASSERT_TRUE(apply_users_form(*users, {{"name", "li.na"}, {"role", "admin"}}).ok);
    EXPECT_TRUE(apply_users_form(*users, {{"name", "boss"}, {"role", "lead"}}).ok);
}

TEST(users_form, a_file_that_cannot_be_saved_is_a_refusal_and_changes_nothing) {
    temp_dir dir;
    // Its folder cannot be made: a file of that name is in the way.
    dir.write("not-a-folder", "");
    users_file users(dir / "not-a-folder/users.yaml");
    users.put(record("li.na", role::clerk));
    const auto r = apply_users_form(users, {{"name", "li.na"}, {"role", "lead"}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message.key, "users.save_failed");
    EXPECT_NE(users_form_text(lang::en, r).find("not-a-folder"), std::string::npos);
    EXPECT_EQ(users.find("li.na")->who.level, role::clerk);
}
