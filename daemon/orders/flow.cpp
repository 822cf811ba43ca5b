// Parsing and consistency checks of flow.yaml.
#include "flow.h"

#include <ctime>
#include <set>
#include <string_view>

#include "order.h"
#include "yaml_util.h"

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

bool is_department(const std::string& name) {
    for (const char* d : departments)
        if (name == d) return true;
    return false;
}

int tolerances::of(const std::string& unit) const {
    if (unit == "kg"sv) return kg_bp;
    if (unit == "m"sv) return m_bp;
    if (unit == "pcs"sv) return pcs_bp;
    return 0;
}

namespace {

// "2%", "0.5%" or "0%" in basis points, within [0, max_bp].
int percent_bp(const yaml::node& n, int max_bp) {
    const std::string text = n.as_string();
    std::string w = text;
    if (!w.empty() && w.back() == '%') w.pop_back();
    int bp = -1;
    try {
        std::size_t used = 0;
        const double p = std::stod(w, &used);
        // In range before it becomes an int: 1e300% is no percentage (and no int).
        if (used == w.size() && !w.empty() && text.back() == '%' && p >= 0 && p <= max_bp / 100.0)
            bp = static_cast<int>(p * 100 + 0.5);
    } catch (const std::exception&) {
    }
    if (bp < 0 || bp > max_bp)
        n.fail("expected a percentage from 0% to " + std::to_string(max_bp / 100) + "%, got '" +
               text + "'");
    return bp;
}

}  // namespace

flow_def load_flow(const std::string& path) {
    flow_def f;
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map with a 'stages' list");
    root.expect_keys({"auto_credit", "stages", "warning_at", "cases", "task_due", "tolerance",
                      "deposit", "overdue_hold_cents", "payment_days"});
    f.auto_credit = root.get_bool("auto_credit", false);
    if (root.has("tolerance")) {
        auto t = root.child("tolerance");
        t.expect_keys({"kg", "m", "pcs", "amount"});
        if (t.has("kg")) f.tolerance.kg_bp = percent_bp(t.child("kg"), 5000);
        if (t.has("m")) f.tolerance.m_bp = percent_bp(t.child("m"), 5000);
        if (t.has("pcs")) f.tolerance.pcs_bp = percent_bp(t.child("pcs"), 5000);
        if (t.has("amount")) f.tolerance.amount_bp = percent_bp(t.child("amount"), 5000);
    }
    if (root.has("deposit")) f.deposit_bp = percent_bp(root.child("deposit"), 10000);
    f.overdue_hold_cents = root.get_int("overdue_hold_cents", 0);
    if (f.overdue_hold_cents < 0) root.child("overdue_hold_cents").fail("must not be negative");
    if (root.has("payment_days")) {
        const std::int64_t days = root.get_int("payment_days", 30);
        if (days < 0 || days > 365) root.child("payment_days").fail("expected 0 to 365 days");
        f.payment_days = static_cast<int>(days);
    }
    if (root.has("warning_at")) {
        std::string w = root.child("warning_at").as_string();
        if (!w.empty() && w.back() == '%') w.pop_back();
        int percent = -1;
        try {
            std::size_t used = 0;
            percent = std::stoi(w, &used);
            if (used != w.size()) percent = -1;
        } catch (const std::exception&) {
        }
        if (percent < 1 || percent > 99)
            root.child("warning_at")
                .fail("expected a share of the SLA from 1% to 99%, got '" +
                      root.child("warning_at").as_string() + "'");
        f.warning_percent = percent;
    }
    if (root.has("cases")) {
        auto cases = root.child("cases");
        cases.expect_keys({"complaint", "return"});
        f.complaint_sla_us = cases.get_duration_us("complaint", f.complaint_sla_us);
        f.return_sla_us = cases.get_duration_us("return", f.return_sla_us);
        if (f.complaint_sla_us <= 0) cases.child("complaint").fail("must be longer than 0");
        if (f.return_sla_us <= 0) cases.child("return").fail("must be longer than 0");
    }
    f.task_due_us = root.get_duration_us("task_due", f.task_due_us);
    if (f.task_due_us <= 0) root.child("task_due").fail("must be longer than 0");
    if (!root.has("stages")) root.child("stages").fail("required key is missing");
    auto stages = root.child("stages");
    stages.expect_list();
    if (stages.size() == 0) stages.fail("a flow needs at least one stage");

    std::set<std::string> names, exits;
    for (std::size_t i = 0; i < stages.size(); ++i) {
        auto s = stages.item(i);
        s.expect_keys({"name", "holder", "sla", "sla_from", "exit", "relay", "when"});
        stage_def st;
        st.name = s.require_string("name");
        if (!names.insert(st.name).second)
            s.child("name").fail("stage '" + st.name + "' is defined twice");
        st.holder = s.require_string("holder");
        if (!is_department(st.holder))
            s.child("holder").fail("'" + st.holder +
                                   "' is not a department (sales, finance, production, logistics)");
        if (!s.has("sla")) s.child("sla").fail("required key is missing");
        st.sla_us = s.child("sla").as_duration_us();
        if (st.sla_us <= 0) s.child("sla").fail("must be longer than 0");
        st.sla_from = s.get_string("sla_from", "");
        if (!st.sla_from.empty() && st.sla_from != "planned_finish"sv)
            s.child("sla_from").fail("expected planned_finish, got '" + st.sla_from + "'");
        st.exit = s.require_string("exit");
        if (!is_milestone(st.exit))
            s.child("exit").fail("'" + st.exit +
                                 "' is not a milestone (credit_approved, die_ready, scheduled, "
                                 "started, produced, deposit_paid, paid, dispatched, delivered, "
                                 "invoiced)");
        if (st.exit == "placed"sv)
            s.child("exit").fail("'placed' starts the flow; no stage ends on it");
        if (!exits.insert(st.exit).second)
            s.child("exit").fail("milestone '" + st.exit + "' already ends another stage");
        st.relay = s.get_string("relay", "");
        if (!st.relay.empty()) {
            auto dot = st.relay.find('.');
            if (dot == std::string::npos || st.relay.find('.', dot + 1) != std::string::npos ||
                st.relay.substr(0, dot) != st.holder)
                s.child("relay").fail("expected '" + st.holder +
                                      ".<request>' (a topic to the holder), got '" + st.relay +
                                      "'");
        }
        st.when = s.get_string("when", "");
        if (!st.when.empty() && st.when != "new_die"sv && st.when != "prepay"sv &&
            st.when != "deposit"sv)
            s.child("when").fail("expected new_die, prepay or deposit, got '" + st.when + "'");
        // Only orders that owe a deposit can prove it: any other order would wait for ever.
        if (st.exit == "deposit_paid"sv && st.when != "deposit"sv)
            s.child("exit").fail("a stage that ends on deposit_paid needs `when: deposit`");
        f.stages.push_back(std::move(st));
    }
    return f;
}

bool stage_applies(const stage_def& s, const order& o) {
    if (s.when.empty()) return true;  // most stages: asked for every stage of every event
    if (s.when == "new_die"sv) return o.new_die;
    if (s.when == "prepay"sv) return o.terms == "prepay"sv;
    if (s.when == "deposit"sv) return o.deposit_cents > 0;
    return true;
}

stage_position derive_stage(const order& o, const flow_def& flow) {
    if (o.cancelled) return {"cancelled", "", nullptr};
    if (!o.placed) return {"awaiting_order", "sales", nullptr};
    for (const auto& s : flow.stages) {
        if (!stage_applies(s, o) || o.has(s.exit)) continue;
        return {s.name, s.holder, &s};
    }
    return {"closed", "", nullptr};
}

std::int64_t stage_deadline_ms(const order& o, const stage_def& s, std::int64_t entered_ms) {
    const std::int64_t sla_ms = s.sla_us / 1000;
    if (s.sla_from == "planned_finish"sv)
        if (auto start = date_start_ms(o.planned_finish))
            return *start + 86400000 + sla_ms;  // the whole planned day, then the SLA
    return entered_ms + sla_ms;
}

}  // namespace baton
