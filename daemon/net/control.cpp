// The control command table, the argument checks and the handlers.
#include "control.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "codec.h"
#include "dates.h"

namespace baton {

const char* desk_action_name(desk_action a) {
    switch (a) {
        case desk_action::ack: return "ack";
        case desk_action::resolve: return "resolve";
        case desk_action::task_done: return "task_done";
        case desk_action::assign:
        case desk_action::assign_task: return "assign";
    }
    return "ack";
}

value control_error(const std::string& error) {
    value reply;
    reply.set("ok", false);
    reply.set("error", error);
    return reply;
}

namespace {

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

value ok_with(value result) {
    value reply;
    reply.set("ok", true);
    if (result.is_map())
        for (auto& m : result.as_map()) reply.set(m.key, std::move(m.val));
    return reply;
}

// What a request carried, for an error message: the number, or the type.
std::string shown(const value& v) {
    std::int64_t i = 0;
    std::uint64_t u = 0;
    if (v.to_int64(i)) return std::to_string(i);
    if (v.to_uint64(u)) return std::to_string(u);
    return type_name(v);
}

// The arguments of one request, checked as they are read; the first problem is kept.
class arguments {
public:
    arguments(const value& request, const char* cmd) : request_(request), cmd_(cmd) {}

    // A string argument (absent: `out` unchanged).
    arguments& text(const char* key, std::string& out) {
        const value* v = request_.find(key);
        if (!v || !error_.empty()) return *this;
        if (!v->is_string())
            error_ = std::string(cmd_) + ": '" + key + "' must be a string";
        else
            out = v->as_string();
        return *this;
    }

    // An integer argument from `min` to `max` (absent: `out` unchanged). `what` may describe
    // it ("ms since the epoch").
    arguments& integer(const char* key, std::int64_t min, std::int64_t max, std::int64_t& out,
                       const char* what = nullptr) {
        const value* v = request_.find(key);
        if (!v || !error_.empty()) return *this;
        std::int64_t n = 0;
        if (v->to_int64(n) && n >= min && n <= max) {
            out = n;
            return *this;
        }
        error_ = std::string(cmd_) + ": '" + key + "' must be " +
                 (what ? std::string(what) + ", " : std::string()) + "an integer from " +
                 std::to_string(min) + " to " + std::to_string(max) + ", got " + shown(*v);
        return *this;
    }

    // A string argument that must be one of `allowed` (absent: `out` unchanged).
    arguments& one_of(const char* key, std::string& out, std::vector<const char*> allowed) {
        const value* v = request_.find(key);
        if (!v || !error_.empty()) return *this;
        if (v->is_string() && std::any_of(allowed.begin(), allowed.end(),
                                          [&](const char* a) { return v->as_string() == a; })) {
            out = v->as_string();
            return *this;
        }
        std::string names;
        for (std::size_t i = 0; i < allowed.size(); ++i)
            names += std::string(i == 0                    ? ""
                                 : i + 1 == allowed.size() ? " or "
                                                           : ", ") +
                     allowed[i];
        error_ = std::string(cmd_) + ": '" + key + "' must be " + names + ", got " +
                 (v->is_string() ? "'" + reason_text(v->as_string()) + "'" : type_name(*v));
        return *this;
    }

    // A record id: "E-7" (prefix 'E') or "T-12" ('T'), as ack and task_done take it.
    arguments& record(const char* key, char prefix, std::uint64_t& out) {
        const value* v = request_.find(key);
        if (!v || !error_.empty()) return *this;
        std::optional<std::uint64_t> parsed;
        if (v->is_string()) parsed = parse_record_id(v->as_string(), prefix);
        if (parsed)
            out = *parsed;
        else
            error_ = std::string(cmd_) + ": '" + key + "' must be " +
                     (prefix == 'E' ? "an exception id like E-7" : "a task id like T-12");
        return *this;
    }

    // A bool argument (absent: `out` unchanged).
    arguments& boolean(const char* key, std::optional<bool>& out) {
        const value* v = request_.find(key);
        if (!v || !error_.empty()) return *this;
        if (v->is_bool())
            out = v->as_bool();
        else
            error_ =
                std::string(cmd_) + ": '" + key + "' must be true or false, got " + type_name(*v);
        return *this;
    }

    // A moment: ms since the epoch, or a date YYYY-MM-DD for the start of that day (UTC).
    arguments& moment(const char* key, std::int64_t& out) {
        const value* v = request_.find(key);
        if (!v || !error_.empty()) return *this;
        std::int64_t n = 0;
        if (v->to_int64(n) && n >= 0) {
            out = n;
            return *this;
        }
        if (v->is_string())
            if (auto start = date_start_ms(v->as_string()); start && *start >= 0) {
                out = *start;
                return *this;
            }
        error_ = std::string(cmd_) + ": '" + key +
                 "' must be ms since the epoch (an integer from 0 to " + std::to_string(int64_max) +
                 ") or a date YYYY-MM-DD, got " +
                 (v->is_string() ? "'" + reason_text(v->as_string()) + "'" : shown(*v));
        return *this;
    }

    // A positive `limit`, capped at `cap` (larger asks get `cap`).
    arguments& limit(std::size_t& out, std::size_t cap = std::numeric_limits<std::size_t>::max()) {
        const value* v = request_.find("limit");
        if (!v || !error_.empty()) return *this;
        std::uint64_t n = 0;
        if (!v->to_uint64(n) || n == 0)
            error_ = std::string(cmd_) + ": 'limit' must be a positive integer";
        else
            out = static_cast<std::size_t>(std::min<std::uint64_t>(n, cap));
        return *this;
    }

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }

private:
    const value& request_;
    const char* cmd_;
    std::string error_;
};

value on_status(const value&, control_context& ctx) {
    return ok_with(ctx.status());
}

value on_order(const value& request, control_context& ctx) {
    const value* id = request.find("id");
    if (!id || !id->is_string() || id->as_string().empty())
        return control_error("order: 'id' (string) is required");
    auto o = ctx.order(id->as_string());
    if (!o) return control_error("order '" + reason_text(id->as_string()) + "' is not known");
    value result;
    result.set("order", std::move(*o));
    return ok_with(std::move(result));
}

value on_orders(const value& request, control_context& ctx) {
    orders_query q;
    arguments args(request, "orders");
    args.text("stage", q.stage)
        .text("holder", q.holder)
        .text("customer", q.customer)
        .text("salesperson", q.salesperson)
        .text("customer_po", q.customer_po)
        .moment("since", q.since_ms)
        .moment("until", q.until_ms)
        .limit(q.limit);
    if (!args.ok()) return control_error(args.error());
    if (q.until_ms <= q.since_ms) return control_error("orders: 'until' must be after 'since'");
    return ok_with(ctx.orders(q));
}

value on_exceptions(const value& request, control_context& ctx) {
    exceptions_query q;
    exception_filter& f = q.filter;
    std::int64_t offset = 0;
    arguments args(request, "exceptions");
    args.text("state", f.state)
        .text("kind", f.kind)
        .text("dept", f.dept)
        .text("order", f.order)
        .text("assignee", f.assignee)
        .record("id", 'E', f.id)
        .text("customer", q.customer)
        .one_of("severity", q.severity, {"warning", "low", "medium", "high", "critical"})
        .text("salesperson", q.salesperson)
        .moment("since", q.since_ms)
        .moment("until", q.until_ms)
        .integer("offset", 0, int64_max, offset)
        .limit(f.limit);
    if (!args.ok()) return control_error(args.error());
    q.offset = static_cast<std::size_t>(offset);
    if (f.state != "open" && f.state != "acknowledged" && f.state != "resolved" && f.state != "all")
        return control_error(
            "exceptions: 'state' must be open, acknowledged, resolved or all, got '" +
            reason_text(f.state) + "'");
    if (!f.kind.empty() && !is_exception_kind(f.kind))
        return control_error("exceptions: unknown kind '" + reason_text(f.kind) + "'");
    if (q.until_ms <= q.since_ms) return control_error("exceptions: 'until' must be after 'since'");
    return ok_with(ctx.exceptions(q));
}

value on_tasks(const value& request, control_context& ctx) {
    task_filter f;
    arguments args(request, "tasks");
    args.text("state", f.state)
        .text("dept", f.dept)
        .text("order", f.order)
        .text("assignee", f.assignee)
        .record("id", 'T', f.id)
        .limit(f.limit);
    if (!args.ok()) return control_error(args.error());
    if (f.state != "open" && f.state != "escalated" && f.state != "done" && f.state != "all")
        return control_error("tasks: 'state' must be open, escalated, done or all, got '" +
                             reason_text(f.state) + "'");
    return ok_with(ctx.tasks(f));
}

// ack, resolve and task_done: a record id, who, and an optional note.
value act_on(desk_action action, const value& request, control_context& ctx) {
    const std::string name = desk_action_name(action);
    const char prefix = action == desk_action::task_done ? 'T' : 'E';
    const value* id = request.find("id");
    std::optional<std::uint64_t> parsed;
    if (id && id->is_string()) parsed = parse_record_id(id->as_string(), prefix);
    std::int64_t n = 0;
    if (id && id->to_int64(n) && n > 0) parsed = static_cast<std::uint64_t>(n);
    if (!parsed)
        return control_error(name + ": 'id' must be " +
                             (prefix == 'T' ? "a task id like T-12" : "an exception id like E-7"));
    std::string by, note;
    arguments args(request, name.c_str());
    args.text("by", by).text("note", note);
    if (!args.ok()) return control_error(args.error());
    if (by.empty()) return control_error(name + ": 'by' (who you are) is required");
    if (by.size() > 64 || note.size() > 2000)
        return control_error(name + ": 'by' is limited to 64 bytes and 'note' to 2000");
    std::string refused = ctx.act(action, *parsed, by, note, "");
    if (!refused.empty()) return control_error(refused);
    return ok_with(value(value_map{}));
}

// assign: an exception (E-7) or a task (T-12) given to a person, `to` ("" gives it back to its
// department), by whom, with an optional note.
value on_assign(const value& request, control_context& ctx) {
    const value* id = request.find("id");
    const std::string text_id = id && id->is_string() ? id->as_string() : std::string();
    std::optional<std::uint64_t> parsed = parse_record_id(text_id, 'E');
    desk_action action = desk_action::assign;
    if (!parsed && (parsed = parse_record_id(text_id, 'T'))) action = desk_action::assign_task;
    if (!parsed || text_id.empty() ||
        (text_id[0] != 'E' && text_id[0] != 'e' && text_id[0] != 'T' && text_id[0] != 't'))
        return control_error(
            "assign: 'id' must be an exception id like E-7 or a task id like T-12");
    std::string to, by, note;
    arguments args(request, "assign");
    args.text("to", to).text("by", by).text("note", note);
    if (!args.ok()) return control_error(args.error());
    if (!request.find("to"))
        return control_error("assign: 'to' (the person, or \"\" for the department) is required");
    if (by.empty()) return control_error("assign: 'by' (who you are) is required");
    if (to.size() > 64 || by.size() > 64 || note.size() > 2000)
        return control_error("assign: 'to' and 'by' are limited to 64 bytes and 'note' to 2000");
    std::string refused = ctx.act(action, *parsed, by, note, to);
    if (!refused.empty()) return control_error(refused);
    return ok_with(value(value_map{}));
}

value on_ack(const value& request, control_context& ctx) {
    return act_on(desk_action::ack, request, ctx);
}
value on_resolve(const value& request, control_context& ctx) {
    return act_on(desk_action::resolve, request, ctx);
}
value on_task_done(const value& request, control_context& ctx) {
    return act_on(desk_action::task_done, request, ctx);
}

value on_replay(const value& request, control_context& ctx) {
    if (!request.find("since"))
        return control_error("replay: 'since' (the last seq you processed, 0 for all) is required");
    std::int64_t since = 0;
    std::size_t limit = 1000;
    arguments args(request, "replay");
    args.integer("since", 0, int64_max, since, "the last seq you processed (0 for all)")
        .limit(limit, max_replay);
    if (!args.ok()) return control_error(args.error());
    return ok_with(ctx.replay(static_cast<std::uint64_t>(since), limit));
}

value on_kpi(const value& request, control_context& ctx) {
    kpi_query q;
    arguments args(request, "kpi");
    args.integer("since", 0, int64_max, q.window.since_ms, "ms since the epoch")
        .integer("until", 0, int64_max, q.window.until_ms, "ms since the epoch")
        .one_of("by", q.by, {"customer", "tier", "salesperson"})
        .one_of("every", q.every, {"week", "month"});
    if (!args.ok()) return control_error(args.error());
    if (q.window.until_ms <= q.window.since_ms)
        return control_error("kpi: 'until' must be after 'since'");
    return ok_with(ctx.kpi(q));
}

value on_customer(const value& request, control_context& ctx) {
    const value* id = request.find("id");
    if (!id || !id->is_string() || id->as_string().empty())
        return control_error("customer: 'id' (string) is required");
    auto c = ctx.customer(id->as_string());
    if (!c) return control_error("customer '" + reason_text(id->as_string()) + "' is not known");
    value result;
    result.set("customer", std::move(*c));
    return ok_with(std::move(result));
}

value on_customers(const value& request, control_context& ctx) {
    customers_query q;
    arguments args(request, "customers");
    args.one_of("tier", q.tier, {"key", "A", "B", "C"})
        .boolean("blocked", q.blocked)
        .boolean("overdue", q.overdue)
        .boolean("over_limit", q.over_limit)
        .limit(q.limit);
    if (!args.ok()) return control_error(args.error());
    return ok_with(ctx.customers(q));
}

value on_reload(const value&, control_context& ctx) {
    std::string refused = ctx.reload();
    if (!refused.empty()) return control_error("reload: " + refused);
    return ok_with(value(value_map{}));
}

}  // namespace

const std::vector<control_command>& control_commands() {
    static const std::vector<control_command> table = {
        {"status", {}, control_right::read, on_status},
        {"order", {"id"}, control_right::read, on_order},
        {"orders",
         {"stage", "holder", "customer", "salesperson", "customer_po", "since", "until", "limit"},
         control_right::read,
         on_orders},
        {"exceptions",
         {"state", "kind", "dept", "order", "assignee", "id", "customer", "severity", "salesperson",
          "since", "until", "offset", "limit"},
         control_right::read,
         on_exceptions},
        {"ack", {"id", "by", "note"}, control_right::operator_, on_ack},
        {"resolve", {"id", "by", "note"}, control_right::operator_, on_resolve},
        {"tasks",
         {"state", "dept", "order", "assignee", "id", "limit"},
         control_right::read,
         on_tasks},
        {"assign", {"id", "to", "by", "note"}, control_right::operator_, on_assign},
        {"task_done", {"id", "by", "note"}, control_right::operator_, on_task_done},
        {"replay", {"since", "limit"}, control_right::read, on_replay},
        {"kpi", {"since", "until", "by", "every"}, control_right::read, on_kpi},
        {"customer", {"id"}, control_right::read, on_customer},
        {"customers",
         {"tier", "blocked", "overdue", "over_limit", "limit"},
         control_right::read,
         on_customers},
        {"reload", {}, control_right::operator_, on_reload},
    };
    return table;
}

const control_command* find_control_command(std::string_view name) {
    for (const auto& c : control_commands())
        if (name == c.name) return &c;
    return nullptr;
}

control_right right_needed(std::string_view name) {
    const control_command* c = find_control_command(name);
    return c ? c->right : control_right::read;
}

value handle_control(const value& request, control_context& ctx) {
    if (!request.is_map())
        return control_error(std::string("request must be a map, got ") + type_name(request));
    const value* cmd = request.find("cmd");
    if (!cmd) return control_error("missing 'cmd'");
    if (!cmd->is_string()) return control_error("'cmd' must be a string");
    const control_command* c = find_control_command(cmd->as_string());
    if (!c) return control_error("unknown command '" + reason_text(cmd->as_string()) + "'");
    for (const auto& m : request.as_map()) {
        if (m.key == "cmd") continue;
        if (std::none_of(c->arguments.begin(), c->arguments.end(),
                         [&](const char* a) { return m.key == a; }))
            return control_error("unknown argument '" + reason_text(m.key) + "'");
    }
    return c->handler(request, ctx);
}

}  // namespace baton
