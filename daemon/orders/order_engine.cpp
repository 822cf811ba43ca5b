// Facts in, stage changes and relay messages out.
#include "order_engine.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "codec.h"
#include "credit.h"

namespace baton {

namespace {

std::string text(const value& data, const char* key) {
    const value* v = data.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

bool integer(const value& data, const char* key, std::int64_t& out) {
    const value* v = data.find(key);
    return v && v->to_int64(out);
}

// An order no longer counts towards its customer's exposure once invoiced or cancelled.
bool counts_as_open(const order& o) {
    return o.placed && !o.cancelled && !o.has("invoiced");
}

}  // namespace

order_engine::order_engine(flow_def flow, customer_book customers)
    : flow_(std::move(flow)), customers_(std::move(customers)) {}

const order* order_engine::find(const std::string& id) const {
    auto it = orders_.find(id);
    return it == orders_.end() ? nullptr : &it->second;
}

std::size_t order_engine::open_orders() const {
    std::size_t n = 0;
    for (const auto& [id, o] : orders_) n += o.open() ? 1 : 0;
    return n;
}

std::vector<std::string> order_engine::take_changed() {
    std::vector<std::string> out(changed_.begin(), changed_.end());
    changed_.clear();
    return out;
}

value order_engine::state() const {
    std::vector<const order*> sorted;
    for (const auto& [id, o] : orders_) sorted.push_back(&o);
    std::sort(sorted.begin(), sorted.end(),
              [](const order* a, const order* b) { return a->id < b->id; });
    value_list list;
    for (const order* o : sorted) list.push_back(to_value(*o));
    value v;
    v.set("orders", value(std::move(list)));
    v.set("customers", customers_.to_value());
    v.set("relay_seq", static_cast<unsigned long long>(relay_seq_));
    return v;
}

void order_engine::restore(std::vector<order> orders, customer_book customers,
                           std::uint64_t relay_seq) {
    orders_.clear();
    for (auto& o : orders) {
        std::string id = o.id;
        orders_.emplace(std::move(id), std::move(o));
    }
    customers_ = std::move(customers);
    relay_seq_ = relay_seq;
    changed_.clear();
}

void order_engine::adjust_open(const order& o, std::int64_t delta_cents) {
    if (!o.customer.empty()) customers_.at(o.customer).open_cents += delta_cents;
}

void order_engine::note_department(order& o, const std::string& dept) {
    if (dept.empty()) return;
    if (std::find(o.departments.begin(), o.departments.end(), dept) == o.departments.end())
        o.departments.push_back(dept);
}

void order_engine::emit(std::vector<relay_message>& out, const std::string& topic, const order& o,
                        const envelope& cause, std::int64_t received_ms, value data) {
    emit_notice(out, topic, o.id, cause.id, received_ms, std::move(data));
}

void order_engine::update_masters(const std::vector<customer>& seed) {
    for (const auto& c : seed) customers_.at(c.id).master = c;
}

value order_engine::summary(const order& o) const {
    value d;
    d.set("customer", o.customer);
    d.set("stage", o.stage);
    d.set("amount_cents", static_cast<long long>(o.amount_cents));
    d.set("promised_date", o.promised_date);
    d.set("terms", o.terms);
    d.set("new_die", o.new_die);
    if (!o.planned_finish.empty()) d.set("planned_finish", o.planned_finish);
    d.set("lines", o.lines.is_nil() ? value(value_list{}) : o.lines);
    return d;
}

order_change order_engine::apply(std::int64_t seq, std::int64_t received_ms, const envelope& e,
                                 std::vector<relay_message>& out) {
    order_change change;
    const value& data = e.data;
    // Facts about a customer, not an order.
    using customer_handler = void (order_engine::*)(const value&);
    static const std::unordered_map<std::string_view, customer_handler> customer_facts = {
        {"finance.receivable.updated", &order_engine::on_receivable},
        {"sales.customer.updated", &order_engine::on_customer_updated},
    };
    if (auto it = customer_facts.find(e.topic); it != customer_facts.end()) {
        (this->*(it->second))(data);
        return change;
    }
    if (!e.order) return change;  // every other topic names an order (the schemas enforce it)
    auto [it, fresh] = orders_.try_emplace(*e.order);
    order& o = it->second;
    if (fresh) {
        o.id = *e.order;
        o.first_seen_ms = received_ms;
    }
    o.events.push_back(seq);
    changed_.insert(o.id);
    change.o = &o;
    change.previous_stage = o.stage;
    change.previous_holder = o.holder;
    change.anomalies = anomalies_of(o, e);
    const std::string promised_before = o.promised_date;
    apply_order_fact(o, received_ms, e, out);
    // A department that proved a milestone has had the order in hand, even when its fact came
    // before the order reached its stage: it must hear of a cancel all the same.
    if (*milestone_of(e.topic) && e.topic.rfind("sales.", 0) != 0 && !o.cancelled)
        note_department(o, e.topic.substr(0, e.topic.find('.')));
    update_stage(o, received_ms, e, out);
    change.stage_changed = o.stage != change.previous_stage;
    change.promise_changed = o.promised_date != promised_before;
    return change;
}

std::vector<anomaly> order_engine::anomalies_of(const order& o, const envelope& e) const {
    std::vector<anomaly> found;
    if (o.cancelled && e.topic != "sales.order.cancelled") {
        found.push_back({e.topic + " arrived after the order was cancelled", ""});
        return found;
    }
    if (e.topic == "logistics.shipment.dispatched" && !o.has("dispatched")) {
        if (!o.has("produced"))
            found.push_back({"dispatched before production was completed", "produced"});
        if (o.placed && o.terms == "prepay" && !o.has("paid"))
            found.push_back({"dispatched without payment from a prepay customer", "paid"});
    }
    return found;
}

void order_engine::emit_notice(std::vector<relay_message>& out, const std::string& topic,
                               const std::string& order_id, const std::string& cause,
                               std::int64_t now_ms, value data) {
    envelope e;
    e.seq = ++relay_seq_;
    e.id = "baton-" + std::to_string(*e.seq);
    e.source = "baton";
    e.topic = topic;
    e.ts_ms = now_ms;
    if (!order_id.empty()) e.order = order_id;
    if (!cause.empty()) e.cause = cause;
    e.data = std::move(data);
    out.push_back({*e.seq, topic, encode_envelope(e)});
}

void order_engine::on_receivable(const value& data) {
    std::int64_t balance = 0;
    integer(data, "balance_cents", balance);
    customers_.at(text(data, "customer")).receivable_cents = balance;
}

void order_engine::on_customer_updated(const value& data) {
    auto& m = customers_.at(text(data, "customer")).master;
    if (auto name = text(data, "name"); !name.empty()) m.name = name;
    if (auto tier = text(data, "tier"); !tier.empty()) m.tier = tier;
    if (auto terms = text(data, "terms"); !terms.empty()) m.terms = terms;
    integer(data, "credit_limit_cents", m.credit_limit_cents);
}

// --- facts: one handler per topic -----------------------------------------------------------

// What one fact is applied with.
struct order_engine::fact {
    order& o;
    std::int64_t received_ms;
    const envelope& e;
    std::vector<relay_message>& out;
    const value& data;
    const std::string& topic;
    // The first proof of a fact stands; repeats are history, not news.
    void prove(const std::string& name) {
        o.milestones.try_emplace(name, milestone{received_ms, e.id});
    }
};

void order_engine::on_placed(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    const std::int64_t received_ms = f.received_ms;
    const envelope& e = f.e;
    if (o.placed) return;  // a second placement of the same order is only history
    o.customer = text(data, "customer");
    integer(data, "amount_cents", o.amount_cents);
    o.promised_date = text(data, "promised_date");
    const auto* account = customers_.find(o.customer);
    o.terms = text(data, "terms");
    if (o.terms.empty()) o.terms = account ? account->master.terms : "credit";
    const value* nd = data.find("new_die");
    o.new_die = nd && nd->is_bool() && nd->as_bool();
    if (const value* lines = data.find("lines")) o.lines = *lines;
    o.placed = true;
    f.prove("placed");
    // A payment booked before the order proves payment only if it covers the amount.
    if (o.has("paid") && o.paid_cents < o.amount_cents) o.milestones.erase("paid");
    if (!o.cancelled && !o.has("invoiced")) adjust_open(o, o.amount_cents);
    // Auto credit: a credit-terms customer within its limit needs no credit review.
    if (auto_credit(flow_, o, customers_) == credit_decision::approve)
        o.milestones.try_emplace("credit_approved", milestone{received_ms, e.id});
}

void order_engine::on_amended(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    const std::int64_t received_ms = f.received_ms;
    const envelope& e = f.e;
    std::vector<relay_message>& out = f.out;
    value changes(value_map{});
    const bool was_open = counts_as_open(o);
    std::int64_t amount = 0;
    if (integer(data, "amount_cents", amount) && amount != o.amount_cents) {
        if (was_open) adjust_open(o, amount - o.amount_cents);
        o.amount_cents = amount;
        changes.set("amount_cents", static_cast<long long>(amount));
        // Payment proves itself against the amount as it now stands, until shipment.
        if (o.placed && !o.has("dispatched")) {
            if (o.paid_cents < o.amount_cents)
                o.milestones.erase("paid");
            else if (o.paid_cents > 0)
                o.milestones.try_emplace("paid", milestone{received_ms, e.id});
        }
    }
    if (auto d = text(data, "promised_date"); !d.empty() && d != o.promised_date) {
        o.promised_date = d;
        changes.set("promised_date", d);
    }
    if (auto t = text(data, "terms"); !t.empty() && t != o.terms) {
        o.terms = t;
        changes.set("terms", t);
    }
    if (const value* nd = data.find("new_die"); nd && nd->is_bool() && nd->as_bool() != o.new_die) {
        o.new_die = nd->as_bool();
        changes.set("new_die", o.new_die);
    }
    if (const value* lines = data.find("lines");
        lines && encode_msgpack(*lines) != encode_msgpack(o.lines)) {
        o.lines = *lines;
        changes.set("lines", *lines);
    }
    // Nothing changed, or nobody left to tell: history only.
    if (changes.as_map().empty() || o.cancelled) return;
    value d;
    d.set("customer", o.customer);
    d.set("reason", text(data, "reason"));
    d.set("changes", std::move(changes));
    for (const auto& dept : o.departments)
        if (dept != "sales") emit(out, dept + ".amend", o, e, received_ms, d);
}

void order_engine::on_cancelled(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    const std::int64_t received_ms = f.received_ms;
    const envelope& e = f.e;
    std::vector<relay_message>& out = f.out;
    if (o.cancelled) return;
    if (counts_as_open(o)) adjust_open(o, -o.amount_cents);
    o.cancelled = true;
    o.cancel_reason = text(data, "reason");
    value d;
    d.set("customer", o.customer);
    d.set("reason", o.cancel_reason);
    d.set("stage", o.stage);
    for (const auto& dept : o.departments)
        if (dept != "sales") emit(out, dept + ".cancel", o, e, received_ms, d);
}

void order_engine::on_credit_approved(fact& f) {
    order& o = f.o;
    f.prove("credit_approved");
    o.holds.erase(std::remove(o.holds.begin(), o.holds.end(), "credit"), o.holds.end());
}

void order_engine::on_credit_rejected(fact& f) {
    order& o = f.o;
    if (!o.on_hold("credit")) o.holds.push_back("credit");
}

void order_engine::on_payment(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    std::int64_t amount = 0;
    integer(data, "amount_cents", amount);
    o.paid_cents += amount;
    if (o.paid_cents >= o.amount_cents || !o.placed) f.prove("paid");
}

void order_engine::on_invoiced(fact& f) {
    order& o = f.o;
    if (counts_as_open(o)) adjust_open(o, -o.amount_cents);
    f.prove("invoiced");
}

void order_engine::on_scheduled(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    o.planned_start = text(data, "planned_start");
    o.planned_finish = text(data, "planned_finish");
    f.prove("scheduled");
}

void order_engine::on_delivered(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    if (const value* q = data.find("qty"); q && q->is_number()) o.delivered_qty += q->to_double();
    // Goods at the customer were dispatched, even when the dispatch note comes late.
    f.prove("delivered");
    f.prove("dispatched");
}

void order_engine::on_delivery_failed(fact& f) {
    order& o = f.o;
    // The goods are back with logistics: the shipment must be made again.
    if (!o.has("delivered")) o.milestones.erase("dispatched");
}

void order_engine::on_case_opened(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    const std::int64_t received_ms = f.received_ms;
    const envelope& e = f.e;
    std::vector<relay_message>& out = f.out;
    const std::string& topic = f.topic;
    std::string case_id = text(data, "case");
    if (o.find_case(case_id)) return;
    order_case c;
    c.id = case_id;
    c.kind = topic == "sales.complaint.filed" ? "complaint" : "return";
    c.state = "open";
    c.detail = c.kind == "complaint" ? text(data, "detail") : text(data, "reason");
    c.opened_ms = received_ms;
    c.departments = c.kind == "complaint" ? std::vector<std::string>{"production"}
                                          : std::vector<std::string>{"logistics", "production"};
    value d;
    d.set("customer", o.customer);
    d.set("case", c.id);
    d.set("kind", c.kind);
    for (const char* key : {"kind", "detail", "qty", "unit", "reason", "line", "pickup_date"})
        if (const value* v = data.find(key))
            d.set(c.kind == "complaint" && std::string(key) == "kind" ? "complaint_kind" : key, *v);
    for (const auto& dept : c.departments) {
        note_department(o, dept);
        emit(out, dept + "." + c.kind, o, e, received_ms, d);
    }
    o.cases.push_back(std::move(c));
}

void order_engine::on_case_closed(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    const std::int64_t received_ms = f.received_ms;
    const envelope& e = f.e;
    std::vector<relay_message>& out = f.out;
    order_case* c = o.find_case(text(data, "case"));
    if (!c || c->state == "closed") return;
    c->state = "closed";
    c->resolution = text(data, "resolution");
    c->closed_ms = received_ms;
    value d;
    d.set("customer", o.customer);
    d.set("case", c->id);
    d.set("kind", c->kind);
    d.set("resolution", c->resolution);
    for (const auto& dept : c->departments) emit(out, dept + ".case_closed", o, e, received_ms, d);
}

void order_engine::apply_order_fact(order& o, std::int64_t received_ms, const envelope& e,
                                    std::vector<relay_message>& out) {
    using handler = void (order_engine::*)(fact&);
    // Topic -> what it does to its order. A topic not listed proves its milestone (order.h's
    // milestone_of), if it has one, and is otherwise history only.
    static const std::unordered_map<std::string_view, handler> handlers = {
        {"sales.order.placed", &order_engine::on_placed},
        {"sales.order.amended", &order_engine::on_amended},
        {"sales.order.cancelled", &order_engine::on_cancelled},
        {"sales.complaint.filed", &order_engine::on_case_opened},
        {"sales.return.requested", &order_engine::on_case_opened},
        {"sales.case.closed", &order_engine::on_case_closed},
        {"finance.credit.approved", &order_engine::on_credit_approved},
        {"finance.credit.rejected", &order_engine::on_credit_rejected},
        {"finance.payment.received", &order_engine::on_payment},
        {"finance.invoice.issued", &order_engine::on_invoiced},
        {"production.order.scheduled", &order_engine::on_scheduled},
        {"production.case.resolved", &order_engine::on_case_closed},
        {"logistics.shipment.delivered", &order_engine::on_delivered},
        {"logistics.delivery.failed", &order_engine::on_delivery_failed},
    };
    fact f{o, received_ms, e, out, e.data, e.topic};
    if (auto it = handlers.find(e.topic); it != handlers.end()) {
        (this->*(it->second))(f);
        return;
    }
    if (const char* m = milestone_of(e.topic); *m) f.prove(m);
}

void order_engine::update_stage(order& o, std::int64_t received_ms, const envelope& cause,
                                std::vector<relay_message>& out) {
    stage_position pos = derive_stage(o, flow_);
    if (pos.stage == o.stage) return;
    std::string previous = o.stage;
    o.stage = pos.stage;
    o.holder = pos.holder;
    o.stage_since_ms = received_ms;
    if (!o.visits.empty() && o.visits.back().left_ms == 0) o.visits.back().left_ms = received_ms;
    o.visits.push_back({o.stage, received_ms, 0});
    note_department(o, pos.holder);

    value status;
    status.set("stage", o.stage);
    status.set("holder", o.holder);
    status.set("previous", previous);
    status.set("customer", o.customer);
    status.set("since", static_cast<long long>(received_ms));
    emit(out, "sales.status", o, cause, received_ms, std::move(status));

    if (pos.def && !pos.def->relay.empty()) {
        value d = summary(o);
        if (pos.def->relay == "finance.credit_check") {
            const auto* a = customers_.find(o.customer);
            std::int64_t exposure = a ? a->exposure_cents() : o.amount_cents;
            std::int64_t limit = a ? a->master.credit_limit_cents : 0;
            d.set("exposure_cents", static_cast<long long>(exposure));
            d.set("credit_limit_cents", static_cast<long long>(limit));
            d.set("over_limit", exposure > limit);
        }
        emit(out, pos.def->relay, o, cause, received_ms, std::move(d));
    }
}

}  // namespace baton
