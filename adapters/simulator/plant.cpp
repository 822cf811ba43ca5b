// The plant model: a priority queue of department actions by simulated time. Each action emits
// the department's event (a protocol.md envelope that passes schemas/*.yaml) and schedules what
// follows, along design.md's default flow, with realistic delays and the configured faults. This
// file is the engine (customers, orders placed, the queue, ids, late events); what each
// department does is in plant_sales.cpp, plant_finance.cpp, plant_production.cpp and
// plant_logistics.cpp.
#include "plant.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>

#include "dates.h"
#include "plant_order.h"

namespace baton::adapters::simulator {

namespace {

constexpr std::uint32_t no_order = std::numeric_limits<std::uint32_t>::max();

constexpr std::array<const char*, department_count> sources = {"sales-erp", "finance-ledger",
                                                               "production-mes", "logistics-tms"};
constexpr std::array<const char*, department_count> id_parts = {"sal", "fin", "pro", "log"};

// The customers of config/customers.yaml, then more of the same kind of trade.
struct profile {
    const char* id;
    const char* name;
    const char* tier;
    const char* terms;
    std::int64_t credit_limit_cents;
    const char* country;
    const char* city;
};
constexpr std::array<profile, 4> seed_customers = {{
    {"C-1001", "Nordfassaden GmbH", "key", "credit", 200000000, "DE", "Hamburg"},
    {"C-1002", "Alu Windows Ltd", "A", "credit", 80000000, "GB", "Leeds"},
    {"C-1003", "Solar Frames BV", "B", "credit", 30000000, "NL", "Eindhoven"},
    {"C-1004", "Kovács Építő Kft", "C", "prepay", 0, "HU", "Győr"},
}};
struct trade_name {
    const char* name;
    const char* country;
    const char* city;
};
constexpr std::array<trade_name, 20> more_customers = {{
    {"Okna Wrocław Sp. z o.o.", "PL", "Wrocław"},
    {"Brněnské Fasády s.r.o.", "CZ", "Brno"},
    {"Transilvania Profile SRL", "RO", "Cluj-Napoca"},
    {"Donau Metallbau GmbH", "AT", "Linz"},
    {"Lumière Vérandas SAS", "FR", "Lyon"},
    {"Serramenti Brianza S.r.l.", "IT", "Monza"},
    {"Nordic Glasparti AB", "SE", "Göteborg"},
    {"Helvetia Fensterbau AG", "CH", "Winterthur"},
    {"Costa Aluminios S.L.", "ES", "Valencia"},
    {"Vlaamse Gevelbouw NV", "BE", "Gent"},
    {"Baltic Frames UAB", "LT", "Kaunas"},
    {"Alpen Wintergarten GmbH", "DE", "Rosenheim"},
    {"Thames Curtain Walling Ltd", "GB", "Reading"},
    {"Dansk Facade ApS", "DK", "Aarhus"},
    {"Ege Alüminyum A.Ş.", "TR", "İzmir"},
    {"Porto Caixilharia Lda", "PT", "Porto"},
    {"Sunrail Balkone GmbH", "DE", "Augsburg"},
    {"Kraków Elewacje S.A.", "PL", "Kraków"},
    {"Tatra Okná a.s.", "SK", "Žilina"},
    {"Adria Fasade d.o.o.", "SI", "Celje"},
}};
constexpr std::array<const char*, 6> generated_places = {"Rhein", "Elbe", "Weser",
                                                         "Main",  "Oder", "Mosel"};
constexpr std::array<const char*, 4> generated_trades = {"Fensterbau", "Fassadentechnik",
                                                         "Metallbau", "Wintergarten"};
constexpr std::array<const char*, 3> cancel_reasons = {"customer project postponed to next year",
                                                       "ordered twice by mistake (duplicate PO)",
                                                       "customer bought from stock elsewhere"};
constexpr std::array<const char*, 3> late_cancel_reasons = {
    "building project stopped by the developer's insolvency",
    "customer's own customer cancelled the facade package",
    "profiles no longer needed: the customer changed the system supplier"};
constexpr std::array<const char*, 5> account_managers = {"k.fischer", "l.moreau", "p.dvorak",
                                                         "e.szabo", "m.rossi"};

struct weighted {
    const char* name;
    int weight;
};
constexpr std::array<weighted, 3> alloys = {{{"6060", 45}, {"6063", 40}, {"6082", 15}}};
constexpr std::array<weighted, 5> finishes = {
    {{"mill", 20}, {"anodised", 30}, {"powder_coated", 35}, {"thermal_break", 10}, {"brushed", 5}}};
constexpr std::array<const char*, 5> anodising_shades = {"C-0", "C-31", "C-33", "C-35", "EV1"};
constexpr std::array<const char*, 5> ral_colours = {"RAL 9016", "RAL 7016", "RAL 9005", "RAL 9006",
                                                    "RAL 8019"};
constexpr std::array<int, 5> cut_lengths_mm = {3000, 5000, 6000, 6500, 7000};

template <std::size_t n>
const char* pick_weighted(const std::array<weighted, n>& table, std::uint64_t r) {
    int total = 0;
    for (const auto& w : table) total += w.weight;
    int x = static_cast<int>(r % static_cast<std::uint64_t>(total));
    for (const auto& w : table) {
        if (x < w.weight) return w.name;
        x -= w.weight;
    }
    return table[0].name;
}

}  // namespace

const char* source_name(department d) {
    return sources[static_cast<std::size_t>(d)];
}

const char* outcome_name(order_outcome o) {
    switch (o) {
        case order_outcome::in_progress: return "in_progress";
        case order_outcome::closed: return "closed";
        case order_outcome::cancelled: return "cancelled";
        case order_outcome::on_hold: return "on_hold";
    }
    return "in_progress";
}

plant::plant(plant_options options) : options_(std::move(options)) {
    assert(options_.start_ms > 0);
    rng_state_ = options_.seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
    tag_ = options_.run_tag;
    if (tag_.empty()) {
        // Four base-36 digits from the seed and the start second: runs against the same
        // batond never reuse an order or event id.
        std::uint64_t z = options_.seed ^ (static_cast<std::uint64_t>(options_.start_ms / 1000) *
                                           0xbf58476d1ce4e5b9ULL);
        z = (z ^ (z >> 31)) * 0x94d049bb133111ebULL;
        z ^= z >> 29;
        const char* digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (int i = 0; i < 4; ++i, z /= 36) tag_ += digits[z % 36];
    }
    now_ms_ = options_.start_ms;
    build_customers();
    announce_customers();
    for (std::size_t k = 0; k < customers_.size(); ++k)
        for (int i = 0; i < options_.open_items && customers_[k].terms == "credit"; ++i)
            carry_over_open_item(k);
    for (auto& a : accounts_)
        if (a.balance_cents != 0) update_receivable(a);
    if (options_.orders_per_hour > 0) schedule(no_order, action_kind::arrival, now_ms_);
}

plant::~plant() = default;

std::uint64_t plant::next_random() {
    std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double plant::uniform() {
    return static_cast<double>(next_random() >> 11) * 0x1.0p-53;
}

std::int64_t plant::between(std::int64_t low, std::int64_t high) {
    return low +
           static_cast<std::int64_t>(next_random() % static_cast<std::uint64_t>(high - low + 1));
}

std::int64_t plant::hours(double low, double high) {
    return static_cast<std::int64_t>((low + (high - low) * uniform()) *
                                     static_cast<double>(hour_ms));
}

// A department's usual answer time, or (slow_answer) one that overruns its stage's SLA.
std::int64_t plant::answer_after(double low_h, double high_h, double slow_high_h) {
    if (chance(options_.faults.slow_answer)) {
        ++stats_.slow_answers;
        return hours(high_h, slow_high_h);
    }
    return hours(low_h, high_h);
}

std::int64_t plant::today() const {
    return day_of(now_ms_);
}

void plant::build_customers() {
    std::vector<customer> known = options_.known_customers;
    if (known.empty())
        for (const auto& p : seed_customers)
            known.push_back(customer{p.id, p.name, p.tier, p.terms, p.credit_limit_cents, -1, false,
                                     "", p.country});
    const std::size_t n = std::max<std::size_t>(options_.customers, 1);
    for (std::size_t i = 0; i < n; ++i) {
        customer c;
        account a;
        if (i < known.size()) {
            c = known[i];
            a.country = "DE";
            a.city = "Hamburg";
            for (const auto& p : seed_customers)
                if (c.id == p.id) a.country = p.country, a.city = p.city;
        } else {
            char id[32];
            std::snprintf(id, sizeof id, "C-%zu", 1001 + i);
            c.id = id;
            const std::size_t g = i - known.size();
            if (g < more_customers.size()) {
                c.name = more_customers[g].name;
                a.country = more_customers[g].country;
                a.city = more_customers[g].city;
            } else {
                c.name = std::string(generated_places[g % generated_places.size()]) + " " +
                         generated_trades[(g / generated_places.size()) % generated_trades.size()] +
                         " " + std::to_string(g) + " GmbH";
                a.country = "DE";
                a.city = "Frankfurt";
            }
            // The master data depends on the customer's number alone, not on the seed, so a
            // customers file can list the same customers (config/demo/customers.yaml does).
            std::uint64_t state = 0xc0ffee0000ULL + i;
            auto draw = [&state] {
                std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
                return (z ^ (z >> 31)) % 1000;
            };
            const auto tier = draw();
            c.tier = tier < 100 ? "key" : tier < 350 ? "A" : tier < 750 ? "B" : "C";
            const auto terms = draw();
            const bool prepay = (c.tier == "C" && terms < 700) || (c.tier == "B" && terms < 150);
            c.terms = prepay ? "prepay" : "credit";
            const auto size = static_cast<std::int64_t>(draw());  // 0..999
            if (prepay)
                c.credit_limit_cents = 0;
            else if (c.tier == "key")
                c.credit_limit_cents = (240 + size * 240 / 1000) * 1000000;
            else if (c.tier == "A")
                c.credit_limit_cents = (80 + size * 80 / 1000) * 1000000;
            else if (c.tier == "B")
                c.credit_limit_cents = (32 + size * 28 / 1000) * 1000000;
            else
                c.credit_limit_cents = (12 + size * 12 / 1000) * 1000000;
        }
        a.manager = account_managers[i % account_managers.size()];
        a.weight = c.tier == "key" ? 6 : c.tier == "A" ? 3 : c.tier == "B" ? 2 : 1;
        a.payment_days = c.terms == "prepay" ? 0 : c.tier == "key" ? 60 : c.tier == "A" ? 45 : 30;
        if (c.payment_days >= 0) a.payment_days = c.payment_days;  // the customers file's
        const int die_count = static_cast<int>(between(3, 8));
        for (int d = 0; d < die_count; ++d) a.dies.push_back(static_cast<int>(between(1000, 6999)));
        if (c.terms == "credit")
            a.balance_cents = c.credit_limit_cents * between(0, 30) / 100 / 100 * 100;
        customers_.push_back(std::move(c));
        accounts_.push_back(std::move(a));
    }
}

envelope plant::make(department d, const std::string& topic, const sim_order* o, value data) {
    const auto k = static_cast<std::size_t>(d);
    envelope e;
    e.seq = ++source_seq_[k];
    e.id = tag_ + "-" + id_parts[k] + "-" + pad(*e.seq, 7);
    e.source = sources[k];
    e.topic = topic;
    e.ts_ms = now_ms_;
    if (o) e.order = o->id;
    e.data = std::move(data);
    return e;
}

void plant::emit(envelope e, sim_order* o, bool may_be_late) {
    if (o && may_be_late && chance(options_.faults.out_of_order)) {
        // Stuck in a queue somewhere: it reaches batond a few minutes after the order's next
        // event, or a few hours later at the latest.
        ++stats_.out_of_order;
        o->held.push_back({0, std::move(e)});
        schedule(o->index, action_kind::release_late, now_ms_ + hours(1, 24));
        return;
    }
    ++stats_.events;
    ready_.push_back({now_ms_, std::move(e)});
    if (!o) return;
    for (; o->held_overtaken < o->held.size(); ++o->held_overtaken)
        schedule(o->index, action_kind::release_late, now_ms_ + hours(1.0 / 60, 10.0 / 60));
}

// The oldest late event of the order arrives (each has two release actions: whichever fires
// first lets it through, the other finds nothing).
void plant::release_late(sim_order& o) {
    if (o.held.empty()) return;
    plant_event late = std::move(o.held.front());
    o.held.erase(o.held.begin());
    if (o.held_overtaken > 0) --o.held_overtaken;
    late.send_ms = now_ms_;
    ++stats_.events;
    ready_.push_back(std::move(late));
}

void plant::set_outcome(sim_order& o, order_outcome next) {
    auto counter = [&](order_outcome x) -> std::uint64_t* {
        switch (x) {
            case order_outcome::closed: return &stats_.closed;
            case order_outcome::cancelled: return &stats_.cancelled;
            case order_outcome::on_hold: return &stats_.on_hold;
            default: return nullptr;
        }
    };
    if (auto* c = counter(o.outcome)) --*c;
    if (auto* c = counter(next)) ++*c;
    o.outcome = next;
}

void plant::announce_customers() {
    for (std::size_t k = 0; k < customers_.size(); ++k) {
        const customer& c = customers_[k];
        const account& a = accounts_[k];
        value d;
        d.set("customer", c.id);
        d.set("name", c.name);
        d.set("tier", c.tier);
        d.set("terms", c.terms);
        d.set("credit_limit_cents", ll(c.credit_limit_cents));
        d.set("payment_days", a.payment_days);
        d.set("country", a.country);
        d.set("account_manager", a.manager);
        emit(make(department::sales, "sales.customer.updated", nullptr, std::move(d)), nullptr,
             false);
    }
}

// An invoice from before the run, still unpaid and 10-100 days past its due date: the whole
// delivered order it bills reaches batond at the start (its events with their old times), and
// the customer pays it 2-40 days into the run. So a run that starts now shows invoices ageing.
void plant::carry_over_open_item(std::size_t k) {
    account& a = accounts_[k];
    sim_order& o = new_order(k, false);  // its die long since made
    ++stats_.carried_over;
    const std::int64_t start = options_.start_ms;
    const std::int64_t due = start - between(10, 100) * day_ms - hours(0, 20);
    const std::int64_t invoiced = due - a.payment_days * day_ms;
    const std::int64_t delivered = invoiced - hours(2, 72);
    const std::int64_t dispatched = delivered - hours(18, 52);
    const std::int64_t completed = dispatched - hours(3, 16);
    const std::int64_t started = completed - hours(24, 72);
    const std::int64_t scheduled = started - hours(48, 192);
    const std::int64_t approved = scheduled - hours(2, 16);
    const std::int64_t placed = approved - hours(0.25, 2.5);
    o.promised_day = day_of(delivered) + between(0, 4);
    // Made and sent as ordered, a little over.
    sim_order::batch b;
    b.id = "B-" + tag_ + "-" + pad(++next_batch_, 5);
    b.press_line = static_cast<int>(between(1, 4));
    b.planned_start_day = day_of(started);
    b.planned_finish_day = day_of(completed);
    b.started = b.completed = true;
    sim_order::truck t;
    t.shipment = "DN-" + tag_ + "-" + pad(++next_shipment_, 5);
    t.attempts = 1;
    t.delivered = true;
    value_list made, sent;
    double kg = 0;
    std::int64_t amount = 0;
    for (std::size_t i = 0; i < o.lines.size(); ++i) {
        auto& l = o.lines[i];
        l.good = l.unit == "pcs" ? l.qty + static_cast<double>(between(0, 2))
                                 : in_unit(l.unit, l.qty * (1.0 + 0.02 * uniform()));
        b.lines.push_back(i);
        b.planned.push_back(l.qty);
        b.rejected.push_back(0);
        t.loads.push_back({i, l.good});
        kg += l.kg(l.good);
        amount += value_of(l.amount_cents, l.qty, l.good);
        value m;
        m.set("line", static_cast<int>(i + 1));
        m.set("qty_good", l.good);
        m.set("unit", l.unit);
        made.push_back(std::move(m));
        value s;
        s.set("line", static_cast<int>(i + 1));
        s.set("qty", l.good);
        s.set("unit", l.unit);
        sent.push_back(std::move(s));
    }
    kg = std::max(0.1, round_to(kg, 0.1));
    o.batches.push_back(b);
    o.trucks.push_back(t);
    o.scheduled = o.produced = o.delivered = o.invoiced = o.trucks_planned = true;
    ++stats_.batches;
    ++stats_.shipments;
    ++stats_.invoices;
    // Every event with its own old time, all sent at the start, in the order they happened.
    auto past = [&](std::int64_t at, department d, const char* topic, value data) {
        now_ms_ = at;
        envelope e = make(d, topic, &o, std::move(data));
        ++stats_.events;
        ready_.push_back({start, std::move(e)});
    };
    past(placed, department::sales, "sales.order.placed", placed_data(o, day_of(placed)));
    value d;
    d.set("by", "a.kowalska");
    d.set("reason", "within limit, no overdue items");
    d.set("limit_cents", ll(customers_[k].credit_limit_cents));
    past(approved, department::finance, "finance.credit.approved", std::move(d));
    d = value();
    d.set("planned_start", civil_date(b.planned_start_day));
    d.set("planned_finish", civil_date(b.planned_finish_day));
    d.set("line", "P" + std::to_string(b.press_line));
    d.set("batch", b.id);
    past(scheduled, department::production, "production.order.scheduled", std::move(d));
    d = value();
    d.set("line", "P" + std::to_string(b.press_line));
    d.set("batch", b.id);
    past(started, department::production, "production.order.started", std::move(d));
    d = value();
    d.set("qty_good", kg);
    d.set("unit", "kg");
    d.set("batch", b.id);
    d.set("order_lines", value(std::move(made)));
    past(completed, department::production, "production.order.completed", std::move(d));
    d = value();
    d.set("vehicle", a.country + "-" + std::to_string(between(1000, 9999)) + " AL");
    d.set("qty", kg);
    d.set("unit", "kg");
    d.set("shipment", t.shipment);
    d.set("partial", false);
    d.set("order_lines", value(sent));
    past(dispatched, department::logistics, "logistics.shipment.dispatched", std::move(d));
    d = value();
    d.set("qty", kg);
    d.set("received_by", "goods-in " + a.city);
    d.set("unit", "kg");
    d.set("shipment", t.shipment);
    d.set("order_lines", value(std::move(sent)));
    past(delivered, department::logistics, "logistics.shipment.delivered", std::move(d));
    sim_order::bill bill;
    bill.invoice = "INV-" + tag_ + "-" + pad(++next_invoice_, 5);
    bill.amount_cents = amount;
    bill.due_ms = due;
    bill.receivable = bill.overdue = true;
    d = value();
    d.set("invoice", bill.invoice);
    d.set("amount_cents", ll(amount));
    d.set("currency", "EUR");
    d.set("invoice_date", civil_date(day_of(invoiced)));
    d.set("due_date", civil_date(day_of(due)));
    d.set("shipment", t.shipment);
    past(invoiced, department::finance, "finance.invoice.issued", std::move(d));
    now_ms_ = start;
    o.bills.push_back(std::move(bill));
    a.balance_cents += amount;
    a.overdue_cents += amount;
    set_outcome(o, order_outcome::closed);
    schedule(o.index, action_kind::payment, start + hours(2 * 24, 40 * 24), 0);
}

void plant::schedule(std::uint32_t order, action_kind kind, std::int64_t at_ms,
                     std::uint32_t item) {
    if (order != no_order) ++orders_[order].pending;
    actions_.push({std::max(at_ms, now_ms_), next_tie_++, order, item, kind});
}

std::optional<std::int64_t> plant::next_send_ms() {
    while (ready_.empty() && !actions_.empty()) {
        action a = actions_.top();
        actions_.pop();
        run(a);
    }
    if (ready_.empty()) return std::nullopt;
    return ready_.front().send_ms;
}

bool plant::next(plant_event& out) {
    if (!next_send_ms()) return false;
    out = std::move(ready_.front());
    ready_.pop_front();
    return true;
}

std::vector<std::pair<std::string, order_outcome>> plant::outcomes() const {
    std::vector<std::pair<std::string, order_outcome>> out;
    out.reserve(orders_.size());
    for (const auto& o : orders_) out.emplace_back(o.id, o.outcome);
    return out;
}

// A new order of customer k: its id and 1-4 lines of the customer's profiles, in kilograms or
// (cut bars) in pieces; a new die for the first line now and then.
plant::sim_order& plant::new_order(std::size_t k, bool may_need_die) {
    const auto index = static_cast<std::uint32_t>(orders_.size());
    orders_.emplace_back();
    sim_order& o = orders_.back();
    o.index = index;
    o.id = "SO-" + tag_ + "-" + pad(index + 1, 4);
    o.customer = k;
    ++stats_.orders_placed;
    account& a = accounts_[k];
    o.prepay = customers_[k].terms == "prepay";
    const double lr = uniform();
    const int line_count = lr < 0.4 ? 1 : lr < 0.7 ? 2 : lr < 0.9 ? 3 : 4;
    o.new_die = chance(options_.new_die) && may_need_die;
    for (int i = 0; i < line_count; ++i) {
        sim_order::line l;
        l.die = o.new_die && i == 0 ? 7000 + static_cast<int>(next_die_++ % 2999)
                                    : a.dies[next_random() % a.dies.size()];
        l.alloy = pick_weighted(alloys, next_random());
        l.temper = l.alloy == "6082"          ? "T6"
                   : (next_random() % 4) < 2  ? "T5"
                   : (next_random() % 2) == 0 ? "T6"
                                              : "T66";
        l.finish = pick_weighted(finishes, next_random());
        if (l.finish == "anodised")
            l.colour = anodising_shades[next_random() % anodising_shades.size()];
        else if (l.finish == "powder_coated" || l.finish == "thermal_break")
            l.colour = ral_colours[next_random() % ral_colours.size()];
        l.length_mm = cut_lengths_mm[next_random() % cut_lengths_mm.size()];
        l.weight_kg_m = round_to(0.35 + 4.4 * uniform(), 0.01);
        // Whole bars: the kilograms follow from pieces x length x weight per metre.
        const double pieces =
            std::max(1.0, std::round(static_cast<double>(between(150, 5000)) / l.bar_kg()));
        l.unit = chance(0.25) ? "pcs" : "kg";
        l.qty = l.unit == "pcs" ? pieces : round_to(pieces * l.bar_kg(), 0.1);
        double price = l.alloy == "6082" ? 5.10 : l.alloy == "6063" ? 4.40 : 4.20;  // EUR/kg
        if (l.finish == "anodised") price += 1.10;
        if (l.finish == "powder_coated") price += 1.30;
        if (l.finish == "thermal_break") price += 2.80;
        if (l.finish == "brushed") price += 0.60;
        price *= 0.92 + 0.16 * uniform();
        l.amount_cents = static_cast<std::int64_t>(std::llround(l.kg(l.qty) * price * 100));
        o.amount_cents += l.amount_cents;
        o.lines.push_back(std::move(l));
    }
    stats_.lines += o.lines.size();
    if (o.new_die) {
        ++stats_.new_dies;
        a.dies.push_back(o.lines[0].die);
    }
    return o;
}

value plant::placed_data(const sim_order& o, std::int64_t day) {
    const customer& c = customers_[o.customer];
    const account& a = accounts_[o.customer];
    value d;
    d.set("customer", c.id);
    d.set("customer_po", "PO-" + std::to_string(between(100000, 999999)));
    d.set("lines", order_lines(o));
    d.set("amount_cents", ll(o.amount_cents));
    d.set("currency", "EUR");
    d.set("promised_date", civil_date(o.promised_day));
    d.set("requested_date", civil_date(std::max(day + 7, o.promised_day - between(0, 5))));
    d.set("new_die", o.new_die);
    d.set("terms", c.terms);
    d.set("incoterm", c.terms == "prepay" ? "FCA" : "DAP");
    d.set("ship_to", c.name + ", " + a.city + ", " + a.country);
    d.set("salesperson", a.manager);
    if (o.new_die)
        d.set("notes", "new profile: die D-" + std::to_string(o.lines[0].die) +
                           " to be made, first-article approval by the customer");
    return d;
}

void plant::place_order() {
    if (!placing_ ||
        (options_.orders && stats_.orders_placed - stats_.carried_over >= options_.orders))
        return;
    int total_weight = 0;
    for (const auto& a : accounts_) total_weight += a.weight;
    int r = static_cast<int>(between(0, total_weight - 1));
    std::size_t k = 0;
    for (; k + 1 < accounts_.size(); ++k) {
        if (r < accounts_[k].weight) break;
        r -= accounts_[k].weight;
    }
    sim_order& o = new_order(k, true);
    const std::uint32_t index = o.index;
    account& a = accounts_[k];
    const std::int64_t day = today();
    o.promised_day = day + between(14, 35) + (o.new_die ? 10 : 0);

    // Its fate.
    const fault_rates& f = options_.faults;
    o.reject = chance(f.credit_reject);
    const double after = uniform();
    o.after_reject = after < 0.55 ? 0 : after < 0.8 ? 1 : 2;
    // A credit customer refused credit may take the order on prepayment instead.
    if (!o.prepay && chance(options_.prepay_switch)) o.after_reject = 3;
    o.late_die = o.new_die && chance(f.late_die);
    o.short_run = chance(f.short_run);
    o.slow_pay = chance(f.slow_pay);
    o.complaint = chance(f.complaint);
    o.with_return = chance(0.4);
    o.pays_early = o.prepay && chance(options_.prepay_early);
    o.cancel_late = chance(f.cancel_late);
    o.amend_after_schedule = chance(options_.amend_after_schedule);
    const bool will_cancel = chance(f.cancel);
    const bool will_amend = chance(options_.amend);

    value d = placed_data(o, day);
    o.open_cents = o.amount_cents;
    a.open_cents += o.open_cents;
    emit(make(department::sales, "sales.order.placed", &o, std::move(d)), &o, true);

    schedule(index, action_kind::credit_decision, now_ms_ + answer_after(0.25, 2.5, 9));
    if (will_cancel) schedule(index, action_kind::cancel, now_ms_ + hours(2, 144));
    if (will_amend) schedule(index, action_kind::amend, now_ms_ + hours(12, 120));
    if (o.pays_early) {
        o.payment_planned = true;
        schedule(index, action_kind::prepayment, now_ms_ + hours(24, 72));
    }
    // The next order: arrivals are a Poisson process at the configured rate.
    if (!options_.orders || stats_.orders_placed - stats_.carried_over < options_.orders) {
        const double mean_ms = static_cast<double>(hour_ms) / options_.orders_per_hour;
        const double gap = -std::log(1.0 - uniform()) * mean_ms;
        schedule(no_order, action_kind::arrival, now_ms_ + 1 + static_cast<std::int64_t>(gap));
    }
}

void plant::run(const action& act) {
    now_ms_ = act.at_ms;
    if (act.kind == action_kind::arrival) {
        place_order();
        return;
    }
    sim_order& o = orders_[act.order];
    --o.pending;
    // Once cancelled, the departments drop the order; only late messages still arrive.
    if (o.cancelled && act.kind != action_kind::release_late) return;
    const std::uint32_t item = act.item;
    switch (act.kind) {
        case action_kind::arrival: break;
        case action_kind::credit_decision: decide_credit(o); break;
        case action_kind::credit_review_again: review_credit_again(o); break;
        case action_kind::die_ready: die_ready(o); break;
        case action_kind::plan_batches: plan_batches(o); break;
        case action_kind::start_batch: start_batch(o, item); break;
        case action_kind::qc_fail: fail_qc(o, item); break;
        case action_kind::complete_batch: complete_batch(o, item); break;
        case action_kind::remedy_short: remedy_short(o); break;
        case action_kind::confirm_plan: confirm_plan(o); break;
        case action_kind::confirm_amount: confirm_amount(o); break;
        case action_kind::prepayment: receive_prepayment(o); break;
        case action_kind::plan_trucks: plan_trucks(o); break;
        case action_kind::dispatch: dispatch(o, item); break;
        case action_kind::deliver: deliver(o, item); break;
        case action_kind::invoice_shipment: invoice_shipment(o, item); break;
        case action_kind::invoice_order: invoice_order(o); break;
        case action_kind::invoice_due: invoice_falls_due(o, item); break;
        case action_kind::payment: receive_payment(o, item); break;
        case action_kind::complaint: file_complaint(o); break;
        case action_kind::return_request: request_return(o); break;
        case action_kind::close_complaint: close_complaint(o); break;
        case action_kind::explain_complaint: explain_complaint(o); break;
        case action_kind::close_return: close_return(o); break;
        case action_kind::amend: amend_promised_date(o); break;
        case action_kind::amend_after_schedule: amend_after_schedule(o); break;
        case action_kind::cancel:
            if (!o.dispatched_any())  // too late once the goods are on their way
                cancel(o, cancel_reasons[next_random() % cancel_reasons.size()], false);
            break;
        case action_kind::cancel_late:
            if (!o.dispatched_any())
                cancel(o, late_cancel_reasons[next_random() % late_cancel_reasons.size()], true);
            break;
        case action_kind::release_late: release_late(o); break;
    }
}

}  // namespace baton::adapters::simulator
