// The names of the desk's states and transitions, and its records' stored form.
#include "desk_records.h"

#include "packed.h"
#include "record_id.h"

namespace baton {

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

// The stored form is read with a cursor over the bytes, without a value tree (a start reads
// every open record). Leniently, as it always was: a value of another type reads as empty or
// zero, and is passed over.
std::string text_of(packed_reader& in) {
    if (in.next_is_str()) return std::string(in.str());
    in.skip();
    return std::string();
}

std::int64_t number_of(packed_reader& in) {
    if (!in.next_is_int()) {
        in.skip();
        return 0;
    }
    packed_reader past = in;
    past.skip();
    try {
        return in.integer();
    } catch (const packed_error&) {  // an unsigned integer past int64
        in = past;
        return 0;
    }
}

// Calls fn(key, in) for each pair of the map that `in` is at, `in` at the pair's value: fn reads
// the value or passes over it. The keys are strings (stored_map has checked every map).
template <typename Fn>
void each_field(packed_reader& in, Fn&& fn) {
    for (std::uint32_t i = 0, n = in.map(); i < n; ++i) {
        const std::string_view key = in.str();
        fn(key, in);
    }
}

std::vector<record_step> history_of(packed_reader& in) {
    std::vector<record_step> out;
    if (!in.next_is_array()) {
        in.skip();
        return out;
    }
    const std::uint32_t n = in.array();
    out.reserve(in.room(n));
    for (std::uint32_t i = 0; i < n; ++i) {
        record_step& s = out.emplace_back();
        if (!in.next_is_map()) {
            in.skip();
            continue;
        }
        each_field(in, [&](std::string_view key, packed_reader& v) {
            if (key == "at")
                s.at_ms = number_of(v);
            else if (key == "by")
                s.by = text_of(v);
            else if (key == "what")
                s.what = text_of(v);
            else if (key == "to")
                s.to = text_of(v);
            else if (key == "note")
                s.note = text_of(v);
            else
                v.skip();
        });
    }
    return out;
}

// A cursor at the stored bytes' one top-level map; packed_error saying why when they are not
// one, or hold what a value tree refused (a key twice, a key that is not a string, text that is
// not UTF-8, bin or ext values), in the words and the order of when records were read through
// one: the bytes' shape first, then the map, then what is in it.
packed_reader stored_map(std::string_view bytes) {
    std::string error;
    if (!packed_whole(bytes, error)) throw packed_error(error);
    packed_reader in(bytes);
    if (!in.next_is_map())
        throw packed_error(std::string("expected a map, got ") + in.next_type_name());
    if (!packed_acceptable(bytes, error)) throw packed_error(error);
    return in;
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

exception_record exception_from_stored(std::string_view bytes) {
    exception_record e;
    e.kind = exception_kind::feed_gap;  // when no kind is stored, as for one not known
    packed_reader in = stored_map(bytes);
    each_field(in, [&](std::string_view key, packed_reader& v) {
        if (key == "id")
            e.id = parse_record_id(text_of(v), 'E').value_or(0);
        else if (key == "kind")
            e.kind = kind_from(text_of(v)).value_or(exception_kind::feed_gap);
        else if (key == "severity")
            e.level = severity_from(text_of(v)).value_or(severity::low);
        else if (key == "dept")
            e.dept = text_of(v);
        else if (key == "order")
            e.order = text_of(v);
        else if (key == "customer")
            e.customer = text_of(v);
        else if (key == "state")
            e.state = exception_state_from(text_of(v)).value_or(exception_state::open);
        else if (key == "raised_at")
            e.raised_ms = number_of(v);
        else if (key == "updated_at")
            e.updated_ms = number_of(v);
        else if (key == "resolved_at")
            e.resolved_ms = number_of(v);
        else if (key == "detail")
            e.detail = text_of(v);
        else if (key == "stage")
            e.stage = text_of(v);
        else if (key == "since")
            e.since_ms = number_of(v);
        else if (key == "scope")
            e.scope = text_of(v);
        else if (key == "resolve_on") {
            if (!v.next_is_array()) {
                v.skip();
                return;
            }
            for (std::uint32_t i = 0, n = v.array(); i < n; ++i) {
                if (v.next_is_str())
                    e.resolve_on.emplace_back(v.str());
                else
                    v.skip();
            }
        } else if (key == "step")
            e.step = static_cast<int>(number_of(v));
        else if (key == "by")
            e.by = text_of(v);
        else if (key == "note")
            e.note = text_of(v);
        else if (key == "assignee")
            e.assignee = text_of(v);
        else if (key == "history")
            e.history = history_of(v);
        else
            v.skip();
    });
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

task_record task_from_stored(std::string_view bytes) {
    task_record t;
    packed_reader in = stored_map(bytes);
    each_field(in, [&](std::string_view key, packed_reader& v) {
        if (key == "id")
            t.id = parse_record_id(text_of(v), 'T').value_or(0);
        else if (key == "dept")
            t.dept = text_of(v);
        else if (key == "order")
            t.order = text_of(v);
        else if (key == "action")
            t.action = text_of(v);
        else if (key == "state")
            t.state = task_state_from(text_of(v)).value_or(task_state::open);
        else if (key == "exception")
            t.exception_id = parse_record_id(text_of(v), 'E').value_or(0);
        else if (key == "answer")
            t.answer = text_of(v);
        else if (key == "due_at")
            t.due_ms = number_of(v);
        else if (key == "opened_at")
            t.opened_ms = number_of(v);
        else if (key == "closed_at")
            t.closed_ms = number_of(v);
        else if (key == "by")
            t.by = text_of(v);
        else if (key == "note")
            t.note = text_of(v);
        else if (key == "assignee")
            t.assignee = text_of(v);
        else if (key == "history")
            t.history = history_of(v);
        else
            v.skip();
    });
    return t;
}

}  // namespace baton
