// adduser (adduser.h): reads the password where it is, then hands the change to apply_change
// (users_form.h), as the users page does.
#include "adduser.h"

#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <optional>

#include "config_error.h"
#include "users_form.h"

namespace baton::board {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_file = 1;
constexpr int exit_input = 2;

void strip_line_end(std::string& s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.pop_back();
}

// Turns the terminal's echo off while it lives, and back on however the reading ends.
class echo_off {
public:
    echo_off() {
        if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    ~echo_off() {
        if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    }
    echo_off(const echo_off&) = delete;
    echo_off& operator=(const echo_off&) = delete;

private:
    termios saved_{};
    bool active_ = false;
};

std::string ask(std::istream& in, std::ostream& err, const std::string& prompt) {
    err << prompt << std::flush;
    std::string line;
    {
        echo_off quiet;
        std::getline(in, line);
    }
    err << '\n';  // the Enter the echo did not show
    strip_line_end(line);
    return line;
}

void say(std::ostream& err, const user_message& m) {
    err << "adduser: " << (m.field.empty() ? "" : m.field + ": ") << message_text(lang::en, m)
        << '\n';
}

}  // namespace

int adduser_main(const adduser_options& o, std::istream& in, std::ostream& out, std::ostream& err) {
    user_change c;
    c.name = o.name;
    c.display = o.display;
    c.dept = o.dept;
    c.role = o.role;
    c.lang = o.lang;
    c.disabled = o.disable;

    std::unique_ptr<users_file> users;
    try {
        users = users_file::load(o.users_path, true);
    } catch (const config_error& e) {
        err << "adduser: " << e.what() << '\n';
        return exit_file;
    }
    // Everything but the password first, so nobody types one for a change that is refused.
    if (auto p = check_change(*users, c)) {
        say(err, *p);
        return exit_input;
    }
    const bool exists = users->find(c.name).has_value();
    if (o.disable && !exists) {
        say(err, {"name", "adduser.no_such_user", {c.name}});
        return exit_input;
    }

    if (!o.disable) {
        std::string password;
        if (!o.password_file.empty()) {
            std::ifstream file(o.password_file);
            if (!file) {
                err << "adduser: "
                    << message_text(lang::en, {"", "adduser.no_password_file", {o.password_file}})
                    << '\n';
                return exit_file;
            }
            std::getline(file, password);
            strip_line_end(password);
        } else if (&in == &std::cin && ::isatty(STDIN_FILENO)) {
            password =
                ask(in, err,
                    tr_fmt(lang::en, exists ? "adduser.prompt_keep" : "adduser.prompt", {c.name}));
            if (!password.empty()) {
                if (auto p = password_problem(password)) {
                    say(err, *p);
                    return exit_input;
                }
                if (ask(in, err, std::string(tr(lang::en, "adduser.prompt_again"))) != password) {
                    say(err, {"password", "adduser.mismatch", {}});
                    return exit_input;
                }
            }
        } else {
            std::getline(in, password);
            strip_line_end(password);
        }
        if (!password.empty()) c.password = std::move(password);
    }

    const auto done = apply_change(*users, c);
    if (!done.ok) {
        say(err, done.message);
        return done.message.key == "users.save_failed" ? exit_file : exit_input;
    }
    const person& who = done.record.who;
    const char* key = done.added             ? "adduser.added"
                      : done.record.disabled ? "adduser.disabled"
                                             : "adduser.changed";
    out << tr_fmt(lang::en, key,
                  {who.name, role_name(who.level), who.dept.empty() ? "-" : who.dept, o.users_path})
        << '\n';
    return exit_ok;
}

}  // namespace baton::board
