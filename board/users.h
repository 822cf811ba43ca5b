// The board's people: the users file (name, display name, department, role, language and an
// Argon2id hash per person), the checks every field of it passes, and password hashing. The
// file is read once at start and written back whole by adduser and the users page.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.h"
#include "html.h"
#include "roles.h"

namespace baton::board {

struct user_record {
    person who;
    std::string hash;  // crypto_pwhash_str's text, "$argon2id$v=19$m=...$salt$hash"
    bool disabled = false;
};

// One line about a user for a person to read, in either language: a catalogue key ("users.*")
// with its arguments, and the field it is about. The users file's errors, adduser's lines and
// the users page's messages all take this one shape, so their words live in the catalogue.
struct user_message {
    std::string field;  // "name", "display", "dept", "role", "lang", "password" or ""
    std::string key;
    std::vector<std::string> args;
};
// The message's text without the field ("must be viewer, clerk, lead or admin, got 'boss'").
std::string message_text(lang l, const user_message& m);

// The checks of each field; nullopt when the value is acceptable.
std::optional<user_message> name_problem(std::string_view name);          // [a-z0-9._-]{1,64}
std::optional<user_message> display_problem(std::string_view display);    // UTF-8, <= 64 bytes
std::optional<user_message> dept_problem(std::string_view dept);          // [a-z0-9_]{1,64}
std::optional<user_message> password_problem(std::string_view password);  // 8 to 256 bytes
std::optional<user_message> hash_problem(std::string_view hash);          // "$argon2id$..."

// An Argon2id hash of `password` (libsodium's crypto_pwhash_str with the interactive limits:
// about 0.1 s and 64 MiB). Throws std::runtime_error when libsodium cannot (out of memory).
std::string hash_password(std::string_view password);
// Whether `password` matches `hash`; false for a malformed hash. Never throws.
bool verify_password(std::string_view hash, std::string_view password);

// The users file, held in memory and written back whole. Safe to use from several threads:
// lookups share a lock, changes take it alone, saves are one at a time.
//
//   # baton-board users: ...
//   users:
//     - name: li.na          # [a-z0-9._-]{1,64}, unique
//       display: 李娜        # optional, at most 64 bytes
//       dept: customer_service
//       role: clerk          # viewer, clerk, lead or admin
//       lang: zh             # en, zh or "" (the browser decides)
//       hash: "$argon2id$v=19$m=65536,t=2,p=1$..."
//       disabled: false
class users_file {
public:
    // An empty file that save() will create at `path`.
    explicit users_file(std::string path);

    // Reads and checks the whole file; throws config_error naming the file, the key path
    // ("users[2].role") and the reason. A missing file is an error unless `allow_missing`
    // (adduser creates the first one).
    static std::unique_ptr<users_file> load(const std::string& path, bool allow_missing = false);

    const std::string& path() const { return path_; }

    // Reads the file again (adduser may have changed it under a running board). All or
    // nothing: on an error it throws config_error and the users stay as they were.
    void reload();

    std::optional<user_record> find(std::string_view name) const;
    // Everyone, sorted by name; people() leaves out the disabled.
    std::vector<user_record> records() const;
    std::vector<person> people() const;

    // The person `name` when `password` is theirs and they are not disabled. An unknown or
    // disabled name is checked against a stand-in hash, so the time taken does not tell which
    // names exist.
    std::optional<person> authenticate(std::string_view name, std::string_view password) const;

    // Inserts `r`, or replaces the user of the same name. Only in memory until save().
    void put(user_record r);
    // Writes the whole file: `path.tmp` with mode 0600 (owned as the old file was, when allowed),
    // fsync, rename over `path`, fsync the folder. Throws config_error when it cannot.
    void save() const;
    // put() then save(); when the save fails the users in memory are as they were before.
    void store(user_record r);

private:
    void save_locked() const;  // with save_mutex_ held

    std::string path_;
    mutable std::shared_mutex mutex_;  // guards users_
    mutable std::mutex save_mutex_;    // one writer of the file at a time
    std::map<std::string, user_record, std::less<>> users_;
};

// The users page with each user's state (active or disabled); pages.h's render_users, which
// knows only people, shows everyone as active.
std::string render_users(const view_ctx& v, const std::vector<user_record>& users,
                         std::string_view message);

}  // namespace baton::board
