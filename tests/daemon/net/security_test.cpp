// Tests of daemon/security: the security section of baton.yaml (keys as files or Z85 text,
// rights, every mistake a config_error with file, key path and reason), the loopback rule for
// endpoints, the access decisions on a ZAP User-Id, and key files as batonctl keygen writes them.
#include "security.h"
#include "control.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config.h"
#include "temp_dir.h"

namespace baton {
namespace {

using baton::testing::temp_dir;

constexpr const char* required_keys =
    "data_dir: var\n"
    "schemas: schemas\n"
    "flow: flow.yaml\n"
    "customers: customers.yaml\n";

// A folder with key pairs for batond, sales-erp and ops, and a baton.yaml to fill.
struct secured_folder {
    temp_dir dir;
    curve_key_pair server = write_key_pair(dir.path().string(), "batond");
    curve_key_pair sales = write_key_pair(dir.path().string(), "sales-erp");
    curve_key_pair ops = write_key_pair(dir.path().string(), "ops");

    // Writes baton.yaml: the required keys followed by `rest`; returns its path.
    std::string config(const std::string& rest) const {
        return dir.write("baton.yaml", required_keys + rest);
    }
    config_error error(const std::string& rest) const {
        const std::string path = config(rest);
        try {
            load_config(path);
        } catch (const config_error& e) {
            return e;
        }
        ADD_FAILURE() << "loading did not fail";
        return config_error("", "", "");
    }
};

mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// --- the config section --------------------------------------------------------------------

TEST(security_config, is_off_by_default) {
    secured_folder f;
    config c = load_config(f.config(""));
    EXPECT_FALSE(c.security.curve);
    EXPECT_FALSE(c.security.insecure);
    EXPECT_TRUE(c.security.clients.empty());
    EXPECT_FALSE(access_policy(c.security).enabled());
}

TEST(security_config, reads_keys_from_files_and_z85_text_with_each_clients_rights) {
    secured_folder f;
    config c =
        load_config(f.config("security:\n"
                             "  curve: true\n"
                             "  server_secret_key: batond.secret\n"
                             "  clients:\n"
                             "    - name: sales-erp\n"
                             "      public_key: sales-erp.key\n"
                             "      sources: [sales-erp]\n"
                             "      topics: [sales.]\n"
                             "    - name: ops\n"
                             "      public_key: \"" +
                             f.ops.public_key +
                             "\"\n"
                             "      control: operator\n"));
    const security_config& s = c.security;
    EXPECT_TRUE(s.curve);
    EXPECT_EQ(s.server_secret_key_file, f.dir / "batond.secret");
    EXPECT_EQ(s.server_secret_key, f.server.secret_key);
    EXPECT_EQ(s.server_public_key, f.server.public_key);
    ASSERT_EQ(s.clients.size(), 2u);
    EXPECT_EQ(s.clients[0].name, "sales-erp");
    EXPECT_EQ(s.clients[0].public_key, f.sales.public_key);
    EXPECT_EQ(s.clients[0].sources, std::vector<std::string>{"sales-erp"});
    EXPECT_EQ(s.clients[0].topics, std::vector<std::string>{"sales."});
    EXPECT_EQ(s.clients[0].control, control_right::none);
    EXPECT_EQ(s.clients[1].public_key, f.ops.public_key);
    EXPECT_TRUE(s.clients[1].sources.empty());
    EXPECT_EQ(s.clients[1].control, control_right::operator_);
}

TEST(security_config, unknown_key_in_a_client_is_refused) {
    secured_folder f;
    auto e = f.error(
        "security:\n"
        "  clients:\n"
        "    - name: ops\n"
        "      public_key: ops.key\n"
        "      rights: operator\n");
    EXPECT_EQ(e.key, "security.clients[0].rights");
    EXPECT_EQ(e.reason.rfind("unknown key (expected one of: name, public_key, sources, topics, "
                             "control)",
                             0),
              0u)
        << e.reason;
}

TEST(security_config, control_must_be_none_read_or_operator) {
    secured_folder f;
    auto e = f.error(
        "security:\n"
        "  clients:\n"
        "    - name: ops\n"
        "      public_key: ops.key\n"
        "      control: admin\n");
    EXPECT_EQ(e.file, f.dir / "baton.yaml");
    EXPECT_EQ(e.key, "security.clients[0].control");
    EXPECT_EQ(e.reason, "expected none, read or operator, got 'admin' (line 9)");
}

TEST(security_config, curve_without_a_server_key_is_refused) {
    secured_folder f;
    auto e = f.error(
        "security:\n"
        "  curve: true\n"
        "  clients:\n"
        "    - name: ops\n"
        "      public_key: ops.key\n");
    EXPECT_EQ(e.key, "security.server_secret_key");
    EXPECT_EQ(e.reason, "required when curve is true (batonctl keygen batond writes one)");
}

TEST(security_config, curve_without_clients_is_refused) {
    secured_folder f;
    auto e = f.error(
        "security:\n"
        "  curve: true\n"
        "  server_secret_key: batond.secret\n");
    EXPECT_EQ(e.key, "security.clients");
    EXPECT_EQ(e.reason, "curve is true but no client is listed: nobody could connect");
}

TEST(security_config, a_public_key_that_is_neither_text_nor_file_is_refused) {
    secured_folder f;
    auto e = f.error(
        "security:\n"
        "  clients:\n"
        "    - name: ops\n"
        "      public_key: keys/missing.key\n");
    EXPECT_EQ(e.key, "security.clients[0].public_key");
    EXPECT_EQ(e.reason.rfind("'keys/missing.key' is neither a 40-character Z85 key nor a "
                             "readable key file",
                             0),
              0u)
        << e.reason;
}

TEST(security_config, a_key_file_with_something_else_in_it_is_refused) {
    secured_folder f;
    f.dir.write("bad.key", "not a key\n");
    auto e = f.error(
        "security:\n"
        "  clients:\n"
        "    - name: ops\n"
        "      public_key: bad.key\n");
    EXPECT_EQ(e.file, f.dir / "bad.key");
    EXPECT_EQ(e.key, "security.clients[0].public_key");
    EXPECT_NE(e.reason.find("not a CURVE key file"), std::string::npos) << e.reason;
}

TEST(security_config, two_clients_with_one_name_or_one_key_are_refused) {
    secured_folder f;
    auto same_name = f.error(
        "security:\n"
        "  clients:\n"
        "    - {name: ops, public_key: ops.key}\n"
        "    - {name: ops, public_key: sales-erp.key}\n");
    EXPECT_EQ(same_name.key, "security.clients[1].name");
    EXPECT_EQ(same_name.reason.rfind("client 'ops' is already defined at security.clients[0]", 0),
              0u)
        << same_name.reason;
    auto same_key = f.error(
        "security:\n"
        "  clients:\n"
        "    - {name: ops, public_key: ops.key}\n"
        "    - {name: night-ops, public_key: ops.key}\n");
    EXPECT_EQ(same_key.key, "security.clients[1].public_key");
    EXPECT_EQ(same_key.reason.rfind("the same key is already given to security.clients[0]", 0), 0u)
        << same_key.reason;
}

TEST(security_config, a_client_name_must_be_a_plain_word) {
    secured_folder f;
    auto e = f.error(
        "security:\n"
        "  clients:\n"
        "    - {name: \"sales erp\", public_key: ops.key}\n");
    EXPECT_EQ(e.key, "security.clients[0].name");
}

TEST(security_config, a_secret_key_every_user_can_read_is_refused) {
    secured_folder f;
    ASSERT_EQ(::chmod((f.dir / "batond.secret").c_str(), 0644), 0);
    auto e = f.error(
        "security:\n"
        "  server_secret_key: batond.secret\n");
    EXPECT_EQ(e.key, "security.server_secret_key");
    EXPECT_NE(e.reason.find("readable or writable by every user; chmod 600 it"), std::string::npos)
        << e.reason;
}

TEST(security_config, a_public_endpoint_without_curve_is_refused_naming_the_socket) {
    secured_folder f;
    auto e = f.error(
        "bus:\n"
        "  control: tcp://0.0.0.0:7712\n");
    EXPECT_EQ(e.file, f.dir / "baton.yaml");
    EXPECT_EQ(e.key, "bus.control");
    EXPECT_EQ(e.reason.rfind("'tcp://0.0.0.0:7712' is reachable from other machines: turn on "
                             "security.curve, or set security.insecure: true",
                             0),
              0u)
        << e.reason;
    EXPECT_EQ(f.error("bus:\n  ingest: tcp://*:7710\n").key, "bus.ingest");
    EXPECT_EQ(f.error("bus:\n  relay: tcp://10.0.0.5:7711\n").key, "bus.relay");
}

TEST(security_config, a_public_endpoint_is_allowed_with_curve_or_insecure) {
    secured_folder f;
    config with_curve =
        load_config(f.config("bus:\n"
                             "  ingest: tcp://*:7710\n"
                             "security:\n"
                             "  curve: true\n"
                             "  server_secret_key: batond.secret\n"
                             "  clients: [{name: ops, public_key: ops.key, control: read}]\n"));
    EXPECT_EQ(with_curve.bus.ingest, "tcp://*:7710");
    config insecure =
        load_config(f.config("bus:\n"
                             "  ingest: tcp://*:7710\n"
                             "security:\n"
                             "  insecure: true\n"));
    EXPECT_TRUE(insecure.security.insecure);
}

TEST(security_config, a_subscribe_socket_bound_to_a_public_address_needs_insecure) {
    secured_folder f;
    const std::string bound =
        "bus:\n"
        "  subscribe:\n"
        "    - endpoint: tcp://10.1.2.3:5556\n"
        "    - endpoint: tcp://0.0.0.0:5557\n"
        "      mode: bind\n";
    auto e = f.error(bound +
                     "security:\n"
                     "  curve: true\n"
                     "  server_secret_key: batond.secret\n"
                     "  clients: [{name: ops, public_key: ops.key}]\n");
    EXPECT_EQ(e.key, "bus.subscribe[1].endpoint");  // connecting out (entry 0) is fine
    EXPECT_NO_THROW(load_config(f.config(bound + "security: {insecure: true}\n")));
}

TEST(security_config, loopback_endpoints) {
    for (const char* e : {"tcp://127.0.0.1:7710", "tcp://127.3.4.5:*", "tcp://localhost:7710",
                          "tcp://[::1]:7710", "ipc:///run/baton/ingest", "inproc://test"})
        EXPECT_TRUE(is_loopback_endpoint(e)) << e;
    for (const char* e :
         {"tcp://*:7710", "tcp://0.0.0.0:7710", "tcp://10.0.0.5:7710", "tcp://eth0:7710",
          "tcp://[::]:7710", "tcp://plant-hub:7710", "tcp://128.0.0.1:7710"})
        EXPECT_FALSE(is_loopback_endpoint(e)) << e;
}

// --- access decisions ----------------------------------------------------------------------

security_config three_clients() {
    security_config s;
    s.curve = true;
    client_acl sales{"sales-erp",
                     generate_curve_key_pair().public_key,
                     {"sales-erp"},
                     {"sales"},
                     control_right::none};
    client_acl viewer{"viewer", generate_curve_key_pair().public_key, {}, {}, control_right::read};
    client_acl ops{
        "ops", generate_curve_key_pair().public_key, {"*"}, {"*"}, control_right::operator_};
    s.clients = {sales, viewer, ops};
    return s;
}

TEST(access_policy, a_client_publishes_only_its_topic_prefixes_from_its_sources) {
    access_policy p(three_clients());
    EXPECT_EQ(p.check_publish("sales-erp", "sales.order.placed", "sales-erp"), "");
    EXPECT_EQ(p.check_publish("sales-erp", "finance.credit.approved", "sales-erp"),
              "forbidden: client 'sales-erp' may not publish topic 'finance.credit.approved'");
    EXPECT_EQ(p.check_publish("sales-erp", "salesforce.order.placed", "sales-erp"),
              "forbidden: client 'sales-erp' may not publish topic 'salesforce.order.placed'");
    EXPECT_EQ(p.check_publish("sales-erp", "sales.order.placed", "finance-erp"),
              "forbidden: client 'sales-erp' may not use source 'finance-erp'");
    EXPECT_EQ(p.check_publish("viewer", "sales.order.placed", "sales-erp"),
              "forbidden: client 'viewer' may not publish topic 'sales.order.placed'");
    EXPECT_EQ(p.check_publish("ops", "logistics.shipment.dispatched", "anything"), "");
    EXPECT_EQ(p.check_publish("", "sales.order.placed", "sales-erp"),
              "forbidden: the peer is not an authenticated client");
}

TEST(access_policy, control_rights_separate_reading_from_acting) {
    access_policy p(three_clients());
    for (const char* cmd : {"status", "order", "orders", "exceptions", "tasks", "replay", "kpi"}) {
        EXPECT_EQ(right_needed(cmd), control_right::read) << cmd;
        EXPECT_EQ(p.check_control("viewer", right_needed(cmd)), "") << cmd;
        EXPECT_EQ(p.check_control("ops", right_needed(cmd)), "") << cmd;
    }
    for (const char* cmd : {"ack", "resolve", "task_done", "reload"}) {
        EXPECT_EQ(right_needed(cmd), control_right::operator_) << cmd;
        EXPECT_EQ(p.check_control("viewer", right_needed(cmd)),
                  "forbidden: client 'viewer' is read-only")
            << cmd;
        EXPECT_EQ(p.check_control("ops", right_needed(cmd)), "") << cmd;
    }
    EXPECT_EQ(p.check_control("sales-erp", control_right::read),
              "forbidden: client 'sales-erp' may not use the control socket");
    EXPECT_EQ(p.check_control("nobody", control_right::read),
              "forbidden: client 'nobody' is no longer in security.clients");
    EXPECT_EQ(p.check_control("", control_right::read),
              "forbidden: the peer is not an authenticated client");
}

TEST(access_policy, with_curve_off_everything_is_allowed) {
    security_config s = three_clients();
    s.curve = false;
    access_policy p(s);
    EXPECT_EQ(p.check_publish("", "finance.credit.approved", "x"), "");
    EXPECT_EQ(p.check_control("", control_right::operator_), "");
}

TEST(access_policy, finds_a_client_by_its_binary_key) {
    security_config s = three_clients();
    access_policy p(s);
    const client_acl* c = p.find_key(z85_key_bytes(s.clients[2].public_key));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "ops");
    EXPECT_FALSE(p.find_key(z85_key_bytes(generate_curve_key_pair().public_key)));
    EXPECT_FALSE(p.find_key("short"));
}

// --- keys ------------------------------------------------------------------------------------

TEST(keygen, writes_a_public_file_0644_and_a_secret_file_0600_whatever_the_umask) {
    temp_dir dir;
    const mode_t old = ::umask(0);  // a permissive umask must not widen the secret
    curve_key_pair pair = write_key_pair(dir.path().string(), "sales-erp");
    ::umask(old);
    EXPECT_EQ(mode_of(dir / "sales-erp.key"), 0644u);
    EXPECT_EQ(mode_of(dir / "sales-erp.secret"), 0600u);
    EXPECT_EQ(read_text(dir / "sales-erp.key"), pair.public_key + "\n");
    EXPECT_EQ(read_text(dir / "sales-erp.secret"), pair.secret_key + "\n");
    EXPECT_EQ(read_key_file(dir / "sales-erp.key"), pair.public_key);
    EXPECT_EQ(curve_public_of(pair.secret_key), pair.public_key);
    EXPECT_TRUE(is_z85_key(pair.public_key));
}

TEST(keygen, refuses_to_overwrite_either_file_and_writes_nothing) {
    temp_dir dir;
    curve_key_pair first = write_key_pair(dir.path().string(), "ops");
    EXPECT_THROW(write_key_pair(dir.path().string(), "ops"), std::runtime_error);
    EXPECT_EQ(read_key_file(dir / "ops.secret"), first.secret_key);  // untouched

    dir.write("lonely.key", "something\n");
    EXPECT_THROW(write_key_pair(dir.path().string(), "lonely"), std::runtime_error);
    EXPECT_FALSE(std::filesystem::exists(dir / "lonely.secret"));
}

TEST(keygen, creates_a_missing_folder_private_to_its_owner) {
    temp_dir dir;
    write_key_pair(dir / "etc/keys", "batond");
    EXPECT_EQ(mode_of(dir / "etc/keys"), 0700u);
    EXPECT_EQ(mode_of(dir / "etc/keys/batond.secret"), 0600u);
}

TEST(keygen, refuses_names_that_are_paths) {
    temp_dir dir;
    for (const char* name : {"../ops", "a/b", ".hidden", "", "two words"})
        EXPECT_THROW(write_key_pair(dir.path().string(), name), std::runtime_error) << name;
}

TEST(keygen, a_client_loads_its_pair_and_the_servers_key) {
    temp_dir dir;
    curve_key_pair server = write_key_pair(dir.path().string(), "batond");
    curve_key_pair ops = write_key_pair(dir.path().string(), "ops");
    curve_client_keys k = load_client_keys(dir / "batond.key", dir / "ops");
    EXPECT_EQ(k.server_public_key, server.public_key);
    EXPECT_EQ(k.public_key, ops.public_key);
    EXPECT_EQ(k.secret_key, ops.secret_key);
    EXPECT_EQ(load_client_keys(server.public_key, dir / "ops").server_public_key,
              server.public_key);  // Z85 text works as well as a file

    // A secret that does not belong to the public key is caught before any handshake.
    std::filesystem::remove(dir / "ops.key");
    dir.write("ops.key", server.public_key + "\n");
    EXPECT_THROW(load_client_keys(dir / "batond.key", dir / "ops"), config_error);
}

TEST(keys, z85_round_trip_and_rejects) {
    curve_key_pair pair = generate_curve_key_pair();
    const std::string bytes = z85_key_bytes(pair.public_key);
    ASSERT_EQ(bytes.size(), curve_key_bytes);
    EXPECT_EQ(z85_key_text(bytes), pair.public_key);
    EXPECT_FALSE(is_z85_key(pair.public_key.substr(1)));
    EXPECT_FALSE(is_z85_key(std::string(40, '~')));  // '~' is not Z85
}

}  // namespace
}  // namespace baton
