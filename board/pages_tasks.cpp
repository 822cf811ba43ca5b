// Tasks: the person's own, then their department's, overdue first, each with its done and
// assign form (pages.h).
#include "pages.h"
#include "reply.h"

namespace baton::board {

namespace {

std::string task_form(const view_ctx& v, const value& task) {
    const std::string& id = str_of(task, "id");
    const std::string& dept = str_of(task, "dept");
    const std::string& assignee = str_of(task, "assignee");
    const bool can_done = may(v.me, action::task_done, dept, assignee);
    const bool can_assign = assignee.empty() || assignee == v.me.name
                                ? may(v.me, action::assign, dept, assignee)
                                : may(v.me, action::reassign, dept, assignee);
    if (!can_done && !can_assign) return "";
    std::string out = "<form method=\"post\" action=\"/task/" + url_enc(id) +
                      "\" class=\"act-form\">" + csrf_field(v) +
                      "<input type=\"hidden\" name=\"back\" value=\"/tasks\">";
    out += "<textarea name=\"note\" maxlength=\"2000\" rows=\"1\" placeholder=\"" +
           t(v, "act.note_placeholder") + "\"></textarea><div class=\"buttons\">";
    if (can_done)
        out +=
            "<button name=\"do\" value=\"done\" class=\"done\">" + t(v, "act.done") + "</button>";
    if (can_assign)
        out += "<input name=\"to\" maxlength=\"64\" size=\"10\" placeholder=\"" +
               t(v, "act.assign_to") + "\"><button name=\"do\" value=\"assign\" class=\"assign\">" +
               t(v, "act.assign") + "</button>";
    return out + "</div></form>";
}

std::string task_table(const view_ctx& v, const char* id, const value& reply) {
    const value_list& tasks = list_of(reply, "tasks");
    if (tasks.empty())
        return "<p class=\"empty\" id=\"" + std::string(id) + "-none\">" + t(v, "tasks.none") +
               "</p>";
    std::string out = "<table class=\"list\" id=\"" + std::string(id) + "\"><thead><tr><th>" +
                      t(v, "tasks.task") + "</th><th>" + t(v, "common.order") + "</th><th>" +
                      t(v, "common.dept") + "</th><th>" + t(v, "common.detail") + "</th><th>" +
                      t(v, "common.due") + "</th><th>" + t(v, "common.state") + "</th><th>" +
                      t(v, "common.assignee") + "</th><th>" + t(v, "tasks.exception") +
                      "</th><th>" + t(v, "common.action") + "</th></tr></thead><tbody>";
    for (const auto& task : tasks) {
        const std::int64_t due = int_of(task, "due_at");
        const bool overdue = due > 0 && due < v.now_ms;
        const std::string& tid = str_of(task, "id");
        out += "<tr data-id=\"" + esc(tid) + "\"" + (overdue ? " class=\"overdue\"" : "") + ">";
        out += "<td>" + esc(tid) + "</td>";
        out += "<td>" + order_link(str_of(task, "order")) + "</td>";
        out += "<td>" + w(v, "dept", str_of(task, "dept")) + "</td>";
        out += "<td>" + esc(str_of(task, "action")) + "</td>";
        out += "<td class=\"due\">" + esc(fmt_time(v.l, due)) +
               (overdue ? " <span class=\"badge overdue\">" + t(v, "common.overdue") + "</span>"
                        : "") +
               "</td>";
        out += "<td>" + w(v, "state", str_of(task, "state")) + "</td>";
        const std::string& assignee = str_of(task, "assignee");
        out += "<td class=\"assignee\">" +
               (assignee.empty() ? "<span class=\"muted\">" + t(v, "common.unassigned") + "</span>"
                                 : who(v, assignee)) +
               "</td>";
        const std::string& exception = str_of(task, "exception");
        out += "<td>" + (exception.empty() ? t(v, "tasks.follow_up") : esc(exception)) + "</td>";
        out += "<td>" + task_form(v, task) + "</td></tr>";
    }
    return out + "</tbody></table>";
}

}  // namespace

std::string render_tasks(const view_ctx& v, const value& mine, const value& dept) {
    std::string body = "<h1>" + t(v, "tasks.title") + "</h1>";
    body += "<section><h2>" + t(v, "tasks.mine") + "</h2>" + task_table(v, "my-tasks", mine) +
            "</section>";
    const std::string& shown = str_of(dept, "dept");
    body += "<section><h2>" +
            esc(tr_fmt(v.l, "tasks.dept", {term(v.l, "dept", shown.empty() ? v.me.dept : shown)})) +
            "</h2>";
    if (v.me.level >= role::lead) {
        body += "<form method=\"get\" action=\"/tasks\" class=\"filters\"><label>" +
                t(v, "tasks.dept_pick") + " <select name=\"dept\" id=\"f-task-dept\">";
        for (const char* d : {"sales", "finance", "production", "logistics", "customer_service"}) {
            const bool chosen = (shown.empty() ? v.me.dept : shown) == d;
            body += "<option value=\"" + std::string(d) + "\"" + (chosen ? " selected" : "") + ">" +
                    w(v, "dept", d) + "</option>";
        }
        body += "</select></label><button>" + t(v, "common.filter") + "</button></form>";
    }
    body += task_table(v, "dept-tasks", dept) + "</section>";
    return page(v, tr(v.l, "tasks.title"), "tasks", body);
}

}  // namespace baton::board
