// Tests of daemon/config, daemon/flow and daemon/customers: the repo's config files load with
// paths resolved against the config file's folder, defaults fill absent sections, and every
// mistake is a config_error naming the file, the key path and the reason (with its line).
#include "config.h"

#include <gtest/gtest.h>

#include <string>

#include "customers.h"
#include "flow.h"
#include "temp_dir.h"

namespace baton {
namespace {

using baton::testing::temp_dir;

const std::string source_dir = BATON_SOURCE_DIR;

// The config_error `load` throws; a test failure when it throws nothing.
template <typename Load>
config_error error_of(Load load) {
    try {
        load();
    } catch (const config_error& e) {
        return e;
    }
    ADD_FAILURE() << "loading did not fail";
    return config_error("", "", "");
}

constexpr const char* required_keys =
    "data_dir: ../var\n"
    "schemas: ../schemas\n"
    "flow: flow.yaml\n"
    "customers: customers.yaml\n";

// A baton.yaml in a temp folder: the required keys (lines 1-4) followed by `rest`.
struct config_file {
    temp_dir dir;
    std::string path;
    explicit config_file(const std::string& rest, const char* name = "etc/baton.yaml")
        : path(dir.write(name, required_keys + rest)) {}
    config_error error() const {
        return error_of([&] { load_config(path); });
    }
};

// --- baton.yaml ----------------------------------------------------------------------------

TEST(config, repo_config_loads_with_paths_beside_the_config_folder) {
    config c = load_config(source_dir + "/config/baton.yaml");
    EXPECT_EQ(c.file, source_dir + "/config/baton.yaml");
    EXPECT_EQ(c.data_dir, source_dir + "/var");
    EXPECT_EQ(c.schemas_dir, source_dir + "/schemas");
    EXPECT_EQ(c.flow_file, source_dir + "/config/flow.yaml");
    EXPECT_EQ(c.customers_file, source_dir + "/config/customers.yaml");
    EXPECT_EQ(c.feed_path, source_dir + "/var/exceptions.jsonl");
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.bus.ingest, "tcp://127.0.0.1:7710");
    EXPECT_EQ(c.bus.relay, "tcp://127.0.0.1:7711");
    EXPECT_EQ(c.bus.control, "tcp://127.0.0.1:7712");
    EXPECT_TRUE(c.bus.subscribe.empty());
    EXPECT_EQ(c.batch.max_events, 1000u);
    EXPECT_EQ(c.batch.max_wait_us, 2000);
    EXPECT_EQ(c.dedup.window_us, 24LL * 3600 * 1000000);
    EXPECT_EQ(c.dedup.max_entries, 10000000u);
    EXPECT_EQ(c.limits.max_message_bytes, 1048576u);
    EXPECT_EQ(c.limits.max_envelope_bytes, 65536u);
    EXPECT_EQ(c.limits.decode.max_array, 1024u);
    EXPECT_EQ(c.limits.decode.max_map, 128u);
    EXPECT_EQ(c.limits.decode.max_string, 16384u);
    EXPECT_EQ(c.limits.decode.max_depth, 8u);
    EXPECT_EQ(c.retention.closed_us, 30LL * 86400 * 1000000);
    EXPECT_EQ(c.retention.max_per_pass, 20000u);
}

TEST(config, relative_paths_resolve_against_the_config_files_folder) {
    config_file f("feed:\n  path: logs/feed.jsonl\n");
    config c = load_config(f.path);
    const std::string root = f.dir.path().string();
    EXPECT_EQ(c.file, root + "/etc/baton.yaml");
    EXPECT_EQ(c.data_dir, root + "/var");
    EXPECT_EQ(c.schemas_dir, root + "/schemas");
    EXPECT_EQ(c.flow_file, root + "/etc/flow.yaml");
    EXPECT_EQ(c.customers_file, root + "/etc/customers.yaml");
    EXPECT_EQ(c.feed_path, root + "/etc/logs/feed.jsonl");
}

TEST(config, absolute_paths_are_kept) {
    temp_dir dir;
    std::string path = dir.write("baton.yaml",
                                 "data_dir: /srv/baton/./state/\n"
                                 "schemas: /opt/baton/schemas\n"
                                 "flow: /etc/baton/flow.yaml\n"
                                 "customers: /etc/baton/customers.yaml\n");
    config c = load_config(path);
    EXPECT_EQ(c.data_dir, "/srv/baton/state/");
    EXPECT_EQ(c.schemas_dir, "/opt/baton/schemas");
    EXPECT_EQ(c.flow_file, "/etc/baton/flow.yaml");
}

TEST(config, resolve_path_normalises_and_keeps_absolute_paths) {
    EXPECT_EQ(resolve_path("/a/b", "../c/./d"), "/a/c/d");
    EXPECT_EQ(resolve_path("/a/b", "/x/../y"), "/y");
    EXPECT_EQ(resolve_path("/a/b", "f.yaml"), "/a/b/f.yaml");
}

TEST(config, absent_optional_sections_keep_their_defaults) {
    config_file f("");
    config c = load_config(f.path);
    const std::string root = f.dir.path().string();
    EXPECT_EQ(c.feed_path, root + "/var/exceptions.jsonl");  // beside the data
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.bus.ingest, "tcp://127.0.0.1:7710");
    EXPECT_EQ(c.bus.relay, "tcp://127.0.0.1:7711");
    EXPECT_EQ(c.bus.control, "tcp://127.0.0.1:7712");
    EXPECT_TRUE(c.bus.subscribe.empty());
    EXPECT_EQ(c.batch.max_events, 1000u);
    EXPECT_EQ(c.batch.max_wait_us, 2000);
    EXPECT_EQ(c.dedup.window_us, 24LL * 3600 * 1000000);
    EXPECT_EQ(c.dedup.max_entries, 10000000u);
    EXPECT_EQ(c.limits.max_message_bytes, 1u << 20);
    EXPECT_EQ(c.limits.max_envelope_bytes, 65536u);
    EXPECT_EQ(c.limits.decode.max_depth, decode_limits{}.max_depth);
}

TEST(config, partial_sections_keep_defaults_for_absent_keys) {
    config_file f(
        "bus:\n"
        "  ingest: ipc:///tmp/baton-ingest\n"
        "batch:\n"
        "  max_events: 50\n"
        "dedup:\n"
        "  window: 90m\n"
        "limits:\n"
        "  max_depth: 4\n");
    config c = load_config(f.path);
    EXPECT_EQ(c.bus.ingest, "ipc:///tmp/baton-ingest");
    EXPECT_EQ(c.bus.relay, "tcp://127.0.0.1:7711");
    EXPECT_EQ(c.batch.max_events, 50u);
    EXPECT_EQ(c.batch.max_wait_us, 2000);
    EXPECT_EQ(c.dedup.window_us, 90LL * 60 * 1000000);
    EXPECT_EQ(c.dedup.max_entries, 10000000u);
    EXPECT_EQ(c.limits.decode.max_depth, 4u);
    EXPECT_EQ(c.limits.decode.max_array, 1024u);
}

TEST(config, retention_is_a_duration_and_0s_keeps_every_order) {
    {
        config_file f("");
        EXPECT_EQ(load_config(f.path).retention.closed_us, 30LL * 86400 * 1000000);
    }
    {
        config_file f(
            "retention:\n"
            "  closed: 7d\n"
            "  max_per_pass: 500\n");
        const config c = load_config(f.path);
        EXPECT_EQ(c.retention.closed_us, 7LL * 86400 * 1000000);
        EXPECT_EQ(c.retention.max_per_pass, 500u);
    }
    {
        config_file f(
            "retention:\n"
            "  closed: 0s\n");
        EXPECT_EQ(load_config(f.path).retention.closed_us, 0);
    }
    {
        config_file f(
            "retention:\n"
            "  closed: 30 days\n");
        const config_error e = f.error();
        EXPECT_EQ(e.key, "retention.closed");
        EXPECT_NE(e.reason.find("unknown duration unit"), std::string::npos) << e.reason;
    }
    {
        config_file f(
            "retention:\n"
            "  max_per_pass: 0\n");
        EXPECT_EQ(f.error().key, "retention.max_per_pass");
    }
    {
        config_file f(
            "retention:\n"
            "  keep: 7d\n");
        EXPECT_EQ(f.error().key, "retention.keep");
    }
}

TEST(config, subscribe_entries_are_read_with_mode_and_topics) {
    config_file f(
        "bus:\n"
        "  subscribe:\n"
        "    - endpoint: tcp://10.1.2.3:5556\n"
        "      topics: [production., logistics.shipment.]\n"
        "    - endpoint: ipc:///run/legacy.sock\n"
        "      mode: bind\n");
    config c = load_config(f.path);
    ASSERT_EQ(c.bus.subscribe.size(), 2u);
    EXPECT_EQ(c.bus.subscribe[0].endpoint, "tcp://10.1.2.3:5556");
    EXPECT_FALSE(c.bus.subscribe[0].bind);
    ASSERT_EQ(c.bus.subscribe[0].topics.size(), 2u);
    EXPECT_EQ(c.bus.subscribe[0].topics[0], "production.");
    EXPECT_EQ(c.bus.subscribe[0].topics[1], "logistics.shipment.");
    EXPECT_EQ(c.bus.subscribe[1].endpoint, "ipc:///run/legacy.sock");
    EXPECT_TRUE(c.bus.subscribe[1].bind);
    EXPECT_TRUE(c.bus.subscribe[1].topics.empty());
}

TEST(config, unknown_top_level_key_is_refused) {
    config_file f("log_level: debug\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "log_level");
    EXPECT_EQ(e.reason,
              "unknown key (expected one of: data_dir, schemas, flow, customers, bus, feed, log, "
              "batch, dedup, limits, snapshot, retention, storage, security, metrics) (line 5)");
    EXPECT_EQ(std::string(e.what()), f.path + ": log_level: " + e.reason);
}

TEST(config, unknown_nested_key_is_refused_with_its_path) {
    config_file f(
        "bus:\n"
        "  ingest_x: tcp://127.0.0.1:7710\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "bus.ingest_x");
    EXPECT_EQ(e.reason,
              "unknown key (expected one of: ingest, relay, control, subscribe) (line 6)");
}

TEST(config, missing_data_dir_is_refused) {
    temp_dir dir;
    std::string path = dir.write("baton.yaml",
                                 "schemas: ../schemas\n"
                                 "flow: flow.yaml\n"
                                 "customers: customers.yaml\n");
    auto e = error_of([&] { load_config(path); });
    EXPECT_EQ(e.file, path);
    EXPECT_EQ(e.key, "data_dir");
    EXPECT_EQ(e.reason, "required key is missing");
}

TEST(config, empty_data_dir_is_refused) {
    temp_dir dir;
    std::string path = dir.write("baton.yaml",
                                 "data_dir: ''\n"
                                 "schemas: ../schemas\n"
                                 "flow: flow.yaml\n"
                                 "customers: customers.yaml\n");
    auto e = error_of([&] { load_config(path); });
    EXPECT_EQ(e.key, "data_dir");
    EXPECT_EQ(e.reason, "must not be empty (line 1)");
}

TEST(config, endpoint_without_a_zeromq_scheme_is_refused) {
    config_file f(
        "bus:\n"
        "  relay: http://127.0.0.1:7711\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "bus.relay");
    EXPECT_EQ(e.reason,
              "'http://127.0.0.1:7711' is not a ZeroMQ endpoint (tcp://host:port or ipc://path) "
              "(line 6)");
}

TEST(config, endpoint_of_a_bare_scheme_is_refused) {
    config_file f(
        "bus:\n"
        "  control: tcp://\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "bus.control");
    EXPECT_EQ(e.reason.rfind("'tcp://' is not a ZeroMQ endpoint", 0), 0u) << e.reason;
}

// ZeroMQ does not look host names up when it binds: tcp://localhost passed every check, then
// batond exited 1 at bind ("No such device") and systemd restarted it in a loop.
TEST(config, bound_endpoint_with_localhost_is_refused_with_the_address_to_use) {
    config_file f(
        "bus:\n"
        "  ingest: tcp://localhost:7710\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "bus.ingest");
    EXPECT_EQ(e.reason,
              "'tcp://localhost:7710': batond binds to an address, not a host name; use "
              "tcp://127.0.0.1:7710 (line 6)");
}

TEST(config, bound_endpoints_with_any_host_name_are_refused) {
    for (const char* key : {"ingest", "relay", "control"}) {
        config_file f(std::string("bus:\n  ") + key + ": tcp://baton.plant.example:7799\n");
        auto e = f.error();
        EXPECT_EQ(e.key, std::string("bus.") + key);
        EXPECT_EQ(e.reason.rfind("'tcp://baton.plant.example:7799': batond binds to an address, "
                                 "not a host name; use ",
                                 0),
                  0u)
            << e.reason;
    }
}

TEST(config, subscribe_entry_that_binds_a_host_name_is_refused) {
    config_file f(
        "bus:\n"
        "  subscribe:\n"
        "    - endpoint: tcp://localhost:5556\n"
        "      mode: bind\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "bus.subscribe[0].endpoint");
    EXPECT_EQ(e.reason.rfind("'tcp://localhost:5556': batond binds to an address, not a host "
                             "name; use tcp://127.0.0.1:5556",
                             0),
              0u)
        << e.reason;
}

TEST(config, subscribe_entry_that_connects_may_name_a_host) {
    config_file f(
        "bus:\n"
        "  subscribe:\n"
        "    - endpoint: tcp://legacy-mes.plant.example:5556\n"
        "    - endpoint: tcp://localhost:5557\n"
        "      mode: connect\n");
    config c = load_config(f.path);
    ASSERT_EQ(c.bus.subscribe.size(), 2u);
    EXPECT_EQ(c.bus.subscribe[0].endpoint, "tcp://legacy-mes.plant.example:5556");
}

TEST(config, bound_endpoints_may_be_addresses_wildcards_interfaces_and_ipc) {
    config_file f(
        "bus:\n"
        "  ingest: tcp://127.0.0.1:*\n"
        "  relay: tcp://[::1]:7711\n"
        "  control: tcp://lo:7712\n"
        "  subscribe:\n"
        "    - endpoint: tcp://*:5556\n"
        "      mode: bind\n"
        "    - endpoint: ipc:///run/baton/legacy\n"
        "      mode: bind\n"
        "security:\n"
        "  insecure: true\n");
    config c = load_config(f.path);
    EXPECT_EQ(c.bus.relay, "tcp://[::1]:7711");
    EXPECT_EQ(c.bus.control, "tcp://lo:7712");
}

TEST(config, bad_log_level_is_refused) {
    config_file f(
        "log:\n"
        "  level: verbose\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "log.level");
    EXPECT_EQ(e.reason,
              "expected trace, debug, info, warn, error, critical or off, got 'verbose' (line 6)");
}

TEST(config, zero_batch_max_events_is_refused) {
    config_file f(
        "batch:\n"
        "  max_events: 0\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "batch.max_events");
    EXPECT_EQ(e.reason, "must be a positive integer (line 6)");
}

TEST(config, negative_batch_max_events_is_refused) {
    config_file f(
        "batch:\n"
        "  max_events: -10\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "batch.max_events");
    EXPECT_EQ(e.reason, "must be a positive integer (line 6)");
}

TEST(config, non_integer_batch_max_events_is_refused) {
    config_file f(
        "batch:\n"
        "  max_events: 10.5\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "batch.max_events");
    EXPECT_EQ(e.reason, "expected an integer, got '10.5' (line 6)");
}

TEST(config, bad_duration_in_dedup_window_is_refused) {
    config_file f(
        "dedup:\n"
        "  window: 24hours\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "dedup.window");
    EXPECT_EQ(e.reason,
              "unknown duration unit 'hours' in '24hours'; use us, ms, s, m, h or d (line 6)");
}

TEST(config, zero_dedup_window_is_refused) {
    config_file f(
        "dedup:\n"
        "  window: 0s\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "dedup.window");
    EXPECT_EQ(e.reason, "must be longer than 0 (line 6)");
}

TEST(config, envelope_limit_above_message_limit_is_refused) {
    config_file f(
        "limits:\n"
        "  max_message_bytes: 1000\n"
        "  max_envelope_bytes: 1001\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "limits.max_envelope_bytes");
    EXPECT_EQ(e.reason, "must not exceed limits.max_message_bytes (1000) (line 7)");
}

TEST(config, envelope_limit_equal_to_message_limit_is_accepted) {
    config_file f(
        "limits:\n"
        "  max_message_bytes: 1000\n"
        "  max_envelope_bytes: 1000\n");
    EXPECT_EQ(load_config(f.path).limits.max_envelope_bytes, 1000u);
}

TEST(config, same_endpoint_twice_is_refused) {
    config_file f(
        "bus:\n"
        "  ingest: tcp://127.0.0.1:7710\n"
        "  relay: tcp://127.0.0.1:7710\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "bus");
    EXPECT_EQ(e.reason, "ingest, relay and control need three different endpoints (line 6)");
}

TEST(config, endpoint_equal_to_a_default_is_refused) {
    config_file f(
        "bus:\n"
        "  control: tcp://127.0.0.1:7711\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "bus");
    EXPECT_EQ(e.reason.rfind("ingest, relay and control need three different endpoints", 0), 0u)
        << e.reason;
}

TEST(config, subscribe_entry_with_bad_mode_is_refused) {
    config_file f(
        "bus:\n"
        "  subscribe:\n"
        "    - endpoint: tcp://10.1.2.3:5556\n"
        "    - endpoint: tcp://10.1.2.4:5556\n"
        "      mode: listen\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "bus.subscribe[1].mode");
    EXPECT_EQ(e.reason, "expected connect or bind, got 'listen' (line 9)");
}

TEST(config, subscribe_entry_with_bad_endpoint_is_refused) {
    config_file f(
        "bus:\n"
        "  subscribe:\n"
        "    - endpoint: 10.1.2.3:5556\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "bus.subscribe[0].endpoint");
    EXPECT_EQ(e.reason, "'10.1.2.3:5556' is not a ZeroMQ endpoint (line 7)");
}

TEST(config, subscribe_entry_without_endpoint_is_refused) {
    config_file f(
        "bus:\n"
        "  subscribe:\n"
        "    - mode: bind\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "bus.subscribe[0].endpoint");
    EXPECT_EQ(e.reason, "required key is missing");
}

TEST(config, subscribe_that_is_not_a_list_is_refused) {
    config_file f(
        "bus:\n"
        "  subscribe: tcp://10.1.2.3:5556\n");
    auto e = f.error();
    EXPECT_EQ(e.key, "bus.subscribe");
    EXPECT_EQ(e.reason, "expected a list (line 6)");
}

TEST(config, yaml_syntax_error_names_the_line) {
    config_file f(
        "bus:\n"
        "  ingest: [tcp://127.0.0.1:7710\n");
    auto e = f.error();
    EXPECT_EQ(e.file, f.path);
    EXPECT_EQ(e.key, "");
    EXPECT_NE(e.reason.find("line "), std::string::npos) << e.reason;
    EXPECT_EQ(e.reason.rfind("line ", 0), 0u) << e.reason;
}

TEST(config, yaml_syntax_error_reports_the_line_it_is_on) {
    temp_dir dir;
    std::string path = dir.write("baton.yaml",
                                 "data_dir: var\n"
                                 "schemas: schemas\n"
                                 "flow: flow.yaml: x\n");
    auto e = error_of([&] { load_config(path); });
    EXPECT_EQ(e.file, path);
    EXPECT_EQ(e.key, "");
    EXPECT_EQ(e.reason, "line 3, column 16: illegal map value");
}

TEST(config, missing_file_is_refused) {
    temp_dir dir;
    std::string path = dir / "absent.yaml";
    auto e = error_of([&] { load_config(path); });
    EXPECT_EQ(e.file, path);
    EXPECT_EQ(e.key, "");
    EXPECT_EQ(e.reason, "cannot open file");
    EXPECT_EQ(std::string(e.what()), path + ": cannot open file");
}

TEST(config, file_that_is_not_a_map_is_refused) {
    temp_dir dir;
    std::string path = dir.write("baton.yaml", "- data_dir\n- schemas\n");
    auto e = error_of([&] { load_config(path); });
    EXPECT_EQ(e.file, path);
    EXPECT_EQ(e.key, "");
    EXPECT_EQ(e.reason, "expected a map of settings (line 1)");
}

// --- flow.yaml -----------------------------------------------------------------------------

// A flow file of one stage with the given holder and sla; its keys are on lines 3-7 and `extra`
// (more keys of the stage, or more stages) follows from line 7.
std::string one_stage(const std::string& holder = "finance", const std::string& sla = "4h",
                      const std::string& extra = "") {
    std::string text = "stages:\n  - name: credit_review\n";
    text += "    holder: " + holder + "\n";
    text += "    sla: " + sla + "\n";
    text += "    exit: credit_approved\n    relay: finance.credit_check\n";
    return text + extra;
}

config_error flow_error(const temp_dir& dir, const std::string& text) {
    std::string path = dir.write("flow.yaml", text);
    auto e = error_of([&] { load_flow(path); });
    EXPECT_EQ(e.file, path);
    return e;
}

TEST(flow, repo_flow_loads_every_stage_in_order) {
    flow_def f = load_flow(source_dir + "/config/flow.yaml");
    EXPECT_FALSE(f.auto_credit);
    ASSERT_EQ(f.stages.size(), 9u);
    const char* names[] = {"credit_review", "deposit",    "die_preparation",
                           "scheduling",    "production", "payment",
                           "shipping",      "in_transit", "invoicing"};
    for (std::size_t i = 0; i < f.stages.size(); ++i) EXPECT_EQ(f.stages[i].name, names[i]);
    const auto& credit = f.stages[0];
    EXPECT_EQ(credit.holder, "finance");
    EXPECT_EQ(credit.sla_us, 4LL * 3600 * 1000000);
    EXPECT_EQ(credit.exit, "credit_approved");
    EXPECT_EQ(credit.relay, "finance.credit_check");
    EXPECT_EQ(credit.when, "");
    EXPECT_EQ(credit.sla_from, "");
    EXPECT_EQ(f.stages[1].when, "deposit");
    EXPECT_EQ(f.stages[1].exit, "deposit_paid");
    EXPECT_EQ(f.stages[2].when, "new_die");
    EXPECT_EQ(f.stages[2].sla_us, 10LL * 86400 * 1000000);
    EXPECT_EQ(f.stages[4].sla_from, "planned_finish");
    EXPECT_EQ(f.stages[4].relay, "");
    EXPECT_EQ(f.stages[5].when, "prepay");
    EXPECT_EQ(f.stages[6].holder, "logistics");
    // The quantities: tolerance per unit, no deposit, 30 days net, no overdue hold.
    EXPECT_EQ(f.tolerance.kg_bp, 200);
    EXPECT_EQ(f.tolerance.m_bp, 100);
    EXPECT_EQ(f.tolerance.pcs_bp, 0);
    EXPECT_EQ(f.tolerance.amount_bp, 50);
    EXPECT_EQ(f.deposit_bp, 0);
    EXPECT_EQ(f.payment_days, 30);
    EXPECT_EQ(f.overdue_hold_cents, 0);
}

TEST(flow, tolerance_deposit_payment_days_and_overdue_hold_are_read_and_checked) {
    temp_dir dir;
    const std::string stages =
        "stages:\n  - {name: credit_review, holder: finance, sla: 4h, exit: credit_approved}\n";
    flow_def f = load_flow(dir.write("ok.yaml",
                                     "tolerance: {kg: 1.5%, pcs: 1%}\ndeposit: 30%\n"
                                     "payment_days: 60\noverdue_hold_cents: 500000\n" +
                                         stages));
    EXPECT_EQ(f.tolerance.kg_bp, 150);
    EXPECT_EQ(f.tolerance.pcs_bp, 100);
    EXPECT_EQ(f.tolerance.m_bp, 100);  // not given: the default
    EXPECT_EQ(f.deposit_bp, 3000);
    EXPECT_EQ(f.payment_days, 60);
    EXPECT_EQ(f.overdue_hold_cents, 500000);
    const std::pair<const char*, const char*> bad[] = {
        {"tolerance: {kg: 2}\n", "expected a percentage from 0% to 50%, got '2'"},
        {"tolerance: {kg: 60%}\n", "expected a percentage from 0% to 50%, got '60%'"},
        {"tolerance: {lb: 2%}\n", "lb"},
        {"deposit: 120%\n", "expected a percentage from 0% to 100%, got '120%'"},
        {"payment_days: 400\n", "expected 0 to 365 days"},
        {"overdue_hold_cents: -1\n", "must not be negative"},
        {"tolerance: {kg: 1e300%}\n", "expected a percentage from 0% to 50%, got '1e300%'"},
        {"stages:\n  - {name: d, holder: finance, sla: 3d, exit: deposit_paid}\n",
         "a stage that ends on deposit_paid needs `when: deposit`"},
    };
    for (const auto& [text, reason] : bad) {
        try {
            load_flow(dir.write("bad.yaml", std::string(text) + stages));
            ADD_FAILURE() << text;
        } catch (const config_error& e) {
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        }
    }
}

TEST(flow, minimal_flow_gets_defaults) {
    temp_dir dir;
    flow_def f = load_flow(dir.write("flow.yaml",
                                     "auto_credit: true\n"
                                     "stages:\n"
                                     "  - {name: a, holder: sales, sla: 30s, exit: paid}\n"));
    EXPECT_TRUE(f.auto_credit);
    ASSERT_EQ(f.stages.size(), 1u);
    EXPECT_EQ(f.stages[0].sla_us, 30000000);
    EXPECT_EQ(f.stages[0].relay, "");
    EXPECT_EQ(f.stages[0].when, "");
    EXPECT_EQ(f.stages[0].sla_from, "");
}

TEST(flow, duplicate_stage_name_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage() +
                                 "  - name: credit_review\n"
                                 "    holder: finance\n"
                                 "    sla: 1h\n"
                                 "    exit: paid\n");
    EXPECT_EQ(e.key, "stages[1].name");
    EXPECT_EQ(e.reason, "stage 'credit_review' is defined twice (line 7)");
}

TEST(flow, exit_that_is_no_milestone_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir,
                        "stages:\n"
                        "  - name: a\n"
                        "    holder: sales\n"
                        "    sla: 1h\n"
                        "    exit: credit_aproved\n");
    EXPECT_EQ(e.key, "stages[0].exit");
    EXPECT_EQ(e.reason.rfind("'credit_aproved' is not a milestone (", 0), 0u) << e.reason;
}

TEST(flow, duplicate_exit_milestone_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage() +
                                 "  - name: second\n"
                                 "    holder: finance\n"
                                 "    sla: 1h\n"
                                 "    exit: credit_approved\n");
    EXPECT_EQ(e.key, "stages[1].exit");
    EXPECT_EQ(e.reason, "milestone 'credit_approved' already ends another stage (line 10)");
}

TEST(flow, unknown_holder_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage("accounting"));
    EXPECT_EQ(e.key, "stages[0].holder");
    EXPECT_EQ(e.reason,
              "'accounting' is not a department (sales, finance, production, logistics) (line 3)");
}

TEST(flow, bad_sla_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage("finance", "4 hours"));
    EXPECT_EQ(e.key, "stages[0].sla");
    EXPECT_EQ(e.reason,
              "unknown duration unit ' hours' in '4 hours'; use us, ms, s, m, h or d (line 4)");
}

TEST(flow, zero_sla_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage("finance", "0h"));
    EXPECT_EQ(e.key, "stages[0].sla");
    EXPECT_EQ(e.reason, "must be longer than 0 (line 4)");
}

TEST(flow, missing_sla_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir,
                        "stages:\n"
                        "  - name: a\n"
                        "    holder: sales\n"
                        "    exit: done\n");
    EXPECT_EQ(e.key, "stages[0].sla");
    EXPECT_EQ(e.reason, "required key is missing");
}

TEST(flow, relay_topic_to_another_department_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir,
                        "stages:\n"
                        "  - name: credit_review\n"
                        "    holder: finance\n"
                        "    sla: 4h\n"
                        "    exit: credit_approved\n"
                        "    relay: production.die_request\n");
    EXPECT_EQ(e.key, "stages[0].relay");
    EXPECT_EQ(e.reason,
              "expected 'finance.<request>' (a topic to the holder), got "
              "'production.die_request' (line 6)");
}

TEST(flow, three_part_relay_topic_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir,
                        "stages:\n"
                        "  - name: credit_review\n"
                        "    holder: finance\n"
                        "    sla: 4h\n"
                        "    exit: credit_approved\n"
                        "    relay: finance.credit.check\n");
    EXPECT_EQ(e.key, "stages[0].relay");
    EXPECT_EQ(e.reason.rfind("expected 'finance.<request>'", 0), 0u) << e.reason;
}

TEST(flow, bad_when_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage("finance", "4h", "    when: always\n"));
    EXPECT_EQ(e.key, "stages[0].when");
    EXPECT_EQ(e.reason, "expected new_die, prepay or deposit, got 'always' (line 7)");
}

TEST(flow, bad_sla_from_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage("finance", "4h", "    sla_from: promised_date\n"));
    EXPECT_EQ(e.key, "stages[0].sla_from");
    EXPECT_EQ(e.reason, "expected planned_finish, got 'promised_date' (line 7)");
}

TEST(flow, unknown_stage_key_is_refused) {
    temp_dir dir;
    auto e = flow_error(dir, one_stage("finance", "4h", "    owner: finance\n"));
    EXPECT_EQ(e.key, "stages[0].owner");
    EXPECT_EQ(e.reason.rfind("unknown key (expected one of: name, holder, sla,", 0), 0u)
        << e.reason;
}

TEST(flow, empty_stages_are_refused) {
    temp_dir dir;
    auto e = flow_error(dir, "auto_credit: false\nstages: []\n");
    EXPECT_EQ(e.key, "stages");
    EXPECT_EQ(e.reason, "a flow needs at least one stage (line 2)");
}

TEST(flow, missing_stages_are_refused) {
    temp_dir dir;
    auto e = flow_error(dir, "auto_credit: false\n");
    EXPECT_EQ(e.key, "stages");
    EXPECT_EQ(e.reason, "required key is missing");
}

TEST(flow, missing_flow_file_is_refused) {
    temp_dir dir;
    auto e = error_of([&] { load_flow(dir / "flow.yaml"); });
    EXPECT_EQ(e.file, dir / "flow.yaml");
    EXPECT_EQ(e.reason, "cannot open file");
}

// --- customers.yaml ------------------------------------------------------------------------

config_error customers_error(const temp_dir& dir, const std::string& text) {
    std::string path = dir.write("customers.yaml", text);
    auto e = error_of([&] { load_customers(path); });
    EXPECT_EQ(e.file, path);
    return e;
}

TEST(customers, repo_customers_load) {
    auto list = load_customers(source_dir + "/config/customers.yaml");
    ASSERT_EQ(list.size(), 4u);
    EXPECT_EQ(list[0].id, "C-1001");
    EXPECT_EQ(list[0].name, "Nordfassaden GmbH");
    EXPECT_EQ(list[0].tier, "key");
    EXPECT_EQ(list[0].terms, "credit");
    EXPECT_EQ(list[0].credit_limit_cents, 200000000);
    EXPECT_EQ(list[0].payment_days, 60);
    EXPECT_EQ(list[0].account_manager, "Lena Vogel");
    EXPECT_EQ(list[0].country, "DE");
    EXPECT_EQ(list[2].payment_days, -1);  // the flow's
    EXPECT_EQ(list[3].id, "C-1004");
    EXPECT_EQ(list[3].name, "Kovács Építő Kft");
    EXPECT_EQ(list[3].tier, "C");
    EXPECT_EQ(list[3].terms, "prepay");
    EXPECT_EQ(list[3].credit_limit_cents, 0);
}

TEST(customers, absent_fields_get_defaults) {
    temp_dir dir;
    auto list = load_customers(dir.write("customers.yaml", "customers:\n  - id: C-1\n"));
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].name, "C-1");
    EXPECT_EQ(list[0].tier, "B");
    EXPECT_EQ(list[0].terms, "credit");
    EXPECT_EQ(list[0].credit_limit_cents, 0);
}

TEST(customers, file_without_customers_is_an_empty_master) {
    temp_dir dir;
    EXPECT_TRUE(load_customers(dir.write("customers.yaml", "customers:\n")).empty());
}

TEST(customers, bad_tier_is_refused) {
    temp_dir dir;
    auto e = customers_error(dir,
                             "customers:\n"
                             "  - id: C-1\n"
                             "    tier: gold\n");
    EXPECT_EQ(e.key, "customers[0].tier");
    EXPECT_EQ(e.reason, "expected key, A, B or C, got 'gold' (line 3)");
}

TEST(customers, bad_terms_are_refused) {
    temp_dir dir;
    auto e = customers_error(dir,
                             "customers:\n"
                             "  - id: C-1\n"
                             "    terms: net30\n");
    EXPECT_EQ(e.key, "customers[0].terms");
    EXPECT_EQ(e.reason, "expected credit or prepay, got 'net30' (line 3)");
}

TEST(customers, duplicate_id_is_refused) {
    temp_dir dir;
    auto e = customers_error(dir,
                             "customers:\n"
                             "  - id: C-1\n"
                             "  - id: C-2\n"
                             "  - id: C-1\n");
    EXPECT_EQ(e.key, "customers[2].id");
    EXPECT_EQ(e.reason, "customer 'C-1' is listed twice (line 4)");
}

TEST(customers, negative_credit_limit_is_refused) {
    temp_dir dir;
    auto e = customers_error(dir,
                             "customers:\n"
                             "  - id: C-1\n"
                             "    credit_limit_cents: -1\n");
    EXPECT_EQ(e.key, "customers[0].credit_limit_cents");
    EXPECT_EQ(e.reason, "must not be negative (line 3)");
}

TEST(customers, id_longer_than_64_bytes_is_refused) {
    temp_dir dir;
    auto e = customers_error(dir, "customers:\n  - id: " + std::string(65, 'c') + "\n");
    EXPECT_EQ(e.key, "customers[0].id");
    EXPECT_EQ(e.reason, "longer than 64 bytes (line 2)");
}

TEST(customers, unknown_customer_key_is_refused) {
    temp_dir dir;
    auto e = customers_error(dir,
                             "customers:\n"
                             "  - id: C-1\n"
                             "    limit: 5\n");
    EXPECT_EQ(e.key, "customers[0].limit");
    EXPECT_EQ(e.reason.rfind("unknown key (expected one of: id, name, tier, terms, ", 0), 0u)
        << e.reason;
}

}  // namespace
}  // namespace baton
