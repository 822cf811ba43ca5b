// Integration: reload (all or nothing) and a database that cannot be written. A good file
// applies at once (changed SLAs drive deadlines from then on), a bad one keeps the running
// version; a full database acks nothing, keeps answering queries and recovers by itself.
#include <gtest/gtest.h>

#include <thread>

#include "codec.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"

namespace baton {
namespace {

using namespace std::chrono_literals;
using adapters::ingest_client;
using testing::daemon_harness;
using testing::temp_dir;

std::string flow_with_credit_sla(const std::string& sla) {
    return "stages:\n"
           "  - {name: credit_review, holder: finance, sla: " +
           sla +
           ", exit: credit_approved, relay: finance.credit_check}\n"
           "  - {name: shipping, holder: logistics, sla: 1h, exit: dispatched}\n";
}

// A config file on disk (reload reads it again), with ephemeral loopback ports.
config write_config(const temp_dir& dir, const std::string& extra = "") {
    std::string src = BATON_SOURCE_DIR;
    dir.write("baton.yaml", "data_dir: var\nschemas: " + src + "/schemas\nflow: flow.yaml\n" +
                                "customers: " + src + "/config/customers.yaml\n" +
                                "bus:\n  ingest: tcp://127.0.0.1:*\n  relay: tcp://127.0.0.1:*\n"
                                "  control: tcp://127.0.0.1:*\n" +
                                extra);
    return load_config(dir / "baton.yaml");
}

value cmd(const char* name) {
    value r;
    r.set("cmd", name);
    return r;
}

TEST(reload_loop, a_good_file_applies_at_once_and_shortened_slas_drive_deadlines) {
    temp_dir dir;
    dir.write("flow.yaml", flow_with_credit_sla("1h"));
    daemon_harness d(write_config(dir));
    d.start();
    ingest_client client(d.context(), d.ingest());
    ASSERT_TRUE(client.send_and_wait(testing::order_placed("e-1", "SO-1"), 10s)->acked);
    std::this_thread::sleep_for(300ms);
    EXPECT_TRUE(d.call(cmd("exceptions")).find("exceptions")->as_list().empty());

    dir.write("flow.yaml", flow_with_credit_sla("1s"));
    value r = d.call(cmd("reload"));
    ASSERT_TRUE(r.find("ok")->as_bool()) << (r.find("error") ? r.find("error")->as_string() : "");
    // The order entered credit_review ~0.3 s ago; with a 1 s SLA it is overdue within a second.
    std::string severity;
    for (int i = 0; i < 60 && severity != "high"; ++i) {
        auto list = d.call(cmd("exceptions")).find("exceptions")->as_list();
        if (!list.empty()) severity = list[0].find("severity")->as_string();
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(severity, "high");
    std::uint64_t reloads = 0;
    d.call(cmd("status")).find("counters")->find("reloads")->to_uint64(reloads);
    EXPECT_EQ(reloads, 1u);
}

TEST(reload_loop, a_bad_file_is_refused_with_file_key_and_reason_and_nothing_changes) {
    temp_dir dir;
    dir.write("flow.yaml", flow_with_credit_sla("1h"));
    daemon_harness d(write_config(dir));
    d.start();
    dir.write("flow.yaml", flow_with_credit_sla("soon"));
    value r = d.call(cmd("reload"));
    EXPECT_FALSE(r.find("ok")->as_bool());
    std::string error = r.find("error")->as_string();
    EXPECT_NE(error.find(dir / "flow.yaml"), std::string::npos) << error;
    EXPECT_NE(error.find("stages[0].sla"), std::string::npos) << error;
    // The running flow still works: the order is relayed to finance as before.
    ingest_client client(d.context(), d.ingest());
    ASSERT_TRUE(client.send_and_wait(testing::order_placed("e-1", "SO-1"), 10s)->acked);
    value q = cmd("order");
    q.set("id", "SO-1");
    EXPECT_EQ(d.call(q).find("order")->find("stage")->as_string(), "credit_review");
    std::uint64_t refused = 0;
    d.call(cmd("status")).find("counters")->find("reloads_refused")->to_uint64(refused);
    EXPECT_EQ(refused, 1u);
}

TEST(reload_loop, a_full_database_acks_nothing_answers_queries_and_recovers_without_restart) {
    temp_dir dir;
    dir.write("flow.yaml", flow_with_credit_sla("1h"));
    config c = write_config(dir, "storage:\n  max_bytes: 1048576\n");
    c.batch.max_events = 50;
    daemon_harness d(c);
    d.start();
    ingest_client client(d.context(), d.ingest());
    // Fill the capped database until commits fail.
    std::set<std::string> acked;
    int sent = 0;
    std::string storage = "ok";
    while (storage == "ok" && sent < 20000) {
        for (int i = 0; i < 100; ++i, ++sent)
            client.send(
                testing::order_placed("f-" + std::to_string(sent), "SO-F" + std::to_string(sent)));
        while (auto r = client.receive(300ms))
            if (r->acked) acked.insert(r->id);
        storage = d.call(cmd("status")).find("storage")->as_string();
    }
    ASSERT_NE(storage, "ok") << "the database never filled up";
    EXPECT_NE(storage.find("full"), std::string::npos) << storage;
    // Nothing more is acked while it fails, and queries are still answered.
    std::size_t acked_when_full = acked.size();
    while (auto r = client.receive(1500ms))
        if (r->acked) acked.insert(r->id);
    EXPECT_EQ(acked.size(), acked_when_full);
    value q = cmd("order");
    q.set("id", "SO-F0");
    EXPECT_TRUE(d.call(q).find("ok")->as_bool());
    value ack = cmd("ack");
    ack.set("id", "E-1");
    ack.set("by", "lead");
    EXPECT_FALSE(d.call(ack).find("ok")->as_bool());

    // Room again (the cap is lifted by a reload): the waiting batch commits and is acked.
    dir.write("baton.yaml", [&] {
        std::string src = BATON_SOURCE_DIR;
        return "data_dir: var\nschemas: " + src + "/schemas\nflow: flow.yaml\ncustomers: " + src +
               "/config/customers.yaml\nbus:\n  ingest: tcp://127.0.0.1:*\n  relay: "
               "tcp://127.0.0.1:*\n  control: tcp://127.0.0.1:*\nstorage:\n  max_bytes: 0\n";
    }());
    EXPECT_TRUE(d.call(cmd("reload")).find("ok")->as_bool());
    for (int i = 0; i < 50 && d.call(cmd("status")).find("storage")->as_string() != "ok"; ++i)
        std::this_thread::sleep_for(100ms);
    EXPECT_EQ(d.call(cmd("status")).find("storage")->as_string(), "ok");
    // Clients resend what was not acked; every event ends up acked and stored once.
    for (int round = 0; round < 10 && static_cast<int>(acked.size()) < sent; ++round) {
        for (int i = 0; i < sent; ++i) {
            std::string id = "f-" + std::to_string(i);
            if (!acked.count(id))
                client.send(testing::order_placed(id, "SO-F" + std::to_string(i)));
        }
        while (auto r = client.receive(500ms))
            if (r->acked) acked.insert(r->id);
    }
    EXPECT_EQ(static_cast<int>(acked.size()), sent);
    EXPECT_EQ(d.events(), sent);
}

}  // namespace
}  // namespace baton
