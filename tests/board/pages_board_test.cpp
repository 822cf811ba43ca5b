// The board, tasks, search, login and error pages rendered from canned replies of batond.
#include <gtest/gtest.h>

#include "pages.h"

namespace baton::board {
namespace {

value exception_item(const std::string& id, const std::string& severity, const std::string& dept,
                     const std::string& state = "open", const std::string& assignee = "") {
    value e;
    e.set("id", id);
    e.set("kind", "qc_failed");
    e.set("severity", severity);
    e.set("dept", dept);
    e.set("order", "SO-7");
    e.set("customer", "C-1001");
    e.set("tier", "key");
    e.set("customer_name", "华东铝业 & Co");
    e.set("stage", "");
    e.set("order_stage", "production");
    e.set("order_holder", "production");
    e.set("state", state);
    e.set("raised_at", 1795000000000LL - 3 * 3600000LL);
    e.set("detail", "batch B-2 failed QC: <surface> streaks");
    e.set("assignee", assignee);
    value_list history;
    if (state == "acknowledged") {
        value step;
        step.set("at", 1795000000000LL);
        step.set("by", "anna");
        step.set("what", "acknowledged");
        step.set("note", "called the customer");
        history.push_back(step);
    }
    e.set("history", value(history));
    return e;
}

value reply_of(value_list items, long long total) {
    value r;
    r.set("exceptions", value(std::move(items)));
    r.set("total", total);
    value_list counts;
    for (const char* sev : {"high", "low"}) {
        value c;
        c.set("dept", "production");
        c.set("severity", sev);
        c.set("count", sev[0] == 'h' ? 2 : 1);
        counts.push_back(c);
    }
    r.set("counts", value(counts));
    return r;
}

view_ctx ctx_of(role level, lang l = lang::en, const std::string& dept = "production") {
    view_ctx v;
    v.l = l;
    v.me.name = "wang";
    v.me.display = "王伟";
    v.me.dept = dept;
    v.me.level = level;
    v.csrf = "TOKEN";
    v.now_ms = 1795000000000LL;
    v.path = "/";
    return v;
}

TEST(board_page, rows_counts_paging_and_who_acknowledged) {
    std::map<std::string, std::string> names{{"anna", "Anna Schmidt"}};
    view_ctx v = ctx_of(role::clerk);
    v.names = &names;
    board_filter f;
    f.per_page = 2;
    f.page = 2;
    f.dept = "production";
    const std::string html =
        render_board(v, f,
                     reply_of({exception_item("E-3", "high", "production", "acknowledged"),
                               exception_item("E-4", "low", "production")},
                              5));
    EXPECT_NE(
        html.find("<tr id=\"row-E-3\" data-id=\"E-3\" class=\"sev-high state-acknowledged\">"),
        std::string::npos);
    EXPECT_NE(html.find("class=\"acked-by\">Anna Schmidt<"), std::string::npos);
    EXPECT_NE(html.find("QC failed"), std::string::npos);
    EXPECT_NE(html.find("<td class=\"stage\">Production</td><td class=\"holder\">Production</td>"),
              std::string::npos);
    EXPECT_NE(html.find("Key account"), std::string::npos);
    EXPECT_NE(html.find("<div class=\"muted\">华东铝业 &amp; Co</div>"), std::string::npos);
    EXPECT_NE(html.find("3h"), std::string::npos);  // age
    EXPECT_NE(html.find("&lt;surface&gt;"), std::string::npos);
    EXPECT_EQ(html.find("<surface>"), std::string::npos);
    // 5 matches, 2 a page, page 2: both neighbours, filters kept.
    EXPECT_NE(html.find("Page 2 of 3"), std::string::npos);
    EXPECT_NE(html.find("href=\"/?dept=production\""), std::string::npos);  // page 1
    EXPECT_NE(html.find("href=\"/?dept=production&amp;page=3\""), std::string::npos);
    EXPECT_NE(html.find("data-refresh=\"/board/rows?dept=production&amp;page=2\""),
              std::string::npos);
    EXPECT_NE(html.find("<option value=\"production\" selected>"), std::string::npos);
    // Counts per department and severity, total per department.
    EXPECT_NE(
        html.find(
            "<tr "
            "data-dept=\"production\"><th>Production</th><td></td><td>2</td><td></td><td>1</td>"),
        std::string::npos);
    EXPECT_NE(html.find("data-total=\"5\""), std::string::npos);
    // A production clerk: acknowledge the open one, resolve both; the CSRF token in each form.
    EXPECT_NE(html.find("value=\"ack\""), std::string::npos);
    EXPECT_NE(html.find("value=\"resolve\""), std::string::npos);
    EXPECT_NE(html.find("name=\"csrf\" value=\"TOKEN\""), std::string::npos);
    EXPECT_NE(html.find("src=\"/static/board.js\""), std::string::npos);
}

TEST(board_page, a_viewer_sees_no_actions_and_an_empty_board_says_so) {
    const std::string viewer =
        render_board(ctx_of(role::viewer), board_filter{},
                     reply_of({exception_item("E-1", "high", "production")}, 1));
    EXPECT_EQ(viewer.find("details class=\"act\""), std::string::npos);
    const std::string empty = render_board(ctx_of(role::clerk), board_filter{}, reply_of({}, 0));
    EXPECT_NE(empty.find("id=\"no-exceptions\""), std::string::npos);
    EXPECT_EQ(empty.find("id=\"pager\""), std::string::npos);
}

TEST(board_page, a_clerk_of_another_department_may_acknowledge_but_not_resolve) {
    const std::string html =
        render_board(ctx_of(role::clerk, lang::en, "sales"), board_filter{},
                     reply_of({exception_item("E-1", "high", "production")}, 1));
    EXPECT_NE(html.find("value=\"ack\""), std::string::npos);
    EXPECT_EQ(html.find("value=\"resolve\""), std::string::npos);
    EXPECT_EQ(html.find("value=\"assign\""), std::string::npos);
}

TEST(board_page, chinese_labels_and_dates) {
    const std::string html =
        render_board(ctx_of(role::lead, lang::zh), board_filter{},
                     reply_of({exception_item("E-1", "high", "production")}, 1));
    EXPECT_NE(html.find("<html lang=\"zh-CN\">"), std::string::npos);
    EXPECT_NE(html.find("未处理异常"), std::string::npos);
    EXPECT_NE(html.find("质检不合格"), std::string::npos);
    EXPECT_NE(html.find("生产部"), std::string::npos);
    EXPECT_NE(html.find("3小时"), std::string::npos);
    EXPECT_NE(html.find("共1条未处理"), std::string::npos);
}

TEST(board_page, the_filter_query_keeps_only_what_is_set) {
    board_filter f;
    EXPECT_EQ(filter_query(f, true), "");
    f.customer = "C 1&2";
    f.mine = true;
    f.page = 4;
    EXPECT_EQ(filter_query(f, false), "customer=C%201%262&mine=1");
    EXPECT_EQ(filter_query(f, true), "customer=C%201%262&mine=1&page=4");
}

value task_item(const std::string& id, long long due, const std::string& assignee = "") {
    value t;
    t.set("id", id);
    t.set("dept", "production");
    t.set("order", "SO-7");
    t.set("action", "production: re-run batch B-2 of SO-7");
    t.set("due_at", due);
    t.set("state", "open");
    t.set("exception", "E-1");
    t.set("assignee", assignee);
    return t;
}

TEST(tasks_page, mine_then_my_departments_overdue_marked) {
    value mine;
    mine.set("tasks", value(value_list{task_item("T-1", 1795000000000LL - 60000, "wang")}));
    value dept;
    dept.set("tasks", value(value_list{task_item("T-2", 1795000000000LL + 3600000)}));
    const std::string html = render_tasks(ctx_of(role::clerk), mine, dept);
    const auto my = html.find("id=\"my-tasks\"");
    const auto theirs = html.find("id=\"dept-tasks\"");
    ASSERT_NE(my, std::string::npos);
    ASSERT_NE(theirs, std::string::npos);
    EXPECT_LT(my, theirs);
    EXPECT_NE(html.find("<tr data-id=\"T-1\" class=\"overdue\">"), std::string::npos);
    EXPECT_NE(html.find("<tr data-id=\"T-2\">"), std::string::npos);
    EXPECT_NE(html.find("action=\"/task/T-1\""), std::string::npos);
    EXPECT_NE(html.find("value=\"done\""), std::string::npos);
    EXPECT_NE(html.find("Tasks of Production"), std::string::npos);
    const std::string none =
        render_tasks(ctx_of(role::clerk), value(value_map{}), value(value_map{}));
    EXPECT_NE(none.find("my-tasks-none"), std::string::npos);
}

TEST(search_page, orders_and_customers_found_or_nothing) {
    value orders;
    value o;
    o.set("id", "SO-7");
    o.set("customer", "C-1001");
    o.set("customer_po", "PO-778");
    o.set("stage", "shipping");
    o.set("holder", "logistics");
    o.set("promised_date", "2026-12-05");
    orders.set("orders", value(value_list{o}));
    value c;
    c.set("id", "C-1001");
    c.set("name", "华东铝业 <Ltd>");
    c.set("tier", "key");
    const std::string html = render_search(ctx_of(role::viewer, lang::zh), "PO-778", orders, {c});
    EXPECT_NE(html.find("id=\"found-orders\""), std::string::npos);
    EXPECT_NE(html.find("href=\"/order/SO-7\""), std::string::npos);
    EXPECT_NE(html.find("华东铝业 &lt;Ltd&gt;"), std::string::npos);
    EXPECT_NE(html.find("2026年12月5日"), std::string::npos);
    const std::string nothing = render_search(ctx_of(role::viewer), "<x>", value(value_map{}), {});
    EXPECT_NE(nothing.find("Nothing found for “&lt;x&gt;”."), std::string::npos);
}

TEST(login_page, carries_the_token_and_keeps_no_password) {
    view_ctx v;
    v.csrf = "PRE";
    v.path = "/order/SO-1";
    const std::string html = render_login(v, "Wrong user name or password.", "anna\"><b>");
    EXPECT_NE(html.find("name=\"csrf\" value=\"PRE\""), std::string::npos);
    EXPECT_NE(html.find("name=\"next\" value=\"/order/SO-1\""), std::string::npos);
    EXPECT_NE(html.find("value=\"anna&quot;&gt;&lt;b&gt;\""), std::string::npos);
    EXPECT_NE(html.find("type=\"password\" name=\"password\" id=\"password\""), std::string::npos);
    EXPECT_EQ(html.find("id=\"logout\""), std::string::npos);  // nobody logged in yet
    const std::string error = render_error(ctx_of(role::clerk), 404, "order 'SO-9' <is> not known");
    EXPECT_NE(error.find("404"), std::string::npos);
    EXPECT_NE(error.find("order &#39;SO-9&#39; &lt;is&gt; not known"), std::string::npos);
}

}  // namespace
}  // namespace baton::board
