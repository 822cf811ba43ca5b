// Escaping and the page frame (html.h).
#include "html.h"

namespace baton::board {

std::string esc(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string url_enc(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string csrf_field(const view_ctx& v) {
    return "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(v.csrf) + "\">";
}

std::string t(const view_ctx& v, std::string_view key) {
    return esc(tr(v.l, key));
}

std::string w(const view_ctx& v, std::string_view group, std::string_view name) {
    return esc(term(v.l, group, name));
}

std::string who(const view_ctx& v, std::string_view name) {
    if (name.empty()) return "";
    if (v.names) {
        auto it = v.names->find(std::string(name));
        if (it != v.names->end() && !it->second.empty()) return esc(it->second);
    }
    return esc(name);
}

std::string order_link(std::string_view order_id) {
    return "<a class=\"order-link\" href=\"/order/" + url_enc(order_id) + "\">" + esc(order_id) +
           "</a>";
}

std::string customer_link(std::string_view customer_id, std::string_view label) {
    if (customer_id.empty()) return "—";
    return "<a class=\"customer-link\" href=\"/customer/" + url_enc(customer_id) + "\">" +
           esc(label.empty() ? customer_id : label) + "</a>";
}

std::string severity_badge(const view_ctx& v, std::string_view severity) {
    return "<span class=\"badge sev-" + esc(severity) + "\">" + w(v, "severity", severity) +
           "</span>";
}

std::string page(const view_ctx& v, std::string_view title, std::string_view active,
                 std::string_view body, std::string_view scripts) {
    std::string out;
    out.reserve(body.size() + 4096);
    out += "<!DOCTYPE html>\n<html lang=\"";
    out += html_lang(v.l);
    out += "\"><head><meta charset=\"utf-8\">";
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
    out += "<title>" + esc(title) + " · " + t(v, "app.name") + "</title>";
    out += "<link rel=\"stylesheet\" href=\"/static/board.css\">";
    out += "<link rel=\"stylesheet\" href=\"/static/pages.css\">";
    out += "</head><body data-lang=\"";
    out += lang_code(v.l);
    out += "\"><header class=\"top\"><a class=\"brand\" href=\"/\">" + t(v, "app.name") + "</a>";
    if (!v.me.name.empty()) {
        out += "<nav>";
        struct item {
            const char* id;
            const char* href;
            const char* key;
        };
        static const item items[] = {{"board", "/", "nav.board"},
                                     {"tasks", "/tasks", "nav.tasks"},
                                     {"kpi", "/kpi", "nav.kpi"},
                                     {"search", "/search", "nav.search"}};
        for (const auto& it : items) {
            out += "<a id=\"nav-" + std::string(it.id) + "\" href=\"" + it.href + "\"";
            if (active == it.id) out += " class=\"active\"";
            out += ">" + t(v, it.key) + "</a>";
        }
        if (may(v.me, action::users)) {
            out += "<a id=\"nav-users\" href=\"/users\"";
            if (active == "users") out += " class=\"active\"";
            out += ">" + t(v, "nav.users") + "</a>";
        }
        out += "</nav><div class=\"who\">";
        out += "<form method=\"post\" action=\"/lang\" class=\"inline\">" + csrf_field(v);
        out += "<input type=\"hidden\" name=\"back\" value=\"" + esc(v.path) + "\">";
        const lang other = v.l == lang::zh ? lang::en : lang::zh;
        out += "<button id=\"lang-switch\" name=\"lang\" value=\"";
        out += lang_code(other);
        out +=
            "\">" + esc(tr(other, other == lang::zh ? "lang.zh" : "lang.en")) + "</button></form>";
        out += "<span id=\"me\" data-name=\"" + esc(v.me.name) + "\">" +
               esc(v.me.display.empty() ? v.me.name : v.me.display) + " · " +
               w(v, "dept", v.me.dept) + " · " + w(v, "role", role_name(v.me.level)) + "</span>";
        out += "<form method=\"post\" action=\"/logout\" class=\"inline\">" + csrf_field(v) +
               "<button id=\"logout\">" + t(v, "nav.logout") + "</button></form>";
        out += "</div>";
    }
    out += "</header><main>";
    out += body;
    out += "</main>";
    out += "<script src=\"/static/board.js\"></script>";
    out += scripts;
    out += "</body></html>\n";
    return out;
}

}  // namespace baton::board
