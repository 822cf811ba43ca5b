// Integration tests of baton-csv: batond's loop runs in-process on ephemeral ports and the
// adapter makes one pass over a drop folder at a time (--once semantics): a good file, a file
// with bad rows, a re-exported file, a half-written file, batond away, files in GB18030 and Big5,
// and the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "control_client.h"
#include "csv_config.h"
#include "csv_reader.h"
#include "daemon_harness.h"
#include "drop_folder.h"
#include "encoded_text.h"
#include "process.h"
#include "security.h"

namespace baton::adapters::csv {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using baton::testing::daemon_harness;
using baton::testing::temp_dir;
using baton::testing::test_config;

// A German ERP export: ';' between cells, ',' before decimals, dates as dd.mm.yyyy.
const char* mappings_yaml = R"(
mappings:
  - name: sales-orders
    match: "orders_*.csv"
    topic: sales.order.placed
    source: sales-erp
    order: order_no
    id: order_no
    group_by: order_no
    decimal: ","
    fields:
      customer: {column: customer_no}
      amount_cents: {column: total, type: cents}
      promised_date: {column: due, type: date, format: "%d.%m.%Y"}
      new_die: {column: new_die, type: bool}
      terms: {value: credit}
      lines[].item: {column: article}
      lines[].die: {column: die}
      lines[].alloy: {column: alloy}
      lines[].temper: {column: temper}
      lines[].finish: {column: finish}
      lines[].length_mm: {column: length_mm, type: int}
      lines[].qty: {column: qty, type: number}
      lines[].unit: {column: unit}

  - name: cancellations
    match: "cancel_*.csv"
    topic: sales.order.cancelled
    source: sales-erp
    order: order_no
    id: order_no
    fields:
      reason: {column: reason}

  # Excel on Chinese Windows: GB18030, column names in Chinese.
  - name: cn-orders
    match: "dingdan_*.csv"
    encoding: GB18030
    topic: sales.order.placed
    source: sales-erp-cn
    order: 订单号
    id: 订单号
    group_by: 订单号
    fields:
      customer: {column: 客户}
      amount_cents: {column: 金额, type: cents}
      promised_date: {column: 交货日期, type: date}
      lines[].item: {column: 品名}
      lines[].die: {column: 模具号}
      lines[].alloy: {column: 合金}
      lines[].temper: {column: 状态}
      lines[].finish: {value: mill}
      lines[].length_mm: {column: 长度, type: int}
      lines[].qty: {column: 数量, type: number}
      lines[].unit: {value: kg}

  # A Taiwanese branch's export, in Big5, dropped into the same folder.
  - name: tw-orders
    match: "tw_*.csv"
    encoding: big5
    topic: sales.order.placed
    source: sales-erp-tw
    order: order_no
    id: order_no
    fields:
      customer: {column: customer}
      amount_cents: {column: total, type: cents}
      promised_date: {column: due, type: date}
      lines[].item: {column: article}
      lines[].die: {value: D-TW1}
      lines[].alloy: {value: "6063"}
      lines[].temper: {value: T5}
      lines[].finish: {value: anodised}
      lines[].length_mm: {value: "6000", type: int}
      lines[].qty: {column: qty, type: number}
      lines[].unit: {value: pcs}
)";

const std::string header =
    "order_no;customer_no;total;due;new_die;article;die;alloy;temper;finish;length_mm;qty;unit\n";

const std::string good_rows =
    "SO-1001;C-1001;18.430,00;18.12.2026;nein;PRF-4411;D-4411;6063;T66;anodised;6000;1.200;kg\n"
    "SO-1001;C-1001;18.430,00;18.12.2026;nein;PRF-0930;D-0930;6063;T66;anodised;6000;350,5;kg\n"
    "SO-1002;C-1002;\"5.120,50\";01.12.2026;ja;\"Profil \"\"L\"\" 40;20\";D-7781;6060;T5;mill;"
    "4500;800;kg\n";

const std::string chinese_header = "订单号;客户;金额;交货日期;品名;模具号;合金;状态;长度;数量\n";

const std::string chinese_rows =
    "SO-3001;华东铝业有限公司;25600.00;2026-12-18;6063-T5 铝合金门窗型材;D-5501;6063;T5;6000;"
    "1200\n"
    "SO-3001;华东铝业有限公司;25600.00;2026-12-18;断桥隔热型材 (穿条式);D-5502;6060;T66;5800;"
    "300.5\n"
    "SO-3002;广东兴发铝业 (佛山);9900.50;2027-01-05;工业铝型材 40×40 欧标;D-7702;6063;T5;4000;"
    "800\n";

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

value order_request(const std::string& id) {
    value r;
    r.set("cmd", "order");
    r.set("id", id);
    return r;
}

class csv_drop : public ::testing::Test {
protected:
    void SetUp() override {
        d_ = std::make_unique<daemon_harness>(test_config(dir_));
        d_->start();
        fs::create_directories(dir_ / "drop");
        cfg_.file = dir_ / "csv.yaml";
        cfg_.folder = dir_ / "drop";
        cfg_.mappings_file = dir_.write("mappings.yaml", mappings_yaml);
        cfg_.done_dir = dir_ / "drop/done";
        cfg_.failed_dir = dir_ / "drop/failed";
        cfg_.ingest = d_->ingest();
        cfg_.outbox = dir_ / "var/csv-outbox.db";
        cfg_.settle = 200ms;
        cfg_.ack_timeout = 10s;
        cfg_.delimiter = ';';
    }

    std::unique_ptr<drop_folder> make_folder() {
        return std::make_unique<drop_folder>(d_->context(), cfg_, load_csv_mappings(cfg_));
    }

    // Writes a file into the drop folder as if it had been exported a while ago.
    std::string drop(const std::string& name, const std::string& text, bool settled = true) {
        std::string path = dir_.write("drop/" + name, text);
        if (settled) fs::last_write_time(path, fs::file_time_type::clock::now() - 10s);
        return path;
    }

    value order(const std::string& id) {
        value r = d_->call(order_request(id));
        const value* ok = r.find("ok");
        if (!ok || !ok->as_bool()) return value();
        return *r.find("order");
    }

    temp_dir dir_;
    std::unique_ptr<daemon_harness> d_;
    adapter_config cfg_;
};

TEST_F(csv_drop, a_good_file_becomes_events_in_batond_and_moves_to_done) {
    drop("orders_0611.csv", header + good_rows);
    auto folder = make_folder();
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 1u);
    const file_report& r = reports[0];
    EXPECT_EQ(r.outcome, file_outcome::done) << r.reason;
    EXPECT_EQ(r.mapping, "sales-orders");
    EXPECT_EQ(r.rows, 3u);
    EXPECT_EQ(r.events, 2u);
    EXPECT_EQ(r.bad_rows, 0u);
    EXPECT_TRUE(r.error_report.empty());
    EXPECT_EQ(r.moved_to, dir_ / "drop/done/orders_0611.csv");
    EXPECT_TRUE(fs::exists(r.moved_to));
    EXPECT_FALSE(fs::exists(dir_ / "drop/orders_0611.csv"));
    EXPECT_EQ(folder->pending(), 0u);

    value o = order("SO-1001");
    ASSERT_TRUE(o.is_map()) << "SO-1001 is not known to batond";
    EXPECT_EQ(o.find("customer")->as_string(), "C-1001");
    EXPECT_EQ(o.find("promised_date")->as_string(), "2026-12-18");
    std::int64_t amount = 0;
    ASSERT_TRUE(o.find("amount_cents")->to_int64(amount));
    EXPECT_EQ(amount, 1843000);
    const value_list& lines = o.find("lines")->as_list();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].find("die")->as_string(), "D-4411");
    EXPECT_DOUBLE_EQ(lines[0].find("qty")->to_double(), 1200.0);
    EXPECT_DOUBLE_EQ(lines[1].find("qty")->to_double(), 350.5);
    ASSERT_EQ(o.find("history")->as_list().size(), 1u);
    EXPECT_EQ(o.find("history")->as_list()[0].find("id")->as_string(), "sales-orders:SO-1001");

    value o2 = order("SO-1002");
    ASSERT_TRUE(o2.is_map());
    EXPECT_TRUE(o2.find("new_die")->as_bool());
    EXPECT_EQ(o2.find("lines")->as_list()[0].find("item")->as_string(), "Profil \"L\" 40;20");
    EXPECT_EQ(d_->events(), 2);
}

TEST_F(csv_drop, bad_rows_go_to_the_errors_file_with_line_and_reason_and_good_rows_go_in) {
    const std::string rows =
        // line 2: good
        "SO-2001;C-1001;100,00;18.12.2026;nein;P1;D-1;6063;T66;anodised;6000;10;kg\n"
        // line 3: the amount is not one
        "SO-2002;C-1001;abc;18.12.2026;nein;P1;D-1;6063;T66;anodised;6000;10;kg\n"
        // lines 4 and 5: one group, its second row is bad
        "SO-2003;C-1001;100,00;18.12.2026;nein;P1;D-1;6063;T66;anodised;6000;10;kg\n"
        "SO-2003;C-1001;100,00;18.12.2026;nein;P2;D-2;6063;T66;anodised;6000;zehn;kg\n"
        // line 6: maps, but batond's schema refuses the alloy
        "SO-2004;C-1001;100,00;18.12.2026;nein;P1;D-1;9999;T66;anodised;6000;10;kg\n"
        // line 7: a cell short
        "SO-2005;C-1001;100,00;18.12.2026;nein;P1;D-1;6063;T66;anodised;6000;10\n"
        // line 8: good
        "SO-2006;C-1002;200,00;19.12.2026;x;P1;D-1;6060;T5;mill;3000;5;pcs\n";
    drop("orders_0612.csv", header + rows);
    auto folder = make_folder();
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 1u);
    const file_report& r = reports[0];
    EXPECT_EQ(r.outcome, file_outcome::done) << r.reason;
    EXPECT_EQ(r.rows, 7u);
    EXPECT_EQ(r.events, 2u);
    EXPECT_EQ(r.bad_rows, 5u);
    EXPECT_EQ(r.error_report, dir_ / "drop/done/orders_0612.errors.csv");

    table t;
    std::string error;
    ASSERT_TRUE(read_table(read_text(r.error_report), ';', t, error)) << error;
    ASSERT_GE(t.header.size(), 3u);
    EXPECT_EQ(t.header[0], "file_line");
    EXPECT_EQ(t.header[1], "error");
    EXPECT_EQ(t.header[2], "order_no");
    ASSERT_EQ(t.records.size(), 5u);
    auto line = [&](std::size_t i) { return t.records[i].cells[0]; };
    auto reason = [&](std::size_t i) { return t.records[i].cells[1]; };
    EXPECT_EQ(line(0), "3");
    EXPECT_EQ(reason(0), "column 'total': expected an amount like 1.234,50, got 'abc'");
    EXPECT_EQ(t.records[0].cells[2], "SO-2002");  // the original row follows
    EXPECT_EQ(t.records[0].cells[4], "abc");
    EXPECT_EQ(line(1), "4");
    EXPECT_EQ(reason(1), "left out with its group order_no 'SO-2003', which has a bad row");
    EXPECT_EQ(line(2), "5");
    EXPECT_NE(reason(2).find("column 'qty'"), std::string::npos) << reason(2);
    EXPECT_NE(reason(2).find("whole group"), std::string::npos) << reason(2);
    EXPECT_EQ(line(3), "6");
    EXPECT_EQ(reason(3).rfind("refused by batond: schema:", 0), 0u) << reason(3);
    EXPECT_NE(reason(3).find("alloy"), std::string::npos) << reason(3);
    EXPECT_EQ(line(4), "7");
    EXPECT_EQ(reason(4), "has 12 cells, the header has 13");

    EXPECT_TRUE(order("SO-2001").is_map());
    EXPECT_TRUE(order("SO-2006").is_map());
    for (const char* absent : {"SO-2002", "SO-2003", "SO-2004", "SO-2005"})
        EXPECT_TRUE(order(absent).is_nil()) << absent << " should not be in batond";
    EXPECT_EQ(d_->events(), 2);
}

TEST_F(csv_drop, a_re_exported_file_is_acked_as_duplicates_and_applies_nothing_twice) {
    drop("orders_0611.csv", header + good_rows);
    auto folder = make_folder();
    auto first = folder->scan_once();
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(first[0].outcome, file_outcome::done);
    const std::int64_t events = d_->events();
    EXPECT_EQ(events, 2);

    // The department system exports the same orders again, under the same name.
    drop("orders_0611.csv", header + good_rows);
    auto second = folder->scan_once();
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].outcome, file_outcome::done) << second[0].reason;
    EXPECT_EQ(second[0].events, 2u);  // acked again...
    EXPECT_EQ(second[0].bad_rows, 0u);
    EXPECT_EQ(d_->events(), events);  // ...and not applied again
    EXPECT_EQ(order("SO-1001").find("history")->as_list().size(), 1u);
    EXPECT_EQ(second[0].moved_to, dir_ / "drop/done/orders_0611.2.csv");
    EXPECT_TRUE(fs::exists(dir_ / "drop/done/orders_0611.csv"));
}

TEST_F(csv_drop, two_events_of_one_file_with_the_same_id_keep_the_first_and_report_the_other) {
    drop("orders_0611.csv", header + good_rows);
    drop("cancel_0611.csv", "order_no;reason\nSO-1001;customer withdrew\nSO-1001;entered twice\n");
    fs::last_write_time(dir_ / "drop/cancel_0611.csv",
                        fs::file_time_type::clock::now() - 5s);  // after the orders
    auto folder = make_folder();
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].file, "orders_0611.csv") << "the older export goes first";
    const file_report& r = reports[1];
    EXPECT_EQ(r.outcome, file_outcome::done) << r.reason;
    EXPECT_EQ(r.events, 1u);
    EXPECT_EQ(r.bad_rows, 1u);
    table t;
    std::string error;
    ASSERT_TRUE(read_table(read_text(r.error_report), ';', t, error)) << error;
    EXPECT_EQ(t.header, (std::vector<std::string>{"file_line", "error", "order_no", "reason"}));
    ASSERT_EQ(t.records.size(), 1u);
    EXPECT_EQ(t.records[0].cells[0], "3");
    EXPECT_EQ(t.records[0].cells[1].rfind("event id 'cancellations:SO-1001' is also the id of "
                                          "line 2",
                                          0),
              0u)
        << t.records[0].cells[1];
    EXPECT_EQ(t.records[0].cells[3], "entered twice");
    value o = order("SO-1001");
    ASSERT_TRUE(o.is_map());
    EXPECT_EQ(o.find("stage")->as_string(), "cancelled");
    ASSERT_NE(o.find("cancel_reason"), nullptr);
    EXPECT_EQ(o.find("cancel_reason")->as_string(), "customer withdrew");
    EXPECT_EQ(o.find("history")->as_list().size(), 2u);
}

TEST_F(csv_drop, a_half_written_file_is_read_only_once_it_has_settled) {
    auto folder = make_folder();
    // The exporter has written the header and half a row.
    std::string path = drop("orders_0613.csv", header + good_rows.substr(0, 40), false);
    EXPECT_TRUE(folder->scan_once().empty());
    EXPECT_TRUE(fs::exists(path));
    // ...then the rest: changed again, so still not complete.
    std::ofstream(path, std::ios::app) << good_rows.substr(40);
    EXPECT_TRUE(folder->scan_once().empty());
    EXPECT_EQ(d_->events(), 0);
    // A file under a temporary name is never read, however old.
    drop("orders_0614.csv.part", header + good_rows);
    drop("orders_0615.csv.tmp", header + good_rows);

    std::this_thread::sleep_for(cfg_.settle + 100ms);
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].file, "orders_0613.csv");
    EXPECT_EQ(reports[0].outcome, file_outcome::done);
    EXPECT_EQ(reports[0].rows, 3u) << "the whole file was read";
    EXPECT_EQ(reports[0].events, 2u);
    EXPECT_TRUE(fs::exists(dir_ / "drop/orders_0614.csv.part"));

    // Renamed when finished: the rename keeps the old mtime, so it is read at once.
    fs::rename(dir_ / "drop/orders_0614.csv.part", dir_ / "drop/orders_0614.csv");
    reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].file, "orders_0614.csv");
}

TEST_F(csv_drop, files_without_a_mapping_are_left_alone_and_unusable_files_move_to_failed) {
    drop("notes.txt", "not for baton\n");
    std::string no_qty = header;
    no_qty.replace(no_qty.find(";qty"), 4, ";menge");
    drop("orders_0616.csv", no_qty + good_rows);
    drop("orders_0617.csv", "");
    auto folder = make_folder();
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 2u);
    for (const auto& r : reports) EXPECT_EQ(r.outcome, file_outcome::failed) << r.file;
    auto by_name = [&](const std::string& n) {
        return reports[0].file == n ? reports[0] : reports[1];
    };
    EXPECT_EQ(by_name("orders_0616.csv").reason,
              "the header has no column 'qty' (mapping 'sales-orders' reads it)");
    EXPECT_EQ(by_name("orders_0617.csv").reason, "the file is empty (no header row)");
    EXPECT_TRUE(fs::exists(dir_ / "drop/failed/orders_0616.csv"));
    EXPECT_NE(read_text(dir_ / "drop/failed/orders_0616.errors.csv").find("'qty'"),
              std::string::npos);
    EXPECT_TRUE(fs::exists(dir_ / "drop/notes.txt"));
    EXPECT_EQ(d_->events(), 0);
}

TEST_F(csv_drop, while_batond_is_away_the_events_wait_in_the_outbox_and_the_file_stays) {
    // batond on a fixed port, stopped for now.
    d_->stop();
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(testing::free_port());
    d_->cfg().bus.ingest = endpoint;
    cfg_.ingest = endpoint;
    cfg_.ack_timeout = 300ms;
    drop("orders_0611.csv", header + good_rows);
    {
        auto folder = make_folder();
        auto reports = folder->scan_once();
        ASSERT_EQ(reports.size(), 1u);
        EXPECT_EQ(reports[0].outcome, file_outcome::waiting);
        EXPECT_NE(reports[0].reason.find("wait in the outbox"), std::string::npos);
        EXPECT_TRUE(fs::exists(dir_ / "drop/orders_0611.csv"));
        EXPECT_EQ(folder->pending(), 2u);
    }
    // The adapter restarts too; the outbox still holds both events.
    d_->start();
    cfg_.ack_timeout = 10s;
    auto folder = make_folder();
    EXPECT_EQ(folder->pending(), 2u);
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].outcome, file_outcome::done) << reports[0].reason;
    EXPECT_EQ(folder->pending(), 0u);
    EXPECT_FALSE(fs::exists(dir_ / "drop/orders_0611.csv"));
    EXPECT_EQ(d_->events(), 2);
}

TEST_F(csv_drop, a_gb18030_file_with_chinese_names_becomes_events_with_the_exact_utf8_text) {
    drop("dingdan_0611.csv", testing::encoded(chinese_header + chinese_rows, "GB18030"));
    auto folder = make_folder();
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].outcome, file_outcome::done) << reports[0].reason;
    EXPECT_EQ(reports[0].mapping, "cn-orders");
    EXPECT_EQ(reports[0].rows, 3u);
    EXPECT_EQ(reports[0].events, 2u);
    EXPECT_EQ(reports[0].bad_rows, 0u);

    value o = order("SO-3001");
    ASSERT_TRUE(o.is_map()) << "SO-3001 is not known to batond";
    EXPECT_EQ(o.find("customer")->as_string(), "华东铝业有限公司");
    const value_list& lines = o.find("lines")->as_list();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].find("item")->as_string(), "6063-T5 铝合金门窗型材");
    EXPECT_EQ(lines[1].find("item")->as_string(), "断桥隔热型材 (穿条式)");
    EXPECT_DOUBLE_EQ(lines[1].find("qty")->to_double(), 300.5);
    value o2 = order("SO-3002");
    ASSERT_TRUE(o2.is_map());
    EXPECT_EQ(o2.find("customer")->as_string(), "广东兴发铝业 (佛山)");
    EXPECT_EQ(o2.find("lines")->as_list()[0].find("item")->as_string(), "工业铝型材 40×40 欧标");
    EXPECT_EQ(d_->events(), 2);
}

TEST_F(csv_drop, a_gb18030_file_with_an_undecodable_byte_is_refused_naming_line_and_byte) {
    const std::string line1 = testing::encoded(chinese_header, "GB18030");
    const std::string line2 = testing::encoded(
        "SO-3003;华东铝业有限公司;100.00;2026-12-18;型材;D-1;6063;T5;6000;10\n", "GB18030");
    const std::string line3_start = testing::encoded("SO-3004;华南", "GB18030");
    // 0x81 opens a two-byte character; a space cannot end it.
    drop("dingdan_0612.csv",
         line1 + line2 + line3_start + "\x81 铝业;100.00;2026-12-18;型材;D-1;6063;T5;6000;10\n");
    auto folder = make_folder();
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 1u);
    const file_report& r = reports[0];
    EXPECT_EQ(r.outcome, file_outcome::failed);
    const std::string reason =
        "line 3, byte " + std::to_string(line3_start.size() + 1) + " (file byte " +
        std::to_string(line1.size() + line2.size() + line3_start.size() + 1) +
        "): not valid gb18030: bytes 0x81 0x20";
    EXPECT_EQ(r.reason, reason);
    EXPECT_EQ(reason.substr(0, 21), "line 3, byte 13 (file");
    EXPECT_EQ(r.moved_to, dir_ / "drop/failed/dingdan_0612.csv");
    EXPECT_EQ(read_text(dir_ / "drop/failed/dingdan_0612.errors.csv"),
              "file_line;error\n3;" + reason + "\n");
    EXPECT_TRUE(order("SO-3003").is_nil()) << "nothing of a refused file goes in";
    EXPECT_EQ(d_->events(), 0);
}

TEST_F(csv_drop, two_patterns_with_two_encodings_are_read_in_the_same_pass) {
    drop("dingdan_0613.csv", testing::encoded(chinese_header + chinese_rows, "GB18030"));
    drop("tw_0613.csv", testing::encoded("order_no;customer;total;due;article;qty\n"
                                         "TW-101;台灣鋁業股份有限公司;4500.00;2026-12-20;"
                                         "鋁合金門窗型材;40\n",
                                         "BIG5"));
    cfg_.encoding = "windows-1252";  // the adapter's default; both mappings name their own
    auto folder = make_folder();
    auto reports = folder->scan_once();
    ASSERT_EQ(reports.size(), 2u);
    for (const auto& r : reports) EXPECT_EQ(r.outcome, file_outcome::done) << r.file << r.reason;
    EXPECT_EQ(order("SO-3001").find("customer")->as_string(), "华东铝业有限公司");
    value tw = order("TW-101");
    ASSERT_TRUE(tw.is_map()) << "TW-101 is not known to batond";
    EXPECT_EQ(tw.find("customer")->as_string(), "台灣鋁業股份有限公司");
    EXPECT_EQ(tw.find("lines")->as_list()[0].find("item")->as_string(), "鋁合金門窗型材");
    EXPECT_EQ(d_->events(), 3);
}

TEST_F(csv_drop, the_binary_reads_a_gb18030_file_and_refuses_an_encoding_iconv_does_not_know) {
    std::string config = dir_.write("csv.yaml",
                                    "folder: drop\nmappings: mappings.yaml\n"
                                    "ingest: " +
                                        d_->ingest() +
                                        "\noutbox: var/bin-outbox.db\n"
                                        "settle: 100ms\ndelimiter: \";\"\n");
    drop("dingdan_0614.csv", testing::encoded(chinese_header + chinese_rows, "GB18030"));
    auto [status, output] =
        testing::run_program({BATON_CSV_PATH, "--config", config, "--once"}, dir_ / "out.log");
    EXPECT_EQ(status, 0) << output;
    EXPECT_TRUE(fs::exists(dir_ / "drop/done/dingdan_0614.csv")) << output;
    EXPECT_EQ(order("SO-3002").find("customer")->as_string(), "广东兴发铝业 (佛山)");
    EXPECT_EQ(d_->events(), 2);

    std::string bad = dir_.write("bad.yaml",
                                 "folder: drop\nmappings: mappings.yaml\n"
                                 "outbox: var/o.db\nencoding: gbk2\n");
    auto [bad_status, bad_output] =
        testing::run_program({BATON_CSV_PATH, "--config", bad, "--check-config"}, dir_ / "bad.log");
    EXPECT_EQ(bad_status, 2);
    EXPECT_NE(bad_output.find("bad.yaml: encoding: 'gbk2' is not an encoding iconv knows (e.g. "
                              "gb18030, gbk, big5, shift_jis, windows-1252, utf-16)"),
              std::string::npos)
        << bad_output;

    std::string mappings = read_text(cfg_.mappings_file);
    mappings.replace(mappings.find("encoding: big5"), 14, "encoding: big-5x");
    std::string bad_mapping_config = dir_.write("bad2.yaml",
                                                "folder: drop\nmappings: bad-mappings.yaml\n"
                                                "outbox: var/o.db\n");
    dir_.write("bad-mappings.yaml", mappings);
    auto [map_status, map_output] = testing::run_program(
        {BATON_CSV_PATH, "--config", bad_mapping_config, "--check-config"}, dir_ / "bad2.log");
    EXPECT_EQ(map_status, 2);
    EXPECT_NE(map_output.find("bad-mappings.yaml: mappings[3].encoding: 'big-5x' is not an "
                              "encoding iconv knows"),
              std::string::npos)
        << map_output;
}

TEST_F(csv_drop, the_binary_processes_the_folder_once_and_reports_config_errors) {
    std::string config = dir_.write("csv.yaml",
                                    "folder: drop\nmappings: mappings.yaml\n"
                                    "ingest: " +
                                        d_->ingest() +
                                        "\noutbox: var/bin-outbox.db\n"
                                        "settle: 100ms\ndelimiter: \";\"\n");
    drop("orders_0611.csv", header + good_rows);
    auto [status, output] =
        testing::run_program({BATON_CSV_PATH, "--config", config, "--once"}, dir_ / "out.log");
    EXPECT_EQ(status, 0) << output;
    EXPECT_TRUE(fs::exists(dir_ / "drop/done/orders_0611.csv")) << output;
    EXPECT_EQ(d_->events(), 2);

    auto [help_status, help] = testing::run_program({BATON_CSV_PATH, "--help"}, dir_ / "help.log");
    EXPECT_EQ(help_status, 0);
    EXPECT_NE(help.find("--once"), std::string::npos) << help;
    EXPECT_NE(help.find("--config"), std::string::npos) << help;

    std::string bad = dir_.write("bad.yaml",
                                 "folder: drop\nmappings: mappings.yaml\n"
                                 "outbox: var/o.db\nsettle: soon\n");
    auto [bad_status, bad_output] =
        testing::run_program({BATON_CSV_PATH, "--config", bad, "--once"}, dir_ / "bad.log");
    EXPECT_EQ(bad_status, 2);
    EXPECT_NE(bad_output.find("settle"), std::string::npos) << bad_output;
}

// batond with security.curve on: the adapter's `curve:` section (key files written like
// batonctl keygen writes them) gets the file's events acked; a missing key file is refused with
// its path.
TEST(csv_curve, a_curve_section_gets_the_events_acked_by_a_secured_batond) {
    temp_dir dir;
    const curve_key_pair server = write_key_pair(dir / "keys", "batond");
    const curve_key_pair sales = write_key_pair(dir / "keys", "sales-erp");
    const curve_key_pair ops = generate_curve_key_pair();
    config dc = test_config(dir);
    dc.security.curve = true;
    dc.security.server_secret_key = server.secret_key;
    dc.security.server_public_key = server.public_key;
    dc.security.clients = {
        client_acl{"sales-erp", sales.public_key, {"sales-erp"}, {"sales."}, control_right::none},
        client_acl{"ops", ops.public_key, {}, {}, control_right::read}};
    daemon_harness d(dc);
    d.start();

    fs::create_directories(dir / "drop");
    dir.write("mappings.yaml", mappings_yaml);
    const std::string common =
        "folder: drop\nmappings: mappings.yaml\nsettle: 100ms\n"
        "ack_timeout: 10s\ndelimiter: \";\"\ningest: " +
        d.ingest() + "\n";
    const std::string path = dir.write("csv.yaml", common +
                                                       "outbox: var/outbox.db\n"
                                                       "curve:\n  server_key: keys/batond.key\n"
                                                       "  key: keys/sales-erp\n");
    adapter_config cfg = load_config(path);
    ASSERT_TRUE(cfg.curve);
    EXPECT_EQ(cfg.curve->server_public_key, server.public_key);
    EXPECT_EQ(cfg.curve->public_key, sales.public_key);

    std::string exported = dir.write("drop/orders_0611.csv", header + good_rows);
    fs::last_write_time(exported, fs::file_time_type::clock::now() - 10s);
    drop_folder folder(d.context(), cfg, load_mappings(cfg.mappings_file));
    auto reports = folder.scan_once();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].outcome, file_outcome::done) << reports[0].reason;
    EXPECT_EQ(reports[0].events, 2u);
    EXPECT_EQ(folder.pending(), 0u);

    control_client viewer(d.context(), d.control(),
                          curve_client_keys{server.public_key, ops.public_key, ops.secret_key});
    value status_request;
    status_request.set("cmd", "status");
    auto status = viewer.call(status_request, 10s);
    ASSERT_TRUE(status);
    std::int64_t events = -1;
    if (const value* e = status->find("events")) e->to_int64(events);
    EXPECT_EQ(events, 2);

    // A key pair that is not there: the config key and the missing file's path.
    const std::string bad = dir.write("bad.yaml", common +
                                                      "outbox: var/bad.db\n"
                                                      "curve:\n  server_key: keys/batond.key\n"
                                                      "  key: keys/nobody\n");
    try {
        load_config(bad);
        ADD_FAILURE() << "a missing key file was accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.key, "curve.key");
        EXPECT_NE(e.reason.find(dir / "keys/nobody.key"), std::string::npos) << e.what();
    }
    // Unknown keys in the section are refused.
    const std::string typo = dir.write("typo.yaml", common +
                                                        "outbox: var/typo.db\n"
                                                        "curve:\n  server_key: keys/batond.key\n"
                                                        "  key: keys/sales-erp\n  secret: x\n");
    try {
        load_config(typo);
        ADD_FAILURE() << "an unknown key in curve was accepted";
    } catch (const config_error& e) {
        EXPECT_EQ(e.key, "curve.secret");
    }
}

}  // namespace
}  // namespace baton::adapters::csv
