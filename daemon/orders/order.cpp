// Order helpers and the order's (de)serialisation for snapshots.
#include "order.h"

#include <algorithm>
#include <map>
#include <string_view>

#include "codec.h"
#include "quantities.h"

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

bool order::on_hold(const std::string& hold) const {
    return std::find(holds.begin(), holds.end(), hold) != holds.end();
}

namespace {

template <typename Piece>
Piece* by_id(std::vector<Piece>& pieces, const std::string& id) {
    for (auto& p : pieces)
        if (p.id == id) return &p;
    return nullptr;
}

}  // namespace

order_case* order::find_case(const std::string& case_id) {
    return by_id(cases, case_id);
}

production_batch* order::find_batch(const std::string& batch_id) {
    return by_id(batches, batch_id);
}

shipment* order::find_shipment(const std::string& shipment_id) {
    return by_id(shipments, shipment_id);
}

invoice* order::find_invoice(const std::string& invoice_id) {
    return by_id(invoices, invoice_id);
}

std::int64_t order::invoiced_cents() const {
    std::int64_t sum = 0;
    for (const auto& i : invoices) sum += i.amount_cents;
    return sum;
}

const char* shipment_state_name(shipment_state s) {
    switch (s) {
        case shipment_state::on_road: return "on_road";
        case shipment_state::delivered: return "delivered";
        case shipment_state::failed: return "failed";
    }
    return "on_road";
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
    return milestone_map::number_of(name) >= 0;
}

namespace {

template <typename S>
value strings(const std::vector<S>& v) {
    value_list l;
    for (const auto& s : v) l.emplace_back(static_cast<const std::string&>(s));
    return value(std::move(l));
}

template <typename S = std::string>
std::vector<S> strings_of(const value* v) {
    std::vector<S> out;
    if (v && v->is_list())
        for (const auto& s : v->as_list())
            if (s.is_string()) out.emplace_back(s.as_string());
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

value quantities(const std::vector<line_qty>& qs) {
    value_list l;
    for (const auto& q : qs) {
        value e;
        e.set("line", static_cast<long long>(q.line));
        e.set("milli", static_cast<long long>(q.milli));
        if (!q.unit.empty()) e.set("unit", q.unit.str());
        l.push_back(std::move(e));
    }
    return value(std::move(l));
}

std::vector<line_qty> quantities_of(const value* v) {
    std::vector<line_qty> out;
    if (v && v->is_list())
        for (const auto& e : v->as_list())
            out.push_back({static_cast<int>(num(e, "line")), num(e, "milli"), str(e, "unit")});
    return out;
}

value batch_value(const production_batch& b) {
    value v;
    v.set("id", b.id);
    v.set("press_line", b.press_line);
    v.set("planned_start", b.planned_start);
    v.set("planned_finish", b.planned_finish);
    v.set("started", b.started);
    v.set("completed", b.completed);
    v.set("whole", b.whole);
    v.set("good", quantities(b.good));
    v.set("scrap", quantities(b.scrap));
    v.set("qc_failures", static_cast<long long>(b.qc_failures));
    v.set("scheduled_at", static_cast<long long>(b.scheduled_ms));
    v.set("completed_at", static_cast<long long>(b.completed_ms));
    v.set("event", b.event_id.str());
    return v;
}

production_batch batch_of(const value& v) {
    production_batch b;
    b.id = str(v, "id");
    b.press_line = str(v, "press_line");
    b.planned_start = str(v, "planned_start");
    b.planned_finish = str(v, "planned_finish");
    b.started = flag(v, "started");
    b.completed = flag(v, "completed");
    b.whole = flag(v, "whole");
    b.good = quantities_of(v.find("good"));
    b.scrap = quantities_of(v.find("scrap"));
    b.qc_failures = static_cast<int>(num(v, "qc_failures"));
    b.scheduled_ms = num(v, "scheduled_at");
    b.completed_ms = num(v, "completed_at");
    b.event_id = str(v, "event");
    return b;
}

value shipment_value(const shipment& s) {
    value v;
    v.set("id", s.id);
    v.set("vehicle", s.vehicle);
    v.set("carrier", s.carrier);
    v.set("expected_delivery", s.expected_delivery);
    v.set("state", shipment_state_name(s.state));
    v.set("whole", s.whole);
    v.set("sent", quantities(s.sent));
    v.set("received", quantities(s.received));
    v.set("dispatched_at", static_cast<long long>(s.dispatched_ms));
    v.set("answered_at", static_cast<long long>(s.answered_ms));
    v.set("failure", s.failure);
    v.set("event", s.event_id.str());
    v.set("dispatch_noted", s.dispatch_noted);
    return v;
}

shipment shipment_of(const value& v) {
    shipment s;
    s.id = str(v, "id");
    s.vehicle = str(v, "vehicle");
    s.carrier = str(v, "carrier");
    s.expected_delivery = str(v, "expected_delivery");
    const std::string state = str(v, "state");
    s.state = state == "delivered"sv ? shipment_state::delivered
              : state == "failed"sv  ? shipment_state::failed
                                     : shipment_state::on_road;
    s.whole = flag(v, "whole");
    s.sent = quantities_of(v.find("sent"));
    s.received = quantities_of(v.find("received"));
    s.dispatched_ms = num(v, "dispatched_at");
    s.answered_ms = num(v, "answered_at");
    s.failure = str(v, "failure");
    s.event_id = str(v, "event");
    s.dispatch_noted = flag(v, "dispatch_noted");
    return s;
}

value invoice_value(const invoice& i) {
    value v;
    v.set("id", i.id);
    v.set("shipment", i.shipment);
    v.set("amount_cents", static_cast<long long>(i.amount_cents));
    v.set("invoice_date", i.invoice_date);
    v.set("due_date", i.due_date);
    v.set("issued_at", static_cast<long long>(i.issued_ms));
    v.set("paid_cents", static_cast<long long>(i.paid_cents));
    v.set("settled_at", static_cast<long long>(i.settled_ms));
    return v;
}

invoice invoice_of(const value& v) {
    invoice i;
    i.id = str(v, "id");
    i.shipment = str(v, "shipment");
    i.amount_cents = num(v, "amount_cents");
    i.invoice_date = str(v, "invoice_date");
    i.due_date = str(v, "due_date");
    i.issued_ms = num(v, "issued_at");
    i.paid_cents = num(v, "paid_cents");
    i.settled_ms = num(v, "settled_at");
    return i;
}

template <typename T, typename Fn>
value list_value(const std::vector<T>& items, Fn fn) {
    value_list l;
    for (const auto& item : items) l.push_back(fn(item));
    return value(std::move(l));
}

template <typename T, typename Fn>
std::vector<T> list_of(const value* v, Fn fn) {
    std::vector<T> out;
    if (v && v->is_list())
        for (const auto& e : v->as_list()) out.push_back(fn(e));
    return out;
}

// An order stored before quantities (format 1): what it had proven stands for the whole order.
void upgrade_from_format_1(order& o) {
    if (o.has("scheduled") || o.has("produced")) {
        production_batch b;
        b.id = "#1";  // as batond names a batch its sender did not name
        b.planned_start = o.planned_start;
        b.planned_finish = o.planned_finish;
        b.started = o.has("started") || o.has("produced");
        b.completed = o.has("produced");
        b.whole = b.completed;
        b.scheduled_ms = o.has("scheduled") ? o.milestones.at("scheduled").at_ms : 0;
        b.completed_ms = b.completed ? o.milestones.at("produced").at_ms : 0;
        o.batches.push_back(std::move(b));
    }
    if (o.has("dispatched") || o.has("delivered")) {
        shipment s;
        s.id = "#1";
        s.whole = true;
        s.dispatch_noted = true;
        s.state = o.has("delivered") ? shipment_state::delivered : shipment_state::on_road;
        s.dispatched_ms = o.has("dispatched") ? o.milestones.at("dispatched").at_ms : 0;
        s.answered_ms = o.has("delivered") ? o.milestones.at("delivered").at_ms : 0;
        o.shipments.push_back(std::move(s));
    }
    // Its invoice and payments, without a due date (format 1 did not keep one): not aged.
    if (o.has("invoiced")) {
        invoice i;
        i.amount_cents = o.amount_cents;
        i.issued_ms = o.milestones.at("invoiced").at_ms;
        o.invoices.push_back(std::move(i));
    }
    if (o.paid_cents > 0)
        o.payments.push_back(
            {"", o.paid_cents, o.has("paid") ? o.milestones.at("paid").at_ms : 0, ""});
    allocate_payments(o);
    // What it added to its customer's open order value, as format 1 counted it.
    if (o.placed && !o.cancelled && !o.has("invoiced")) o.open_counted_cents = o.amount_cents;
}

}  // namespace

std::vector<order_line> lines_of(const value& lines) {
    std::vector<order_line> out;
    if (!lines.is_list()) return out;
    out.reserve(lines.as_list().size());  // exact: a large order keeps no spare capacity
    int no = 0;
    for (const auto& l : lines.as_list()) {
        order_line line;
        line.no = ++no;
        line.item = str(l, "item");
        line.die = str(l, "die");
        line.unit = str(l, "unit");
        if (const value* q = l.find("qty"); q && q->is_number())
            line.ordered_milli = to_milli(q->to_double());
        if (const value* a = l.find("amount_cents")) {
            std::int64_t cents = 0;
            if (a->to_int64(cents) && cents >= 0) line.amount_cents = cents;
        }
        out.push_back(std::move(line));
    }
    return out;
}

value to_value(const order& o) {
    value v;
    v.set("v", static_cast<long long>(order_format));
    v.set("id", o.id);
    v.set("customer", o.customer.str());
    v.set("placed", o.placed);
    v.set("cancelled", o.cancelled);
    v.set("cancel_reason", o.cancel_reason);
    v.set("amount_cents", static_cast<long long>(o.amount_cents));
    v.set("paid_cents", static_cast<long long>(o.paid_cents));
    v.set("charge_cents", static_cast<long long>(o.charge_cents));
    v.set("deposit_cents", static_cast<long long>(o.deposit_cents));
    v.set("open_counted_cents", static_cast<long long>(o.open_counted_cents));
    v.set("promised_date", o.promised_date.str());
    v.set("terms", o.terms.str());
    v.set("prepay_switched", o.prepay_switched);
    v.set("new_die", o.new_die);
    v.set("salesperson", o.salesperson.str());
    v.set("customer_po", o.customer_po);
    v.set("lines", lines_value(o));
    v.set("planned_start", o.planned_start.str());
    v.set("planned_finish", o.planned_finish.str());
    v.set("batches", list_value(o.batches, batch_value));
    v.set("shipments", list_value(o.shipments, shipment_value));
    v.set("invoices", list_value(o.invoices, invoice_value));
    v.set("payments", list_value(o.payments, [](const payment& p) {
              value e;
              e.set("invoice", p.invoice);
              e.set("amount_cents", static_cast<long long>(p.amount_cents));
              e.set("at", static_cast<long long>(p.at_ms));
              e.set("event", p.event_id.str());
              return e;
          }));
    value ms(value_map{});
    for (const auto& [name, m] : o.milestones) {
        value e;
        e.set("at", static_cast<long long>(m.at_ms));
        e.set("event", m.event_id.str());
        ms.set(name.str(), std::move(e));
    }
    v.set("milestones", std::move(ms));
    v.set("holds", strings(o.holds));
    v.set("stage", o.stage.str());
    v.set("holder", o.holder.str());
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
        cv.set("complaint_kind", c.complaint_kind);
        cv.set("line", static_cast<long long>(c.line));
        cv.set("outcome", c.outcome);
        cv.set("root_cause", c.root_cause);
        cv.set("credit_cents", static_cast<long long>(c.credit_cents));
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
        e.set("stage", sv.stage.str());
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
    o.charge_cents = num(v, "charge_cents");
    o.deposit_cents = num(v, "deposit_cents");
    o.open_counted_cents = num(v, "open_counted_cents");
    o.promised_date = str(v, "promised_date");
    o.terms = str(v, "terms");
    o.prepay_switched = flag(v, "prepay_switched");
    o.new_die = flag(v, "new_die");
    o.salesperson = str(v, "salesperson");
    o.customer_po = str(v, "customer_po");
    if (const value* l = v.find("lines"))
        set_lines(o, *l);
    else
        o.line_items = lines_of(value());
    o.planned_start = str(v, "planned_start");
    o.planned_finish = str(v, "planned_finish");
    o.batches = list_of<production_batch>(v.find("batches"), batch_of);
    o.shipments = list_of<shipment>(v.find("shipments"), shipment_of);
    o.invoices = list_of<invoice>(v.find("invoices"), invoice_of);
    o.payments = list_of<payment>(v.find("payments"), [](const value& e) {
        return payment{str(e, "invoice"), num(e, "amount_cents"), num(e, "at"), str(e, "event")};
    });
    if (const value* ms = v.find("milestones"); ms && ms->is_map())
        for (const auto& m : ms->as_map())
            o.milestones[m.key] = {num(m.val, "at"), str(m.val, "event")};
    o.holds = strings_of<interned>(v.find("holds"));
    o.stage = str(v, "stage");
    o.holder = str(v, "holder");
    o.stage_since_ms = num(v, "stage_since");
    o.departments = strings_of<interned>(v.find("departments"));
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
            c.complaint_kind = str(cv, "complaint_kind");
            c.line = static_cast<int>(num(cv, "line"));
            c.outcome = str(cv, "outcome");
            c.root_cause = str(cv, "root_cause");
            c.credit_cents = num(cv, "credit_cents");
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
    if (num(v, "v") < 2) upgrade_from_format_1(o);
    o.quantity_problems = !totals_of(o).problems.empty();
    return o;
}

value lines_value(const order& o) {
    value v;
    if (o.lines.empty()) return v;
    std::string error;
    // Bytes this batond encoded itself from a value it had accepted: always readable again.
    if (!decode_msgpack(o.lines, decode_limits::trusted(), v, error)) return value();
    return v;
}

void set_lines(order& o, const value& lines) {
    if (lines.is_nil())
        o.lines.clear();
    else
        o.lines = encode_msgpack(lines);
    o.lines.shrink_to_fit();  // the encoder's buffer grows by doubling: keep only the bytes
    o.line_items = lines_of(lines);
}

}  // namespace baton
