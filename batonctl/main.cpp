// batonctl: ask batond where orders are, from a shell. One subcommand per control command;
// readable tables by default, the raw reply as JSON with --json.
#include <CLI/CLI.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "config_error.h"
#include "control_client.h"
#include "curve.h"
#include "envelope.h"
#include "format.h"
#include "json.h"
#include "record_id.h"
#include "render.h"

namespace {

// Exit codes a script can rely on.
constexpr int exit_ok = 0;
constexpr int exit_refused = 1;      // batond answered ok=false
constexpr int exit_usage = 2;        // bad command line
constexpr int exit_unreachable = 3;  // no answer from batond

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const std::vector<std::string> departments = {"sales", "finance", "production", "logistics"};

// A CLI11 check that the argument is an exception id ('E') or a task id ('T').
CLI::Validator record_id(char prefix) {
    return CLI::Validator(
        [prefix](std::string& text) -> std::string {
            if (baton::parse_record_id(text, prefix)) return "";
            return prefix == 'T' ? "expected a task id like T-12, got '" + text + "'"
                                 : "expected an exception id like E-7, got '" + text + "'";
        },
        prefix == 'T' ? "TASK-ID" : "EXCEPTION-ID");
}

// A CLI11 check that the argument is a date YYYY-MM-DD.
const CLI::Validator local_date(
    [](std::string& text) -> std::string {
        if (baton::ctl::local_midnight_ms(text)) return "";
        return "expected a date YYYY-MM-DD, got '" + text + "'";
    },
    "YYYY-MM-DD");

// A moment on the command line: a local day YYYY-MM-DD (its midnight) or ms since the epoch.
std::optional<std::int64_t> moment_ms(const std::string& text) {
    if (auto day = baton::ctl::local_midnight_ms(text)) return day;
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoll(text);
}

const CLI::Validator moment(
    [](std::string& text) -> std::string {
        if (moment_ms(text)) return "";
        return "expected a date YYYY-MM-DD or ms since the epoch, got '" + text + "'";
    },
    "YYYY-MM-DD|MS");

// Sets `since` and `until` of a request from --since and --until; until must be later.
void set_window(baton::value& request, const std::string& since, const std::string& until) {
    std::int64_t since_ms = 0;
    if (!since.empty()) {
        since_ms = *moment_ms(since);
        request.set("since", static_cast<long long>(since_ms));
    }
    if (!until.empty()) {
        const std::int64_t until_ms = *moment_ms(until);
        if (until_ms <= since_ms) throw CLI::ValidationError("--until", "must be after --since");
        request.set("until", static_cast<long long>(until_ms));
    }
}

// `tail` runs until one of these arrives; the handler only sets the flag.
volatile std::sig_atomic_t stop_signal = 0;
extern "C" void on_stop_signal(int sig) {
    stop_signal = sig;
}

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns at once with EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

// Decoding limits for relayed envelopes: batond is trusted, so only absurd sizes are refused.
baton::decode_limits relay_limits() {
    baton::decode_limits limits;
    limits.max_array = 1 << 20;
    limits.max_map = 1 << 16;
    limits.max_string = 16 << 20;
    limits.max_depth = 32;
    return limits;
}

struct tail_options {
    std::string control;
    std::string relay;
    int timeout_ms = 5000;
    bool json = false;
    bool colour = false;
    std::optional<baton::curve_client_keys> curve;  // when batond runs with security.curve
};

// Prints one relayed message (the data of exception.<kind> or task.escalation).
void print_relayed(const std::string& topic, std::int64_t ts_ms, baton::value data,
                   const tail_options& o) {
    if (!data.is_map()) return;
    if (o.json) {
        std::cout << baton::to_json(data) << "\n";
    } else {
        if (topic.rfind("task.", 0) == 0 && !data.find("action")) return;
        data.set("ts", static_cast<long long>(ts_ms));
        std::cout << baton::ctl::render_feed_line(data, o.colour);
    }
    std::cout.flush();
}

// `batonctl tail`: the open exceptions, then every change as it is relayed. The SUB socket is
// connected before the snapshot is taken; the relay seq read before the snapshot then lets the
// first live message fill, through `replay`, whatever was relayed while the SUB was joining.
int run_tail(const tail_options& o, zmq::context_t& context) {
    using baton::value;
    install_stop_handlers();
    zmq::socket_t sub(context, zmq::socket_type::sub);
    try {
        sub.set(zmq::sockopt::linger, 0);
        sub.set(zmq::sockopt::subscribe, "exception.");
        sub.set(zmq::sockopt::subscribe, "task.escalation");
        if (o.curve) baton::apply_curve_client(sub, *o.curve);
        sub.connect(o.relay);
    } catch (const zmq::error_t& e) {
        std::fprintf(stderr, "batonctl: cannot use %s: %s\n", o.relay.c_str(), e.what());
        return exit_usage;
    }

    std::string error;
    std::unique_ptr<baton::adapters::control_client> client;
    // Returns an exit code; `stopped` when a signal interrupted the call.
    constexpr int stopped = -1;
    auto call = [&](value request, value& reply) -> int {
        std::optional<value> r;
        try {
            if (!client && o.curve)
                client =
                    std::make_unique<baton::adapters::control_client>(context, o.control, *o.curve);
            if (!client)
                client = std::make_unique<baton::adapters::control_client>(context, o.control);
            r = client->call(request, std::chrono::milliseconds(o.timeout_ms), &error);
        } catch (const zmq::error_t& e) {
            if (stop_signal) return stopped;
            std::fprintf(stderr, "batonctl: cannot use %s: %s\n", o.control.c_str(), e.what());
            return exit_usage;
        }
        if (!r) {
            std::fprintf(stderr, "batonctl: %s\n", error.c_str());
            return exit_unreachable;
        }
        const value* ok = r->find("ok");
        if (!ok || !ok->is_bool() || !ok->as_bool()) {
            const value* e = r->find("error");
            std::fprintf(
                stderr, "batonctl: %s\n",
                e && e->is_string() ? baton::printable(e->as_string()).c_str() : "request refused");
            return exit_refused;
        }
        reply = std::move(*r);
        return exit_ok;
    };

    value status_request, status;
    status_request.set("cmd", "status");
    if (int rc = call(status_request, status); rc != exit_ok) return rc == stopped ? exit_ok : rc;
    std::uint64_t seen_seq = 0;  // everything up to here is in the snapshot
    if (const value* s = status.find("relay_seq")) s->to_uint64(seen_seq);

    value open_request, open;
    open_request.set("cmd", "exceptions");
    open_request.set("state", "open");
    if (int rc = call(open_request, open); rc != exit_ok) return rc == stopped ? exit_ok : rc;
    if (o.json) {
        if (const value* list = open.find("exceptions"); list && list->is_list())
            for (const auto& e : list->as_list()) std::cout << baton::to_json(e) << "\n";
    } else {
        const value* list = open.find("exceptions");
        if (list && list->is_list() && !list->as_list().empty())
            std::cout << baton::ctl::render_exceptions(open, now_ms());
        else
            std::cout << "no open exceptions\n";
        std::cout.flush();
        std::fprintf(stderr, "batonctl: following %s (Ctrl-C stops)\n", o.relay.c_str());
    }
    std::cout.flush();

    // Relayed between the status call and the first live message: read back through replay.
    auto fill_gap = [&](std::uint64_t before_seq) -> int {
        while (seen_seq + 1 < before_seq && !stop_signal) {
            value request, reply;
            request.set("cmd", "replay");
            request.set("since", static_cast<unsigned long long>(seen_seq));
            request.set("limit", static_cast<unsigned long long>(
                                     std::min<std::uint64_t>(before_seq - seen_seq - 1, 10000)));
            if (int rc = call(request, reply); rc != exit_ok) return rc == stopped ? exit_ok : rc;
            const value* messages = reply.find("messages");
            if (!messages || !messages->is_list() || messages->as_list().empty()) break;
            for (const auto& m : messages->as_list()) {
                std::uint64_t seq = 0;
                if (const value* s = m.find("seq")) s->to_uint64(seq);
                if (seq >= before_seq) return exit_ok;
                seen_seq = std::max(seen_seq, seq);
                const value* topic = m.find("topic");
                const value* env = m.find("envelope");
                if (!topic || !topic->is_string() || !env) continue;
                const std::string& t = topic->as_string();
                if (t.rfind("exception.", 0) != 0 && t != "task.escalation") continue;
                std::int64_t ts = 0;
                if (const value* v = env->find("ts")) v->to_int64(ts);
                const value* data = env->find("data");
                print_relayed(t, ts, data ? *data : value(), o);
            }
        }
        return exit_ok;
    };

    const baton::decode_limits limits = relay_limits();
    bool live = false;
    std::vector<zmq::message_t> frames;
    while (!stop_signal) {
        zmq::pollitem_t items[] = {{sub.handle(), 0, ZMQ_POLLIN, 0}};
        try {
            zmq::poll(items, 1, std::chrono::milliseconds(250));
        } catch (const zmq::error_t& e) {
            if (e.num() == EINTR) continue;
            std::fprintf(stderr, "batonctl: %s\n", e.what());
            return exit_unreachable;
        }
        if (!(items[0].revents & ZMQ_POLLIN)) continue;
        frames.clear();
        if (!zmq::recv_multipart(sub, std::back_inserter(frames), zmq::recv_flags::dontwait))
            continue;
        if (frames.size() != 2) continue;
        baton::envelope env;
        std::string reason;
        if (!baton::decode_relayed(frames[1].to_string_view(), limits, env, reason)) {
            std::fprintf(stderr, "batonctl: unreadable relay message: %s\n",
                         baton::printable(reason).c_str());
            continue;
        }
        const std::uint64_t seq = env.seq.value_or(0);
        if (!live) {
            if (seq != 0 && seq <= seen_seq) continue;  // relayed before the snapshot: in it
            live = true;
            if (seq > seen_seq + 1)
                if (int rc = fill_gap(seq); rc != exit_ok) return rc;
        }
        print_relayed(env.topic, env.ts_ms, std::move(env.data), o);
    }
    return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "batonctl: query and steer batond, the order-relay daemon, over its control "
        "socket.",
        "batonctl"};
    app.require_subcommand(1);
    app.fallthrough();  // global options may also follow the subcommand
    const char* env_endpoint = std::getenv("BATON_CONTROL");
    std::string endpoint = env_endpoint ? env_endpoint : "tcp://127.0.0.1:7712";
    bool json = false;
    int timeout_ms = 5000;
    app.add_option("--control", endpoint,
                   "Control socket of batond (default $BATON_CONTROL or tcp://127.0.0.1:7712)");
    app.add_flag("--json", json, "Print the raw reply as JSON");
    app.add_option("--timeout", timeout_ms, "Milliseconds to wait for batond's reply")
        ->check(CLI::Range(1, 600000));
    // CURVE (security.curve on in baton.yaml): batond's public key and this client's pair.
    const char* env_server_key = std::getenv("BATON_CURVE_SERVER_KEY");
    const char* env_key = std::getenv("BATON_CURVE_KEY");
    std::string server_key = env_server_key ? env_server_key : "";
    std::string key_name = env_key ? env_key : "";
    app.add_option("--server-key", server_key,
                   "batond's public key, a .key file or Z85 text, when batond runs with CURVE "
                   "(default $BATON_CURVE_SERVER_KEY)");
    app.add_option("--key", key_name,
                   "Your CURVE key pair: --key keys/ops reads keys/ops.key and keys/ops.secret "
                   "(default $BATON_CURVE_KEY)");

    baton::value request;
    std::function<std::string(const baton::value&)> render;

    auto* status = app.add_subcommand("status", "Daemon version, uptime, counts and counters");
    status->callback([&] {
        request.set("cmd", "status");
        render = [](const baton::value& r) { return baton::ctl::render_status(r, now_ms()); };
    });

    auto* reload = app.add_subcommand(
        "reload",
        "Make batond re-read its schemas, flow, customers and log level (all or nothing)");
    reload->callback([&] {
        request.set("cmd", "reload");
        render = [](const baton::value&) { return std::string("reloaded\n"); };
    });

    std::string order_id;
    auto* order = app.add_subcommand("order",
                                     "One order: stage, holder, since when, what has left, what "
                                     "is still to ship, what is owed; lines, batches, shipments, "
                                     "invoices, payments, milestones, cases and history");
    order->add_option("id", order_id, "Order id, e.g. SO-123")->required();
    order->callback([&] {
        request.set("cmd", "order");
        request.set("id", order_id);
        render = [](const baton::value& r) { return baton::ctl::render_order(r, now_ms()); };
    });

    std::string stage, holder, customer, salesperson, assignee, filter_since, filter_until;
    unsigned limit = 100;
    auto* orders = app.add_subcommand("orders", "Orders, longest-waiting first, with filters");
    orders->add_option("--stage", stage, "Only orders in this stage, e.g. credit_review");
    orders->add_option("--holder", holder, "Only orders held by this department")
        ->check(CLI::IsMember({"sales", "finance", "production", "logistics"}));
    orders->add_option("--customer", customer, "Only this customer's orders");
    orders->add_option("--salesperson", salesperson, "Only orders of this salesperson");
    orders
        ->add_option("--since", filter_since,
                     "Only orders placed from this local day (YYYY-MM-DD) or ms since the epoch")
        ->check(moment);
    orders
        ->add_option("--until", filter_until,
                     "Only orders placed before this local day (excluded) or ms since the epoch")
        ->check(moment);
    orders->add_option("--limit", limit, "At most this many (default 100)")
        ->check(CLI::Range(1u, 1000000u));
    orders->callback([&] {
        request.set("cmd", "orders");
        if (!stage.empty()) request.set("stage", stage);
        if (!holder.empty()) request.set("holder", holder);
        if (!customer.empty()) request.set("customer", customer);
        if (!salesperson.empty()) request.set("salesperson", salesperson);
        set_window(request, filter_since, filter_until);
        request.set("limit", static_cast<unsigned long long>(limit));
        render = [](const baton::value& r) { return baton::ctl::render_orders(r, now_ms()); };
    });

    std::string customer_id;
    auto* customer_cmd = app.add_subcommand(
        "customer",
        "One customer: master data, exposure against the credit limit, receivables by age, "
        "open orders by stage, open exceptions and cases, OTIF and cycle time");
    customer_cmd->add_option("id", customer_id, "Customer id, e.g. C-1001")->required();
    customer_cmd->callback([&] {
        request.set("cmd", "customer");
        request.set("id", customer_id);
        render = [](const baton::value& r) { return baton::ctl::render_customer(r, now_ms()); };
    });

    std::string tier;
    bool only_blocked = false, only_overdue = false, only_over_limit = false;
    unsigned customers_limit = 0;  // 0: the daemon's default
    auto* customers =
        app.add_subcommand("customers",
                           "Every customer: exposure against the limit, overdue, open orders and "
                           "exceptions, blocked; by id");
    customers->add_option("--tier", tier, "Only customers of this tier")
        ->check(CLI::IsMember({"key", "A", "B", "C"}));
    customers->add_flag("--blocked", only_blocked, "Only blocked customers");
    customers->add_flag("--overdue", only_overdue,
                        "Only customers with something overdue (finance's figure or batond's "
                        "invoices past due)");
    customers->add_flag("--over-limit", only_over_limit,
                        "Only customers whose exposure passes their credit limit");
    customers->add_option("--limit", customers_limit, "At most this many (default 1000)")
        ->check(CLI::Range(1u, 1000000u));
    customers->callback([&] {
        request.set("cmd", "customers");
        if (!tier.empty()) request.set("tier", tier);
        if (only_blocked) request.set("blocked", true);
        if (only_overdue) request.set("overdue", true);
        if (only_over_limit) request.set("over_limit", true);
        if (customers_limit) request.set("limit", static_cast<unsigned long long>(customers_limit));
        render = [](const baton::value& r) { return baton::ctl::render_customers(r); };
    });

    unsigned long long since = 0;
    unsigned replay_limit = 1000;
    auto* replay = app.add_subcommand("replay", "Relayed messages after a relay seq, in order");
    replay->add_option("--since", since, "Last seq already processed (0: from the start)")
        ->required();
    replay->add_option("--limit", replay_limit, "At most this many (default 1000, max 10000)")
        ->check(CLI::Range(1u, 10000u));
    replay->callback([&] {
        request.set("cmd", "replay");
        request.set("since", since);
        request.set("limit", static_cast<unsigned long long>(replay_limit));
        render = [](const baton::value& r) { return baton::ctl::render_replay(r); };
    });

    std::string kind, dept, state, filter_order, severity;
    unsigned record_limit = 0;  // 0: the daemon's default
    auto* exceptions = app.add_subcommand(
        "exceptions", "Exceptions, most severe first, then oldest (default: the open ones)");
    exceptions->add_option("--kind", kind, "Only this kind, e.g. stage_overdue")
        ->check(CLI::IsMember(std::vector<std::string>(std::begin(baton::exception_kinds),
                                                       std::end(baton::exception_kinds))));
    exceptions->add_option("--dept", dept, "Only those this department owns")
        ->check(CLI::IsMember(departments));
    exceptions
        ->add_option("--state", state,
                     "open (default; open and acknowledged), acknowledged, resolved or all")
        ->check(CLI::IsMember({"open", "acknowledged", "resolved", "all"}));
    exceptions->add_option("--order", filter_order, "Only this order's, e.g. SO-123");
    exceptions->add_option("--customer", customer, "Only this customer's, e.g. C-1001");
    exceptions->add_option("--severity", severity, "Only this severity")
        ->check(CLI::IsMember({"warning", "low", "medium", "high", "critical"}));
    exceptions->add_option("--salesperson", salesperson, "Only those of this salesperson's orders");
    exceptions->add_option("--assignee", assignee,
                           "Only those given to this person (yours: --assignee you)");
    exceptions
        ->add_option("--since", filter_since,
                     "Only those raised from this local day (YYYY-MM-DD) or ms since the epoch")
        ->check(moment);
    exceptions
        ->add_option("--until", filter_until,
                     "Only those raised before this local day (excluded) or ms since the epoch")
        ->check(moment);
    exceptions->add_option("--limit", record_limit, "At most this many (default 1000)")
        ->check(CLI::Range(1u, 1000000u));
    exceptions->callback([&] {
        request.set("cmd", "exceptions");
        if (!kind.empty()) request.set("kind", kind);
        if (!dept.empty()) request.set("dept", dept);
        if (!state.empty()) request.set("state", state);
        if (!filter_order.empty()) request.set("order", filter_order);
        if (!customer.empty()) request.set("customer", customer);
        if (!severity.empty()) request.set("severity", severity);
        if (!salesperson.empty()) request.set("salesperson", salesperson);
        if (!assignee.empty()) request.set("assignee", assignee);
        set_window(request, filter_since, filter_until);
        if (record_limit) request.set("limit", static_cast<unsigned long long>(record_limit));
        render = [](const baton::value& r) { return baton::ctl::render_exceptions(r, now_ms()); };
    });

    // ack, resolve and task-done: one record, who acts and why.
    std::string record, by, note;
    auto add_act = [&](const char* name, const char* cmd, const char* help, char prefix) {
        auto* sub = app.add_subcommand(name, help);
        sub->add_option("id", record,
                        prefix == 'T' ? "Task id, e.g. T-12" : "Exception id, e.g. E-7")
            ->required()
            ->check(record_id(prefix));
        sub->add_option("--by", by, "Who you are (recorded with the change)")->required();
        sub->add_option("--note", note, "Why, or what was done");
        sub->callback([&, cmd, prefix] {
            // The canonical id ("e-7" and "7" become "E-7"), for the request and the answer.
            const std::uint64_t n = baton::parse_record_id(record, prefix).value_or(0);
            std::string id = prefix == 'T' ? baton::task_id_text(n) : baton::exception_id_text(n);
            request.set("cmd", cmd);
            request.set("id", id);
            request.set("by", by);
            if (!note.empty()) request.set("note", note);
            render = [cmd, id, who = by](const baton::value&) {
                return baton::ctl::render_act(cmd, id, who);
            };
        });
    };
    add_act("ack", "ack", "Acknowledge an exception: someone is on it", 'E');
    add_act("resolve", "resolve", "Resolve an exception", 'E');
    add_act("task-done", "task_done", "Close a coordination task as done", 'T');

    // assign: an exception or a task to a person ("" gives it back to its department).
    std::string to;
    auto* assign = app.add_subcommand(
        "assign",
        "Give an exception or a task to a person (or back to its department with --to '')");
    assign->add_option("id", record, "Exception id (E-7) or task id (T-12)")
        ->required()
        ->check([](const std::string& text) -> std::string {
            return baton::parse_record_id(text, 'E') || baton::parse_record_id(text, 'T')
                       ? std::string()
                       : "expected an exception id like E-7 or a task id like T-12";
        });
    assign->add_option("--to", to, "The person it is given to ('' for its department)")->required();
    assign->add_option("--by", by, "Who you are (recorded with the change)")->required();
    assign->add_option("--note", note, "Why");
    assign->callback([&] {
        const bool task = record.find_first_of("Tt") == 0;
        const std::uint64_t n = baton::parse_record_id(record, task ? 'T' : 'E').value_or(0);
        const std::string id = task ? baton::task_id_text(n) : baton::exception_id_text(n);
        request.set("cmd", "assign");
        request.set("id", id);
        request.set("to", to);
        request.set("by", by);
        if (!note.empty()) request.set("note", note);
        render = [id, whom = to, who = by](const baton::value&) {
            return baton::ctl::render_assign(id, whom, who);
        };
    });

    auto* tasks = app.add_subcommand(
        "tasks", "Coordination tasks, earliest due first (default: open and escalated)");
    tasks->add_option("--dept", dept, "Only this department's tasks")
        ->check(CLI::IsMember(departments));
    tasks
        ->add_option("--state", state, "open (default; open and escalated), escalated, done or all")
        ->check(CLI::IsMember({"open", "escalated", "done", "all"}));
    tasks->add_option("--order", filter_order, "Only this order's, e.g. SO-123");
    tasks->add_option("--assignee", assignee, "Only those given to this person");
    tasks->add_option("--limit", record_limit, "At most this many (default 1000)")
        ->check(CLI::Range(1u, 1000000u));
    tasks->callback([&] {
        request.set("cmd", "tasks");
        if (!dept.empty()) request.set("dept", dept);
        if (!state.empty()) request.set("state", state);
        if (!filter_order.empty()) request.set("order", filter_order);
        if (!assignee.empty()) request.set("assignee", assignee);
        if (record_limit) request.set("limit", static_cast<unsigned long long>(record_limit));
        render = [](const baton::value& r) { return baton::ctl::render_tasks(r, now_ms()); };
    });

    std::string since_date, until_date, kpi_by, kpi_every;
    bool csv = false;
    auto* kpi = app.add_subcommand(
        "kpi",
        "Department KPIs: dwell per stage against its SLA, cycle time, OTIF, exceptions, "
        "credit holds, die lead time, complaints, invoices against delivered value, receivables");
    kpi->add_option("--since", since_date,
                    "From the start of this day, local time (default: from the start)")
        ->check(local_date);
    kpi->add_option("--until", until_date,
                    "Up to the start of this day, local time, excluded: --until 2026-12-01 "
                    "means up to the end of 30 November (default: until now)")
        ->check(local_date);
    kpi->add_option("--by", kpi_by, "The same report per customer, tier or salesperson too")
        ->check(CLI::IsMember({"customer", "tier", "salesperson"}));
    kpi->add_option("--every", kpi_every,
                    "A series per ISO week or calendar month (UTC) within the window too")
        ->check(CLI::IsMember({"week", "month"}));
    kpi->add_flag("--csv", csv, "Print CSV sections for a spreadsheet instead of tables");
    kpi->callback([&] {
        if (csv && json) throw CLI::ValidationError("--csv", "--json and --csv exclude each other");
        request.set("cmd", "kpi");
        std::int64_t since_ms = 0;
        if (!since_date.empty()) {
            since_ms = *baton::ctl::local_midnight_ms(since_date);
            request.set("since", static_cast<long long>(since_ms));
        }
        if (!until_date.empty()) {
            const std::int64_t until_ms = *baton::ctl::local_midnight_ms(until_date);
            if (!since_date.empty() && until_ms <= since_ms)
                throw CLI::ValidationError("--until", "must be a later day than --since");
            request.set("until", static_cast<long long>(until_ms));
        }
        if (!kpi_by.empty()) request.set("by", kpi_by);
        if (!kpi_every.empty()) request.set("every", kpi_every);
        if (csv)
            render = [](const baton::value& r) { return baton::ctl::render_kpi_csv(r); };
        else
            render = [](const baton::value& r) { return baton::ctl::render_kpi(r); };
    });

    const char* env_relay = std::getenv("BATON_RELAY");
    std::string relay_endpoint = env_relay ? env_relay : "tcp://127.0.0.1:7711";
    bool no_colour = false;
    bool tailing = false;
    auto* tail = app.add_subcommand(
        "tail",
        "The open exceptions, then every raise, acknowledgement, escalation and resolution as "
        "it happens (and escalated tasks), until Ctrl-C; --json prints each as one JSON line");
    tail->add_option("--relay", relay_endpoint,
                     "Relay socket of batond (default $BATON_RELAY or tcp://127.0.0.1:7711)");
    tail->add_flag("--no-color", no_colour,
                   "No ANSI colours (they are only used on a terminal, and not with $NO_COLOR)");
    tail->callback([&] { tailing = true; });

    std::string keygen_name, keygen_dir = ".";
    bool keygen = false;
    auto* keygen_cmd = app.add_subcommand(
        "keygen",
        "Write a CURVE key pair for batond or a client: NAME.key (public, mode 0644) and "
        "NAME.secret (secret, mode 0600; never overwritten); prints the public key");
    keygen_cmd->add_option("name", keygen_name, "Name of the pair, e.g. batond or sales-erp")
        ->required();
    keygen_cmd->add_option("--dir", keygen_dir, "Folder to write the files into (default .)");
    keygen_cmd->callback([&] { keygen = true; });

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    if (keygen) {
        try {
            const baton::curve_key_pair pair = baton::write_key_pair(keygen_dir, keygen_name);
            std::printf("%s\n", pair.public_key.c_str());
            std::fprintf(stderr,
                         "batonctl: wrote %s/%s.key (public) and %s/%s.secret (secret, mode "
                         "0600)\n",
                         keygen_dir.c_str(), keygen_name.c_str(), keygen_dir.c_str(),
                         keygen_name.c_str());
            return exit_ok;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "batonctl: keygen: %s\n", e.what());
            return exit_refused;
        }
    }
    std::optional<baton::curve_client_keys> curve;
    if (!server_key.empty() || !key_name.empty()) {
        if (server_key.empty() || key_name.empty()) {
            std::fprintf(stderr, "batonctl: CURVE needs both --server-key and --key\n");
            return exit_usage;
        }
        try {
            curve = baton::load_client_keys(server_key, key_name);
        } catch (const baton::config_error& e) {
            std::fprintf(stderr, "batonctl: %s\n", e.what());
            return exit_usage;
        }
    }

    zmq::context_t context(1);
    if (tailing) {
        tail_options o;
        o.control = endpoint;
        o.relay = relay_endpoint;
        o.timeout_ms = timeout_ms;
        o.json = json;
        o.colour = !no_colour && !json && ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
        o.curve = curve;
        return run_tail(o, context);
    }
    std::string error;
    std::optional<baton::value> reply;
    try {
        auto client =
            curve ? std::make_unique<baton::adapters::control_client>(context, endpoint, *curve)
                  : std::make_unique<baton::adapters::control_client>(context, endpoint);
        reply = client->call(request, std::chrono::milliseconds(timeout_ms), &error);
    } catch (const zmq::error_t& e) {
        std::fprintf(stderr, "batonctl: cannot use %s: %s\n", endpoint.c_str(), e.what());
        return exit_usage;
    }
    if (!reply) {
        std::fprintf(stderr, "batonctl: %s\n", error.c_str());
        return exit_unreachable;
    }
    const baton::value* ok = reply->find("ok");
    bool succeeded = ok && ok->is_bool() && ok->as_bool();
    if (json) {
        std::cout << baton::to_json(*reply, 2) << "\n";
    } else if (succeeded) {
        std::cout << render(*reply);
    } else {
        const baton::value* e = reply->find("error");
        std::fprintf(
            stderr, "batonctl: %s\n",
            e && e->is_string() ? baton::printable(e->as_string()).c_str() : "request refused");
    }
    return succeeded ? exit_ok : exit_refused;
}
