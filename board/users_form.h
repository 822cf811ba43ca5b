// How a change to one user is checked and made: the users page's form (admin) and the adduser
// command both come here, so both accept and refuse the same things. No HTTP and no terminal
// here: fields in, a message out.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "users.h"

namespace baton::board {

// A user to add, or the change to one that exists (found by name).
struct user_change {
    std::string name;
    std::string display;  // "" keeps an existing user's display name
    std::string dept;     // "" keeps it; a new user needs one
    std::string role;     // "" keeps it; a new user becomes a clerk
    std::string lang;     // "" keeps it (a new user: the browser's); "browser", "en" or "zh"
    std::optional<std::string> password;  // nullopt keeps the hash; a new user needs one
    bool disabled = false;                // the state after the change: false enables
};

struct user_change_result {
    bool ok = false;
    bool added = false;  // a new user, not a change
    // The user's sessions must end (disabled now, or the password changed); the caller holds
    // the session store.
    bool sessions_to_close = false;
    user_record record;    // the user as stored (when ok)
    user_message message;  // why not (when !ok), or what was done
};

// The first problem with `c` that does not need the password (the password is read only when
// the rest is right); nullopt when none.
std::optional<user_message> check_change(const users_file& users, const user_change& c);
// Checks `c` whole, hashes a new password, stores and saves the file. A failed save is a
// refusal too ("users.save_failed"), and leaves the users as they were. Refuses a change that
// would leave no active administrator once there was one.
user_change_result apply_change(users_file& users, const user_change& c);

// The users page's form (fields name, display, dept, role, lang, password and disabled "1" or
// absent; others, such as csrf, are the server's and ignored here). An empty password keeps an
// existing user's.
struct users_form_result {
    bool ok = false;
    user_message message;  // in the catalogue, with the field it is about
    bool sessions_to_close = false;
    std::string user;  // the name the form was about
};
users_form_result apply_users_form(users_file& users,
                                   const std::map<std::string, std::string>& form);

// The result as one line of plain text in the reader's language ("Role: must be ...");
// render_users escapes it.
std::string users_form_text(lang l, const users_form_result& r);

}  // namespace baton::board
