// Changes to one user (users_form.h): the checks adduser and the users page share, the merge
// with the stored user, and the form's fields.
#include "users_form.h"

#include <exception>

namespace baton::board {

namespace {

user_message say(std::string field, std::string key, std::vector<std::string> args = {}) {
    return user_message{std::move(field), std::move(key), std::move(args)};
}

// The user as they will be after `c`, from `before` (nullopt for a new user). The password is
// not part of it: apply_change hashes it once everything else is right.
user_record merged(const std::optional<user_record>& before, const user_change& c) {
    user_record r;
    if (before) {
        r = *before;
    } else {
        r.who.name = c.name;
        r.who.level = role::clerk;
    }
    if (!c.display.empty()) r.who.display = c.display;
    if (!c.dept.empty()) r.who.dept = c.dept;
    if (!c.role.empty()) r.who.level = parse_role(c.role).value_or(r.who.level);
    if (!c.lang.empty()) r.who.lang = c.lang == "browser" ? "" : c.lang;
    r.disabled = c.disabled;
    return r;
}

bool active_admin(const user_record& r) {
    return r.who.level == role::admin && !r.disabled;
}

}  // namespace

std::optional<user_message> check_change(const users_file& users, const user_change& c) {
    if (auto p = name_problem(c.name)) return p;
    if (!c.display.empty())
        if (auto p = display_problem(c.display)) return p;
    if (!c.dept.empty())
        if (auto p = dept_problem(c.dept)) return p;
    if (!c.role.empty() && !parse_role(c.role)) return say("role", "users.bad_role", {c.role});
    if (!c.lang.empty() && c.lang != "browser" && c.lang != "en" && c.lang != "zh")
        return say("lang", "users.bad_lang", {c.lang});

    const auto before = users.find(c.name);
    if (!before && c.dept.empty()) return say("dept", "users.dept_required");
    // Nobody could then add or enable an administrator from the board; adduser still could.
    if (before && active_admin(*before) && !active_admin(merged(before, c))) {
        bool another = false;
        for (const auto& r : users.records())
            if (r.who.name != c.name && active_admin(r)) another = true;
        if (!another) return say("", "users.last_admin");
    }
    return std::nullopt;
}

user_change_result apply_change(users_file& users, const user_change& c) {
    user_change_result out;
    out.message = say("", "");
    if (auto p = check_change(users, c)) {
        out.message = *p;
        return out;
    }
    const auto before = users.find(c.name);
    if (!before && !c.password) {
        out.message = say("password", "users.password_required");
        return out;
    }
    if (c.password)
        if (auto p = password_problem(*c.password)) {
            out.message = *p;
            return out;
        }

    user_record r = merged(before, c);
    try {
        if (c.password) r.hash = hash_password(*c.password);
        users.store(r);
    } catch (const std::exception& e) {
        out.message = say("", "users.save_failed", {e.what()});
        return out;
    }
    out.ok = true;
    out.added = !before;
    out.sessions_to_close = before && (c.disabled || c.password);
    out.record = std::move(r);
    out.message = say("",
                      !before                 ? "users.added"
                      : out.sessions_to_close ? "users.changed_logged_out"
                                              : "users.changed",
                      {c.name});
    return out;
}

users_form_result apply_users_form(users_file& users,
                                   const std::map<std::string, std::string>& form) {
    auto field = [&](const char* key) {
        auto it = form.find(key);
        return it == form.end() ? std::string() : it->second;
    };
    users_form_result out;
    user_change c;
    c.name = field("name");
    out.user = c.name;
    c.display = field("display");
    c.dept = field("dept");
    c.role = field("role");
    c.lang = field("lang");
    if (const std::string password = field("password"); !password.empty()) c.password = password;
    const std::string disabled = field("disabled");
    if (!disabled.empty() && disabled != "1") {
        out.message = say("disabled", "users.bad_disabled", {disabled});
        return out;
    }
    c.disabled = disabled == "1";

    const auto done = apply_change(users, c);
    out.ok = done.ok;
    out.message = done.message;
    out.sessions_to_close = done.sessions_to_close;
    return out;
}

std::string users_form_text(lang l, const users_form_result& r) {
    const std::string reason = message_text(l, r.message);
    if (r.message.field.empty()) return reason;
    return tr_fmt(l, "users.field_reason", {tr(l, "users." + r.message.field), reason});
}

}  // namespace baton::board
