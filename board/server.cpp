// baton-board's HTTP side (server.h). Every request goes the same way: who is asking (session
// cookie -> person), which language, then the page or the action. Forms carry the session's
// CSRF token; actions are checked against the roles table before batond sees them, and batond's
// refusals are shown with its reason.
#include "server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "assets.h"
#include "batond_link.h"
#include "board_config.h"
#include "dates.h"
#include "https_server.h"
#include "json.h"
#include "live.h"
#include "login_limiter.h"
#include "pages.h"
#include "reply.h"
#include "reply_cache.h"
#include "sessions.h"
#include "users.h"
#include "users_form.h"

namespace baton::board {

namespace {

constexpr const char* session_cookie = "baton_session";
constexpr const char* login_cookie = "baton_login";  // the login form's CSRF token
constexpr const char* lang_cookie = "baton_lang";

using form_fields = std::map<std::string, std::string>;

std::string cookie_of(const httplib::Request& req, std::string_view name) {
    const std::string header = req.get_header_value("Cookie");
    std::size_t pos = 0;
    while (pos < header.size()) {
        std::size_t end = header.find(';', pos);
        if (end == std::string::npos) end = header.size();
        std::string_view item(header.data() + pos, end - pos);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        const std::size_t eq = item.find('=');
        if (eq != std::string_view::npos && item.substr(0, eq) == name)
            return std::string(item.substr(eq + 1));
        pos = end + 1;
    }
    return "";
}

// A form body (application/x-www-form-urlencoded), at most one value per key (the first).
// False when it is not one.
bool parse_form(const httplib::Request& req, form_fields& out) {
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("application/x-www-form-urlencoded", 0) != 0) return false;
    httplib::Params params;
    httplib::detail::parse_query_text(req.body, params);
    for (const auto& [k, v] : params) out.emplace(k, v);
    return true;
}

std::string field(const form_fields& f, const char* key) {
    auto it = f.find(key);
    return it == f.end() ? std::string() : it->second;
}

// Only a path on this board: "/..." but not "//host" (an open redirect).
std::string local_path(const std::string& p, const char* fallback = "/") {
    if (p.empty() || p[0] != '/' || (p.size() > 1 && (p[1] == '/' || p[1] == '\\')) ||
        p.find_first_of("\r\n") != std::string::npos)
        return fallback;
    return p;
}

std::string path_and_query(const httplib::Request& req) {
    std::string q;
    for (const auto& [k, v] : req.params) {
        q += q.empty() ? "?" : "&";
        q += url_enc(k) + "=" + url_enc(v);
    }
    return req.path + q;
}

// What the server knows about one request.
struct visit {
    std::string address;  // the client, through a trusted proxy when there is one
    bool secure = false;  // TLS here, or at a trusted proxy
    std::optional<session> s;
    std::map<std::string, std::string> names;
    view_ctx v;
};

}  // namespace

struct board_handlers {
    explicit board_handlers(board_parts& parts) : p(parts) {}

    board_parts& p;
    mutable reply_cache cache{1000, 512};  // the board's `exceptions` questions (reply_cache.h)

    // --- who and how -----------------------------------------------------------------------

    visit start(const httplib::Request& req) const {
        visit x;
        x.address = req.remote_addr;
        x.secure = p.config.tls.has_value();
        const auto& proxies = p.config.trusted_proxies;
        if (std::find(proxies.begin(), proxies.end(), req.remote_addr) != proxies.end()) {
            // The proxy appends the address it saw: the last of the list is the one we trust.
            std::string forwarded = req.get_header_value("X-Forwarded-For");
            if (auto comma = forwarded.rfind(','); comma != std::string::npos)
                forwarded = forwarded.substr(comma + 1);
            forwarded.erase(0, forwarded.find_first_not_of(' '));
            if (!forwarded.empty()) x.address = forwarded;
            if (req.get_header_value("X-Forwarded-Proto") == "https") x.secure = true;
        }
        x.v.now_ms = p.now_ms();
        x.v.currency = p.config.currency;
        x.v.path = path_and_query(req);
        x.v.l = lang_from_accept(req.get_header_value("Accept-Language"));
        if (auto chosen = parse_lang(cookie_of(req, lang_cookie))) x.v.l = *chosen;
        const std::string token = cookie_of(req, session_cookie);
        if (!token.empty()) x.s = p.sessions.touch(token, x.v.now_ms);
        if (x.s) {
            auto rec = p.users.find(x.s->user);
            if (!rec || rec->disabled) {
                p.sessions.close(token);
                x.s.reset();
            } else {
                x.v.me = rec->who;
                x.v.csrf = x.s->csrf;
                if (auto own = parse_lang(x.v.me.lang)) x.v.l = *own;
            }
        }
        for (const auto& r : p.users.records()) x.names[r.who.name] = r.who.display;
        x.v.names = &x.names;
        return x;
    }

    void headers(httplib::Response& res) const {
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                       "form-action 'self'; base-uri 'none'");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("X-Frame-Options", "DENY");
        res.set_header("Referrer-Policy", "same-origin");
        res.set_header("Cache-Control", "no-store");
    }

    void html(httplib::Response& res, int status, const std::string& body) const {
        headers(res);
        res.status = status;
        res.set_content(body, "text/html; charset=utf-8");
    }

    void error(httplib::Response& res, const visit& x, int status,
               const std::string& message) const {
        html(res, status, render_error(x.v, status, message));
    }

    void redirect(httplib::Response& res, const std::string& to) const {
        headers(res);
        res.status = 303;
        res.set_header("Location", local_path(to));
    }

    std::string cookie(const visit& x, const char* name, const std::string& value, const char* path,
                       std::int64_t max_age_s) const {
        std::string c =
            std::string(name) + "=" + value + "; Path=" + path + "; HttpOnly; SameSite=Strict";
        if (max_age_s >= 0) c += "; Max-Age=" + std::to_string(max_age_s);
        if (x.secure) c += "; Secure";
        return c;
    }

    // A page that needs someone logged in: false (and a redirect to the login page, or 401 for
    // the live parts) when nobody is.
    bool logged_in(const httplib::Request& req, httplib::Response& res, const visit& x,
                   bool page = true) const {
        if (x.s) return true;
        if (!page) {
            headers(res);
            res.status = 401;
            res.set_content("log in first\n", "text/plain; charset=utf-8");
            return false;
        }
        const bool expired = !cookie_of(req, session_cookie).empty();
        redirect(res, "/login?next=" + url_enc(x.v.path) + (expired ? "&expired=1" : ""));
        return false;
    }

    // A form of a logged-in person with the right CSRF token; otherwise the answer is sent.
    bool checked_form(const httplib::Request& req, httplib::Response& res, const visit& x,
                      form_fields& form) const {
        if (!logged_in(req, res, x)) return false;
        if (!parse_form(req, form)) {
            error(res, x, 415, tr_fmt(x.v.l, "error.bad_form", {"not a form"}));
            return false;
        }
        if (!same_token(field(form, "csrf"), x.s->csrf)) {
            spdlog::warn("refused a form without its CSRF token: {} {} from {} ({})", req.method,
                         req.path, x.address, x.v.me.name);
            error(res, x, 403, std::string(tr(x.v.l, "error.csrf")));
            return false;
        }
        return true;
    }

    // batond's answer, or the error page when it gave none or refused.
    std::optional<value> ask(httplib::Response& res, const visit& x, const value& request) const {
        batond_reply r = p.batond.call(request);
        if (!r.reached) {
            error(res, x, 503, tr_fmt(x.v.l, "error.unreachable", {r.error}));
            return std::nullopt;
        }
        if (!r.ok) {
            error(res, x, 400, tr_fmt(x.v.l, "error.batond", {r.error}));
            return std::nullopt;
        }
        return std::move(r.body);
    }

    // The users file again, as adduser may have changed it; on an error the users stay.
    void reload_users() const {
        try {
            p.users.reload();
        } catch (const std::exception& e) {
            spdlog::warn("users file not re-read, the users stay as they were: {}", e.what());
        }
    }

    // --- login ---------------------------------------------------------------------------

    void login_page(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        if (auto l = parse_lang(req.get_param_value("lang")); l && req.has_param("lang")) {
            x.v.l = *l;
            res.set_header("Set-Cookie",
                           cookie(x, lang_cookie, std::string(lang_code(*l)), "/", 365LL * 86400));
        }
        if (x.s) return redirect(res, local_path(req.get_param_value("next")));
        std::string token = cookie_of(req, login_cookie);
        if (token.size() != 43) {
            token = random_token();
            res.set_header("Set-Cookie", cookie(x, login_cookie, token, "/login", -1));
        }
        x.v.csrf = token;
        x.v.path = local_path(req.get_param_value("next"));
        const std::string message =
            req.has_param("expired") ? std::string(tr(x.v.l, "login.expired")) : std::string();
        html(res, 200, render_login(x.v, message, ""));
    }

    void login(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        form_fields form;
        const std::string token = cookie_of(req, login_cookie);
        if (!parse_form(req, form) || token.empty() || !same_token(field(form, "csrf"), token)) {
            x.v.csrf = token;
            return error(res, x, 403, std::string(tr(x.v.l, "error.csrf")));
        }
        x.v.csrf = token;
        const std::string name = field(form, "name").substr(0, 64);
        x.v.path = local_path(field(form, "next"));
        const std::int64_t now = x.v.now_ms;
        reload_users();  // someone may have been added with adduser since
        if (const std::int64_t wait = p.limiter.blocked_for(name, x.address, now); wait > 0) {
            spdlog::warn("login of '{}' from {} refused: too many failures", name, x.address);
            return html(
                res, 429,
                render_login(x.v, tr_fmt(x.v.l, "login.limited", {fmt_duration(x.v.l, wait)}),
                             name));
        }
        auto who = p.users.authenticate(name, field(form, "password"));
        if (!who) {
            p.limiter.failed(name, x.address, now);
            spdlog::warn("login failed for '{}' from {}", name, x.address);
            return html(res, 401, render_login(x.v, std::string(tr(x.v.l, "login.failed")), name));
        }
        p.limiter.succeeded(name, x.address);
        const session s = p.sessions.open(who->name, now);
        spdlog::info("{} logged in from {}", who->name, x.address);
        res.set_header("Set-Cookie", cookie(x, session_cookie, s.token, "/", -1));
        redirect(res, x.v.path);
    }

    void logout(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        form_fields form;
        if (!checked_form(req, res, x, form)) return;
        p.sessions.close(cookie_of(req, session_cookie));
        spdlog::info("{} logged out", x.v.me.name);
        res.set_header("Set-Cookie", cookie(x, session_cookie, "", "/", 0));
        redirect(res, "/login");
    }

    void set_lang(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        form_fields form;
        if (!checked_form(req, res, x, form)) return;
        auto l = parse_lang(field(form, "lang"));
        if (!l) return error(res, x, 400, tr_fmt(x.v.l, "error.bad_form", {"lang"}));
        reload_users();  // so a user added with adduser is not written over
        if (auto rec = p.users.find(x.v.me.name)) {
            rec->who.lang = std::string(lang_code(*l));
            try {
                p.users.store(*rec);
            } catch (const std::exception& e) {
                spdlog::error("cannot keep {}'s language: {}", x.v.me.name, e.what());
            }
        }
        res.set_header("Set-Cookie",
                       cookie(x, lang_cookie, std::string(lang_code(*l)), "/", 365LL * 86400));
        redirect(res, local_path(field(form, "back")));
    }

    // --- the board ---------------------------------------------------------------------------

    // The filter of the query string; false (and the 400 page) for a value batond does not know.
    bool board_filter_of(const httplib::Request& req, httplib::Response& res, const visit& x,
                         board_filter& f) const {
        f.per_page = p.config.page_size;
        f.dept = req.get_param_value("dept");
        f.kind = req.get_param_value("kind");
        f.severity = req.get_param_value("severity");
        f.customer = req.get_param_value("customer");
        f.salesperson = req.get_param_value("salesperson");
        f.mine = req.get_param_value("mine") == "1";
        auto bad = [&](const std::string& v, const char* what) {
            error(res, x, 400, tr_fmt(x.v.l, "error.bad_filter", {v, tr(x.v.l, what)}));
            return false;
        };
        if (!f.dept.empty() && !has_term("dept", f.dept)) return bad(f.dept, "common.dept");
        if (!f.kind.empty() && !has_term("kind", f.kind)) return bad(f.kind, "common.kind");
        if (!f.severity.empty() && !has_term("severity", f.severity))
            return bad(f.severity, "common.severity");
        if (f.customer.size() > 64) return bad(f.customer.substr(0, 64), "common.customer");
        if (f.salesperson.size() > 64)
            return bad(f.salesperson.substr(0, 64), "common.salesperson");
        const std::string page = req.get_param_value("page");
        if (!page.empty()) {
            if (page.size() > 7 || !std::all_of(page.begin(), page.end(), ::isdigit) ||
                std::stoul(page) == 0)
                return bad(page, "common.page");
            f.page = std::stoul(page);
        }
        return true;
    }

    value board_request(const board_filter& f, const visit& x) const {
        value q = request("exceptions");
        if (!f.dept.empty()) q.set("dept", f.dept);
        if (!f.kind.empty()) q.set("kind", f.kind);
        if (!f.severity.empty()) q.set("severity", f.severity);
        if (!f.customer.empty()) q.set("customer", f.customer);
        if (!f.salesperson.empty()) q.set("salesperson", f.salesperson);
        if (f.mine) q.set("assignee", x.v.me.name);
        q.set("offset", static_cast<unsigned long long>((f.page - 1) * f.per_page));
        q.set("limit", static_cast<unsigned long long>(f.per_page));
        return q;
    }

    void board(const httplib::Request& req, httplib::Response& res, bool fragment) const {
        visit x = start(req);
        if (!logged_in(req, res, x, !fragment)) return;
        board_filter f;
        if (!board_filter_of(req, res, x, f)) return;
        // Many pages refresh after one notice: ask batond once per question and notice.
        const value q = board_request(f, x);
        // The page shows batond's state as of this notice at least: its live stream starts
        // here, so a notice that comes before the stream connects is not missed.
        x.v.live_seq = p.hub.last();
        batond_reply r =
            cache.get(to_json(q), x.v.live_seq, x.v.now_ms, [&] { return p.batond.call(q); });
        if (!r.reached) return error(res, x, 503, tr_fmt(x.v.l, "error.unreachable", {r.error}));
        if (!r.ok) return error(res, x, 400, tr_fmt(x.v.l, "error.batond", {r.error}));
        const value* reply = &r.body;
        if (fragment)
            html(res, 200, render_board_fragment(x.v, f, *reply));
        else
            html(res, 200, render_board(x.v, f, *reply));
    }

    void events(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        if (!logged_in(req, res, x, false)) return;
        headers(res);
        // Each live page holds an HTTP thread while it is open: keep some for the pages.
        if (p.hub.streams() >= static_cast<int>(p.config.max_live_pages)) {
            spdlog::warn("live page of {} refused: {} are open (http.max_live_pages)", x.v.me.name,
                         p.hub.streams());
            res.status = 503;
            res.set_header("Retry-After", "10");
            res.set_content("too many live pages open; the page works without live updates\n",
                            "text/plain; charset=utf-8");
            return;
        }
        res.set_header("X-Accel-Buffering", "no");  // nginx: pass the stream on as it comes
        live_hub* hub = &p.hub;
        // A reconnecting EventSource says what it saw last: what it missed comes now (or a
        // reset, when the hub no longer keeps it).
        // A new page says which notice its rows already show (`since`).
        std::uint64_t from = hub->last();
        for (const std::string& seen :
             {req.get_header_value("Last-Event-ID"), req.get_param_value("since")})
            if (!seen.empty() && seen.size() <= 19 &&
                std::all_of(seen.begin(), seen.end(), [](char c) { return c >= '0' && c <= '9'; }))
                from = std::min<std::uint64_t>(from, std::stoull(seen));
        auto last = std::make_shared<std::uint64_t>(from);
        auto first = std::make_shared<bool>(true);
        hub->opened();
        res.set_chunked_content_provider(
            "text/event-stream",
            [hub, last, first](std::size_t, httplib::DataSink& sink) {
                std::string out;
                if (*first) {
                    *first = false;
                    out = "retry: 2000\n: live\n\n";
                    return sink.write(out.data(), out.size());
                }
                bool gap = false, stopped = false;
                auto events = hub->wait(*last, std::chrono::seconds(15), gap, stopped);
                if (stopped) {
                    sink.done();
                    return true;
                }
                if (gap) out += "event: reset\ndata: {}\n\n";
                for (const auto& e : events) {
                    out += "id: " + std::to_string(e.seq) + "\nevent: " + e.type +
                           "\ndata: " + e.json + "\n\n";
                    *last = e.seq;
                }
                if (out.empty()) out = ": keep-alive\n\n";
                return sink.write(out.data(), out.size());
            },
            [hub](bool) { hub->closed(); });
    }

    // --- actions -------------------------------------------------------------------------

    // POST /exception/E-7 and /task/T-3: do = ack | resolve | assign | done, note, to, back.
    void act(const httplib::Request& req, httplib::Response& res, bool task) const {
        visit x = start(req);
        form_fields form;
        if (!checked_form(req, res, x, form)) return;
        const std::string id = req.matches[1];
        const std::string what = field(form, "do");
        const std::string note = field(form, "note");
        const std::string to = field(form, "to");
        if (note.size() > 2000)
            return error(res, x, 400,
                         tr_fmt(x.v.l, "error.bad_form", {"note: at most 2000 bytes"}));
        // The record as batond has it now: its department and who it is given to.
        value look = request(task ? "tasks" : "exceptions");
        look.set("id", id);
        look.set("state", "all");
        auto found = ask(res, x, look);
        if (!found) return;
        const value_list& items = list_of(*found, task ? "tasks" : "exceptions");
        if (items.empty())
            return error(res, x, 404, tr_fmt(x.v.l, "error.batond", {id + " is not known"}));
        const std::string& dept = str_of(items.front(), "dept");
        const std::string& assignee = str_of(items.front(), "assignee");
        action needed;
        value command;
        if (what == "ack" && !task) {
            needed = action::ack;
            command = request("ack");
        } else if (what == "resolve" && !task) {
            needed = action::resolve;
            command = request("resolve");
        } else if (what == "done" && task) {
            needed = action::task_done;
            command = request("task_done");
        } else if (what == "assign") {
            needed =
                assignee.empty() || assignee == x.v.me.name ? action::assign : action::reassign;
            command = request("assign");
            if (to.empty() || to.size() > 64)
                return error(res, x, 400, tr_fmt(x.v.l, "error.bad_form", {"to: 1-64 bytes"}));
            if (!p.users.find(to))
                return error(res, x, 400,
                             tr_fmt(x.v.l, "error.bad_form",
                                    {"to: '" + to + "' is not a user of the board"}));
            command.set("to", to);
        } else {
            return error(res, x, 400, tr_fmt(x.v.l, "error.bad_form", {"do: '" + what + "'"}));
        }
        if (!may(x.v.me, needed, dept, assignee)) {
            spdlog::warn("{} ({}) may not {} {}", x.v.me.name, role_name(x.v.me.level),
                         action_name(needed), id);
            return error(res, x, 403, std::string(tr(x.v.l, "error.forbidden")));
        }
        command.set("id", id);
        command.set("by", x.v.me.name);
        if (!note.empty()) command.set("note", note);
        if (!ask(res, x, command)) return;
        cache.clear();  // the page we go back to must show the change, not a reply from before
        spdlog::info("{} {} {}{}", x.v.me.name, action_name(needed), id,
                     to.empty() ? "" : " to " + to);
        redirect(res, local_path(field(form, "back"), task ? "/tasks" : "/"));
    }

    // --- the other pages -----------------------------------------------------------------

    void tasks(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        if (!logged_in(req, res, x)) return;
        std::string dept = x.v.me.dept;
        if (req.has_param("dept") && x.v.me.level >= role::lead) {
            dept = req.get_param_value("dept");
            if (!has_term("dept", dept))
                return error(res, x, 400,
                             tr_fmt(x.v.l, "error.bad_filter", {dept, tr(x.v.l, "common.dept")}));
        }
        value mine_q = request("tasks");
        mine_q.set("assignee", x.v.me.name);
        auto mine = ask(res, x, mine_q);
        if (!mine) return;
        value dept_q = request("tasks");
        dept_q.set("dept", dept);
        auto of_dept = ask(res, x, dept_q);
        if (!of_dept) return;
        of_dept->set("dept", dept);
        html(res, 200, render_tasks(x.v, *mine, *of_dept));
    }

    void order(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        if (!logged_in(req, res, x)) return;
        value q = request("order");
        q.set("id", std::string(req.matches[1]));
        batond_reply r = p.batond.call(q);
        if (!r.reached) return error(res, x, 503, tr_fmt(x.v.l, "error.unreachable", {r.error}));
        if (!r.ok) return error(res, x, 404, tr_fmt(x.v.l, "error.batond", {r.error}));
        const value* o = r.body.find("order");
        html(res, 200, render_order(x.v, o ? *o : value(value_map{})));
    }

    void customer(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        if (!logged_in(req, res, x)) return;
        value q = request("customer");
        q.set("id", std::string(req.matches[1]));
        batond_reply r = p.batond.call(q);
        if (!r.reached) return error(res, x, 503, tr_fmt(x.v.l, "error.unreachable", {r.error}));
        if (!r.ok) return error(res, x, 404, tr_fmt(x.v.l, "error.batond", {r.error}));
        const value* c = r.body.find("customer");
        html(res, 200, render_customer(x.v, c ? *c : value(value_map{})));
    }

    // The KPI window from ?from=YYYY-MM-DD&until=YYYY-MM-DD; false (400 page) when malformed.
    bool kpi_query(const httplib::Request& req, httplib::Response& res, const visit& x,
                   kpi_range& range, value& q) const {
        range.from = req.get_param_value("from");
        range.until = req.get_param_value("until");
        q = request("kpi");
        q.set("every", "week");
        std::optional<std::int64_t> since, until;
        if (!range.from.empty() && !(since = date_start_ms(range.from)))
            return error(res, x, 400, tr_fmt(x.v.l, "error.bad_form", {"from: " + range.from})),
                   false;
        if (!range.until.empty() && !(until = date_start_ms(range.until)))
            return error(res, x, 400, tr_fmt(x.v.l, "error.bad_form", {"until: " + range.until})),
                   false;
        if (since && *since >= 0) q.set("since", static_cast<long long>(*since));
        if (until && *until >= 0) q.set("until", static_cast<long long>(*until));
        return true;
    }

    void kpi(const httplib::Request& req, httplib::Response& res, bool csv) const {
        visit x = start(req);
        if (!logged_in(req, res, x)) return;
        kpi_range range;
        value q;
        if (!kpi_query(req, res, x, range, q)) return;
        auto reply = ask(res, x, q);
        if (!reply) return;
        if (!csv) return html(res, 200, render_kpi(x.v, range, *reply));
        headers(res);
        res.set_header("Content-Disposition", "attachment; filename=\"baton-kpi.csv\"");
        res.set_content(kpi_csv(x.v, *reply), "text/csv; charset=utf-8");
    }

    void search(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        if (!logged_in(req, res, x)) return;
        std::string q = req.get_param_value("q");
        q.erase(0, q.find_first_not_of(" \t"));
        q.erase(q.find_last_not_of(" \t") + 1);
        if (q.size() > 128) q.resize(128);
        value found(value_map{});
        value_list orders;
        value_list customers;
        if (!q.empty()) {
            // An order number, then orders of that customer PO.
            value one = request("order");
            one.set("id", q);
            batond_reply r = p.batond.call(one);
            if (!r.reached)
                return error(res, x, 503, tr_fmt(x.v.l, "error.unreachable", {r.error}));
            if (r.ok)
                if (const value* o = r.body.find("order")) {
                    value row;
                    for (const char* k :
                         {"id", "customer", "stage", "holder", "promised_date", "customer_po"})
                        if (const value* f = o->find(k)) row.set(k, *f);
                    orders.push_back(std::move(row));
                }
            value po = request("orders");
            po.set("customer_po", q);
            po.set("limit", 100);
            auto by_po = ask(res, x, po);
            if (!by_po) return;
            for (const auto& o : list_of(*by_po, "orders")) orders.push_back(o);
            // Customers whose number or name holds the text (case-insensitive for ASCII).
            auto all = ask(res, x, request("customers"));
            if (!all) return;
            auto lower = [](std::string s) {
                for (char& c : s)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                return s;
            };
            const std::string needle = lower(q);
            for (const auto& c : list_of(*all, "customers"))
                if (lower(str_of(c, "id")).find(needle) != std::string::npos ||
                    lower(str_of(c, "name")).find(needle) != std::string::npos)
                    customers.push_back(c);
            // One order found by its number: go there.
            if (orders.size() == 1 && customers.empty() && str_of(orders[0], "id") == q)
                return redirect(res, "/order/" + url_enc(q));
        }
        found.set("orders", value(std::move(orders)));
        html(res, 200, render_search(x.v, q, found, customers));
    }

    void users_page(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        if (!logged_in(req, res, x)) return;
        if (!may(x.v.me, action::users))
            return error(res, x, 403, std::string(tr(x.v.l, "error.forbidden")));
        html(res, 200, render_users(x.v, p.users.records(), ""));
    }

    void users_change(const httplib::Request& req, httplib::Response& res) const {
        visit x = start(req);
        form_fields form;
        if (!checked_form(req, res, x, form)) return;
        if (!may(x.v.me, action::users))
            return error(res, x, 403, std::string(tr(x.v.l, "error.forbidden")));
        reload_users();  // so a change made with adduser is not written over
        const users_form_result r = apply_users_form(p.users, form);
        if (r.ok) {
            spdlog::info("{} changed user {}", x.v.me.name, r.user);
            if (r.sessions_to_close) p.sessions.close_user(r.user);
        }
        html(res, r.ok ? 200 : 400,
             render_users(x.v, p.users.records(), users_form_text(x.v.l, r)));
    }

    void asset(const httplib::Request& req, httplib::Response& res) const {
        const std::string name = req.matches[1];
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Cache-Control", "max-age=3600");
        if (name == "chart.min.js") {
            std::ifstream in(p.config.chart_js, std::ios::binary);
            if (!in) {
                res.status = 404;
                res.set_content("chart.js is not installed at " + p.config.chart_js +
                                    " (Debian package libjs-chart.js)\n",
                                "text/plain; charset=utf-8");
                return;
            }
            std::ostringstream body;
            body << in.rdbuf();
            res.set_content(body.str(), "text/javascript; charset=utf-8");
            return;
        }
        const board::asset* a = find_asset(name);
        if (!a) {
            res.status = 404;
            res.set_content("no such file\n", "text/plain; charset=utf-8");
            return;
        }
        res.set_content(std::string(a->body), std::string(a->type).c_str());
    }
};

board_server::board_server(board_parts parts) : parts_(std::move(parts)) {}

board_server::~board_server() {
    stop();
}

bool board_server::bind(std::string& error) {
    http_ = adapters::webhook::make_http_server(parts_.config.tls, error);
    if (!http_) return false;
    const std::size_t threads = parts_.config.threads;
    http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http_->set_payload_max_length(parts_.config.max_body_bytes);
    http_->set_read_timeout(std::chrono::seconds(30));
    http_->set_write_timeout(std::chrono::seconds(30));
    // Short keep-alive: an idle browser connection holds an HTTP thread, and a stop waits for it.
    http_->set_keep_alive_timeout(3);
    // Small answers go out at once instead of waiting on the browser's delayed ACK (Nagle).
    http_->set_tcp_nodelay(true);
    routes();
    port_ = parts_.config.port == 0
                ? http_->bind_to_any_port(parts_.config.host)
                : (http_->bind_to_port(parts_.config.host, parts_.config.port) ? parts_.config.port
                                                                               : -1);
    if (port_ <= 0) {
        error = "cannot listen on " + parts_.config.host + ":" +
                std::to_string(parts_.config.port) + " (in use, or not an address of this machine)";
        return false;
    }
    return true;
}

bool board_server::run() {
    return http_ && http_->listen_after_bind();
}

void board_server::stop() {
    parts_.hub.stop();
    if (http_) http_->stop();
}

void board_server::routes() {
    auto h = std::make_shared<board_handlers>(parts_);
    auto& s = *http_;
    s.Get("/login", [h](const auto& req, auto& res) { h->login_page(req, res); });
    s.Post("/login", [h](const auto& req, auto& res) { h->login(req, res); });
    s.Post("/logout", [h](const auto& req, auto& res) { h->logout(req, res); });
    s.Post("/lang", [h](const auto& req, auto& res) { h->set_lang(req, res); });
    s.Get("/", [h](const auto& req, auto& res) { h->board(req, res, false); });
    s.Get("/board/rows", [h](const auto& req, auto& res) { h->board(req, res, true); });
    s.Get("/events", [h](const auto& req, auto& res) { h->events(req, res); });
    s.Post(R"(/exception/([A-Za-z]-?[0-9]{1,19}))",
           [h](const auto& req, auto& res) { h->act(req, res, false); });
    s.Post(R"(/task/([A-Za-z]-?[0-9]{1,19}))",
           [h](const auto& req, auto& res) { h->act(req, res, true); });
    s.Get("/tasks", [h](const auto& req, auto& res) { h->tasks(req, res); });
    s.Get(R"(/order/([^/]{1,128}))", [h](const auto& req, auto& res) { h->order(req, res); });
    s.Get(R"(/customer/([^/]{1,128}))", [h](const auto& req, auto& res) { h->customer(req, res); });
    s.Get("/kpi", [h](const auto& req, auto& res) { h->kpi(req, res, false); });
    s.Get("/kpi.csv", [h](const auto& req, auto& res) { h->kpi(req, res, true); });
    s.Get("/search", [h](const auto& req, auto& res) { h->search(req, res); });
    s.Get("/users", [h](const auto& req, auto& res) { h->users_page(req, res); });
    s.Post("/users", [h](const auto& req, auto& res) { h->users_change(req, res); });
    s.Get(R"(/static/([A-Za-z0-9._-]{1,64}))",
          [h](const auto& req, auto& res) { h->asset(req, res); });
    s.Get("/healthz", [](const auto&, auto& res) { res.set_content("ok\n", "text/plain"); });
    // Anything else: a page saying so, in the reader's language.
    s.set_error_handler([h](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        visit x = h->start(req);
        const int status = res.status;
        const std::string message = status == 404   ? std::string(tr(x.v.l, "error.not_found"))
                                    : status == 413 ? tr_fmt(x.v.l, "error.bad_form", {"too large"})
                                                    : "HTTP " + std::to_string(status);
        h->error(res, x, status, message);
    });
    s.set_exception_handler(
        [h](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
            const std::string what = adapters::webhook::what_of(ep);
            spdlog::error("{} {}: {}", req.method, req.path, what);
            visit x = h->start(req);
            h->error(res, x, 500, what);
        });
}

}  // namespace baton::board
