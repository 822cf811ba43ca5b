// baton-board's server in-process on an ephemeral port, against a stand-in for batond's control
// socket (a REP socket answering canned replies and recording what it was asked): logins, the
// CSRF token of every form, role checks before batond is asked, batond's refusals shown, bad
// input answered with 4xx, expired sessions, and the live event stream.
#include "server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <regex>
#include <thread>
#include <zmq.hpp>

#include "batond_link.h"
#include "board_config.h"
#include "codec.h"
#include "live.h"
#include "login_limiter.h"
#include "reply.h"
#include "sessions.h"
#include "temp_dir.h"
#include "users.h"

namespace baton::board {
namespace {

using baton::testing::temp_dir;

// batond's control socket as far as the board uses it.
class fake_batond {
public:
    explicit fake_batond(zmq::context_t& ctx) : socket_(ctx, zmq::socket_type::rep) {
        socket_.set(zmq::sockopt::linger, 0);
        socket_.bind("tcp://127.0.0.1:*");
        endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
        thread_ = std::thread([this] { serve(); });
    }
    ~fake_batond() {
        stop_ = true;
        thread_.join();
    }
    const std::string& endpoint() const { return endpoint_; }
    std::vector<value> asked(const std::string& cmd) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<value> out;
        for (const auto& r : requests_)
            if (str_of(r, "cmd") == cmd) out.push_back(r);
        return out;
    }

private:
    static value exception_record() {
        value e;
        e.set("id", "E-1");
        e.set("kind", "credit_hold");
        e.set("severity", "high");
        e.set("dept", "finance");
        e.set("order", "SO-1");
        e.set("customer", "C-1001");
        e.set("tier", "key");
        e.set("state", "open");
        e.set("raised_at", 1795000000000LL);
        e.set("detail", "SO-1 is on credit hold: <three> invoices overdue");
        e.set("assignee", "");
        e.set("history", value(value_list{}));
        return e;
    }

    value answer(const value& req) const {
        const std::string& cmd = str_of(req, "cmd");
        value r;
        if (cmd == "exceptions") {
            r.set("ok", true);
            r.set("exceptions", value(value_list{exception_record()}));
            r.set("total", 1);
            value c;
            c.set("dept", "finance");
            c.set("severity", "high");
            c.set("count", 1);
            r.set("counts", value(value_list{c}));
        } else if (cmd == "ack" || cmd == "resolve" || cmd == "assign" || cmd == "task_done") {
            if (str_of(req, "note") == "refuse") {
                r.set("ok", false);
                r.set("error", "exception E-1 was already acknowledged by m.weber");
            } else {
                r.set("ok", true);
            }
        } else if (cmd == "order" && str_of(req, "id") == "SO-1") {
            r.set("ok", true);
            value o;
            o.set("id", "SO-1");
            r.set("order", o);
        } else if (cmd == "order") {
            r.set("ok", false);
            r.set("error", "order '" + str_of(req, "id") + "' is not known");
        } else {
            r.set("ok", false);
            r.set("error", "unknown command '" + cmd + "'");
        }
        return r;
    }

    void serve() {
        while (!stop_) {
            zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, std::chrono::milliseconds(50));
            if (!(item.revents & ZMQ_POLLIN)) continue;
            zmq::message_t msg;
            if (!socket_.recv(msg)) continue;
            value req;
            std::string error;
            decode_msgpack(std::string_view(static_cast<const char*>(msg.data()), msg.size()),
                           decode_limits{}, req, error);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                requests_.push_back(req);
            }
            const std::string out = encode_msgpack(answer(req));
            socket_.send(zmq::buffer(out), zmq::send_flags::none);
        }
    }

    zmq::socket_t socket_;
    std::string endpoint_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<value> requests_;
    std::thread thread_;
};

user_record person_of(const std::string& name, role level, const std::string& display,
                      const std::string& dept, const std::string& hash) {
    user_record r;
    r.who.name = name;
    r.who.display = display;
    r.who.dept = dept;
    r.who.level = level;
    r.hash = hash;
    return r;
}

class board_server_test : public ::testing::Test {
protected:
    board_server_test() : batond_(ctx_) {
        cfg_.port = 0;
        cfg_.max_body_bytes = 4096;
        cfg_.threads = 8;
        cfg_.users = dir_ / "users.yaml";
        cfg_.state = dir_ / "state";
        cfg_.control = batond_.endpoint();
        cfg_.batond_timeout = std::chrono::milliseconds(2000);
        static const std::string hash = hash_password("right-password");  // once: 0.1 s
        users_ = std::make_unique<users_file>(cfg_.users);
        users_->put(person_of("anna", role::clerk, "Anna Schmidt", "finance", hash));
        users_->put(person_of("otto", role::clerk, "Otto", "logistics", hash));
        users_->put(person_of("vera", role::viewer, "Vera", "sales", hash));
        users_->save();
        link_ =
            std::make_unique<batond_link>(ctx_, cfg_.control, std::nullopt, cfg_.batond_timeout, 2);
        server_ = std::make_unique<board_server>(board_parts{
            cfg_, *link_, hub_, *users_, sessions_, limiter_, [this] { return now_.load(); }});
        std::string error;
        EXPECT_TRUE(server_->bind(error)) << error;
        thread_ = std::thread([this] { server_->run(); });
        client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
        client_->set_read_timeout(5, 0);
        for (int i = 0; i < 100 && !client_->Get("/healthz"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~board_server_test() override {
        server_->stop();
        thread_.join();
    }

    static std::string cookie_from(const httplib::Result& r, const std::string& name) {
        for (const auto& [k, v] : r->headers)
            if (k == "Set-Cookie" && v.rfind(name + "=", 0) == 0)
                return v.substr(name.size() + 1, v.find(';') - name.size() - 1);
        return "";
    }
    static std::string set_cookie(const httplib::Result& r, const std::string& name) {
        for (const auto& [k, v] : r->headers)
            if (k == "Set-Cookie" && v.rfind(name + "=", 0) == 0) return v;
        return "";
    }
    static std::string csrf_in(const std::string& html) {
        std::smatch m;
        static const std::regex re("name=\"csrf\" value=\"([^\"]+)\"");
        return std::regex_search(html, m, re) ? m[1].str() : "";
    }

    httplib::Result post(const std::string& path, const httplib::Params& form,
                         const std::string& cookie) {
        httplib::Headers h;
        if (!cookie.empty()) h.emplace("Cookie", cookie);
        return client_->Post(path.c_str(), h, form);
    }

    // Logs in; the session cookie and the session's CSRF token.
    std::pair<std::string, std::string> login(const std::string& name) {
        auto page = client_->Get("/login");
        const std::string token = cookie_from(page, "baton_login");
        auto r = post("/login", {{"csrf", token}, {"name", name}, {"password", "right-password"}},
                      "baton_login=" + token);
        EXPECT_EQ(r->status, 303);
        const std::string session = "baton_session=" + cookie_from(r, "baton_session");
        auto board = client_->Get("/", httplib::Headers{{"Cookie", session}});
        EXPECT_EQ(board->status, 200);
        return {session, csrf_in(board->body)};
    }

    temp_dir dir_;
    zmq::context_t ctx_;
    fake_batond batond_;
    board_config cfg_;
    std::atomic<std::int64_t> now_{1795000000000};
    std::unique_ptr<users_file> users_;
    std::unique_ptr<batond_link> link_;
    live_hub hub_;
    session_store sessions_{8LL * 3600 * 1000, 24LL * 3600 * 1000};
    login_limiter limiter_{5, 15 * 60 * 1000};
    std::unique_ptr<board_server> server_;
    std::thread thread_;
    std::unique_ptr<httplib::Client> client_;
};

TEST_F(board_server_test, login_needs_the_right_password_and_the_login_forms_token) {
    auto page = client_->Get("/login");
    ASSERT_EQ(page->status, 200);
    const std::string token = cookie_from(page, "baton_login");
    ASSERT_EQ(token.size(), 43u);
    EXPECT_EQ(csrf_in(page->body), token);
    const std::string jar = "baton_login=" + token;

    auto wrong =
        post("/login", {{"csrf", token}, {"name", "anna"}, {"password", "nope-nope"}}, jar);
    EXPECT_EQ(wrong->status, 401);
    EXPECT_NE(wrong->body.find("Wrong user name or password."), std::string::npos);
    EXPECT_TRUE(cookie_from(wrong, "baton_session").empty());

    auto forged =
        post("/login", {{"csrf", "x"}, {"name", "anna"}, {"password", "right-password"}}, jar);
    EXPECT_EQ(forged->status, 403);
    EXPECT_TRUE(cookie_from(forged, "baton_session").empty());

    auto right = post(
        "/login",
        {{"csrf", token}, {"name", "anna"}, {"password", "right-password"}, {"next", "/tasks"}},
        jar);
    ASSERT_EQ(right->status, 303);
    EXPECT_EQ(right->get_header_value("Location"), "/tasks");
    const std::string cookie = set_cookie(right, "baton_session");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: " << cookie;

    // Somewhere else after login: only a path of this board.
    auto away = post("/login",
                     {{"csrf", token},
                      {"name", "anna"},
                      {"password", "right-password"},
                      {"next", "//evil.example/"}},
                     jar);
    EXPECT_EQ(away->get_header_value("Location"), "/");
}

TEST_F(board_server_test, login_attempts_are_limited_per_user) {
    auto page = client_->Get("/login");
    const std::string token = cookie_from(page, "baton_login");
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(post("/login", {{"csrf", token}, {"name", "otto"}, {"password", "guess-guess"}},
                       "baton_login=" + token)
                      ->status,
                  401);
    auto blocked =
        post("/login", {{"csrf", token}, {"name", "otto"}, {"password", "right-password"}},
             "baton_login=" + token);
    EXPECT_EQ(blocked->status, 429);
    EXPECT_NE(blocked->body.find("Too many failed attempts"), std::string::npos);
    now_ += 16 * 60 * 1000;  // the window passes
    EXPECT_EQ(post("/login", {{"csrf", token}, {"name", "otto"}, {"password", "right-password"}},
                   "baton_login=" + token)
                  ->status,
              303);
}

TEST_F(board_server_test, pages_need_a_session_and_an_expired_one_says_so) {
    auto none = client_->Get("/");
    EXPECT_EQ(none->status, 303);
    EXPECT_EQ(none->get_header_value("Location").rfind("/login?next=", 0), 0u);
    EXPECT_EQ(client_->Get("/board/rows")->status, 401);
    EXPECT_EQ(client_->Get("/events")->status, 401);

    auto [session, csrf] = login("anna");
    now_ += 9LL * 3600 * 1000;  // past the idle limit
    auto expired = client_->Get("/", httplib::Headers{{"Cookie", session}});
    EXPECT_EQ(expired->status, 303);
    EXPECT_NE(expired->get_header_value("Location").find("expired=1"), std::string::npos);
}

TEST_F(board_server_test, every_form_needs_the_sessions_csrf_token) {
    auto [session, csrf] = login("anna");
    ASSERT_FALSE(csrf.empty());
    auto without = post("/exception/E-1", {{"do", "ack"}, {"note", "n"}}, session);
    EXPECT_EQ(without->status, 403);
    auto other = post("/exception/E-1", {{"do", "ack"}, {"csrf", csrf + "x"}}, session);
    EXPECT_EQ(other->status, 403);
    EXPECT_TRUE(batond_.asked("ack").empty());
    auto logout = post("/logout", {}, session);
    EXPECT_EQ(logout->status, 403);  // no token: still logged in
    EXPECT_EQ(client_->Get("/", httplib::Headers{{"Cookie", session}})->status, 200);
}

TEST_F(board_server_test, an_action_carries_the_person_to_batond) {
    auto [session, csrf] = login("anna");
    auto r = post("/exception/E-1",
                  {{"do", "ack"},
                   {"csrf", csrf},
                   {"note", "called the customer"},
                   {"back", "/?dept=finance"}},
                  session);
    EXPECT_EQ(r->status, 303);
    EXPECT_EQ(r->get_header_value("Location"), "/?dept=finance");
    auto acks = batond_.asked("ack");
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(str_of(acks[0], "id"), "E-1");
    EXPECT_EQ(str_of(acks[0], "by"), "anna");
    EXPECT_EQ(str_of(acks[0], "note"), "called the customer");
    // The record was looked up first: its department decides what a clerk may do.
    ASSERT_FALSE(batond_.asked("exceptions").empty());
    EXPECT_EQ(str_of(batond_.asked("exceptions").back(), "id"), "E-1");

    // Assign to someone the board knows.
    EXPECT_EQ(
        post("/exception/E-1", {{"do", "assign"}, {"csrf", csrf}, {"to", "otto"}}, session)->status,
        303);
    ASSERT_EQ(batond_.asked("assign").size(), 1u);
    EXPECT_EQ(str_of(batond_.asked("assign")[0], "to"), "otto");
    EXPECT_EQ(post("/exception/E-1", {{"do", "assign"}, {"csrf", csrf}, {"to", "nobody"}}, session)
                  ->status,
              400);
}

TEST_F(board_server_test, roles_decide_before_batond_is_asked) {
    auto [viewer, viewer_csrf] = login("vera");
    auto board = client_->Get("/", httplib::Headers{{"Cookie", viewer}});
    EXPECT_EQ(board->body.find("details class=\"act\""), std::string::npos);
    EXPECT_EQ(post("/exception/E-1", {{"do", "ack"}, {"csrf", viewer_csrf}}, viewer)->status, 403);

    // A clerk of logistics may acknowledge finance's exception, not resolve it.
    auto [otto, otto_csrf] = login("otto");
    EXPECT_EQ(post("/exception/E-1", {{"do", "resolve"}, {"csrf", otto_csrf}}, otto)->status, 403);
    EXPECT_EQ(post("/exception/E-1", {{"do", "ack"}, {"csrf", otto_csrf}}, otto)->status, 303);
    EXPECT_TRUE(batond_.asked("resolve").empty());
    EXPECT_EQ(batond_.asked("ack").size(), 1u);
    // The users page is the admin's.
    EXPECT_EQ(client_->Get("/users", httplib::Headers{{"Cookie", otto}})->status, 403);
}

TEST_F(board_server_test, bad_input_gets_a_4xx_with_a_reason) {
    auto [session, csrf] = login("anna");
    const httplib::Headers jar{{"Cookie", session}};
    auto filter = client_->Get("/?kind=bogus", jar);
    EXPECT_EQ(filter->status, 400);
    EXPECT_NE(filter->body.find("&#39;bogus&#39; is not a known Kind"), std::string::npos);
    EXPECT_EQ(client_->Get("/?page=0", jar)->status, 400);
    EXPECT_EQ(client_->Get("/?severity=%3Cscript%3E", jar)->status, 400);
    auto unknown = client_->Get("/order/SO-404", jar);
    EXPECT_EQ(unknown->status, 404);
    EXPECT_NE(unknown->body.find("order &#39;SO-404&#39; is not known"), std::string::npos);
    EXPECT_EQ(client_->Get("/kpi?from=2026-02-30", jar)->status, 400);
    EXPECT_EQ(client_->Get("/no/such/page", jar)->status, 404);
    // batond's refusal, with its reason.
    auto refused =
        post("/exception/E-1", {{"do", "ack"}, {"csrf", csrf}, {"note", "refuse"}}, session);
    EXPECT_EQ(refused->status, 400);
    EXPECT_NE(refused->body.find("already acknowledged by m.weber"), std::string::npos);
    // Unknown action, oversized form.
    EXPECT_EQ(post("/exception/E-1", {{"do", "explode"}, {"csrf", csrf}}, session)->status, 400);
    auto big = post("/exception/E-1",
                    {{"do", "ack"}, {"csrf", csrf}, {"note", std::string(8000, 'x')}}, session);
    EXPECT_EQ(big->status, 413);
    // Untrusted text is escaped on the page.
    auto board = client_->Get("/", jar);
    EXPECT_NE(board->body.find("&lt;three&gt;"), std::string::npos);
    EXPECT_EQ(board->body.find("<three>"), std::string::npos);
    EXPECT_NE(board->get_header_value("Content-Security-Policy").find("script-src 'self'"),
              std::string::npos);
}

TEST_F(board_server_test, the_board_speaks_the_browsers_language_until_the_user_chooses) {
    auto [session, csrf] = login("anna");
    auto zh = client_->Get(
        "/", httplib::Headers{{"Cookie", session}, {"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"}});
    EXPECT_NE(zh->body.find("<html lang=\"zh-CN\">"), std::string::npos);
    EXPECT_NE(zh->body.find("未处理异常"), std::string::npos);
    auto en = post("/lang", {{"csrf", csrf}, {"lang", "en"}, {"back", "/"}}, session);
    EXPECT_EQ(en->status, 303);
    auto after =
        client_->Get("/", httplib::Headers{{"Cookie", session}, {"Accept-Language", "zh-CN"}});
    EXPECT_NE(after->body.find("Open exceptions"), std::string::npos);
    EXPECT_EQ(users_->find("anna")->who.lang, "en");
}

TEST_F(board_server_test, a_live_page_hears_of_a_new_exception) {
    auto [session, csrf] = login("anna");
    std::string got;
    std::thread publisher([this] {
        for (int i = 0; i < 200 && hub_.streams() == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        live_event e;
        e.type = "exception";
        e.json = R"({"id":"E-9","state":"raised"})";
        hub_.publish(e);
    });
    client_->Get("/events", httplib::Headers{{"Cookie", session}},
                 [&](const char* data, std::size_t len) {
                     got.append(data, len);
                     return got.find("E-9") == std::string::npos;
                 });
    publisher.join();
    EXPECT_NE(got.find("event: exception\ndata: {\"id\":\"E-9\",\"state\":\"raised\"}"),
              std::string::npos)
        << got;
}

TEST_F(board_server_test, live_pages_beyond_the_limit_are_refused_and_pages_still_served) {
    auto [session, csrf] = login("anna");
    cfg_.max_live_pages = 0;  // the server reads its config by reference
    auto refused = client_->Get("/events", httplib::Headers{{"Cookie", session}});
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(refused->get_header_value("Retry-After"), "10");
    EXPECT_EQ(client_->Get("/", httplib::Headers{{"Cookie", session}})->status, 200);
}

TEST_F(board_server_test, a_notice_between_the_page_and_its_stream_is_not_missed) {
    auto [session, csrf] = login("anna");
    auto board = client_->Get("/", httplib::Headers{{"Cookie", session}});
    ASSERT_NE(board->body.find("data-since=\"0\""), std::string::npos);
    live_event meanwhile;  // after the page was rendered, before its stream connects
    meanwhile.type = "exception";
    meanwhile.json = R"({"id":"E-5","state":"resolved"})";
    hub_.publish(meanwhile);
    std::string got;
    client_->Get("/events?since=0", httplib::Headers{{"Cookie", session}},
                 [&](const char* data, std::size_t len) {
                     got.append(data, len);
                     return got.find("E-5") == std::string::npos;
                 });
    EXPECT_NE(got.find("\"id\":\"E-5\""), std::string::npos) << got;
}

TEST_F(board_server_test, after_an_action_the_board_asks_batond_again) {
    auto [session, csrf] = login("anna");
    const auto asked = [&] { return batond_.asked("exceptions").size(); };
    client_->Get("/", httplib::Headers{{"Cookie", session}});
    const std::size_t before = asked();
    client_->Get("/", httplib::Headers{{"Cookie", session}});
    EXPECT_EQ(asked(), before);  // the same question, no notice since: from the cache
    EXPECT_EQ(post("/exception/E-1", {{"do", "ack"}, {"csrf", csrf}}, session)->status, 303);
    const std::size_t after_ack = asked();  // the record's lookup
    client_->Get("/", httplib::Headers{{"Cookie", session}});
    EXPECT_EQ(asked(), after_ack + 1);  // the page after the change is batond's new answer
}

TEST_F(board_server_test, a_second_board_cannot_take_the_same_port) {
    board_config other = cfg_;
    other.port = server_->port();
    board_server second(board_parts{other, *link_, hub_, *users_, sessions_, limiter_,
                                    [this] { return now_.load(); }});
    std::string error;
    EXPECT_FALSE(second.bind(error));
    EXPECT_NE(error.find("cannot listen on 127.0.0.1:" + std::to_string(server_->port())),
              std::string::npos)
        << error;
}

TEST_F(board_server_test, a_reconnecting_page_gets_what_it_missed) {
    auto [session, csrf] = login("anna");
    live_event missed;
    missed.type = "task";
    missed.json = R"({"id":"T-4","state":"opened"})";
    hub_.publish(missed);  // seq 1, before the page came back
    std::string got;
    client_->Get("/events", httplib::Headers{{"Cookie", session}, {"Last-Event-ID", "0"}},
                 [&](const char* data, std::size_t len) {
                     got.append(data, len);
                     return got.find("T-4") == std::string::npos;
                 });
    EXPECT_NE(got.find("id: 1\nevent: task\n"), std::string::npos) << got;
}

}  // namespace
}  // namespace baton::board
