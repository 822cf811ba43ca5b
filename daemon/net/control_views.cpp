// The answers of the control commands, from the shared state.
#include "control_views.h"

#include <algorithm>
#include <limits>
#include <map>

#include "codec.h"
#include "customer_view.h"
#include "envelope.h"
#include "kpi.h"
#include "order_view.h"
#include "version.h"

namespace baton {

namespace {

value count(std::uint64_t n) {
    return value(static_cast<unsigned long long>(n));
}

// The records as the wire shows them, in the order given.
template <typename Record>
value values_of(const std::vector<const Record*>& records) {
    value_list list;
    list.reserve(records.size());
    for (const Record* r : records) list.push_back(to_value(*r));
    return value(std::move(list));
}

// Every stage the order entered, with its holder and the deadline of that visit (the flow's
// SLA; 0 for a stage without one, or one no longer in the flow).
value visits_of(const order& o, const flow_def& flow) {
    value_list list;
    list.reserve(o.visits.size());
    for (const auto& visit : o.visits) {
        value v;
        v.set("stage", visit.stage.str());
        const stage_def* def = nullptr;
        for (const auto& st : flow.stages)
            if (st.name == visit.stage) def = &st;
        v.set("holder", def ? def->holder : std::string());
        v.set("entered", static_cast<long long>(visit.entered_ms));
        v.set("left", static_cast<long long>(visit.left_ms));
        const bool timed = def && (def->sla_us > 0 || !def->sla_from.empty());
        v.set("due",
              static_cast<long long>(timed ? stage_deadline_ms(o, *def, visit.entered_ms) : 0));
        list.push_back(std::move(v));
    }
    return value(std::move(list));
}

}  // namespace

value control_views::status() {
    value r;
    r.set("version", version);
    r.set("uptime_s", static_cast<long long>((s_.clock.now_ms() - s_.started_ms) / 1000));
    r.set("events", static_cast<long long>(s_.store.last_seq()));
    r.set("orders", count(s_.engine.orders().size()));
    r.set("orders_open", count(s_.engine.open_orders()));
    r.set("orders_archived", count(s_.store.archived_orders()));
    r.set("exceptions_open", count(s_.desk.open_exceptions()));
    r.set("tasks_open", count(s_.desk.open_tasks()));
    r.set("timers_pending", count(s_.desk.pending_timers()));
    r.set("relay_seq", count(s_.store.last_relay_seq()));
    r.set("storage",
          stage_.storage_failing() ? "failing: " + stage_.storage_error() : std::string("ok"));
    if (stage_.storage_failing())
        r.set("storage_failing_since", static_cast<long long>(stage_.storage_failing_since_ms()));
    // The feed file is written after the commit; its failures lose nothing (the store has every
    // line and catches the file up) but people reading the file miss lines meanwhile.
    r.set("feed", s_.feed.failing() ? "failing: " + s_.feed.last_error() : std::string("ok"));
    if (s_.feed.failing())
        r.set("feed_failing_since", static_cast<long long>(s_.feed.failing_since_ms()));
    const counters& st = s_.stats;
    const socket_counters sockets = sockets_ ? sockets_() : socket_counters{};
    value c;
    c.set("accepted", count(st.accepted));
    c.set("duplicates", count(st.duplicates));
    value nacks;
    for (auto code : {refusal::decode, refusal::envelope, refusal::schema, refusal::topic,
                      refusal::forbidden, refusal::limit})
        nacks.set(refusal_name(code), count(st.nacks[static_cast<std::size_t>(code)]));
    c.set("nacks", std::move(nacks));
    c.set("subscribed", count(st.subscribed));
    c.set("subscribe_refused", count(st.subscribe_refused));
    c.set("feed_gaps", count(st.feed_gaps));
    c.set("batches", count(st.batches));
    c.set("commit_failures", count(st.commit_failures));
    c.set("control_requests", count(st.control_requests));
    c.set("auth_refused", count(sockets.auth_refused));
    c.set("handshakes_failed", count(sockets.handshakes_failed));
    c.set("control_forbidden", count(st.control_forbidden));
    c.set("reloads", count(st.reloads));
    c.set("reloads_refused", count(st.reloads_refused));
    c.set("dedup_entries", count(s_.dedup.size()));
    c.set("orders_retired", count(stage_.archive().retired()));
    c.set("orders_revived", count(stage_.archive().revived()));
    c.set("feed_write_errors", count(s_.feed.write_errors()));
    r.set("counters", std::move(c));
    return r;
}

std::optional<value> control_views::order(const std::string& id) {
    const baton::order* o = s_.engine.find(id);
    // An order that left memory after its retention is read from the archive, as it left.
    std::optional<archived_order> archived;
    if (!o) {
        archived = stage_.archive().find(id);
        if (!archived) return std::nullopt;
        o = &archived->o;
    }
    value r;
    r.set("id", o->id);
    r.set("archived", archived.has_value());
    r.set("customer", o->customer.str());
    r.set("stage", o->stage.str());
    r.set("holder", o->holder.str());
    r.set("since", static_cast<long long>(o->stage_since_ms));
    value milestones(value_map{});
    for (const auto& [name, m] : o->milestones)
        milestones.set(name.str(), static_cast<long long>(m.at_ms));
    r.set("milestones", std::move(milestones));
    value_list holds;
    for (const auto& h : o->holds) holds.emplace_back(h);
    r.set("holds", value(std::move(holds)));
    r.set("promised_date", o->promised_date.str());
    r.set("amount_cents", static_cast<long long>(o->amount_cents));
    r.set("paid_cents", static_cast<long long>(o->paid_cents));
    r.set("terms", o->terms.str());
    r.set("new_die", o->new_die);
    if (!o->planned_finish.empty()) r.set("planned_finish", o->planned_finish.str());
    value lines = lines_value(*o);
    r.set("lines", lines.is_nil() ? value(value_list{}) : std::move(lines));
    value_list concerned;
    for (const auto& d : o->departments) concerned.emplace_back(d);
    r.set("departments", value(std::move(concerned)));
    value full = to_value(*o);
    r.set("cases", *full.find("cases"));
    if (o->cancelled) r.set("cancel_reason", o->cancel_reason);
    value_list history;
    history.reserve(o->events.size());
    for (std::int64_t seq : o->events) {
        auto e = s_.store.read(seq, false);
        if (!e) continue;  // in the open batch, not yet committed
        value h;
        h.set("ts", static_cast<long long>(e->ts_ms));
        h.set("topic", e->topic);
        h.set("id", e->id);
        h.set("source", e->source);
        h.set("received", static_cast<long long>(e->received_ms));
        h.set("seq", static_cast<long long>(e->seq));
        history.push_back(std::move(h));
    }
    r.set("history", value(std::move(history)));
    r.set("visits", visits_of(*o, s_.flow));
    // What batond relayed about it (the newest 1000): seq, topic and when.
    value_list relayed;
    for (const auto& m : s_.store.read_relayed_of(id, 1000)) {
        envelope e;
        std::string reason;
        value item;
        item.set("seq", static_cast<unsigned long long>(m.seq));
        item.set("topic", m.topic);
        item.set("ts", static_cast<long long>(
                           decode_relayed(m.envelope, decode_limits{}, e, reason) ? e.ts_ms : 0));
        relayed.push_back(std::move(item));
    }
    r.set("relayed", value(std::move(relayed)));
    if (archived) {
        std::vector<const exception_record*> exceptions;
        for (const auto& e : archived->exceptions) exceptions.push_back(&e);
        std::vector<const task_record*> tasks;
        for (const auto& t : archived->tasks) tasks.push_back(&t);
        r.set("exceptions", values_of(exceptions));
        r.set("tasks", values_of(tasks));
    } else {
        r.set("exceptions", values_of(s_.desk.exceptions_of(id)));
        r.set("tasks", values_of(s_.desk.tasks_of(id)));
    }
    add_order_pieces(r, *o, s_.clock.now_ms());
    return r;
}

value control_views::exceptions(const exceptions_query& q) {
    exception_filter f = q.filter;
    f.limit = std::numeric_limits<std::size_t>::max();  // total and counts need every match
    std::vector<const exception_record*> matched;
    for (const exception_record* e : s_.desk.exceptions(f)) {
        if (!q.customer.empty() && e->customer != q.customer) continue;
        if (!q.severity.empty() && severity_name(e->level) != q.severity) continue;
        if (e->raised_ms < q.since_ms || e->raised_ms >= q.until_ms) continue;
        if (!q.salesperson.empty()) {
            const baton::order* o = e->order.empty() ? nullptr : s_.engine.find(e->order);
            if (!o || o->salesperson != q.salesperson) continue;
        }
        matched.push_back(e);
    }
    // Counts per department and severity over every match, for a board's header.
    std::map<std::pair<std::string, std::string>, std::uint64_t> counts;
    for (const exception_record* e : matched) ++counts[{e->dept, severity_name(e->level)}];
    value_list count_list;
    for (const auto& [key, n] : counts) {
        value c;
        c.set("dept", key.first);
        c.set("severity", key.second);
        c.set("count", count(n));
        count_list.push_back(std::move(c));
    }
    value_list page;
    for (std::size_t i = q.offset; i < matched.size() && page.size() < q.filter.limit; ++i) {
        const exception_record* e = matched[i];
        value item = to_value(*e);
        const baton::order* o = e->order.empty() ? nullptr : s_.engine.find(e->order);
        const auto* account = s_.engine.customers().find(e->customer);
        item.set("tier", account ? account->master.tier : std::string());
        item.set("customer_name", account ? account->master.name : std::string());
        item.set("salesperson", o ? o->salesperson.str() : std::string());
        item.set("order_stage", o ? o->stage.str() : std::string());
        item.set("order_holder", o ? o->holder.str() : std::string());
        page.push_back(std::move(item));
    }
    value r;
    r.set("exceptions", value(std::move(page)));
    r.set("total", count(matched.size()));
    r.set("counts", value(std::move(count_list)));
    return r;
}

value control_views::tasks(const task_filter& f) {
    value r;
    r.set("tasks", values_of(s_.desk.tasks(f)));
    return r;
}

value control_views::kpi(const kpi_query& q) {
    kpi_query query = q;
    query.now_ms = s_.clock.now_ms();
    return compute_kpis(s_.engine.orders(), s_.desk.all_exceptions(), s_.engine.customers(),
                        s_.flow, query);
}

std::vector<const exception_record*> control_views::open_exceptions() const {
    exception_filter open;
    open.limit = std::numeric_limits<std::size_t>::max();
    return s_.desk.exceptions(open);
}

std::optional<value> control_views::customer(const std::string& id) {
    return customer_report(id, s_.engine, open_exceptions(), s_.clock.now_ms());
}

value control_views::customers(const customers_query& q) {
    value_list rows;
    std::size_t total = 0;
    for (const auto& c : customer_summaries(s_.engine, open_exceptions(), s_.clock.now_ms())) {
        if (!q.tier.empty() && c.tier != q.tier) continue;
        if (q.blocked && c.blocked != *q.blocked) continue;
        if (q.overdue && (c.overdue_cents > 0 || c.past_due_cents > 0) != *q.overdue) continue;
        if (q.over_limit && c.over_limit != *q.over_limit) continue;
        ++total;
        if (rows.size() < q.limit) rows.push_back(to_value(c));
    }
    value r;
    r.set("customers", value(std::move(rows)));
    r.set("total", count(total));
    return r;
}

value control_views::orders(const orders_query& q) {
    std::vector<const baton::order*> found;
    for (const auto& [id, o] : s_.engine.orders()) {
        if (!q.stage.empty() && o.stage != q.stage) continue;
        if (!q.holder.empty() && o.holder != q.holder) continue;
        if (!q.customer.empty() && o.customer != q.customer) continue;
        if (!q.salesperson.empty() && o.salesperson != q.salesperson) continue;
        if (!q.customer_po.empty() && o.customer_po != q.customer_po) continue;
        // By when it was placed (first seen, for facts before the placement).
        const auto placed = o.milestones.find("placed");
        const std::int64_t at =
            placed != o.milestones.end() ? placed->second.at_ms : o.first_seen_ms;
        if (at < q.since_ms || at >= q.until_ms) continue;
        found.push_back(&o);
    }
    // Longest-waiting first: that is the order a clerk chases.
    std::sort(found.begin(), found.end(), [](const baton::order* a, const baton::order* b) {
        return a->stage_since_ms != b->stage_since_ms ? a->stage_since_ms < b->stage_since_ms
                                                      : a->id < b->id;
    });
    value_list list;
    for (std::size_t i = 0; i < found.size() && i < q.limit; ++i) {
        value v;
        v.set("id", found[i]->id);
        v.set("customer", found[i]->customer.str());
        v.set("stage", found[i]->stage.str());
        v.set("holder", found[i]->holder.str());
        v.set("since", static_cast<long long>(found[i]->stage_since_ms));
        v.set("salesperson", found[i]->salesperson.str());
        v.set("promised_date", found[i]->promised_date.str());
        v.set("customer_po", found[i]->customer_po);
        list.push_back(std::move(v));
    }
    value r;
    r.set("orders", value(std::move(list)));
    r.set("total", count(found.size()));
    return r;
}

value control_views::replay(std::uint64_t since, std::size_t limit) {
    value_list list;
    for (auto& m : s_.store.read_outbox(since, limit)) {
        value v;
        v.set("seq", count(m.seq));
        v.set("topic", m.topic);
        value env;
        std::string error;
        if (!decode_msgpack(m.envelope, decode_limits::trusted(), env, error)) env = value();
        v.set("envelope", std::move(env));
        list.push_back(std::move(v));
    }
    value r;
    r.set("messages", value(std::move(list)));
    r.set("relay_seq", count(s_.store.last_relay_seq()));
    return r;
}

}  // namespace baton
