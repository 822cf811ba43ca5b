// The users page (admin): everyone in the users file with their department, role, language and
// state, and one form that adds a user or changes one (a name already listed changes that user).
// Its words are in catalogue_users.inc.
#include <array>

#include "pages.h"
#include "users.h"

namespace baton::board {

namespace {

// The departments the form offers; the users file also takes a plant's own.
constexpr std::array<std::string_view, 6> departments{"sales",     "finance",          "production",
                                                      "logistics", "customer_service", "quality"};
constexpr std::array<role, 4> levels{role::viewer, role::clerk, role::lead, role::admin};

std::string language(const view_ctx& v, std::string_view code) {
    if (code == "en") return t(v, "lang.en");
    if (code == "zh") return t(v, "lang.zh");
    return t(v, "users.lang.browser");
}

std::string option(std::string_view value, const std::string& label) {
    return "<option value=\"" + esc(value) + "\">" + label + "</option>";
}

std::string label(const view_ctx& v, std::string_view key, std::string_view control) {
    return "<label>" + t(v, key) + " " + std::string(control) + "</label>";
}

std::string table(const view_ctx& v, const std::vector<user_record>& users) {
    std::string out = "<table id=\"users\"><thead><tr>";
    for (const char* key :
         {"users.name", "users.display", "users.dept", "users.role", "users.lang", "users.state"})
        out += "<th>" + t(v, key) + "</th>";
    out += "</tr></thead><tbody>";
    for (const auto& r : users) {
        const person& p = r.who;
        out += "<tr data-name=\"" + esc(p.name) + "\"";
        if (r.disabled) out += " class=\"user-disabled\"";
        out += "><td>" + esc(p.name) + "</td><td>" + esc(p.display) + "</td><td>" +
               (p.dept.empty() ? std::string("—") : w(v, "dept", p.dept)) + "</td><td>" +
               w(v, "role", role_name(p.level)) + "</td><td>" + language(v, p.lang) + "</td><td>" +
               t(v, r.disabled ? "users.state.disabled" : "users.state.active") + "</td></tr>";
    }
    if (users.empty()) out += "<tr><td colspan=\"6\">" + t(v, "users.none") + "</td></tr>";
    out += "</tbody></table>";
    return out;
}

std::string form(const view_ctx& v) {
    std::string out = "<form method=\"post\" action=\"/users\" id=\"user-form\">" + csrf_field(v);
    out += label(v, "users.name",
                 "<input name=\"name\" required maxlength=\"64\" pattern=\"[a-z0-9._\\-]{1,64}\" "
                 "autocomplete=\"off\">");
    out += label(v, "users.display", "<input name=\"display\" maxlength=\"64\">");

    std::string dept = "<select name=\"dept\">" + option("", t(v, "users.keep_dept"));
    for (auto d : departments) dept += option(d, w(v, "dept", d));
    out += label(v, "users.dept", dept + "</select>");

    std::string role_select = "<select name=\"role\">" + option("", t(v, "users.keep_role"));
    for (auto r : levels) role_select += option(role_name(r), w(v, "role", role_name(r)));
    out += label(v, "users.role", role_select + "</select>");

    std::string lang_select = "<select name=\"lang\">" + option("", t(v, "users.keep_lang")) +
                              option("browser", t(v, "users.lang.browser")) +
                              option("en", t(v, "lang.en")) + option("zh", t(v, "lang.zh")) +
                              "</select>";
    out += label(v, "users.lang", lang_select);

    out += label(v, "users.password",
                 "<input type=\"password\" name=\"password\" minlength=\"8\" maxlength=\"256\" "
                 "autocomplete=\"new-password\">");
    out += "<label><input type=\"checkbox\" name=\"disabled\" value=\"1\"> " +
           t(v, "users.disabled_label") + "</label>";
    out += "<button type=\"submit\" id=\"user-save\">" + t(v, "users.submit") + "</button>";
    out += "</form>";
    return out;
}

}  // namespace

std::string render_users(const view_ctx& v, const std::vector<user_record>& users,
                         std::string_view message) {
    std::string body = "<h1>" + t(v, "users.title") + "</h1>";
    if (!message.empty())
        body += "<p id=\"users-message\" class=\"message\">" + esc(message) + "</p>";
    body += table(v, users);
    body += "<h2>" + t(v, "users.form_title") + "</h2>";
    body += "<p class=\"hint\">" + t(v, "users.form_hint") + "</p>";
    body += form(v);
    return page(v, tr(v.l, "users.title"), "users", body);
}

std::string render_users(const view_ctx& v, const std::vector<person>& users,
                         std::string_view message) {
    std::vector<user_record> records;
    records.reserve(users.size());
    for (const auto& p : users) records.push_back(user_record{p, {}, false});
    return render_users(v, records, message);
}

}  // namespace baton::board
