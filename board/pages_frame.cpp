// The pages outside the work: logging in and errors (pages.h).
#include "pages.h"

namespace baton::board {

std::string render_login(const view_ctx& v, std::string_view message, std::string_view name) {
    std::string body = "<section class=\"login\"><h1>" + t(v, "login.title") + "</h1>";
    if (!message.empty())
        body += "<p class=\"message error\" id=\"login-message\">" + esc(message) + "</p>";
    body += "<form method=\"post\" action=\"/login\" id=\"login-form\">" + csrf_field(v);
    body += "<input type=\"hidden\" name=\"next\" value=\"" + esc(v.path) + "\">";
    body += "<label>" + t(v, "login.name") +
            " <input name=\"name\" id=\"name\" autocomplete=\"username\" maxlength=\"64\" "
            "required value=\"" +
            esc(name) + "\"></label>";
    body += "<label>" + t(v, "login.password") +
            " <input type=\"password\" name=\"password\" id=\"password\" "
            "autocomplete=\"current-password\" maxlength=\"256\" required></label>";
    body += "<button id=\"login\">" + t(v, "login.submit") + "</button></form>";
    const lang other = v.l == lang::zh ? lang::en : lang::zh;
    body += "<p class=\"lang\"><a id=\"login-lang\" href=\"/login?lang=" +
            std::string(lang_code(other)) + "\">" +
            esc(tr(other, other == lang::zh ? "lang.zh" : "lang.en")) + "</a></p></section>";
    return page(v, tr(v.l, "login.title"), "", body);
}

std::string render_error(const view_ctx& v, int status, std::string_view message) {
    std::string body = "<section class=\"error\"><h1>" + t(v, "error.title") +
                       " <span class=\"status\">" + std::to_string(status) + "</span></h1>";
    body += "<p id=\"error-message\">" + esc(message) + "</p>";
    body += "<p><a href=\"/\">" + t(v, "error.back") + "</a></p></section>";
    return page(v, tr(v.l, "error.title"), "", body);
}

}  // namespace baton::board
