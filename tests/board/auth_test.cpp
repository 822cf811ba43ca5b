// The board's people part without a server: password hashing, the users file, sessions, the
// login limiter and the adduser command. Hashing takes about 0.1 s, so few tests hash.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "adduser.h"
#include "config_error.h"
#include "login_limiter.h"
#include "sessions.h"
#include "temp_dir.h"
#include "users.h"

using namespace baton::board;
using baton::config_error;
using baton::testing::temp_dir;

namespace {

// Shaped like crypto_pwhash_str's output; no password matches it.
const std::string fake_hash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

user_record record(std::string name, role level, std::string display = "",
                   std::string dept = "customer_service") {
    user_record r;
    r.who.name = std::move(name);
    r.who.display = std::move(display);
    r.who.dept = std::move(dept);
    r.who.level = level;
    r.hash = fake_hash;
    return r;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string user_yaml(const std::string& extra_lines) {
    return "users:\n"
           "  - name: li.na\n"
           "    role: clerk\n"
           "    hash: \"" +
           fake_hash + "\"\n" + extra_lines;
}

// Loads `text` and returns the config_error it must raise.
config_error load_error(const temp_dir& dir, const std::string& text) {
    const std::string path = dir.write("users.yaml", text);
    try {
        users_file::load(path);
    } catch (const config_error& e) {
        return e;
    }
    ADD_FAILURE() << "loaded without an error:\n" << text;
    return config_error("", "", "");
}

}  // namespace

// Passwords

TEST(passwords, a_hash_verifies_its_password_and_nothing_else) {
    const std::string hash = hash_password("correct horse");
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
    EXPECT_EQ(hash.find("correct horse"), std::string::npos);
    EXPECT_TRUE(verify_password(hash, "correct horse"));
    EXPECT_FALSE(verify_password(hash, "correct horsE"));
    EXPECT_FALSE(verify_password(hash, ""));
}

TEST(passwords, a_malformed_hash_verifies_nothing) {
    EXPECT_FALSE(verify_password("", "correct horse"));
    EXPECT_FALSE(verify_password("plain text", "plain text"));
    EXPECT_FALSE(verify_password("$argon2id$", "correct horse"));
    EXPECT_FALSE(verify_password(fake_hash, "correct horse"));
    EXPECT_FALSE(verify_password(fake_hash.substr(0, 20), "correct horse"));
    EXPECT_FALSE(verify_password("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA", "x"));
    EXPECT_FALSE(verify_password(std::string(500, '$'), "x"));
}

TEST(passwords, must_be_8_to_256_bytes) {
    EXPECT_TRUE(password_problem("1234567"));
    EXPECT_EQ(password_problem("1234567")->key, "users.password_short");
    EXPECT_FALSE(password_problem("12345678"));
    EXPECT_FALSE(password_problem(std::string(256, 'x')));
    EXPECT_EQ(password_problem(std::string(257, 'x'))->key, "users.password_long");
}

TEST(users_file, only_a_known_name_with_its_password_authenticates) {
    temp_dir dir;
    users_file users(dir / "users.yaml");
    auto r = record("li.na", role::clerk, "李娜");
    r.hash = hash_password("correct horse");
    users.put(r);
    auto off = r;
    off.who.name = "wang.wei";
    users.put(off);
    off.disabled = true;
    users.put(off);

    const auto who = users.authenticate("li.na", "correct horse");
    ASSERT_TRUE(who);
    EXPECT_EQ(who->display, "李娜");
    EXPECT_FALSE(users.authenticate("li.na", "wrong horse"));
    EXPECT_FALSE(users.authenticate("nobody", "correct horse"));
    EXPECT_FALSE(users.authenticate("wang.wei", "correct horse"));  // disabled
}

// The users file

TEST(users_file, round_trips_every_field_including_chinese_names) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    users_file users(path);
    auto li = record("li.na", role::clerk, "李娜");
    li.who.lang = "zh";
    users.put(li);
    auto odd = record("zhang-3", role::admin, "null", "quality");  // would read back as null
    odd.disabled = true;
    users.put(odd);
    users.put(record("a.lead", role::lead, "Tom \"Quote\" O'Neil: #1", "sales"));
    users.save();

    const auto back = users_file::load(path);
    const auto all = back->records();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].who.name, "a.lead");  // sorted by name
    EXPECT_EQ(all[0].who.display, "Tom \"Quote\" O'Neil: #1");
    EXPECT_EQ(all[0].who.level, role::lead);
    const auto l = back->find("li.na");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->who.display, "李娜");
    EXPECT_EQ(l->who.dept, "customer_service");
    EXPECT_EQ(l->who.lang, "zh");
    EXPECT_EQ(l->hash, fake_hash);
    EXPECT_FALSE(l->disabled);
    const auto z = back->find("zhang-3");
    ASSERT_TRUE(z);
    EXPECT_EQ(z->who.display, "null");
    EXPECT_EQ(z->who.level, role::admin);
    EXPECT_TRUE(z->disabled);
    // people() is for choosing someone: the disabled are not offered.
    const auto people = back->people();
    ASSERT_EQ(people.size(), 2u);
    EXPECT_EQ(people[1].name, "li.na");
    EXPECT_FALSE(back->find("nobody"));
    EXPECT_NE(read_all(path).find("李娜"), std::string::npos);  // written as UTF-8, not escaped
}

TEST(users_file, put_replaces_the_user_of_the_same_name) {
    temp_dir dir;
    users_file users(dir / "users.yaml");
    users.put(record("li.na", role::clerk));
    users.put(record("li.na", role::lead));
    ASSERT_EQ(users.records().size(), 1u);
    EXPECT_EQ(users.find("li.na")->who.level, role::lead);
}

TEST(users_file, is_saved_with_mode_0600_even_over_an_old_temporary_file) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    dir.write("users.yaml.tmp", "left over");
    ::chmod((path + ".tmp").c_str(), 0644);
    users_file users(path);
    users.put(record("li.na", role::clerk));
    users.save();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_NE(::stat((path + ".tmp").c_str(), &st), 0);  // renamed away
}

TEST(users_file, the_first_save_creates_its_folder) {
    temp_dir dir;
    const std::string path = dir / "var/board/users.yaml";
    users_file users(path);
    users.put(record("li.na", role::admin));
    users.save();
    EXPECT_EQ(users_file::load(path)->find("li.na")->who.level, role::admin);
}

TEST(users_file, a_failed_store_leaves_the_users_as_they_were) {
    temp_dir dir;
    // Its folder cannot be made: a file of that name is in the way.
    dir.write("not-a-folder", "");
    users_file users(dir / "not-a-folder/users.yaml");
    users.put(record("li.na", role::clerk));
    EXPECT_THROW(users.store(record("li.na", role::admin)), config_error);
    EXPECT_THROW(users.store(record("wang.wei", role::admin)), config_error);
    EXPECT_EQ(users.find("li.na")->who.level, role::clerk);
    EXPECT_FALSE(users.find("wang.wei"));
}

TEST(users_file, reload_sees_changes_and_keeps_the_old_users_on_an_error) {
    temp_dir dir;
    const std::string path = dir.write("users.yaml", user_yaml(""));
    auto users = users_file::load(path);
    dir.write("users.yaml",
              user_yaml("  - name: wang.wei\n    role: lead\n    hash: \"" + fake_hash + "\"\n"));
    users->reload();
    EXPECT_TRUE(users->find("wang.wei"));
    dir.write("users.yaml", user_yaml("    lang: fr\n"));
    EXPECT_THROW(users->reload(), config_error);
    EXPECT_TRUE(users->find("wang.wei"));
}

TEST(users_file, a_missing_file_is_an_error_unless_allowed) {
    temp_dir dir;
    EXPECT_THROW(users_file::load(dir / "users.yaml"), config_error);
    EXPECT_TRUE(users_file::load(dir / "users.yaml", true)->records().empty());
    EXPECT_TRUE(users_file::load(dir.write("empty.yaml", ""))->records().empty());
}

TEST(users_file, names_the_key_of_an_unknown_key) {
    temp_dir dir;
    const auto e = load_error(dir, user_yaml("    pasword: secret\n"));
    EXPECT_EQ(e.file, dir / "users.yaml");
    EXPECT_EQ(e.key, "users[0].pasword");
    EXPECT_NE(e.reason.find("unknown key"), std::string::npos) << e.what();
}

TEST(users_file, names_the_role_it_does_not_know) {
    temp_dir dir;
    const auto e = load_error(
        dir, user_yaml("  - name: wang.wei\n    role: boss\n    hash: \"" + fake_hash + "\"\n"));
    EXPECT_EQ(e.key, "users[1].role");
    EXPECT_EQ(std::string(e.what()).rfind(dir / "users.yaml" +
                                              ": users[1].role: must be viewer, clerk, lead or "
                                              "admin, got 'boss'",
                                          0),
              0u)
        << e.what();
}

TEST(users_file, refuses_a_name_listed_twice) {
    temp_dir dir;
    const auto e = load_error(
        dir, user_yaml("  - name: li.na\n    role: lead\n    hash: \"" + fake_hash + "\"\n"));
    EXPECT_EQ(e.key, "users[1].name");
    EXPECT_NE(e.reason.find("user 'li.na' is listed twice"), std::string::npos) << e.what();
}

TEST(users_file, refuses_a_hash_that_is_not_argon2id) {
    temp_dir dir;
    const auto e = load_error(dir,
                              "users:\n  - name: li.na\n    role: clerk\n"
                              "    hash: \"$2y$10$abcdefghijklmnopqrstuv\"\n");
    EXPECT_EQ(e.key, "users[0].hash");
    EXPECT_NE(e.reason.find("$argon2id$"), std::string::npos) << e.what();
}

TEST(users_file, refuses_bad_names_languages_long_display_names_and_missing_keys) {
    temp_dir dir;
    EXPECT_EQ(load_error(dir, "users:\n  - name: Li Na\n    role: clerk\n    hash: \"" + fake_hash +
                                  "\"\n")
                  .key,
              "users[0].name");
    EXPECT_EQ(load_error(dir, user_yaml("    lang: fr\n")).key, "users[0].lang");
    EXPECT_EQ(load_error(dir, user_yaml("    display: \"" + std::string(65, 'x') + "\"\n")).key,
              "users[0].display");
    EXPECT_EQ(load_error(dir, "users:\n  - name: li.na\n    role: clerk\n").key, "users[0].hash");
    EXPECT_EQ(load_error(dir, "users:\n  - role: clerk\n    hash: \"" + fake_hash + "\"\n").key,
              "users[0].name");
    EXPECT_EQ(load_error(dir, "people: []\n").key, "people");
}

// Sessions

TEST(sessions, tokens_are_43_characters_of_base64url_and_all_differ) {
    session_store store(60000, 3600000);
    const std::regex base64url("[A-Za-z0-9_-]{43}");
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        const auto s = store.open("li.na", 1000);
        EXPECT_TRUE(std::regex_match(s.token, base64url)) << s.token;
        EXPECT_TRUE(std::regex_match(s.csrf, base64url)) << s.csrf;
        EXPECT_NE(s.token, s.csrf);
        EXPECT_TRUE(seen.insert(s.token).second);
        EXPECT_TRUE(seen.insert(s.csrf).second);
    }
}

TEST(sessions, touch_finds_the_session_and_moves_its_last_use) {
    session_store store(60000, 3600000);
    const auto s = store.open("li.na", 1000);
    EXPECT_EQ(s.user, "li.na");
    EXPECT_EQ(s.created_ms, 1000);
    const auto t = store.touch(s.token, 5000);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->user, "li.na");
    EXPECT_EQ(t->csrf, s.csrf);
    EXPECT_EQ(t->created_ms, 1000);
    EXPECT_EQ(t->last_ms, 5000);
    EXPECT_FALSE(store.touch("not-a-token", 5000));
    EXPECT_FALSE(store.touch(s.csrf, 5000));  // the CSRF token is no session token
}

TEST(sessions, end_after_the_idle_time_without_a_request) {
    session_store store(1000, 3600000);
    const auto s = store.open("li.na", 0);
    EXPECT_TRUE(store.touch(s.token, 900));
    EXPECT_TRUE(store.touch(s.token, 1900));  // idle counts from the last request
    EXPECT_FALSE(store.touch(s.token, 2901));
    EXPECT_EQ(store.size(), 0u);
    EXPECT_FALSE(store.touch(s.token, 2902));
}

TEST(sessions, end_at_the_absolute_limit_however_busy) {
    session_store store(1000, 5000);
    const auto s = store.open("li.na", 0);
    std::int64_t now = 0;
    for (; now <= 5000; now += 500) ASSERT_TRUE(store.touch(s.token, now)) << now;
    EXPECT_FALSE(store.touch(s.token, 5001));
    EXPECT_EQ(store.size(), 0u);
}

TEST(sessions, close_ends_one_and_close_user_ends_all_of_a_user) {
    session_store store(60000, 3600000);
    const auto a = store.open("li.na", 0);
    const auto b = store.open("li.na", 0);
    const auto c = store.open("wang.wei", 0);
    store.close(a.token);
    EXPECT_FALSE(store.touch(a.token, 1));
    EXPECT_TRUE(store.touch(b.token, 1));
    store.close("no-such-token");
    EXPECT_EQ(store.size(), 2u);
    EXPECT_EQ(store.close_user("li.na"), 1u);
    EXPECT_FALSE(store.touch(b.token, 2));
    EXPECT_TRUE(store.touch(c.token, 2));
    EXPECT_EQ(store.close_user("nobody"), 0u);
}

TEST(sessions, a_full_store_drops_the_least_recently_used) {
    session_store store(60000, 3600000, 3);
    const auto a = store.open("a", 0);
    const auto b = store.open("b", 1);
    const auto c = store.open("c", 2);
    ASSERT_TRUE(store.touch(a.token, 3));  // b is now the least recently used
    const auto d = store.open("d", 4);
    EXPECT_EQ(store.size(), 3u);
    EXPECT_FALSE(store.touch(b.token, 5));
    EXPECT_TRUE(store.touch(a.token, 5));
    EXPECT_TRUE(store.touch(c.token, 5));
    EXPECT_TRUE(store.touch(d.token, 5));
}

TEST(sessions, same_token_compares_whole_tokens) {
    const std::string t = random_token();
    EXPECT_TRUE(same_token(t, std::string(t)));
    std::string other = t;
    other.back() = other.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(same_token(t, other));
    EXPECT_FALSE(same_token(t, t.substr(0, 42)));
    EXPECT_FALSE(same_token(t, ""));
    EXPECT_TRUE(same_token("", ""));
}

// The login limiter

TEST(login_limiter, five_failures_block_the_user_until_the_first_leaves_the_window) {
    login_limiter limiter(5, 60000);
    for (int i = 0; i < 4; ++i) {
        limiter.failed("li.na", "10.0.0.1", 1000 * i);
        EXPECT_EQ(limiter.blocked_for("li.na", "10.0.0.1", 1000 * i), 0) << i;
    }
    limiter.failed("li.na", "10.0.0.1", 4000);
    // The sixth try waits, from any address, until the first failure is a window old.
    EXPECT_EQ(limiter.blocked_for("li.na", "10.0.0.1", 4000), 56000);
    EXPECT_EQ(limiter.blocked_for("li.na", "10.9.9.9", 30000), 30000);
    EXPECT_EQ(limiter.blocked_for("wang.wei", "10.0.0.1", 4000), 0);
    EXPECT_EQ(limiter.blocked_for("li.na", "10.0.0.1", 60000), 0);
}

TEST(login_limiter, a_good_login_forgives_the_user) {
    login_limiter limiter(5, 60000);
    for (int i = 0; i < 5; ++i) limiter.failed("li.na", "10.0.0.1", i);
    ASSERT_GT(limiter.blocked_for("li.na", "10.0.0.1", 10), 0);
    limiter.succeeded("li.na", "10.0.0.1");
    EXPECT_EQ(limiter.blocked_for("li.na", "10.0.0.1", 10), 0);
}

TEST(login_limiter, an_address_may_fail_twenty_times_across_names) {
    login_limiter limiter(5, 60000);
    for (int i = 0; i < 19; ++i) limiter.failed("guess" + std::to_string(i), "10.0.0.1", i);
    EXPECT_EQ(limiter.blocked_for("li.na", "10.0.0.1", 20), 0);
    limiter.failed("guess19", "10.0.0.1", 19);
    EXPECT_GT(limiter.blocked_for("li.na", "10.0.0.1", 20), 0);
    EXPECT_EQ(limiter.blocked_for("li.na", "10.0.0.2", 20), 0);
    // A good login on one account does not reset the address.
    limiter.succeeded("guess3", "10.0.0.1");
    EXPECT_GT(limiter.blocked_for("li.na", "10.0.0.1", 20), 0);
    EXPECT_EQ(limiter.blocked_for("li.na", "10.0.0.1", 60000), 0);
}

TEST(login_limiter, remembers_at_most_max_keys_of_each_kind) {
    login_limiter limiter(1, 60000, 2);
    limiter.failed("a", "10.0.0.1", 0);
    limiter.failed("b", "10.0.0.2", 1);
    limiter.failed("c", "10.0.0.3", 2);
    EXPECT_EQ(limiter.blocked_for("a", "10.0.0.9", 3), 0);  // forgotten, the oldest
    EXPECT_GT(limiter.blocked_for("b", "10.0.0.9", 3), 0);
    EXPECT_GT(limiter.blocked_for("c", "10.0.0.9", 3), 0);
}

// adduser

namespace {

struct adduser_run {
    int code;
    std::string out, err;
};

adduser_run run_adduser(const adduser_options& o, const std::string& input) {
    std::istringstream in(input);
    std::ostringstream out, err;
    const int code = adduser_main(o, in, out, err);
    return {code, out.str(), err.str()};
}

adduser_options new_clerk(const std::string& path) {
    adduser_options o;
    o.users_path = path;
    o.name = "li.na";
    o.display = "李娜";
    o.dept = "customer_service";
    return o;
}

}  // namespace

TEST(adduser, adds_a_user_with_the_password_from_standard_input) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    const auto r = run_adduser(new_clerk(path), "correct horse\n");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "added user li.na (clerk, customer_service) to " + path + "\n");
    EXPECT_EQ(r.err, "");
    const auto users = users_file::load(path);
    const auto li = users->find("li.na");
    ASSERT_TRUE(li);
    EXPECT_EQ(li->who.display, "李娜");
    EXPECT_EQ(li->who.level, role::clerk);
    EXPECT_TRUE(verify_password(li->hash, "correct horse"));
    EXPECT_EQ(read_all(path).find("correct horse"), std::string::npos);
}

TEST(adduser, refuses_a_short_password_with_exit_2) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    const auto r = run_adduser(new_clerk(path), "short\n");
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "adduser: password: must be at least 8 bytes\n");
    EXPECT_EQ(r.err.find("short"), std::string::npos);  // never echoes the password
    struct stat st {};
    EXPECT_NE(::stat(path.c_str(), &st), 0);
}

TEST(adduser, refuses_bad_input_before_asking_for_a_password) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    auto o = new_clerk(path);
    o.role = "boss";
    auto r = run_adduser(o, "correct horse\n");
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "adduser: role: must be viewer, clerk, lead or admin, got 'boss'\n");
    o = new_clerk(path);
    o.dept = "";
    EXPECT_EQ(run_adduser(o, "correct horse\n").err,
              "adduser: dept: a new user needs a department\n");
    o = new_clerk(path);
    o.name = "Li Na";
    EXPECT_EQ(run_adduser(o, "correct horse\n").code, 2);
    EXPECT_EQ(run_adduser(new_clerk(path), "").err,
              "adduser: password: a new user needs a password\n");
}

TEST(adduser, changes_the_role_and_keeps_the_hash_without_a_new_password) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    {
        users_file users(path);
        users.put(record("li.na", role::clerk, "李娜"));
        users.save();
    }
    adduser_options o;
    o.users_path = path;
    o.name = "li.na";
    o.role = "lead";
    const auto r = run_adduser(o, "");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "changed user li.na (lead, customer_service) in " + path + "\n");
    const auto li = users_file::load(path)->find("li.na");
    ASSERT_TRUE(li);
    EXPECT_EQ(li->who.level, role::lead);
    EXPECT_EQ(li->who.display, "李娜");  // not given: kept
    EXPECT_EQ(li->hash, fake_hash);
}

TEST(adduser, takes_the_first_line_of_a_password_file) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    {
        users_file users(path);
        users.put(record("li.na", role::clerk));
        users.save();
    }
    adduser_options o;
    o.users_path = path;
    o.name = "li.na";
    o.password_file = dir.write("password", "new password\r\nsecond line\n");
    const auto r = run_adduser(o, "ignored input\n");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(verify_password(users_file::load(path)->find("li.na")->hash, "new password"));
    o.password_file = dir / "no-such-file";
    EXPECT_EQ(run_adduser(o, "").code, 1);
}

TEST(adduser, disables_without_a_password_and_enables_again) {
    temp_dir dir;
    const std::string path = dir / "users.yaml";
    {
        users_file users(path);
        users.put(record("li.na", role::clerk));
        users.save();
    }
    adduser_options o;
    o.users_path = path;
    o.name = "li.na";
    o.disable = true;
    auto r = run_adduser(o, "never read\n");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "disabled user li.na (clerk, customer_service) in " + path + "\n");
    EXPECT_TRUE(users_file::load(path)->find("li.na")->disabled);
    o.disable = false;
    EXPECT_EQ(run_adduser(o, "").code, 0);
    EXPECT_FALSE(users_file::load(path)->find("li.na")->disabled);
    o.name = "nobody";
    o.disable = true;
    EXPECT_EQ(run_adduser(o, "").code, 2);
}

TEST(adduser, a_broken_users_file_exits_1) {
    temp_dir dir;
    const std::string path = dir.write("users.yaml", "users:\n  - name: li.na\n    role: boss\n");
    const auto r = run_adduser(new_clerk(path), "correct horse\n");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(path + ": users[0].role"), std::string::npos) << r.err;
}
