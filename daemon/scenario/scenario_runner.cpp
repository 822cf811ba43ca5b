// Running scenarios against the real pipeline, and comparing what happened with what each step
// expects.
#include "scenario_runner.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "batch.h"
#include "codec.h"
#include "control_views.h"
#include "envelope.h"
#include "ingest.h"
#include "json.h"
#include "record_id.h"
#include "recovery.h"

namespace baton {

namespace {

// The scenario's clock: wall time set by the runner, steady time following it.
class scenario_clock final : public clock_source {
public:
    explicit scenario_clock(std::int64_t start_ms) : start_ms_(start_ms), now_ms_(start_ms) {}
    std::int64_t now_ms() const override { return now_ms_; }
    std::int64_t steady_us() const override { return 1000000 + (now_ms_ - start_ms_) * 1000; }
    void set(std::int64_t ms) { now_ms_ = std::max(now_ms_, ms); }

private:
    std::int64_t start_ms_;
    std::int64_t now_ms_;
};

// One relayed message, decoded.
struct relayed {
    std::string topic;
    value data;
    std::string order;
};

// What one step did.
struct step_outcome {
    std::vector<relayed> messages;
    std::optional<refusal> refused;
    std::string refusal_reason;
};

// --- comparing ------------------------------------------------------------------------------

bool text_is_true(const std::string& s) {
    return s == "true" || s == "True" || s == "TRUE";
}
bool text_is_false(const std::string& s) {
    return s == "false" || s == "False" || s == "FALSE";
}

// An expected scalar (its YAML text) against an actual value, by the actual value's type.
bool scalar_matches(const std::string& text, const value& actual) {
    if (actual.is_string()) return actual.as_string() == text;
    if (actual.is_bool()) return actual.as_bool() ? text_is_true(text) : text_is_false(text);
    if (actual.is_integer()) {
        std::int64_t i = 0;
        std::uint64_t u = 0;
        try {
            std::size_t used = 0;
            if (actual.to_int64(i)) {
                long long e = std::stoll(text, &used);
                return used == text.size() && e == i;
            }
            if (actual.to_uint64(u)) {
                unsigned long long e = std::stoull(text, &used);
                return used == text.size() && e == u;
            }
        } catch (const std::exception&) {
        }
        return false;
    }
    if (actual.is_number()) {
        try {
            std::size_t used = 0;
            double e = std::stod(text, &used);
            double a = actual.to_double();
            return used == text.size() && std::fabs(e - a) <= 1e-9 * std::max(1.0, std::fabs(a));
        } catch (const std::exception&) {
            return false;
        }
    }
    return false;  // nil, list or map against a scalar
}

// An expected tree as the scenario wrote it (scalars bare): {stage: shipping, qty: 5}.
std::string expected_text(const value& v) {
    if (v.is_nil()) return "null";
    if (v.is_string()) return v.as_string();
    if (v.is_list()) {
        std::string s = "[";
        for (const auto& item : v.as_list()) s += (s.size() > 1 ? ", " : "") + expected_text(item);
        return s + "]";
    }
    if (v.is_map()) {
        std::string s = "{";
        for (const auto& m : v.as_map())
            s += (s.size() > 1 ? ", " : "") + m.key + ": " + expected_text(m.val);
        return s + "}";
    }
    return to_json(v);
}

// Whether `actual` contains `expected`: maps key by key (other keys may be there), lists
// element by element, scalars by the actual type. Mismatches are added as "path: expected X,
// got Y".
void subset_match(const value& expected, const value& actual, const std::string& path,
                  std::vector<std::string>& mismatches) {
    auto differ = [&](const std::string& got) {
        mismatches.push_back((path.empty() ? "" : path + ": ") + "expected " +
                             expected_text(expected) + ", got " + got);
    };
    if (expected.is_map()) {
        if (!actual.is_map()) return differ(to_json(actual));
        for (const auto& m : expected.as_map()) {
            const std::string p = path.empty() ? m.key : path + "." + m.key;
            const value* a = actual.find(m.key);
            if (!a)
                mismatches.push_back(p + ": expected " + expected_text(m.val) + ", got nothing");
            else
                subset_match(m.val, *a, p, mismatches);
        }
        return;
    }
    if (expected.is_list()) {
        if (!actual.is_list() || actual.as_list().size() != expected.as_list().size())
            return differ(to_json(actual));
        for (std::size_t i = 0; i < expected.as_list().size(); ++i)
            subset_match(expected.as_list()[i], actual.as_list()[i],
                         path + "[" + std::to_string(i) + "]", mismatches);
        return;
    }
    if (expected.is_nil()) {
        if (!actual.is_nil()) differ(to_json(actual));
        return;
    }
    if (!scalar_matches(expected.as_string(), actual)) differ(to_json(actual));
}

std::string text_of(const value& data, const char* key) {
    const value* v = data.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

std::string list_text(const std::vector<std::string>& items) {
    std::string s = "[";
    for (const auto& i : items) s += (s.size() > 1 ? ", " : "") + i;
    return s + "]";
}

// How an exception record reads in a report: "credit_hold (high, finance: SO-1 is on credit
// hold: over limit)".
std::string exception_text(const value& data) {
    std::string s =
        text_of(data, "kind") + " (" + text_of(data, "severity") + ", " + text_of(data, "dept");
    if (const std::string scope = text_of(data, "scope"); !scope.empty()) s += ", scope " + scope;
    return s + ": " + text_of(data, "detail") + ")";
}

std::string task_text(const value& data) {
    return text_of(data, "dept") + " (" + text_of(data, "action") + ")";
}

std::string expectation_text(const exception_expect& e) {
    std::string extra;
    auto add = [&](const char* key, const std::string& v) {
        if (!v.empty()) extra += (extra.empty() ? "" : ", ") + std::string(key) + ": " + v;
    };
    add("severity", e.severity);
    add("dept", e.dept);
    add("detail", e.detail);
    add("scope", e.scope);
    return extra.empty() ? e.kind : "{kind: " + e.kind + ", " + extra + "}";
}

std::string expectation_text(const task_expect& t) {
    return t.action.empty() ? t.dept : "{dept: " + t.dept + ", action: " + t.action + "}";
}

bool item_matches(const exception_expect& e, const value& data) {
    return text_of(data, "kind") == e.kind &&
           (e.severity.empty() || text_of(data, "severity") == e.severity) &&
           (e.dept.empty() || text_of(data, "dept") == e.dept) &&
           (e.scope.empty() || text_of(data, "scope") == e.scope) &&
           (e.detail.empty() || text_of(data, "detail").find(e.detail) != std::string::npos);
}

bool item_matches(const task_expect& t, const value& data) {
    return text_of(data, "dept") == t.dept &&
           (t.action.empty() || text_of(data, "action").find(t.action) != std::string::npos);
}

// Whether every expected item can be paired with its own actual record and none is left over
// (the lists are short: a search over the pairings).
template <typename Expect>
bool exact_match(const std::vector<Expect>& expected, const std::vector<const value*>& actual) {
    if (expected.size() != actual.size()) return false;
    std::vector<bool> used(actual.size(), false);
    std::function<bool(std::size_t)> pair_from = [&](std::size_t i) {
        if (i == expected.size()) return true;
        for (std::size_t j = 0; j < actual.size(); ++j) {
            if (used[j] || !item_matches(expected[i], *actual[j])) continue;
            used[j] = true;
            if (pair_from(i + 1)) return true;
            used[j] = false;
        }
        return false;
    };
    return pair_from(0);
}

template <typename Expect>
std::string got_text(const std::vector<const value*>& actual, const Expect&) {
    std::vector<std::string> items;
    for (const value* v : actual)
        if constexpr (std::is_same_v<Expect, exception_expect>)
            items.push_back(exception_text(*v));
        else
            items.push_back(task_text(*v));
    return list_text(items);
}

template <typename Expect>
std::string wanted_text(const std::vector<Expect>& expected) {
    std::vector<std::string> items;
    for (const auto& e : expected) items.push_back(expectation_text(e));
    return list_text(items);
}

// --- running --------------------------------------------------------------------------------

class scenario_run final : public control_actions {
public:
    scenario_run(const scenario& sc, const config& cfg, loop_inputs in)
        : sc_(sc),
          cfg_(in_memory(cfg)),
          clock_(sc.start_ms),
          state_(cfg_, std::move(in), clock_),
          stage_(state_),
          views_(state_, stage_, *this, nullptr) {
        // As batond starts: recovery over the (empty) store sets up the desk and the seqs.
        const recovery_result r = recover(state_, false);
        stage_.set_snapshot_seq(r.snapshot_seq);
        stage_.notice_writer() = notices(r.feed_seq);
    }

    scenario_result run() {
        scenario_result result;
        result.name = sc_.name;
        result.file = sc_.file;
        for (const auto& step : sc_.steps) {
            const std::string where = "step " + std::to_string(step.number) + " (" +
                                      describe(step) + ", line " + std::to_string(step.line) +
                                      "): ";
            std::vector<std::string> failures;
            try {
                step_outcome done = play(step, failures);
                check(step, done, failures);
            } catch (const std::exception& e) {
                failures.push_back(std::string("the run stopped: ") + e.what());
                for (auto& f : failures) result.failures.push_back(where + f);
                return result;
            }
            for (auto& f : failures) result.failures.push_back(where + f);
        }
        if (result.passed()) check_rebuild(result);
        return result;
    }

    // Rebuilt from the journal alone, the orders and customers are those of the live run (the
    // promise `batond --rebuild-state` relies on), whatever order the facts came in.
    void check_rebuild(scenario_result& result) {
        order_engine rebuilt(state_.flow, customer_book(state_.seed_customers));
        std::vector<relay_message> discard;
        state_.store.scan(0, true, [&](const journal_entry& e) {
            envelope env;
            std::string reason;
            if (!decode_relayed(e.envelope, decode_limits::trusted(), env, reason)) return;
            discard.clear();
            rebuilt.apply(e.seq, e.received_ms, env, discard);
        });
        const value live = state_.engine.state();
        const value again = rebuilt.state();
        for (const char* part : {"orders", "customers"}) {
            const std::string a = to_json(*live.find(part));
            const std::string b = to_json(*again.find(part));
            if (a == b) continue;
            std::size_t at = 0;
            while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
            const std::size_t from = at > 60 ? at - 60 : 0;
            result.failures.push_back(
                std::string("after the last step: the ") + part +
                " rebuilt from the journal differ from the live ones near: live ..." +
                a.substr(from, 120) + "... rebuilt ..." + b.substr(from, 120) + "...");
        }
    }

    // control_actions: only the views' `order` is asked for; people act through the stage.
    std::string act(desk_action action, std::uint64_t id, const std::string& by,
                    const std::string& note, const std::string& to) override {
        return stage_.act(action, id, by, note, to);
    }
    std::string reload() override { return "not available in a scenario"; }

private:
    static config in_memory(config c) {
        c.data_dir = journal::in_memory;
        c.feed_path.clear();  // no feed file
        return c;
    }

    static std::string describe(const scenario_step& step) {
        std::string what;
        if (step.event)
            what = step.event->topic;
        else if (step.act)
            what =
                std::string("act ") + desk_action_name(step.act->action) + " " + step.act->target;
        else
            what = "clock";
        return what + " at " + scenario_time_text(step.at_ms);
    }

    // Commits the open batch, keeping what it relayed for the step.
    void commit(step_outcome& out) {
        std::optional<committed_batch> done = stage_.commit();
        if (!done)
            throw std::runtime_error("the in-memory store failed: " + stage_.storage_error());
        for (const auto& m : done->relayed) {
            envelope e;
            std::string error;
            if (!decode_relayed(m.envelope, decode_limits::trusted(), e, error))
                throw std::runtime_error("relay message " + m.topic + " unreadable: " + error);
            out.messages.push_back({m.topic, std::move(e.data), e.order.value_or("")});
        }
    }

    // The clock moves to `to_ms`, stopping at every timer due on the way, so each fires at its
    // own time and in order; what a timer recorded is committed at once, as the loop does.
    void advance(std::int64_t to_ms, step_outcome& out) {
        for (std::size_t fired = 0; state_.desk.next_due_ms() <= to_ms; ++fired) {
            if (fired > 10000000) throw std::runtime_error("timers keep firing at the same time");
            clock_.set(state_.desk.next_due_ms());
            if (stage_.on_time()) commit(out);
        }
        clock_.set(to_ms);
    }

    step_outcome play(const scenario_step& step, std::vector<std::string>& failures) {
        step_outcome out;
        advance(sc_.start_ms + step.at_ms, out);
        if (step.event) send(step, out);
        if (step.act) act_on(step, out, failures);
        commit(out);
        return out;
    }

    // An event goes through admission as the ingest socket's would, then into the batch.
    void send(const scenario_step& step, step_outcome& out) {
        const scenario_event& ev = *step.event;
        envelope e;
        e.id = ev.id.empty() ? "step-" + std::to_string(step.number) : ev.id;
        e.source = ev.source;
        e.topic = ev.topic;
        e.ts_ms = clock_.now_ms();
        e.order = ev.order;
        e.data = ev.data;
        const std::string bytes = encode_envelope(e);
        envelope admitted;
        std::string reason;
        const refusal r = admit_event(state_.rules, ev.topic, bytes, admitted, reason);
        if (r != refusal::none) {
            ++state_.stats.nacks[static_cast<std::size_t>(r)];
            out.refused = r;
            out.refusal_reason = reason;
            return;
        }
        const std::string peer = "scenario";
        stage_.accept(std::move(admitted), bytes, origin::ingest, &peer);
        commit(out);
    }

    void act_on(const scenario_step& step, step_outcome& out, std::vector<std::string>& failures) {
        const scenario_act& a = *step.act;
        std::optional<std::uint64_t> id;
        if (a.action == desk_action::task_done) {
            id = parse_record_id(a.target, 'T');
            if (!id) {
                for (const task_record* t : state_.desk.tasks_of(step.order))
                    if (t->dept == a.target && t->state != task_state::done && (!id || t->id < *id))
                        id = t->id;
                if (!id) {
                    failures.push_back("act: no open task of " + a.target + " on " + step.order);
                    return;
                }
            }
        } else {
            id = parse_record_id(a.target, 'E');
            if (!id) {
                for (const exception_record* e : state_.desk.exceptions_of(step.order))
                    if (kind_name(e->kind) == a.target && e->state != exception_state::resolved &&
                        (!id || e->id < *id))
                        id = e->id;
                if (!id) {
                    failures.push_back("act: no open " + a.target + " exception on " + step.order);
                    return;
                }
            }
        }
        const std::string refused = stage_.act(a.action, *id, a.by, a.note);
        if (!refused.empty()) failures.push_back("act: refused: " + refused);
        commit(out);
    }

    // --- expectations ---------------------------------------------------------------------

    void check(const scenario_step& step, const step_outcome& out,
               std::vector<std::string>& failures) {
        const step_expect& x = step.expect;
        const std::string order_id = x.order.empty() ? step.order : x.order;
        check_refusal(step, out, failures);
        const order* o = order_id.empty() ? nullptr : state_.engine.find(order_id);
        const std::string no_order =
            order_id.empty() ? "(no order named)" : "(no order " + order_id + ")";
        if (x.stage && (!o || o->stage != *x.stage))
            failures.push_back("stage of " + order_id + ": expected " + *x.stage + ", got " +
                               (o ? o->stage.str() : no_order));
        if (x.holder && (!o || o->holder != *x.holder))
            failures.push_back("holder of " + order_id + ": expected " +
                               (x.holder->empty() ? "\"\"" : *x.holder) + ", got " +
                               (o ? (o->holder.empty() ? "\"\"" : o->holder.str()) : no_order));
        check_relayed(x, out, failures);
        check_desk(x, out, order_id, failures);
        if (x.open) {
            std::vector<std::string> open;
            for (const exception_record* e : state_.desk.exceptions_of(order_id))
                if (e->state != exception_state::resolved) open.push_back(kind_name(e->kind));
            std::vector<std::string> want = *x.open;
            std::sort(open.begin(), open.end());
            std::sort(want.begin(), want.end());
            if (open != want)
                failures.push_back("open on " + order_id + ": expected " + list_text(want) +
                                   ", got " + list_text(open));
        }
        if (x.order_view) {
            std::optional<value> view = views_.order(order_id);
            if (!view) {
                failures.push_back("order_view: order " + order_id + " is not known");
            } else {
                std::vector<std::string> mismatches;
                subset_match(*x.order_view, *view, "", mismatches);
                for (const auto& m : mismatches) failures.push_back("order_view: " + m);
            }
        }
    }

    static void check_refusal(const scenario_step& step, const step_outcome& out,
                              std::vector<std::string>& failures) {
        const step_expect& x = step.expect;
        if (x.refused && !out.refused)
            failures.push_back(std::string("refused: expected ") + refusal_name(*x.refused) +
                               ", got accepted");
        else if (x.refused && *out.refused != *x.refused)
            failures.push_back(std::string("refused: expected ") + refusal_name(*x.refused) +
                               ", got " + out.refusal_reason);
        else if (!x.refused && out.refused)
            failures.push_back("the event was refused: " + out.refusal_reason);
    }

    static void check_relayed(const step_expect& x, const step_outcome& out,
                              std::vector<std::string>& failures) {
        std::vector<std::string> topics;
        for (const auto& m : out.messages) topics.push_back(m.topic);
        if (x.relayed) {
            // In this order, others may come between.
            std::size_t at = 0;
            for (const auto& t : topics)
                if (at < x.relayed->size() && t == (*x.relayed)[at]) ++at;
            if (at < x.relayed->size())
                failures.push_back("relayed: expected " + list_text(*x.relayed) +
                                   " in this order, got " + list_text(topics) + " (" +
                                   (*x.relayed)[at] + " missing)");
        }
        for (const auto& t : x.not_relayed)
            if (std::find(topics.begin(), topics.end(), t) != topics.end())
                failures.push_back("not_relayed: " + t + " was relayed");
        for (const auto& d : x.relayed_data) {
            // Without a match, the message of that topic that came closest says what differs.
            std::optional<std::vector<std::string>> closest;
            for (const auto& m : out.messages) {
                if (m.topic != d.topic) continue;
                std::vector<std::string> mismatches;
                subset_match(d.data, m.data, "data", mismatches);
                if (!closest || mismatches.size() < closest->size()) closest = mismatches;
                if (mismatches.empty()) break;
            }
            if (!closest)
                failures.push_back("relayed_data: no " + d.topic + " message was relayed");
            else if (!closest->empty())
                failures.push_back("relayed_data: no " + d.topic + " message has " +
                                   expected_text(d.data) + "; the closest differs in " +
                                   list_text(*closest));
        }
    }

    // The desk's transitions, from its exception.* and task.<dept> messages (exactly what people
    // are told), about the checked order (every order when the step names none).
    static void check_desk(const step_expect& x, const step_outcome& out,
                           const std::string& order_id, std::vector<std::string>& failures) {
        auto of_state = [&](const char* prefix, const std::string& state) {
            std::vector<const value*> found;
            for (const auto& m : out.messages) {
                if (m.topic.rfind(prefix, 0) != 0 || m.topic == "task.escalation") continue;
                if (!order_id.empty() && m.order != order_id) continue;
                if (text_of(m.data, "state") == state) found.push_back(&m.data);
            }
            return found;
        };
        auto exceptions = [&](const char* key,
                              const std::optional<std::vector<exception_expect>>& e,
                              const char* state) {
            if (!e) return;
            auto got = of_state("exception.", state);
            if (!exact_match(*e, got))
                failures.push_back(std::string(key) + ": expected " + wanted_text(*e) + ", got " +
                                   got_text(got, exception_expect{}));
        };
        exceptions("raised", x.raised, "raised");
        exceptions("resolved", x.resolved, "resolved");
        exceptions("escalated", x.escalated, "escalated");
        exceptions("acknowledged", x.acknowledged, "acknowledged");
        auto tasks = [&](const char* key, const std::optional<std::vector<task_expect>>& t,
                         const char* state) {
            if (!t) return;
            auto got = of_state("task.", state);
            if (!exact_match(*t, got))
                failures.push_back(std::string(key) + ": expected " + wanted_text(*t) + ", got " +
                                   got_text(got, task_expect{}));
        };
        tasks("tasks_opened", x.tasks_opened, "opened");
        tasks("tasks_done", x.tasks_done, "done");
        tasks("tasks_escalated", x.tasks_escalated, "escalated");
    }

    const scenario& sc_;
    config cfg_;
    scenario_clock clock_;
    daemon_state state_;
    batch_stage stage_;
    control_views views_;
};

}  // namespace

scenario_result run_scenario(const scenario& sc, const config& cfg, loop_inputs in) {
    if (sc.flow) in.flow = *sc.flow;
    if (sc.customers) in.customers = *sc.customers;
    try {
        scenario_run run(sc, cfg, std::move(in));
        return run.run();
    } catch (const std::exception& e) {
        scenario_result r;
        r.name = sc.name;
        r.file = sc.file;
        r.failures.push_back(std::string("could not start: ") + e.what());
        return r;
    }
}

int test_flow(const config& cfg, const std::vector<std::string>& paths, std::ostream& out,
              std::ostream& err) {
    std::vector<std::string> files;
    try {
        files = scenario_files(paths);
    } catch (const config_error& e) {
        err << "batond: --test-flow: " << e.what() << "\n";
        return 2;
    }
    loop_inputs base;
    try {
        base = load_inputs(cfg);
    } catch (const config_error& e) {
        err << "batond: invalid configuration: " << e.what() << "\n";
        return 2;
    }
    // Every file is checked before anything runs: a typo in the last one must not wait for the
    // others to run.
    scenario_context ctx;
    ctx.schemas = &base.schemas;
    ctx.flow_file = cfg.flow_file;
    ctx.customers = base.customers;
    std::vector<scenario> scenarios;
    bool bad = false;
    for (const auto& f : files) {
        try {
            scenarios.push_back(load_scenario(f, ctx));
        } catch (const config_error& e) {
            err << "batond: invalid scenario: " << e.what() << "\n";
            bad = true;
        }
    }
    if (bad) return 2;
    std::size_t passed = 0;
    for (const auto& sc : scenarios) {
        loop_inputs in;
        try {
            in = load_inputs(cfg);
        } catch (const config_error& e) {
            err << "batond: invalid configuration: " << e.what() << "\n";
            return 2;
        }
        const scenario_result r = run_scenario(sc, cfg, std::move(in));
        if (r.passed()) {
            ++passed;
            out << "PASS " << r.name << "\n";
            continue;
        }
        out << "FAIL " << r.name << " (" << r.file << ")\n";
        for (const auto& f : r.failures) out << "  " << f << "\n";
    }
    const std::size_t failed = scenarios.size() - passed;
    out << scenarios.size() << " scenarios, " << passed << " passed, " << failed << " failed\n";
    out.flush();
    return failed == 0 ? 0 : 1;
}

}  // namespace baton
