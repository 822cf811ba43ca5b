// batonctl's rendering of control replies and relay data, from hand-built replies: the columns
// a person reads, the CSV a spreadsheet reads, and the live lines of `batonctl tail`.
#include "render.h"

#include <gtest/gtest.h>

#include "codec.h"
#include "json.h"

#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace baton::ctl {
namespace {

constexpr std::int64_t now = 1795000000000;  // 2026-11-18, a Wednesday
constexpr std::int64_t minute = 60000, hour = 60 * minute;

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

value exception(const std::string& id, const std::string& severity, const std::string& detail) {
    value e;
    e.set("id", id);
    e.set("kind", "stage_overdue");
    e.set("severity", severity);
    e.set("dept", "finance");
    e.set("order", "SO-123");
    e.set("customer", "C-1001");
    e.set("state", "open");
    e.set("raised_at", static_cast<long long>(now - 2 * hour - 13 * minute));
    e.set("updated_at", static_cast<long long>(now - hour));
    e.set("detail", detail);
    return e;
}

value task(const std::string& id, std::int64_t due_ms, const std::string& state) {
    value t;
    t.set("id", id);
    t.set("dept", "finance");
    t.set("order", "SO-123");
    t.set("action", "finance: move SO-123 out of credit_review");
    t.set("due_at", static_cast<long long>(due_ms));
    t.set("state", state);
    return t;
}

value stage_row(const std::string& stage, const std::string& holder, long long count, long long p50,
                long long p90, double within, long long open) {
    value s;
    s.set("stage", stage);
    s.set("holder", holder);
    s.set("count", count);
    s.set("p50_ms", p50);
    s.set("p90_ms", p90);
    s.set("within_sla", within);
    s.set("open", open);
    return s;
}

value kpi_reply() {
    value r;
    r.set("ok", true);
    r.set("stages",
          value_list{stage_row("credit_review", "finance", 4, 90 * minute, 5 * hour, 0.75, 2),
                     stage_row("scheduling", "production", 0, 0, 0, 0.0, 1)});
    value cycle;
    cycle.set("count", 3);
    cycle.set("p50_ms", static_cast<long long>(5 * 24 * hour + 3 * hour));
    cycle.set("p90_ms", static_cast<long long>(9 * 24 * hour));
    r.set("cycle_time", cycle);
    value otif;
    otif.set("delivered", 4);
    otif.set("on_time", 3);
    otif.set("in_full", 4);
    otif.set("otif", 3);
    otif.set("share", 0.75);
    r.set("otif", otif);
    value ex;
    ex.set("kind", "credit_hold");
    ex.set("dept", "finance");
    ex.set("raised", 2);
    ex.set("resolved", 1);
    ex.set("mean_resolve_ms", static_cast<long long>(3 * hour));
    value open_only;
    open_only.set("kind", "qc_failed");
    open_only.set("dept", "production, line 2");  // a comma, to be quoted in CSV
    open_only.set("raised", 1);
    open_only.set("resolved", 0);
    open_only.set("mean_resolve_ms", 0);
    r.set("exceptions", value_list{ex, open_only});
    value holds;
    holds.set("count", 2);
    holds.set("resolved", 1);
    holds.set("mean_resolve_ms", static_cast<long long>(3 * hour));
    r.set("credit_holds", holds);
    value die;
    die.set("count", 0);
    die.set("p50_ms", 0);
    die.set("p90_ms", 0);
    r.set("die_lead_time", die);
    value window;
    window.set("since", 0);
    window.set("until", std::numeric_limits<long long>::max());
    r.set("window", window);
    return r;
}

TEST(render, exceptions_table_shows_every_column_with_age_and_clips_long_details) {
    value r;
    r.set("ok", true);
    const std::string long_detail =
        "SO-123 has been in credit_review for 6h2m; SLA 4h; holder finance; task T-3 overdue";
    r.set("exceptions",
          value_list{exception("E-7", "high", long_detail), exception("E-12", "warning", "short")});
    const std::string out = render_exceptions(r, now);
    const auto lines = lines_of(out);
    ASSERT_EQ(lines.size(), 3u) << out;
    EXPECT_EQ(lines[0].rfind("ID    SEVERITY  KIND", 0), 0u) << out;
    for (const char* column : {"DEPT", "ORDER", "CUSTOMER", "STATE", "RAISED", "DETAIL"})
        EXPECT_TRUE(has(lines[0], column)) << column;
    EXPECT_TRUE(has(lines[1], "E-7   high"));
    EXPECT_TRUE(has(lines[1], "stage_overdue  finance  SO-123  C-1001    open"));
    EXPECT_TRUE(has(lines[1], format_time(now - 2 * hour - 13 * minute) + " (2h13m ago)"));
    EXPECT_FALSE(has(lines[1], long_detail));
    EXPECT_TRUE(has(lines[1], long_detail.substr(0, 57) + "...")) << lines[1];
    EXPECT_TRUE(has(lines[2], "short"));
    // The detail column starts at the same place on every line.
    EXPECT_EQ(lines[1].find("SO-123 has been"), lines[2].find("short"));
}

TEST(render, no_exceptions_and_no_tasks_say_so) {
    value r;
    r.set("ok", true);
    r.set("exceptions", value_list{});
    r.set("tasks", value_list{});
    EXPECT_EQ(render_exceptions(r, now), "no exceptions match\n");
    EXPECT_EQ(render_tasks(r, now), "no tasks match\n");
}

TEST(render, tasks_show_when_due_or_how_long_overdue) {
    value r;
    r.set("ok", true);
    r.set("tasks", value_list{task("T-3", now - 3 * hour, "escalated"),
                              task("T-4", now + 2 * hour, "open")});
    const auto lines = lines_of(render_tasks(r, now));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].rfind("ID   DEPT     ORDER   ACTION   ", 0), 0u) << lines[0];
    // Columns line up under their headers.
    EXPECT_EQ(lines[0].find("DUE"), lines[1].find(format_time(now - 3 * hour)));
    EXPECT_EQ(lines[0].find("STATE"), lines[2].find("open"));
    EXPECT_TRUE(has(lines[1], format_time(now - 3 * hour) + " (3h0m overdue)  escalated"));
    EXPECT_TRUE(has(lines[2], format_time(now + 2 * hour) + " (in 2h0m)"));
    EXPECT_TRUE(has(lines[2], "T-4  finance  SO-123  finance: move SO-123 out of credit_review"));
}

TEST(render, acts_name_the_record_what_was_done_and_by_whom) {
    EXPECT_EQ(render_act("ack", "E-7", "lead"), "E-7 acknowledged by lead\n");
    EXPECT_EQ(render_act("resolve", "E-7", "lead"), "E-7 resolved by lead\n");
    EXPECT_EQ(render_act("task_done", "T-2", "clerk"), "T-2 done by clerk\n");
}

TEST(render, kpi_table_has_stage_rows_then_the_summaries) {
    const std::string out = render_kpi(kpi_reply());
    const auto lines = lines_of(out);
    EXPECT_EQ(lines[0], "KPIs from the start until now (until excluded)");
    EXPECT_EQ(lines[2], "STAGE          HOLDER      COUNT  P50    P90   WITHIN SLA %  OPEN");
    EXPECT_EQ(lines[3], "credit_review  finance     4      1h30m  5h0m  75.0          2");
    // No dwell measured: no percentiles and no share, rather than misleading zeros.
    EXPECT_EQ(lines[4], "scheduling     production  0      -      -     -             1");
    EXPECT_TRUE(has(out, "Cycle time (placed to delivered): 3 orders, p50 5d3h, p90 9d0h\n"));
    EXPECT_TRUE(has(out, "OTIF: 4 delivered, 3 on time, 4 in full, 3 on time in full (75.0%)\n"));
    EXPECT_TRUE(has(out, "KIND         DEPT                RAISED  RESOLVED  MEAN TO RESOLVE\n"));
    EXPECT_TRUE(has(out, "credit_hold  finance             2       1         3h0m\n"));
    EXPECT_TRUE(has(out, "qc_failed    production, line 2  1       0         -\n"));
    EXPECT_TRUE(has(out, "Credit holds: 2 raised, 1 resolved, 3h0m to resolve on average\n"));
    EXPECT_TRUE(has(out, "Die lead time: no die made ready\n"));
}

TEST(render, kpi_table_names_a_bounded_window_and_short_durations_in_ms) {
    value r = kpi_reply();
    value window;
    window.set("since", static_cast<long long>(now));
    window.set("until", static_cast<long long>(now + 24 * hour));
    r.set("window", window);
    r.set("stages", value_list{stage_row("credit_review", "finance", 1, 850, 850, 1.0, 0)});
    const std::string out = render_kpi(r);
    EXPECT_TRUE(has(out, "KPIs from " + format_time(now) + " until " +
                             format_time(now + 24 * hour) + " (until excluded)"))
        << out;
    EXPECT_TRUE(has(out, "credit_review  finance  1      850ms  850ms  100.0")) << out;
}

TEST(render, kpi_csv_has_a_header_per_section_and_rows_named_by_section) {
    const std::string out = render_kpi_csv(kpi_reply());
    const std::string expected =
        "section,since,until\n"
        "window,0,9223372036854775807\n"
        "section,stage,holder,count,p50_ms,p90_ms,within_sla,open\n"
        "stages,credit_review,finance,4,5400000,18000000,0.75,2\n"
        "stages,scheduling,production,0,0,0,0,1\n"
        "section,count,p50_ms,p90_ms\n"
        "cycle_time,3,442800000,777600000\n"
        "section,delivered,on_time,in_full,otif,share\n"
        "otif,4,3,4,3,0.75\n"
        "section,kind,dept,raised,resolved,mean_resolve_ms\n"
        "exceptions,credit_hold,finance,2,1,10800000\n"
        "exceptions,qc_failed,\"production, line 2\",1,0,0\n"
        "section,count,resolved,mean_resolve_ms\n"
        "credit_holds,2,1,10800000\n"
        "section,count,p50_ms,p90_ms\n"
        "die_lead_time,0,0,0\n";
    EXPECT_EQ(out, expected);
}

TEST(render, feed_line_shows_time_state_id_severity_kind_dept_order_and_detail) {
    value data = exception("E-7", "high", "SO-123 has been in credit_review for 6h2m");
    data.set("state", "raised");
    data.set("ts", static_cast<long long>(now));
    EXPECT_EQ(render_feed_line(data, false),
              format_time(now) +
                  "  raised        E-7    high      stage_overdue     finance     SO-123    "
                  "SO-123 has been in credit_review for 6h2m\n");
    // Without ts, the record's own updated_at.
    value no_ts = exception("E-7", "high", "d");
    no_ts.set("state", "escalated");
    EXPECT_EQ(render_feed_line(no_ts, false).rfind(format_time(now - hour) + "  escalated", 0), 0u);
}

TEST(render, feed_line_says_who_acknowledged_or_resolved_and_why) {
    value data = exception("E-7", "high", "late");
    data.set("state", "resolved");
    data.set("by", "lead");
    data.set("note", "customer agreed");
    EXPECT_TRUE(has(render_feed_line(data, false), "late (resolved by lead: customer agreed)\n"));
    data.set("state", "acknowledged");
    data.set("note", "");
    EXPECT_TRUE(has(render_feed_line(data, false), "late (acknowledged by lead)\n"));
    data.set("state", "raised");  // a raise carries no actor
    EXPECT_TRUE(has(render_feed_line(data, false), "late\n"));
}

TEST(render, feed_line_colours_severity_and_state_only_when_asked) {
    value data = exception("E-7", "critical", "late");
    data.set("state", "escalated");
    data.set("ts", static_cast<long long>(now));
    const std::string plain = render_feed_line(data, false);
    const std::string coloured = render_feed_line(data, true);
    EXPECT_FALSE(has(plain, "\033["));
    EXPECT_TRUE(has(coloured, "\033[1;31mescalated\033[0m   ")) << coloured;
    EXPECT_TRUE(has(coloured, "\033[1;31mcritical\033[0m  ")) << coloured;
    // Colour codes aside, the line is the same: columns stay aligned on a terminal.
    std::string stripped = coloured;
    for (std::size_t at; (at = stripped.find("\033[")) != std::string::npos;)
        stripped.erase(at, stripped.find('m', at) - at + 1);
    EXPECT_EQ(stripped, plain);

    data.set("state", "resolved");
    data.set("severity", "medium");
    const std::string resolved = render_feed_line(data, true);
    EXPECT_TRUE(has(resolved, "\033[32mresolved\033[0m")) << resolved;
    EXPECT_TRUE(has(resolved, "\033[33mmedium\033[0m")) << resolved;
}

TEST(render, feed_line_of_an_escalated_task_is_marked_as_a_task) {
    value data = task("T-3", now - hour, "escalated");
    data.set("ts", static_cast<long long>(now));
    EXPECT_EQ(render_feed_line(data, false),
              format_time(now) +
                  "  task escalated  T-3  finance  SO-123  finance: move SO-123 out of "
                  "credit_review (due " +
                  format_time(now - hour) + ")\n");
}

TEST(render, dates_are_local_midnights_and_impossible_dates_are_refused) {
    auto day = local_midnight_ms("2026-11-26");
    ASSERT_TRUE(day.has_value());
    EXPECT_EQ(format_time(*day), "2026-11-26 00:00:00");
    auto next = local_midnight_ms("2026-11-27");
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next - *day, 24 * hour);
    EXPECT_EQ(format_time(*local_midnight_ms("2028-02-29")), "2028-02-29 00:00:00");
    for (const char* bad : {"2026-02-30", "2026-13-01", "2026-00-10", "2027-02-29", "26-11-26",
                            "2026/11/26", "2026-11-2", "2026-11-26x", "", "yesterday"})
        EXPECT_FALSE(local_midnight_ms(bad).has_value()) << bad;
}

// Text from batond's replies (most of it from department events) that would act on a terminal:
// an OSC sequence that sets the window title, then one that clears the screen, and a C1 CSI.
const std::string hostile =
    "SO-1\x1b]0;pwned\x07\x1b[2J\xc2\x9b"
    "31m";
const std::string hostile_shown = "SO-1\\x1b]0;pwned\\x07\\x1b[2J\\u009b31m";

// Nothing in `text` that a terminal acts on: no control byte but the line ends, no DEL, no C1,
// and valid UTF-8.
void expect_terminal_safe(const std::string& text, const char* what) {
    EXPECT_TRUE(is_utf8(text)) << what;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        EXPECT_FALSE((c < 0x20 && c != '\n') || c == 0x7f) << what << ": byte " << i;
        if (c == 0xc2 && i + 1 < text.size()) {
            const auto n = static_cast<unsigned char>(text[i + 1]);
            EXPECT_FALSE(n >= 0x80 && n <= 0x9f) << what << ": C1 at byte " << i;
        }
    }
}

TEST(render, escape_sequences_in_an_exception_are_shown_escaped) {
    value e = exception("E-1", "high", hostile);
    e.set("order", hostile);
    e.set("customer", hostile);
    value r;
    r.set("exceptions", value_list{e});
    const std::string text = render_exceptions(r, now);
    expect_terminal_safe(text, "exceptions");
    EXPECT_TRUE(has(text, hostile_shown)) << text;
}

TEST(render, every_table_and_line_escapes_what_it_prints) {
    value o;
    for (const char* key : {"id", "customer", "stage", "holder", "promised_date", "terms",
                            "planned_finish", "cancel_reason"})
        o.set(key, hostile);
    o.set("holds", value_list{value(hostile)});
    value milestones;
    milestones.set(hostile, 1795000000000LL);
    o.set("milestones", milestones);
    value c;
    for (const char* key : {"id", "kind", "state", "detail", "resolution"}) c.set(key, hostile);
    o.set("cases", value_list{c});
    value h;
    for (const char* key : {"topic", "id", "source"}) h.set(key, hostile);
    h.set("received", 1795000000000LL);
    o.set("history", value_list{h});
    value order_reply;
    order_reply.set("order", o);
    value orders_reply;
    orders_reply.set("orders", value_list{o});

    value env;
    env.set("order", hostile);
    env.set("cause", hostile);
    value data;
    data.set(hostile, hostile);
    env.set("data", data);
    value message;
    message.set("seq", 1);
    message.set("topic", hostile);
    message.set("envelope", env);
    value replay_reply;
    replay_reply.set("messages", value_list{message});

    value t = task("T-1", now + hour, "open");
    t.set("order", hostile);
    t.set("action", hostile);
    t.set("dept", hostile);
    value tasks_reply;
    tasks_reply.set("tasks", value_list{t});

    value status;
    status.set("version", hostile);
    value counters;
    value nacks;
    nacks.set(hostile, 3);
    counters.set("nacks", nacks);
    counters.set(hostile, hostile);
    status.set("counters", counters);

    value kpi = kpi_reply();
    value row = stage_row(hostile, hostile, 1, 1, 1, 1.0, 0);
    kpi.set("stages", value_list{row});

    value feed = exception("E-1", hostile, hostile);
    feed.set("state", "resolved");
    feed.set("by", hostile);
    feed.set("note", hostile);
    feed.set("order", hostile);
    feed.set("kind", hostile);
    value feed_task = task("T-1", now, hostile);
    feed_task.set("id", hostile);

    const std::pair<const char*, std::string> outputs[] = {
        {"order", render_order(order_reply, now)},
        {"orders", render_orders(orders_reply, now)},
        {"replay", render_replay(replay_reply)},
        {"tasks", render_tasks(tasks_reply, now)},
        {"status", render_status(status, now)},
        {"kpi", render_kpi(kpi)},
        {"kpi csv", render_kpi_csv(kpi)},
        {"act", render_act("ack", hostile, hostile)},
        {"feed line", render_feed_line(feed, false)},
        {"task feed line", render_feed_line(feed_task, false)},
    };
    for (const auto& [what, text] : outputs) {
        expect_terminal_safe(text, what);
        EXPECT_TRUE(has(text, "\\x1b]0;pwned\\x07")) << what << ":\n" << text;
    }
}

TEST(render, chinese_text_is_shown_as_it_is) {
    value o;
    o.set("id", "订单-1187");
    o.set("customer", "苏州铝业有限公司");
    o.set("stage", "credit_review");
    value r;
    r.set("orders", value_list{o});
    const std::string text = render_orders(r, now);
    EXPECT_TRUE(has(text, "订单-1187")) << text;
    EXPECT_TRUE(has(text, "苏州铝业有限公司")) << text;
    value e = exception("E-1", "high", "交货延迟：模具未就绪");
    value er;
    er.set("exceptions", value_list{e});
    EXPECT_TRUE(has(render_exceptions(er, now), "交货延迟：模具未就绪"));
}

TEST(render, json_output_escapes_every_control_character) {
    value v;
    v.set("order", hostile + "\x7f");
    v.set("customer", "苏州铝业");
    const std::string compact = to_json(v);
    const std::string indented = to_json(v, 2);
    expect_terminal_safe(compact, "json");
    expect_terminal_safe(indented, "json indented");
    EXPECT_TRUE(has(compact, R"(SO-1\u001b]0;pwned\u0007\u001b[2J\u009b31m\u007f)")) << compact;
    EXPECT_TRUE(has(compact, "苏州铝业")) << compact;
}

// --- the order's pieces, the customer views and the KPI breakdowns ---------------------------

value qty_row(long long line, double qty) {
    value q;
    q.set("line", line);
    q.set("qty", qty);
    q.set("unit", "kg");
    return q;
}

value line_row(long long no, const std::string& item, double ordered, double good,
               double dispatched, double delivered, double backorder) {
    value l;
    l.set("no", no);
    l.set("item", item);
    l.set("die", "D-" + std::to_string(no));
    l.set("unit", "kg");
    l.set("ordered", ordered);
    l.set("good", good);
    l.set("scrap", 0.0);
    l.set("dispatched", dispatched);
    l.set("delivered", delivered);
    l.set("on_road", dispatched - delivered);
    l.set("backorder", backorder);
    return l;
}

value invoice_row(const std::string& id, long long amount, long long paid, long long days,
                  const std::string& ageing) {
    value inv;
    inv.set("id", id);
    inv.set("order", "SO-1");
    inv.set("amount_cents", amount);
    inv.set("due_date", "2026-11-01");
    inv.set("paid_cents", paid);
    inv.set("open_cents", amount - paid);
    inv.set("days_overdue", days);
    inv.set("ageing", ageing);
    inv.set("settled_at", paid >= amount ? static_cast<long long>(now - hour) : 0LL);
    return inv;
}

value order_with_pieces() {
    value o;
    o.set("id", "SO-1");
    o.set("customer", "C-1001");
    o.set("stage", "in_transit");
    o.set("holder", "logistics");
    o.set("since", static_cast<long long>(now - hour));
    o.set("amount_cents", 1843000);
    o.set("paid_cents", 400000);
    o.set("terms", "credit");
    o.set("salesperson", "k.ito");
    o.set("customer_po", "PO-4711");
    o.set("deposit_cents", 0);
    o.set("charge_cents", 0);
    o.set("line_items", value_list{line_row(1, "PRF-D-4411", 1200, 1200, 1200, 800, 0),
                                   line_row(2, "PRF-D-0930", 350.5, 300, 0, 0, 350.5)});
    value whole;
    whole.set("produced", false);
    whole.set("dispatched", false);
    whole.set("delivered", false);
    o.set("whole", whole);
    o.set("quantity_problems", value_list{});
    value rest;
    rest.set("line", 2);
    rest.set("item", "PRF-D-0930");
    rest.set("qty", 350.5);
    rest.set("unit", "kg");
    o.set("backorder", value_list{rest});
    value dn1;
    dn1.set("id", "DN-1");
    dn1.set("state", "delivered");
    dn1.set("vehicle", "WI-AL 411");
    dn1.set("carrier", "Spedition Ost");
    dn1.set("lines", value_list{qty_row(1, 800)});
    dn1.set("received", value_list{qty_row(1, 795.5)});
    dn1.set("dispatched_at", static_cast<long long>(now - 3 * hour));
    dn1.set("answered_at", static_cast<long long>(now - hour));
    value dn2 = dn1;
    dn2.set("id", "DN-2");
    dn2.set("state", "on_road");
    dn2.set("lines", value_list{qty_row(1, 400)});
    dn2.set("received", value_list{});
    dn2.set("answered_at", 0);
    o.set("shipments", value_list{dn1, dn2});
    o.set("invoices", value_list{invoice_row("INV-1", 1400000, 400000, 16, "0-30"),
                                 invoice_row("INV-0", 50000, 50000, 16, "")});
    o.set("invoiced_cents", 1450000);
    o.set("owed_cents", 1000000);
    o.set("unapplied_cents", 0);
    value pay;
    pay.set("amount_cents", 400000);
    pay.set("invoice", "INV-1");
    pay.set("at", static_cast<long long>(now - hour));
    o.set("payments", value_list{pay});
    value k;
    k.set("id", "K-1");
    k.set("kind", "complaint");
    k.set("complaint_kind", "surface");
    k.set("line", 2);
    k.set("state", "closed");
    k.set("opened", static_cast<long long>(now - 2 * hour));
    k.set("resolution", "re-anodised");
    k.set("outcome", "credit_note");
    k.set("root_cause", "bath temperature drift");
    k.set("credit_cents", 25000);
    o.set("cases", value_list{k});
    value reply;
    reply.set("order", o);
    return reply;
}

TEST(render, order_says_what_left_what_is_still_to_ship_and_what_is_owed) {
    const std::string out = render_order(order_with_pieces(), now);
    EXPECT_TRUE(has(out, "salesperson  k.ito\n")) << out;
    EXPECT_TRUE(has(out, "customer PO  PO-4711\n")) << out;
    EXPECT_TRUE(has(out,
                    "Where it stands\n"
                    "  left the plant  2 shipments: 1 delivered, 1 on the road\n"
                    "  still to ship   line 2 (PRF-D-0930) 350.5 kg\n"
                    "  owed            10,000.00 of 14,500.00 invoiced; INV-1 16 days "
                    "overdue (0-30)\n"))
        << out;
    EXPECT_TRUE(has(out,
                    "  2     PRF-D-0930  kg    350.5    300       0      0           0    "
                    "      350.5\n"))
        << out;
    // What was received differs from what was sent: both are shown.
    EXPECT_TRUE(has(out,
                    "  DN-1      delivered    WI-AL 411  Spedition Ost  1: 800 kg, received "
                    "1: 795.5 kg"))
        << out;
    EXPECT_TRUE(has(out, "  DN-2      on the road")) << out;
    EXPECT_TRUE(has(out, "  INV-0    500.00     2026-11-01  500.00    0.00       settled " +
                             format_time(now - hour)))
        << out;
    EXPECT_TRUE(has(out, "  K-1   complaint (surface), line 2  closed  " +
                             format_time(now - 2 * hour) +
                             "  credit_note  bath temperature drift  250.00  re-anodised"))
        << out;
}

TEST(render, order_of_an_older_batond_shows_no_pieces) {
    value o;
    o.set("id", "SO-1");
    o.set("stage", "shipping");
    value reply;
    reply.set("order", o);
    const std::string out = render_order(reply, now);
    EXPECT_FALSE(has(out, "Where it stands")) << out;
    EXPECT_FALSE(has(out, "Lines")) << out;
    EXPECT_FALSE(has(out, "archived")) << out;
}

TEST(render, an_archived_order_says_it_is_read_from_the_store) {
    value o;
    o.set("id", "SO-1");
    o.set("stage", "closed");
    o.set("archived", true);
    value reply;
    reply.set("order", o);
    const std::string out = render_order(reply, now);
    EXPECT_TRUE(has(out, "archived")) << out;
    EXPECT_TRUE(has(out, "yes: closed past its retention, read from the store")) << out;
}

TEST(render, invoices_say_when_they_are_due) {
    value o = order_with_pieces();
    value& order = o.as_map()[0].val;
    order.set("invoices", value_list{invoice_row("INV-A", 1000, 0, -1, "not_due"),
                                     invoice_row("INV-B", 1000, 0, -4, "not_due"),
                                     invoice_row("INV-C", 1000, 0, 1, "0-30")});
    const std::string out = render_order(o, now);
    EXPECT_TRUE(has(out, "due today\n")) << out;
    EXPECT_TRUE(has(out, "due in 3 days\n")) << out;
    EXPECT_TRUE(has(out, "1 day overdue (0-30)\n")) << out;
}

value customer_reply() {
    value c;
    c.set("id", "C-1001");
    c.set("name", "Nordfassaden GmbH");
    c.set("tier", "key");
    c.set("terms", "credit");
    c.set("credit_limit_cents", 50000000);
    c.set("payment_days", 45);
    c.set("blocked", false);
    c.set("account_manager", "s.wolf");
    c.set("country", "DE");
    value exposure;
    exposure.set("receivable_cents", 48000000);
    exposure.set("open_orders_cents", 4000000);
    exposure.set("exposure_cents", 52000000);
    exposure.set("credit_limit_cents", 50000000);
    exposure.set("headroom_cents", -2000000);
    exposure.set("share_used", 1.04);
    exposure.set("over_limit", true);
    c.set("exposure", exposure);
    c.set("overdue_cents", 1200000);
    value receivables;
    receivables.set("as_of", static_cast<long long>(now));
    receivables.set("open_cents", 1000000);
    receivables.set("past_due_cents", 1000000);
    value_list buckets;
    for (const char* b : {"not_due", "0-30", "31-60", "61-90", "90+"}) {
        value row;
        row.set("bucket", b);
        row.set("count", std::string(b) == "31-60" ? 1 : 0);
        row.set("cents", std::string(b) == "31-60" ? 1000000 : 0);
        buckets.push_back(row);
    }
    receivables.set("buckets", buckets);
    receivables.set("invoices", value_list{invoice_row("INV-1", 1400000, 400000, 40, "31-60")});
    c.set("receivables", receivables);
    c.set("orders_total", 7);
    c.set("orders_open", 2);
    value so2;
    so2.set("id", "SO-2");
    so2.set("since", static_cast<long long>(now - 2 * hour));
    so2.set("promised_date", "2026-12-18");
    so2.set("amount_cents", 500000);
    so2.set("holds", value_list{value("limit")});
    value rest;
    rest.set("line", 1);
    rest.set("item", "PRF-D-4411");
    rest.set("qty", 1200.0);
    rest.set("unit", "kg");
    so2.set("backorder", value_list{rest});
    value stage;
    stage.set("stage", "credit_review");
    stage.set("holder", "finance");
    stage.set("count", 1);
    stage.set("amount_cents", 500000);
    stage.set("orders", value_list{so2});
    c.set("open_orders", value_list{stage});
    c.set("exceptions", value_list{exception("E-4", "high", "SO-2 waits on a credit hold")});
    c.set("cases", value_list{});
    value otif;
    otif.set("delivered", 4);
    otif.set("on_time", 3);
    otif.set("in_full", 4);
    otif.set("otif", 3);
    otif.set("share", 0.75);
    c.set("otif", otif);
    value q;
    q.set("orders", 4);
    q.set("orders_otif", 3);
    q.set("share", 0.75);
    q.set("lines", 9);
    q.set("lines_otif", 8);
    q.set("lines_share", 8.0 / 9.0);
    c.set("otif_quantity", q);
    value cycle;
    cycle.set("count", 4);
    cycle.set("p50_ms", static_cast<long long>(6 * 24 * hour));
    cycle.set("p90_ms", static_cast<long long>(9 * 24 * hour));
    c.set("cycle_time", cycle);
    value reply;
    reply.set("customer", c);
    return reply;
}

TEST(render, customer_shows_exposure_against_the_limit_receivables_and_open_work) {
    const std::string out = render_customer(customer_reply(), now);
    const auto lines = lines_of(out);
    EXPECT_EQ(lines[0], "Customer C-1001 Nordfassaden GmbH");
    EXPECT_TRUE(has(out, "terms            credit, 45 days\n")) << out;
    EXPECT_TRUE(has(out, "account manager  s.wolf\n")) << out;
    EXPECT_TRUE(has(out,
                    "exposure         520,000.00 (receivable 480,000.00 + open orders "
                    "40,000.00), 104.0% of the limit, OVER by 20,000.00\n"))
        << out;
    EXPECT_TRUE(has(out,
                    "overdue          12,000.00 as finance reports it; 10,000.00 past due "
                    "on batond's invoices\n"))
        << out;
    EXPECT_TRUE(has(out, "orders           7 (2 open)\n")) << out;
    EXPECT_TRUE(has(out,
                    "OTIF             4 orders delivered, 3 on time in full (75.0%); lines 8 "
                    "of 9 in full by the promised day (88.9%)\n"))
        << out;
    EXPECT_TRUE(has(out, "cycle time       p50 6d0h, p90 9d0h (placed to delivered)\n")) << out;
    EXPECT_TRUE(has(out, "  31-60 days   1         10,000.00\n")) << out;
    EXPECT_TRUE(has(out, "  total                  10,000.00\n")) << out;
    EXPECT_TRUE(has(out,
                    "  INV-1    SO-1   14,000.00  10,000.00  2026-11-01  40 days overdue "
                    "(31-60)\n"))
        << out;
    EXPECT_TRUE(has(out, "  credit_review  SO-2   " + format_time(now - 2 * hour) +
                             " (2h0m ago)  2026-12-18  5,000.00  limit  line 1 (PRF-D-4411) 1200 "
                             "kg\n"))
        << out;
    EXPECT_TRUE(has(out, "  E-4  high      stage_overdue  SO-123")) << out;
    EXPECT_TRUE(has(out, "Open cases: none\n")) << out;
}

TEST(render, customers_table_has_one_row_each_and_aligns_accented_names) {
    value a;
    a.set("id", "C-1001");
    a.set("name", "Nordfassaden GmbH");
    a.set("tier", "key");
    a.set("terms", "credit");
    a.set("exposure_cents", 52000000);
    a.set("credit_limit_cents", 50000000);
    a.set("over_limit", true);
    a.set("overdue_cents", 1200000);
    a.set("past_due_cents", 1000000);
    a.set("open_orders", 2);
    a.set("open_exceptions", 1);
    a.set("blocked", false);
    value b = a;
    b.set("id", "C-1004");
    b.set("name", "Kovács Építő Kft");
    b.set("tier", "C");
    b.set("terms", "prepay");
    b.set("credit_limit_cents", 0);
    b.set("over_limit", false);
    b.set("blocked", true);
    value r;
    r.set("customers", value_list{a, b});
    r.set("total", 3);
    const auto lines = lines_of(render_customers(r));
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[0],
              "CUSTOMER  NAME               TIER  TERMS   EXPOSURE    LIMIT       USED %      "
              "OVERDUE    PAST DUE   OPEN ORDERS  EXCEPTIONS  BLOCKED");
    EXPECT_EQ(lines[1],
              "C-1001    Nordfassaden GmbH  key   credit  520,000.00  500,000.00  104.0 OVER  "
              "12,000.00  10,000.00  2            1           no");
    EXPECT_EQ(lines[2],
              "C-1004    Kovács Építő Kft   C     prepay  520,000.00  none        -           "
              "12,000.00  10,000.00  2            1           yes");
    EXPECT_EQ(lines[3], "(2 of 3 shown; use --limit)");
    value none;
    none.set("customers", value_list{});
    EXPECT_EQ(render_customers(none), "no customers match\n");
}

// A KPI report as batond sends it since quantities: the old sections and the new ones.
value full_kpi(long long delivered, long long complaints) {
    value r = kpi_reply();
    r.as_map().erase(r.as_map().begin());  // no "ok" inside groups and periods
    value otif = *r.find("otif");
    otif.set("delivered", delivered);
    r.set("otif", otif);
    value q;
    q.set("orders", 4);
    q.set("orders_otif", 2);
    q.set("share", 0.5);
    q.set("lines", 8);
    q.set("lines_otif", 6);
    q.set("lines_share", 0.75);
    r.set("otif_quantity", q);
    value c;
    c.set("count", complaints);
    c.set("credit_cents", 25000);
    value kind;
    kind.set("kind", "surface");
    kind.set("count", complaints);
    value cause;
    cause.set("root_cause", "");
    cause.set("count", complaints);
    value die;
    die.set("die", "D-4411");
    die.set("count", complaints);
    c.set("by_kind", value_list{kind});
    c.set("by_root_cause", value_list{cause});
    c.set("by_die", value_list{die});
    r.set("complaints", c);
    value iv;
    iv.set("orders", 4);
    iv.set("invoiced_cents", 7000000);
    iv.set("delivered_value_cents", 7372000);
    iv.set("difference_cents", -372000);
    iv.set("uninvoiced", 1);
    r.set("invoiced_vs_delivered", iv);
    value rec;
    rec.set("as_of", static_cast<long long>(now));
    rec.set("open_cents", 1000000);
    value_list buckets;
    for (const char* b : {"not_due", "0-30", "31-60", "61-90", "90+"}) {
        value row;
        row.set("bucket", b);
        row.set("count", std::string(b) == "90+" ? 1 : 0);
        row.set("cents", std::string(b) == "90+" ? 1000000 : 0);
        buckets.push_back(row);
    }
    rec.set("buckets", buckets);
    r.set("receivables", rec);
    return r;
}

TEST(render, kpi_table_shows_the_sections_that_came_with_quantities) {
    const std::string out = render_kpi(full_kpi(4, 3));
    EXPECT_TRUE(has(out,
                    "OTIF per promised quantity: 2 of 4 orders (50.0%), 6 of 8 lines (75.0%) "
                    "in full by the promised day\n"))
        << out;
    EXPECT_TRUE(has(out,
                    "Complaints: 3, 250.00 credited\n"
                    "  by kind: surface 3\n"
                    "  by root cause: (not yet found) 3\n"
                    "  by die: D-4411 3\n"))
        << out;
    EXPECT_TRUE(has(out,
                    "Invoiced against delivered (orders delivered in the window): 4 orders, "
                    "invoiced 70,000.00, delivered value 73,720.00, difference -3,720.00, 1 "
                    "not invoiced\n"))
        << out;
    EXPECT_TRUE(has(out, "90+ days     1         10,000.00\n")) << out;
    // The old report, from an older batond, has none of them.
    EXPECT_FALSE(has(render_kpi(kpi_reply()), "Complaints"));
}

TEST(render, kpi_by_group_and_period_compares_them_then_reports_each) {
    value r = full_kpi(4, 3);
    value w45 = full_kpi(1, 0), w46 = full_kpi(3, 3);
    w45.set("period", "2026-W45");
    w46.set("period", "2026-W46");
    value g1 = full_kpi(3, 2), g2 = full_kpi(1, 1);
    g1.set("group", "C-1001");
    g1.set("name", "Nordfassaden GmbH");
    g2.set("group", "");
    g1.set("series", value_list{w45});
    g2.set("series", value_list{w46});
    r.set("by", "customer");
    r.set("groups", value_list{g1, g2});
    r.set("every", "week");
    r.set("series", value_list{w45, w46});
    const std::string out = render_kpi(r);
    EXPECT_TRUE(has(out, "\nPer week\nPERIOD    DELIVERED  OTIF %")) << out;
    EXPECT_TRUE(has(out,
                    "\n2026-W46  3          75.0    5d3h       9d0h       3           3    "
                    "       70,000.00  73,720.00        10,000.00\n"))
        << out;
    EXPECT_TRUE(has(out, "\nPer customer\nGROUP                     DELIVERED")) << out;
    EXPECT_TRUE(has(out, "\nC-1001 Nordfassaden GmbH  3  ")) << out;
    EXPECT_TRUE(has(out, "\n(none)                    1  ")) << out;
    EXPECT_TRUE(has(out, "\n=== customer C-1001 Nordfassaden GmbH ===\n")) << out;
    EXPECT_TRUE(has(out, "\n=== customer (none) ===\n")) << out;

    const std::string csv = render_kpi_csv(r);
    const auto lines = lines_of(csv);
    EXPECT_EQ(lines[0], "section,group,period,since,until");
    EXPECT_EQ(lines[1], "window,,,0,9223372036854775807");
    EXPECT_EQ(lines[2], "window,,2026-W45,0,9223372036854775807");
    EXPECT_EQ(lines[4], "window,C-1001,,0,9223372036854775807");
    EXPECT_EQ(lines[5], "window,C-1001,2026-W45,0,9223372036854775807");
    EXPECT_TRUE(has(csv,
                    "section,group,period,kind,count\n"
                    "complaints_by_kind,,,surface,3\n"))
        << csv;
    EXPECT_TRUE(has(csv,
                    "section,group,period,as_of,bucket,count,cents\n"
                    "receivables,,," +
                        std::to_string(now) + ",not_due,0,0\n"))
        << csv;
    // Without groups or a series the CSV keeps its columns, the new sections at the end.
    const std::string plain = render_kpi_csv(full_kpi(4, 3));
    EXPECT_EQ(lines_of(plain)[0], "section,since,until");
    EXPECT_TRUE(has(plain,
                    "section,orders,invoiced_cents,delivered_value_cents,difference_cents,"
                    "uninvoiced\ninvoiced_vs_delivered,4,7000000,7372000,-372000,1\n"))
        << plain;
}

TEST(render, customer_views_and_the_order_pieces_escape_what_they_print) {
    value o = order_with_pieces();
    value& order = o.as_map()[0].val;
    order.set("salesperson", hostile);
    order.set("backorder", value_list{[] {
                  value b;
                  b.set("line", 1);
                  b.set("item", hostile);
                  b.set("qty", 1.0);
                  b.set("unit", hostile);
                  return b;
              }()});
    value c = customer_reply();
    value& customer = c.as_map()[0].val;
    customer.set("name", hostile);
    customer.set("account_manager", hostile);
    value row;
    row.set("id", hostile);
    row.set("name", hostile);
    value rows;
    rows.set("customers", value_list{row});
    value k = full_kpi(1, 1);
    value g = full_kpi(1, 1);
    g.set("group", hostile);
    k.set("by", "salesperson");
    k.set("groups", value_list{g});
    for (const auto& [what, text] :
         std::vector<std::pair<const char*, std::string>>{{"order", render_order(o, now)},
                                                          {"customer", render_customer(c, now)},
                                                          {"customers", render_customers(rows)},
                                                          {"kpi groups", render_kpi(k)},
                                                          {"kpi groups csv", render_kpi_csv(k)}}) {
        expect_terminal_safe(text, what);
        EXPECT_TRUE(has(text, "\\x1b]0;pwned\\x07")) << what << ":\n" << text;
    }
}

}  // namespace
}  // namespace baton::ctl
