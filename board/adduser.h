// `baton-board adduser`: adds a user to the users file or changes one, from a shell, so the
// first administrator can exist before anyone can log in. The password comes from a file, the
// terminal (asked twice, not echoed) or one line of standard input; it is never printed.
#pragma once

#include <iosfwd>
#include <string>

namespace baton::board {

struct adduser_options {
    std::string users_path;
    std::string name;
    // "" keeps an existing user's value (see user_change, users_form.h): a new user needs a
    // dept, gets role clerk and the browser's language unless told otherwise.
    std::string display, dept, role, lang;
    std::string password_file;  // its first line is the password; "" reads standard input
    bool disable = false;       // disable the user (no password asked); false enables them
};

// Exit codes: 0 done; 1 the users file cannot be read or written, or the password file cannot
// be read; 2 bad input (one line on `err` naming the field). `in` is read for the password
// when there is no password file; when `in` is std::cin on a terminal, it asks on `err` with
// the echo off. For an existing user an empty password keeps the current one.
int adduser_main(const adduser_options& o, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace baton::board
