// The KPI page and CSV from a canned `kpi` reply with `every: week`: the four canvases, the
// embedded chart data (parsed back as JSON), the range form and CSV link, the tables, and the
// CSV a spreadsheet opens (BOM, quoting, a row per week), in both languages.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <string>
#include <vector>

#include "json_value.h"
#include "pages.h"

namespace baton::board {
namespace {

value parse(const std::string& json) {
    value out;
    std::string error;
    EXPECT_TRUE(adapters::webhook::json_to_value(json, out, error)) << error;
    return out;
}

view_ctx ctx(lang l = lang::en) {
    view_ctx v;
    v.l = l;
    v.me.name = "m.weber";
    v.me.level = role::lead;
    v.now_ms = 1795000000000;
    return v;
}

constexpr std::int64_t hour = 3600 * 1000;

std::string stage(const std::string& name, const std::string& holder, int count, double p50_h,
                  double p90_h, double within, double sla_h) {
    auto ms = [](double h) { return std::to_string(static_cast<long long>(h * hour)); };
    return R"({"stage": ")" + name + R"(", "holder": ")" + holder + R"(", "count": )" +
           std::to_string(count) + R"(, "p50_ms": )" + ms(p50_h) + R"(, "p90_ms": )" + ms(p90_h) +
           R"(, "within_sla": )" + std::to_string(within) + R"(, "open": 2, "sla_ms": )" +
           ms(sla_h) + "}";
}

std::string kpi_json() {
    const std::string week1 =
        R"({"period": "2026-W45", "stages": [)" +
        stage("credit_review", "finance", 3, 2, 5, 1.0, 4) + "," +
        stage("production", "production", 1, 30, 30, 0.0, 0) +
        R"(], "otif": {"delivered": 4, "on_time": 3, "in_full": 4, "otif": 3, "share": 0.75},
           "exceptions": [{"kind": "stage_overdue", "dept": "production", "raised": 2,
                           "resolved": 1, "mean_resolve_ms": 7200000}]})";
    const std::string week2 = R"({"period": "2026-W46", "stages": [)" +
                              stage("credit_review", "finance", 0, 0, 0, 0, 4) +
                              R"(], "otif": {"delivered": 0, "share": 0}, "exceptions": []})";
    const std::string week3 = R"({"period": "2026-W47", "stages": [)" +
                              stage("credit_review", "finance", 2, 3, 6, 0.5, 4) +
                              R"(], "otif": {"delivered": 2, "share": 1.0}, "exceptions": []})";
    return R"({"stages": [)" + stage("credit_review", "finance", 5, 2, 6, 0.8, 4) + "," +
           stage("production", "production", 1, 30, 30, 0.0, 0) + "," +
           stage("cut, pack", "logistics", 0, 0, 0, 0, 8) + R"(],
      "cycle_time": {"count": 6, "p50_ms": 604800000, "p90_ms": 864000000},
      "otif": {"delivered": 6, "on_time": 5, "in_full": 6, "otif": 5, "share": 0.8333},
      "otif_quantity": {"orders": 6, "orders_otif": 5, "share": 0.8333, "lines": 9,
                        "lines_otif": 8, "lines_share": 0.8889},
      "exceptions": [
        {"kind": "stage_overdue", "dept": "production", "raised": 2, "resolved": 1,
         "mean_resolve_ms": 7200000},
        {"kind": "stage_overdue", "dept": "finance", "raised": 3, "resolved": 3,
         "mean_resolve_ms": 3600000},
        {"kind": "credit_hold", "dept": "finance", "raised": 1, "resolved": 0,
         "mean_resolve_ms": 0}],
      "credit_holds": {"count": 1, "resolved": 0, "mean_resolve_ms": 0},
      "die_lead_time": {"count": 0, "p50_ms": 0, "p90_ms": 0},
      "window": {"since": 1793750400000, "until": 1795564800000},
      "every": "week", "series": [)" +
           week1 + "," + week2 + "," + week3 + "]}";
}

// The JSON of <script id="kpi-data">, parsed.
nlohmann::json chart_data(const std::string& html) {
    const std::string open = "<script type=\"application/json\" id=\"kpi-data\">";
    const auto start = html.find(open);
    EXPECT_NE(start, std::string::npos);
    if (start == std::string::npos) return {};
    const auto from = start + open.size();
    return nlohmann::json::parse(html.substr(from, html.find("</script>", from) - from));
}

std::vector<std::string> lines_of(const std::string& csv) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (auto end = csv.find("\r\n"); end != std::string::npos; end = csv.find("\r\n", at)) {
        out.push_back(csv.substr(at, end - at));
        at = end + 2;
    }
    if (at < csv.size()) out.push_back(csv.substr(at));
    return out;
}

TEST(board_pages_kpi, has_four_canvases_the_range_form_and_the_chart_scripts) {
    const std::string html = render_kpi(ctx(), {"2026-11-01", "2026-12-01"}, parse(kpi_json()));
    for (const char* id : {"chart-dwell", "chart-weekly", "chart-exceptions", "chart-resolve"})
        EXPECT_NE(html.find("<canvas id=\"" + std::string(id) + "\""), std::string::npos) << id;
    EXPECT_NE(html.find("<form id=\"kpi-range\" class=\"range\" method=\"get\" action=\"/kpi\">"),
              std::string::npos);
    EXPECT_NE(html.find("type=\"date\" id=\"kpi-from\" name=\"from\" value=\"2026-11-01\""),
              std::string::npos);
    EXPECT_NE(html.find("name=\"until\" value=\"2026-12-01\""), std::string::npos);
    EXPECT_NE(html.find("id=\"kpi-csv\" class=\"button\" "
                        "href=\"/kpi.csv?from=2026-11-01&amp;until=2026-12-01\""),
              std::string::npos);
    // Chart.js before kpi.js, both after the page's content.
    const auto chart = html.find("<script src=\"/static/chart.min.js\"></script>");
    const auto kpi = html.find("<script src=\"/static/kpi.js\"></script>");
    ASSERT_NE(chart, std::string::npos);
    ASSERT_NE(kpi, std::string::npos);
    EXPECT_LT(html.find("</main>"), chart);
    EXPECT_LT(chart, kpi);
    EXPECT_NE(html.find("id=\"nav-kpi\" href=\"/kpi\" class=\"active\""), std::string::npos);
}

TEST(board_pages_kpi, chart_data_is_json_with_the_figures_in_hours_and_percent) {
    const auto d = chart_data(render_kpi(ctx(), {}, parse(kpi_json())));
    ASSERT_TRUE(d.is_object());
    EXPECT_EQ(d["dwell"]["labels"][0], "Credit review");
    EXPECT_EQ(d["dwell"]["p50"][0], 2.0);
    EXPECT_EQ(d["dwell"]["p90"][1], 30.0);
    EXPECT_EQ(d["dwell"]["sla"][0], 4.0);
    EXPECT_TRUE(d["dwell"]["sla"][1].is_null());  // production: no SLA of its own
    EXPECT_TRUE(d["dwell"]["p50"][2].is_null());  // no stays: no dwell, not 0
    // SLA compliance per week weighted by stays: (3×1.0 + 1×0.0) / 4; no stays: a gap.
    EXPECT_EQ(d["weekly"]["labels"][0], "2026-W45");
    EXPECT_EQ(d["weekly"]["sla"][0], 75.0);
    EXPECT_TRUE(d["weekly"]["sla"][1].is_null());
    EXPECT_EQ(d["weekly"]["sla"][2], 50.0);
    EXPECT_EQ(d["weekly"]["otif"][0], 75.0);
    EXPECT_TRUE(d["weekly"]["otif"][1].is_null());
    // Exceptions: kinds along the axis, a stacked dataset per department.
    EXPECT_EQ(d["exceptions"]["labels"], nlohmann::json({"Stage overdue", "Credit hold"}));
    ASSERT_EQ(d["exceptions"]["datasets"].size(), 2u);
    EXPECT_EQ(d["exceptions"]["datasets"][0]["label"], "Production");
    EXPECT_EQ(d["exceptions"]["datasets"][0]["data"], nlohmann::json({2.0, 0.0}));
    EXPECT_EQ(d["exceptions"]["datasets"][1]["data"], nlohmann::json({3.0, 1.0}));
    // Mean time to resolve per kind, weighted by resolved: (1×2h + 3×1h) / 4; none resolved.
    EXPECT_EQ(d["resolve"]["data"][0], 1.25);
    EXPECT_TRUE(d["resolve"]["data"][1].is_null());
}

TEST(board_pages_kpi, chart_labels_are_in_the_readers_language) {
    const std::string html = render_kpi(ctx(lang::zh), {}, parse(kpi_json()));
    const auto d = chart_data(html);
    EXPECT_EQ(d["dwell"]["labels"][0], "信用审核");
    EXPECT_EQ(d["dwell"]["labels"][1], "生产");
    EXPECT_EQ(d["dwell"]["names"]["p50"], "中位数");
    EXPECT_EQ(d["weekly"]["labels"][0], "2026年第45周");
    EXPECT_EQ(d["exceptions"]["labels"][0], "阶段超时");
    EXPECT_EQ(d["exceptions"]["datasets"][1]["label"], "财务部");
    EXPECT_NE(html.find("<h1>关键指标</h1>"), std::string::npos);
    // No key without its text (kpi.js and kpi.csv are the page's script and the CSV's path).
    EXPECT_FALSE(std::regex_search(html, std::regex("kpi\\.(?!js\"|csv\\?)")));
    EXPECT_EQ(html.find("common."), std::string::npos);
}

TEST(board_pages_kpi, text_in_the_chart_data_cannot_close_the_script) {
    value k = parse(kpi_json());
    value_list stages = k.find("stages")->as_list();
    stages[0].set("stage", "</script><script>alert(1)</script>");
    k.set("stages", value(stages));
    const std::string html = render_kpi(ctx(), {}, k);
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_NE(html.find("\\u003c/script>\\u003cscript>alert(1)"), std::string::npos);
    EXPECT_EQ(chart_data(html)["dwell"]["labels"][0], "</script><script>alert(1)</script>");
    EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);  // table

    const std::string hostile = render_kpi(ctx(), {"\"><script>", "x&y"}, parse(kpi_json()));
    EXPECT_EQ(hostile.find("\"><script>"), std::string::npos);
    EXPECT_NE(hostile.find("/kpi.csv?from=%22%3E%3Cscript%3E&amp;until=x%26y"), std::string::npos);
}

TEST(board_pages_kpi, tables_repeat_the_figures) {
    const std::string html = render_kpi(ctx(), {}, parse(kpi_json()));
    EXPECT_NE(html.find("id=\"kpi-stages\""), std::string::npos);
    EXPECT_NE(html.find("<td>Credit review</td><td>Finance</td><td class=\"num\">5</td>"
                        "<td class=\"num\">2h</td><td class=\"num\">6h</td>"
                        "<td class=\"num\">4h</td><td class=\"num\">80.0%</td>"),
              std::string::npos);
    EXPECT_NE(html.find("id=\"kpi-otif\""), std::string::npos);
    EXPECT_NE(html.find("83.3%"), std::string::npos);  // OTIF share
    EXPECT_NE(html.find("7d"), std::string::npos);     // cycle time median
    EXPECT_NE(html.find("id=\"kpi-exceptions\""), std::string::npos);
    EXPECT_NE(html.find("<td>Stage overdue</td><td>Finance</td><td class=\"num\">3</td>"
                        "<td class=\"num\">3</td><td class=\"num\">1h</td>"),
              std::string::npos);
    EXPECT_NE(html.find("id=\"kpi-weeks\""), std::string::npos);
    EXPECT_NE(html.find("<td>2026-W46</td><td class=\"num\">0</td><td class=\"num\">—</td>"),
              std::string::npos);
}

TEST(board_pages_kpi, an_empty_or_mistyped_reply_renders_without_figures) {
    for (const value& k : {value(), value(value_map{}), value("x"),
                           parse(R"({"stages": 5, "series": [1, {"stages": {}}],
                                     "exceptions": [{"kind": 3}], "otif": []})")}) {
        const std::string html = render_kpi(ctx(), {}, k);
        EXPECT_NE(html.find("<canvas id=\"chart-resolve\""), std::string::npos);
        EXPECT_TRUE(chart_data(html).is_object());
        const std::string csv = kpi_csv(ctx(), k);
        EXPECT_EQ(csv.rfind("\xEF\xBB\xBFWeek,", 0), 0u);
    }
}

TEST(board_pages_kpi, csv_opens_in_a_spreadsheet) {
    const std::string csv = kpi_csv(ctx(), parse(kpi_json()));
    ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u);  // UTF-8 BOM first
    const auto lines = lines_of(csv.substr(3));
    ASSERT_GE(lines.size(), 4u);
    EXPECT_EQ(lines[0],
              "Week,Stays,Within SLA (share),Orders delivered,OTIF (share),Exceptions raised,"
              "Exceptions resolved");
    EXPECT_EQ(lines[1], "2026-W45,4,0.7500,4,0.7500,2,1");
    EXPECT_EQ(lines[2], "2026-W46,0,,0,,0,0");  // no stays, no deliveries: empty cells
    EXPECT_EQ(lines[3], "2026-W47,2,0.5000,2,1.0000,0,0");
    EXPECT_EQ(lines[4], "");
    EXPECT_EQ(lines[5].rfind("Stage,Holder,Stays,", 0), 0u);
    EXPECT_EQ(lines[6], "Credit review,Finance,5,2.00,6.00,4.00,0.8000,2");
    EXPECT_EQ(lines[8], "\"cut, pack\",Logistics,0,,,8.00,,2");  // quoted: it has a comma
    EXPECT_EQ(lines[9], "");
    EXPECT_EQ(lines[10],
              "Exception kind,Department,Exceptions raised,Exceptions resolved,"
              "Mean time to resolve (hours)");
    EXPECT_EQ(lines[11], "Stage overdue,Production,2,1,2.00");
    EXPECT_EQ(lines[13], "Credit hold,Finance,1,0,");
}

TEST(board_pages_kpi, csv_headers_in_chinese_and_quotes_doubled) {
    value k = parse(kpi_json());
    value_list stages = k.find("stages")->as_list();
    stages[0].set("stage", "say \"hi\"");
    stages[1].set("stage", "=HYPERLINK(\"x\")");
    k.set("stages", value(stages));
    const std::string csv = kpi_csv(ctx(lang::zh), k);
    const auto lines = lines_of(csv.substr(3));
    EXPECT_EQ(lines[0].rfind("周,经过次数,时限达成率（比例）", 0), 0u);
    EXPECT_EQ(lines[6].rfind("\"say \"\"hi\"\"\",财务部,", 0), 0u);
    EXPECT_EQ(lines[7].rfind("\"'=HYPERLINK(\"\"x\"\")\",", 0), 0u);  // not a formula
}

}  // namespace
}  // namespace baton::board
