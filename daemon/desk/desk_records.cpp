// The names of the desk's states and transitions, and its records' stored form.
#include "desk_records.h"

#include "record_id.h"

namespace baton {

namespace {

std::string text(const value& data, const char* key) {
    const value* v = data.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

std::int64_t number(const value& data, const char* key) {
    std::int64_t n = 0;
    if (const value* f = data.find(key)) f->to_int64(n);
    return n;
}

}  // namespace

const char* state_name(exception_state s) {
    switch (s) {
        case exception_state::open: return "open";
        case exception_state::acknowledged: return "acknowledged";
        case exception_state::resolved: return "resolved";
    }
    return "open";
}

const char* state_name(task_state s) {
    switch (s) {
        case task_state::open: return "open";
        case task_state::escalated: return "escalated";
        case task_state::done: return "done";
    }
    return "open";
}

const char* transition_name(exception_transition t) {
    switch (t) {
        case exception_transition::raised: return "raised";
        case exception_transition::acknowledged: return "acknowledged";
        case exception_transition::escalated: return "escalated";
        case exception_transition::resolved: return "resolved";
        case exception_transition::updated: return "updated";
        case exception_transition::assigned: return "assigned";
    }
    return "updated";
}

const char* transition_name(task_transition t) {
    switch (t) {
        case task_transition::opened: return "opened";
        case task_transition::escalated: return "escalated";
        case task_transition::done: return "done";
        case task_transition::assigned: return "assigned";
    }
    return "opened";
}

std::optional<exception_state> exception_state_from(const std::string& name) {
    for (auto s : {exception_state::open, exception_state::acknowledged, exception_state::resolved})
        if (name == state_name(s)) return s;
    return std::nullopt;
}

std::optional<task_state> task_state_from(const std::string& name) {
    for (auto s : {task_state::open, task_state::escalated, task_state::done})
        if (name == state_name(s)) return s;
    return std::nullopt;
}

void add_step(std::vector<record_step>& history, record_step step) {
    if (history.size() >= max_history) history.erase(history.begin() + 1);
    history.push_back(std::move(step));
}

namespace {

value history_value(const std::vector<record_step>& history) {
    value_list list;
    for (const auto& h : history) {
        value s;
        s.set("at", static_cast<long long>(h.at_ms));
        s.set("by", h.by);
        s.set("what", h.what);
        if (!h.to.empty()) s.set("to", h.to);
        if (!h.note.empty()) s.set("note", h.note);
        list.push_back(std::move(s));
    }
    return value(std::move(list));
}

std::vector<record_step> history_of(const value& v) {
    std::vector<record_step> out;
    if (const value* h = v.find("history"); h && h->is_list())
        for (const auto& s : h->as_list())
            out.push_back(
                {number(s, "at"), text(s, "by"), text(s, "what"), text(s, "to"), text(s, "note")});
    return out;
}

}  // namespace

value to_value(const exception_record& e) {
    value v = value(value_map{});
    v.as_map().reserve(22);  // its 20 keys, and the 2 the notices add (notices.cpp)
    v.set("id", exception_id_text(e.id));
    v.set("kind", kind_name(e.kind));
    v.set("severity", severity_name(e.level));
    v.set("dept", e.dept);
    v.set("order", e.order);
    v.set("customer", e.customer);
    v.set("state", state_name(e.state));
    v.set("raised_at", static_cast<long long>(e.raised_ms));
    v.set("updated_at", static_cast<long long>(e.updated_ms));
    v.set("resolved_at", static_cast<long long>(e.resolved_ms));
    v.set("detail", e.detail);
    v.set("stage", e.stage);
    v.set("since", static_cast<long long>(e.since_ms));
    v.set("scope", e.scope);
    value_list on;
    for (const auto& m : e.resolve_on) on.emplace_back(m);
    v.set("resolve_on", value(std::move(on)));
    v.set("step", e.step);
    v.set("by", e.by);
    v.set("note", e.note);
    v.set("assignee", e.assignee);
    v.set("history", history_value(e.history));
    return v;
}

exception_record exception_from_value(const value& v) {
    exception_record e;
    e.id = parse_record_id(text(v, "id"), 'E').value_or(0);
    e.kind = kind_from(text(v, "kind")).value_or(exception_kind::feed_gap);
    e.level = severity_from(text(v, "severity")).value_or(severity::low);
    e.dept = text(v, "dept");
    e.order = text(v, "order");
    e.customer = text(v, "customer");
    e.state = exception_state_from(text(v, "state")).value_or(exception_state::open);
    e.raised_ms = number(v, "raised_at");
    e.updated_ms = number(v, "updated_at");
    e.resolved_ms = number(v, "resolved_at");
    e.detail = text(v, "detail");
    e.stage = text(v, "stage");
    e.since_ms = number(v, "since");
    e.scope = text(v, "scope");
    if (const value* on = v.find("resolve_on"); on && on->is_list())
        for (const auto& m : on->as_list())
            if (m.is_string()) e.resolve_on.push_back(m.as_string());
    e.step = static_cast<int>(number(v, "step"));
    e.by = text(v, "by");
    e.note = text(v, "note");
    e.assignee = text(v, "assignee");
    e.history = history_of(v);
    return e;
}

value to_value(const task_record& t) {
    value v = value(value_map{});
    v.as_map().reserve(16);  // its 14 keys at most, and the 2 the notices add (notices.cpp)
    v.set("id", task_id_text(t.id));
    v.set("dept", t.dept);
    v.set("order", t.order);
    v.set("action", t.action);
    v.set("due_at", static_cast<long long>(t.due_ms));
    v.set("state", state_name(t.state));
    v.set("exception", t.exception_id ? exception_id_text(t.exception_id) : std::string());
    if (!t.answer.empty()) v.set("answer", t.answer);
    v.set("opened_at", static_cast<long long>(t.opened_ms));
    v.set("closed_at", static_cast<long long>(t.closed_ms));
    v.set("by", t.by);
    v.set("note", t.note);
    v.set("assignee", t.assignee);
    v.set("history", history_value(t.history));
    return v;
}

task_record task_from_value(const value& v) {
    task_record t;
    t.id = parse_record_id(text(v, "id"), 'T').value_or(0);
    t.dept = text(v, "dept");
    t.order = text(v, "order");
    t.action = text(v, "action");
    t.state = task_state_from(text(v, "state")).value_or(task_state::open);
    t.exception_id = parse_record_id(text(v, "exception"), 'E').value_or(0);
    t.answer = text(v, "answer");
    t.due_ms = number(v, "due_at");
    t.opened_ms = number(v, "opened_at");
    t.closed_ms = number(v, "closed_at");
    t.by = text(v, "by");
    t.note = text(v, "note");
    t.assignee = text(v, "assignee");
    t.history = history_of(v);
    return t;
}

}  // namespace baton
