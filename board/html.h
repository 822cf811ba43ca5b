// The pieces every page is made of: escaping, the page frame (header, navigation, language
// switch, who is logged in) and the view context a page renders with. Pages are plain
// functions from batond's replies to HTML text (pages.h), so tests render them from canned
// replies.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "catalogue.h"
#include "roles.h"

namespace baton::board {

// What a page needs to know about the request that shows it.
struct view_ctx {
    lang l = lang::en;
    person me;         // the logged-in person (name empty on the login page)
    std::string csrf;  // the session's CSRF token, put into every form
    std::int64_t now_ms = 0;
    std::string currency = "CNY";
    std::string path;  // the request's path and query, for the language switch's return
    // Login name -> display name of the board's users, to show people by name (may be null).
    const std::map<std::string, std::string>* names = nullptr;
    std::uint64_t live_seq = 0;  // the live hub's notice the page's rows already show
};

// A person as the page shows them: their display name when the board knows them, else the
// name batond recorded ("baton" for batond itself).
std::string who(const view_ctx& v, std::string_view name);

// Text for an HTML element or attribute: & < > " ' escaped.
std::string esc(std::string_view s);
// A query-string component: everything but unreserved characters percent-encoded.
std::string url_enc(std::string_view s);
// The hidden CSRF input every POST form carries.
std::string csrf_field(const view_ctx& v);
// Escaped catalogue text.
std::string t(const view_ctx& v, std::string_view key);
// Escaped vocabulary word (catalogue term).
std::string w(const view_ctx& v, std::string_view group, std::string_view name);

// The whole document: <head> (title, stylesheet, scripts), the navigation with `active`
// marked ("board", "tasks", "kpi", "search", "users", ""), the language switch, the user and
// the logout form, then `body`. `scripts` are extra <script> tags for the page.
std::string page(const view_ctx& v, std::string_view title, std::string_view active,
                 std::string_view body, std::string_view scripts = {});

// A link to an order's or a customer's page.
std::string order_link(std::string_view order_id);
std::string customer_link(std::string_view customer_id, std::string_view label = {});

// Severity as a coloured badge; the class is sev-<name>.
std::string severity_badge(const view_ctx& v, std::string_view severity);

}  // namespace baton::board
