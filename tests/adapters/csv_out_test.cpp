// baton-csv-out against batond's loop in-process: every relayed message of the followed topics
// is one row, in relay order, in a GB18030 file that decodes back to the same rows (Chinese
// header and customer); rows rotation leaves only complete files visible; a restart, and a
// crash between a row and its record, neither lose nor repeat a row; and the binary itself.
#include <gtest/gtest.h>
#include <iconv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <zmq.hpp>

#include "csv_export.h"
#include "daemon_harness.h"
#include "events.h"
#include "ingest_client.h"
#include "process.h"

namespace baton::adapters::csv_out {
namespace {

using namespace std::chrono_literals;
using testing::daemon_harness;
using testing::temp_dir;
using testing::test_config;
namespace fs = std::filesystem;

const std::string customer_cn = "华南铝业有限公司";

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return done();
}

void send_all(daemon_harness& d, const std::vector<envelope>& events) {
    ingest_client client(d.context(), d.ingest());
    for (const auto& e : events) {
        auto r = client.send_and_wait(e, 10s);
        ASSERT_TRUE(r) << e.id;
        ASSERT_TRUE(r->acked) << e.id << ": " << r->reason;
    }
}

std::vector<envelope> order_events(const std::string& so) {
    return {testing::placed(so + "-placed", so, customer_cn),
            testing::credit_approved(so + "-credit", so)};
}

std::string text_of(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : "";
}

// The rows batond relayed for the followed topics, as the columns write them (UTF-8).
std::vector<std::string> expected_rows(daemon_harness& d) {
    value req;
    req.set("cmd", "replay");
    req.set("since", 0);
    req.set("limit", 10000);
    value reply = d.call(req);
    std::vector<std::string> rows;
    for (const auto& m : reply.find("messages")->as_list()) {
        std::uint64_t seq = 0;
        m.find("seq")->to_uint64(seq);
        std::string topic = text_of(m, "topic");
        if (topic.rfind("sales.status", 0) != 0 && topic.rfind("finance.", 0) != 0) continue;
        const value* env = m.find("envelope");
        std::string customer = env ? text_of(*env->find("data"), "customer") : "";
        std::string order = env ? text_of(*env, "order") : "";
        rows.push_back(std::to_string(seq) + "," + topic + "," + order + "," + customer);
    }
    return rows;
}

csv_out_config gb_config(const temp_dir& dir, daemon_harness& d) {
    fs::create_directories(dir / "out");
    csv_out_config c;
    c.relay = d.relay();
    c.control = d.control();
    c.state = dir / "csv-out.seq";
    file_output f;
    f.key = "files[0]";
    f.topics = {"sales.status", "finance."};
    f.folder = dir / "out";
    f.name = "orders_{date}_{n}.csv";
    f.rotate = rotation::rows;
    f.rows = 4;
    f.encoding = "gb18030";
    std::string error;
    for (auto [name, path] : {std::pair{"序号", "seq"}, std::pair{"主题", "topic"},
                              std::pair{"订单", "order"}, std::pair{"客户", "data.customer"}}) {
        column col;
        col.name = name;
        col.value_path = path;
        col.steps = *parse_value_path(path, error);
        f.columns.push_back(col);
    }
    c.files.push_back(f);
    return c;
}

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string gb18030_to_utf8(const std::string& bytes) {
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    std::string out(bytes.size() * 4 + 16, '\0');
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    char* o = out.data();
    std::size_t o_left = out.size();
    EXPECT_NE(iconv(cd, &in, &in_left, &o, &o_left), static_cast<std::size_t>(-1));
    out.resize(out.size() - o_left);
    iconv_close(cd);
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t at; (at = text.find("\r\n", start)) != std::string::npos; start = at + 2)
        lines.push_back(text.substr(start, at - start));
    EXPECT_EQ(start, text.size()) << "a line without CRLF at the end";
    return lines;
}

struct folder_rows {
    std::vector<std::string> rows;      // every file's rows, completed files first, by n
    std::vector<std::string> complete;  // names of the visible files
    std::vector<std::string> hidden;    // names starting with '.'
};

// Reads the folder: visible files in the order of their {n}, then the open temporary file.
folder_rows read_folder(const std::string& folder) {
    folder_rows r;
    std::vector<std::pair<int, std::string>> visible;
    std::string tmp;
    for (const auto& e : fs::directory_iterator(folder)) {
        std::string name = e.path().filename();
        if (name[0] == '.') {
            r.hidden.push_back(name);
            if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") tmp = name;
            continue;
        }
        auto us = name.rfind('_');
        visible.emplace_back(std::stoi(name.substr(us + 1)), name);
    }
    std::sort(visible.begin(), visible.end());
    std::vector<std::string> order;
    for (auto& [n, name] : visible) {
        r.complete.push_back(name);
        order.push_back(name);
    }
    if (!tmp.empty()) order.push_back(tmp);
    for (const auto& name : order) {
        auto lines = lines_of(gb18030_to_utf8(read(fs::path(folder) / name)));
        EXPECT_FALSE(lines.empty()) << name;
        if (lines.empty()) continue;
        EXPECT_EQ(lines[0], "序号,主题,订单,客户") << name;
        r.rows.insert(r.rows.end(), lines.begin() + 1, lines.end());
    }
    return r;
}

// baton-csv-out without main(): an exporter on its own thread until stopped.
class exporter_under_test {
public:
    explicit exporter_under_test(const csv_out_config& c) : export_(context_, c, clock_zone{}) {
        thread_ = std::thread([this] { export_.run(stop_); });
    }
    ~exporter_under_test() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    const csv_export& exporter() const { return export_; }

private:
    zmq::context_t context_{1};
    std::atomic<bool> stop_{false};
    csv_export export_;
    std::thread thread_;
};

std::uint64_t last_seq_of(const std::vector<std::string>& rows) {
    return rows.empty() ? 0 : std::stoull(rows.back().substr(0, rows.back().find(',')));
}

TEST(csv_out, every_followed_message_is_one_gb18030_row_in_relay_order_in_complete_files) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    send_all(d, order_events("SO-C1"));  // before the exporter ever ran: replayed
    auto config = gb_config(dir, d);
    exporter_under_test out(config);
    std::this_thread::sleep_for(200ms);
    send_all(d, order_events("SO-C2"));
    send_all(d, order_events("SO-C3"));
    auto expected = expected_rows(d);
    ASSERT_GE(expected.size(), 6u);
    ASSERT_TRUE(wait_until(
        [&] { return out.exporter().outputs()[0]->last_seq() >= last_seq_of(expected); }, 20s));
    out.stop();

    auto got = read_folder(config.files[0].folder);
    EXPECT_EQ(got.rows, expected);
    EXPECT_NE(expected[0].find(customer_cn), std::string::npos) << expected[0];
    // Files of 4 rows named by the pattern; the rest waits hidden in the .tmp file.
    const std::string today = compact_date(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count(),
                                           clock_zone{});
    ASSERT_EQ(got.complete.size(), expected.size() / 4);
    for (std::size_t i = 0; i < got.complete.size(); ++i)
        EXPECT_EQ(got.complete[i], "orders_" + today + "_" + std::to_string(i + 1) + ".csv");
    for (const auto& name : got.complete)
        EXPECT_EQ(lines_of(gb18030_to_utf8(read(fs::path(config.files[0].folder) / name))).size(),
                  5u)
            << name;
    EXPECT_EQ(out.exporter().write_errors(), 0u);
}

TEST(csv_out, restart_and_a_crash_between_row_and_record_neither_lose_nor_repeat_rows) {
    temp_dir dir;
    daemon_harness d(test_config(dir));
    d.start();
    auto config = gb_config(dir, d);
    config.files[0].rows = 100;  // one open file across the restarts
    send_all(d, order_events("SO-R1"));
    {
        exporter_under_test out(config);
        auto expected = expected_rows(d);
        ASSERT_TRUE(wait_until(
            [&] { return out.exporter().outputs()[0]->last_seq() >= last_seq_of(expected); }, 20s));
    }
    // A crash: the relay position went back (not saved yet) and a row reached the file
    // without being recorded.
    { std::ofstream(config.state) << "1\n"; }
    {
        std::string tmp;
        for (const auto& e : fs::directory_iterator(config.files[0].folder))
            if (e.path().extension() == ".tmp") tmp = e.path();
        ASSERT_FALSE(tmp.empty());
        std::ofstream(tmp, std::ios::app | std::ios::binary) << "999,half a row";
    }
    send_all(d, order_events("SO-R2"));  // relayed while the exporter is down
    {
        exporter_under_test out(config);
        send_all(d, order_events("SO-R3"));
        auto expected = expected_rows(d);
        ASSERT_TRUE(wait_until(
            [&] { return out.exporter().outputs()[0]->last_seq() >= last_seq_of(expected); }, 20s));
        std::this_thread::sleep_for(300ms);  // nothing more (no repeats) arrives
    }
    auto got = read_folder(config.files[0].folder);
    EXPECT_EQ(got.rows, expected_rows(d));
    EXPECT_TRUE(got.complete.empty());
}

TEST(csv_out_binary, help_check_config_bad_config_and_sigterm) {
    temp_dir dir;
    auto [st, out] = testing::run_program({BATON_CSV_OUT_PATH, "--help"}, dir / "o.txt");
    EXPECT_EQ(st, 0);
    EXPECT_NE(out.find("--check-config"), std::string::npos) << out;
    EXPECT_NE(out.find("gb18030"), std::string::npos) << out;

    std::string bad = dir.write("bad.yaml", "state: s\nfiles: [{topics: [x], folder: nope}]\n");
    std::tie(st, out) = testing::run_program({BATON_CSV_OUT_PATH, "-c", bad}, dir / "o.txt");
    EXPECT_EQ(st, 2);
    EXPECT_NE(out.find("bad.yaml: files[0].folder: '"), std::string::npos) << out;

    daemon_harness d(test_config(dir));
    d.start();
    fs::create_directories(dir / "out");
    std::string good =
        dir.write("good.yaml",
                  "batond: {relay: '" + d.relay() + "', control: '" + d.control() +
                      "'}\nstate: out/relay.seq\nfiles:\n  - topics: [sales.status]\n"
                      "    folder: out\n    name: 's_{seq}.csv'\n    rows: 1\n"
                      "    encoding: gb18030\n    columns: [{name: 客户, value: data.customer}]\n");
    std::tie(st, out) =
        testing::run_program({BATON_CSV_OUT_PATH, "-c", good, "--check-config"}, dir / "o.txt");
    EXPECT_EQ(st, 0) << out;
    EXPECT_NE(out.find(": ok (1 file output(s)"), std::string::npos) << out;

    send_all(d, order_events("SO-B1"));
    testing::child_process p({BATON_CSV_OUT_PATH, "-c", good}, dir / "run.log");
    std::string first;
    ASSERT_TRUE(wait_until(
        [&] {
            for (const auto& e : fs::directory_iterator(dir / "out"))
                if (e.path().extension() == ".csv") first = e.path();
            return !first.empty();
        },
        10s));
    EXPECT_EQ(gb18030_to_utf8(read(first)), "客户\r\n" + customer_cn + "\r\n");
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(), 0);
}

}  // namespace
}  // namespace baton::adapters::csv_out
