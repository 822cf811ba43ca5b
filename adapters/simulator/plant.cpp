// The plant model: a priority queue of department actions by simulated time. Each action emits
// the department's event (a PROTOCOL.md envelope that passes schemas/*.yaml) and schedules what
// follows, along DESIGN.md's default flow, with realistic delays and the configured faults.
#include "plant.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>

#include "dates.h"

namespace baton::adapters::simulator {

namespace {

constexpr std::int64_t hour_ms = 3600 * 1000;
constexpr std::int64_t day_ms = 24 * hour_ms;
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
    {"C-1001", "Nordfassaden GmbH", "key", "credit", 50000000, "DE", "Hamburg"},
    {"C-1002", "Alu Windows Ltd", "A", "credit", 15000000, "GB", "Leeds"},
    {"C-1003", "Solar Frames BV", "B", "credit", 5000000, "NL", "Eindhoven"},
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
constexpr std::array<const char*, 5> account_managers = {"k.fischer", "l.moreau", "p.dvorak",
                                                         "e.szabo", "m.rossi"};
constexpr std::array<const char*, 4> credit_officers = {"a.kowalska", "j.weber", "m.novak",
                                                        "s.baker"};
constexpr std::array<const char*, 4> inspectors = {"qc.hoffmann", "qc.lindqvist", "qc.baran",
                                                   "qc.costa"};
constexpr std::array<const char*, 4> carriers = {"Spedition Meier GmbH", "Raben Logistics",
                                                 "DSV Road", "Transalu Kft"};
constexpr std::array<const char*, 3> die_makers = {"Exco Dies", "Bohler Matrizen",
                                                   "Castool Tooling"};

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

struct qc_defect {
    const char* defect;
    const char* detail;
};
constexpr std::array<qc_defect, 6> qc_defects = {{
    {"die_lines", "die lines on the visible face beyond the agreed limit sample"},
    {"dimension", "wall thickness 0.15 mm under tolerance (EN 755-9) at the die exit"},
    {"twist", "twist of 1.2 degrees per metre on the long profiles, limit 1.0"},
    {"coating_thickness", "powder coating 48 um on the inner faces, 60 um required"},
    {"blisters", "blisters in the anodic layer after sealing, batch held"},
    {"hardness", "hardness 9 HW after ageing, 12 HW required for the temper"},
}};
struct delivery_problem {
    const char* kind;
    const char* reason;
};
constexpr std::array<delivery_problem, 5> delivery_problems = {{
    {"closed", "goods-in closed on arrival, no one to unload"},
    {"refused", "customer refused the delivery: packaging damaged in transit"},
    {"address", "site address incomplete, driver could not find the unloading point"},
    {"vehicle", "truck breakdown on the motorway, goods back at the depot"},
    {"carrier", "carrier missed the unloading slot, rebooked by the customer"},
}};
struct complaint_kind {
    const char* kind;
    const char* detail;
    const char* root_cause;
};
constexpr std::array<complaint_kind, 5> complaint_kinds = {{
    {"surface", "scratches on the visible faces of several bars after unpacking",
     "interleaving paper missing at packing"},
    {"colour", "shade differs between two bundles of the same order",
     "two anodising batches mixed in one delivery"},
    {"dimension", "profiles do not fit the gasket: wall too thick at one leg",
     "die wear, corrected and die re-nitrided"},
    {"quantity", "one bundle fewer than on the delivery note",
     "bundle left at the depot, picking error"},
    {"packaging", "bundles not strapped to the agreed standard, bars bent",
     "new packer not trained on the customer's standard"},
}};
constexpr std::array<const char*, 3> cancel_reasons = {"customer project postponed to next year",
                                                       "ordered twice by mistake (duplicate PO)",
                                                       "customer bought from stock elsewhere"};

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

// Rounded to a multiple of `step` (0.1, 0.01), as the nearest double of the decimal.
double round_to(double x, double step) {
    const double per_unit = std::round(1.0 / step);
    return std::round(x * per_unit) / per_unit;
}

std::string pad(std::uint64_t n, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(n));
    return buf;
}

std::int64_t day_of(std::int64_t ms) {
    return ms >= 0 ? ms / day_ms : (ms - day_ms + 1) / day_ms;
}

long long ll(std::int64_t n) {
    return static_cast<long long>(n);
}

std::string money_text(std::int64_t cents) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "EUR %lld", static_cast<long long>(cents / 100));
    return buf;
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

// What the plant's departments know about a customer beyond the master data.
struct plant::account {
    std::string country, city, manager;
    int payment_days = 30;           // days net on credit terms
    int weight = 1;                  // how many orders it places, relatively (key accounts more)
    std::vector<int> dies;           // its profiles' die numbers
    std::int64_t balance_cents = 0;  // receivable
    std::int64_t overdue_cents = 0;
    std::int64_t open_cents = 0;  // placed, not yet invoiced or cancelled
};

struct plant::sim_order {
    struct line {
        int die = 0;
        std::string alloy, temper, finish, colour;
        int length_mm = 6000;
        double weight_kg_m = 1;
        double qty_kg = 0;
        std::int64_t amount_cents = 0;
    };
    std::string id;
    std::uint32_t index = 0;
    std::size_t customer = 0;
    std::vector<line> lines;
    std::int64_t amount_cents = 0;
    double qty_kg = 0;
    double qty_good = 0;  // what production completed, and logistics ships
    std::int64_t promised_day = 0;
    bool new_die = false;
    bool prepay = false;
    // What will happen to it, drawn when it is placed.
    bool reject = false;
    int after_reject = 0;  // 0 approved after review, 1 cancelled, 2 left on hold
    bool late_die = false;
    int qc_failures = 0;
    bool slow_pay = false;
    bool delivery_fail = false;
    bool complaint = false;
    bool with_return = false;
    bool pays_early = false;
    // What has happened.
    bool cancelled = false, produced = false, paid = false, payment_planned = false;
    bool dispatched = false, delivered = false, invoiced = false;
    int press_line = 1;
    std::int64_t planned_start_day = 0, planned_finish_day = 0;
    std::int64_t complete_ms = 0;
    int shipments = 0;
    std::string shipment, complaint_case, return_case;
    int complaint_type = 0;  // index into complaint_kinds
    int pending = 0;         // scheduled actions not yet run
    order_outcome outcome = order_outcome::in_progress;
    std::vector<plant_event> held;   // events on their way late (out of order), oldest first
    std::size_t held_overtaken = 0;  // of those, how many a later event has overtaken
};

enum class plant::action_kind : int {
    arrival,              // the next order comes in
    credit_decision,      // finance approves or rejects
    credit_review_again,  // after a rejection: approve, or sales cancels
    die_ready,
    schedule,
    start,
    qc_fail,
    complete,
    payment,  // prepay: the customer pays (early, or after the payment request)
    dispatch,
    deliver,  // the truck arrives: delivered, or the delivery fails
    invoice,
    payment_due,       // credit terms: the due date passes unpaid (slow payers)
    customer_payment,  // credit terms: the invoice is paid
    complaint,
    return_request,
    close_complaint,
    close_return,
    amend,
    cancel,
    release_late,  // an out-of-order event finally reaches batond
};

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

void plant::build_customers() {
    std::vector<customer> known = options_.known_customers;
    if (known.empty())
        for (const auto& p : seed_customers)
            known.push_back({p.id, p.name, p.tier, p.terms, p.credit_limit_cents});
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
                c.credit_limit_cents = (60 + size * 60 / 1000) * 1000000;
            else if (c.tier == "A")
                c.credit_limit_cents = (20 + size * 20 / 1000) * 1000000;
            else if (c.tier == "B")
                c.credit_limit_cents = (8 + size * 7 / 1000) * 1000000;
            else
                c.credit_limit_cents = (3 + size * 3 / 1000) * 1000000;
        }
        a.manager = account_managers[i % account_managers.size()];
        a.weight = c.tier == "key" ? 6 : c.tier == "A" ? 3 : c.tier == "B" ? 2 : 1;
        a.payment_days = c.terms == "prepay" ? 0 : c.tier == "key" ? 60 : c.tier == "A" ? 45 : 30;
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

void plant::update_receivable(account& a) {
    const std::size_t k = static_cast<std::size_t>(&a - accounts_.data());
    value d;
    d.set("customer", customers_[k].id);
    d.set("balance_cents", ll(a.balance_cents));
    d.set("overdue_cents", ll(std::max<std::int64_t>(a.overdue_cents, 0)));
    d.set("as_of", civil_date(day_of(now_ms_)));
    emit(make(department::finance, "finance.receivable.updated", nullptr, std::move(d)), nullptr,
         false);
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
    for (auto& a : accounts_)
        if (a.balance_cents != 0) update_receivable(a);
}

void plant::schedule(std::uint32_t order, action_kind kind, std::int64_t at_ms) {
    if (order != no_order) ++orders_[order].pending;
    actions_.push({std::max(at_ms, now_ms_), next_tie_++, order, kind});
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

value plant::order_lines(sim_order& o) {
    value_list list;
    for (const auto& l : o.lines) {
        value v;
        v.set("item", "PRF-" + std::to_string(l.die) + "-" + std::to_string(l.length_mm));
        v.set("die", "D-" + std::to_string(l.die));
        v.set("alloy", l.alloy);
        v.set("temper", l.temper);
        v.set("finish", l.finish);
        if (!l.colour.empty()) v.set("colour", l.colour);
        v.set("length_mm", l.length_mm);
        v.set("qty", l.qty_kg);
        v.set("unit", "kg");
        v.set("weight_kg_m", l.weight_kg_m);
        v.set("amount_cents", ll(l.amount_cents));
        list.push_back(std::move(v));
    }
    return value(std::move(list));
}

void plant::place_order() {
    if (!placing_ || (options_.orders && stats_.orders_placed >= options_.orders)) return;
    const auto index = static_cast<std::uint32_t>(orders_.size());
    orders_.emplace_back();
    sim_order& o = orders_.back();
    o.index = index;
    o.id = "SO-" + tag_ + "-" + pad(index + 1, 4);
    ++stats_.orders_placed;

    int total_weight = 0;
    for (const auto& a : accounts_) total_weight += a.weight;
    int r = static_cast<int>(between(0, total_weight - 1));
    for (std::size_t k = 0; k < accounts_.size(); ++k) {
        if (r < accounts_[k].weight) {
            o.customer = k;
            break;
        }
        r -= accounts_[k].weight;
    }
    const customer& c = customers_[o.customer];
    account& a = accounts_[o.customer];
    o.prepay = c.terms == "prepay";

    // 1-3 lines of the customer's profiles; a new die for one line now and then.
    const double lr = uniform();
    const int line_count = lr < 0.5 ? 1 : lr < 0.85 ? 2 : 3;
    o.new_die = chance(options_.new_die);
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
        const double bar_kg = l.weight_kg_m * l.length_mm / 1000.0;
        const double pieces =
            std::max(1.0, std::round(static_cast<double>(between(150, 5000)) / bar_kg));
        l.qty_kg = round_to(pieces * bar_kg, 0.1);
        double price = l.alloy == "6082" ? 5.10 : l.alloy == "6063" ? 4.40 : 4.20;  // EUR/kg
        if (l.finish == "anodised") price += 1.10;
        if (l.finish == "powder_coated") price += 1.30;
        if (l.finish == "thermal_break") price += 2.80;
        if (l.finish == "brushed") price += 0.60;
        price *= 0.92 + 0.16 * uniform();
        l.amount_cents = static_cast<std::int64_t>(std::llround(l.qty_kg * price * 100));
        o.qty_kg += l.qty_kg;
        o.amount_cents += l.amount_cents;
        o.lines.push_back(std::move(l));
    }
    o.qty_kg = round_to(o.qty_kg, 0.1);
    if (o.new_die) {
        ++stats_.new_dies;
        a.dies.push_back(o.lines[0].die);
    }
    const std::int64_t today = day_of(now_ms_);
    o.promised_day = today + between(14, 35) + (o.new_die ? 10 : 0);

    // Its fate.
    const fault_rates& f = options_.faults;
    o.reject = chance(f.credit_reject);
    const double after = uniform();
    o.after_reject = after < 0.55 ? 0 : after < 0.8 ? 1 : 2;
    o.late_die = o.new_die && chance(f.late_die);
    o.qc_failures = chance(f.qc_fail) ? (chance(0.15) ? 2 : 1) : 0;
    o.slow_pay = chance(f.slow_pay);
    o.delivery_fail = chance(f.delivery_fail);
    o.complaint = chance(f.complaint);
    o.with_return = chance(0.4);
    o.pays_early = o.prepay && chance(options_.prepay_early);
    const bool will_cancel = chance(f.cancel);
    const bool will_amend = chance(options_.amend);

    value d;
    d.set("customer", c.id);
    d.set("customer_po", "PO-" + std::to_string(between(100000, 999999)));
    d.set("lines", order_lines(o));
    d.set("amount_cents", ll(o.amount_cents));
    d.set("currency", "EUR");
    d.set("promised_date", civil_date(o.promised_day));
    d.set("requested_date", civil_date(std::max(today + 7, o.promised_day - between(0, 5))));
    d.set("new_die", o.new_die);
    d.set("terms", c.terms);
    d.set("incoterm", c.terms == "prepay" ? "FCA" : "DAP");
    d.set("ship_to", c.name + ", " + a.city + ", " + a.country);
    d.set("salesperson", a.manager);
    if (o.new_die)
        d.set("notes", "new profile: die D-" + std::to_string(o.lines[0].die) +
                           " to be made, first-article approval by the customer");
    a.open_cents += o.amount_cents;
    emit(make(department::sales, "sales.order.placed", &o, std::move(d)), &o, true);

    schedule(index, action_kind::credit_decision, now_ms_ + answer_after(0.25, 2.5, 9));
    if (will_cancel) schedule(index, action_kind::cancel, now_ms_ + hours(2, 144));
    if (will_amend) schedule(index, action_kind::amend, now_ms_ + hours(12, 120));
    if (o.pays_early) {
        o.payment_planned = true;
        schedule(index, action_kind::payment, now_ms_ + hours(24, 72));
    }
    // The next order: arrivals are a Poisson process at the configured rate.
    if (!options_.orders || stats_.orders_placed < options_.orders) {
        const double mean_ms = static_cast<double>(hour_ms) / options_.orders_per_hour;
        const double gap = -std::log(1.0 - uniform()) * mean_ms;
        schedule(no_order, action_kind::arrival, now_ms_ + 1 + static_cast<std::int64_t>(gap));
    }
}

namespace {

void set_outcome(plant_stats& s, order_outcome& current, order_outcome next) {
    auto counter = [&](order_outcome x) -> std::uint64_t* {
        switch (x) {
            case order_outcome::closed: return &s.closed;
            case order_outcome::cancelled: return &s.cancelled;
            case order_outcome::on_hold: return &s.on_hold;
            default: return nullptr;
        }
    };
    if (auto* c = counter(current)) --*c;
    if (auto* c = counter(next)) ++*c;
    current = next;
}

}  // namespace

void plant::run(const action& act) {
    now_ms_ = act.at_ms;
    if (act.kind == action_kind::arrival) {
        place_order();
        return;
    }
    sim_order& o = orders_[act.order];
    --o.pending;
    const customer& c = customers_[o.customer];
    account& a = accounts_[o.customer];
    const std::int64_t today = day_of(now_ms_);
    const std::string line = "P" + std::to_string(o.press_line);
    // Once cancelled, the departments drop the order; only late messages still arrive.
    if (o.cancelled && act.kind != action_kind::release_late) return;
    auto after_credit = [&] {
        if (o.new_die)
            schedule(o.index, action_kind::die_ready,
                     now_ms_ + (o.late_die ? hours(10.5 * 24, 20 * 24) : hours(5 * 24, 7.5 * 24)));
        else
            schedule(o.index, action_kind::schedule, now_ms_ + answer_after(2, 16, 48));
    };
    auto cancel = [&](const std::string& reason) {
        value d;
        d.set("reason", reason);
        d.set("by", a.manager);
        if (o.produced) d.set("charge_cents", ll(o.amount_cents / 10));
        emit(make(department::sales, "sales.order.cancelled", &o, std::move(d)), &o, false);
        o.cancelled = true;
        a.open_cents -= o.amount_cents;
        ++stats_.cancellations;
        set_outcome(stats_, o.outcome, order_outcome::cancelled);
    };
    auto plan_dispatch = [&] {
        schedule(o.index, action_kind::dispatch, now_ms_ + answer_after(3, 16, 40));
    };

    switch (act.kind) {
        case action_kind::arrival: break;
        case action_kind::credit_decision: {
            const std::int64_t exposure = a.balance_cents + a.open_cents;
            value d;
            d.set("by", credit_officers[next_random() % credit_officers.size()]);
            if (o.reject) {
                ++stats_.credit_rejections;
                std::string reason;
                if (c.terms == "credit" && exposure > c.credit_limit_cents)
                    reason = "exposure " + money_text(exposure) + " over the credit limit of " +
                             money_text(c.credit_limit_cents);
                else if (a.overdue_cents > 0)
                    reason = money_text(a.overdue_cents) + " overdue on earlier invoices";
                else
                    reason = "credit insurer reduced the cover for " + c.id + " pending review";
                d.set("reason", reason);
                d.set("exposure_cents", ll(exposure));
                d.set("prepay_accepted", o.after_reject == 0);
                emit(make(department::finance, "finance.credit.rejected", &o, std::move(d)), &o,
                     false);
                if (o.after_reject == 2)
                    set_outcome(stats_, o.outcome, order_outcome::on_hold);
                else
                    schedule(o.index, action_kind::credit_review_again,
                             now_ms_ + (o.after_reject == 0 ? hours(4, 48) : hours(24, 72)));
                break;
            }
            d.set("reason", o.prepay ? "prepayment customer: released against payment before "
                                       "shipment"
                                     : "within limit, no overdue items");
            d.set("limit_cents", ll(c.credit_limit_cents));
            d.set("valid_until", civil_date(today + 30));
            emit(make(department::finance, "finance.credit.approved", &o, std::move(d)), &o, true);
            after_credit();
            break;
        }
        case action_kind::credit_review_again: {
            if (o.after_reject == 1) {
                cancel("credit refused; the customer withdrew the order");
                break;
            }
            value d;
            d.set("by", credit_officers[next_random() % credit_officers.size()]);
            d.set("reason",
                  "approved after review: customer paid the overdue items and agreed "
                  "a partial prepayment");
            d.set("limit_cents", ll(c.credit_limit_cents));
            emit(make(department::finance, "finance.credit.approved", &o, std::move(d)), &o, true);
            after_credit();
            break;
        }
        case action_kind::die_ready: {
            if (o.late_die) ++stats_.late_dies;
            value d;
            d.set("die", "D-" + std::to_string(o.lines[0].die));
            d.set("supplier", die_makers[next_random() % die_makers.size()]);
            d.set("trial_passed", true);
            d.set("cost_cents", ll(between(250, 900) * 1000));
            emit(make(department::production, "production.die.ready", &o, std::move(d)), &o, true);
            schedule(o.index, action_kind::schedule, now_ms_ + answer_after(2, 16, 48));
            break;
        }
        case action_kind::schedule: {
            o.press_line = static_cast<int>(between(1, 4));
            o.planned_start_day = today + between(2, 8);
            o.planned_finish_day = o.planned_start_day + between(1, 3);
            value d;
            d.set("planned_start", civil_date(o.planned_start_day));
            d.set("planned_finish", civil_date(o.planned_finish_day));
            d.set("line", "P" + std::to_string(o.press_line));
            const std::string& finish = o.lines[0].finish;
            if (finish == "anodised") d.set("finishing_line", "ANOD-1");
            if (finish == "powder_coated" || finish == "thermal_break")
                d.set("finishing_line", "PC-2");
            d.set("rescheduled", false);
            emit(make(department::production, "production.order.scheduled", &o, std::move(d)), &o,
                 true);
            schedule(o.index, action_kind::start, o.planned_start_day * day_ms + hours(6, 14));
            break;
        }
        case action_kind::start: {
            const std::int64_t hour = (now_ms_ % day_ms) / hour_ms;
            value d;
            d.set("line", line);
            d.set("shift", hour >= 6 && hour < 14    ? "early"
                           : hour >= 14 && hour < 22 ? "late"
                                                     : "night");
            d.set("billet_lot",
                  "BL-" + std::to_string(between(10000, 99999)) + "/" + o.lines[0].alloy);
            emit(make(department::production, "production.order.started", &o, std::move(d)), &o,
                 true);
            // Done on the planned finish day, or (slow_answer) well after it.
            o.complete_ms = o.planned_finish_day * day_ms + hours(10, 22);
            if (chance(options_.faults.slow_answer)) {
                ++stats_.slow_answers;
                o.complete_ms += hours(30, 60);
            }
            if (o.qc_failures > 0)
                schedule(o.index, action_kind::qc_fail,
                         now_ms_ + static_cast<std::int64_t>(
                                       static_cast<double>(o.complete_ms - now_ms_) *
                                       (0.3 + 0.5 * uniform())));
            else
                schedule(o.index, action_kind::complete, o.complete_ms);
            break;
        }
        case action_kind::qc_fail: {
            ++stats_.qc_failures;
            --o.qc_failures;
            const qc_defect& q = qc_defects[next_random() % qc_defects.size()];
            const bool rework = chance(0.7);
            value d;
            d.set("detail", std::string(q.detail) + " (" + o.id + ", line " + line + ")");
            d.set("qty", round_to(o.qty_kg * (0.05 + 0.4 * uniform()), 0.1) + 0.1);
            d.set("unit", "kg");
            d.set("defect", q.defect);
            d.set("line", line);
            d.set("rework", rework);
            d.set("inspector", inspectors[next_random() % inspectors.size()]);
            emit(make(department::production, "production.qc.failed", &o, std::move(d)), &o, false);
            if (o.qc_failures > 0)
                schedule(o.index, action_kind::qc_fail, now_ms_ + hours(12, 36));
            else
                schedule(
                    o.index, action_kind::complete,
                    std::max(o.complete_ms, now_ms_) + (rework ? hours(20, 60) : hours(60, 120)));
            break;
        }
        case action_kind::complete: {
            o.produced = true;
            const double scrap = round_to(o.qty_kg * (0.005 + 0.02 * uniform()), 0.1);
            o.qty_good = round_to(o.qty_kg - scrap, 0.1);
            value d;
            d.set("qty_good", o.qty_good);
            d.set("qty_scrap", scrap);
            d.set("unit", "kg");
            d.set("line", line);
            d.set("packages", static_cast<int>(o.qty_kg / 800) + 1);
            emit(make(department::production, "production.order.completed", &o, std::move(d)), &o,
                 true);
            if (o.prepay && !o.paid) {
                if (!o.payment_planned) {
                    o.payment_planned = true;
                    schedule(o.index, action_kind::payment,
                             now_ms_ + (o.slow_pay ? hours(80, 200) : hours(8, 50)));
                }
            } else {
                plan_dispatch();
            }
            break;
        }
        case action_kind::payment: {
            if (o.slow_pay && !o.pays_early) ++stats_.slow_payments;
            o.paid = true;
            value d;
            d.set("amount_cents", ll(o.amount_cents));
            d.set("currency", "EUR");
            d.set("method", "bank_transfer");
            d.set("reference", "PRO-FORMA " + o.id);
            d.set("value_date", civil_date(today));
            emit(make(department::finance, "finance.payment.received", &o, std::move(d)), &o, true);
            if (o.produced && !o.dispatched) plan_dispatch();
            break;
        }
        case action_kind::dispatch: {
            ++o.shipments;
            o.shipment = "DN-" + tag_ + "-" + pad(++next_shipment_, 5);
            o.dispatched = true;
            value d;
            d.set("vehicle", a.country + "-" + std::to_string(between(1000, 9999)) + " AL");
            d.set("qty", o.qty_good);
            d.set("unit", "kg");
            d.set("shipment", o.shipment);
            d.set("carrier", carriers[next_random() % carriers.size()]);
            d.set("packages", static_cast<int>(o.qty_good / 800) + 1);
            d.set("gross_weight_kg", round_to(o.qty_good * 1.04, 0.1));
            d.set("expected_delivery", civil_date(today + 2));
            d.set("partial", false);
            emit(make(department::logistics, "logistics.shipment.dispatched", &o, std::move(d)), &o,
                 true);
            if (o.delivery_fail && o.shipments == 1)
                schedule(o.index, action_kind::deliver, now_ms_ + hours(12, 48));
            else
                schedule(o.index, action_kind::deliver, now_ms_ + answer_after(18, 52, 110));
            break;
        }
        case action_kind::deliver: {
            if (o.delivery_fail && o.shipments == 1) {
                ++stats_.failed_deliveries;
                const delivery_problem& p =
                    delivery_problems[next_random() % delivery_problems.size()];
                value d;
                d.set("reason", p.reason);
                d.set("kind", p.kind);
                d.set("shipment", o.shipment);
                d.set("retry_date", civil_date(today + 2));
                emit(make(department::logistics, "logistics.delivery.failed", &o, std::move(d)), &o,
                     false);
                o.dispatched = false;
                schedule(o.index, action_kind::dispatch, now_ms_ + hours(20, 48));
                break;
            }
            o.delivered = true;
            value d;
            d.set("qty", o.qty_good);
            d.set("received_by", "goods-in " + a.city);
            d.set("unit", "kg");
            d.set("shipment", o.shipment);
            d.set("damaged", false);
            d.set("remarks", "delivered complete, CMR signed");
            emit(make(department::logistics, "logistics.shipment.delivered", &o, std::move(d)), &o,
                 true);
            schedule(o.index, action_kind::invoice, now_ms_ + answer_after(2, 72, 260));
            if (o.complaint) schedule(o.index, action_kind::complaint, now_ms_ + hours(48, 240));
            break;
        }
        case action_kind::invoice: {
            o.invoiced = true;
            a.open_cents -= o.amount_cents;
            const std::string invoice = "INV-" + tag_ + "-" + pad(++next_invoice_, 5);
            value d;
            d.set("invoice", invoice);
            d.set("amount_cents", ll(o.amount_cents));
            d.set("currency", "EUR");
            d.set("invoice_date", civil_date(today));
            d.set("due_date", civil_date(today + a.payment_days));
            emit(make(department::finance, "finance.invoice.issued", &o, std::move(d)), &o, true);
            set_outcome(stats_, o.outcome, order_outcome::closed);
            if (!o.prepay) {
                a.balance_cents += o.amount_cents;
                update_receivable(a);
                const std::int64_t due = now_ms_ + a.payment_days * day_ms;
                if (o.slow_pay) {
                    schedule(o.index, action_kind::payment_due, due + hours(8, 20));
                    schedule(o.index, action_kind::customer_payment, due + hours(10 * 24, 45 * 24));
                } else {
                    schedule(o.index, action_kind::customer_payment,
                             std::max(now_ms_ + day_ms, due + hours(-5 * 24, 0)));
                }
            }
            break;
        }
        case action_kind::payment_due: {
            a.overdue_cents += o.amount_cents;
            update_receivable(a);
            break;
        }
        case action_kind::customer_payment: {
            if (o.slow_pay) {
                ++stats_.slow_payments;
                a.overdue_cents -= o.amount_cents;
            }
            a.balance_cents -= o.amount_cents;
            value d;
            d.set("amount_cents", ll(o.amount_cents));
            d.set("currency", "EUR");
            d.set("method", "bank_transfer");
            d.set("reference", "REM " + c.id + " " + o.id);
            d.set("value_date", civil_date(today));
            emit(make(department::finance, "finance.payment.received", &o, std::move(d)), &o,
                 false);
            update_receivable(a);
            break;
        }
        case action_kind::complaint: {
            ++stats_.complaints;
            o.complaint_type = static_cast<int>(next_random() % complaint_kinds.size());
            const complaint_kind& k = complaint_kinds[static_cast<std::size_t>(o.complaint_type)];
            const auto line_no =
                static_cast<int>(between(1, static_cast<std::int64_t>(o.lines.size())));
            const auto& l = o.lines[static_cast<std::size_t>(line_no - 1)];
            o.complaint_case = "CP-" + tag_ + "-" + pad(++next_case_, 4);
            value d;
            d.set("case", o.complaint_case);
            d.set("kind", k.kind);
            d.set("detail", k.detail);
            d.set("line", line_no);
            d.set("qty", round_to(l.qty_kg * (0.05 + 0.3 * uniform()), 0.1) + 0.1);
            d.set("unit", "kg");
            d.set("claimed_cents", ll(l.amount_cents / 5));
            emit(make(department::sales, "sales.complaint.filed", &o, std::move(d)), &o, false);
            schedule(o.index, action_kind::close_complaint, now_ms_ + answer_after(20, 85, 200));
            if (o.with_return)
                schedule(o.index, action_kind::return_request, now_ms_ + hours(2, 48));
            break;
        }
        case action_kind::return_request: {
            ++stats_.returns;
            o.return_case = "RT-" + tag_ + "-" + pad(++next_case_, 4);
            value d;
            d.set("case", o.return_case);
            d.set("qty", round_to(o.lines[0].qty_kg * (0.1 + 0.3 * uniform()), 0.1) + 0.1);
            d.set("unit", "kg");
            d.set("reason", "bars outside tolerance, replacement agreed under " + o.complaint_case);
            d.set("line", 1);
            d.set("pickup_date", civil_date(today + 3));
            emit(make(department::sales, "sales.return.requested", &o, std::move(d)), &o, false);
            schedule(o.index, action_kind::close_return, now_ms_ + answer_after(60, 170, 330));
            break;
        }
        case action_kind::close_complaint: {
            const complaint_kind& k = complaint_kinds[static_cast<std::size_t>(o.complaint_type)];
            value d;
            d.set("case", o.complaint_case);
            d.set("resolution", "claim accepted: credit note issued, corrective action in place");
            d.set("root_cause", k.root_cause);
            d.set("by", inspectors[next_random() % inspectors.size()]);
            emit(make(department::production, "production.case.resolved", &o, std::move(d)), &o,
                 false);
            break;
        }
        case action_kind::close_return: {
            value d;
            d.set("case", o.return_case);
            d.set("resolution", "returned bars received and checked; replacement delivered");
            d.set("outcome", "replacement");
            d.set("by", a.manager);
            emit(make(department::sales, "sales.case.closed", &o, std::move(d)), &o, false);
            break;
        }
        case action_kind::amend: {
            if (o.shipments > 0) break;
            ++stats_.amendments;
            o.promised_day += between(3, 10);
            value d;
            d.set("reason", "customer asked for a later delivery: site not ready");
            d.set("by", a.manager);
            d.set("promised_date", civil_date(o.promised_day));
            emit(make(department::sales, "sales.order.amended", &o, std::move(d)), &o, false);
            break;
        }
        case action_kind::cancel: {
            if (o.shipments > 0) break;  // too late: the goods are on their way
            cancel(cancel_reasons[next_random() % cancel_reasons.size()]);
            break;
        }
        case action_kind::release_late: release_late(o); break;
    }
}

}  // namespace baton::adapters::simulator
