// Facts in, stage changes and relay messages out.
#include "order_engine.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>
#include <future>
#include <string_view>
#include <unordered_map>

#include "codec.h"
#include "credit.h"
#include "dates.h"
#include "order_view.h"
#include "packed.h"
#include "quantities.h"

namespace baton {

// Literals compared as string views: a length check, then memcmp, with no strlen.
using namespace std::string_view_literals;

namespace {

std::string text(const value& data, const char* key) {
    const value* v = data.find(key);
    return v && v->is_string() ? v->as_string() : std::string();
}

bool integer(const value& data, const char* key, std::int64_t& out) {
    const value* v = data.find(key);
    return v && v->to_int64(out);
}

// What an order adds to its customer's exposure: its value not yet invoiced, while it is open.
std::int64_t open_value(const order& o) {
    if (!o.placed || o.cancelled || o.has("invoiced")) return 0;
    return std::max<std::int64_t>(0, o.amount_cents - o.invoiced_cents());
}

// A fact's quantities: its order_lines, or else its top-level quantity for the line it does not
// name (a one-line order's line, or the whole of a multi-line order).
std::vector<line_qty> quantities_in(const value& data, const char* per_line, const char* total) {
    std::vector<line_qty> out;
    if (const value* lines = data.find("order_lines"); lines && lines->is_list()) {
        for (const auto& l : lines->as_list()) {
            std::int64_t no = 0;
            if (const value* n = l.find("line")) n->to_int64(no);
            const value* q = l.find(per_line);
            if (!q || !q->is_number()) continue;
            out.push_back({static_cast<int>(no), to_milli(q->to_double()), text(l, "unit")});
        }
        return out;
    }
    if (const value* q = data.find(total); q && q->is_number())
        out.push_back({0, to_milli(q->to_double()), text(data, "unit")});
    return out;
}

// An order's pieces are bounded, so no sender makes one order's facts cost without end: past
// these a fact is kept in the journal and raised as out_of_sequence, not counted.
constexpr std::size_t max_pieces = 1000;  // batches, shipments, invoices each
constexpr std::size_t max_payments = 5000;

// Goods at the customer or billed: too late to cancel (the desk raises out_of_sequence).
bool too_late_to_cancel(const order& o) {
    return o.has("delivered") || o.has("invoiced");
}

// An id for a piece its sender did not name: "#2" for the second unnamed one.
template <typename T>
std::string unnamed_id(const std::vector<T>& pieces) {
    for (std::size_t n = 1;; ++n) {
        const std::string id = "#" + std::to_string(n);
        if (std::none_of(pieces.begin(), pieces.end(), [&](const T& p) { return p.id == id; }))
            return id;
    }
}

}  // namespace

// What one fact is applied with.
struct order_engine::fact {
    order& o;
    std::int64_t received_ms;
    const envelope& e;
    std::vector<relay_message>& out;
    const value& data;
    const std::string& topic;
    order_change& change;
    // The first proof of a fact stands; repeats are history, not news.
    void prove(const std::string& name) {
        o.milestones.try_emplace(name, milestone{received_ms, e.id});
    }
};

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
    std::vector<std::string> out;
    out.reserve(changed_.size());
    for (auto it = changed_.begin(); it != changed_.end();)
        out.push_back(std::move(changed_.extract(it++).value()));
    std::sort(out.begin(), out.end());
    return out;
}

void order_engine::begin_capture() {
    for (auto it = changed_.begin(); it != changed_.end();)
        to_capture_.insert(std::move(changed_.extract(it++).value()));
}

std::size_t order_engine::capture(std::size_t n) {
    for (; n > 0 && !to_capture_.empty(); --n) {
        auto node = to_capture_.extract(to_capture_.begin());
        if (const order* o = find(node.value())) captured_.push_back(*o);
    }
    return to_capture_.size();
}

void order_engine::capture_before_change(const order& o) {
    if (to_capture_.empty()) return;
    auto it = to_capture_.find(o.id);
    if (it == to_capture_.end()) return;
    captured_.push_back(o);
    to_capture_.erase(it);
}

std::vector<order> order_engine::take_captured() {
    capture(to_capture_.size());
    std::vector<order> out;
    out.swap(captured_);
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
    std::unordered_map<std::string, order> by_id;
    by_id.reserve(orders.size());
    for (auto& o : orders) {
        std::string id = o.id;
        by_id.emplace(std::move(id), std::move(o));
    }
    restore(std::move(by_id), std::move(customers), relay_seq);
}

order_times::entry::entry(std::int64_t time, order* of) : at(time), o(of) {
    id_size = static_cast<std::uint8_t>(std::min(o->id.size(), sizeof id));
    std::memcpy(id, o->id.data(), id_size);
    whole = id_size == o->id.size();
}

bool operator<(const order_times::entry& a, const order_times::entry& b) {
    if (a.at != b.at) return a.at < b.at;
    const std::size_t n = std::min(a.id_size, b.id_size);
    if (const int c = std::memcmp(a.id, b.id, n); c != 0) return c < 0;
    if (a.whole && b.whole) return a.id_size < b.id_size;
    return a.o->id < b.o->id;  // the same first bytes, and one is longer than them
}

std::optional<order_times::entry> order_times::placed_entry(order& o) {
    if (!o.placed || o.customer.empty()) return std::nullopt;
    return entry(o.milestones.at("placed").at_ms, &o);  // throws for a damaged state without it
}

std::optional<order_times::entry> order_times::closed_entry(order& o) {
    if (o.open()) return std::nullopt;
    return entry(o.stage_since_ms, &o);
}

void order_times::note(order& o) {
    if (auto e = placed_entry(o)) placed.push_back(*e);
    if (auto e = closed_entry(o)) closed.push_back(*e);
}

void order_engine::restore(std::unordered_map<std::string, order> orders, customer_book customers,
                           std::uint64_t relay_seq, order_times times) {
    orders_ = std::move(orders);  // the nodes move whole: `times` still points into them
    customers_ = std::move(customers);
    relay_seq_ = relay_seq;
    changed_.clear();
    to_capture_.clear();
    captured_.clear();
    by_customer_.clear();
    closed_.clear();
    revived_.clear();
    if (!times.complete) {
        times = order_times{};
        times.placed.reserve(orders_.size());
        for (auto& [id, o] : orders_) times.note(o);
    } else if (!times.again.empty()) {
        // A later row replaced these orders: their first entries go, and they are noted anew.
        const std::unordered_set<order*> again(times.again.begin(), times.again.end());
        const auto stale = [&](const order_times::entry& e) { return again.count(e.o) != 0; };
        times.placed.erase(std::remove_if(times.placed.begin(), times.placed.end(), stale),
                           times.placed.end());
        times.closed.erase(std::remove_if(times.closed.begin(), times.closed.end(), stale),
                           times.closed.end());
        for (order* o : again) times.note(*o);
    }
    // The two lists share nothing (each only reads the orders): a million orders are sorted on
    // two cores at once.
    // The closed, oldest first (retention takes them from the front).
    auto closed = std::async(std::launch::async, [this, &times] {
        std::sort(times.closed.begin(), times.closed.end());
        for (const auto& e : times.closed) closed_.emplace_back(e.at, e.o->id);
    });
    // By customer, in the order they were placed, as the live engine lists them.
    std::sort(times.placed.begin(), times.placed.end());
    for (const auto& e : times.placed) by_customer_[e.o->customer].push_back(e.o);
    closed.get();
}

const order& order_engine::adopt(order back) {
    auto [it, fresh] = orders_.try_emplace(back.id);
    order& o = it->second;
    if (!fresh) return o;  // held already: the archive's copy is older
    o = std::move(back);
    revived_.insert(o.id);
    if (!o.open()) closed_.emplace_back(o.stage_since_ms, o.id);
    if (!o.placed || o.customer.empty()) return o;
    auto& list = by_customer_[o.customer];
    const auto placed_at = [](const order* x) { return x->milestones.at("placed").at_ms; };
    const std::int64_t at = placed_at(&o);
    list.insert(std::upper_bound(list.begin(), list.end(), at,
                                 [&](std::int64_t t, const order* x) { return t < placed_at(x); }),
                &o);
    return o;
}

std::vector<const order*> order_engine::retirable(std::int64_t now_ms, std::int64_t retention_ms,
                                                  std::size_t max, std::int64_t stored_seq,
                                                  const std::function<bool(const order&)>& busy) {
    std::vector<const order*> out;
    std::vector<std::pair<std::int64_t, std::string>> later;  // not yet: back after the pass
    // At most `max` looked at, whatever becomes of them: orders kept by their open work go to
    // the back, and a pass never walks all of them.
    for (std::size_t seen = 0;
         seen < max && !closed_.empty() && closed_.front().first <= now_ms - retention_ms; ++seen) {
        auto entry = std::move(closed_.front());
        closed_.pop_front();
        auto it = orders_.find(entry.second);
        if (it == orders_.end()) continue;
        const order& o = it->second;
        if (o.open() || o.stage_since_ms != entry.first) continue;  // a newer entry stands for it
        const bool open_case = std::any_of(o.cases.begin(), o.cases.end(),
                                           [](const order_case& c) { return c.state == "open"sv; });
        // An unpaid invoice is still chased (the desk ages it) after the order closed.
        const bool owed = std::any_of(o.invoices.begin(), o.invoices.end(), [](const invoice& i) {
            return i.paid_cents < i.amount_cents;
        });
        // Changed after the stored snapshot's point: its newest state is not stored yet (and a
        // restart would replay those events onto the archived state).
        const bool unstored = o.events.empty() || o.events.back() > stored_seq ||
                              changed_.count(o.id) || to_capture_.count(o.id);
        if (unstored || open_case || owed || busy(o)) {
            later.push_back(std::move(entry));
            continue;
        }
        out.push_back(&o);
    }
    for (auto& entry : later) closed_.push_back(std::move(entry));
    return out;
}

std::vector<order> order_engine::take_out(const std::vector<const order*>& orders) {
    std::vector<order> out;
    out.reserve(orders.size());
    std::unordered_set<const order*> leaving(orders.begin(), orders.end());
    std::unordered_set<interned> customers;
    for (const order* o : orders)
        if (o->placed && !o->customer.empty()) customers.insert(o->customer);
    for (const auto& c : customers) {
        auto& list = by_customer_[c];
        list.erase(std::remove_if(list.begin(), list.end(),
                                  [&](const order* x) { return leaving.count(x) != 0; }),
                   list.end());
        if (list.empty()) by_customer_.erase(c);
    }
    for (const order* o : orders) {
        auto node = orders_.extract(o->id);
        out.push_back(std::move(node.mapped()));
    }
    return out;
}

std::vector<std::string> order_engine::take_revived() {
    std::vector<std::string> out(revived_.begin(), revived_.end());
    revived_.clear();
    return out;
}

void order_engine::mark_revived(const std::vector<std::string>& ids) {
    revived_.insert(ids.begin(), ids.end());
}

std::vector<const order*> order_engine::orders_of(const std::string& customer) const {
    // Any id a query names: looked up without interning it.
    const std::optional<interned> key = interned::existing(customer);
    if (!key) return {};
    auto it = by_customer_.find(*key);
    if (it == by_customer_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

void order_engine::sync_open(order& o) {
    const std::int64_t now = open_value(o);
    if (now != o.open_counted_cents && !o.customer.empty())
        customers_.at(o.customer).open_cents += now - o.open_counted_cents;
    o.open_counted_cents = now;
}

int order_engine::payment_days_of(const std::string& customer) const {
    const auto* a = customers_.find(customer);
    return a && a->master.payment_days >= 0 ? a->master.payment_days : flow_.payment_days;
}

void order_engine::note_department(order& o, std::string_view dept) {
    if (dept.empty()) return;
    if (std::find(o.departments.begin(), o.departments.end(), dept) == o.departments.end())
        o.departments.push_back(dept);
}

void order_engine::emit(std::vector<relay_message>& out, const std::string& topic, const order& o,
                        const envelope& cause, std::int64_t received_ms, value data) {
    emit_notice(out, topic, o.id, cause.id, received_ms, std::move(data));
}

void order_engine::update_masters(const std::vector<customer>& seed) {
    // A block sales set at run time stands until sales lifts it; the file may add one.
    for (const auto& c : seed) {
        customer& m = customers_.at(c.id).master;
        const bool blocked = m.blocked;
        m = c;
        m.blocked = blocked || c.blocked;
    }
}

void order_engine::write_summary(packed_writer& w, const order& o, const std::string& relay) const {
    const bool credit_check = relay == "finance.credit_check"sv;
    const std::size_t pairs = 7 + (o.planned_finish.empty() ? 0 : 1) +
                              (o.deposit_cents > 0 ? 1 : 0) + (o.shipments.empty() ? 0 : 1) +
                              (credit_check ? 3 + (o.holds.empty() ? 0 : 1) : 0);
    // The fields every summary has, in place (packed.h); the rest appended.
    std::size_t size =
        packed_map_size(pairs) + packed_text_field_size("customer", o.customer.str()) +
        packed_text_field_size("stage", o.stage.str()) +
        packed_int_field_size("amount_cents", o.amount_cents) +
        packed_text_field_size("promised_date", o.promised_date.str()) +
        packed_text_field_size("terms", o.terms.str()) + packed_bool_field_size("new_die") +
        packed_str_size(5) + (o.lines.empty() ? packed_array_size(0) : o.lines.size());
    if (!o.planned_finish.empty())
        size += packed_text_field_size("planned_finish", o.planned_finish.str());
    if (o.deposit_cents > 0) size += packed_int_field_size("deposit_cents", o.deposit_cents);
    char* const start = w.extend(size);
    packed_cursor c(start);
    c.map(pairs);
    c.text_field("customer", o.customer.str());
    c.text_field("stage", o.stage.str());
    c.int_field("amount_cents", o.amount_cents);
    c.text_field("promised_date", o.promised_date.str());
    c.text_field("terms", o.terms.str());
    c.bool_field("new_die", o.new_die);
    if (!o.planned_finish.empty()) c.text_field("planned_finish", o.planned_finish.str());
    if (o.deposit_cents > 0) c.int_field("deposit_cents", o.deposit_cents);
    // The lines as they are kept: MessagePack that was parsed when it came (order.h).
    c.str("lines");
    if (o.lines.empty())
        c.array(0);
    else
        c.raw(o.lines);
    assert(c.end() == start + size);
    // What is still to ship, once some of it has left.
    if (!o.shipments.empty()) {
        w.str("backorder");
        w.item(backorder_view(totals_of(o)));
    }
    if (!credit_check) return;
    const auto* a = customers_.find(o.customer);
    const std::int64_t exposure = a ? a->exposure_cents() : o.amount_cents;
    const std::int64_t limit = a ? a->master.credit_limit_cents : 0;
    w.int_field("exposure_cents", exposure);
    w.int_field("credit_limit_cents", limit);
    w.bool_field("over_limit", exposure > limit);
    if (!o.holds.empty()) {
        w.str("holds");
        w.array(o.holds.size());
        for (const auto& h : o.holds) w.str(h.str());
    }
}

namespace {

// Why `e` would add a piece past the bound (`max_pieces`), or "".
const char* full_of_pieces(const order& o, const envelope& e) {
    const auto named = [&](const char* key) {
        const value* v = e.data.find(key);
        return v && v->is_string() ? v->as_string() : std::string();
    };
    if (e.topic.rfind("production.order.", 0) == 0 || e.topic == "production.qc.failed"sv) {
        const std::string b = named("batch");
        if (o.batches.size() >= max_pieces &&
            std::none_of(o.batches.begin(), o.batches.end(),
                         [&](const production_batch& x) { return !b.empty() && x.id == b; }))
            return "more batches than batond keeps for one order (1000)";
    }
    if (e.topic.rfind("logistics.", 0) == 0 && o.shipments.size() >= max_pieces) {
        const std::string id = named("shipment");
        if (std::none_of(o.shipments.begin(), o.shipments.end(),
                         [&](const shipment& x) { return !id.empty() && x.id == id; }))
            return "more shipments than batond keeps for one order (1000)";
    }
    if (e.topic == "finance.invoice.issued"sv && o.invoices.size() >= max_pieces)
        return "more invoices than batond keeps for one order (1000)";
    if (e.topic == "finance.payment.received"sv && o.payments.size() >= max_payments)
        return "more payments than batond keeps for one order (5000)";
    return "";
}

}  // namespace

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
    } else {
        capture_before_change(o);
    }
    o.events.push_back(seq);
    changed_.insert(o.id);
    change.o = &o;
    change.previous_stage = o.stage;
    change.previous_holder = o.holder;
    change.anomalies = anomalies_of(o, e);
    const std::string promised_before = o.promised_date;
    const std::string finish_before = o.planned_finish;
    const bool was_scheduled = o.has("scheduled") && !o.has("delivered");
    const std::int64_t amount_before = o.amount_cents;
    // What could not be counted before this fact is not this fact's fault.
    const bool piece_fact =
        e.topic.rfind("production.", 0) == 0 || e.topic.rfind("logistics.", 0) == 0;
    const std::vector<quantity_problem> known = o.placed && piece_fact && o.quantity_problems
                                                    ? totals_of(o).problems
                                                    : std::vector<quantity_problem>{};
    fact f{o, received_ms, e, out, e.data, e.topic, change};
    if (const char* full = full_of_pieces(o, e); *full)
        change.anomalies.push_back({std::string(full) + ": not counted", ""});
    else
        apply_order_fact(f);
    if (!o.cancelled || e.topic == "sales.order.cancelled"sv)
        derive_from_pieces(o, e, received_ms, known, change.anomalies);
    // The deposit, however it came to be covered (a payment, a lower amount, new terms).
    if (o.placed && o.deposit_cents > 0 && o.paid_cents >= o.deposit_cents)
        o.milestones.try_emplace("deposit_paid", milestone{received_ms, e.id});
    sync_open(o);
    // A department that proved a milestone has had the order in hand, even when its fact came
    // before the order reached its stage: it must hear of a cancel all the same.
    if (*milestone_of(e.topic) && e.topic.rfind("sales.", 0) != 0 && !o.cancelled)
        note_department(o, std::string_view(e.topic).substr(0, e.topic.find('.')));
    update_stage(o, received_ms, e, out);
    change.stage_changed = o.stage != change.previous_stage;
    change.promise_changed = o.promised_date != promised_before;
    change.plan_changed = change.plan_changed || o.planned_finish != finish_before;
    change.amount_amended = e.topic == "sales.order.amended"sv && o.amount_cents != amount_before;
    change.amended_after_scheduling = change.amended_after_scheduling && was_scheduled;
    return change;
}

std::vector<anomaly> order_engine::anomalies_of(const order& o, const envelope& e) const {
    std::vector<anomaly> found;
    if (o.cancelled && e.topic != "sales.order.cancelled"sv) {
        found.push_back({e.topic + " arrived after the order was cancelled", ""});
        return found;
    }
    if (e.topic == "sales.order.cancelled"sv && !o.cancelled && too_late_to_cancel(o)) {
        found.push_back({std::string("cancel refused: the order was already ") +
                             (o.has("invoiced") ? "invoiced" : "delivered"),
                         ""});
        return found;
    }
    if (e.topic == "logistics.shipment.dispatched"sv && o.placed && o.terms == "prepay"sv &&
        !o.has("paid"))
        found.push_back({"dispatched without payment from a prepay customer", "paid"});
    return found;
}

void order_engine::emit_notice(std::vector<relay_message>& out, const std::string& topic,
                               const std::string& order_id, const std::string& cause,
                               std::int64_t now_ms, value data) {
    packed_writer(begin_relay(out, topic, order_id, cause, now_ms, 256)).item(data);
}

std::string& order_engine::begin_relay(std::vector<relay_message>& out, const std::string& topic,
                                       const std::string& order_id, const std::string& cause,
                                       std::int64_t now_ms, std::size_t data_bytes) {
    const std::uint64_t seq = ++relay_seq_;
    char id[32] = "baton-";
    const auto end = std::to_chars(id + 6, id + sizeof id, seq).ptr;
    envelope_head e;
    e.seq = seq;
    e.id = std::string_view(id, static_cast<std::size_t>(end - id));
    e.source = "baton";
    e.topic = topic;
    e.ts_ms = now_ms;
    if (!order_id.empty()) e.order = order_id;
    if (!cause.empty()) e.cause = cause;
    relay_message& m = out.emplace_back();
    m.seq = seq;
    m.topic = topic;
    m.order = order_id;
    m.envelope.reserve(96 + topic.size() + order_id.size() + cause.size() + data_bytes);
    packed_writer w(m.envelope);
    write_envelope_head(w, e);
    return m.envelope;
}

void order_engine::on_receivable(const value& data) {
    auto& a = customers_.at(text(data, "customer"));
    integer(data, "balance_cents", a.receivable_cents);
    std::int64_t overdue = 0;
    if (integer(data, "overdue_cents", overdue)) a.overdue_cents = overdue;
}

void order_engine::on_customer_updated(const value& data) {
    const std::string id = text(data, "customer");
    auto& m = customers_.at(id).master;
    if (auto name = text(data, "name"); !name.empty()) m.name = name;
    if (auto tier = text(data, "tier"); !tier.empty()) m.tier = tier;
    if (auto terms = text(data, "terms"); !terms.empty()) m.terms = terms;
    if (auto am = text(data, "account_manager"); !am.empty()) m.account_manager = am;
    if (auto country = text(data, "country"); !country.empty()) m.country = country;
    integer(data, "credit_limit_cents", m.credit_limit_cents);
    std::int64_t days = 0;
    if (integer(data, "payment_days", days)) m.payment_days = static_cast<int>(days);
    if (const value* b = data.find("blocked"); b && b->is_bool()) {
        m.blocked = b->as_bool();
        // Unblocked: its orders no longer wait on the block (finance still reviews them).
        if (auto placed = by_customer_.find(id); !m.blocked && placed != by_customer_.end())
            for (order* held_order : placed->second) {
                order& o = *held_order;
                auto held = std::find(o.holds.begin(), o.holds.end(), "blocked");
                if (held == o.holds.end()) continue;
                capture_before_change(o);
                o.holds.erase(held);
                changed_.insert(o.id);
            }
    }
}

// --- facts: one handler per topic -----------------------------------------------------------

namespace {

void add_hold(order& o, const char* hold) {
    if (!o.on_hold(hold)) o.holds.push_back(hold);
}

// The deposit a prepay order owes before production, under the flow's share.
std::int64_t deposit_for(const order& o, const flow_def& flow) {
    if (o.terms != "prepay"sv || flow.deposit_bp <= 0) return 0;
    return mul_div(o.amount_cents, flow.deposit_bp, 10000);
}

}  // namespace

void order_engine::decide_credit(fact& f) {
    order& o = f.o;
    if (o.has("credit_approved")) return;
    const auto* a = customers_.find(o.customer);
    if (!a) return;
    if (a->master.blocked) add_hold(o, "blocked");
    if (o.terms != "credit"sv) return;
    if (flow_.overdue_hold_cents > 0 && a->overdue_cents > flow_.overdue_hold_cents)
        add_hold(o, "overdue");
    if (a->master.terms == "credit"sv && a->master.credit_limit_cents > 0 &&
        a->exposure_cents() > a->master.credit_limit_cents)
        add_hold(o, "limit");
    if (o.holds.empty() && auto_credit(flow_, o, customers_) == credit_decision::approve)
        f.prove("credit_approved");
}

void order_engine::on_placed(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    if (o.placed) return;  // a second placement of the same order is only history
    o.customer = text(data, "customer");
    integer(data, "amount_cents", o.amount_cents);
    o.promised_date = text(data, "promised_date");
    const auto* account = customers_.find(o.customer);
    o.terms = text(data, "terms");
    if (o.terms.empty()) o.terms = account ? account->master.terms : "credit";
    if (o.prepay_switched) o.terms = "prepay";  // finance released it so before it was placed
    const value* nd = data.find("new_die");
    o.new_die = nd && nd->is_bool() && nd->as_bool();
    o.salesperson = text(data, "salesperson");
    o.customer_po = text(data, "customer_po");
    if (const value* lines = data.find("lines"))
        set_lines(o, *lines);
    else
        set_lines(o, lines_value(o));
    o.deposit_cents = deposit_for(o, flow_);
    o.placed = true;
    f.prove("placed");
    by_customer_[o.customer].push_back(&o);
    // A payment booked before the order proves payment only if it covers the amount.
    if (o.has("paid") && o.paid_cents < o.amount_cents) o.milestones.erase("paid");
    sync_open(o);  // its own value counts in the exposure it is judged by
    decide_credit(f);
}

void order_engine::on_amended(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    const std::int64_t received_ms = f.received_ms;
    const envelope& e = f.e;
    std::vector<relay_message>& out = f.out;
    value changes(value_map{});
    std::int64_t amount = 0;
    if (integer(data, "amount_cents", amount) && amount != o.amount_cents) {
        o.amount_cents = amount;
        changes.set("amount_cents", static_cast<long long>(amount));
        if (!o.has("deposit_paid")) o.deposit_cents = deposit_for(o, flow_);
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
        if (!o.has("deposit_paid")) o.deposit_cents = deposit_for(o, flow_);
    }
    if (const value* nd = data.find("new_die"); nd && nd->is_bool() && nd->as_bool() != o.new_die) {
        o.new_die = nd->as_bool();
        changes.set("new_die", o.new_die);
    }
    if (auto sp = text(data, "salesperson"); !sp.empty()) o.salesperson = sp;
    if (auto po = text(data, "customer_po"); !po.empty()) o.customer_po = po;
    if (const value* lines = data.find("lines");
        lines && (lines->is_nil() ? !o.lines.empty() : encode_msgpack(*lines) != o.lines)) {
        set_lines(o, *lines);
        changes.set("lines", *lines);
    }
    // Nothing changed, or nobody left to tell: history only.
    if (changes.as_map().empty() || o.cancelled) return;
    f.change.amended_after_scheduling = true;  // apply() keeps it only when production had it
    value d;
    d.set("customer", o.customer.str());
    d.set("reason", text(data, "reason"));
    d.set("changes", std::move(changes));
    for (const auto& dept : o.departments)
        if (dept != "sales"sv) emit(out, dept + ".amend", o, e, received_ms, d);
}

void order_engine::on_cancelled(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    if (o.cancelled) return;
    if (too_late_to_cancel(o)) return;  // anomalies_of said why
    o.cancelled = true;
    o.cancel_reason = text(data, "reason");
    integer(data, "charge_cents", o.charge_cents);
    value d;
    d.set("customer", o.customer.str());
    d.set("reason", o.cancel_reason);
    d.set("stage", o.stage.str());
    if (o.charge_cents > 0) d.set("charge_cents", static_cast<long long>(o.charge_cents));
    for (const auto& dept : o.departments)
        if (dept != "sales"sv) emit(f.out, dept + ".cancel", o, f.e, f.received_ms, d);
}

void order_engine::on_credit_approved(fact& f) {
    order& o = f.o;
    f.prove("credit_approved");
    o.holds.clear();  // finance decided: no hold stands against its approval
}

void order_engine::on_credit_rejected(fact& f) {
    order& o = f.o;
    const value* prepay = f.data.find("prepay_accepted");
    if (prepay && prepay->is_bool() && prepay->as_bool() && !o.has("credit_approved")) {
        // Released against payment in advance: prepay terms, and the payment stage gates
        // shipment as for any prepay order.
        o.terms = "prepay";
        o.prepay_switched = true;
        if (!o.has("deposit_paid")) o.deposit_cents = deposit_for(o, flow_);
        if (o.placed && o.paid_cents < o.amount_cents) o.milestones.erase("paid");
        o.holds.clear();
        f.prove("credit_approved");
        return;
    }
    add_hold(o, "credit");
}

void order_engine::on_payment(fact& f) {
    order& o = f.o;
    std::int64_t amount = 0;
    integer(f.data, "amount_cents", amount);
    o.paid_cents += amount;
    o.payments.push_back({text(f.data, "invoice"), amount, f.received_ms, f.e.id});
    allocate_payments(o);
    f.change.subject = text(f.data, "invoice");
    if (o.paid_cents >= o.amount_cents || !o.placed) f.prove("paid");
}

void order_engine::on_invoiced(fact& f) {
    order& o = f.o;
    const std::string id = text(f.data, "invoice");
    f.change.subject = id;
    if (const invoice* known = o.find_invoice(id)) {
        // The same invoice again is history; with other figures a person must look.
        std::int64_t amount = 0;
        integer(f.data, "amount_cents", amount);
        if (amount != known->amount_cents || text(f.data, "shipment") != known->shipment)
            f.change.anomalies.push_back(
                {"invoice " + id + " issued again with other figures; the first stands", ""});
        return;
    }
    invoice inv;
    inv.id = id;
    inv.shipment = text(f.data, "shipment");
    integer(f.data, "amount_cents", inv.amount_cents);
    inv.issued_ms = f.received_ms;
    inv.invoice_date = text(f.data, "invoice_date");
    if (inv.invoice_date.empty()) inv.invoice_date = civil_date(f.received_ms / day_ms);
    inv.due_date = text(f.data, "due_date");
    if (inv.due_date.empty())
        if (auto start = date_start_ms(inv.invoice_date))
            inv.due_date = civil_date(*start / day_ms + payment_days_of(o.customer));
    o.invoices.push_back(std::move(inv));
    allocate_payments(o);
}

namespace {

// The batch a production fact is about: the one it names; else the first unnamed batch that
// still lacks what this fact brings (`lacks`), so a completion that came before its schedule and
// the schedule are one batch; else a new unnamed batch.
template <typename Lacks>
production_batch& batch_for(order& o, const std::string& named, std::int64_t at_ms, Lacks lacks) {
    if (!named.empty()) {
        if (production_batch* b = o.find_batch(named)) return *b;
        o.batches.push_back({});
        o.batches.back().id = named;
        o.batches.back().scheduled_ms = at_ms;
        return o.batches.back();
    }
    for (auto& b : o.batches)
        if (!b.id.empty() && b.id[0] == '#' && lacks(b)) return b;
    production_batch b;
    b.id = unnamed_id(o.batches);
    b.scheduled_ms = at_ms;
    o.batches.push_back(std::move(b));
    return o.batches.back();
}

// The shipment a delivery or failure answers: the one it names; else the oldest unnamed one on
// the road, else (a sender that numbers dispatch notes but not their answers) the oldest on the
// road. An unnamed answer that overtakes its own unnamed dispatch while a numbered shipment is
// on the road is taken for that one: senders should name both or neither.
shipment* shipment_answered(order& o, const std::string& named) {
    if (!named.empty()) return o.find_shipment(named);
    shipment* any = nullptr;
    for (auto& s : o.shipments) {
        if (s.state != shipment_state::on_road) continue;
        if (!s.id.empty() && s.id[0] == '#') return &s;
        if (!any) any = &s;
    }
    return any;
}

}  // namespace

void order_engine::on_scheduled(fact& f) {
    // Without a batch name it is the order's plan, as before batches: it re-plans the unnamed
    // batch still in production (or gives its plan to one whose completion came first).
    production_batch& b = batch_for(
        f.o, text(f.data, "batch"), f.received_ms,
        [](const production_batch& c) { return !c.completed || c.planned_finish.empty(); });
    b.planned_start = text(f.data, "planned_start");
    b.planned_finish = text(f.data, "planned_finish");
    b.press_line = text(f.data, "line");
    f.change.subject = b.id;
    f.change.plan_changed = true;
    f.prove("scheduled");
}

void order_engine::on_started(fact& f) {
    production_batch& b = batch_for(f.o, text(f.data, "batch"), f.received_ms,
                                    [](const production_batch& c) { return !c.started; });
    b.started = true;
    if (b.press_line.empty()) b.press_line = text(f.data, "line");
    f.change.subject = b.id;
    f.prove("started");
}

void order_engine::on_completed(fact& f) {
    production_batch& b = batch_for(f.o, text(f.data, "batch"), f.received_ms,
                                    [](const production_batch& c) { return !c.completed; });
    f.change.subject = b.id;
    if (b.completed) return;  // the same batch reported twice: history
    b.completed = true;
    b.started = true;
    b.completed_ms = f.received_ms;
    b.event_id = f.e.id;
    b.good = quantities_in(f.data, "qty_good", "qty_good");
    b.scrap = quantities_in(f.data, "qty_scrap", "qty_scrap");
    f.change.plan_changed = true;  // the open batches, and so the deadline, changed
}

void order_engine::on_qc_failed(fact& f) {
    order& o = f.o;
    const std::string named = text(f.data, "batch");
    production_batch* b = named.empty() ? nullptr : o.find_batch(named);
    if (!b && named.empty())  // unnamed: the batch reported last
        for (auto& c : o.batches)
            if (!b || std::max(c.scheduled_ms, c.completed_ms) >=
                          std::max(b->scheduled_ms, b->completed_ms))
                b = &c;
    if (!b) b = &batch_for(o, named, f.received_ms, [](const production_batch&) { return false; });
    ++b->qc_failures;
    f.change.subject = b->id;
    // Rejected after it was reported good: that quantity is scrap now. Without lines, only a
    // one-line order's line can be meant. (Before the completion, the completion's good and
    // scrap are what count.)
    const bool says_which = f.data.find("order_lines") || o.line_items.size() <= 1;
    if (b->completed && !b->whole && says_which)
        for (auto q : quantities_in(f.data, "qty", "qty")) {
            b->scrap.push_back(q);
            q.milli = -q.milli;
            b->good.push_back(q);
        }
}

void order_engine::on_dispatched(fact& f) {
    order& o = f.o;
    std::string id = text(f.data, "shipment");
    shipment* s = id.empty() ? nullptr : o.find_shipment(id);
    if (!s && id.empty())  // unnamed: a shipment known so far only from its delivery or failure
        for (auto& c : o.shipments)
            if (!c.dispatch_noted && !c.id.empty() && c.id[0] == '#') {
                s = &c;
                break;
            }
    f.change.subject = s ? s->id : id;
    if (s && !s->dispatch_noted) {
        // The dispatch note of a shipment whose answer came first: what it carried, not a new
        // journey.
        s->dispatch_noted = true;
        s->vehicle = text(f.data, "vehicle");
        s->carrier = text(f.data, "carrier");
        s->expected_delivery = text(f.data, "expected_delivery");
        s->sent = quantities_in(f.data, "qty", "qty");
        s->dispatched_ms = f.received_ms;
        s->event_id = f.e.id;
        return;
    }
    if (s && s->state != shipment_state::failed) return;  // the same shipment again: history
    if (!s) {
        o.shipments.push_back({});
        s = &o.shipments.back();
        s->id = id.empty() ? unnamed_id(o.shipments) : id;
    }
    // A new shipment, or a failed one sent again.
    s->dispatch_noted = true;
    s->state = shipment_state::on_road;
    s->vehicle = text(f.data, "vehicle");
    s->carrier = text(f.data, "carrier");
    s->expected_delivery = text(f.data, "expected_delivery");
    s->sent = quantities_in(f.data, "qty", "qty");
    s->received.clear();
    s->dispatched_ms = f.received_ms;
    s->answered_ms = 0;
    s->event_id = f.e.id;
    f.change.subject = s->id;
}

namespace {

// A shipment known first from its delivery or failure (its dispatch note still to come).
shipment& answered_first(order& o, const std::string& named, std::int64_t at_ms,
                         const envelope& e) {
    o.shipments.push_back({});
    shipment& s = o.shipments.back();
    s.id = named.empty() ? unnamed_id(o.shipments) : named;
    s.dispatched_ms = at_ms;
    s.event_id = e.id;
    return s;
}

}  // namespace

void order_engine::on_delivered(fact& f) {
    order& o = f.o;
    const std::string named = text(f.data, "shipment");
    shipment* s = shipment_answered(o, named);
    if (s && s->state == shipment_state::delivered) return;  // answered already: history
    if (!s) {
        // Goods at the customer were dispatched, even when the dispatch note comes late.
        s = &answered_first(o, named, f.received_ms, f.e);
        s->sent = quantities_in(f.data, "qty", "qty");
    }
    s->state = shipment_state::delivered;
    s->received = quantities_in(f.data, "qty", "qty");
    s->answered_ms = f.received_ms;
    f.change.subject = s->id;
}

void order_engine::on_delivery_failed(fact& f) {
    order& o = f.o;
    const std::string named = text(f.data, "shipment");
    shipment* s = shipment_answered(o, named);
    // A named shipment whose failure comes before its dispatch note: kept failed, so the note
    // does not put it on the road.
    if (!s && !named.empty()) {
        s = &answered_first(o, named, f.received_ms, f.e);
        s->state = shipment_state::failed;
    }
    if (!s) return;
    f.change.subject = s->id;
    if (s->state == shipment_state::delivered) return;  // it arrived: history
    // The goods are back with logistics: that shipment must be made again.
    if (s->state == shipment_state::on_road) s->state = shipment_state::failed;
    s->answered_ms = f.received_ms;
    s->failure = text(f.data, "reason");
}

void order_engine::derive_from_pieces(order& o, const envelope& e, std::int64_t received_ms,
                                      const std::vector<quantity_problem>& known,
                                      std::vector<anomaly>& anomalies) {
    // The production plan: the open batches' earliest start and latest finish.
    std::string start, finish;
    bool any_open = false;
    for (const auto& b : o.batches)
        if (!b.completed && !b.planned_finish.empty()) any_open = true;
    for (const auto& b : o.batches) {
        if (any_open && b.completed) continue;
        if (!b.planned_start.empty() && (start.empty() || b.planned_start < start))
            start = b.planned_start;
        if (b.planned_finish > finish) finish = b.planned_finish;
    }
    if (!finish.empty()) {
        o.planned_start = start;
        o.planned_finish = finish;
    }
    if (o.batches.empty() && o.shipments.empty() && o.invoices.empty()) return;
    const order_totals t = totals_of(o);
    o.quantity_problems = !t.problems.empty();
    auto hold = [&](const char* name, bool proven, bool keep) {
        if (proven)
            o.milestones.try_emplace(name, milestone{received_ms, e.id});
        else if (!keep)
            o.milestones.erase(name);
    };
    if (o.placed) {
        // Proven when the whole order is covered; a proof stands once the goods moved on. At
        // placement, what facts before it proved is judged against the lines now known.
        const bool placing =
            e.topic == "sales.order.placed"sv && o.milestones.at("placed").event_id == e.id;
        hold("produced", covered(t, measure::good, flow_.tolerance),
             !placing && (!o.has("produced") || o.has("dispatched") || o.has("delivered")));
        hold("delivered", covered(t, measure::delivered, flow_.tolerance), !placing);
        hold("dispatched", covered(t, measure::dispatched, flow_.tolerance),
             !placing && (!o.has("dispatched") || o.has("delivered")));
    } else {
        // Lines unknown until placed: a fact without lines proves what it always proved.
        for (const auto& b : o.batches)
            if (b.completed) o.milestones.try_emplace("produced", milestone{received_ms, e.id});
        for (const auto& s : o.shipments) {
            if (s.state != shipment_state::failed)
                o.milestones.try_emplace("dispatched", milestone{received_ms, e.id});
            if (s.state == shipment_state::delivered)
                o.milestones.try_emplace("delivered", milestone{received_ms, e.id});
        }
        if (o.has("dispatched") &&
            std::none_of(o.shipments.begin(), o.shipments.end(),
                         [](const shipment& s) { return s.state != shipment_state::failed; }))
            o.milestones.erase("dispatched");
    }
    // Invoiced: invoices for the order as a whole that bill its value (what was delivered, or
    // the amount before any delivery) within the amount tolerance, or every shipment of a
    // dispatched order billed by its own. A deposit or proforma invoice does not close it.
    bool invoiced = false;
    const bool any_whole = std::any_of(o.invoices.begin(), o.invoices.end(),
                                       [](const invoice& i) { return i.shipment.empty(); });
    if (any_whole) {
        const bool any_delivered =
            std::any_of(o.shipments.begin(), o.shipments.end(),
                        [](const shipment& s) { return s.state == shipment_state::delivered; });
        const std::int64_t value = any_delivered ? delivered_value_cents(o, t) : o.amount_cents;
        invoiced = covers(o.invoiced_cents(), value, flow_.tolerance.amount_bp);
    }
    if (!invoiced && !o.invoices.empty() && o.has("dispatched")) {
        invoiced = true;
        for (const auto& s : o.shipments) {
            if (s.state == shipment_state::failed) continue;
            bool billed = false;
            for (const auto& inv : o.invoices) billed = billed || inv.shipment == s.id;
            invoiced = invoiced && billed;
        }
    }
    if (invoiced) o.milestones.try_emplace("invoiced", milestone{received_ms, e.id});
    // Goods sent before they were made: more of a line dispatched than produced good.
    if (e.topic == "logistics.shipment.dispatched"sv && !o.has("produced")) {
        bool ahead = false;
        if (!o.placed)
            ahead = std::none_of(o.batches.begin(), o.batches.end(),
                                 [](const production_batch& b) { return b.completed; });
        else if (t.produced_whole)
            ahead = false;
        else if (t.dispatched_whole)
            ahead = true;
        else
            for (const auto& l : t.lines)
                if (!covers(l.good, l.dispatched, flow_.tolerance.of(l.unit))) ahead = true;
        if (ahead) anomalies.push_back({"dispatched before production was completed", "produced"});
    }
    // A quantity this fact gave that could not be counted (a line the order lacks, a unit
    // other than the line's): a person must look at it.
    if (o.placed && !t.problems.empty() &&
        (e.topic.rfind("production.", 0) == 0 || e.topic.rfind("logistics.", 0) == 0))
        for (const auto& p : t.problems) {
            auto same = [&](const auto& other) { return other.detail == p.detail; };
            if (std::none_of(known.begin(), known.end(), same) &&
                std::none_of(anomalies.begin(), anomalies.end(), same))
                anomalies.push_back({p.detail, ""});
        }
}

void order_engine::on_case_opened(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    const std::string& topic = f.topic;
    std::string case_id = text(data, "case");
    if (o.find_case(case_id)) return;
    order_case c;
    c.id = case_id;
    c.kind = topic == "sales.complaint.filed"sv ? "complaint" : "return";
    c.state = "open";
    c.detail = c.kind == "complaint"sv ? text(data, "detail") : text(data, "reason");
    c.opened_ms = f.received_ms;
    c.departments = c.kind == "complaint"sv ? std::vector<std::string>{"production"}
                                            : std::vector<std::string>{"logistics", "production"};
    if (c.kind == "complaint"sv) c.complaint_kind = text(data, "kind");
    std::int64_t line = 0;
    if (integer(data, "line", line)) c.line = static_cast<int>(line);
    value d;
    d.set("customer", o.customer.str());
    d.set("case", c.id);
    d.set("kind", c.kind);
    for (const char* key : {"kind", "detail", "qty", "unit", "reason", "line", "pickup_date"})
        if (const value* v = data.find(key))
            d.set(c.kind == "complaint"sv && std::string(key) == "kind"sv ? "complaint_kind" : key,
                  *v);
    for (const auto& dept : c.departments) {
        note_department(o, dept);
        emit(f.out, dept + "." + c.kind, o, f.e, f.received_ms, d);
    }
    o.cases.push_back(std::move(c));
}

void order_engine::on_case_closed(fact& f) {
    order& o = f.o;
    const value& data = f.data;
    order_case* c = o.find_case(text(data, "case"));
    if (!c) return;
    if (auto rc = text(data, "root_cause"); !rc.empty()) c->root_cause = rc;
    // Sales' closing carries the outcome and any credit, also when production closed it first.
    if (f.topic == "sales.case.closed"sv) {
        if (auto outcome = text(data, "outcome"); !outcome.empty()) c->outcome = outcome;
        std::int64_t credit = 0;
        if (c->credit_cents == 0 && integer(data, "credit_cents", credit) && credit > 0) {
            c->credit_cents = credit;
            // A credit granted to the customer: finance writes the credit note.
            value n;
            n.set("customer", o.customer.str());
            n.set("case", c->id);
            n.set("kind", c->kind);
            n.set("credit_cents", static_cast<long long>(credit));
            if (!c->outcome.empty()) n.set("outcome", c->outcome);
            n.set("resolution", text(data, "resolution"));
            if (!o.invoices.empty()) n.set("invoice", o.invoices.back().id);
            note_department(o, "finance");
            emit(f.out, "finance.credit_note_request", o, f.e, f.received_ms, std::move(n));
        }
    }
    if (c->state == "closed"sv) return;
    c->state = "closed";
    c->resolution = text(data, "resolution");
    c->closed_ms = f.received_ms;
    value d;
    d.set("customer", o.customer.str());
    d.set("case", c->id);
    d.set("kind", c->kind);
    d.set("resolution", c->resolution);
    for (const auto& dept : c->departments)
        emit(f.out, dept + ".case_closed", o, f.e, f.received_ms, d);
}

void order_engine::apply_order_fact(fact& f) {
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
        {"production.order.started", &order_engine::on_started},
        {"production.order.completed", &order_engine::on_completed},
        {"production.qc.failed", &order_engine::on_qc_failed},
        {"production.case.resolved", &order_engine::on_case_closed},
        {"logistics.shipment.dispatched", &order_engine::on_dispatched},
        {"logistics.shipment.delivered", &order_engine::on_delivered},
        {"logistics.delivery.failed", &order_engine::on_delivery_failed},
    };
    if (auto it = handlers.find(f.topic); it != handlers.end()) {
        (this->*(it->second))(f);
        return;
    }
    if (const char* m = milestone_of(f.topic); *m) f.prove(m);
}

void order_engine::update_stage(order& o, std::int64_t received_ms, const envelope& cause,
                                std::vector<relay_message>& out) {
    stage_position pos = derive_stage(o, flow_);
    if (pos.stage == o.stage) return;
    const std::string_view previous = o.stage.str();  // interned: it stays
    o.stage = pos.stage;
    o.holder = pos.holder;
    o.stage_since_ms = received_ms;
    if (!o.visits.empty() && o.visits.back().left_ms == 0) o.visits.back().left_ms = received_ms;
    o.visits.push_back({o.stage, received_ms, 0});
    note_department(o, pos.holder);
    if (!o.open()) closed_.emplace_back(received_ms, o.id);

    {
        static const std::string status_topic = "sales.status";
        const std::size_t size = packed_map_size(5) +
                                 packed_text_field_size("stage", o.stage.str()) +
                                 packed_text_field_size("holder", o.holder.str()) +
                                 packed_text_field_size("previous", previous) +
                                 packed_text_field_size("customer", o.customer.str()) +
                                 packed_int_field_size("since", received_ms);
        packed_writer w(begin_relay(out, status_topic, o.id, cause.id, received_ms, size));
        char* const start = w.extend(size);
        packed_cursor c(start);
        c.map(5);
        c.text_field("stage", o.stage.str());
        c.text_field("holder", o.holder.str());
        c.text_field("previous", previous);
        c.text_field("customer", o.customer.str());
        c.int_field("since", received_ms);
        assert(c.end() == start + size);
    }
    if (pos.def && !pos.def->relay.empty()) {
        packed_writer w(
            begin_relay(out, pos.def->relay, o.id, cause.id, received_ms, 160 + o.lines.size()));
        write_summary(w, o, pos.def->relay);
    }
}

}  // namespace baton
