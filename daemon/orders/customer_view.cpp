// The customer views (customer_view.h).
#include "customer_view.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "desk_records.h"
#include "kpi.h"
#include "order_view.h"
#include "quantities.h"

namespace baton {

namespace {

constexpr const auto& bucket_names = receivable_buckets;

value cents(std::int64_t c) {
    return value(static_cast<long long>(c));
}

// The exceptions of customer `id`: the record's customer, or its order's.
bool of_customer(const exception_record& e, const std::string& id, const order_engine& engine) {
    if (e.customer == id) return true;
    if (!e.customer.empty() || e.order.empty()) return false;
    const order* o = engine.find(e.order);
    return o && o->customer == id;
}

// A customer batond only knows from its orders: the book's defaults.
customer_book::account default_account(const std::string& id) {
    customer_book::account a;
    a.master.id = id;
    return a;
}

std::int64_t open_cents_of(const invoice& inv) {
    return std::max<std::int64_t>(0, inv.amount_cents - inv.paid_cents);
}

value exposure_view(const customer_book::account& a) {
    value v;
    const std::int64_t exposure = a.exposure_cents();
    const std::int64_t limit = a.master.credit_limit_cents;
    v.set("receivable_cents", cents(a.receivable_cents));
    v.set("open_orders_cents", cents(a.open_cents));
    v.set("exposure_cents", cents(exposure));
    v.set("credit_limit_cents", cents(limit));
    // A limit of 0 is no limit: nothing to measure against.
    if (limit > 0) {
        v.set("headroom_cents", cents(limit - exposure));
        v.set("share_used", static_cast<double>(exposure) / static_cast<double>(limit));
    }
    v.set("over_limit", limit > 0 && exposure > limit);
    return v;
}

value receivables_view(const std::vector<const order*>& orders, std::int64_t now_ms) {
    struct open_invoice {
        const order* o;
        const invoice* inv;
    };
    std::vector<open_invoice> open;
    for (const order* o : orders)
        for (const auto& inv : o->invoices)
            if (open_cents_of(inv) > 0) open.push_back({o, &inv});
    // Most overdue first: the oldest due date, then by order and invoice.
    std::sort(open.begin(), open.end(), [](const open_invoice& a, const open_invoice& b) {
        if (a.inv->due_date != b.inv->due_date) return a.inv->due_date < b.inv->due_date;
        if (a.o->id != b.o->id) return a.o->id < b.o->id;
        return a.inv->id < b.inv->id;
    });
    std::array<std::pair<std::size_t, std::int64_t>, std::size(bucket_names)> buckets{};
    std::int64_t total = 0, past_due = 0;
    value_list invoices;
    for (const auto& [o, inv] : open) {
        const std::int64_t open_cents = open_cents_of(*inv);
        const int bucket = ageing_bucket(days_overdue(inv->due_date, now_ms));
        auto& b = buckets[static_cast<std::size_t>(bucket + 1)];
        ++b.first;
        b.second += open_cents;
        total += open_cents;
        if (bucket >= 0) past_due += open_cents;
        value v;
        v.set("order", o->id);
        value view = invoice_view(*inv, now_ms);
        for (auto& m : view.as_map()) v.set(m.key, std::move(m.val));
        invoices.push_back(std::move(v));
    }
    value r;
    r.set("as_of", static_cast<long long>(now_ms));
    r.set("open_cents", cents(total));
    r.set("past_due_cents", cents(past_due));
    value_list rows;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        value row;
        row.set("bucket", bucket_names[i]);
        row.set("count", static_cast<long long>(buckets[i].first));
        row.set("cents", cents(buckets[i].second));
        rows.push_back(std::move(row));
    }
    r.set("buckets", value(std::move(rows)));
    r.set("invoices", value(std::move(invoices)));
    return r;
}

// Open orders grouped by stage, in flow order (then any other position), longest-waiting first.
value open_orders_view(const std::vector<const order*>& orders, const flow_def& flow) {
    std::vector<std::string> stage_order;
    for (const auto& s : flow.stages) stage_order.push_back(s.name);
    std::map<std::string, std::vector<const order*>> by_stage;
    for (const order* o : orders)
        if (o->open()) {
            by_stage[o->stage].push_back(o);
            if (std::find(stage_order.begin(), stage_order.end(), o->stage) == stage_order.end())
                stage_order.push_back(o->stage);
        }
    value_list groups;
    for (const auto& stage : stage_order) {
        auto it = by_stage.find(stage);
        if (it == by_stage.end()) continue;
        auto& list = it->second;
        std::sort(list.begin(), list.end(), [](const order* a, const order* b) {
            return a->stage_since_ms != b->stage_since_ms ? a->stage_since_ms < b->stage_since_ms
                                                          : a->id < b->id;
        });
        value_list rows;
        std::int64_t amount = 0;
        for (const order* o : list) {
            value row;
            row.set("id", o->id);
            row.set("holder", o->holder.str());
            row.set("since", static_cast<long long>(o->stage_since_ms));
            row.set("promised_date", o->promised_date.str());
            row.set("amount_cents", cents(o->amount_cents));
            value_list holds;
            for (const auto& h : o->holds) holds.emplace_back(h);
            row.set("holds", value(std::move(holds)));
            row.set("backorder", backorder_view(totals_of(*o)));
            rows.push_back(std::move(row));
            amount += o->amount_cents;
        }
        value g;
        g.set("stage", stage);
        g.set("holder", list.front()->holder.str());
        g.set("count", static_cast<long long>(list.size()));
        g.set("amount_cents", cents(amount));
        g.set("orders", value(std::move(rows)));
        groups.push_back(std::move(g));
    }
    return value(std::move(groups));
}

value open_cases_view(const std::vector<const order*>& orders) {
    value_list cases;
    for (const order* o : orders)
        for (const auto& c : o->cases) {
            if (c.state != "open") continue;
            value v;
            v.set("order", o->id);
            v.set("id", c.id);
            v.set("kind", c.kind);
            v.set("complaint_kind", c.complaint_kind);
            v.set("line", static_cast<long long>(c.line));
            v.set("detail", c.detail);
            v.set("opened", static_cast<long long>(c.opened_ms));
            value_list depts;
            for (const auto& d : c.departments) depts.emplace_back(d);
            v.set("departments", value(std::move(depts)));
            cases.push_back(std::move(v));
        }
    return value(std::move(cases));
}

}  // namespace

std::optional<value> customer_report(const std::string& id, const order_engine& engine,
                                     const std::vector<const exception_record*>& open_exceptions,
                                     std::int64_t now_ms) {
    const customer_book::account* found = engine.customers().find(id);
    const std::vector<const order*> orders = engine.orders_of(id);
    if (!found && orders.empty()) return std::nullopt;
    const customer_book::account a = found ? *found : default_account(id);
    const customer& m = a.master;

    value r;
    r.set("id", id);
    r.set("name", m.name);
    r.set("tier", m.tier);
    r.set("terms", m.terms);
    r.set("credit_limit_cents", cents(m.credit_limit_cents));
    r.set("payment_days", static_cast<long long>(m.payment_days >= 0 ? m.payment_days
                                                                     : engine.flow().payment_days));
    r.set("blocked", m.blocked);
    r.set("account_manager", m.account_manager);
    r.set("country", m.country);
    r.set("exposure", exposure_view(a));
    r.set("overdue_cents", cents(a.overdue_cents));
    r.set("receivables", receivables_view(orders, now_ms));

    std::size_t open = 0;
    for (const order* o : orders) open += o->open() ? 1 : 0;
    r.set("orders_total", static_cast<long long>(orders.size()));
    r.set("orders_open", static_cast<long long>(open));
    r.set("open_orders", open_orders_view(orders, engine.flow()));

    value_list exceptions;
    for (const exception_record* e : open_exceptions)
        if (of_customer(*e, id, engine)) exceptions.push_back(to_value(*e));
    r.set("exceptions", value(std::move(exceptions)));
    r.set("cases", open_cases_view(orders));

    delivery_tally delivery;
    for (const order* o : orders)
        if (o->has("delivered")) delivery.add(*o, otif_of(*o, engine.flow().tolerance));
    r.set("otif", delivery.otif_section());
    r.set("otif_quantity", delivery.otif_quantity_section());
    r.set("cycle_time", delivery.cycle_time());
    return r;
}

std::vector<customer_summary> customer_summaries(
    const order_engine& engine, const std::vector<const exception_record*>& open_exceptions,
    std::int64_t now_ms) {
    // Every customer of the book, and any customer of an order that has no account.
    std::map<std::string, customer_book::account> accounts(engine.customers().accounts().begin(),
                                                           engine.customers().accounts().end());
    for (const auto& [id, o] : engine.orders())
        if (o.placed && !o.customer.empty() && !accounts.count(o.customer))
            accounts.emplace(o.customer, default_account(o.customer));
    std::map<std::string, std::size_t> exceptions_of;
    for (const exception_record* e : open_exceptions) {
        std::string customer = e->customer;
        if (customer.empty() && !e->order.empty())
            if (const order* o = engine.find(e->order)) customer = o->customer;
        if (!customer.empty()) ++exceptions_of[customer];
    }
    std::vector<customer_summary> out;
    for (const auto& [id, a] : accounts) {
        customer_summary s;
        s.id = id;
        s.name = a.master.name;
        s.tier = a.master.tier;
        s.terms = a.master.terms;
        s.exposure_cents = a.exposure_cents();
        s.credit_limit_cents = a.master.credit_limit_cents;
        s.overdue_cents = a.overdue_cents;
        s.blocked = a.master.blocked;
        s.over_limit = s.credit_limit_cents > 0 && s.exposure_cents > s.credit_limit_cents;
        for (const order* o : engine.orders_of(id)) {
            s.open_orders += o->open() ? 1 : 0;
            for (const auto& inv : o->invoices)
                if (ageing_bucket(days_overdue(inv.due_date, now_ms)) >= 0)
                    s.past_due_cents += open_cents_of(inv);
        }
        if (auto it = exceptions_of.find(id); it != exceptions_of.end())
            s.open_exceptions = it->second;
        out.push_back(std::move(s));
    }
    return out;
}

value to_value(const customer_summary& s) {
    value v;
    v.set("id", s.id);
    v.set("name", s.name);
    v.set("tier", s.tier);
    v.set("terms", s.terms);
    v.set("exposure_cents", cents(s.exposure_cents));
    v.set("credit_limit_cents", cents(s.credit_limit_cents));
    v.set("over_limit", s.over_limit);
    v.set("overdue_cents", cents(s.overdue_cents));
    v.set("past_due_cents", cents(s.past_due_cents));
    v.set("open_orders", static_cast<long long>(s.open_orders));
    v.set("open_exceptions", static_cast<long long>(s.open_exceptions));
    v.set("blocked", s.blocked);
    return v;
}

}  // namespace baton
