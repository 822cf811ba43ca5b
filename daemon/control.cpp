// Dispatch and argument checks of control commands.
#include "control.h"

#include "codec.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace baton {

value control_error(const std::string& error) {
    value reply;
    reply.set("ok", false);
    reply.set("error", error);
    return reply;
}

namespace {

value ok_with(value result) {
    value reply;
    reply.set("ok", true);
    if (result.is_map())
        for (auto& m : result.as_map()) reply.set(m.key, std::move(m.val));
    return reply;
}

// Fails unless every key of the request is `cmd` or one of `allowed`.
bool check_args(const value& request, std::initializer_list<const char*> allowed,
                std::string& error) {
    for (const auto& m : request.as_map()) {
        if (m.key == "cmd") continue;
        bool ok = false;
        for (const char* a : allowed) ok = ok || m.key == a;
        if (!ok) {
            error = "unknown argument '" + reason_text(m.key) + "'";
            return false;
        }
    }
    return true;
}

}  // namespace

value handle_control(const value& request, control_context& ctx) {
    if (!request.is_map())
        return control_error(std::string("request must be a map, got ") + type_name(request));
    const value* cmd = request.find("cmd");
    if (!cmd) return control_error("missing 'cmd'");
    if (!cmd->is_string()) return control_error("'cmd' must be a string");
    const std::string& name = cmd->as_string();
    std::string error;

    if (name == "status") {
        if (!check_args(request, {}, error)) return control_error(error);
        return ok_with(ctx.status());
    }
    if (name == "order") {
        if (!check_args(request, {"id"}, error)) return control_error(error);
        const value* id = request.find("id");
        if (!id || !id->is_string() || id->as_string().empty())
            return control_error("order: 'id' (string) is required");
        auto o = ctx.order(id->as_string());
        if (!o) return control_error("order '" + reason_text(id->as_string()) + "' is not known");
        value result;
        result.set("order", std::move(*o));
        return ok_with(std::move(result));
    }
    if (name == "orders") {
        if (!check_args(request, {"stage", "holder", "customer", "limit"}, error))
            return control_error(error);
        orders_query q;
        for (auto [key, field] : {std::pair{"stage", &q.stage}, std::pair{"holder", &q.holder},
                                  std::pair{"customer", &q.customer}}) {
            if (const value* v = request.find(key)) {
                if (!v->is_string())
                    return control_error(std::string("orders: '") + key + "' must be a string");
                *field = v->as_string();
            }
        }
        if (const value* v = request.find("limit")) {
            std::uint64_t n = 0;
            if (!v->to_uint64(n) || n == 0)
                return control_error("orders: 'limit' must be a positive integer");
            q.limit = static_cast<std::size_t>(n);
        }
        return ok_with(ctx.orders(q));
    }
    if (name == "replay") {
        if (!check_args(request, {"since", "limit"}, error)) return control_error(error);
        const value* since = request.find("since");
        std::uint64_t from = 0;
        if (!since || !since->to_uint64(from))
            return control_error(
                "replay: 'since' (the last seq you processed, 0 for all) is "
                "required");
        std::size_t limit = 1000;
        if (const value* v = request.find("limit")) {
            std::uint64_t n = 0;
            if (!v->to_uint64(n) || n == 0)
                return control_error("replay: 'limit' must be a positive integer");
            limit = static_cast<std::size_t>(std::min<std::uint64_t>(n, max_replay));
        }
        return ok_with(ctx.replay(from, limit));
    }
    auto string_arg = [&](const char* key, std::string& out) -> bool {
        const value* v = request.find(key);
        if (!v) return true;
        if (!v->is_string()) {
            error = name + ": '" + key + "' must be a string";
            return false;
        }
        out = v->as_string();
        return true;
    };
    auto limit_arg = [&](std::size_t& out) -> bool {
        const value* v = request.find("limit");
        if (!v) return true;
        std::uint64_t n = 0;
        if (!v->to_uint64(n) || n == 0) {
            error = name + ": 'limit' must be a positive integer";
            return false;
        }
        out = static_cast<std::size_t>(n);
        return true;
    };
    if (name == "exceptions") {
        if (!check_args(request, {"state", "kind", "dept", "order", "limit"}, error))
            return control_error(error);
        exception_filter f;
        if (!string_arg("state", f.state) || !string_arg("kind", f.kind) ||
            !string_arg("dept", f.dept) || !string_arg("order", f.order) || !limit_arg(f.limit))
            return control_error(error);
        if (f.state != "open" && f.state != "acknowledged" && f.state != "resolved" &&
            f.state != "all")
            return control_error(
                "exceptions: 'state' must be open, acknowledged, resolved or "
                "all, got '" +
                f.state + "'");
        if (!f.kind.empty() && !is_exception_kind(f.kind))
            return control_error("exceptions: unknown kind '" + f.kind + "'");
        return ok_with(ctx.exceptions(f));
    }
    if (name == "tasks") {
        if (!check_args(request, {"state", "dept", "order", "limit"}, error))
            return control_error(error);
        task_filter f;
        if (!string_arg("state", f.state) || !string_arg("dept", f.dept) ||
            !string_arg("order", f.order) || !limit_arg(f.limit))
            return control_error(error);
        if (f.state != "open" && f.state != "escalated" && f.state != "done" && f.state != "all")
            return control_error("tasks: 'state' must be open, escalated, done or all, got '" +
                                 f.state + "'");
        return ok_with(ctx.tasks(f));
    }
    if (name == "ack" || name == "resolve" || name == "task_done") {
        if (!check_args(request, {"id", "by", "note"}, error)) return control_error(error);
        const char prefix = name == "task_done" ? 'T' : 'E';
        const value* id = request.find("id");
        std::optional<std::uint64_t> parsed;
        if (id && id->is_string()) parsed = parse_record_id(id->as_string(), prefix);
        if (id && id->is_integer()) {
            std::uint64_t n = 0;
            if (id->to_uint64(n) && n > 0) parsed = n;
        }
        if (!parsed)
            return control_error(
                name + ": 'id' must be " +
                (prefix == 'T' ? "a task id like T-12" : "an exception id like E-7"));
        std::string by, note;
        if (!string_arg("by", by) || !string_arg("note", note)) return control_error(error);
        if (by.empty()) return control_error(name + ": 'by' (who you are) is required");
        if (by.size() > 64 || note.size() > 2000)
            return control_error(name + ": 'by' is limited to 64 bytes and 'note' to 2000");
        std::string refused = ctx.act(name, *parsed, by, note);
        if (!refused.empty()) return control_error(refused);
        return ok_with(value(value_map{}));
    }
    if (name == "reload") {
        if (!check_args(request, {}, error)) return control_error(error);
        std::string refused = ctx.act("reload", 0, "", "");
        if (!refused.empty()) return control_error("reload: " + refused);
        return ok_with(value(value_map{}));
    }
    if (name == "kpi") {
        if (!check_args(request, {"since", "until"}, error)) return control_error(error);
        std::int64_t since = 0, until = std::numeric_limits<std::int64_t>::max();
        if (const value* v = request.find("since"); v && !v->to_int64(since))
            return control_error("kpi: 'since' must be ms since the epoch");
        if (const value* v = request.find("until"); v && !v->to_int64(until))
            return control_error("kpi: 'until' must be ms since the epoch");
        if (until <= since) return control_error("kpi: 'until' must be after 'since'");
        return ok_with(ctx.kpi(since, until));
    }
    return control_error("unknown command '" + reason_text(name) + "'");
}

}  // namespace baton
