// Order helpers and the order's (de)serialisation for snapshots.
#include "order.h"

#include <algorithm>

namespace baton {

bool order::on_hold(const std::string& hold) const {
    return std::find(holds.begin(), holds.end(), hold) != holds.end();
}

order_case* order::find_case(const std::string& case_id) {
    for (auto& c : cases)
        if (c.id == case_id) return &c;
    return nullptr;
}

const char* milestone_of(const std::string& topic) {
    static const std::map<std::string, const char*> proves = {
        {"sales.order.placed", "placed"},
        {"finance.credit.approved", "credit_approved"},
        {"production.die.ready", "die_ready"},
        {"production.order.scheduled", "scheduled"},
        {"production.order.started", "started"},
        {"production.order.completed", "produced"},
        {"finance.payment.received", "paid"},
        {"logistics.shipment.dispatched", "dispatched"},
        {"logistics.shipment.delivered", "delivered"},
        {"finance.invoice.issued", "invoiced"},
    };
    auto it = proves.find(topic);
    return it == proves.end() ? "" : it->second;
}

bool is_milestone(const std::string& name) {
    for (const char* m : {"placed", "credit_approved", "die_ready", "scheduled", "started",
                          "produced", "paid", "dispatched", "delivered", "invoiced"})
        if (name == m) return true;
    return false;
}

namespace {

value strings(const std::vector<std::string>& v) {
    value_list l;
    for (const auto& s : v) l.emplace_back(s);
    return value(std::move(l));
}

std::vector<std::string> strings_of(const value* v) {
    std::vector<std::string> out;
    if (v && v->is_list())
        for (const auto& s : v->as_list())
            if (s.is_string()) out.push_back(s.as_string());
    return out;
}

std::string str(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_string() ? f->as_string() : std::string();
}

std::int64_t num(const value& v, const char* key) {
    std::int64_t n = 0;
    if (const value* f = v.find(key)) f->to_int64(n);
    return n;
}

bool flag(const value& v, const char* key) {
    const value* f = v.find(key);
    return f && f->is_bool() && f->as_bool();
}

}  // namespace

value to_value(const order& o) {
    value v;
    v.set("id", o.id);
    v.set("customer", o.customer);
    v.set("placed", o.placed);
    v.set("cancelled", o.cancelled);
    v.set("cancel_reason", o.cancel_reason);
    v.set("amount_cents", static_cast<long long>(o.amount_cents));
    v.set("paid_cents", static_cast<long long>(o.paid_cents));
    v.set("delivered_qty", o.delivered_qty);
    v.set("promised_date", o.promised_date);
    v.set("terms", o.terms);
    v.set("new_die", o.new_die);
    v.set("lines", o.lines);
    v.set("planned_start", o.planned_start);
    v.set("planned_finish", o.planned_finish);
    value ms(value_map{});
    for (const auto& [name, m] : o.milestones) {
        value e;
        e.set("at", static_cast<long long>(m.at_ms));
        e.set("event", m.event_id);
        ms.set(name, std::move(e));
    }
    v.set("milestones", std::move(ms));
    v.set("holds", strings(o.holds));
    v.set("stage", o.stage);
    v.set("holder", o.holder);
    v.set("stage_since", static_cast<long long>(o.stage_since_ms));
    v.set("departments", strings(o.departments));
    value_list cases;
    for (const auto& c : o.cases) {
        value cv;
        cv.set("id", c.id);
        cv.set("kind", c.kind);
        cv.set("state", c.state);
        cv.set("detail", c.detail);
        cv.set("resolution", c.resolution);
        cv.set("opened", static_cast<long long>(c.opened_ms));
        cv.set("closed", static_cast<long long>(c.closed_ms));
        cv.set("departments", strings(c.departments));
        cases.push_back(std::move(cv));
    }
    v.set("cases", value(std::move(cases)));
    value_list events;
    for (auto seq : o.events) events.emplace_back(static_cast<long long>(seq));
    v.set("events", value(std::move(events)));
    v.set("first_seen", static_cast<long long>(o.first_seen_ms));
    value_list visits;
    for (const auto& sv : o.visits) {
        value e;
        e.set("stage", sv.stage);
        e.set("entered", static_cast<long long>(sv.entered_ms));
        e.set("left", static_cast<long long>(sv.left_ms));
        visits.push_back(std::move(e));
    }
    v.set("visits", value(std::move(visits)));
    return v;
}

order order_from_value(const value& v) {
    order o;
    o.id = str(v, "id");
    o.customer = str(v, "customer");
    o.placed = flag(v, "placed");
    o.cancelled = flag(v, "cancelled");
    o.cancel_reason = str(v, "cancel_reason");
    o.amount_cents = num(v, "amount_cents");
    o.paid_cents = num(v, "paid_cents");
    if (const value* q = v.find("delivered_qty")) o.delivered_qty = q->to_double();
    o.promised_date = str(v, "promised_date");
    o.terms = str(v, "terms");
    o.new_die = flag(v, "new_die");
    if (const value* l = v.find("lines")) o.lines = *l;
    o.planned_start = str(v, "planned_start");
    o.planned_finish = str(v, "planned_finish");
    if (const value* ms = v.find("milestones"); ms && ms->is_map())
        for (const auto& m : ms->as_map())
            o.milestones[m.key] = {num(m.val, "at"), str(m.val, "event")};
    o.holds = strings_of(v.find("holds"));
    o.stage = str(v, "stage");
    o.holder = str(v, "holder");
    o.stage_since_ms = num(v, "stage_since");
    o.departments = strings_of(v.find("departments"));
    if (const value* cases = v.find("cases"); cases && cases->is_list())
        for (const auto& cv : cases->as_list()) {
            order_case c;
            c.id = str(cv, "id");
            c.kind = str(cv, "kind");
            c.state = str(cv, "state");
            c.detail = str(cv, "detail");
            c.resolution = str(cv, "resolution");
            c.opened_ms = num(cv, "opened");
            c.closed_ms = num(cv, "closed");
            c.departments = strings_of(cv.find("departments"));
            o.cases.push_back(std::move(c));
        }
    if (const value* events = v.find("events"); events && events->is_list())
        for (const auto& e : events->as_list()) {
            std::int64_t seq = 0;
            e.to_int64(seq);
            o.events.push_back(seq);
        }
    o.first_seen_ms = num(v, "first_seen");
    if (const value* visits = v.find("visits"); visits && visits->is_list())
        for (const auto& e : visits->as_list())
            o.visits.push_back({str(e, "stage"), num(e, "entered"), num(e, "left")});
    return o;
}

}  // namespace baton
