// Parsing of scenario files. The flow overrides are merged into flow.yaml's YAML and the result
// goes through the flow file's own parser (load_flow), the customers through load_customers,
// so a scenario accepts exactly what those files accept; both read the merged text from an
// in-memory file, and their errors are given back against the scenario file.
#include "scenario.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <regex>

#include "desk_kinds.h"
#include "duration.h"
#include "record_id.h"
#include "schema.h"
#include "yaml_util.h"

namespace baton {

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t hour_ms = 3600000;

// --- values from YAML -----------------------------------------------------------------------

// What an envelope's data holds: YAML 1.2 core schema types for plain scalars (null, true and
// false, integers, floats), strings for everything else and for quoted scalars.
value inferred(const yaml::node& n) {
    const YAML::Node& raw = n.raw();
    if (!raw.IsDefined() || raw.IsNull()) return value();
    if (raw.IsSequence()) {
        value_list list;
        for (std::size_t i = 0; i < n.size(); ++i) list.push_back(inferred(n.item(i)));
        return value(std::move(list));
    }
    if (raw.IsMap()) {
        value map(value_map{});
        for (const auto& key : n.keys()) map.set(key, inferred(n.child(key.c_str())));
        return map;
    }
    const std::string& s = raw.Scalar();
    if (raw.Tag() != "?") return value(s);  // quoted, or tagged: as written
    if (s == "true" || s == "True" || s == "TRUE") return value(true);
    if (s == "false" || s == "False" || s == "FALSE") return value(false);
    static const std::regex integer("[-+]?[0-9]+");
    static const std::regex number("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    if (std::regex_match(s, integer)) {
        try {
            return value(static_cast<long long>(std::stoll(s)));
        } catch (const std::out_of_range&) {
        }
        try {
            if (s[0] != '-') return value(static_cast<unsigned long long>(std::stoull(s)));
        } catch (const std::out_of_range&) {
        }
        n.fail("integer '" + s + "' is out of range");
    }
    if (std::regex_match(s, number)) return value(std::stod(s));
    return value(s);
}

// An expected tree: maps and lists as they are, every scalar as its text (nil for null); the
// runner compares each scalar by the type of the value it meets.
value expected_tree(const yaml::node& n) {
    const YAML::Node& raw = n.raw();
    if (!raw.IsDefined() || raw.IsNull()) return value();
    if (raw.IsSequence()) {
        value_list list;
        for (std::size_t i = 0; i < n.size(); ++i) list.push_back(expected_tree(n.item(i)));
        return value(std::move(list));
    }
    if (raw.IsMap()) {
        value map(value_map{});
        for (const auto& key : n.keys()) map.set(key, expected_tree(n.child(key.c_str())));
        return map;
    }
    return value(raw.Scalar());
}

// A list of names, or one name alone.
std::vector<std::string> names(const yaml::node& n) {
    std::vector<std::string> out;
    if (n.raw().IsScalar()) {
        out.push_back(n.as_string());
        return out;
    }
    n.expect_list();
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(n.item(i).as_string());
    return out;
}

std::string kind_list() {
    std::string list;
    for (const char* k : exception_kinds) list += (list.empty() ? "" : ", ") + std::string(k);
    return list;
}

void check_kind(const yaml::node& n, const std::string& kind) {
    if (!is_exception_kind(kind))
        n.fail("'" + kind + "' is not an exception kind (" + kind_list() + ")");
}

void check_department(const yaml::node& n, const std::string& dept) {
    if (!is_department(dept))
        n.fail("'" + dept + "' is not a department (sales, finance, production, logistics)");
}

// Relay topics are <department>.<request>, exception.<kind>, task.<department> or
// task.escalation: a misspelt one would otherwise pass every not_relayed check.
void check_relay_topic(const yaml::node& n, const std::string& topic) {
    const auto dot = topic.find('.');
    const std::string head = topic.substr(0, dot);
    const std::string tail = dot == std::string::npos ? "" : topic.substr(dot + 1);
    const bool shape =
        dot != std::string::npos && !tail.empty() && tail.find('.') == std::string::npos;
    if (shape && head == "exception" && is_exception_kind(tail)) return;
    if (shape && head == "task" && (is_department(tail) || tail == "escalation")) return;
    if (shape && is_department(head)) return;
    n.fail("'" + topic +
           "' is not a relay topic (<department>.<request>, exception.<kind>, task.<department> "
           "or task.escalation)");
}

std::vector<exception_expect> exception_list(const yaml::node& n) {
    std::vector<exception_expect> out;
    if (n.raw().IsNull()) return out;
    n.expect_list();
    for (std::size_t i = 0; i < n.size(); ++i) {
        yaml::node item = n.item(i);
        exception_expect e;
        if (item.raw().IsScalar()) {
            e.kind = item.as_string();
            check_kind(item, e.kind);
        } else {
            item.expect_keys({"kind", "severity", "dept", "detail", "scope"});
            e.kind = item.require_string("kind");
            check_kind(item.child("kind"), e.kind);
            e.severity = item.get_string("severity", "");
            if (!e.severity.empty() && !severity_from(e.severity))
                item.child("severity")
                    .fail("'" + e.severity +
                          "' is not a severity (warning, low, medium, high, critical)");
            e.dept = item.get_string("dept", "");
            if (!e.dept.empty()) check_department(item.child("dept"), e.dept);
            e.detail = item.get_string("detail", "");
            e.scope = item.get_string("scope", "");
        }
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<task_expect> task_list(const yaml::node& n) {
    std::vector<task_expect> out;
    if (n.raw().IsNull()) return out;
    n.expect_list();
    for (std::size_t i = 0; i < n.size(); ++i) {
        yaml::node item = n.item(i);
        task_expect t;
        if (item.raw().IsScalar()) {
            t.dept = item.as_string();
            check_department(item, t.dept);
        } else {
            item.expect_keys({"dept", "action"});
            t.dept = item.require_string("dept");
            check_department(item.child("dept"), t.dept);
            t.action = item.get_string("action", "");
        }
        out.push_back(std::move(t));
    }
    return out;
}

std::optional<refusal> refusal_named(const std::string& name) {
    for (auto r : {refusal::decode, refusal::envelope, refusal::schema, refusal::topic,
                   refusal::forbidden, refusal::limit})
        if (name == refusal_name(r)) return r;
    return std::nullopt;
}

step_expect parse_expect(const yaml::node& n) {
    step_expect x;
    n.expect_keys({"order", "stage", "holder", "relayed", "not_relayed", "relayed_data", "raised",
                   "resolved", "escalated", "acknowledged", "tasks_opened", "tasks_done",
                   "tasks_escalated", "open", "order_view", "refused"});
    x.order = n.get_string("order", "");
    if (n.has("stage")) x.stage = n.child("stage").as_string();
    if (n.has("holder")) x.holder = n.child("holder").as_string();
    // An empty holder (closed, cancelled) is written `holder: ""`; null means the same.
    if (n.raw().IsMap() && n.raw()["holder"].IsDefined() && n.raw()["holder"].IsNull())
        x.holder = "";
    auto topics = [&](const char* key) {
        std::vector<std::string> list = names(n.child(key));
        for (std::size_t i = 0; i < list.size(); ++i)
            check_relay_topic(n.child(key).raw().IsScalar() ? n.child(key) : n.child(key).item(i),
                              list[i]);
        return list;
    };
    if (n.has("relayed")) x.relayed = topics("relayed");
    if (n.has("not_relayed")) x.not_relayed = topics("not_relayed");
    if (n.has("relayed_data")) {
        yaml::node list = n.child("relayed_data");
        list.expect_list();
        for (std::size_t i = 0; i < list.size(); ++i) {
            yaml::node item = list.item(i);
            item.expect_keys({"topic", "data"});
            relayed_data_expect d;
            d.topic = item.require_string("topic");
            check_relay_topic(item.child("topic"), d.topic);
            if (!item.has("data")) item.child("data").fail("required key is missing");
            item.child("data").expect_map();
            d.data = expected_tree(item.child("data"));
            x.relayed_data.push_back(std::move(d));
        }
    }
    auto exceptions = [&](const char* key, std::optional<std::vector<exception_expect>>& into) {
        if (n.raw().IsMap() && n.raw()[key].IsDefined()) into = exception_list(n.child(key));
    };
    exceptions("raised", x.raised);
    exceptions("resolved", x.resolved);
    exceptions("escalated", x.escalated);
    exceptions("acknowledged", x.acknowledged);
    auto tasks = [&](const char* key, std::optional<std::vector<task_expect>>& into) {
        if (n.raw().IsMap() && n.raw()[key].IsDefined()) into = task_list(n.child(key));
    };
    tasks("tasks_opened", x.tasks_opened);
    tasks("tasks_done", x.tasks_done);
    tasks("tasks_escalated", x.tasks_escalated);
    if (n.raw().IsMap() && n.raw()["open"].IsDefined()) {
        x.open.emplace();
        if (!n.raw()["open"].IsNull()) {
            yaml::node open = n.child("open");
            *x.open = names(open);
            for (std::size_t i = 0; i < x.open->size(); ++i)
                check_kind(open.raw().IsScalar() ? open : open.item(i), (*x.open)[i]);
        }
    }
    if (n.has("order_view")) {
        n.child("order_view").expect_map();
        x.order_view = expected_tree(n.child("order_view"));
    }
    if (n.has("refused")) {
        std::string code = n.child("refused").as_string();
        x.refused = refusal_named(code);
        if (!x.refused)
            n.child("refused").fail("'" + code +
                                    "' is not a refusal code (decode, envelope, schema, topic, "
                                    "forbidden, limit)");
    }
    return x;
}

// A duration as the config files write them (30s, 5m, 4h, 2d), or several added up (1d6h).
std::int64_t duration_ms(const yaml::node& n) {
    const std::string text = n.as_string();
    if (text == "0") return 0;
    static const std::regex whole("([0-9]+(us|ms|s|m|h|d))+");
    static const std::regex part("[0-9]+(us|ms|s|m|h|d)");
    if (!std::regex_match(text, whole))
        n.fail("expected a duration like 30s, 5m, 4h, 2d or 1d6h, got '" + text + "'");
    std::int64_t total_us = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), part);
         it != std::sregex_iterator(); ++it) {
        std::string error;
        auto us = parse_duration_us(it->str(), &error);
        if (!us || *us > std::numeric_limits<std::int64_t>::max() - total_us)
            n.fail(us ? "duration '" + text + "' is too large" : error);
        total_us += *us;
    }
    return total_us / 1000;
}

scenario_act parse_act(const yaml::node& n) {
    n.expect_keys({"do", "exception", "task", "by", "note"});
    scenario_act a;
    const std::string what = n.require_string("do");
    if (what == "ack")
        a.action = desk_action::ack;
    else if (what == "resolve")
        a.action = desk_action::resolve;
    else if (what == "task_done")
        a.action = desk_action::task_done;
    else
        n.child("do").fail("expected ack, resolve or task_done, got '" + what + "'");
    if (a.action == desk_action::task_done) {
        if (n.has("exception"))
            n.child("exception").fail("task_done names a task, not an exception");
        a.target = n.require_string("task");
        if (!is_department(a.target) && !parse_record_id(a.target, 'T'))
            n.child("task").fail(
                "expected a department with an open task on the order, or a task "
                "id like T-2, got '" +
                a.target + "'");
    } else {
        if (n.has("task")) n.child("task").fail(what + " names an exception, not a task");
        a.target = n.require_string("exception");
        if (!is_exception_kind(a.target) && !parse_record_id(a.target, 'E'))
            n.child("exception")
                .fail("expected an exception kind open on the order (" + kind_list() +
                      ") or an exception id like E-3, got '" + a.target + "'");
    }
    a.by = n.get_string("by", a.by);
    if (a.by.empty()) n.child("by").fail("must not be empty");
    a.note = n.get_string("note", "");
    return a;
}

// --- flow and customers through their own parsers ------------------------------------------

// Runs `load` on `text` as if it were a file, without writing one: an anonymous memory file,
// read through its /proc/self/fd name.
template <typename Result>
Result load_text(const std::string& text, const std::function<Result(const std::string&)>& load,
                 const yaml::node& at) {
    const int fd = memfd_create("baton-scenario", MFD_CLOEXEC);
    if (fd < 0) at.fail(std::string("cannot make an in-memory file: ") + std::strerror(errno));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    for (std::size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) at.fail(std::string("cannot write an in-memory file: ") + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    return load("/proc/self/fd/" + std::to_string(fd));
}

// The line in the scenario of what a loader's key path names (`stages[1].sla` under `flow`),
// as deep as the scenario has it; 0 when it has none of it.
int line_of(YAML::Node n, const std::string& key_path) {
    static const std::regex part("([^.\\[\\]]+)|\\[([0-9]+)\\]");
    int line = n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    for (auto it = std::sregex_iterator(key_path.begin(), key_path.end(), part);
         it != std::sregex_iterator(); ++it) {
        YAML::Node next;
        if ((*it)[1].matched && n.IsMap())
            next = n[(*it)[1].str()];
        else if ((*it)[2].matched && n.IsSequence())
            next = n[std::stoul((*it)[2].str())];
        else
            break;
        if (!next.IsDefined()) break;
        n = next;
        if (n.Mark().line >= 0) line = n.Mark().line + 1;
    }
    return line;
}

// A loader's error about the merged text, told against the scenario file: `prefix` + its key
// path, its reason without the merged text's line, and the scenario's line.
[[noreturn]] void rethrow_against(const config_error& e, const yaml::node& origin,
                                  const std::string& prefix) {
    static const std::regex line_suffix(" \\(line [0-9]+\\)$");
    std::string reason = std::regex_replace(e.reason, line_suffix, "");
    const int line = line_of(origin.raw(), e.key);
    if (line > 0) reason += " (line " + std::to_string(line) + ")";
    throw config_error(origin.file(), prefix + e.key, reason);
}

// flow.yaml's YAML with the scenario's keys over it: a map merges into a map key by key,
// anything else replaces what was there.
void merge_into(YAML::Node base, const YAML::Node& over) {
    for (const auto& kv : over) {
        const std::string key = kv.first.Scalar();
        YAML::Node there = base[key];
        if (there.IsDefined() && there.IsMap() && kv.second.IsMap())
            merge_into(there, kv.second);
        else
            base[key] = YAML::Clone(kv.second);
    }
}

flow_def scenario_flow(const yaml::node& overrides, const std::string& flow_file) {
    overrides.expect_map();
    YAML::Node merged = YAML::Clone(yaml::load_file(flow_file));
    if (!merged.IsMap()) merged = YAML::Node(YAML::NodeType::Map);
    merge_into(merged, overrides.raw());
    YAML::Emitter text;
    text << merged;
    try {
        return load_text<flow_def>(text.c_str(), load_flow, overrides);
    } catch (const config_error& e) {
        rethrow_against(e, overrides, "flow.");
    }
}

std::vector<customer> scenario_customers(const yaml::node& list,
                                         const std::vector<customer>& seed) {
    list.expect_list();
    YAML::Node doc(YAML::NodeType::Map);
    doc["customers"] = list.raw();
    YAML::Emitter text;
    text << doc;
    std::vector<customer> mine;
    try {
        mine = load_text<std::vector<customer>>(text.c_str(), load_customers, list);
    } catch (const config_error& e) {
        // The loader's path starts at its root: customers[0].tier.
        YAML::Node root(YAML::NodeType::Map);
        root["customers"] = list.raw();
        rethrow_against(e, yaml::node(root, list.file(), ""), "");
    }
    std::vector<customer> out = seed;
    for (auto& c : mine) {
        auto same =
            std::find_if(out.begin(), out.end(), [&](const customer& s) { return s.id == c.id; });
        if (same != out.end())
            *same = std::move(c);
        else
            out.push_back(std::move(c));
    }
    return out;
}

// --- steps ----------------------------------------------------------------------------------

scenario_step parse_step(const yaml::node& n, int number, std::int64_t previous_ms,
                         std::string& current_order, const scenario_context& ctx) {
    n.expect_keys({"at", "after", "order", "event", "source", "id", "data", "act", "expect"});
    scenario_step s;
    s.number = number;
    s.line = n.raw().Mark().line + 1;
    if (n.has("at") && n.has("after")) n.child("after").fail("give `at` or `after`, not both");
    s.at_ms = previous_ms;
    if (n.has("at")) {
        s.at_ms = duration_ms(n.child("at"));
        if (s.at_ms < previous_ms)
            n.child("at").fail("is before the previous step (at " +
                               scenario_time_text(previous_ms) + ")");
    } else if (n.has("after")) {
        s.at_ms = previous_ms + duration_ms(n.child("after"));
    }
    if (n.has("order")) {
        current_order = n.child("order").as_string();
        if (current_order.empty()) n.child("order").fail("must not be empty");
    }
    s.order = current_order;
    if (n.has("expect")) s.expect = parse_expect(n.child("expect"));
    if (n.has("event") && n.has("act"))
        n.child("act").fail("a step has an event or an act, not both");
    if (!n.has("event"))
        for (const char* key : {"source", "id", "data"})
            if (n.has(key)) n.child(key).fail("belongs to an event; this step has none");
    if (s.expect.refused && !n.has("event"))
        n.child("expect").child("refused").fail("only an event can be refused; this step has none");
    if (n.has("event")) {
        scenario_event e;
        e.topic = n.child("event").as_string();
        const schema_set::topic_info* info = ctx.schemas->find(e.topic);
        // An unknown topic is a typo, unless the step is there to see it refused.
        if (!info && !s.expect.refused)
            n.child("event").fail("unknown topic '" + e.topic + "' (not in the schemas)");
        e.source =
            n.get_string("source", info ? info->department : e.topic.substr(0, e.topic.find('.')));
        e.id = n.get_string("id", "");
        if (n.has("order")) {
            e.order = s.order;
        } else if (!info || info->order_required) {
            if (s.order.empty() && info)
                n.child("event").fail("topic " + e.topic +
                                      " needs an order: give the step `order:` (no earlier step "
                                      "names one)");
            if (!s.order.empty()) e.order = s.order;
        }
        if (n.has("data")) {
            n.child("data").expect_map();
            e.data = inferred(n.child("data"));
        }
        s.event = std::move(e);
    }
    if (n.has("act")) {
        s.act = parse_act(n.child("act"));
        const std::string& target = s.act->target;
        if (s.order.empty() && (is_exception_kind(target) || is_department(target)))
            n.child("act").fail("names '" + target +
                                "' on an order, but no step so far names an order");
    }
    return s;
}

}  // namespace

std::string scenario_time_text(std::int64_t ms) {
    if (ms == 0) return "0s";
    static constexpr struct {
        const char* unit;
        std::int64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    std::string out;
    for (const auto& u : units)
        if (ms >= u.ms) {
            out += std::to_string(ms / u.ms) + u.unit;
            ms %= u.ms;
        }
    return out;
}

std::optional<std::int64_t> parse_utc_time(const std::string& text) {
    static const std::regex form(
        "([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?Z?");
    std::smatch m;
    if (!std::regex_match(text, m, form)) return std::nullopt;
    auto day = date_start_ms(m[1].str());
    if (!day) return std::nullopt;
    int hour = m[2].matched ? std::stoi(m[2].str()) : 0;
    int minute = m[3].matched ? std::stoi(m[3].str()) : 0;
    int second = m[4].matched ? std::stoi(m[4].str()) : 0;
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    return *day + hour * hour_ms + minute * 60000LL + second * 1000LL;
}

scenario load_scenario(const std::string& path, const scenario_context& ctx) {
    scenario sc;
    sc.file = path;
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map with `name` and `steps`");
    root.expect_keys({"name", "description", "flow", "customers", "start", "steps"});
    sc.name = root.require_string("name");
    sc.description = root.get_string("description", "");
    if (root.has("flow")) sc.flow = scenario_flow(root.child("flow"), ctx.flow_file);
    if (root.has("customers"))
        sc.customers = scenario_customers(root.child("customers"), ctx.customers);
    const std::string start = root.get_string("start", scenario_default_start);
    auto start_ms = parse_utc_time(start);
    if (!start_ms)
        root.child("start").fail("expected a UTC time like 2026-03-02T08:00:00Z, got '" + start +
                                 "'");
    sc.start_ms = *start_ms;
    if (!root.has("steps")) root.child("steps").fail("required key is missing");
    yaml::node steps = root.child("steps");
    steps.expect_list();
    if (steps.size() == 0) steps.fail("a scenario needs at least one step");
    std::int64_t at_ms = 0;
    std::string order;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        yaml::node step = steps.item(i);
        try {
            step.expect_map();
            sc.steps.push_back(parse_step(step, static_cast<int>(i) + 1, at_ms, order, ctx));
        } catch (const config_error& e) {
            // Reports count steps from 1: say which one, beside the key path's index.
            static const std::regex line_suffix(" \\((line [0-9]+)\\)$");
            const std::string step_text = "step " + std::to_string(i + 1);
            std::string reason =
                std::regex_replace(e.reason, line_suffix, " (" + step_text + ", $1)");
            if (reason == e.reason) reason += " (" + step_text + ")";
            throw config_error(e.file, e.key, reason);
        }
        at_ms = sc.steps.back().at_ms;
    }
    return sc;
}

std::vector<std::string> scenario_files(const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> found;
            for (const auto& entry : fs::directory_iterator(p, ec))
                if (entry.is_regular_file(ec) && entry.path().extension() == ".yaml")
                    found.push_back(entry.path().string());
            if (ec) throw config_error(p, "", "cannot read the folder: " + ec.message());
            if (found.empty()) throw config_error(p, "", "no *.yaml scenario files in this folder");
            std::sort(found.begin(), found.end());
            out.insert(out.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(p, ec)) {
            out.push_back(p);
        } else {
            throw config_error(p, "", "no such file or folder");
        }
    }
    return out;
}

}  // namespace baton
