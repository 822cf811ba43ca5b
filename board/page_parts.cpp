// The shared building blocks of the order, customer and KPI pages (page_parts.h): each writes
// the same HTML the pages used to write with their own copies.
#include "page_parts.h"

#include "reply.h"

namespace baton::board {

std::string td(const std::string& html) {
    return "<td>" + html + "</td>";
}

std::string td_num(const std::string& html) {
    return "<td class=\"num\">" + html + "</td>";
}

std::string table(const view_ctx& v, std::initializer_list<std::string_view> heads,
                  const std::string& rows, const std::string& foot) {
    return table(v, std::string_view(), heads, rows, foot);
}

std::string table(const view_ctx& v, std::string_view id,
                  std::initializer_list<std::string_view> heads, const std::string& rows,
                  const std::string& foot) {
    std::string out = id.empty() ? "<table class=\"data\">"
                                 : "<table id=\"" + std::string(id) + "\" class=\"data\">";
    out += "<thead><tr>";
    for (std::string_view h : heads) {
        const bool numeric = !h.empty() && h.front() == '#';
        if (numeric) h.remove_prefix(1);
        out += numeric ? "<th class=\"num\">" : "<th>";
        out += t(v, h) + "</th>";
    }
    out += "</tr></thead><tbody>" + rows + "</tbody>";
    if (!foot.empty()) out += "<tfoot>" + foot + "</tfoot>";
    return out + "</table>";
}

std::string section(const view_ctx& v, std::string_view id, std::string_view title_key,
                    const std::string& body) {
    return "<section id=\"" + std::string(id) + "\"><h2>" + t(v, title_key) + "</h2>" + body +
           "</section>";
}

std::string fact(const view_ctx& v, std::string_view key, const std::string& html,
                 std::string_view cls) {
    std::string dd = cls.empty() ? "<dd>" : "<dd class=\"" + std::string(cls) + "\">";
    return "<dt>" + t(v, key) + "</dt>" + dd + html + "</dd>";
}

std::string text(const value& x, std::string_view key) {
    const std::string& s = str_of(x, key);
    return s.empty() ? "—" : esc(s);
}

std::string money(const view_ctx& v, const value& x, std::string_view key) {
    const auto cents = maybe_int_of(x, key);
    return cents ? esc(fmt_money(v.l, *cents, v.currency)) : "—";
}

std::string word(const view_ctx& v, std::string_view group, const std::string& name) {
    return name.empty() ? "—" : w(v, group, name);
}

std::string words_of(const view_ctx& v, const value& x, std::string_view key,
                     std::string_view group) {
    std::string out;
    for (const value& n : list_of(x, key)) {
        if (!n.is_string()) continue;
        if (!out.empty()) out += ", ";
        out += w(v, group, n.as_string());
    }
    return out;
}

std::string qty_of(const view_ctx& v, double n) {
    std::string s = fmt_number(v.l, n, 3);
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0') s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    return s;
}

std::string qty(const view_ctx& v, const value& x, std::string_view key) {
    return qty_of(v, figure_of(x, key));
}

}  // namespace baton::board
