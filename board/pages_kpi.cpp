// The KPI page and its CSV (pages.h render_kpi, kpi_csv), from batond's `kpi` reply with
// `every: week`. The page embeds the figures as JSON for kpi.js, which draws them with Chart.js;
// the same figures follow as tables, so the page still reads without scripts.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"
#include "page_parts.h"
#include "pages.h"
#include "reply.h"

namespace baton::board {

namespace {

// A key that batond's reply leaves out reads as nothing (reply.h: figure_of gives NaN), which
// the page writes "—" and the CSV leaves empty; when adding up, a missing number counts as 0.
double num0(const value& x, std::string_view key) {
    const double n = figure_of(x, key);
    return std::isnan(n) ? 0 : n;
}

constexpr double ms_per_hour = 3600.0 * 1000.0;

// ---- the figures, shared by the page, its chart data and the CSV ----

struct stage_row {
    std::string stage, holder;
    double count, p50_h, p90_h, sla_h, within, open;  // NaN: no figure
};

struct exception_row {
    std::string kind, dept;
    double raised, resolved, mean_resolve_h;
};

struct week_row {
    std::string period;
    double stays = 0, within = NAN, delivered = 0, otif = NAN, raised = 0, resolved = 0;
};

std::vector<stage_row> stages_of(const value& report) {
    std::vector<stage_row> out;
    for (const value& s : list_of(report, "stages")) {
        stage_row r{
            str_of(s, "stage"),  str_of(s, "holder"), figure_of(s, "count"), NAN, NAN, NAN, NAN,
            figure_of(s, "open")};
        // Dwell and compliance of no stays are no figure, though batond writes 0 for them.
        if (r.count > 0) {
            r.p50_h = figure_of(s, "p50_ms") / ms_per_hour;
            r.p90_h = figure_of(s, "p90_ms") / ms_per_hour;
            r.within = figure_of(s, "within_sla");
        }
        // An SLA of 0 counts from the planned finish or there is none: nothing to draw.
        if (const double sla = figure_of(s, "sla_ms"); sla > 0) r.sla_h = sla / ms_per_hour;
        out.push_back(r);
    }
    return out;
}

std::vector<exception_row> exceptions_of(const value& report) {
    std::vector<exception_row> out;
    for (const value& e : list_of(report, "exceptions")) {
        exception_row r{str_of(e, "kind"), str_of(e, "dept"), figure_of(e, "raised"),
                        figure_of(e, "resolved"), NAN};
        if (r.resolved > 0) r.mean_resolve_h = figure_of(e, "mean_resolve_ms") / ms_per_hour;
        out.push_back(r);
    }
    return out;
}

// One row per week: the stays that ended in it and the share of them within their SLA (the
// stages' shares weighted by their stays), OTIF, and the exceptions raised in it.
std::vector<week_row> weeks_of(const value& kpi) {
    std::vector<week_row> out;
    for (const value& wk : list_of(kpi, "series")) {
        week_row r;
        r.period = str_of(wk, "period");
        double within = 0;
        for (const value& s : list_of(wk, "stages")) {
            const double n = num0(s, "count");
            r.stays += n;
            within += n * num0(s, "within_sla");
        }
        if (r.stays > 0) r.within = within / r.stays;
        const value& otif = map_of(wk, "otif");
        r.delivered = num0(otif, "delivered");
        if (r.delivered > 0) r.otif = num0(otif, "share");
        for (const value& e : list_of(wk, "exceptions")) {
            r.raised += num0(e, "raised");
            r.resolved += num0(e, "resolved");
        }
        out.push_back(r);
    }
    return out;
}

// Names in first-seen order (kinds and departments keep batond's order).
void add_unique(std::vector<std::string>& names, const std::string& name) {
    for (const auto& n : names)
        if (n == name) return;
    names.push_back(name);
}

bool digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// "2026-W45" and "2026-11" as the reader writes them ("2026年第45周", "2026年11月").
std::string period_label(lang l, const std::string& p) {
    const std::string_view s(p);
    if (s.size() == 8 && s[4] == '-' && s[5] == 'W' && digits(s.substr(0, 4)) &&
        digits(s.substr(6)))
        return tr_fmt(l, "kpi.week",
                      {s.substr(0, 4), s.substr(6), std::to_string(std::stoi(p.substr(6)))});
    if (s.size() == 7 && s[4] == '-' && digits(s.substr(0, 4)) && digits(s.substr(5)))
        return tr_fmt(l, "kpi.month",
                      {s.substr(0, 4), s.substr(5), std::to_string(std::stoi(p.substr(5)))});
    return p;
}

// ---- the chart data ----

// A figure for the charts: rounded, null when there is none (Chart.js leaves a gap).
value chart_number(double n, double scale = 1.0) {
    if (std::isnan(n)) return value();
    return value(std::round(n * scale * 100.0) / 100.0);
}

value chart_data(const view_ctx& v, const value& kpi) {
    value dwell;
    value_list labels, p50, p90, sla;
    for (const stage_row& s : stages_of(kpi)) {
        labels.emplace_back(term(v.l, "stage", s.stage));
        p50.push_back(chart_number(s.p50_h));
        p90.push_back(chart_number(s.p90_h));
        sla.push_back(chart_number(s.sla_h));
    }
    dwell.set("labels", value(std::move(labels)));
    dwell.set("p50", value(std::move(p50)));
    dwell.set("p90", value(std::move(p90)));
    dwell.set("sla", value(std::move(sla)));
    value dwell_names;
    dwell_names.set("p50", tr(v.l, "kpi.p50"));
    dwell_names.set("p90", tr(v.l, "kpi.p90"));
    dwell_names.set("sla", tr(v.l, "kpi.sla"));
    dwell.set("names", std::move(dwell_names));
    dwell.set("axis", tr(v.l, "kpi.hours"));

    value weekly;
    value_list periods, within, otif;
    for (const week_row& r : weeks_of(kpi)) {
        periods.emplace_back(period_label(v.l, r.period));
        within.push_back(chart_number(r.within, 100.0));
        otif.push_back(chart_number(r.otif, 100.0));
    }
    weekly.set("labels", value(std::move(periods)));
    weekly.set("sla", value(std::move(within)));
    weekly.set("otif", value(std::move(otif)));
    value weekly_names;
    weekly_names.set("sla", tr(v.l, "kpi.within_sla"));
    weekly_names.set("otif", tr(v.l, "kpi.otif"));
    weekly.set("names", std::move(weekly_names));
    weekly.set("axis", tr(v.l, "kpi.percent"));

    // Exceptions raised: kinds along the axis, one stacked dataset per department. Time to
    // resolve per kind: the departments' means weighted by how many each resolved.
    const std::vector<exception_row> rows = exceptions_of(kpi);
    std::vector<std::string> kinds, depts;
    for (const auto& r : rows) {
        add_unique(kinds, r.kind);
        add_unique(depts, r.dept);
    }
    value_list kind_labels, datasets, resolve;
    for (const auto& k : kinds) kind_labels.emplace_back(term(v.l, "kind", k));
    for (const auto& d : depts) {
        value_list counts;
        for (const auto& k : kinds) {
            double n = 0;
            for (const auto& r : rows)
                if (r.kind == k && r.dept == d && !std::isnan(r.raised)) n += r.raised;
            counts.emplace_back(n);
        }
        value ds;
        ds.set("label", term(v.l, "dept", d));
        ds.set("data", value(std::move(counts)));
        datasets.push_back(std::move(ds));
    }
    for (const auto& k : kinds) {
        double resolved = 0, hours = 0;
        for (const auto& r : rows)
            if (r.kind == k && r.resolved > 0 && !std::isnan(r.mean_resolve_h)) {
                resolved += r.resolved;
                hours += r.mean_resolve_h * r.resolved;
            }
        resolve.push_back(chart_number(resolved > 0 ? hours / resolved : NAN));
    }
    value exceptions;
    exceptions.set("labels", value(kind_labels));
    exceptions.set("datasets", value(std::move(datasets)));
    exceptions.set("axis", tr(v.l, "kpi.raised"));
    value resolve_chart;
    resolve_chart.set("labels", value(std::move(kind_labels)));
    resolve_chart.set("data", value(std::move(resolve)));
    resolve_chart.set("name", tr(v.l, "kpi.mean_resolve"));
    resolve_chart.set("axis", tr(v.l, "kpi.hours"));

    value out;
    out.set("dwell", std::move(dwell));
    out.set("weekly", std::move(weekly));
    out.set("exceptions", std::move(exceptions));
    out.set("resolve", std::move(resolve_chart));
    return out;
}

// JSON inside <script>: a "<" could close the element ("</script>") or open a comment, and
// inside JSON it only occurs in strings, where \u003c means the same.
std::string script_json(const value& data) {
    const std::string json = to_json(data);
    std::string out;
    out.reserve(json.size() + 16);
    for (char c : json) {
        if (c == '<')
            out += "\\u003c";
        else
            out += c;
    }
    return out;
}

// ---- the page ----

std::string count(const view_ctx& v, double n) {
    return fmt_number(v.l, n);
}
std::string hours(const view_ctx& v, double h) {
    if (std::isnan(h)) return "—";
    return esc(fmt_duration(v.l, static_cast<std::int64_t>(std::llround(h * ms_per_hour))));
}
std::string percent(const view_ctx& v, double share) {
    return fmt_percent(v.l, share);
}

std::string range_form(const view_ctx& v, const kpi_range& range) {
    std::string f = "<form id=\"kpi-range\" class=\"range\" method=\"get\" action=\"/kpi\">";
    f += "<label>" + t(v, "kpi.from") +
         " <input type=\"date\" id=\"kpi-from\" name=\"from\" value=\"" + esc(range.from) +
         "\"></label> ";
    f += "<label>" + t(v, "kpi.until") +
         " <input type=\"date\" id=\"kpi-until\" name=\"until\" value=\"" + esc(range.until) +
         "\"></label> ";
    f += "<button type=\"submit\">" + t(v, "kpi.show") + "</button> ";
    f += "<a id=\"kpi-csv\" class=\"button\" href=\"/kpi.csv?from=" + url_enc(range.from) +
         "&amp;until=" + url_enc(range.until) + "\" download>" + t(v, "kpi.csv") + "</a>";
    return f + "</form>";
}

std::string chart(const view_ctx& v, std::string_view id, std::string_view title_key) {
    return "<figure class=\"chart\"><figcaption>" + t(v, title_key) + "</figcaption><canvas id=\"" +
           std::string(id) + "\" role=\"img\" aria-label=\"" + t(v, title_key) +
           "\"></canvas></figure>";
}

std::string stages_table(const view_ctx& v, const value& kpi) {
    std::string rows;
    for (const stage_row& s : stages_of(kpi)) {
        const bool poor = !std::isnan(s.within) && s.within < 0.8;  // most stays late: show it
        rows += std::string(poor ? "<tr class=\"poor\">" : "<tr>") + td(word(v, "stage", s.stage)) +
                td(word(v, "dept", s.holder)) + td_num(count(v, s.count)) +
                td_num(hours(v, s.p50_h)) + td_num(hours(v, s.p90_h)) + td_num(hours(v, s.sla_h)) +
                td_num(percent(v, s.within)) + td_num(count(v, s.open)) + "</tr>";
    }
    return section(v, "kpi-stage-figures", "kpi.stages",
                   table(v, "kpi-stages",
                         {"common.stage", "common.holder", "#kpi.stays", "#kpi.p50", "#kpi.p90",
                          "#kpi.sla", "#kpi.within_sla", "#kpi.open_now"},
                         rows));
}

std::string delivery_table(const view_ctx& v, const value& kpi) {
    const value& otif = map_of(kpi, "otif");
    const value& otif_qty = map_of(kpi, "otif_quantity");
    const value& cycle = map_of(kpi, "cycle_time");
    const value& credit = map_of(kpi, "credit_holds");
    const value& die = map_of(kpi, "die_lead_time");
    auto row = [&](std::string_view key, const std::string& html) {
        return "<tr><th>" + t(v, key) + "</th>" + td_num(html) + "</tr>";
    };
    // batond writes shares and spreads of nothing as 0: show those as no figure.
    auto share = [&](const value& x, std::string_view key, std::string_view of) {
        return num0(x, of) > 0 ? percent(v, figure_of(x, key)) : std::string("—");
    };
    auto spread = [&](const value& x, std::string_view key) {
        return num0(x, "count") > 0 ? hours(v, figure_of(x, key) / ms_per_hour) : std::string("—");
    };
    std::string rows;
    rows += row("kpi.otif", share(otif, "share", "delivered"));
    rows += row("kpi.delivered", count(v, figure_of(otif, "delivered")));
    rows += row("kpi.on_time", count(v, figure_of(otif, "on_time")));
    rows += row("kpi.in_full", count(v, figure_of(otif, "in_full")));
    rows += row("kpi.otif_orders", count(v, figure_of(otif, "otif")));
    rows += row("kpi.otif_quantity", share(otif_qty, "share", "orders"));
    rows += row("kpi.otif_lines", share(otif_qty, "lines_share", "lines"));
    rows += row("kpi.cycle_p50", spread(cycle, "p50_ms"));
    rows += row("kpi.cycle_p90", spread(cycle, "p90_ms"));
    rows += row("kpi.die_p50", spread(die, "p50_ms"));
    rows += row("kpi.die_p90", spread(die, "p90_ms"));
    rows += row("kpi.credit_holds", count(v, figure_of(credit, "count")));
    rows +=
        row("kpi.credit_resolve", num0(credit, "resolved") > 0
                                      ? hours(v, figure_of(credit, "mean_resolve_ms") / ms_per_hour)
                                      : std::string("—"));
    return section(
        v, "kpi-delivery-figures", "kpi.delivery",
        "<table id=\"kpi-otif\" class=\"data facts-table\"><tbody>" + rows + "</tbody></table>");
}

std::string exceptions_table(const view_ctx& v, const value& kpi) {
    std::string rows;
    for (const exception_row& e : exceptions_of(kpi))
        rows += "<tr>" + td(word(v, "kind", e.kind)) + td(word(v, "dept", e.dept)) +
                td_num(count(v, e.raised)) + td_num(count(v, e.resolved)) +
                td_num(hours(v, e.mean_resolve_h)) + "</tr>";
    if (rows.empty())
        rows = "<tr><td colspan=\"5\" class=\"empty\">" + t(v, "kpi.none") + "</td></tr>";
    return section(
        v, "kpi-exception-figures", "kpi.exceptions",
        table(v, "kpi-exceptions",
              {"common.kind", "common.dept", "#kpi.raised", "#kpi.resolved", "#kpi.mean_resolve"},
              rows));
}

std::string weeks_table(const view_ctx& v, const value& kpi) {
    std::string rows;
    for (const week_row& r : weeks_of(kpi))
        rows += "<tr>" + td(esc(period_label(v.l, r.period))) + td_num(count(v, r.stays)) +
                td_num(percent(v, r.within)) + td_num(count(v, r.delivered)) +
                td_num(percent(v, r.otif)) + td_num(count(v, r.raised)) +
                td_num(count(v, r.resolved)) + "</tr>";
    if (rows.empty())
        rows = "<tr><td colspan=\"7\" class=\"empty\">" + t(v, "kpi.none") + "</td></tr>";
    return section(v, "kpi-week-figures", "kpi.weeks",
                   table(v, "kpi-weeks",
                         {"kpi.week_head", "#kpi.stays", "#kpi.within_sla", "#kpi.delivered",
                          "#kpi.otif", "#kpi.raised", "#kpi.resolved"},
                         rows));
}

// ---- the CSV ----

// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. A text
// field that a spreadsheet would take for a formula (=, +, -, @) gets a leading apostrophe:
// stage and department names come from a plant's own configuration.
std::string csv_text(std::string_view s) {
    std::string field(s);
    if (!field.empty() && (field[0] == '=' || field[0] == '+' || field[0] == '-' ||
                           field[0] == '@' || field[0] == '\t' || field[0] == '\r'))
        field.insert(0, "'");
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    std::string out = "\"";
    for (char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}
// Numbers plainly (no thousands separators, a point for decimals) so a spreadsheet reads them
// as numbers in any locale's default; an empty cell for no figure.
std::string csv_number(double n, int decimals) {
    if (std::isnan(n) || std::isinf(n)) return {};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, n);
    return buf;
}
std::string csv_row(std::initializer_list<std::string> fields) {
    std::string out;
    bool first = true;
    for (const auto& f : fields) {
        if (!first) out += ',';
        out += f;
        first = false;
    }
    return out + "\r\n";
}
std::string head(const view_ctx& v, std::string_view key) {
    return csv_text(tr(v.l, key));
}

}  // namespace

std::string render_kpi(const view_ctx& v, const kpi_range& range, const value& kpi) {
    std::string body;
    body += "<article class=\"kpi-page\"><h1>" + t(v, "kpi.title") + "</h1>";
    body += range_form(v, range);
    body += "<section id=\"kpi-charts\" class=\"charts\">";
    body += chart(v, "chart-dwell", "kpi.chart_dwell");
    body += chart(v, "chart-weekly", "kpi.chart_weekly");
    body += chart(v, "chart-exceptions", "kpi.chart_exceptions");
    body += chart(v, "chart-resolve", "kpi.chart_resolve");
    body += "</section>";
    body += stages_table(v, kpi);
    body += delivery_table(v, kpi);
    body += exceptions_table(v, kpi);
    body += weeks_table(v, kpi);
    body += "<script type=\"application/json\" id=\"kpi-data\">" + script_json(chart_data(v, kpi)) +
            "</script>";
    body += "</article>";
    return page(v, tr(v.l, "kpi.title"), "kpi", body,
                "<script src=\"/static/chart.min.js\"></script>"
                "<script src=\"/static/kpi.js\"></script>");
}

std::string kpi_csv(const view_ctx& v, const value& kpi) {
    std::string out = "\xEF\xBB\xBF";  // the BOM: Excel on Chinese Windows reads UTF-8 then
    out +=
        csv_row({head(v, "kpi.csv_period"), head(v, "kpi.csv_stays"), head(v, "kpi.csv_within_sla"),
                 head(v, "kpi.csv_delivered"), head(v, "kpi.csv_otif"), head(v, "kpi.csv_raised"),
                 head(v, "kpi.csv_resolved")});
    for (const week_row& r : weeks_of(kpi))
        out += csv_row({csv_text(r.period), csv_number(r.stays, 0), csv_number(r.within, 4),
                        csv_number(r.delivered, 0), csv_number(r.otif, 4), csv_number(r.raised, 0),
                        csv_number(r.resolved, 0)});
    out += "\r\n";
    out += csv_row({head(v, "kpi.csv_stage"), head(v, "kpi.csv_holder"), head(v, "kpi.csv_stays"),
                    head(v, "kpi.csv_p50_h"), head(v, "kpi.csv_p90_h"), head(v, "kpi.csv_sla_h"),
                    head(v, "kpi.csv_within_sla"), head(v, "kpi.csv_open")});
    for (const stage_row& s : stages_of(kpi))
        out += csv_row({csv_text(term(v.l, "stage", s.stage)),
                        csv_text(s.holder.empty() ? "" : term(v.l, "dept", s.holder)),
                        csv_number(s.count, 0), csv_number(s.p50_h, 2), csv_number(s.p90_h, 2),
                        csv_number(s.sla_h, 2), csv_number(s.within, 4), csv_number(s.open, 0)});
    out += "\r\n";
    out += csv_row({head(v, "kpi.csv_kind"), head(v, "kpi.csv_dept"), head(v, "kpi.csv_raised"),
                    head(v, "kpi.csv_resolved"), head(v, "kpi.csv_mean_resolve_h")});
    for (const exception_row& e : exceptions_of(kpi))
        out += csv_row({csv_text(term(v.l, "kind", e.kind)),
                        csv_text(e.dept.empty() ? "" : term(v.l, "dept", e.dept)),
                        csv_number(e.raised, 0), csv_number(e.resolved, 0),
                        csv_number(e.mean_resolve_h, 2)});
    return out;
}

}  // namespace baton::board
